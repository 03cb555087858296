public import ConnectKit

/// How records travel between connectors in topic mode — the seam between the runtime and a
/// record log. It models a Kafka client, so that Kafka (librdkafka) plugs in as one
/// implementation; ``MemoryBroker`` (in-memory topics with consumer groups) is the other.
///
/// A worker takes its transport by injection (`Worker(transport:)`): source tasks produce through a
/// ``TransportProducer`` each, sink tasks read through a ``TransportConsumer`` each, in the
/// consumer group `connect-<connector>`, as Kafka Connect's workers do.
///
/// Delivery: the runtime commits a source offset only after every record up to it was
/// acknowledged through its ``RecordDelivery`` — for Kafka when the brokers have the record; for
/// an in-memory transport, which is not durable, when every group reading the topic committed past
/// it. Sink tasks commit a group's offsets only after the task flushed what it was given.
public protocol Transport: Sendable {
    /// A producer for one source task (Kafka's `connector-producer-<connector>-<task>`), or for a
    /// sink task's dead-letter queue. `connectorConfig` is the connector's configuration, for the
    /// keys a transport reads there (Kafka: `producer.override.*`, `topic.creation.*`).
    /// - Throws: when the client cannot be created (bad configuration, no brokers).
    func makeProducer(clientID: String, connectorConfig: [String: String]) throws -> any TransportProducer

    /// A consumer that joins consumer group `group` when it subscribes (Kafka's
    /// `connector-consumer-<connector>-<task>` in `connect-<connector>`); `connectorConfig` as for
    /// ``makeProducer(clientID:connectorConfig:)`` (Kafka: `consumer.override.*`).
    func makeConsumer(group: String, clientID: String, connectorConfig: [String: String]) throws -> any TransportConsumer

    /// The problems this transport sees in a connector configuration (Kafka: override keys its
    /// client does not know, `topic.creation.*` values), reported with the connector's other
    /// validation errors. The runtime checks `connector.client.config.override.policy` itself.
    func connectorConfigProblems(_ config: [String: String]) -> [ConfigProblem]

    /// Whether this transport reads a worker key (so that it is not reported as unused).
    func readsWorkerKey(_ key: String) -> Bool

    /// Whether this transport reads a connector key (Kafka: `producer.override.*`, …).
    func readsConnectorKey(_ key: String) -> Bool

    /// A producer whose records and source offsets are committed atomically, for exactly-once
    /// source tasks (Kafka's KIP-618: `transactional.id` `<group.id>-<connector>-<task>`); nil
    /// when this transport has no transactions.
    /// - Throws: when the transport has transactions but cannot make this producer (Kafka: offsets
    ///   not kept in Kafka, the cluster refuses the transactional id).
    func makeTransactionalProducer(clientID: String, transactionalID: String, connectorConfig: [String: String]) throws -> (any TransactionalProducer)?

    /// Where a sink connector's dead-letter records go: true when the transport keeps them
    /// durably itself (Kafka: produced to the dead-letter topic), false when the worker must keep
    /// them in its durable local topic log.
    var keepsDeadLetters: Bool { get }

    /// Says, before any member joins, what a group will read: an in-memory transport keeps every
    /// record of those topics for the group from now on (a Kafka topic keeps them anyway).
    func expectGroup(_ group: String, subscription: Subscription)

    /// A group's committed offsets (the next offset to read per partition): what
    /// `GET /connectors/{c}/offsets` shows for a sink connector.
    func committedOffsets(group: String) async throws -> [TopicPartition: Int64]

    /// Sets (or, with nil, removes) committed offsets of a group without active members.
    func alterCommittedOffsets(group: String, _ offsets: [TopicPartition: Int64?]) async throws

    /// Removes a consumer group (its connector was deleted).
    func deleteGroup(_ group: String) async throws

    /// The worker shuts down and will produce nothing more. Consumers of a transport whose
    /// records would not outlive the process (in memory) get ``ConsumerEvent/endOfStream`` once
    /// they read everything assigned, so that sinks drain before sources commit; a Kafka transport
    /// does nothing.
    func shutdown()
}

