public import ConnectKit
public import ConnectRuntime
import Synchronization

/// Drives one source task the way the runtime does — on its own thread, with an offset store — so a
/// connector author can test polling, offsets and restarts in `swift test` without any server.
///
/// ```swift
/// let harness = SourceTaskHarness(MyTask.self, config: ["table": "orders"])
/// try await harness.start()
/// let first = try await harness.poll(atLeast: 100)
/// try await harness.acknowledgeAll()          // as if a sink flushed everything polled so far
/// try await harness.restart()                 // a new task instance resumes from the committed offsets
/// ```
public final class SourceTaskHarness<Task: SourceTask>: @unchecked Sendable {
    /// The configuration the task is started with.
    public let config: [String: String]
    /// The connector name its offsets are kept under.
    public let connectorName: String
    /// Offsets committed so far (shared across restarts).
    public let offsetStore: any OffsetStore
    private let executor = ThreadExecutor(name: "harness-source")
    private var task: Task?
    private var unacknowledged: [SourceRecord] = []
    /// Every record polled, across restarts, in order.
    public private(set) var polled: [SourceRecord] = []
    private let waitingReason = Mutex<String?>(nil)
    /// What the task last said it waits on (`reportWaiting`), nil when nothing.
    public var waiting: String? { waitingReason.withLock { $0 } }
    /// Records passed to `commitRecord`, in order.
    public private(set) var committedRecords: [SourceRecord] = []

    /// A harness for a task type. `offsets` seeds the offset store (as if committed earlier).
    public init(_ type: Task.Type, config: [String: String], connectorName: String = "harness", offsets: SourceOffsets = [:], offsetStore: (any OffsetStore)? = nil) {
        self.config = config
        self.connectorName = connectorName
        let store = offsetStore ?? MemoryOffsetStore()
        if !offsets.isEmpty { try? store.commit(connector: connectorName, offsets: offsets.mapValues { Optional($0) }) }
        self.offsetStore = store
    }

    deinit { executor.shutdown() }

    private func onTaskThread<T: Sendable>(_ body: @escaping @Sendable (Task) async throws -> T) async throws -> T {
        guard let task else { throw HarnessError("the task is not started; call start() first") }
        let box = UncheckedTaskBox(task)
        return try await _Concurrency.Task(executorPreference: executor) { try await body(box.task) }.value
    }

    /// Creates, initializes and starts a new task instance.
    public func start() async throws {
        let context = RuntimeSourceTaskContext(
            config: config, offsetStorageReader: StoreOffsetReader(store: offsetStore, connector: connectorName),
            onWaiting: { [weak self] reason in self?.waitingReason.withLock { $0 = reason } })
        let config = self.config
        let box = try await _Concurrency.Task(executorPreference: executor) { () -> UncheckedTaskBox<Task> in
            let t = Task()
            t.initialize(context: context)
            try await t.start(config)
            return UncheckedTaskBox(t)
        }.value
        task = box.task
    }

    /// Polls once.
    @discardableResult
    public func poll() async throws -> [SourceRecord] {
        let batch = try await onTaskThread { try await $0.poll() }
        polled += batch
        unacknowledged += batch
        return batch
    }

    /// Polls until at least `count` records arrived (or the timeout passes; then throws).
    public func poll(atLeast count: Int, timeout: Duration = .seconds(10)) async throws -> [SourceRecord] {
        var out: [SourceRecord] = []
        let deadline = ContinuousClock.now + timeout
        while out.count < count {
            if ContinuousClock.now >= deadline { throw HarnessError("only \(out.count) of \(count) records arrived within \(timeout)") }
            out += try await poll()
        }
        return out
    }

    /// Acknowledges every record polled so far, as the runtime does after the sinks flushed:
    /// `commitRecord` for each, the latest offset per partition into the offset store, then `commit()`.
    public func acknowledgeAll() async throws {
        let records = unacknowledged
        unacknowledged = []
        var offsets: SourceOffsets = [:]
        for r in records { offsets[r.sourcePartition] = r.sourceOffset }
        try await onTaskThread { t in
            for r in records { try await t.commitRecord(r, metadata: RecordMetadata(topic: r.topic, partition: r.kafkaPartition ?? 0, offset: -1)) }
        }
        committedRecords += records
        try offsetStore.commit(connector: connectorName, offsets: offsets.mapValues { Optional($0) })
        try await onTaskThread { try await $0.commit() }
    }

    /// Stops the task. Unacknowledged records are forgotten, as after a crash.
    public func stop() async throws {
        try await onTaskThread { try await $0.stop() }
        task = nil
        unacknowledged = []
    }

    /// Stops the task and starts a new instance, which reads the committed offsets.
    public func restart() async throws {
        try await stop()
        try await start()
    }

    /// The committed offset of a source partition.
    public func committedOffset(for partition: [String: Value]) throws -> [String: Value]? {
        try offsetStore.offset(connector: connectorName, partition: partition)
    }
}

/// A harness misuse or an expectation that was not met in time.
public struct HarnessError: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// A harness failure saying `description`.
    public init(_ description: String) { self.description = description }
}

struct UncheckedTaskBox<T>: @unchecked Sendable {
    let task: T
    init(_ task: T) { self.task = task }
}
