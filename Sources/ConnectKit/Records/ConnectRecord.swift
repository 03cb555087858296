/// What source and sink records share (`org.apache.kafka.connect.connector.ConnectRecord`).
///
/// Records are values: a transformation takes a record and returns a modified copy. Keys and values
/// use ``Value/null`` for null (a record with a null value is a tombstone).
public protocol ConnectRecord: Sendable, Hashable, CustomStringConvertible {
    /// The Kafka topic: where a source record goes, or where a sink record was read from (as
    /// transformations left it).
    var topic: String { get set }
    /// The partition within ``topic``; `nil` lets the producer's partitioner choose (source records).
    var kafkaPartition: Int32? { get set }
    /// The key's schema; `nil` for a schemaless key.
    var keySchema: Schema? { get set }
    /// The record key; ``Value/null`` for none.
    var key: Value { get set }
    /// The value's schema; `nil` for a schemaless value.
    var valueSchema: Schema? { get set }
    /// The record value; ``Value/null`` makes the record a tombstone.
    var value: Value { get set }
    /// Milliseconds since the epoch, if the record has a timestamp.
    var timestamp: Int64? { get set }
    /// The record's headers (Kafka's `Headers`), in order.
    var headers: Headers { get set }
}

extension ConnectRecord {
    /// A copy with new routing, key, value and timestamp — Kafka's `newRecord(...)`. Headers are kept
    /// unless given.
    public func newRecord(
        topic: String, kafkaPartition: Int32?, keySchema: Schema?, key: Value, valueSchema: Schema?, value: Value,
        timestamp: Int64?, headers: Headers? = nil
    ) -> Self {
        var r = self
        r.topic = topic
        r.kafkaPartition = kafkaPartition
        r.keySchema = keySchema
        r.key = key
        r.valueSchema = valueSchema
        r.value = value
        r.timestamp = timestamp
        if let headers { r.headers = headers }
        return r
    }

    /// A copy with a new value and value schema, everything else kept.
    public func withValue(_ value: Value, schema: Schema?) -> Self {
        var r = self
        r.value = value
        r.valueSchema = schema
        return r
    }

    /// A copy with a new key and key schema, everything else kept.
    public func withKey(_ key: Value, schema: Schema?) -> Self {
        var r = self
        r.key = key
        r.keySchema = schema
        return r
    }

    /// `true` when the value is null.
    public var isTombstone: Bool { value.isNull }
}

/// A record produced by a source task (`org.apache.kafka.connect.source.SourceRecord`).
///
/// `sourcePartition` identifies where the record came from (a table, a file) and `sourceOffset`
/// how far the source had read when it produced the record; the runtime stores the latest offset per
/// partition once every record up to it has been delivered, and hands it back on restart.
public struct SourceRecord: ConnectRecord {
    /// The fields live in one copy-on-write box: copying a record (into a queue, a transform, a
    /// callback) costs one reference count, not one per field.
    @usableFromInline final class Storage: @unchecked Sendable {
        @usableFromInline @exclusivity(unchecked) var sourcePartition: [String: Value]
        @usableFromInline @exclusivity(unchecked) var sourceOffset: [String: Value]
        @usableFromInline @exclusivity(unchecked) var topic: String
        @usableFromInline @exclusivity(unchecked) var kafkaPartition: Int32?
        @usableFromInline @exclusivity(unchecked) var keySchema: Schema?
        @usableFromInline @exclusivity(unchecked) var key: Value
        @usableFromInline @exclusivity(unchecked) var valueSchema: Schema?
        @usableFromInline @exclusivity(unchecked) var value: Value
        @usableFromInline @exclusivity(unchecked) var timestamp: Int64?
        @usableFromInline @exclusivity(unchecked) var headers: Headers

