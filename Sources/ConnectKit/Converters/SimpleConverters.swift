/// Strings as bytes (`org.apache.kafka.connect.storage.StringConverter`).
///
/// Writes any value's text (a string as itself, other values as they print); reads bytes as an
/// optional string. `converter.encoding` chooses the charset: `UTF-8` (default), `UTF-16`,
/// `UTF-16BE`, `UTF-16LE`, `US-ASCII` or `ISO-8859-1`.
public struct StringConverter: Converter, HeaderConverter {
    /// It never waits: the runtime calls its synchronous forms directly.
    public var convertsSynchronously: Bool { true }

    /// The charset of `converter.encoding`, named as Java names it.
    public enum Encoding: String, Sendable, CaseIterable {
        /// UTF-8, the default.
        case utf8 = "UTF-8"
        /// UTF-16 as Java's `UTF-16`: written big-endian after a `FE FF` byte-order mark; read honoring a
        /// mark, big-endian without one.
        case utf16 = "UTF-16"
        /// UTF-16 big-endian, no byte-order mark.
        case utf16BE = "UTF-16BE"
        /// UTF-16 little-endian, no byte-order mark.
        case utf16LE = "UTF-16LE"
        /// 7-bit ASCII; characters outside it are written, and bytes outside it read, as `?`.
        case ascii = "US-ASCII"
        /// ISO-8859-1 (Latin-1); characters above U+00FF are written as `?`.
        case latin1 = "ISO-8859-1"

        init?(name: String) {
            let n = name.uppercased().replacingAll("_", with: "-")
            switch n {
            case "UTF8", "UTF-8": self = .utf8
            case "UTF16", "UTF-16": self = .utf16
            case "UTF-16BE", "UTF16BE": self = .utf16BE
            case "UTF-16LE", "UTF16LE": self = .utf16LE
            case "US-ASCII", "ASCII": self = .ascii
            case "ISO-8859-1", "LATIN1", "ISO8859-1": self = .latin1
            default: return nil
            }
        }
    }

    /// The charset strings are written and read in (`converter.encoding`).
    public let encoding: Encoding

    public static let configDef = ConfigDef()
        .define(
            "converter.encoding", .string, default: "UTF-8", importance: .high,
            documentation: "The name of the Java character set to use for encoding strings as byte arrays.",
            validator: .custom("UTF-8, UTF-16, UTF-16BE, UTF-16LE, US-ASCII, ISO-8859-1") { _, v in
                if case .string(let s) = v, Encoding(name: s) != nil { return nil }
                return "Unsupported encoding; use one of UTF-8, UTF-16, UTF-16BE, UTF-16LE, US-ASCII, ISO-8859-1"
            }, group: "Converter", displayName: "Encoding")
        .define("converter.type", .string, default: .null, importance: .low, documentation: "key, value or header.")

    /// A converter using `encoding` (UTF-8 by default).
    public init(encoding: Encoding = .utf8) { self.encoding = encoding }

    public init(configuration: [String: String], isKey: Bool) throws(ConfigError) {
        let c: ParsedConfig
        do { c = try StringConverter.configDef.parse(configuration) } catch { throw ConfigError(error.problems, context: "StringConverter") }
        encoding = Encoding(name: c.string("converter.encoding")!)!
    }

    public init(configuration: [String: String]) throws(ConfigError) { try self.init(configuration: configuration, isKey: false) }

    public func fromConnectData(topic: String, headers: Headers?, schema: Schema?, value: Value) throws(DataError) -> [UInt8]? {
        if value.isNull { return nil }
        let text: String
        switch value {
        case .string(let s): text = s
        case .float64(let d): text = JavaNumberFormat.string(d)
        case .float32(let f): text = JavaNumberFormat.string(f)
        default: text = value.description
        }
        return encode(text)
    }

    public func toConnectData(topic: String, headers: Headers?, value: [UInt8]?) throws(DataError) -> SchemaAndValue {
        guard let value else { return SchemaAndValue(schema: .optionalString, value: .null) }
        return SchemaAndValue(schema: .optionalString, value: .string(decode(value)))
    }

    public func fromConnectHeader(topic: String, headerKey: String, schema: Schema?, value: Value) throws(DataError) -> [UInt8]? {
        try fromConnectData(topic: topic, headers: nil, schema: schema, value: value)
    }

