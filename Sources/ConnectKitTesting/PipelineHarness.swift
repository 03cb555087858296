import ConnectKit
public import ConnectRuntime
import Logging

/// Runs whole pipelines in-process — the real `Worker` with in-memory topics and a memory offset
/// store — and waits for conditions, so connector and pipeline behaviour can be tested end to end
/// in `swift test`. Register your own connectors on `registry` before `start()`.
///
/// ```swift
/// let pipeline = PipelineHarness()
/// pipeline.registry.register(.source(MySource.self), name: "My")
/// pipeline.add(["name": "in", "connector.class": "My", "topic": "t"])
/// pipeline.add(["name": "out", "connector.class": "FileStreamSink", "file": path, "topics": "t"])
/// try await pipeline.run(until: { fileHasAllLines() })
/// ```
public final class PipelineHarness: @unchecked Sendable {
    public var registry: PluginRegistry
    public var workerProperties: [String: String]
    /// Committed source offsets; kept across runs, so a second `run` resumes like a restart.
    public let offsetStore: MemoryOffsetStore
    private var connectorConfigs: [[String: String]] = []
    private var logger: Logger

    /// A harness with the standard connectors, a 50 ms flush interval and quiet logs.
    public init(registry: PluginRegistry = .standard, workerProperties: [String: String] = ["offset.flush.interval.ms": "50"]) {
        self.registry = registry
        self.workerProperties = workerProperties
        offsetStore = MemoryOffsetStore()
        logger = Logger(label: "connectkit.harness")
        logger.logLevel = .critical
    }

    /// Adds a connector configuration (validated when the pipeline runs).
    public func add(_ config: [String: String]) {
        connectorConfigs.append(config)
    }

    /// Runs every connector until `until` holds, then stops gracefully (sources stop, sinks flush,
    /// offsets are committed). Throws if the condition does not hold within `timeout`, or if a
    /// configuration is invalid. Returns the final statuses.
    @discardableResult
    public func run(timeout: Duration = .seconds(30), until condition: @escaping @Sendable () -> Bool) async throws -> [ConnectorStatus] {
        let worker = try Worker(config: try WorkerConfig(workerProperties), registry: registry, offsetStore: offsetStore, logger: logger)
        for c in connectorConfigs { try worker.add(c) }
        let run = Task { try await worker.run() }
        let deadline = ContinuousClock.now + timeout
        var met = condition()
        while !met && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            met = condition()
        }
        let statuses = worker.statuses
        worker.stop()
        try await run.value
        if !met { throw HarnessError("the condition did not hold within \(timeout); statuses: \(statuses.map { $0.json.description })") }
        return statuses
    }
}
