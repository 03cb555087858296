import ConnectAvro
import ConnectKit
import Foundation
import Testing

/// 600 seeded random schemas and 1800 datums made by Apache Avro 1.11's own classes
/// (scripts/gen-avro-vectors.sh): canonical form, fingerprint, binary and JSON encodings.
struct AvroVector: Sendable, CustomTestStringConvertible {
    let id: String
    let schema: String
    let canonical: String
    let fingerprint: UInt64
    let data: [(binary: [UInt8], json: String)]
    var testDescription: String { id }

    static let all: [AvroVector] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/avro.jsonl")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            let o = try! JSONValue.parse(String(line))
            let data: [(binary: [UInt8], json: String)] = {
                guard case .array(let items)? = o["data"] else { return [] }
                return items.map { d in (hex(d["binary"]!.stringValue!), d["json"]!.stringValue!) }
            }()
            return AvroVector(id: o["id"]!.stringValue!, schema: o["schema"]!.stringValue!, canonical: o["canonical"]!.stringValue!,
                              fingerprint: UInt64(o["fingerprint"]!.stringValue!)!, data: data)
        }
    }()

    static func hex(_ s: String) -> [UInt8] { Hex.bytes(s)! }
}

@Suite("Avro against Apache Avro 1.11's own classes (randomized vectors)")
struct AvroVectorTests {
    @Test("there are at least 600 schemas and 1800 datums")
    func counts() {
        #expect(AvroVector.all.count >= 600)
        #expect(AvroVector.all.reduce(0) { $0 + $1.data.count } >= 1800)
    }

    @Test("Parsing Canonical Form and CRC-64-AVRO fingerprints match Avro's SchemaNormalization")
    func canonicalForms() throws {
        for v in AvroVector.all {
            let schema = try AvroSchema.parse(v.schema)
            #expect(schema.canonicalForm == v.canonical, "\(v.id)")
            #expect(schema.fingerprint64 == v.fingerprint, "\(v.id)")
        }
    }

    @Test("binary decoding then encoding gives Avro's bytes; Avro's JSON encoding read and encoded gives them too")
    func encodings() throws {
        for v in AvroVector.all {
            let schema = try AvroSchema.parse(v.schema)
            for (i, d) in v.data.enumerated() {
                let decoded = try AvroValue.decode(d.binary, schema)
                #expect(try decoded.encoded(schema) == d.binary, "\(v.id) datum \(i)")
                // Avro's JsonEncoder writes nothing at all for a record without fields; its JSON is {}.
                let fromJSON = try AvroValue.fromJSON(try JSONValue.parse(d.json.isEmpty ? "{}" : d.json), schema)
                #expect(try fromJSON.encoded(schema) == d.binary, "\(v.id) datum \(i): \(d.json)")
            }
        }
    }

    @Test("the specification's fingerprint of \"int\" and of the empty string")
    func knownFingerprints() throws {
        #expect(AvroFingerprint.crc64([]) == AvroFingerprint.empty)
        #expect(try AvroSchema.parse("\"int\"").fingerprint64 == 0x7275_d51a_3f39_5c8f)
    }

    @Test("bad input: truncated bytes, trailing bytes, a union branch out of range, an undefined name — each named")
    func badInput() throws {
        let schema = try AvroSchema.parse(#"{"type":"record","name":"r","fields":[{"name":"a","type":["null","long"]},{"name":"s","type":"string"}]}"#)
        #expect(throws: AvroDataError.self) { try AvroValue.decode([0x02, 0x02, 0x08, 0x61], schema) }  // string of 4 bytes, 1 left
        #expect(throws: AvroDataError.self) { try AvroValue.decode([0x00, 0x00, 0x00], schema) }
        do {
            _ = try AvroValue.decode([0x06, 0x00], schema)
            Issue.record("branch 3 of 2 must fail")
        } catch {
            #expect(error.description == "union branch 3 of 2 (byte offset 1)")
        }
        #expect(throws: AvroSchemaError.self) { try AvroSchema.parse(#"{"type":"record","name":"r","fields":[{"name":"a","type":"Missing"}]}"#) }
        #expect(throws: AvroSchemaError.self) { try AvroSchema.parse(#"["int","int"]"#) }
    }
}

@Suite("Avro schema resolution against Avro's GenericDatumReader (randomized vectors)")
struct AvroResolutionTests {
    @Test("400 writer/reader pairs (fields dropped, added with defaults, reordered; promotions; enum symbols; unions): Avro's values")
    func resolution() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/resolution.jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines.count >= 400)
        for line in lines {
            let o = try JSONValue.parse(String(line))
            let id = o["id"]!.stringValue!
            let writer = try AvroSchema.parse(o["writer"]!.stringValue!)
            let reader = try AvroSchema.parse(o["reader"]!.stringValue!)
            guard case .array(let data)? = o["data"] else { continue }
            for d in data {
                let written = AvroVector.hex(d["written"]!.stringValue!)
                if let expected = d["read"]?.stringValue {
                    let value = try AvroValue.decode(written, writer: writer, reader: reader)
                    #expect(try value.encoded(reader) == AvroVector.hex(expected), "\(id)")
                } else {
                    #expect(throws: AvroDataError.self, "\(id)") { try AvroValue.decode(written, writer: writer, reader: reader) }
                }
            }
        }
    }

    @Test("schemas that do not match are named")
    func mismatches() throws {
        let w = try AvroSchema.parse(#"{"type":"record","name":"r","fields":[{"name":"a","type":"string"}]}"#)
        let r = try AvroSchema.parse(#"{"type":"record","name":"r","fields":[{"name":"a","type":"int"}]}"#)
        #expect(throws: AvroDataError.self) { try AvroValue.decode([0x02, 0x61], writer: w, reader: r) }
        let noDefault = try AvroSchema.parse(#"{"type":"record","name":"r","fields":[{"name":"b","type":"int"}]}"#)
        do {
            _ = try AvroValue.decode([0x02, 0x61], writer: w, reader: noDefault)
            Issue.record("a reader field without default must fail")
        } catch {
            #expect(error.message == "r.b is not in the writer's schema and has no default")
        }
    }
}
