/// A Connect data value: what `Object` is in Kafka Connect's Java API, as a closed Swift enum.
///
/// Logical types have their own cases: ``decimal(_:)`` for `Decimal`, ``date(_:)`` (days since the
/// epoch), ``time(_:)`` (milliseconds since midnight) and ``timestamp(_:)`` (milliseconds since the
/// epoch). Floating-point values compare by bit pattern, like Java's `Double.equals`, so `NaN == NaN`
/// and `0.0 != -0.0`. Maps compare without regard to entry order, like Java's `Map.equals`.
public enum Value: Sendable {
    /// No value (Java's `null`).
    case null
    /// An 8-bit signed integer (Kafka's `INT8`, Java's `Byte`).
    case int8(Int8)
    /// A 16-bit signed integer (Kafka's `INT16`, Java's `Short`).
    case int16(Int16)
    /// A 32-bit signed integer (Kafka's `INT32`, Java's `Integer`).
    case int32(Int32)
    /// A 64-bit signed integer (Kafka's `INT64`, Java's `Long`).
    case int64(Int64)
    /// A 32-bit float (Kafka's `FLOAT32`, Java's `Float`).
    case float32(Float)
    /// A 64-bit float (Kafka's `FLOAT64`, Java's `Double`).
    case float64(Double)
    /// A boolean (Kafka's `BOOLEAN`).
    case boolean(Bool)
    /// A string (Kafka's `STRING`).
    case string(String)
    /// A byte array (Kafka's `BYTES`, Java's `byte[]` or `ByteBuffer`).
    case bytes([UInt8])
    /// A list of values (Kafka's `ARRAY`, Java's `List`).
    case array([Value])
    /// Key/value entries in order (Kafka's `MAP`, Java's `Map`).
    case map(MapValue)
    /// A struct value (Kafka's `STRUCT`, Java's `Struct`).
    case `struct`(Struct)
    /// A decimal (the `Decimal` logical type, Java's `BigDecimal`); its physical type is `BYTES`.
    case decimal(BigDecimal)
    /// Days since 1970-01-01 (the `Date` logical type).
    case date(Int32)
    /// Milliseconds since midnight (the `Time` logical type).
    case time(Int32)
    /// Milliseconds since 1970-01-01T00:00:00Z (the `Timestamp` logical type).
    case timestamp(Int64)

    /// `true` for ``null``.
    @inlinable public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The name of this value's kind, for error messages (`INT32`, `STRING`, `STRUCT`, `DECIMAL`, `NULL`).
    public var kindName: String {
        switch self {
        case .null: "NULL"
        case .int8: "INT8"
        case .int16: "INT16"
        case .int32: "INT32"
        case .int64: "INT64"
        case .float32: "FLOAT32"
        case .float64: "FLOAT64"
        case .boolean: "BOOLEAN"
        case .string: "STRING"
        case .bytes: "BYTES"
        case .array: "ARRAY"
        case .map: "MAP"
        case .struct: "STRUCT"
        case .decimal: "DECIMAL"
        case .date: "DATE"
        case .time: "TIME"
        case .timestamp: "TIMESTAMP"
        }
    }

    /// The schema type a schemaless value of this kind maps to (Kafka's `ConnectSchema.schemaType`).
    public var inferredType: SchemaType? {
        switch self {
        case .null: nil
        case .int8: .int8
        case .int16: .int16
        case .int32, .date, .time: .int32
        case .int64, .timestamp: .int64
        case .float32: .float32
        case .float64: .float64
        case .boolean: .boolean
        case .string: .string
        case .bytes, .decimal: .bytes
        case .array: .array
        case .map: .map
        case .struct: .struct
        }
    }

    // MARK: Accessors

    /// The string of a ``string(_:)`` value; `nil` for any other case (nothing is converted).
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    /// The boolean of a ``boolean(_:)`` value; `nil` for any other case.
    public var boolValue: Bool? { if case .boolean(let b) = self { return b }; return nil }
    /// The struct of a ``struct(_:)`` value; `nil` for any other case.
    public var structValue: Struct? { if case .struct(let s) = self { return s }; return nil }
    /// The elements of an ``array(_:)`` value; `nil` for any other case.
    public var arrayValue: [Value]? { if case .array(let a) = self { return a }; return nil }
    /// The entries of a ``map(_:)`` value; `nil` for any other case.
    public var mapValue: MapValue? { if case .map(let m) = self { return m }; return nil }
    /// The bytes of a ``bytes(_:)`` value; `nil` for any other case (a decimal is not converted).
    public var bytesValue: [UInt8]? { if case .bytes(let b) = self { return b }; return nil }

    /// Any integer case widened to `Int64`.
    public var int64Value: Int64? {
        switch self {
        case .int8(let v): Int64(v)
        case .int16(let v): Int64(v)
        case .int32(let v): Int64(v)
        case .int64(let v): v
        default: nil
        }
    }

    /// Any numeric case as `Double`.
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        case .decimal(let d): d.doubleValue
        default: int64Value.map(Double.init)
        }
    }
}

// MARK: - Equality and hashing (Java semantics)

