import Foundation
import Testing

@testable import ConnectKit

/// Golden vectors from Kafka 4.3's SimpleHeaderConverter, StringConverter and number converters
/// (scripts/vectors/OtherConverterVectors.java).
struct OtherVector: CustomTestStringConvertible, Sendable {
    let id: String
    let raw: [String: SendableBox]
    var testDescription: String { id }
    subscript(_ key: String) -> Any? { raw[key]?.value }

    static let all: [OtherVector] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/other-converters.jsonl")
        return try! String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
            let obj = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return OtherVector(id: obj["id"] as! String, raw: obj.mapValues { SendableBox($0) })
        }
    }()

    static func of(_ kind: String) -> [OtherVector] { all.filter { $0["kind"] as? String == kind } }
}

@Suite("Kafka header, string and number converter vectors")
struct OtherConverterGoldenTests {
    @Test("SimpleHeaderConverter writes Kafka's text", arguments: OtherVector.of("headerFormat"))
    func headerFormat(_ v: OtherVector) throws {
        let schema = try decodeSchema(v["schema"])
        let value = decodeValue(v["value"], schema)
        let bytes = try SimpleHeaderConverter().fromConnectHeader(topic: "topic", headerKey: "h", schema: schema, value: value)
        #expect(bytes.map { String(decoding: $0, as: UTF8.self) } == v["text"] as? String)
    }

    /// "null": Kafka's SimpleHeaderConverter returns a null SchemaAndValue (this generator then
    /// fails on it, hence its recorded NullPointerException); the worker adds a null header, as
    /// ``SchemaAndValue/null`` does here.
    static let deviations: Set<String> = ["parse/2"]

    @Test("SimpleHeaderConverter infers like Kafka", arguments: OtherVector.of("headerParse"))
    func headerParse(_ v: OtherVector) throws {
        let input = Array((v["input"] as! String).utf8)
        let ours = try SimpleHeaderConverter().toConnectHeader(topic: "topic", headerKey: "h", value: input)
        if OtherConverterGoldenTests.deviations.contains(v.id) {
            #expect(ours.value == .null && ours.schema == nil)
            return
        }
        let r = v["result"] as! [String: Any]
        let schema = try decodeSchema(r["schema"])
        #expect(ours.schema == schema)
        #expect(ours.value == decodeValue(r["value"], schema))
    }

    @Test("number converters write Kafka's bytes", arguments: OtherVector.of("number"))
    func numbers(_ v: OtherVector) throws {
        let kind = NumberConverter.Kind(rawValue: v["converter"] as! String)!
        let value = decodeValue(v["value"], nil)
        let c = NumberConverter(kind)
        let bytes = try c.fromConnectData(topic: "t", schema: nil, value: value)
        #expect(bytes == Hex.bytes(v["hex"] as! String)!)
        #expect(try c.toConnectData(topic: "t", value: bytes).value == value)
    }

    @Test("StringConverter encodes like Java charsets", arguments: OtherVector.of("string"))
    func strings(_ v: OtherVector) throws {
        let c = try StringConverter(configuration: ["converter.encoding": v["encoding"] as! String], isKey: false)
        let bytes = try c.fromConnectData(topic: "t", schema: .string, value: .string(v["text"] as! String))
        #expect(bytes == Hex.bytes(v["hex"] as! String)!)
    }
}
