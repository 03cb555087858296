import Synchronization

/// What source and sink connectors share (`org.apache.kafka.connect.connector.Connector`).
///
/// ## Threading
/// The runtime creates each connector instance on its own executor and calls every method of one
/// instance from one Swift task, one call at a time, in life-cycle order: ``initialize(context:)``,
/// ``start(_:)``, ``taskConfigs(maxTasks:)`` (again whenever tasks are reconfigured), ``stop()``.
/// The executor is backed by a dedicated thread, so a connector may block (e.g. list tables over a
/// blocking database client) without starving Swift's cooperative pool. A connector instance never
/// crosses to another thread, so it does not need to be `Sendable`. Its *type* is passed between
/// threads (the runtime instantiates connectors and tasks by type), hence `SendableMetatype`: a
/// conformance may not be isolated to a global actor such as `@MainActor`.
public protocol Connector: AnyObject, SendableMetatype {
    /// Creates an unconfigured instance (the runtime creates connectors by registered name).
    init()

    /// The connector's version, shown by `connect plugins` and the REST API.
    var version: String { get }

    /// The configuration keys this connector accepts.
    var configDef: ConfigDef { get }

    /// Gives the connector its context before ``start(_:)``. The default keeps nothing.
    func initialize(context: any ConnectorContext)

    /// Starts the connector with its (validated, provider-resolved) configuration.
    func start(_ config: [String: String]) async throws

    /// Splits the work into at most `maxTasks` task configurations.
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]]

    /// Stops the connector and releases what it holds.
    func stop() async throws

    /// Validates a configuration before it is used. The default validates against ``configDef``.
    func validate(_ config: [String: String]) -> ConfigValidation
}

extension Connector {
    public func initialize(context: any ConnectorContext) {}

    public func validate(_ config: [String: String]) -> ConfigValidation {
        configDef.validate(config)
    }
}

/// Lets a connector talk to the runtime (`org.apache.kafka.connect.connector.ConnectorContext`).
/// Safe to call from any thread.
public protocol ConnectorContext: Sendable {
    /// Asks the runtime to call ``Connector/taskConfigs(maxTasks:)`` again and restart the tasks,
    /// e.g. because the set of tables changed.
    func requestTaskReconfiguration()

    /// Reports an unrecoverable error: the connector is marked FAILED with this error.
    func raiseError(_ error: any Error)
}

// MARK: - Source

/// Whether a source connector can give exactly-once guarantees (`ExactlyOnceSupport`).
public enum ExactlyOnceSupport: String, Sendable {
    /// The connector can give exactly-once guarantees with this configuration (Kafka's `SUPPORTED`).
    case supported = "SUPPORTED"
    /// The connector cannot give exactly-once guarantees (Kafka's `UNSUPPORTED`; the default).
    case unsupported = "UNSUPPORTED"
}

/// A connector that reads from an external system (`org.apache.kafka.connect.source.SourceConnector`).
public protocol SourceConnector: Connector {
    /// The task type the runtime instantiates for each task configuration.
    var taskType: any SourceTask.Type { get }

    /// Whether the connector supports exactly-once delivery with this configuration. Default: unsupported.
    func exactlyOnceSupport(_ config: [String: String]) -> ExactlyOnceSupport

    /// Lets the connector accept or reject an offsets change made through the REST API (Kafka's
    /// `alterOffsets`). Return `true` if the connector handled or accepts the change. Default: `false`
    /// (the runtime still applies the change, as Kafka does).
    func alterOffsets(_ config: [String: String], offsets: [[String: Value]: [String: Value]?]) async throws -> Bool
}

extension SourceConnector {
    public func exactlyOnceSupport(_ config: [String: String]) -> ExactlyOnceSupport { .unsupported }
    public func alterOffsets(_ config: [String: String], offsets: [[String: Value]: [String: Value]?]) async throws -> Bool { false }
}