extension Value: Hashable {
    public static func == (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.int8(let a), .int8(let b)): a == b
        case (.int16(let a), .int16(let b)): a == b
        case (.int32(let a), .int32(let b)): a == b
        case (.int64(let a), .int64(let b)): a == b
        case (.float32(let a), .float32(let b)): a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN)
        case (.float64(let a), .float64(let b)): a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN)
        case (.boolean(let a), .boolean(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.bytes(let a), .bytes(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.map(let a), .map(let b)): a == b
        case (.struct(let a), .struct(let b)): a == b
        case (.decimal(let a), .decimal(let b)): a == b
        case (.date(let a), .date(let b)): a == b
        case (.time(let a), .time(let b)): a == b
        case (.timestamp(let a), .timestamp(let b)): a == b
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .int8(let v): hasher.combine(1); hasher.combine(v)
        case .int16(let v): hasher.combine(2); hasher.combine(v)
        case .int32(let v): hasher.combine(3); hasher.combine(v)
        case .int64(let v): hasher.combine(4); hasher.combine(v)
        case .float32(let v): hasher.combine(5); hasher.combine(v.isNaN ? Float.nan.bitPattern : v.bitPattern)
        case .float64(let v): hasher.combine(6); hasher.combine(v.isNaN ? Double.nan.bitPattern : v.bitPattern)
        case .boolean(let v): hasher.combine(7); hasher.combine(v)
        case .string(let v): hasher.combine(8); hasher.combine(v)
        case .bytes(let v): hasher.combine(9); hasher.combine(v)
        case .array(let v): hasher.combine(10); hasher.combine(v)
        case .map(let v): hasher.combine(11); hasher.combine(v)
        case .struct(let v): hasher.combine(12); hasher.combine(v)
        case .decimal(let v): hasher.combine(13); hasher.combine(v)
        case .date(let v): hasher.combine(14); hasher.combine(v)
        case .time(let v): hasher.combine(15); hasher.combine(v)
        case .timestamp(let v): hasher.combine(16); hasher.combine(v)
        }
    }
}

// MARK: - Literals

extension Value: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral,
    ExpressibleByArrayLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: Value...) { self = .array(elements) }
    public init(floatLiteral value: Double) { self = .float64(value) }
}

// MARK: - Description

extension Value: CustomStringConvertible {
    /// Readable text for logs: strings unquoted at the top level, structs as `Struct{a=1,b=x}`
    /// (null fields omitted, as Kafka prints them), bytes as hex.
    /// Java's `String.valueOf` of the value as a Kafka sink task holds it — the text Kafka's
    /// FileStreamSink writes: `Struct{id=1,name=ada}`, `[1, 2]`, `{k=v}` in `java.util.HashMap`
    /// order, dates as `java.util.Date.toString()` in the JVM's default zone (`TZ`, else the
    /// system's: `Mon Jan 01 00:00:00 UTC 2024`), Java's number texts; bytes as `0x…` hex (Java
    /// prints an identity such as `[B@1b6d3586`).
    public var description: String { JavaObjectText.string(self, zone: .default) }
}

/// One entry of a ``MapValue``.
public struct MapEntry: Sendable, Hashable {
    /// The entry's key; any ``Value``, `null` included.
    public var key: Value
    /// The entry's value.
    public var value: Value

    /// An entry mapping `key` to `value`.
    @inlinable public init(key: Value, value: Value) {
        self.key = key
        self.value = value
    }
}

/// An ordered list of map entries. Keys may be any ``Value``; entry order is kept (serializers
/// write entries in this order) but is ignored by `==`, like Java's `Map.equals`.
public struct MapValue: Sendable, Hashable, ExpressibleByDictionaryLiteral, Sequence {
    /// The entries in order; a key may repeat, and ``subscript(_:)`` reads its last entry.
    public var entries: [MapEntry]

    /// A map of these entries, in this order (empty by default).
    public init(entries: [MapEntry] = []) { self.entries = entries }

    /// A map of these key/value pairs, in this order.
    public init(_ pairs: [(key: Value, value: Value)]) { entries = pairs.map { MapEntry(key: $0.key, value: $0.value) } }

    public init(dictionaryLiteral elements: (Value, Value)...) {
        entries = elements.map { MapEntry(key: $0.0, value: $0.1) }
    }

    /// A map with string keys, in the dictionary's iteration order.
    public init(_ dictionary: [String: Value]) {
        entries = dictionary.map { MapEntry(key: .string($0.key), value: $0.value) }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    public func makeIterator() -> IndexingIterator<[MapEntry]> { entries.makeIterator() }

    /// The value of the last entry with this key (later entries replace earlier ones).
    public subscript(key: Value) -> Value? {
        get { entries.last(where: { $0.key == key })?.value }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append(MapEntry(key: key, value: newValue))
            }
        }
    }

    /// Sets a key, replacing an existing entry in place or appending.
    public mutating func put(_ key: Value, _ value: Value) { self[key] = value }

    public static func == (lhs: MapValue, rhs: MapValue) -> Bool {
        let l = lhs.deduplicated, r = rhs.deduplicated
        guard l.count == r.count else { return false }
        for (k, v) in l where r[k] != v { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(unorderedHash(deduplicated.map { ($0.key, $0.value) }))
    }

    private var deduplicated: [Value: Value] {
        var d: [Value: Value] = [:]
        d.reserveCapacity(entries.count)
        for e in entries { d[e.key] = e.value }
        return d
    }
}
