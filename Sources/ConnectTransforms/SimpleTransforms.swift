public import ConnectKit

/// Declares a `$Key` and a `$Value` transformation that share an implementation taking the side.
protocol SidedTransform: Sendable {
    init(side: RecordSide, configuration: [String: String]) throws(ConfigError)
    static var configDef: ConfigDef { get }
    func apply<R: ConnectRecord>(_ record: R) throws -> R?
}

/// Kafka's `ValueToKey`: replaces the key with a struct (or map) of the listed value fields.
public struct ValueToKey: Transformation {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("fields", .list, importance: .high, documentation: "Field names on the record value to extract as the record key.")
        .define("replace.null.with.default", .boolean, default: true, importance: .medium, documentation: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.")
    static let purpose = "copying fields from value to key"
    let fields: [String]
    let replaceNullWithDefault: Bool
    let cache = PlanCache<(schema: Schema, sources: [Int])>()

    public init(configuration: [String: String]) throws(ConfigError) {
        let c = try Self.configDef.parse(configuration)
        fields = c.list("fields") ?? []
        if fields.isEmpty { throw ConfigError(key: "fields", message: "Configuration 'fields' must not be empty. Valid values include: any non-empty value") }
        replaceNullWithDefault = c.bool("replace.null.with.default") ?? true
    }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        guard let schema = record.valueSchema else {
            let m = try Require.map(record.value, Self.purpose)
            var key = MapValue()
            for f in fields { key.put(.string(f), m.get(f) ?? .null) }
            var out = consume record
            out.keySchema = nil
            out.key = .map(key)
            return out
        }
        let s = try Require.struct(record.value, Self.purpose).conforming(to: schema)
        let plan = try cache.get(schema) { () throws(DataError) -> (schema: Schema, sources: [Int]) in
            var b = SchemaBuilder.struct()
            var sources: [Int] = []
            for f in fields {
                guard let field = schema.field(f) else { throw DataError("Field does not exist: \(f)") }
                b = b.field(f, field.schema)
                sources.append(field.index)
            }
            return (try b.build(), sources)
        }
        let keySchema = plan.schema
        let values = plan.sources.map { i -> ConnectKit.Value in replaceNullWithDefault ? s.get(s.schema.fields[i]) : s.values[i] }
        var out = consume record
        out.keySchema = keySchema
        out.key = .struct(makeStruct(keySchema, values))
        return out
    }
}

/// Kafka's `HoistField$Key` / `$Value`: wraps the key or value in a struct (or map) with one field.
public final class HoistField: SidedTransform {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("field", .string, importance: .medium, documentation: "Field name for the single field that will be created in the resulting Struct or Map.")
    let side: RecordSide
    let field: String
    let cache = SchemaCache()