        init(
            _ sourcePartition: [String: Value], _ sourceOffset: [String: Value], _ topic: String, _ kafkaPartition: Int32?,
            _ keySchema: Schema?, _ key: Value, _ valueSchema: Schema?, _ value: Value, _ timestamp: Int64?, _ headers: Headers
        ) {
            self.sourcePartition = sourcePartition
            self.sourceOffset = sourceOffset
            self.topic = topic
            self.kafkaPartition = kafkaPartition
            self.keySchema = keySchema
            self.key = key
            self.valueSchema = valueSchema
            self.value = value
            self.timestamp = timestamp
            self.headers = headers
        }

        func copy() -> Storage {
            Storage(sourcePartition, sourceOffset, topic, kafkaPartition, keySchema, key, valueSchema, value, timestamp, headers)
        }
    }

    @usableFromInline var storage: Storage

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    /// Identifies the source partition (e.g. `["table": "orders"]`).
    public var sourcePartition: [String: Value] {
        @inlinable get { storage.sourcePartition }
        set { unique().sourcePartition = newValue }
    }
    /// The position in the source partition after this record (e.g. `["id": 42]`).
    public var sourceOffset: [String: Value] {
        @inlinable get { storage.sourceOffset }
        set { unique().sourceOffset = newValue }
    }
    public var topic: String {
        @inlinable get { storage.topic }
        set { unique().topic = newValue }
    }
    public var kafkaPartition: Int32? {
        @inlinable get { storage.kafkaPartition }
        set { unique().kafkaPartition = newValue }
    }
    public var keySchema: Schema? {
        @inlinable get { storage.keySchema }
        set { unique().keySchema = newValue }
    }
    public var key: Value {
        @inlinable get { storage.key }
        set { unique().key = newValue }
    }
    public var valueSchema: Schema? {
        @inlinable get { storage.valueSchema }
        set { unique().valueSchema = newValue }
    }
    public var value: Value {
        @inlinable get { storage.value }
        set { unique().value = newValue }
    }
    public var timestamp: Int64? {
        @inlinable get { storage.timestamp }
        set { unique().timestamp = newValue }
    }
    public var headers: Headers {
        @inlinable get { storage.headers }
        set { unique().headers = newValue }
    }

    /// A source record for `topic`. `sourcePartition` and `sourceOffset` say where in the source it was
    /// read; `kafkaPartition` `nil` lets the partitioner choose; `timestamp` is in milliseconds since
    /// the epoch.
    public init(
        sourcePartition: [String: Value], sourceOffset: [String: Value], topic: String, kafkaPartition: Int32? = nil,
        keySchema: Schema? = nil, key: Value = .null, valueSchema: Schema?, value: Value, timestamp: Int64? = nil,
        headers: Headers = Headers()
    ) {
        storage = Storage(sourcePartition, sourceOffset, topic, kafkaPartition, keySchema, key, valueSchema, value, timestamp, headers)
    }

    public static func == (a: SourceRecord, b: SourceRecord) -> Bool {
        if a.storage === b.storage { return true }
        return a.topic == b.topic && a.kafkaPartition == b.kafkaPartition && a.keySchema == b.keySchema && a.key == b.key
            && a.valueSchema == b.valueSchema && a.value == b.value && a.timestamp == b.timestamp && a.headers == b.headers
            && a.sourcePartition == b.sourcePartition && a.sourceOffset == b.sourceOffset
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(sourcePartition)
        hasher.combine(sourceOffset)
        hasher.combine(topic)
        hasher.combine(kafkaPartition)
        hasher.combine(keySchema)
        hasher.combine(key)
        hasher.combine(valueSchema)
        hasher.combine(value)
        hasher.combine(timestamp)
        hasher.combine(headers)
    }

    public var description: String {
        "SourceRecord{sourcePartition=\(sourcePartition), sourceOffset=\(sourceOffset)} ConnectRecord{topic='\(topic)', kafkaPartition=\(kafkaPartition.map(String.init) ?? "null"), key=\(key), keySchema=\(keySchema.map(String.init(describing:)) ?? "null"), value=\(value), valueSchema=\(valueSchema.map(String.init(describing:)) ?? "null"), timestamp=\(timestamp.map(String.init) ?? "null"), headers=\(headers)}"
    }
}

