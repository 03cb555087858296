/// What source and sink records share (`org.apache.kafka.connect.connector.ConnectRecord`).
///
/// Records are values: a transformation takes a record and returns a modified copy. Keys and values
/// use ``Value/null`` for null (a record with a null value is a tombstone).
public protocol ConnectRecord: Sendable, Hashable, CustomStringConvertible {
    var topic: String { get set }
    var kafkaPartition: Int32? { get set }
    var keySchema: Schema? { get set }
    var key: Value { get set }
    var valueSchema: Schema? { get set }
    var value: Value { get set }
    /// Milliseconds since the epoch, if the record has a timestamp.
    var timestamp: Int64? { get set }
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
    /// Identifies the source partition (e.g. `["table": "orders"]`).
    public var sourcePartition: [String: Value]
    /// The position in the source partition after this record (e.g. `["id": 42]`).
    public var sourceOffset: [String: Value]
    public var topic: String
    public var kafkaPartition: Int32?
    public var keySchema: Schema?
    public var key: Value
    public var valueSchema: Schema?
    public var value: Value
    public var timestamp: Int64?
    public var headers: Headers

    public init(
        sourcePartition: [String: Value], sourceOffset: [String: Value], topic: String, kafkaPartition: Int32? = nil,
        keySchema: Schema? = nil, key: Value = .null, valueSchema: Schema?, value: Value, timestamp: Int64? = nil,
        headers: Headers = Headers()
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

    public var description: String {
        "SourceRecord{sourcePartition=\(sourcePartition), sourceOffset=\(sourceOffset)} ConnectRecord{topic='\(topic)', kafkaPartition=\(kafkaPartition.map(String.init) ?? "null"), key=\(key), keySchema=\(keySchema.map(String.init(describing:)) ?? "null"), value=\(value), valueSchema=\(valueSchema.map(String.init(describing:)) ?? "null"), timestamp=\(timestamp.map(String.init) ?? "null"), headers=\(headers)}"
    }
}

/// How a sink record's timestamp was set (`org.apache.kafka.common.record.TimestampType`).
public enum TimestampType: String, Sendable, Hashable {
    case noTimestampType = "NoTimestampType"
    case createTime = "CreateTime"
    case logAppendTime = "LogAppendTime"
}

/// A record delivered to a sink task (`org.apache.kafka.connect.sink.SinkRecord`).
///
/// `originalTopic`, `originalKafkaPartition` and `originalKafkaOffset` keep where the record was read
/// from even after transformations changed `topic` or `kafkaPartition`; sinks report offsets for
/// those.
public struct SinkRecord: ConnectRecord {
    public var topic: String
    public var kafkaPartition: Int32?
    /// The record's offset in its topic-partition.
    public var kafkaOffset: Int64
    public var keySchema: Schema?
    public var key: Value
    public var valueSchema: Schema?
    public var value: Value
    public var timestamp: Int64?
    /// How the timestamp was set.
    public var timestampType: TimestampType
    public var headers: Headers
    /// The topic the record was read from, before transformations.
    public let originalTopic: String
    /// The partition the record was read from, before transformations.
    public let originalKafkaPartition: Int32
    /// The offset the record was read at, before transformations.
    public let originalKafkaOffset: Int64

    public init(
        topic: String, partition: Int32, keySchema: Schema? = nil, key: Value = .null, valueSchema: Schema?, value: Value,
        offset: Int64, timestamp: Int64? = nil, timestampType: TimestampType = .noTimestampType, headers: Headers = Headers(),
        originalTopic: String? = nil, originalKafkaPartition: Int32? = nil, originalKafkaOffset: Int64? = nil
    ) {
        self.topic = topic
        self.kafkaPartition = partition
        self.kafkaOffset = offset
        self.keySchema = keySchema
        self.key = key
        self.valueSchema = valueSchema
        self.value = value
        self.timestamp = timestamp
        self.timestampType = timestamp == nil ? .noTimestampType : timestampType
        self.headers = headers
        self.originalTopic = originalTopic ?? topic
        self.originalKafkaPartition = originalKafkaPartition ?? partition
        self.originalKafkaOffset = originalKafkaOffset ?? offset
    }

    /// The topic-partition this record was read from (before any transformation).
    public var originalTopicPartition: TopicPartition { TopicPartition(topic: originalTopic, partition: originalKafkaPartition) }

    public var description: String {
        "SinkRecord{kafkaOffset=\(kafkaOffset), timestampType=\(timestampType.rawValue), originalTopic=\(originalTopic), originalKafkaPartition=\(originalKafkaPartition), originalKafkaOffset=\(originalKafkaOffset)} ConnectRecord{topic='\(topic)', kafkaPartition=\(kafkaPartition.map(String.init) ?? "null"), key=\(key), keySchema=\(keySchema.map(String.init(describing:)) ?? "null"), value=\(value), valueSchema=\(valueSchema.map(String.init(describing:)) ?? "null"), timestamp=\(timestamp.map(String.init) ?? "null"), headers=\(headers)}"
    }
}

/// A topic and partition (`org.apache.kafka.common.TopicPartition`); prints as `topic-partition`.
public struct TopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

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

    public init(offset: Int64, metadata: String = "") {
        self.offset = offset
        self.metadata = metadata
    }
}

/// A schema together with a value (`org.apache.kafka.connect.data.SchemaAndValue`).
public struct SchemaAndValue: Sendable, Hashable {
    public var schema: Schema?
    public var value: Value

    public init(schema: Schema?, value: Value) {
        self.schema = schema
        self.value = value
    }

    /// No schema and a null value.
    public static let null = SchemaAndValue(schema: nil, value: .null)
}