extension Transport {
    /// A producer for a configuration-less client (tests, tools).
    public func makeProducer(clientID: String) throws -> any TransportProducer { try makeProducer(clientID: clientID, connectorConfig: [:]) }
    /// A consumer for a configuration-less client (tests, tools).
    public func makeConsumer(group: String, clientID: String) throws -> any TransportConsumer {
        try makeConsumer(group: group, clientID: clientID, connectorConfig: [:])
    }
    /// No problems: the transport reads nothing in connector configurations.
    public func connectorConfigProblems(_ config: [String: String]) -> [ConfigProblem] { [] }
    /// No worker key.
    public func readsWorkerKey(_ key: String) -> Bool { false }
    /// No connector key.
    public func readsConnectorKey(_ key: String) -> Bool { false }
    /// Dead letters are the worker's to keep.
    public var keepsDeadLetters: Bool { false }
    /// No transactions.
    public func makeTransactionalProducer(clientID: String, transactionalID: String, connectorConfig: [String: String]) throws -> (any TransactionalProducer)? { nil }
}

/// A producer of an exactly-once source task: the records sent between ``beginTransaction()``
/// and ``commitTransaction(connector:offsets:)`` and the source offsets given to the commit become
/// visible together (to `read_committed` readers) or not at all.
public protocol TransactionalProducer: TransportProducer {
    /// Starts a transaction.
    func beginTransaction() throws
    /// Writes the connector's source offsets into the transaction and commits it; the offset
    /// store then returns them.
    /// - Throws: when the transaction could not be committed (it is aborted, nothing of it counts).
    func commitTransaction(connector: String, offsets: SourceOffsets) throws
    /// Aborts the transaction: none of its records or offsets count.
    func abortTransaction() throws
}

/// What a consumer group reads: topics by name, or every topic whose whole name matches a regular
/// expression (Kafka's `topics` / `topics.regex`).
public enum Subscription: Sendable, Hashable {
    /// These topics (`topics`).
    case topics(Set<String>)
    /// Every topic whose whole name matches this Java regular expression (`topics.regex`).
    case pattern(String)

    /// Whether the subscription takes `topic`.
    public func matches(_ topic: String) -> Bool {
        switch self {
        case .topics(let names): return names.contains(topic)
        case .pattern(let pattern):
            guard !pattern.isEmpty, let regex = try? JavaRegex(pattern, key: "topics.regex") else { return false }
            return regex.matchesWhole(topic)
        }
    }
}

/// A record as a topic stores it: bytes, like a Kafka record.
public struct TopicRecord: Sendable, Hashable {
    /// One header: a key and the header converter's bytes (nil for a null value).
    public struct Header: Sendable, Hashable {
        /// The header's key.
        public var key: String
        /// The header converter's bytes; nil for a null value.
        public var value: [UInt8]?
        /// A header.
        public init(key: String, value: [UInt8]?) {
            self.key = key
            self.value = value
        }
    }

    /// The key converter's bytes; nil for a null key.
    public var key: [UInt8]?
    /// The value converter's bytes; nil for a tombstone.
    public var value: [UInt8]?
    /// The headers, in order (keys may repeat).
    public var headers: [Header]
    /// Milliseconds since the epoch.
    public var timestamp: Int64?

    /// A record.
    public init(key: [UInt8]?, value: [UInt8]?, headers: [Header] = [], timestamp: Int64? = nil) {
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// Rough bytes, for in-flight limits.
    var approximateSize: Int {
        (key?.count ?? 0) + (value?.count ?? 0) + headers.reduce(0) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) + 16 } + 64
    }
}

/// A record read from a topic, with where it was read.
public struct ConsumedRecord: Sendable, Hashable {
    /// The topic it was read from.
    public var topic: String
    /// The partition it was read from.
    public var partition: Int32
    /// Its offset in that partition.
    public var offset: Int64
    /// The record.
    public var record: TopicRecord

    /// A record read at `topic`/`partition`/`offset`.
    public init(topic: String, partition: Int32, offset: Int64, record: TopicRecord) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.record = record
    }

    /// The record's topic and partition.
    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
}

