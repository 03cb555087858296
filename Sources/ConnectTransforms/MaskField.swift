public import ConnectKit

/// Kafka's `MaskField$Key` / `$Value`: replaces the listed fields with the type's "empty" value
/// (0, false, "", epoch, empty list/map) or with `replacement` converted to the field's type.
public final class MaskField: Sendable {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("fields", .list, importance: .high, documentation: "Names of fields to mask.")
        .define("replacement", .string, default: .null, importance: .low, documentation: "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values only).", validator: ConfigValidator(description: "non-empty string") { _, v in
            if case .string(let s) = v, s.isEmpty { return "String must be non-empty" }
            return nil
        })
        .define("replace.null.with.default", .boolean, default: true, importance: .medium, documentation: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.")

    let side: RecordSide
    let fields: [String]
    let fieldSet: Set<String>
    let replacement: String?
    let replaceNullWithDefault: Bool
    let steps = PlanCache<FusedStep>()
    static let purpose = "mask fields"

    init(side: RecordSide, configuration: [String: String]) throws(ConfigError) {
        self.side = side
        let c = try Self.configDef.parse(configuration)
        let list = c.list("fields") ?? []
        if list.isEmpty { throw ConfigError(key: "fields", message: "Configuration 'fields' must not be empty. Valid values include: any non-empty value") }
        fields = list
        fieldSet = Set(list)
        replacement = c.string("replacement")
        replaceNullWithDefault = c.bool("replace.null.with.default") ?? true
    }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        guard side.schema(record) != nil else {
            var m = try Require.map(side.value(record), Self.purpose)
            for f in javaHashOrder(fields) { m.put(.string(f), try masked(m.get(f) ?? .null, schema: nil)) }
            return side.replace(consume record, schema: nil, value: .map(m))
        }
        return try side.runStep(consume record, Self.purpose, cache: steps, keepingRecordSchema: true) { step($0) }
    }

    func masked(_ v: ConnectKit.Value, schema: Schema?) throws(DataError) -> ConnectKit.Value {
        if v.isNull { return .null }
        guard let replacement else {
            switch v {
            case .boolean: return .boolean(false)
            case .int8: return .int8(0)
            case .int16: return .int16(0)
            case .int32: return .int32(0)
            case .int64: return .int64(0)
            case .float32: return .float32(0)
            case .float64: return .float64(0)
            case .decimal: return .decimal(BigDecimal(unscaled: 0, scale: 0))
            case .date: return .date(0)
            case .time: return .time(0)
            case .timestamp: return .timestamp(0)
            case .string: return .string("")
            case .array: return .array([])
            case .map: return .map(MapValue())
            default: throw DataError("Cannot mask value of type: class \(javaClassName(v))")
            }
        }
        func number() throws(DataError) -> Double {
            if let d = Double(replacement), !replacement.isEmpty { return d }
            throw DataError("Unable to convert \(replacement) (class java.lang.String) to a number")
        }
        func integer() throws(DataError) -> Int64 {
            if let i = Int64(replacement) { return i }
            let d = try number()
            return Int64(d.rounded(.towardZero))
        }
        switch v {
        case .int8: return .int8(Int8(truncatingIfNeeded: try integer()))
        case .int16: return .int16(Int16(truncatingIfNeeded: try integer()))
        case .int32: return .int32(Int32(truncatingIfNeeded: try integer()))
        case .int64: return .int64(try integer())
        case .float32: return .float32(Float(try number()))
        case .float64: return .float64(try number())
        case .string: return .string(replacement)
        case .decimal:
            guard let d = BigDecimal(replacement) else { throw DataError("Unable to convert \(replacement) (class java.lang.String) to number") }
            return .decimal(d)
        default: throw DataError("Cannot mask value of type class \(javaClassName(v)) with custom replacement.")
        }
    }

    /// The transformation on record keys (Kafka\'s `$Key`).
    public struct Key: Transformation {
        let inner: MaskField
        public static var configDef: ConfigDef { MaskField.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try MaskField(side: .key, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }

    /// The transformation on record values (Kafka\'s `$Value`).
    public struct Value: Transformation {
        let inner: MaskField
        public static var configDef: ConfigDef { MaskField.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try MaskField(side: .value, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }
}