/// How a sink record's timestamp was set (`org.apache.kafka.common.record.TimestampType`).
public enum TimestampType: String, Sendable, Hashable {
    /// The record has no timestamp (Kafka's `NO_TIMESTAMP_TYPE`).
    case noTimestampType = "NoTimestampType"
    /// Set by the producer when the record was created (Kafka's `CREATE_TIME`).
    case createTime = "CreateTime"
    /// Set by the broker when it appended the record to the log (Kafka's `LOG_APPEND_TIME`).
    case logAppendTime = "LogAppendTime"
}

/// A record delivered to a sink task (`org.apache.kafka.connect.sink.SinkRecord`).
///
/// `originalTopic`, `originalKafkaPartition` and `originalKafkaOffset` keep where the record was read
/// from even after transformations changed `topic` or `kafkaPartition`; sinks report offsets for
/// those.
public struct SinkRecord: ConnectRecord {
    /// One copy-on-write box for every field, like ``SourceRecord``.
    @usableFromInline final class Storage: @unchecked Sendable {
        @usableFromInline @exclusivity(unchecked) var topic: String
        @usableFromInline @exclusivity(unchecked) var kafkaPartition: Int32?
        @usableFromInline @exclusivity(unchecked) var kafkaOffset: Int64
        @usableFromInline @exclusivity(unchecked) var keySchema: Schema?
        @usableFromInline @exclusivity(unchecked) var key: Value
        @usableFromInline @exclusivity(unchecked) var valueSchema: Schema?
        @usableFromInline @exclusivity(unchecked) var value: Value
        @usableFromInline @exclusivity(unchecked) var timestamp: Int64?
        @usableFromInline @exclusivity(unchecked) var timestampType: TimestampType
        @usableFromInline @exclusivity(unchecked) var headers: Headers
        @usableFromInline let originalTopic: String
        @usableFromInline let originalKafkaPartition: Int32
        @usableFromInline let originalKafkaOffset: Int64

        init(
            _ topic: String, _ kafkaPartition: Int32?, _ kafkaOffset: Int64, _ keySchema: Schema?, _ key: Value, _ valueSchema: Schema?,
            _ value: Value, _ timestamp: Int64?, _ timestampType: TimestampType, _ headers: Headers, _ originalTopic: String,
            _ originalKafkaPartition: Int32, _ originalKafkaOffset: Int64
        ) {
            self.topic = topic
            self.kafkaPartition = kafkaPartition
            self.kafkaOffset = kafkaOffset
            self.keySchema = keySchema
            self.key = key
            self.valueSchema = valueSchema
            self.value = value
            self.timestamp = timestamp
            self.timestampType = timestampType
            self.headers = headers
            self.originalTopic = originalTopic
            self.originalKafkaPartition = originalKafkaPartition
            self.originalKafkaOffset = originalKafkaOffset
        }

        func copy() -> Storage {
            Storage(topic, kafkaPartition, kafkaOffset, keySchema, key, valueSchema, value, timestamp, timestampType, headers,
                    originalTopic, originalKafkaPartition, originalKafkaOffset)
        }
    }