/// The acknowledgement of one produced record: the transport calls ``succeeded()`` once the record
/// is safely stored (Kafka: acknowledged by the brokers), or ``failed(_:)``. Exactly one of them,
/// once; from any thread. Completing many at once with ``succeeded(_:)`` is cheaper.
public struct RecordDelivery: Sendable {
    let pending: PendingRecord?
    let onFailure: (@Sendable (any Error) -> Void)?

    init(_ pending: PendingRecord?, onFailure: (@Sendable (any Error) -> Void)? = nil) {
        self.pending = pending
        self.onFailure = onFailure
    }

    /// A record nobody waits for (e.g. a dead-letter copy).
    public static let unobserved = RecordDelivery(nil)

    /// The record is stored.
    public func succeeded() { RecordDelivery.succeeded(CollectionOfOne(self)) }

    /// Every record of `deliveries` is stored (one lock per source task, not per record).
    public static func succeeded(_ deliveries: some Sequence<RecordDelivery>) {
        PendingRecord.acknowledgeAll(deliveries.compactMap(\.pending).filter { $0.receiverDone() })
    }

    /// The record could not be stored: the source task fails with `error` (or, with
    /// `errors.tolerance=all`, skips the record), as Kafka's worker does after a producer error.
    public func failed(_ error: any Error) {
        onFailure?(error)
        guard let pending else { return }
        pending.tracker.deliveryFailed(pending, error: error)
    }

    /// One object that stands for this delivery while a transport holds the record (Kafka: the
    /// message's opaque): the tracked record itself when there is one and no failure callback (no
    /// allocation), nil for ``unobserved``. Complete it with ``succeeded(tokens:)`` or ``failed(token:_:)``.
    package var token: AnyObject? {
        if onFailure == nil { return pending }
        return DeliveryToken(self)
    }

    /// The records whose ``token``s these are are stored: one lock per source task for the batch.
    /// `positions` (one per token, when the transport knows them) are where each was stored — what
    /// `SourceTask.commitRecord`'s metadata then says, as Kafka's `RecordMetadata` does.
    package static func succeeded(tokens: [AnyObject], positions: [(partition: Int32, offset: Int64)] = []) {
        var done: [PendingRecord] = []
        done.reserveCapacity(tokens.count)
        let known = positions.count == tokens.count
        for (i, t) in tokens.enumerated() {
            if type(of: t) == PendingRecord.self {
                let p = unsafeDowncast(t, to: PendingRecord.self)
                if known { (p.storedPartition, p.storedOffset) = positions[i] }
                if p.receiverDone() { done.append(p) }
            } else if let d = t as? DeliveryToken, let p = d.delivery.pending, p.receiverDone() {
                done.append(p)
            }
        }
        PendingRecord.acknowledgeAll(done)
    }

    /// The record whose ``token`` this is could not be stored.
    package static func failed(token: AnyObject, _ error: any Error) {
        if type(of: token) == PendingRecord.self {
            RecordDelivery(unsafeDowncast(token, to: PendingRecord.self)).failed(error)
        } else if let d = token as? DeliveryToken {
            d.delivery.failed(error)
        }
    }
}

/// A ``RecordDelivery`` with a failure callback, boxed as a transport's token.
private final class DeliveryToken {
    let delivery: RecordDelivery
    init(_ delivery: RecordDelivery) { self.delivery = delivery }
}

/// A record to produce.
public struct OutgoingRecord: Sendable {
    /// The topic to produce to.
    public var topic: String
    /// The partition, or nil to let the transport choose (key hash, else round-robin).
    public var partition: Int32?
    /// The record's bytes.
    public var record: TopicRecord
    /// To complete once the record is stored.
    public var delivery: RecordDelivery

    /// A record to produce to `topic` (at `partition`, or where the transport chooses).
    public init(topic: String, partition: Int32?, record: TopicRecord, delivery: RecordDelivery) {
        self.topic = topic
        self.partition = partition
        self.record = record
        self.delivery = delivery
    }
}

