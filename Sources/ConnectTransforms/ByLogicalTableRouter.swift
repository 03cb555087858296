public import ConnectKit

/// Debezium's `io.debezium.transforms.ByLogicalTableRouter`: routes the change events of several
/// physical tables (shards) to one topic (`topic.regex` / `topic.replacement`), renames the key,
/// envelope and row schemas after the new topic, and — so that keys stay unique across the shards —
/// adds the physical table to the key (`key.field.name`, by default `__dbz__physicalTableIdentifier`;
/// the old topic, or `key.field.regex` / `key.field.replacement` applied to it).
public struct ByLogicalTableRouter: Transformation {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("topic.regex", .string, default: .null, importance: .low, documentation: "The regex used for extracting the name of the logical table from the original topic name.")
        .define("topic.replacement", .string, default: .null, importance: .low, documentation: "The replacement string used in conjunction with topic.regex. This will be used to create the new topic name.")
        .define("key.enforce.uniqueness", .boolean, default: true, importance: .low, documentation: "Augment each record's key with a field denoting the source topic.")
        .define("key.field.regex", .string, default: .null, importance: .low, documentation: "The regex used for extracting the physical table identifier from the original topic name.")
        .define("key.field.name", .string, default: "__dbz__physicalTableIdentifier", importance: .low, documentation: "Each record's key schema will be augmented with this field name.")
        .define("key.field.replacement", .string, default: .null, importance: .low, documentation: "The replacement string used in conjunction with key.field.regex. This will be used to create the physical table identifier in the record's key.")

    let topicRegex: JavaRegex
    let topicReplacement: String
    let enforceUniqueness: Bool
    let keyFieldRegex: JavaRegex?
    let keyFieldReplacement: String
    let keyFieldName: String
    let keyCache = PlanCache<Schema>()
    let envelopeCache = PlanCache<Schema>()

    public init(configuration: [String: String]) throws(ConfigError) {
        // Debezium validates every key first and reports any problem as this one message.
        func invalid(_ key: String) -> ConfigError { ConfigError(key: key, message: "Unable to validate config.") }
        let c: ParsedConfig
        do { c = try Self.configDef.parse(configuration) } catch { throw invalid(error.problems.first?.key ?? "topic.regex") }
        guard let regex = c.string("topic.regex")?.trimmingWhitespace(), !regex.isEmpty else { throw invalid("topic.regex") }
        guard let replacement = c.string("topic.replacement"), !replacement.trimmingWhitespace().isEmpty else { throw invalid("topic.replacement") }
        do { topicRegex = try JavaRegex(regex, key: "topic.regex") } catch { throw invalid("topic.regex") }
        topicReplacement = replacement
        enforceUniqueness = c.bool("key.enforce.uniqueness") ?? true
        keyFieldName = c.string("key.field.name") ?? "__dbz__physicalTableIdentifier"
        if let keyRegex = c.string("key.field.regex")?.trimmingWhitespace(), !keyRegex.isEmpty {
            guard let keyReplacement = c.string("key.field.replacement"), !keyReplacement.trimmingWhitespace().isEmpty else {
                throw invalid("key.field.replacement")
            }
            do { keyFieldRegex = try JavaRegex(keyRegex, key: "key.field.regex") } catch { throw invalid("key.field.regex") }
            keyFieldReplacement = keyReplacement
        } else {
            keyFieldRegex = nil
            keyFieldReplacement = ""
        }
    }

    /// Debezium's `copySchemaExcludingName`: version, doc, parameters, optionality and (optionally) fields.
    private static func copyExcludingName(_ source: Schema, fields: Bool = true) -> SchemaBuilder {
        var b = SchemaBuilder.struct()
        if let v = source.version { b = b.version(v) }
        if let d = source.doc { b = b.doc(d) }
        if let p = source.parameters { b = b.parameters(p) }
        if source.isOptional { b = b.optional() }
        if fields { for f in source.fields { b = b.field(f.name, f.schema) } }
        return b
    }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        let oldTopic = record.topic
        guard let newTopic = try topicRegex.replaceFirstIfWholeMatch(oldTopic, with: topicReplacement), !newTopic.isEmpty else { return record }
        var out = consume record
        if !out.key.isNull {
            let oldKey = try Require.struct(out.key, "Updating schema")
            let keySchema = try keyCache.get(oldKey.schema) { () throws(DataError) -> Schema in
                var b = Self.copyExcludingName(oldKey.schema).name(newTopic + ".Key")
                if enforceUniqueness { b = b.field(keyFieldName, .string) }
                return try b.build()
            }
            var values = oldKey.schema.fields.map { oldKey.get($0) }
            if enforceUniqueness {
                let field = try keyFieldRegex.map { r throws(JavaRuntimeError) in try r.replaceFirstIfWholeMatch(oldTopic, with: keyFieldReplacement) } ?? nil
                values.append(.string(field ?? oldTopic))
            }
            out.keySchema = keySchema
            out.key = .struct(makeStruct(keySchema, values))
        } else {
            out.keySchema = nil
            out.key = .null
        }
        out.topic = newTopic
        guard let schema = out.valueSchema, schema.name?.hasSuffix(".Envelope") == true, case .struct(let envelope) = out.value else {
            return out
        }
        let newSchema = try envelopeCache.get(schema) { () throws(DataError) -> Schema in
            guard let row = schema.field("before")?.schema else { throw DataError("Updating schema: the envelope has no before field") }
            let rowSchema = try Self.copyExcludingName(row).name(newTopic + ".Value").build()
            var b = Self.copyExcludingName(schema, fields: false)
            for f in schema.fields { b = b.field(f.name, f.name == "before" || f.name == "after" ? rowSchema : f.schema) }
            return try b.name(newTopic + ".Envelope").build()
        }
        let rowSchema = newSchema.field("before")!.schema
        let values = envelope.schema.fields.map { f -> ConnectKit.Value in
            let v = envelope.get(f)
            if f.name == "before" || f.name == "after", case .struct(let row) = v {
                return .struct(makeStruct(rowSchema, row.schema.fields.map { row.get($0) }))
            }
            return v
        }
        out.valueSchema = newSchema
        out.value = .struct(makeStruct(newSchema, values))
        return out
    }
}