/// The work of one source task (`org.apache.kafka.connect.source.SourceTask`).
///
/// ## Threading
/// The runtime runs each task on its own thread-backed executor and calls every method from that
/// task's loop, never two at once: ``initialize(context:)``, ``start(_:)``, then ``poll()`` repeatedly,
/// ``commit()`` and ``commitRecord(_:metadata:)`` between polls, and ``stop()`` last. A task may block
/// in any method (blocking C clients are fine) but should return from ``poll()`` within about a
/// second when it has nothing, and should return promptly once the Swift task is cancelled
/// (`Task.isCancelled`) — that is how the runtime asks a task to stop.
public protocol SourceTask: AnyObject, SendableMetatype {
    /// Creates an unconfigured task (the runtime creates one per task configuration, by type).
    init()

    /// The task's version; usually the connector's.
    var version: String { get }

    /// Gives the task its context (offset reader, transaction context) before ``start(_:)``.
    func initialize(context: any SourceTaskContext)

    /// Starts the task with one of the configurations from ``SourceConnector/taskConfigs(maxTasks:)``.
    func start(_ config: [String: String]) async throws

    /// Returns the next batch of records; an empty array when there is nothing yet.
    /// Throw ``RetriableError`` for a transient failure the runtime should retry.
    func poll() async throws -> [SourceRecord]

    /// Called after the offsets of polled records have been committed (Kafka's `commit()`).
    func commit() async throws

    /// Called once per record after the sink (or Kafka) acknowledged it. `metadata` says where it
    /// was written; `nil` when a transformation dropped the record. A task that keeps the default
    /// (empty) implementation is called for its first record only: the runtime then knows there is
    /// nothing to do per record (Kafka's worker calls it for every record regardless).
    nonisolated(nonsending) func commitRecord(_ record: SourceRecord, metadata: RecordMetadata?) async throws

    /// Stops the task and releases what it holds.
    func stop() async throws
}

extension SourceTask {
    public func initialize(context: any SourceTaskContext) {}
    public func commit() async throws {}
    nonisolated(nonsending) public func commitRecord(_ record: SourceRecord, metadata: RecordMetadata?) async throws {
        // The runtime asks once whether this no-op is the task's commitRecord, and stops calling it per record.
        if let probe = DefaultCommitRecordProbe.current, probe.task == ObjectIdentifier(self) { probe.answered.store(true, ordering: .relaxed) }
    }
}

/// How the worker learns that a source task keeps the default, empty ``SourceTask/commitRecord(_:metadata:)``:
/// it makes the first call with a probe naming the task, which only the default implementation marks (a task
/// that overrides it, or forwards to another task's, leaves the probe unmarked). The probe is read by the
/// same Swift task after the call returns.
package final class DefaultCommitRecordProbe: Sendable {
    @TaskLocal package static var current: DefaultCommitRecordProbe?
    package let task: ObjectIdentifier
    fileprivate let answered = Atomic<Bool>(false)
    package init(task: ObjectIdentifier) { self.task = task }
    /// Whether the task's commitRecord is the default implementation (it answered the probe).
    package var isDefault: Bool { answered.load(ordering: .relaxed) }
}

/// Where an acknowledged record was written (`org.apache.kafka.clients.producer.RecordMetadata`).
public struct RecordMetadata: Sendable, Hashable {
    /// The topic the record was written to (after transformations).
    public var topic: String
    /// The partition the record was written to.
    public var partition: Int32
    /// The record's offset in its partition, or -1 when unknown.
    public var offset: Int64
    /// The record's timestamp in milliseconds since the epoch, if known.
    public var timestamp: Int64?

    /// Where a record was written; `offset` is -1 when unknown, `timestamp` in milliseconds since the epoch.
    public init(topic: String, partition: Int32, offset: Int64, timestamp: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
    }
}