/// Produces one source task's records (Kafka's `KafkaProducer`).
public protocol TransportProducer: Sendable {
    /// Hands records over, in order; each ``OutgoingRecord/delivery`` is completed later. Must not
    /// block for long (a Kafka producer blocks only while its buffer is full).
    ///
    /// Throws when the producer refuses to go on (Kafka: `producer.send` throwing — not for a full
    /// buffer, where a producer waits, nor for a record refused for itself, which fails through its
    /// ``OutgoingRecord/delivery`` as Java's producer reports it to the record's callback); the source
    /// task then fails, whatever `errors.tolerance` says — as Kafka's does for an error it cannot
    /// retry ("Unrecoverable exception trying to send"). Records handed over before it are
    /// completed as usual; throw ``PartialSendError`` to say how many those were — any other error
    /// means none was. The task waits for none of the rest when it stops (Kafka's worker waits
    /// `offset.flush.timeout.ms` for them) and its offsets never pass them.
    func send(_ records: [OutgoingRecord]) throws

    /// Waits until every record sent so far is completed, at most until `deadline`; whether all were.
    func flush(until deadline: ContinuousClock.Instant) async -> Bool

    /// Releases the producer; records not yet completed are failed or left unacknowledged.
    func close()
}

/// ``TransportProducer/send(_:)`` handed over only the first ``handedOver`` records of a batch:
/// those are completed as usual (delivered or failed through their ``OutgoingRecord/delivery``),
/// the rest (the refused record and all after it) must never be — a stopping task does not wait
/// for them, and its offsets never pass them. The task fails with ``cause``.
public struct PartialSendError: Error, Sendable, CustomStringConvertible {
    /// How many records, from the batch's start, the transport took: `0...batch.count` (values
    /// outside are clamped).
    public var handedOver: Int
    /// Why the next one was refused.
    public var cause: any Error

    /// The first `handedOver` records were taken; the next was refused for `cause`.
    public init(handedOver: Int, cause: any Error) {
        self.handedOver = handedOver
        self.cause = cause
    }

    public var description: String { "\(cause)" }
}

/// What one `poll` of a consumer brings.
public enum ConsumerEvent: Sendable, Hashable {
    /// Records, partition by partition in offset order; empty when nothing came within the
    /// timeout or the consumer was woken.
    case records([ConsumedRecord])
    /// The group took these partitions away (a member joined or left): commit their offsets and
    /// close them before polling again (Kafka's `onPartitionsRevoked`).
    case revoked([TopicPartition])
    /// The group gave these partitions: open them; reading starts at each one's committed offset,
    /// else at its beginning (Kafka's `onPartitionsAssigned`, `auto.offset.reset=earliest`).
    case assigned([TopicPartition])
    /// The transport shut down and everything assigned was read (in-memory transports only).
    case endOfStream
}

/// Reads one sink task's share of its consumer group (Kafka's `KafkaConsumer` with a
/// `ConsumerRebalanceListener`): subscribe, then `poll`, which returns records or the group's
/// decisions about partitions. Used by one task at a time; `wakeup()` may be called from anywhere.
public protocol TransportConsumer: AnyObject, Sendable {
    /// Joins the group with this subscription (the first poll completes the join).
    func subscribe(_ subscription: Subscription)

    /// The next event, waiting at most `timeout` for records.
    /// - Throws: when the transport fails (Kafka: a fatal consumer error).
    func poll(max: Int, timeout: Duration) async throws -> ConsumerEvent

    /// The partitions this consumer has now.
    var assignment: Set<TopicPartition> { get }

    /// Stops fetching from partitions (they stay assigned).
    func pause(_ partitions: Set<TopicPartition>)

    /// Fetches from paused partitions again.
    func resume(_ partitions: Set<TopicPartition>)

    /// Moves the next offset to read of assigned partitions (Kafka's `seek`).
    func seek(_ positions: [TopicPartition: Int64])

    /// Commits the group's offsets (the next offset to read per partition) and returns once they
    /// are stored (Kafka's `commitSync`).
    func commit(_ positions: [TopicPartition: Int64]) async throws

    /// Makes a waiting (or the next) `poll` return at once with no records.
    func wakeup()

    /// Leaves the group; its partitions go to the other members.
    func close()
}