    init(side: RecordSide, configuration: [String: String]) throws(ConfigError) {
        self.side = side
        field = try Self.configDef.parse(configuration).string("field") ?? ""
    }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        let value = side.value(record)
        guard let schema = side.schema(record) else {
            return side.replace(consume record, schema: nil, value: .map(MapValue(entries: [MapEntry(key: .string(field), value: value)])))
        }
        let updated = try cache.get(schema) { () throws(DataError) -> Schema in try SchemaBuilder.struct().field(field, schema).build() }
        return side.replace(consume record, schema: updated, value: .struct(makeStruct(updated, [value])))
    }

    /// The transformation on record keys (Kafka\'s `$Key`).
    public struct Key: Transformation {
        let inner: HoistField
        public static var configDef: ConfigDef { HoistField.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try HoistField(side: .key, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }

    /// The transformation on record values (Kafka\'s `$Value`).
    public struct Value: Transformation {
        let inner: HoistField
        public static var configDef: ConfigDef { HoistField.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try HoistField(side: .value, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }
}

/// Kafka's `SetSchemaMetadata$Key` / `$Value`: sets the schema's name and/or version.
public final class SetSchemaMetadata: SidedTransform {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("schema.name", .string, default: .null, importance: .high, documentation: "Schema name to set.")
        .define("schema.version", .int, default: .null, importance: .high, documentation: "Schema version to set.")
        .define("replace.null.with.default", .boolean, default: true, importance: .medium, documentation: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.")
    let side: RecordSide
    let name: String?
    let version: Int32?
    let replaceNullWithDefault: Bool
    let cache = SchemaCache()

    init(side: RecordSide, configuration: [String: String]) throws(ConfigError) {
        self.side = side
        let c = try Self.configDef.parse(configuration)
        name = c.string("schema.name")
        version = c.int("schema.version")
        replaceNullWithDefault = c.bool("replace.null.with.default") ?? true
        if name == nil && version == nil { throw ConfigError(key: "", message: "Neither schema name nor version configured") }
    }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        if side.schema(record) == nil && side.value(record).isNull { return record }
        let schema = try Require.schema(side.schema(record), "updating schema metadata")
        let updated = try cache.get(schema) { () throws(DataError) -> Schema in
            guard schema.type == .struct else { throw DataError("Cannot list fields on non-struct type") }
            var b = SchemaBuilder.struct()
            if let n = name ?? schema.name { b = b.name(n) }
            if let v = version ?? schema.version { b = b.version(v) }
            if let d = schema.doc { b = b.doc(d) }
            if let p = schema.parameters { b = b.parameters(p) }
            if schema.isOptional { b = b.optional() }
            for f in schema.fields { b = b.field(f.name, f.schema) }
            if let d = schema.defaultValue { b = b.defaultValue(d) }
            return try b.build()
        }
        var value = side.value(record)
        if case .struct(let original) = value {
            let s = try original.conforming(to: schema)
            value = .struct(makeStruct(updated, s.schema.fields.map { replaceNullWithDefault ? s.get($0) : s.values[$0.index] }))
        }
        return side.replace(consume record, schema: updated, value: value)
    }

    /// The transformation on record keys (Kafka\'s `$Key`).
    public struct Key: Transformation {
        let inner: SetSchemaMetadata
        public static var configDef: ConfigDef { SetSchemaMetadata.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try SetSchemaMetadata(side: .key, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }

    /// The transformation on record values (Kafka\'s `$Value`).
    public struct Value: Transformation {
        let inner: SetSchemaMetadata
        public static var configDef: ConfigDef { SetSchemaMetadata.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try SetSchemaMetadata(side: .value, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }
}

/// Kafka's `Filter`: drops every record (used with a predicate).
public struct Filter: Transformation {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
    public init(configuration: [String: String]) throws(ConfigError) {}
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { nil }
}

/// Kafka's `RegexRouter`: renames the topic when `regex` matches it entirely (`$1` groups).
public struct RegexRouter: Transformation {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("regex", .string, importance: .high, documentation: "Regular expression to use for matching.")
        .define("replacement", .string, importance: .high, documentation: "Replacement string.")
    let pattern: JavaRegex
    let replacement: String

    public init(configuration: [String: String]) throws(ConfigError) {
        let c = try Self.configDef.parse(configuration)
        let text = c.string("regex") ?? ""
        pattern = try JavaRegex(text, key: "regex")
        replacement = c.string("replacement") ?? ""
    }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        guard let renamed = try pattern.replaceFirstIfWholeMatch(record.topic, with: replacement) else { return record }
        var out = consume record
        out.topic = renamed
        return out
    }
}

/// Kafka's `TimestampRouter`: `topic.format` with `${topic}` and `${timestamp}` (the record's
/// timestamp in `timestamp.format`, UTC).
public struct TimestampRouter: Transformation {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("topic.format", .string, default: "${topic}-${timestamp}", importance: .high, documentation: "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as placeholders for the topic and timestamp, respectively.")
        .define("timestamp.format", .string, default: "yyyyMMdd", importance: .high, documentation: "Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>.")
    let topicFormat: String
    /// `topic.format` split at its placeholders: literal text, `${topic}` (nil) and `${timestamp}` ("").
    let parts: [Part]
    enum Part: Sendable { case text(String), topic, timestamp }
    let format: JavaDateFormat
    /// The formatted day of the last record (records of a batch usually share it).
    let lastDay = LastFormatted()
    /// The last routed topic (same input topic, same day: same output).
    let lastRoute = LastRoute()

    /// The topic for a record of `topic` with timestamp `ts`.
    func route(_ topic: String, _ ts: Int64) -> String {
        if let hit = lastRoute.hit(topic, ts, format) { return hit }
        let stamp = lastDay.get(ts, format)
        var out = ""
        for p in parts {
            switch p {
            case .text(let t): out += t
            case .topic: out += topic
            case .timestamp: out += stamp
            }
        }
        lastRoute.remember(topic, ts, out, format)
        return out
    }

    public init(configuration: [String: String]) throws(ConfigError) {
        let c = try Self.configDef.parse(configuration)
        topicFormat = c.string("topic.format") ?? "${topic}-${timestamp}"
        var parts: [Part] = []
        var rest = Substring(topicFormat)
        while !rest.isEmpty {
            let t = rest.firstRange(of: "${topic}"), s = rest.firstRange(of: "${timestamp}")
            guard let next = [t, s].compactMap({ $0 }).min(by: { $0.lowerBound < $1.lowerBound }) else {
                parts.append(.text(String(rest)))
                break
            }
            if next.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<next.lowerBound]))) }
            parts.append(next == t ? .topic : .timestamp)
            rest = rest[next.upperBound...]
        }
        self.parts = parts
        format = try JavaDateFormat(utcPattern: c.string("timestamp.format") ?? "yyyyMMdd", key: "timestamp.format")
    }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        guard let ts = record.timestamp else { throw DataError("Timestamp missing on record: \(record)") }
        var out = consume record
        out.topic = route(out.topic, ts)
        return out
    }
}

/// Kafka's `DropHeaders`: removes every header with one of the names.
public struct DropHeaders: Transformation {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("headers", .list, importance: .high, documentation: "The name of the headers to be removed.")
    let names: Set<String>

    public init(configuration: [String: String]) throws(ConfigError) {
        let list = try Self.configDef.parse(configuration).list("headers") ?? []
        if list.isEmpty { throw ConfigError(key: "headers", message: "Configuration 'headers' must not be empty. Valid values include: any non-empty value") }
        names = Set(list)
    }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        var out = consume record
        out.headers = Headers(out.headers.all.filter { !names.contains($0.key) })
        return out
    }
}

/// Kafka's `InsertHeader`: adds a header whose value is `value.literal` parsed like Kafka's
/// `Values.parseString` (so `42` is an int8, `[1,2]` an array).
public struct InsertHeader: Transformation {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("header", .string, importance: .high, documentation: "The name of the header.", validator: .nonEmptyString)
        .define("value.literal", .string, importance: .high, documentation: "The literal value that is to be set as the header value on all records.", validator: .nonEmptyString)
    let name: String
    let value: SchemaAndValue

    public init(configuration: [String: String]) throws(ConfigError) {
        let c = try Self.configDef.parse(configuration)
        name = c.string("header") ?? ""
        let literal = c.string("value.literal") ?? ""
        do { value = try ValueText.parse(literal) } catch {
            throw ConfigError(key: "value.literal", message: "Invalid value \(literal) for configuration value.literal: \(error.message)")
        }
    }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        var out = consume record
        out.headers.add(Header(key: name, value: value.value, schema: value.schema))
        return out
    }
}