/// What the runtime gives a source task (`SourceTaskContext`). Safe to use from any thread.
public protocol SourceTaskContext: Sendable {
    /// The task's configuration.
    var config: [String: String] { get }
    /// Reads the offsets committed for this connector's source partitions.
    var offsetStorageReader: any OffsetStorageReader { get }
    /// Present when the connector defines its own transaction boundaries (exactly-once sources).
    var transactionContext: (any TransactionContext)? { get }
    /// Says that the task is waiting on something that is not there — a file not yet created, a
    /// table, an unreachable server — or, with `nil`, that it no longer is. The runtime logs the
    /// reason once, as a warning, and shows it in the task's status (`TaskStatus.waiting`) until it
    /// is cleared. (Kafka's connectors log such waits; Kafka Connect has no API for them.)
    /// The default does nothing.
    func reportWaiting(_ reason: String?)
}

extension SourceTaskContext {
    public func reportWaiting(_ reason: String?) {}
}

/// Reads committed source offsets (`org.apache.kafka.connect.storage.OffsetStorageReader`).
/// May block on I/O; call it from the task's own executor.
public protocol OffsetStorageReader: Sendable {
    /// The last committed offset for a source partition, or `nil`.
    func offset(for partition: [String: Value]) async throws -> [String: Value]?

    /// The last committed offsets for several source partitions (missing ones are left out).
    func offsets(for partitions: [[String: Value]]) async throws -> [[String: Value]: [String: Value]]
}

extension OffsetStorageReader {
    public func offsets(for partitions: [[String: Value]]) async throws -> [[String: Value]: [String: Value]] {
        var out: [[String: Value]: [String: Value]] = [:]
        for p in partitions { if let o = try await offset(for: p) { out[p] = o } }
        return out
    }
}

/// Lets a source task define transaction boundaries (`org.apache.kafka.connect.source.TransactionContext`).
public protocol TransactionContext: Sendable {
    /// Commit the transaction after the current batch.
    func commitTransaction()
    /// Commit the transaction right after this record.
    func commitTransaction(after record: SourceRecord)
    /// Abort the transaction after the current batch.
    func abortTransaction()
    /// Abort the transaction right after this record.
    func abortTransaction(after record: SourceRecord)
}

// MARK: - Sink

/// A connector that writes to an external system (`org.apache.kafka.connect.sink.SinkConnector`).
public protocol SinkConnector: Connector {
    /// The task type the runtime instantiates for each task configuration.
    var taskType: any SinkTask.Type { get }

    /// Lets the connector accept or reject an offsets change made through the REST API. Default: `false`.
    func alterOffsets(_ config: [String: String], offsets: [TopicPartition: Int64?]) async throws -> Bool
}

extension SinkConnector {
    public func alterOffsets(_ config: [String: String], offsets: [TopicPartition: Int64?]) async throws -> Bool { false }
}

/// The work of one sink task (`org.apache.kafka.connect.sink.SinkTask`).
///
/// ## Threading
/// Like ``SourceTask``: one thread-backed executor per task, calls never overlap, blocking is allowed.
/// Order: ``initialize(context:)``, ``start(_:)``, ``open(_:)`` for assigned partitions, then
/// ``put(_:)`` with batches and ``preCommit(_:)`` at each offset commit, ``close(_:)`` on revocation,
/// ``stop()`` last. Offsets passed to ``preCommit(_:)`` are those of records already given to
/// ``put(_:)``; the runtime commits what ``preCommit(_:)`` returns, so a sink that buffers must
/// flush there (the default calls ``flush(_:)`` and returns the offsets unchanged).
public protocol SinkTask: AnyObject, SendableMetatype {
    /// Creates an unconfigured task (the runtime creates one per task configuration, by type).
    init()

    /// The task's version; usually the connector's.
    var version: String { get }

    /// Gives the task its context (assignment, offsets, pause/resume, errant record reporter) before
    /// ``start(_:)``. The default keeps nothing.
    func initialize(context: any SinkTaskContext)

