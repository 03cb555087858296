public import ConnectKit

/// Kafka's `InsertField$Key` / `InsertField$Value`: adds the record's topic, partition, offset,
/// timestamp and/or a static string to a struct (schema) or map (schemaless). A name ending in `!`
/// makes the field required, `?` (the default) optional.
public final class InsertField: Sendable {
    struct Spec: Sendable {
        let name: String
        let optional: Bool
        init?(_ text: String?) {
            guard let text else { return nil }
            if text.hasSuffix("?") {
                name = String(text.dropLast())
                optional = true
            } else if text.hasSuffix("!") {
                name = String(text.dropLast())
                optional = false
            } else {
                name = text
                optional = true
            }
        }
    }

    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("topic.field", .string, default: .null, importance: .medium, documentation: "Field name for Kafka topic. Suffix with ! to make this a required field, or ? to keep it optional (the default).")
        .define("partition.field", .string, default: .null, importance: .medium, documentation: "Field name for Kafka partition. Suffix with ! to make this a required field, or ? to keep it optional (the default).")
        .define("offset.field", .string, default: .null, importance: .medium, documentation: "Field name for Kafka offset - only applicable to sink connectors. Suffix with ! to make this a required field, or ? to keep it optional (the default).")
        .define("timestamp.field", .string, default: .null, importance: .medium, documentation: "Field name for record timestamp. Suffix with ! to make this a required field, or ? to keep it optional (the default).")
        .define("static.field", .string, default: .null, importance: .medium, documentation: "Field name for static data field. Suffix with ! to make this a required field, or ? to keep it optional (the default).")
        .define("static.value", .string, default: .null, importance: .medium, documentation: "Static field value, if field name configured.")
        .define("replace.null.with.default", .boolean, default: true, importance: .medium, documentation: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.")

    let side: RecordSide
    let topicField, partitionField, offsetField, timestampField, staticField: Spec?
    let staticValue: String?
    let replaceNullWithDefault: Bool
    let steps = PlanCache<FusedStep>()
    static let purpose = "field insertion"

    init(side: RecordSide, configuration: [String: String]) throws(ConfigError) {
        self.side = side
        let c = try Self.configDef.parse(configuration)
        topicField = Spec(c.string("topic.field"))
        partitionField = Spec(c.string("partition.field"))
        offsetField = Spec(c.string("offset.field"))
        timestampField = Spec(c.string("timestamp.field"))
        staticField = Spec(c.string("static.field"))
        staticValue = c.string("static.value")
        replaceNullWithDefault = c.bool("replace.null.with.default") ?? true
        if topicField == nil && partitionField == nil && offsetField == nil && timestampField == nil && staticField == nil {
            throw ConfigError(key: "", message: "No field insertion configured")
        }
        if let staticField, staticValue == nil {
            throw ConfigError(key: "static.value", message: "Invalid value null for configuration static.value: No value specified for static field: \(staticField.javaDescription)")
        }
    }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        if side.value(record).isNull { return record }
        guard side.schema(record) != nil else {
            var m = try Require.map(side.value(record), Self.purpose)
            if let f = topicField { m.put(.string(f.name), .string(record.topic)) }
            if let f = partitionField, let p = record.kafkaPartition { m.put(.string(f.name), .int32(p)) }
            if let f = offsetField { m.put(.string(f.name), .int64(try Require.sinkRecord(record, Self.purpose).kafkaOffset)) }
            if let f = timestampField, let t = record.timestamp { m.put(.string(f.name), .int64(t)) }
            if let f = staticField, let v = staticValue { m.put(.string(f.name), .string(v)) }
            return side.replace(consume record, schema: nil, value: .map(m))
        }
        let offset = offsetField == nil ? nil : try Require.sinkRecord(record, Self.purpose).kafkaOffset
        return try side.runStep(consume record, Self.purpose, cache: steps, offset: offset) { schema throws(DataError) in try step(schema) }
    }

    func makeSchema(_ schema: Schema) throws(DataError) -> Schema {
        var b = copyBasics(schema, .struct())
        for f in schema.fields { b = b.field(f.name, f.schema) }
        if let f = topicField { b = b.field(f.name, f.optional ? .optionalString : .string) }
        if let f = partitionField { b = b.field(f.name, f.optional ? .optionalInt32 : .int32) }
        if let f = offsetField { b = b.field(f.name, f.optional ? .optionalInt64 : .int64) }
        if let f = timestampField { b = b.field(f.name, f.optional ? SchemaBuilder.timestamp().optional() : SchemaBuilder.timestamp()) }
        if let f = staticField { b = b.field(f.name, f.optional ? .optionalString : .string) }
        return try b.build()
    }

    /// The transformation on record keys (Kafka\'s `$Key`).
    public struct Key: Transformation {
        let inner: InsertField
        public static var configDef: ConfigDef { InsertField.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try InsertField(side: .key, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }

    /// The transformation on record values (Kafka\'s `$Value`).
    public struct Value: Transformation {
        let inner: InsertField
        public static var configDef: ConfigDef { InsertField.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try InsertField(side: .value, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }
}

extension InsertField.Spec {
    /// How Kafka prints the spec object in its message (the class name and identity hash).
    var javaDescription: String { "org.apache.kafka.connect.transforms.InsertField$InsertionSpec" }
}
