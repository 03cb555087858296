public import ConnectKit
public import ConnectRuntime
import Foundation
import Logging

/// Runs whole pipelines in-process — the real `Worker`, by default in topic mode (in-memory topics,
/// records converted with the JSON converter on the way in and out, as on Kafka) with a memory
/// offset store and a throwaway directory for dead-letter queues — so connector and pipeline
/// behaviour can be tested end to end in `swift test`.
///
/// Register your own connectors on `registry`, add connector configurations (optionally with
/// ``Fault``s to inject), then either `run(until:)` or drive it step by step: `start()`, the
/// explicit waits ``waitUntil(_:task:is:timeout:)`` and ``flush(timeout:until:)``,
/// `worker.herder.restartTask(...)` (which returns once the new instance runs), `stop()`.
/// ``CollectingSink`` is registered: ``flushed(_:)`` is what such a sink flushed.
///
/// ```swift
/// let pipeline = PipelineHarness(registry: .standard)  // import ConnectPlugins for FileStream
/// pipeline.add(["name": "in", "connector.class": "FileStreamSource", "file": input, "topic": "lines"])
/// pipeline.add(["name": "out", "connector.class": "CollectingSink", "topics": "lines"],
///              faults: [.throwOnPut(record: 700, error: InjectedFault("disk"))])
/// let worker = try pipeline.start()
/// try await pipeline.waitUntil("out", task: 0, is: .failed)
/// try await worker.herder.restartTask("out", 0)
/// try await pipeline.flush { pipeline.flushed("out").count == 1000 }
/// try await pipeline.stop()
/// ```
public final class PipelineHarness: @unchecked Sendable {
    /// The plugins the harness's worker knows; register yours before ``start()``.
    public var registry: PluginRegistry
    /// The worker properties (pipeline mode, flush interval, …).
    public var workerProperties: [String: String]
    /// Committed source offsets; kept across runs, so a second run resumes like a restart.
    public let offsetStore: MemoryOffsetStore
    /// The clock the worker decides flushes and back-off by.
    public let clock: any PipelineClock
    /// Where dead-letter queues go (`local.topics.dir`), removed when the harness is released.
    public let localTopicsDirectory: String
    private var connectorConfigs: [(config: [String: String], faults: [Fault])] = []
    private var logger: Logger
    private var running: (worker: Worker, task: Task<Void, any Error>)?
    private var faultyCount = 0
    private let id = UUID().uuidString

    /// A harness with `registry` (the runtime's own plugins by default; `ConnectPlugins`'s
    /// `.standard` has every module's) plus ``CollectingSink``, topic mode, a 50 ms flush interval
    /// and quiet logs.
    public init(
        registry: PluginRegistry = .core, workerProperties: [String: String] = ["offset.flush.interval.ms": "50", "pipeline.mode": "topic"],
        clock: any PipelineClock = SystemPipelineClock()
    ) {
        var registry = registry
        if registry.connector("CollectingSink") == nil {
            registry.register(.sink(CollectingSink.self), name: "CollectingSink", aliases: ["ConnectKitTesting.CollectingSink"])
        }
        self.registry = registry
        self.workerProperties = workerProperties
        self.clock = clock
        offsetStore = MemoryOffsetStore()
        localTopicsDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-harness-\(id)").path
        logger = Logger(label: "connectkit.harness")
        logger.logLevel = .critical
    }

    deinit { try? FileManager.default.removeItem(atPath: localTopicsDirectory) }

    /// Adds a connector configuration, with faults to inject into its tasks. Both are checked when
    /// the pipeline starts (so connectors registered after `add` are found).
    public func add(_ config: [String: String], faults: [Fault] = []) {
        connectorConfigs.append((config, faults))
    }