    public func toConnectHeader(topic: String, headerKey: String, value: [UInt8]?) throws(DataError) -> SchemaAndValue {
        try toConnectData(topic: topic, headers: nil, value: value)
    }

    func encode(_ s: String) -> [UInt8] {
        switch encoding {
        case .utf8: return Array(s.utf8)
        case .ascii: return s.unicodeScalars.map { $0.value < 0x80 ? UInt8($0.value) : 0x3F }
        case .latin1: return s.unicodeScalars.map { $0.value < 0x100 ? UInt8($0.value) : 0x3F }
        case .utf16, .utf16BE:
            var out: [UInt8] = encoding == .utf16 ? [0xFE, 0xFF] : []
            for u in s.utf16 { out.append(UInt8(u >> 8)); out.append(UInt8(u & 0xFF)) }
            return out
        case .utf16LE:
            var out: [UInt8] = []
            for u in s.utf16 { out.append(UInt8(u & 0xFF)); out.append(UInt8(u >> 8)) }
            return out
        }
    }

    func decode(_ b: [UInt8]) -> String {
        switch encoding {
        case .utf8: return String(decoding: b, as: UTF8.self)
        case .ascii: return String(String.UnicodeScalarView(b.map { Unicode.Scalar($0 < 0x80 ? $0 : 0x3F) }))
        case .latin1: return String(String.UnicodeScalarView(b.map { Unicode.Scalar($0) }))
        case .utf16, .utf16BE, .utf16LE:
            var bytes = b[...]
            var bigEndian = encoding != .utf16LE
            if encoding == .utf16, bytes.count >= 2 {
                if bytes.starts(with: [0xFE, 0xFF]) { bytes = bytes.dropFirst(2) }
                else if bytes.starts(with: [0xFF, 0xFE]) { bytes = bytes.dropFirst(2); bigEndian = false }
            }
            var units: [UInt16] = []
            var i = bytes.startIndex
            while i + 1 < bytes.endIndex {
                let a = UInt16(bytes[i]), c = UInt16(bytes[i + 1])
                units.append(bigEndian ? a << 8 | c : c << 8 | a)
                i += 2
            }
            return String(decoding: units, as: UTF16.self)
        }
    }
}

/// Raw bytes pass-through (`org.apache.kafka.connect.converters.ByteArrayConverter`).
public struct ByteArrayConverter: Converter, HeaderConverter {
    /// It never waits: the runtime calls its synchronous forms directly.
    public var convertsSynchronously: Bool { true }

    public static let configDef = ConfigDef()
        .define("converter.type", .string, default: .null, importance: .low, documentation: "key, value or header.")

    /// A byte array converter (it has no settings).
    public init() {}
    public init(configuration: [String: String], isKey: Bool) throws(ConfigError) {}
    public init(configuration: [String: String]) throws(ConfigError) {}

    public func fromConnectData(topic: String, headers: Headers?, schema: Schema?, value: Value) throws(DataError) -> [UInt8]? {
        if let schema, schema.type != .bytes { throw DataError("Invalid schema type for ByteArrayConverter: \(schema.type)", topic: topic) }
        switch value {
        case .null: return nil
        case .bytes(let b): return b
        default: throw DataError("ByteArrayConverter is not compatible with objects of type \(value.kindName)", topic: topic)
        }
    }

    public func toConnectData(topic: String, headers: Headers?, value: [UInt8]?) throws(DataError) -> SchemaAndValue {
        SchemaAndValue(schema: .optionalBytes, value: value.map(Value.bytes) ?? .null)
    }

    public func fromConnectHeader(topic: String, headerKey: String, schema: Schema?, value: Value) throws(DataError) -> [UInt8]? {
        try fromConnectData(topic: topic, headers: nil, schema: schema, value: value)
    }

    public func toConnectHeader(topic: String, headerKey: String, value: [UInt8]?) throws(DataError) -> SchemaAndValue {
        try toConnectData(topic: topic, headers: nil, value: value)
    }
}

/// Fixed-width big-endian numbers, like Kafka's `ShortConverter`, `IntegerConverter`,
/// `LongConverter`, `FloatConverter` and `DoubleConverter` (which use Kafka's number serializers).
public struct NumberConverter: Converter, HeaderConverter {
    /// It never waits: the runtime calls its synchronous forms directly.
    public var convertsSynchronously: Bool { true }

