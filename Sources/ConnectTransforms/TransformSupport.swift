import ConnectKit
import Synchronization

/// Which part of a record a `$Key` / `$Value` transformation works on.
public enum RecordSide: Sendable {
    case key, value

    func schema<R: ConnectRecord>(_ r: R) -> Schema? { self == .key ? r.keySchema : r.valueSchema }
    func value<R: ConnectRecord>(_ r: R) -> ConnectKit.Value { self == .key ? r.key : r.value }

    /// Kafka's `newRecord` with the operated part replaced (topic, partition, timestamp, headers kept).
    func replace<R: ConnectRecord>(_ r: R, schema: Schema?, value: ConnectKit.Value) -> R {
        var out = r
        if self == .key {
            out.keySchema = schema
            out.key = value
        } else {
            out.valueSchema = schema
            out.value = value
        }
        return out
    }
}

/// The Java class Kafka would name for a value in its error messages.
func javaClassName(_ v: ConnectKit.Value) -> String {
    switch v {
    case .null: "null"
    case .int8: "java.lang.Byte"
    case .int16: "java.lang.Short"
    case .int32: "java.lang.Integer"
    case .int64: "java.lang.Long"
    case .float32: "java.lang.Float"
    case .float64: "java.lang.Double"
    case .boolean: "java.lang.Boolean"
    case .string: "java.lang.String"
    case .bytes: "[B"
    case .array: "java.util.ArrayList"
    case .map: "java.util.HashMap"
    case .struct: "org.apache.kafka.connect.data.Struct"
    case .decimal: "java.math.BigDecimal"
    case .date, .time, .timestamp: "java.util.Date"
    }
}

/// Kafka's `Requirements`.
enum Require {
    static func schema(_ s: Schema?, _ purpose: String) throws(DataError) -> Schema {
        guard let s else { throw DataError("Schema required for [\(purpose)]") }
        return s
    }

    static func map(_ v: ConnectKit.Value, _ purpose: String) throws(DataError) -> MapValue {
        guard case .map(let m) = v else {
            throw DataError("Only Map objects supported in absence of schema for [\(purpose)], found: \(javaClassName(v))")
        }
        return m
    }

    static func `struct`(_ v: ConnectKit.Value, _ purpose: String) throws(DataError) -> Struct {
        guard case .struct(let s) = v else { throw DataError("Only Struct objects supported for [\(purpose)], found: \(javaClassName(v))") }
        return s
    }

    static func sinkRecord<R: ConnectRecord>(_ r: R, _ purpose: String) throws(DataError) -> SinkRecord {
        guard let s = r as? SinkRecord else { throw DataError("Only SinkRecord supported for [\(purpose)], found: \(type(of: r))") }
        return s
    }
}

/// Kafka's `SchemaUtil.copySchemaBasics`: name, version, doc and parameters onto a builder.
func copyBasics(_ source: Schema, _ builder: SchemaBuilder) -> SchemaBuilder {
    var b = builder
    if let n = source.name { b = b.name(n) }
    if let v = source.version { b = b.version(v) }
    if let d = source.doc { b = b.doc(d) }
    if let p = source.parameters { b = b.parameters(p) }
    return b
}

/// Updated schemas per input schema (Kafka's `SynchronizedCache<LRUCache<Schema, Schema>>(16)`), so
/// a derived schema is computed once per input schema, not once per record.
final class SchemaCache: Sendable {
    private let cache = Mutex(LRUCache<ObjectIdentifier, (Schema, Schema)>(capacity: 16))

    func get(_ input: Schema, _ make: () throws(DataError) -> Schema) throws(DataError) -> Schema {
        if let (key, hit) = cache.withLock({ $0[ObjectIdentifier(input)] }), key === input { return hit }
        let made = try make()
        cache.withLock { $0[ObjectIdentifier(input)] = (input, made) }
        return made
    }
}

/// A key of a schemaless map value.
extension MapValue {
    func get(_ name: String) -> ConnectKit.Value? { self[.string(name)] }
}

/// Parses a transformation's configuration with its ConfigDef, rethrowing Kafka-style problems.
func parse(_ def: ConfigDef, _ configuration: [String: String]) throws(ConfigError) -> ParsedConfig {
    try def.parse(configuration)
}

/// Kafka's `NonEmptyListValidator`.
let nonEmptyList = ConfigValidator(description: "non-empty list") { name, v in
    if case .list(let l) = v, !l.isEmpty { return nil }
    return "__NONEMPTY__"
}

/// Builds a struct value positionally without re-validating (values come from valid structs).
func makeStruct(_ schema: Schema, _ values: [ConnectKit.Value]) -> Struct { Struct(unchecked: schema, values: values) }

/// Java's `String.hashCode`.
func javaHash(_ s: String) -> Int32 {
    var h: Int32 = 0
    for unit in s.utf16 { h = h &* 31 &+ Int32(unit) }
    return h
}

/// The order in which a Java `HashMap`/`HashSet` (default capacity, grown as Java grows it) iterates
/// these keys — what Kafka's schemaless code paths follow, and so the first failure they report.
func javaHashOrder(_ keys: [String]) -> [String] {
    var unique: [String] = []
    for k in keys where !unique.contains(k) { unique.append(k) }
    var capacity = 16
    while Double(unique.count) > Double(capacity) * 0.75 { capacity *= 2 }
    func bucket(_ k: String) -> Int {
        let h = javaHash(k)
        let spread = h ^ Int32(bitPattern: UInt32(bitPattern: h) >> 16)
        return Int(spread & Int32(capacity - 1))
    }
    return unique.enumerated().sorted { a, b in
        let (ba, bb) = (bucket(a.element), bucket(b.element))
        return ba != bb ? ba < bb : a.offset < b.offset
    }.map(\.element)
}
