public import ConnectKit

/// A record as a topic stores it: bytes, like a Kafka record.
public struct TopicRecord: Sendable, Hashable {
    /// One header: a key and the header converter's bytes (nil for a null value).
    public struct Header: Sendable, Hashable {
        public var key: String
        public var value: [UInt8]?
        public init(key: String, value: [UInt8]?) {
            self.key = key
            self.value = value
        }
    }

    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [Header]
    /// Milliseconds since the epoch.
    public var timestamp: Int64?

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
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var record: TopicRecord

    public init(topic: String, partition: Int32, offset: Int64, record: TopicRecord) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.record = record
    }

    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
}

/// A record to produce, with the acknowledgement to complete once it is safely delivered.
struct OutgoingRecord: Sendable {
    var topic: String
    /// The partition, or nil to let the transport choose (key hash, else round-robin).
    var partition: Int32?
    var record: TopicRecord
    /// Completed when the record is delivered: for Kafka when the broker acknowledges it, for the
    /// in-memory broker when every consumer group reading the topic committed past it.
    var acknowledgement: PendingRecord?
}

/// What topic mode needs from a record transport: the in-memory broker here, Kafka (librdkafka)
/// later. Producers hand over records with an acknowledgement; consumers read partitions of their
/// group's topics and commit positions.
protocol RecordTransport: Sendable {
    /// Removes a consumer group (its connector was deleted): it no longer holds records back.
    func removeGroup(_ group: String)
    /// Declares a consumer group and what it reads, before anything is produced: records are kept
    /// (and not acknowledged) until every declared group that reads their topic committed past them.
    func declareGroup(_ group: String, topics: Set<String>, pattern: String?)
    /// Appends records; completes acknowledgements as delivery allows.
    func produce(_ records: [OutgoingRecord])
    /// A consumer for member `member` of `members` in `group` (partition p goes to member p % members).
    func consumer(group: String, member: Int, members: Int) -> any TransportConsumer
    /// Makes every consumer's current or next poll return early (to notice a flush request).
    func wakeConsumers()
    /// No more records will be produced: consumers get `nil` once they have read everything.
    func close()
}

/// Reads records for one sink task.
protocol TransportConsumer: AnyObject, Sendable {
    /// Up to `max` records; waits at most `timeout`. `nil` once the transport is closed and
    /// everything assigned was read. Partitions in `paused` are skipped.
    func poll(max: Int, timeout: Duration, paused: Set<TopicPartition>) async -> [ConsumedRecord]?
    /// Commits positions (the next offset to read per partition).
    func commit(_ positions: [TopicPartition: Int64])
    /// Forgets uncommitted positions: the next poll reads from the committed ones.
    func rewind()
    /// Moves positions (the next offset to read); records no longer held are skipped to the oldest held.
    func seek(_ positions: [TopicPartition: Int64])
}
