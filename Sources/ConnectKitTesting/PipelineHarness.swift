import ConnectKit
public import ConnectRuntime
import Logging

/// Runs whole pipelines in-process — the real `Worker`, by default in topic mode (in-memory topics,
/// records converted with the JSON converter on the way in and out, as on Kafka) with a memory
/// offset store — so connector and pipeline behaviour can be tested end to end in `swift test`.
///
/// Register your own connectors on `registry`, add connector configurations (optionally with
/// ``Fault``s to inject), then either `run(until:)` or drive it step by step: `start()`,
/// `wait(until:)`, `clock.advance(by:)` with a ``ManualClock``, `worker.restartTask(...)`, `stop()`.
///
/// ```swift
/// let clock = ManualClock()
/// let pipeline = PipelineHarness(clock: clock)
/// pipeline.registry.register(.sink(MySink.self), name: "My")
/// pipeline.add(["name": "in", "connector.class": "FileStreamSource", "file": path, "topic": "t"])
/// pipeline.add(["name": "out", "connector.class": "My", "topics": "t"], faults: [.throwOnPut(call: 3, error: MyError())])
/// let worker = try pipeline.start()
/// try await pipeline.wait { worker.status("out")?.tasks.first?.state == .failed }
/// try worker.restartTask("out", 0)
/// clock.advance(by: .seconds(60))  // flush interval: sinks flush, offsets commit
/// try await pipeline.stop()
/// ```
public final class PipelineHarness: @unchecked Sendable {
    public var registry: PluginRegistry
    public var workerProperties: [String: String]
    /// Committed source offsets; kept across runs, so a second run resumes like a restart.
    public let offsetStore: MemoryOffsetStore
    /// The clock the worker decides flushes and back-off by.
    public let clock: any PipelineClock
    private var connectorConfigs: [[String: String]] = []
    private var logger: Logger
    private var running: (worker: Worker, task: Task<Void, any Error>)?
    private var faultyCount = 0

    /// A harness with the standard connectors, topic mode, a 50 ms flush interval and quiet logs.
    public init(
        registry: PluginRegistry = .standard, workerProperties: [String: String] = ["offset.flush.interval.ms": "50", "pipeline.mode": "topic"],
        clock: any PipelineClock = SystemPipelineClock()
    ) {
        self.registry = registry
        self.workerProperties = workerProperties
        self.clock = clock
        offsetStore = MemoryOffsetStore()
        logger = Logger(label: "connectkit.harness")
        logger.logLevel = .critical
    }

    /// Adds a connector configuration (validated when the pipeline starts), with faults to inject
    /// into its tasks.
    public func add(_ config: [String: String], faults: [Fault] = []) {
        var config = config
        if !faults.isEmpty, let entry = registry.connector(config["connector.class"] ?? "") {
            faultyCount += 1
            let name = "ConnectKitTesting.Faulty\(faultyCount).\(entry.name)"
            registry.register(faultyPlugin(entry.plugin), name: name)
            let id = "\(ObjectIdentifier(self).hashValue)-\(config["name"] ?? "")"
            FaultBook.shared.set(id, faults)
            config["connector.class"] = name
            config[faultKey] = id
        }
        connectorConfigs.append(config)
    }

    /// Starts a worker with every connector; returns it for status and control.
    @discardableResult
    public func start() throws -> Worker {
        if let running { return running.worker }
        let worker = try Worker(config: try WorkerConfig(workerProperties), registry: registry, offsetStore: offsetStore, logger: logger, clock: clock)
        for c in connectorConfigs { try worker.add(c) }
        running = (worker, Task { try await worker.run() })
        return worker
    }

    /// The running worker, if started.
    public var worker: Worker? { running?.worker }

    /// Waits until `condition` holds; throws after `timeout` with the connectors' statuses.
    public func wait(timeout: Duration = .seconds(30), until condition: @escaping @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now >= deadline {
                throw HarnessError("the condition did not hold within \(timeout); statuses: \(running?.worker.statuses.map { $0.json.description } ?? [])")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Stops gracefully (sources stop, sinks flush, offsets are committed); returns the final statuses.
    @discardableResult
    public func stop() async throws -> [ConnectorStatus] {
        guard let (worker, task) = running else { return [] }
        running = nil
        let statuses = worker.statuses
        worker.stop()
        try await task.value
        return statuses
    }

    /// Runs every connector until `until` holds, then stops gracefully. Throws if the condition does
    /// not hold within `timeout`, or if a configuration is invalid. Returns the statuses seen just
    /// before stopping.
    @discardableResult
    public func run(timeout: Duration = .seconds(30), until condition: @escaping @Sendable () -> Bool) async throws -> [ConnectorStatus] {
        try start()
        do {
            try await wait(timeout: timeout, until: condition)
        } catch {
            _ = try? await stop()
            throw error
        }
        return try await stop()
    }
}