    @usableFromInline var storage: Storage

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    public var topic: String {
        @inlinable get { storage.topic }
        set { unique().topic = newValue }
    }
    public var kafkaPartition: Int32? {
        @inlinable get { storage.kafkaPartition }
        set { unique().kafkaPartition = newValue }
    }
    /// The record's offset in its topic-partition.
    public var kafkaOffset: Int64 {
        @inlinable get { storage.kafkaOffset }
        set { unique().kafkaOffset = newValue }
    }
    public var keySchema: Schema? {
        @inlinable get { storage.keySchema }
        set { unique().keySchema = newValue }
    }
    public var key: Value {
        @inlinable get { storage.key }
        set { unique().key = newValue }
    }
    public var valueSchema: Schema? {
        @inlinable get { storage.valueSchema }
        set { unique().valueSchema = newValue }
    }
    public var value: Value {
        @inlinable get { storage.value }
        set { unique().value = newValue }
    }
    public var timestamp: Int64? {
        @inlinable get { storage.timestamp }
        set { unique().timestamp = newValue }
    }
    /// How the timestamp was set.
    public var timestampType: TimestampType {
        @inlinable get { storage.timestampType }
        set { unique().timestampType = newValue }
    }
    public var headers: Headers {
        @inlinable get { storage.headers }
        set { unique().headers = newValue }
    }
    /// The topic the record was read from, before transformations.
    public var originalTopic: String { storage.originalTopic }
    /// The partition the record was read from, before transformations.
    public var originalKafkaPartition: Int32 { storage.originalKafkaPartition }
    /// The offset the record was read at, before transformations.
    public var originalKafkaOffset: Int64 { storage.originalKafkaOffset }

    /// A sink record read from `topic`/`partition` at `offset`; `timestamp` is in milliseconds since the
    /// epoch, and without one `timestampType` is ``TimestampType/noTimestampType``. The `original…`
    /// values default to `topic`, `partition` and `offset`.
    public init(
        topic: String, partition: Int32, keySchema: Schema? = nil, key: Value = .null, valueSchema: Schema?, value: Value,
        offset: Int64, timestamp: Int64? = nil, timestampType: TimestampType = .noTimestampType, headers: Headers = Headers(),
        originalTopic: String? = nil, originalKafkaPartition: Int32? = nil, originalKafkaOffset: Int64? = nil
    ) {
        storage = Storage(
            topic, partition, offset, keySchema, key, valueSchema, value, timestamp, timestamp == nil ? .noTimestampType : timestampType,
            headers, originalTopic ?? topic, originalKafkaPartition ?? partition, originalKafkaOffset ?? offset)
    }

    public static func == (a: SinkRecord, b: SinkRecord) -> Bool {
        if a.storage === b.storage { return true }
        return a.topic == b.topic && a.kafkaPartition == b.kafkaPartition && a.kafkaOffset == b.kafkaOffset && a.keySchema == b.keySchema
            && a.key == b.key && a.valueSchema == b.valueSchema && a.value == b.value && a.timestamp == b.timestamp
            && a.timestampType == b.timestampType && a.headers == b.headers && a.originalTopic == b.originalTopic
            && a.originalKafkaPartition == b.originalKafkaPartition && a.originalKafkaOffset == b.originalKafkaOffset
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(topic)
        hasher.combine(kafkaPartition)
        hasher.combine(kafkaOffset)
        hasher.combine(key)
        hasher.combine(value)
        hasher.combine(timestamp)
        hasher.combine(headers)
        hasher.combine(originalTopic)
        hasher.combine(originalKafkaPartition)
        hasher.combine(originalKafkaOffset)
    }

    /// The topic-partition this record was read from (before any transformation).
    public var originalTopicPartition: TopicPartition { TopicPartition(topic: originalTopic, partition: originalKafkaPartition) }

    public var description: String {
        "SinkRecord{kafkaOffset=\(kafkaOffset), timestampType=\(timestampType.rawValue), originalTopic=\(originalTopic), originalKafkaPartition=\(originalKafkaPartition), originalKafkaOffset=\(originalKafkaOffset)} ConnectRecord{topic='\(topic)', kafkaPartition=\(kafkaPartition.map(String.init) ?? "null"), key=\(key), keySchema=\(keySchema.map(String.init(describing:)) ?? "null"), value=\(value), valueSchema=\(valueSchema.map(String.init(describing:)) ?? "null"), timestamp=\(timestamp.map(String.init) ?? "null"), headers=\(headers)}"
    }
}