    /// The configuration the worker gets: faults wrap the connector, a collecting sink keeps its
    /// records under this harness.
    private func prepared(_ config: [String: String], faults: [Fault]) throws -> [String: String] {
        var config = config
        let entry = registry.connector(config["connector.class"] ?? "")
        if entry?.plugin.isSource == false, entry.map({ "\($0.plugin)".contains("CollectingSink") }) == true, config["collector.id"] == nil {
            config["collector.id"] = collectorID(config["name"] ?? "")
        }
        guard !faults.isEmpty else { return config }
        guard let entry else {
            throw HarnessError("faults for '\(config["name"] ?? "")': connector.class '\(config["connector.class"] ?? "")' is not registered")
        }
        faultyCount += 1
        let name = "ConnectKitTesting.Faulty\(faultyCount).\(entry.name)"
        registry.register(faultyPlugin(entry.plugin), name: name)
        let faultID = "\(id)-\(config["name"] ?? "")"
        FaultBook.shared.set(faultID, faults)
        config["connector.class"] = name
        config[faultKey] = faultID
        return config
    }

    private func collectorID(_ connector: String) -> String { "\(id)/\(connector)" }

    /// Starts a worker with every connector; returns it for status and control.
    /// - Throws: `ConfigError` for an invalid configuration, ``HarnessError`` for faults on an
    ///   unknown connector class.
    @discardableResult
    public func start() throws -> Worker {
        if let running { return running.worker }
        var properties = workerProperties
        if properties["local.topics.dir"] == nil { properties["local.topics.dir"] = localTopicsDirectory }
        let configs = try connectorConfigs.map { try prepared($0.config, faults: $0.faults) }  // registers the fault wrappers
        let worker = try Worker(config: try WorkerConfig(properties), registry: registry, offsetStore: offsetStore, logger: logger, clock: clock)
        for c in configs { try worker.add(c) }
        running = (worker, Task { try await worker.run() })
        return worker
    }

    /// The running worker, if started.
    public var worker: Worker? { running?.worker }

    /// Records given to a ``CollectingSink`` connector's tasks (`put`), in order, over restarts.
    public func received(_ connector: String) -> [SinkRecord] { CollectingSink.received(collectorID(connector)) }

    /// Records a ``CollectingSink`` connector's tasks flushed: what was acknowledged to the sources.
    public func flushed(_ connector: String) -> [SinkRecord] { CollectingSink.flushed(collectorID(connector)) }

    /// Waits until `condition` holds; throws after `timeout` with the connectors' statuses.
    public func wait(timeout: Duration = .seconds(30), until condition: @escaping @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now >= deadline {
                throw HarnessError("the condition did not hold within \(timeout); statuses: \(statusText)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Waits until a task of a connector is in `state` (e.g. `.running`, `.failed`).
    /// - Throws: ``HarnessError`` after `timeout`, with the connectors' statuses.
    public func waitUntil(_ connector: String, task: Int, is state: ConnectorState, timeout: Duration = .seconds(30)) async throws {
        guard let worker else { throw HarnessError("the pipeline is not started; call start() first") }
        try await wait(timeout: timeout) { worker.status(connector)?.tasks.first { $0.id == task }?.state == state }
    }

    /// Flushes every sink and commits every source now (what `offset.flush.interval.ms` does), again
    /// and again, until `condition` holds — so a test needs neither a real interval nor a clock move
    /// that could race a task. Without a condition, one round.
    /// - Throws: ``HarnessError`` when the condition does not hold within `timeout`.
    public func flush(timeout: Duration = .seconds(30), until condition: @escaping @Sendable () -> Bool = { true }) async throws {
        guard let worker else { throw HarnessError("the pipeline is not started; call start() first") }
        let deadline = ContinuousClock.now + timeout
        repeat {
            await worker.commitOffsets(timeout: max(.zero, deadline - ContinuousClock.now))
            if condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        } while ContinuousClock.now < deadline
        throw HarnessError("the condition did not hold within \(timeout) of flushing; statuses: \(statusText)")
    }

    private var statusText: String { "\(running?.worker.statuses.map { $0.json.description } ?? [])" }

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
