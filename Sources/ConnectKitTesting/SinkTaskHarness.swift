public import ConnectKit
import ConnectRuntime
import Synchronization

/// Drives one sink task the way the runtime does — on its own thread — so a connector author can
/// feed it records and check what it wrote and which offsets it lets the runtime commit.
///
/// ```swift
/// let harness = SinkTaskHarness(MySinkTask.self, config: ["topics": "orders"])
/// try await harness.start()
/// try await harness.put(harness.records(topic: "orders", values: [.string("a"), .string("b")]))
/// let committed = try await harness.flush()   // what preCommit returned
/// ```
public final class SinkTaskHarness<Task: SinkTask>: @unchecked Sendable {
    /// The configuration the task is started with.
    public let config: [String: String]
    private let executor = ThreadExecutor(name: "harness-sink")
    private var task: Task?
    private let context: HarnessSinkContext
    private var nextOffset: [TopicPartition: Int64] = [:]
    private var opened: Set<TopicPartition> = []
    /// Everything given to `put`, in order.
    public private(set) var delivered: [SinkRecord] = []

    /// A harness for a task of `type`, to be started with `config`.
    public init(_ type: Task.Type, config: [String: String]) {
        self.config = config
        context = HarnessSinkContext(config: config)
    }

    deinit { executor.shutdown() }

    /// Requests the task made through its context (pause, resume, rewinds, commit requests).
    public var contextRequests: HarnessSinkContext { context }

    private func onTaskThread<T: Sendable>(_ body: @escaping @Sendable (Task) async throws -> T) async throws -> T {
        guard let task else { throw HarnessError("the task is not started; call start() first") }
        let box = UncheckedTaskBox(task)
        return try await _Concurrency.Task(executorPreference: executor) { try await body(box.task) }.value
    }

    /// Initializes the task with the harness's context and starts it.
    /// - Throws: what the task's `start` throws.
    public func start() async throws {
        let config = self.config
        let context = self.context
        let box = try await _Concurrency.Task(executorPreference: executor) { () -> UncheckedTaskBox<Task> in
            let t = Task()
            t.initialize(context: context)
            try await t.start(config)
            return UncheckedTaskBox(t)
        }.value
        task = box.task
    }

    /// Sink records with consecutive offsets per topic-partition (continuing across calls).
    public func records(topic: String, partition: Int32 = 0, keys: [Value]? = nil, values: [Value], schema: Schema? = nil) -> [SinkRecord] {
        let tp = TopicPartition(topic: topic, partition: partition)
        var out: [SinkRecord] = []
        for (i, v) in values.enumerated() {
            let offset = nextOffset[tp, default: 0]
            nextOffset[tp] = offset + 1
            out.append(SinkRecord(topic: topic, partition: partition, key: keys?[i] ?? .null, valueSchema: schema, value: v, offset: offset))
        }
        return out
    }

    /// Opens new partitions as the runtime does, then calls `put`.
    public func put(_ records: [SinkRecord]) async throws {
        let fresh = Array(Set(records.map(\.originalTopicPartition)).subtracting(opened)).sorted()
        if !fresh.isEmpty {
            try await onTaskThread { try await $0.open(fresh) }
            opened.formUnion(fresh)
        }
        try await onTaskThread { try await $0.put(records) }
        delivered += records
    }

    /// Calls `preCommit` with the offsets after everything delivered, returning what the task says
    /// is safe to commit.
    @discardableResult
    public func flush() async throws -> [TopicPartition: OffsetAndMetadata] {
        var offsets: [TopicPartition: OffsetAndMetadata] = [:]
        for r in delivered {
            let tp = r.originalTopicPartition
            offsets[tp] = OffsetAndMetadata(offset: max(offsets[tp]?.offset ?? 0, r.originalKafkaOffset + 1))
        }
        let snapshot = offsets
        return try await onTaskThread { try await $0.preCommit(snapshot) }
    }

    /// Closes the open partitions and stops the task.
    public func stop() async throws {
        let partitions = opened.sorted()
        try await onTaskThread { t in
            if !partitions.isEmpty { try await t.close(partitions) }
            try await t.stop()
        }
        task = nil
        opened = []
    }
}

/// The sink task context of a harness; records what the task asked for.
public final class HarnessSinkContext: SinkTaskContext {
    /// The task's configuration.
    public let config: [String: String]
    private let state = Mutex<(paused: Set<TopicPartition>, rewinds: [TopicPartition: Int64], commitRequests: Int, timeout: Int64?)>(([], [:], 0, nil))

    init(config: [String: String]) { self.config = config }

    public func assignment() -> Set<TopicPartition> { [] }
    public func offset(_ offsets: [TopicPartition: Int64]) { state.withLock { $0.rewinds.merge(offsets) { $1 } } }
    public func timeout(milliseconds: Int64) { state.withLock { $0.timeout = milliseconds } }
    public func pause(_ partitions: [TopicPartition]) { state.withLock { $0.paused.formUnion(partitions) } }
    public func resume(_ partitions: [TopicPartition]) { state.withLock { $0.paused.subtract(partitions) } }
    public func requestCommit() { state.withLock { $0.commitRequests += 1 } }
    public func reportWaiting(_ reason: String?) { waitingReason.withLock { $0 = reason } }
    private let waitingReason = Mutex<String?>(nil)
    /// What the task last said it waits on (`reportWaiting`), nil when nothing.
    public var waiting: String? { waitingReason.withLock { $0 } }
    /// Collects what the task reports, like the runtime's reporter with `errors.tolerance=all`.
    public var errantRecordReporter: (any ErrantRecordReporter)? { reporter }
    private let reporter = HarnessErrantRecordReporter()

    /// Records the task reported as errant, with the error's text, in order.
    public var reported: [(record: SinkRecord, error: String)] { reporter.reported }

    /// Partitions the task paused.
    public var paused: Set<TopicPartition> { state.withLock { $0.paused } }
    /// Offsets the task asked to rewind to.
    public var rewinds: [TopicPartition: Int64] { state.withLock { $0.rewinds } }
    /// How often the task asked for a commit.
    public var commitRequests: Int { state.withLock { $0.commitRequests } }
    /// The last retry timeout the task set.
    public var retryTimeoutMs: Int64? { state.withLock { $0.timeout } }
}

/// The harness's errant record reporter: keeps what was reported.
final class HarnessErrantRecordReporter: ErrantRecordReporter {
    private let state = Mutex<[(record: SinkRecord, error: String)]>([])
    func report(_ record: SinkRecord, error: any Error) async throws { state.withLock { $0.append((record, "\(error)")) } }
    var reported: [(record: SinkRecord, error: String)] { state.withLock { $0 } }
}