/// A topic and partition (`org.apache.kafka.common.TopicPartition`); prints as `topic-partition`.
public struct TopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The topic name.
    public var topic: String
    /// The partition number within the topic.
    public var partition: Int32

    /// The partition `partition` of `topic`.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)-\(partition)" }

    public static func < (a: TopicPartition, b: TopicPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }
}

/// A committed offset for a partition (`org.apache.kafka.clients.consumer.OffsetAndMetadata`):
/// the offset of the next record to read.
public struct OffsetAndMetadata: Sendable, Hashable {
    /// The offset of the next record to consume.
    public var offset: Int64
    /// Free-form metadata stored with the commit.
    public var metadata: String

    /// A commit of `offset` (the next record to consume) with optional free-form `metadata`.
    public init(offset: Int64, metadata: String = "") {
        self.offset = offset
        self.metadata = metadata
    }
}

/// A schema together with a value (`org.apache.kafka.connect.data.SchemaAndValue`).
public struct SchemaAndValue: Sendable, Hashable {
    /// The value's schema; `nil` for schemaless data.
    public var schema: Schema?
    /// The value; ``Value/null`` for null.
    public var value: Value

    /// A value with its schema (`nil` for none).
    public init(schema: Schema?, value: Value) {
        self.schema = schema
        self.value = value
    }

    /// No schema and a null value.
    public static let null = SchemaAndValue(schema: nil, value: .null)
}

/// What fused transformation chains (ConnectRuntime) need from a record type to rewrite a record
/// in one step: move the value out when the record's storage is not shared, and set the rewritten
/// parts — into a new storage holding only what is kept when it is shared (so that nothing is copied
/// only to be replaced).
package protocol FusedRewritable {
    mutating func takeValueForRewrite() -> (value: Value, unique: Bool)
    mutating func rewrite(topic: String, valueSchema: Schema, value: Value, keySchema: Schema?, key: Value?, unique: Bool)
    var fusedOffset: Int64? { get }
}

extension SourceRecord: FusedRewritable {
    package mutating func takeValueForRewrite() -> (value: Value, unique: Bool) {
        if isKnownUniquelyReferenced(&storage) {
            let v = storage.value
            storage.value = .null
            return (v, true)
        }
        return (storage.value, false)
    }

    package mutating func rewrite(topic: String, valueSchema: Schema, value: Value, keySchema: Schema?, key: Value?, unique: Bool) {
        if unique {
            storage.topic = topic
            storage.valueSchema = valueSchema
            storage.value = value
            if let key {
                storage.keySchema = keySchema
                storage.key = key
            }
        } else {
            let old = storage
            storage = Storage(
                old.sourcePartition, old.sourceOffset, topic, old.kafkaPartition, key == nil ? old.keySchema : keySchema, key ?? old.key,
                valueSchema, value, old.timestamp, old.headers)
        }
    }

    package var fusedOffset: Int64? { nil }
}

extension SinkRecord: FusedRewritable {
    package mutating func takeValueForRewrite() -> (value: Value, unique: Bool) {
        if isKnownUniquelyReferenced(&storage) {
            let v = storage.value
            storage.value = .null
            return (v, true)
        }
        return (storage.value, false)
    }

    package mutating func rewrite(topic: String, valueSchema: Schema, value: Value, keySchema: Schema?, key: Value?, unique: Bool) {
        if unique {
            storage.topic = topic
            storage.valueSchema = valueSchema
            storage.value = value
            if let key {
                storage.keySchema = keySchema
                storage.key = key
            }
        } else {
            let old = storage
            storage = Storage(
                topic, old.kafkaPartition, old.kafkaOffset, key == nil ? old.keySchema : keySchema, key ?? old.key, valueSchema, value,
                old.timestamp, old.timestampType, old.headers, old.originalTopic, old.originalKafkaPartition, old.originalKafkaOffset)
        }
    }

    package var fusedOffset: Int64? { kafkaOffset }
}
