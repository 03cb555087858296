public import ConnectKit

/// Kafka's `Cast$Key` / `$Value`: casts fields (`spec=field:type,...`) or the whole value
/// (`spec=type`) to int8/16/32/64, float32/64, boolean or string, with Java's conversions.
public final class Cast: Sendable {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("spec", .list, importance: .high, documentation: "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string. Note that binary fields can only be cast to string.")
        .define("replace.null.with.default", .boolean, default: true, importance: .medium, documentation: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.")

    static let inputTypes: [SchemaType] = [.int8, .int16, .int32, .int64, .float32, .float64, .boolean, .string, .bytes]
    static let outputTypes: [SchemaType] = [.int8, .int16, .int32, .int64, .float32, .float64, .boolean, .string]
    static let purpose = "cast types"

    let side: RecordSide
    let casts: [(field: String, type: SchemaType)]
    let castByName: [String: SchemaType]
    let wholeValue: SchemaType?
    let replaceNullWithDefault: Bool
    let cache = SchemaCache()
    let steps = PlanCache<FusedStep>()

    init(side: RecordSide, configuration: [String: String]) throws(ConfigError) {
        self.side = side
        let c = try Self.configDef.parse(configuration)
        let spec = c.list("spec") ?? []
        if spec.isEmpty { throw ConfigError(key: "spec", message: "Must specify at least one field to cast.") }
        var casts: [(String, SchemaType)] = []
        var whole: SchemaType? = nil
        for mapping in spec {
            let parts = mapping.split(separator: ":", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
            if parts.count > 2 {
                throw ConfigError(key: "renames", message: "Invalid value [\(spec.joined(separator: ", "))] for configuration renames: Invalid rename mapping: \(mapping)")
            }
            let typeName = parts.count == 1 ? parts[0] : parts[1]
            guard let t = SchemaType.allCases.first(where: { $0.description == typeName.uppercased() }) else {
                throw ConfigError(key: "spec", message: "Invalid value java.lang.IllegalArgumentException: No enum constant org.apache.kafka.connect.data.Schema.Type.\(typeName.uppercased()) for configuration Invalid type found in casting spec: \(typeName)")
            }
            guard Self.outputTypes.contains(t) else {
                throw ConfigError(key: "spec", message: "Cast transformation does not support casting to \(t.description); supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]")
            }
            if parts.count == 1 { whole = t } else { casts.append((parts[0], t)) }
        }
        if whole != nil && spec.count > 1 {
            throw ConfigError(key: "spec", message: "Cast transformations that specify a type to cast the entire value to can only specify a single cast in their spec")
        }
        self.casts = casts
        castByName = Dictionary(casts.map { ($0.0, $0.1) }, uniquingKeysWith: { _, b in b })
        wholeValue = whole
        replaceNullWithDefault = c.bool("replace.null.with.default") ?? true
    }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        if side.value(record).isNull { return record }
        guard let schema = side.schema(record) else {
            let value = side.value(record)
            if let wholeValue { return side.replace(consume record, schema: nil, value: try Self.cast(value, schema: nil, to: wholeValue)) }
            var m = try Require.map(value, Self.purpose)
            for field in javaHashOrder(casts.map(\.field)) { m.put(.string(field), try Self.cast(m.get(field) ?? .null, schema: nil, to: castByName[field]!)) }
            return side.replace(consume record, schema: nil, value: .map(m))
        }
        let updated = try cache.get(schema) { () throws(DataError) -> Schema in try makeSchema(schema) }
        if let wholeValue {
            let cast = try Self.cast(side.value(record), schema: schema, to: wholeValue)
            // Kafka keeps the schema's name: a Date/Time/Timestamp/Decimal name on the cast value,
            // which Connect then rejects (the value is no longer a java.util.Date or BigDecimal).
            if let logical = schema.logicalType {
                let (simple, expected) = logical.javaNames
                throw DataError("Invalid type for \(simple), expected \(expected) but was class \(javaClassName(cast))")
            }
            return side.replace(consume record, schema: updated, value: cast)
        }
        return try side.runStep(consume record, Self.purpose, cache: steps, conformingTo: schema) { schema throws(DataError) in try step(schema) }
    }

    func makeSchema(_ schema: Schema) throws(DataError) -> Schema {
        var b: SchemaBuilder
        if let wholeValue {
            b = copyBasics(schema, SchemaBuilder(type: wholeValue))
        } else {
            guard schema.type == .struct else { throw DataError("Cannot list fields on non-struct type") }
            b = copyBasics(schema, .struct())
            for f in schema.fields {
                if let t = castByName[f.name] {
                    var fb = SchemaBuilder(type: t)
                    if f.schema.isOptional { fb = fb.optional() }
                    if let d = f.schema.defaultValue { fb = fb.defaultValue(try Self.cast(d, schema: f.schema, to: t)) }
                    b = b.field(f.name, try fb.build())
                } else {
                    b = b.field(f.name, f.schema)
                }
            }
        }
        if schema.isOptional { b = b.optional() }
        if let d = schema.defaultValue { b = b.defaultValue(try Self.cast(d, schema: schema, to: b.type)) }
        return try b.build()
    }

    /// Kafka's `castValueToType`, with Java's number conversions.
    static func cast(_ value: ConnectKit.Value, schema: Schema?, to target: SchemaType) throws(DataError) -> ConnectKit.Value {
        // The common widenings and boolean/number to string, without the general path.
        if schema?.name == nil {
            switch (value, target) {
            case (.int32(let x), .int64): return .int64(Int64(x))
            case (.int16(let x), .int64): return .int64(Int64(x))
            case (.int8(let x), .int64): return .int64(Int64(x))
            case (.int32(let x), .float64): return .float64(Double(x))
            case (.int64(let x), .float64): return .float64(Double(x))
            case (.boolean(let b), .string): return .string(b ? "true" : "false")
            case (.int32(let x), .string): return .string(String(x))
            case (.int64(let x), .string): return .string(String(x))
            default: break
            }
        }
        if value.isNull { return .null }
        let inferred: SchemaType? = schema?.type ?? value.inferredType
        guard let inferred else { throw DataError("Cast transformation was passed a value of type \(javaClassName(value)) which is not supported by Connect's data API") }
        guard inputTypes.contains(inferred) else {
            throw DataError("Cast transformation does not support casting from \(inferred.description); supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]")
        }
        if target == .string { return .string(castToString(value)) }
        // Logical dates become their number (days, ms) before a numeric cast.
        var v = value
        switch value {
        case .date(let d): v = .int32(d)
        case .time(let t): v = .int32(t)
        case .timestamp(let t): v = .int64(t)
        default: break
        }
        func outOfRange() -> DataError { DataError("Value (\(castToString(value))) was out of range for requested data type") }
        switch v {
        case .string(let s):
            switch target {
            case .int8: guard let x = Int8(javaInteger: s) else { throw outOfRange() }; return .int8(x)
            case .int16: guard let x = Int16(javaInteger: s) else { throw outOfRange() }; return .int16(x)
            case .int32: guard let x = Int32(javaInteger: s) else { throw outOfRange() }; return .int32(x)
            case .int64: guard let x = Int64(javaInteger: s) else { throw outOfRange() }; return .int64(x)
            case .float32: guard let x = Float(s.trimmingWhitespace()) else { throw outOfRange() }; return .float32(x)
            case .float64: guard let x = Double(s.trimmingWhitespace()) else { throw outOfRange() }; return .float64(x)
            case .boolean: return .boolean(s.lowercased() == "true")
            default: break
            }
        case .boolean(let b):
            switch target {
            case .int8: return .int8(b ? 1 : 0)
            case .int16: return .int16(b ? 1 : 0)
            case .int32: return .int32(b ? 1 : 0)
            case .int64: return .int64(b ? 1 : 0)
            case .float32: return .float32(b ? 1 : 0)
            case .float64: return .float64(b ? 1 : 0)
            case .boolean: return .boolean(b)
            default: break
            }
        case .bytes:
            throw DataError("Unexpected type in Cast transformation: class [B")
        default:
            guard let n = JavaNumber(v) else { break }
            switch target {
            case .int8: return .int8(Int8(truncatingIfNeeded: n.longValue))
            case .int16: return .int16(Int16(truncatingIfNeeded: n.longValue))
            case .int32: return .int32(n.intValue)
            case .int64: return .int64(n.longValue)
            case .float32: return .float32(n.floatValue)
            case .float64: return .float64(n.doubleValue)
            case .boolean: return .boolean(n.longValue != 0)
            default: break
            }
        }
        throw DataError("Unexpected type in Cast transformation: class \(javaClassName(value))")
    }

    /// Java's `toString` of the value (dates in Connect's ISO formats, bytes as Base64).
    static func castToString(_ v: ConnectKit.Value) -> String {
        switch v {
        case .boolean(let b): b ? "true" : "false"
        case .int8(let x): String(x)
        case .int16(let x): String(x)
        case .int32(let x): String(x)
        case .int64(let x): String(x)
        case .float64(let d): JavaNumberFormat.string(d)
        case .float32(let f): JavaNumberFormat.string(f)
        case .decimal(let d): d.description
        case .bytes(let b): base64(b)
        case .string(let s): s
        default: ValueText.string(for: v)
        }
    }

    /// The transformation on record keys (Kafka\'s `$Key`).
    public struct Key: Transformation {
        let inner: Cast
        public static var configDef: ConfigDef { Cast.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try Cast(side: .key, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }

    /// The transformation on record values (Kafka\'s `$Value`).
    public struct Value: Transformation {
        let inner: Cast
        public static var configDef: ConfigDef { Cast.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try Cast(side: .value, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }
}

/// A Java `Number`'s conversions (`intValue()` of a double saturates and truncates toward zero, of a
/// long wraps; `BigDecimal` converts through its integer part).
struct JavaNumber {
    let longValue: Int64
    let intValue: Int32
    let doubleValue: Double
    let floatValue: Float

    init?(_ v: ConnectKit.Value) {
        switch v {
        case .int8(let x): self.init(integer: Int64(x))
        case .int16(let x): self.init(integer: Int64(x))
        case .int32(let x): self.init(integer: Int64(x))
        case .int64(let x): self.init(integer: x)
        case .float32(let f): self.init(double: Double(f), float: f)
        case .float64(let d): self.init(double: d, float: Float(d))
        case .decimal(let d):
            let dbl = Double(d.description) ?? 0
            let integerPart = BigDecimal(d.plainString.split(separator: ".").first.map(String.init) ?? "0") ?? BigDecimal(unscaled: 0, scale: 0)
            let long = Int64(integerPart.plainString) ?? Int64(truncatingIfNeeded: Int64(dbl.isFinite ? max(min(dbl, 9.2e18), -9.2e18) : 0))
            self.init(long: long, double: dbl)
        default: return nil
        }
    }

    private init(long: Int64, double: Double) {
        longValue = long
        intValue = Int32(truncatingIfNeeded: long)
        doubleValue = double
        floatValue = Float(double)
    }

    private init(integer x: Int64) {
        longValue = x
        intValue = Int32(truncatingIfNeeded: x)
        doubleValue = Double(x)
        floatValue = Float(x)
    }

    private init(double d: Double, float f: Float) {
        func saturate<T: FixedWidthInteger>(_ d: Double, _: T.Type) -> T {
            if d.isNaN { return 0 }
            if d >= Double(T.max) { return T.max }
            if d <= Double(T.min) { return T.min }
            return T(d.rounded(.towardZero))
        }
        longValue = saturate(d, Int64.self)
        intValue = saturate(d, Int32.self)
        doubleValue = d
        floatValue = f
    }
}

extension FixedWidthInteger where Self: SignedInteger {
    /// Java's `Byte/Short/Integer/Long.parseX`: optional sign, decimal digits, no spaces.
    init?(javaInteger s: String) { self.init(s, radix: 10) }
}



private let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

/// Standard Base64 with padding (Java's `Base64.getEncoder()`).
func base64(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var i = 0
    while i + 2 < bytes.count {
        let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
        for shift in [18, 12, 6, 0] { out.append(base64Alphabet[Int((n >> UInt32(shift)) & 63)]) }
        i += 3
    }
    let rest = bytes.count - i
    if rest > 0 {
        var n = UInt32(bytes[i]) << 16
        if rest == 2 { n |= UInt32(bytes[i + 1]) << 8 }
        out.append(base64Alphabet[Int((n >> 18) & 63)])
        out.append(base64Alphabet[Int((n >> 12) & 63)])
        out.append(rest == 2 ? base64Alphabet[Int((n >> 6) & 63)] : 0x3D)
        out.append(0x3D)
    }
    return String(decoding: out, as: UTF8.self)
}

extension LogicalType {
    /// The logical type's simple class name and the Java type its values must have.
    var javaNames: (String, String) {
        switch self {
        case .decimal: ("Decimal", "BigDecimal")
        case .date: ("Date", "Date")
        case .time: ("Time", "Date")
        case .timestamp: ("Timestamp", "Date")
        }
    }
}
