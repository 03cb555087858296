import Foundation
import Testing

@testable import ConnectKit

/// Golden vectors produced by Apache Kafka 4.3's own `JsonConverter` (scripts/gen-json-vectors.sh).
/// Each serialize case is checked byte-for-byte, then Kafka's bytes are read back with our converter
/// and compared with what Kafka itself read back. Deserialize cases feed hand-written JSON to both.
struct GoldenVector: CustomTestStringConvertible, Sendable {
    let id: String
    let raw: [String: any Sendable]
    var testDescription: String { id }

    static let all: [GoldenVector] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/json-converter.jsonl")
        let text = try! String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let obj = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return GoldenVector(id: obj["id"] as! String, raw: obj.mapValues { SendableBox($0) })
        }
    }()

    subscript(_ key: String) -> Any? { (raw[key] as? SendableBox)?.value }
}

struct SendableBox: @unchecked Sendable { let value: Any; init(_ v: Any) { value = v } }

/// Known, deliberate differences from Kafka, each explained.
enum Deviation {
    /// Kafka (Jackson) reads the strings "NaN"/"Infinity" back as 0.0; we read NaN/Infinity.
    static func nonFiniteReadBack(_ v: GoldenVector) -> Bool {
        (v.id.contains("NaN") || v.id.contains("Infinity")) && v.id.hasSuffix("/schemas")
    }
    /// Kafka wraps an integer beyond int64 silently (BigInteger.longValue); we reject it.
    static let rejectedOverflow: Set<String> = ["plain/7"]
    /// Kafka reads the string "NaN" into a float64 schema as 0.0; we read NaN.
    static let nanString: Set<String> = ["envelope/13"]
}

func decodeSchema(_ spec: Any?) throws -> Schema? {
    guard let o = spec as? [String: Any] else { return nil }
    let type = o["type"] as! String
    var b: SchemaBuilder
    switch type {
    case "int8": b = .int8()
    case "int16": b = .int16()
    case "int32": b = .int32()
    case "int64": b = .int64()
    case "float32": b = .float32()
    case "float64": b = .float64()
    case "boolean": b = .bool()
    case "string": b = .string()
    case "bytes": b = .bytes()
    case "array": b = .array(try decodeSchema(o["items"]))
    case "map": b = .map(try decodeSchema(o["keys"]), try decodeSchema(o["values"]))
    case "struct":
        b = .struct()
        for f in o["fields"] as! [[String: Any]] { b = b.field(f["name"] as! String, try decodeSchema(f["schema"])!) }
    default: fatalError("unknown type \(type)")
    }
    if o["optional"] as! Bool { b = b.optional() }
    if let n = o["name"] as? String { b = b.name(n) }
    if let v = o["version"] as? Int { b = b.version(Int32(v)) }
    if let d = o["doc"] as? String { b = b.doc(d) }
    if let ps = o["parameters"] as? [[String]] { for p in ps { b = b.parameter(p[0], p[1]) } }
    if let d = o["default"], !(d is NSNull) {
        let s = try b.build()
        b = b.defaultValue(decodeValue(d, s))
    }
    // Kafka's parser makes arrays and maps without element schemas (SchemaBuilder.arrayOfNull),
    // which a builder only makes unchecked.
    if (type == "array" && o["items"] is NSNull) || (type == "map" && (o["keys"] is NSNull || o["values"] is NSNull)) {
        return b.buildUnchecked()
    }
    return try b.build()
}

func decodeValue(_ spec: Any?, _ schema: Schema?) -> Value {
    guard let o = spec as? [String: Any] else { return .null }
    let t = o["t"] as! String
    func s(_ k: String) -> String { o[k] as! String }
    switch t {
    case "int8": return .int8(Int8(s("v"))!)
    case "int16": return .int16(Int16(s("v"))!)
    case "int32": return .int32(Int32(s("v"))!)
    case "int64": return .int64(Int64(s("v"))!)
    case "float32": return .float32(Float(bitPattern: UInt32(bitPattern: Int32(s("bits"))!)))
    case "float64": return .float64(Double(bitPattern: UInt64(bitPattern: Int64(s("bits"))!)))
    case "boolean": return .boolean(o["v"] as! Bool)
    case "string": return .string(s("v"))
    case "bytes": return .bytes(Array(Data(base64Encoded: s("b64"))!))
    case "array": return .array((o["v"] as! [Any]).map { decodeValue($0, schema?.valueSchema) })
    case "map":
        return .map(MapValue((o["v"] as! [[Any]]).map { (key: decodeValue($0[0], schema?.keySchema), value: decodeValue($0[1], schema?.valueSchema)) }))
    case "struct":
        let vals = (o["v"] as! [Any]).enumerated().map { decodeValue($0.element, schema!.fields[$0.offset].schema) }
        return .struct(Struct(unchecked: schema!, values: vals))
    case "decimal": return .decimal(BigDecimal(unscaled: BigInt(s("unscaled"))!, scale: Int32(s("scale"))!))
    case "date": return .date(Int32(s("v"))!)
    case "time": return .time(Int32(s("v"))!)
    case "timestamp": return .timestamp(Int64(s("v"))!)
    // A java.util.Date without a logical schema to read it by.
    case "javadate": return .timestamp(Int64(s("ms"))!)
    default: fatalError("unknown value kind \(t)")
    }
}