    /// Starts the task with one of the configurations from ``Connector/taskConfigs(maxTasks:)``.
    func start(_ config: [String: String]) async throws

    /// Partitions newly assigned to this task (before records from them arrive).
    func open(_ partitions: [TopicPartition]) async throws

    /// Writes (or buffers) a batch. Throw ``RetriableError`` to have the same batch retried.
    func put(_ records: [SinkRecord]) async throws

    /// Flushes everything given to ``put(_:)`` so far.
    func flush(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws

    /// Called before offsets are committed; returns the offsets that are safe to commit.
    func preCommit(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws -> [TopicPartition: OffsetAndMetadata]

    /// Partitions taken away from this task; flush their data.
    func close(_ partitions: [TopicPartition]) async throws

    /// Stops the task and releases what it holds; called last.
    func stop() async throws
}

extension SinkTask {
    public func initialize(context: any SinkTaskContext) {}
    public func open(_ partitions: [TopicPartition]) async throws {}
    public func flush(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws {}
    public func preCommit(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws -> [TopicPartition: OffsetAndMetadata] {
        try await flush(offsets)
        return offsets
    }
    public func close(_ partitions: [TopicPartition]) async throws {}
}

/// What the runtime gives a sink task (`org.apache.kafka.connect.sink.SinkTaskContext`). Safe to
/// call from any thread.
public protocol SinkTaskContext: Sendable {
    /// The task's configuration.
    var config: [String: String] { get }
    /// The partitions currently assigned to this task.
    func assignment() -> Set<TopicPartition>
    /// Rewinds (or skips) consumption: the next records delivered start at these offsets.
    func offset(_ offsets: [TopicPartition: Int64])
    /// Asks the runtime to wait this long before the next ``SinkTask/put(_:)`` after a retriable error.
    func timeout(milliseconds: Int64)
    /// Stops delivering records from these partitions until resumed.
    func pause(_ partitions: [TopicPartition])
    /// Delivers records from these paused partitions again.
    func resume(_ partitions: [TopicPartition])
    /// Asks for an offset commit as soon as possible.
    func requestCommit()
    /// Reports bad records without failing the task, when the connector's error tolerance allows.
    var errantRecordReporter: (any ErrantRecordReporter)? { get }
    /// Says that the task is waiting on something that is not there (or, with `nil`, no longer is);
    /// logged once and shown in the task's status, as ``SourceTaskContext/reportWaiting(_:)``.
    /// The default does nothing.
    func reportWaiting(_ reason: String?)
}

extension SinkTaskContext {
    public func reportWaiting(_ reason: String?) {}
    /// Rewinds (or skips) one partition: its next record delivered is at `offset`.
    public func offset(_ partition: TopicPartition, _ offset: Int64) { self.offset([partition: offset]) }
}

/// Sends a record a sink could not handle to the error handling of the runtime (log, dead letter
/// queue) — Kafka's `ErrantRecordReporter`. Returns once the report is durable.
public protocol ErrantRecordReporter: Sendable {
    /// Reports `record` as failed with `error`. Throws when the error tolerance does not allow it
    /// (with `errors.tolerance=none`), which fails the task.
    func report(_ record: SinkRecord, error: any Error) async throws
}

/// An error a task throws to say "try again": the runtime retries with backoff up to
/// `errors.retry.timeout` (Kafka's `RetriableException`).
public struct RetriableError: Error, Sendable, CustomStringConvertible {
    /// What failed.
    public var message: String
    /// The error that caused this one, if any.
    public var underlying: (any Error & Sendable)?

    /// A retriable error saying `message`, caused by `underlying` if given.
    public init(_ message: String, underlying: (any Error & Sendable)? = nil) {
        self.message = message
        self.underlying = underlying
    }

    public var description: String { underlying.map { "\(message): \($0)" } ?? message }
}
