public import ConnectKit

/// Kafka's `TimestampConverter$Key` / `$Value`: converts a field (or the whole key/value) between
/// `string` (with a `SimpleDateFormat` pattern in UTC — every letter Java knows, week years and
/// Julian dates included, parsed leniently as Java parses), `unix` (`unix.precision`), `Date`, `Time` and
/// `Timestamp`.
public final class TimestampConverter: SidedTransform {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("field", .string, default: "", importance: .high, documentation: "The field containing the timestamp, or empty if the entire value is a timestamp")
        .define("target.type", .string, importance: .high, documentation: "The desired timestamp representation: string, unix, Date, Time, or Timestamp", validator: .validString(["string", "unix", "Date", "Time", "Timestamp"]))
        .define("format", .string, default: "", importance: .medium, documentation: "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used to parse the input if the input is a string.")
        .define("unix.precision", .string, default: "milliseconds", importance: .low, documentation: "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to generate the output when type=unix or used to parse the input if the input is a Long.", validator: .validString(["nanoseconds", "microseconds", "milliseconds", "seconds"]))
        .define("replace.null.with.default", .boolean, default: true, importance: .medium, documentation: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.")

    enum Kind: String { case string, unix, date = "Date", time = "Time", timestamp = "Timestamp" }
    static let purpose = "converting timestamp formats"
    static let dayMillis: Int64 = 86_400_000

    let side: RecordSide
    let field: String
    let target: Kind
    let format: JavaDateFormat?
    let precision: String
    let replaceNullWithDefault: Bool
    let cache = SchemaCache()

    init(side: RecordSide, configuration: [String: String]) throws(ConfigError) {
        self.side = side
        let c = try Self.configDef.parse(configuration)
        field = c.string("field") ?? ""
        target = Kind(rawValue: c.string("target.type") ?? "") ?? .timestamp
        let pattern = c.string("format") ?? ""
        if target == .string && pattern.trimmingWhitespace().isEmpty {
            throw ConfigError(key: "format", message: "TimestampConverter requires format option to be specified when using string timestamps")
        }
        if pattern.trimmingWhitespace().isEmpty {
            format = nil
        } else {
            do { format = try JavaDateFormat(pattern, zone: .utc, locale: .us) } catch {
                // Kafka's own text: it passes its message as the ConfigException's name and the
                // IllegalArgumentException as the value.
                throw ConfigError(key: "format", message: "Invalid value \(error) for configuration TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: \(pattern)")
            }
        }
        precision = c.string("unix.precision") ?? "milliseconds"
        replaceNullWithDefault = c.bool("replace.null.with.default") ?? true
    }

    func typeSchema(optional: Bool) -> Schema {
        switch target {
        case .string: optional ? .optionalString : .string
        case .unix: optional ? .optionalInt64 : .int64
        case .date: optional ? SchemaBuilder.date().optional().buildUnchecked() : .date
        case .time: optional ? SchemaBuilder.time().optional().buildUnchecked() : .time
        case .timestamp: optional ? SchemaBuilder.timestamp().optional().buildUnchecked() : .timestamp
        }
    }

    func kind(of schema: Schema) throws(DataError) -> Kind {
        switch schema.name {
        case LogicalType.timestampName: return .timestamp
        case LogicalType.dateName: return .date
        case LogicalType.timeName: return .time
        default:
            if schema.type == .string { return .string }
            if schema.type == .int64 { return .unix }
            throw DataError("Schema \(schema) does not correspond to a known timestamp type format")
        }
    }

    func inferKind(_ v: ConnectKit.Value) throws(DataError) -> Kind {
        switch v {
        case .timestamp, .date, .time: return .timestamp
        case .int64: return .unix
        case .string: return .string
        default: throw DataError("TimestampConverter does not support class \(javaClassName(v)) objects as timestamps")
        }
    }

    func convert(_ v: ConnectKit.Value, from: Kind?) throws(DataError) -> ConnectKit.Value {
        if v.isNull { return .null }
        let source: Kind
        if let from { source = from } else { source = try inferKind(v) }
        let millis: Int64
        switch source {
        case .string:
            guard case .string(let s) = v else { throw DataError("Expected string timestamp to be a String, but found class \(javaClassName(v))") }
            guard let format else { throw DataError("Cannot invoke \"java.text.SimpleDateFormat.parse(String)\" because \"config.format\" is null") }
            guard let parsed = format.parse(s) else { throw DataError("Could not parse timestamp: value (\(s)) does not match pattern (\(format.pattern))") }
            millis = parsed
        case .unix:
            guard case .int64(let n) = v else { throw DataError("Expected Unix timestamp to be a Long, but found class \(javaClassName(v))") }
            switch precision {
            case "seconds": millis = n &* 1000
            case "microseconds": millis = n / 1000
            case "nanoseconds": millis = n / 1_000_000
            default: millis = n
            }
        case .date, .time, .timestamp:
            switch v {
            case .timestamp(let t): millis = t
            case .date(let d): millis = Int64(d) * Self.dayMillis
            case .time(let t): millis = Int64(t)
            default: throw DataError("Expected \(source.rawValue) to be a java.util.Date, but found class \(javaClassName(v))")
            }
        }
        let day = millis >= 0 ? millis / Self.dayMillis : (millis - Self.dayMillis + 1) / Self.dayMillis
        switch target {
        case .string: return .string(format!.format(millis))
        case .unix:
            switch precision {
            case "seconds": return .int64(millis / 1000)
            case "microseconds": return .int64(millis &* 1000)
            case "nanoseconds": return .int64(millis &* 1_000_000)
            default: return .int64(millis)
            }
        case .date: return .date(Int32(truncatingIfNeeded: day))
        case .time: return .time(Int32(millis - day * Self.dayMillis))
        case .timestamp: return .timestamp(millis)
        }
    }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        let value = side.value(record)
        guard let schema = side.schema(record) else {
            if value.isNull || field.isEmpty { return side.replace(consume record, schema: nil, value: try convert(value, from: nil)) }
            var m = try Require.map(value, Self.purpose)
            m.put(.string(field), try convert(m.get(field) ?? .null, from: nil))
            return side.replace(consume record, schema: nil, value: .map(m))
        }
        if field.isEmpty {
            let from = try kind(of: schema)
            return side.replace(consume record, schema: typeSchema(optional: schema.isOptional), value: try convert(value, from: from))
        }
        let s: Struct? = value.isNull ? nil : try Require.struct(value, Self.purpose).conforming(to: schema)
        let updated = try cache.get(schema) { () throws(DataError) -> Schema in
            guard schema.type == .struct else { throw DataError("Cannot list fields on non-struct type") }
            var b = copyBasics(schema, .struct())
            for f in schema.fields { b = b.field(f.name, f.name == field ? typeSchema(optional: f.schema.isOptional) : f.schema) }
            if schema.isOptional { b = b.optional() }
            return try b.build()
        }
        guard let s else { return side.replace(consume record, schema: updated, value: .null) }
        var values: [ConnectKit.Value] = []
        values.reserveCapacity(s.values.count)
        for f in s.schema.fields {
            let original = replaceNullWithDefault ? s.get(f) : s.values[f.index]
            values.append(f.name == field ? try convert(original, from: try kind(of: f.schema)) : original)
        }
        return side.replace(consume record, schema: updated, value: .struct(makeStruct(updated, values)))
    }

    /// The transformation on record keys (Kafka\'s `$Key`).
    public struct Key: Transformation {
        let inner: TimestampConverter
        public static var configDef: ConfigDef { TimestampConverter.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try TimestampConverter(side: .key, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }

    /// The transformation on record values (Kafka\'s `$Value`).
    public struct Value: Transformation {
        let inner: TimestampConverter
        public static var configDef: ConfigDef { TimestampConverter.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try TimestampConverter(side: .value, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }
}