func converter(_ config: Any?) throws -> JSONConverter {
    try JSONConverter(configuration: config as! [String: String], isKey: false)
}

@Suite("JsonConverter golden vectors (Kafka 4.3)")
struct JSONConverterGoldenTests {
    @Test func vectorFileHasEnoughCases() {
        #expect(GoldenVector.all.count >= 200)
    }

    @Test("serialize byte-identical", arguments: GoldenVector.all.filter { $0["kind"] as? String == "serialize" })
    func serialize(_ v: GoldenVector) throws {
        let schema = try decodeSchema(v["schema"])
        let value = decodeValue(v["value"], schema)
        let c = try converter(v["config"])
        if let err = v["error"] as? String {
            let e = #expect(throws: DataError.self, "Kafka failed with \(err)") {
                _ = try c.fromConnectData(topic: "topic", schema: schema, value: value)
            }
            let kafka = err.replacingOccurrences(of: "DataException: ", with: "")
            #expect(e?.message.hasPrefix(kafka) == true, "expected Kafka's message: \(kafka)")
            return
        }
        let ours = try c.fromConnectData(topic: "topic", schema: schema, value: value)
        let expected = v["json"] as? String
        let oursText = ours.map { String(decoding: $0, as: UTF8.self) }
        if v["jdk17NonShortest"] as? Bool == true {
            // JDK 17 printed extra digits; we print the shortest form (JDK >= 19). Same numbers, fewer digits.
            #expect(oursText != nil)
            #expect((oursText?.count ?? 0) <= (expected?.count ?? 0))
            if !c.schemasEnabled, case .float32(let f) = value {
                #expect(oursText.flatMap { Float($0) } == f)
            } else {
                let back = try c.toConnectData(topic: "topic", value: ours)
                let kafkaBack = try c.toConnectData(topic: "topic", value: expected.map { Array($0.utf8) })
                #expect(back == kafkaBack)
            }
        } else {
            #expect(oursText == expected)
        }
    }

    @Test("read back what Kafka wrote", arguments: GoldenVector.all.filter { $0["kind"] as? String == "serialize" && $0["json"] != nil })
    func readBack(_ v: GoldenVector) throws {
        guard let json = v["json"] as? String else { return }  // null payload
        let c = try converter(v["config"])
        let ours = try c.toConnectData(topic: "topic", value: Array(json.utf8))
        if let rt = v["roundtrip"] as? [String: Any] {
            let schema = try decodeSchema(rt["schema"])
            #expect(ours.schema == schema)
            if Deviation.nonFiniteReadBack(v) {
                #expect(ours.value.doubleValue.map { !$0.isFinite } == true)
            } else {
                #expect(ours.value == decodeValue(rt["value"], schema))
            }
        } else {
            Issue.record("Kafka could not read back its own output: \(v["roundtripError"] ?? "")")
        }
    }

    @Test("deserialize like Kafka", arguments: GoldenVector.all.filter { $0["kind"] as? String == "deserialize" })
    func deserialize(_ v: GoldenVector) throws {
        let c = try converter(v["config"])
        let input = Array((v["input"] as! String).utf8)
        if let err = v["error"] as? String {
            let e = #expect(throws: DataError.self, "Kafka failed with \(err)") {
                _ = try c.toConnectData(topic: "orders", value: input)
            }
            #expect(e?.topic == "orders")
            if v.id.hasPrefix("malformed/") {
                #expect(e?.byteOffset != nil, "malformed input must name the byte offset")
            } else {
                // Same message as Kafka's DataException (ours may add the field and offset).
                let kafka = err.replacingOccurrences(of: "DataException: ", with: "")
                #expect(e?.message.hasPrefix(kafka) == true, "expected Kafka's message: \(kafka)")
            }
            return
        }
        if Deviation.rejectedOverflow.contains(v.id) {
            let e = #expect(throws: DataError.self) { _ = try c.toConnectData(topic: "orders", value: input) }
            #expect(e?.byteOffset == 0)
            return
        }
        let ours = try c.toConnectData(topic: "orders", value: input)
        let r = v["result"] as! [String: Any]
        let schema = try decodeSchema(r["schema"])
        #expect(ours.schema == schema)
        if Deviation.nanString.contains(v.id) {
            #expect(ours.value.doubleValue?.isNaN == true)
        } else {
            #expect(ours.value == decodeValue(r["value"], schema))
        }
    }
}
