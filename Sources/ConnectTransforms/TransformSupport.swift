import ConnectKit
import Synchronization

/// Which part of a record a `$Key` / `$Value` transformation works on.
public enum RecordSide: Sendable {
    /// The record's key (`$Key`) or value (`$Value`).
    case key, value

    func schema<R: ConnectRecord>(_ r: R) -> Schema? { self == .key ? r.keySchema : r.valueSchema }
    func value<R: ConnectRecord>(_ r: R) -> ConnectKit.Value { self == .key ? r.key : r.value }

    /// Moves the operated key or value out of the record (leaving null), so that the caller holds
    /// the only reference and can change it in place.
    func take<R: ConnectRecord>(_ r: inout R) -> Value {
        switch self {
        case .key:
            let v = r.key
            r.key = .null
            return v
        case .value:
            let v = r.value
            r.value = .null
            return v
        }
    }

    /// Kafka's `newRecord` with the operated part replaced (topic, partition, timestamp, headers kept).
    /// Takes the record by value so that a uniquely held record is changed in place, not copied.
    func replace<R: ConnectRecord>(_ r: consuming R, schema: Schema?, value: Value) -> R {
        var out = consume r
        switch self {
        case .key:
            out.keySchema = schema
            out.key = value
        case .value:
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

/// What a transformation derives from an input schema (the updated schema, field positions),
/// computed once per input schema and not once per record — Kafka's
/// `SynchronizedCache<LRUCache<Schema, Schema>>(16)`. Schemas are compared by identity first
/// (converters and upstream transformations hand out the same schema object), then by value.
final class PlanCache<Plan: Sendable>: Sendable {
    private let entries = Mutex<[(key: Schema, plan: Plan)]>([])
    static var capacity: Int { 16 }

    func get(_ input: Schema, _ make: () throws(DataError) -> Plan) throws(DataError) -> Plan {
        let hit = entries.withLock { e -> Plan? in
            for entry in e where entry.key === input { return entry.plan }
            for entry in e where entry.key == input { return entry.plan }
            return nil
        }
        if let hit { return hit }
        let made = try make()
        entries.withLock { e in
            if e.count >= Self.capacity { e.removeFirst() }
            e.append((input, made))
        }
        return made
    }
}

typealias SchemaCache = PlanCache<Schema>

/// A key of a schemaless map value.
extension MapValue {
    func get(_ name: String) -> ConnectKit.Value? { self[.string(name)] }
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

/// Positions of the fields whose schema has a default: Kafka's `Struct.get(field)` returns the
/// default for a null there, and transformations copy what `get` returns.
func defaultedFields(_ schema: Schema) -> [Int] {
    schema.fields.filter { $0.schema.defaultValue != nil }.map(\.index)
}

extension Struct {
    /// This struct as a struct of `schema`, the record's schema, which transformations index by
    /// position: itself when it has that schema; otherwise (a connector's mistake) its values read
    /// by name, as Kafka's `Struct.get(String)` reads them, so that a field it lacks fails with
    /// Kafka's error instead of an index past its values.
    func conforming(to schema: Schema) throws(DataError) -> Struct {
        if self.schema === schema || self.schema == schema { return self }
        var values: [Value] = []
        values.reserveCapacity(schema.fields.count)
        for f in schema.fields { values.append(try getWithoutDefault(f.name)) }
        return Struct(unchecked: schema, values: values)
    }
}

/// The struct inside a value, moved out of it (Kafka's `requireStruct`).
func takeStruct(_ v: consuming Value, _ purpose: String) throws(DataError) -> Struct {
    switch consume v {
    case .struct(let s): return s
    case let other: throw DataError("Only Struct objects supported for [\(purpose)], found: \(javaClassName(other))")
    }
}

/// Moves an element out of an array, leaving null (no reference counting).
@inline(__always)
func take(_ slot: inout Value) -> Value {
    var out = Value.null
    swap(&out, &slot)
    return out
}