    /// The number type, named after Kafka's converter class (`number.kind`).
    public enum Kind: String, Sendable, CaseIterable {
        /// 16-bit signed integers, 2 bytes (`ShortConverter`, schema `INT16`).
        case short = "Short"
        /// 32-bit signed integers, 4 bytes (`IntegerConverter`, schema `INT32`).
        case integer = "Integer"
        /// 64-bit signed integers, 8 bytes (`LongConverter`, schema `INT64`).
        case long = "Long"
        /// 32-bit IEEE 754 floats, 4 bytes (`FloatConverter`, schema `FLOAT32`).
        case float = "Float"
        /// 64-bit IEEE 754 floats, 8 bytes (`DoubleConverter`, schema `FLOAT64`).
        case double = "Double"

        var schemaType: SchemaType {
            switch self {
            case .short: .int16
            case .integer: .int32
            case .long: .int64
            case .float: .float32
            case .double: .float64
            }
        }

        var width: Int {
            switch self {
            case .short: 2
            case .integer, .float: 4
            case .long, .double: 8
            }
        }

        var optionalSchema: Schema {
            switch self {
            case .short: .optionalInt16
            case .integer: .optionalInt32
            case .long: .optionalInt64
            case .float: .optionalFloat32
            case .double: .optionalFloat64
            }
        }
    }

    /// The number type and width this converter writes and reads.
    public let kind: Kind

    public static let configDef = ConfigDef()
        .define("converter.type", .string, default: .null, importance: .low, documentation: "key, value or header.")

    /// A converter for numbers of `kind`.
    public init(_ kind: Kind) { self.kind = kind }

    /// Number converters have no settings; `number.kind` (Short, Integer, Long, Float, Double) picks the
    /// width when created from configuration (the registry sets it from the class name).
    public init(configuration: [String: String], isKey: Bool) throws(ConfigError) {
        let name = configuration["number.kind"] ?? "Long"
        guard let k = Kind(rawValue: name) else {
            throw ConfigError(key: "number.kind", message: "Invalid value \(name) for configuration number.kind: must be one of Short, Integer, Long, Float, Double")
        }
        kind = k
    }

    public init(configuration: [String: String]) throws(ConfigError) { try self.init(configuration: configuration, isKey: false) }

    public func fromConnectData(topic: String, headers: Headers?, schema: Schema?, value: Value) throws(DataError) -> [UInt8]? {
        let bits: UInt64
        switch (kind, value) {
        case (_, .null): return nil
        case (.short, .int16(let v)): bits = UInt64(UInt16(bitPattern: v))
        case (.integer, .int32(let v)): bits = UInt64(UInt32(bitPattern: v))
        case (.long, .int64(let v)): bits = UInt64(bitPattern: v)
        case (.float, .float32(let v)): bits = UInt64(v.bitPattern)
        case (.double, .float64(let v)): bits = v.bitPattern
        default:
            throw DataError("Failed to serialize to \(kind.schemaType) (was \(value.kindName))", topic: topic)
        }
        var out = [UInt8](repeating: 0, count: kind.width)
        for i in 0..<kind.width { out[kind.width - 1 - i] = UInt8(truncatingIfNeeded: bits >> UInt64(i * 8)) }
        return out
    }

    public func toConnectData(topic: String, headers: Headers?, value: [UInt8]?) throws(DataError) -> SchemaAndValue {
        guard let value else { return SchemaAndValue(schema: kind.optionalSchema, value: .null) }
        guard value.count == kind.width else {
            throw DataError("Size of data received by \(kind.rawValue)Deserializer is not \(kind.width)", topic: topic)
        }
        var bits: UInt64 = 0
        for b in value { bits = bits << 8 | UInt64(b) }
        let v: Value
        switch kind {
        case .short: v = .int16(Int16(bitPattern: UInt16(truncatingIfNeeded: bits)))
        case .integer: v = .int32(Int32(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .long: v = .int64(Int64(bitPattern: bits))
        case .float: v = .float32(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .double: v = .float64(Double(bitPattern: bits))
        }
        return SchemaAndValue(schema: kind.optionalSchema, value: v)
    }

    public func fromConnectHeader(topic: String, headerKey: String, schema: Schema?, value: Value) throws(DataError) -> [UInt8]? {
        try fromConnectData(topic: topic, headers: nil, schema: schema, value: value)
    }

    public func toConnectHeader(topic: String, headerKey: String, value: [UInt8]?) throws(DataError) -> SchemaAndValue {
        try toConnectData(topic: topic, headers: nil, value: value)
    }
}
