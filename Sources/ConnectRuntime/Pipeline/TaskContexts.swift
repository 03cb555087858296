package import ConnectKit
import Logging
import Synchronization

/// Reads a connector's committed offsets from an offset store.
package struct StoreOffsetReader: OffsetStorageReader {
    let store: any OffsetStore
    let connector: String

    package init(store: any OffsetStore, connector: String) {
        self.store = store
        self.connector = connector
    }

    package func offset(for partition: [String: Value]) async throws -> [String: Value]? {
        try store.offset(connector: connector, partition: partition)
    }
}

package struct RuntimeSourceTaskContext: SourceTaskContext {
    package let config: [String: String]
    package let offsetStorageReader: any OffsetStorageReader
    package var transactionContext: (any TransactionContext)? { nil }
    let onWaiting: @Sendable (String?) -> Void

    package init(config: [String: String], offsetStorageReader: any OffsetStorageReader, onWaiting: @escaping @Sendable (String?) -> Void = { _ in }) {
        self.config = config
        self.offsetStorageReader = offsetStorageReader
        self.onWaiting = onWaiting
    }

    package func reportWaiting(_ reason: String?) { onWaiting(reason) }
}

/// A task's `reportWaiting`: logs a new reason once (a warning) and its end (info), and keeps it in
/// the task's status.
final class WaitingReporter: Sendable {
    private let current = Mutex<String?>(nil)
    private let logger: Logger
    private let task: WorkerTask

    init(logger: Logger, task: WorkerTask) {
        self.logger = logger
        self.task = task
    }

    func report(_ reason: String?) {
        let previous = current.withLock { c in
            defer { c = reason }
            return c
        }
        guard previous != reason else { return }
        if let reason {
            logger.warning("\(reason)")
        } else if let previous {
            logger.info("no longer waiting: \(previous)")
        }
        task.setWaiting("task", reason)
    }
}

/// What a sink task can ask of the runtime while it runs.
final class RuntimeSinkTaskContext: SinkTaskContext {
    let config: [String: String]
    private let state = Mutex<(paused: Set<TopicPartition>, commitRequested: Bool, timeoutMs: Int64?, rewinds: [TopicPartition: Int64])>(([], false, nil, [:]))
    private let assignmentProvider = Mutex<(@Sendable () -> Set<TopicPartition>)?>(nil)
    let logger: Logger

    let reporter: (any ErrantRecordReporter)?
    let waiting: WaitingReporter?

    init(config: [String: String], logger: Logger, reporter: (any ErrantRecordReporter)? = nil, waiting: WaitingReporter? = nil) {
        self.config = config
        self.logger = logger
        self.reporter = reporter
        self.waiting = waiting
    }

    /// Where ``assignment()`` comes from (topic mode: the task's consumer).
    var assignmentSource: (@Sendable () -> Set<TopicPartition>)? {
        get { assignmentProvider.withLock { $0 } }
        set { assignmentProvider.withLock { $0 = newValue } }
    }

    func reportWaiting(_ reason: String?) { waiting?.report(reason) }

    /// The partitions the task's consumer group gave it (empty in direct mode, which has none).
    func assignment() -> Set<TopicPartition> { assignmentSource?() ?? [] }

    /// A rewind (or skip): honoured before the next batch in topic mode (the consumer seeks); direct
    /// mode has no log to replay from and reports it.
    func offset(_ offsets: [TopicPartition: Int64]) {
        state.withLock { $0.rewinds.merge(offsets) { $1 } }
    }

    func takeRewinds() -> [TopicPartition: Int64] {
        state.withLock { s in
            defer { s.rewinds = [:] }
            return s.rewinds
        }
    }

    func timeout(milliseconds: Int64) { state.withLock { $0.timeoutMs = milliseconds } }
    func pause(_ partitions: [TopicPartition]) { state.withLock { $0.paused.formUnion(partitions) } }
    func resume(_ partitions: [TopicPartition]) { state.withLock { $0.paused.subtract(partitions) } }
    func requestCommit() { state.withLock { $0.commitRequested = true } }
    var errantRecordReporter: (any ErrantRecordReporter)? { reporter }

    var paused: Set<TopicPartition> { state.withLock { $0.paused } }

    func takeCommitRequest() -> Bool {
        state.withLock { s in
            defer { s.commitRequested = false }
            return s.commitRequested
        }
    }

    func takeRetryTimeout() -> Int64? {
        state.withLock { s in
            defer { s.timeoutMs = nil }
            return s.timeoutMs
        }
    }
}

/// A connector's line to the worker: reconfiguration requests and raised errors.
final class RuntimeConnectorContext: ConnectorContext {
    let logger: Logger
    let onReconfigure: @Sendable () -> Void
    let onError: @Sendable (any Error) -> Void

    init(logger: Logger, onReconfigure: @escaping @Sendable () -> Void = {}, onError: @escaping @Sendable (any Error) -> Void = { _ in }) {
        self.logger = logger
        self.onReconfigure = onReconfigure
        self.onError = onError
    }

    func requestTaskReconfiguration() {
        logger.info("task reconfiguration requested")
        onReconfigure()
    }

    func raiseError(_ error: any Error) {
        logger.error("connector raised an error: \(error)")
        onError(error)
    }
}
