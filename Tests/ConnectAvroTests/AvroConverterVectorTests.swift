import ConnectKit
import Foundation
import Testing

@testable import ConnectAvro

/// Vectors made with Confluent's AvroConverter and AvroData 7.0.16 (scripts/gen-avro-vectors.sh,
/// scripts/vectors/AvroConnectVectors.java).
enum ConnectVectors {
    static func lines(_ name: String) -> [JSONValue] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/\(name)")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { try! JSONValue.parse(String($0)) }
    }

    static func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    /// Connect data from a JsonConverter envelope (schemas on, nulls kept).
    static let envelope = JSONConverter(replaceNullWithDefault: false)

    /// The envelope text with every map's entries sorted by key (Java's HashMap order is not data).
    static func text(_ sv: SchemaAndValue) throws -> String {
        String(decoding: try envelope.fromConnectData(topic: "t", schema: sv.schema, value: sorted(sv.value)) ?? [], as: UTF8.self)
    }

    static func canonical(_ envelopeText: String) throws -> String {
        try text(envelope.toConnectData(topic: "t", value: Array(envelopeText.utf8)))
    }

    static func sorted(_ v: Value) -> Value {
        switch v {
        case .array(let xs): return .array(xs.map(sorted))
        case .map(let m):
            return .map(MapValue(entries: m.entries.map { MapEntry(key: sorted($0.key), value: sorted($0.value)) }
                .sorted { "\($0.key)" < "\($1.key)" }))
        case .struct(let s):
            var out = s
            for f in s.schema.fields { try? out.put(f, sorted(s.values[f.index])) }
            return .struct(out)
        default: return v
        }
    }
}

@Suite("AvroConverter against Confluent's AvroConverter 7.0.16 (randomized vectors)")
struct AvroConverterVectorTests {
    @Test("Connect data → bytes, registered Avro schema and the Connect data read back equal Confluent's")
    func converterVectors() async throws {
        let vectors = ConnectVectors.lines("connect.jsonl")
        #expect(vectors.count >= 300)
        var failures: [String] = []
        for (n, v) in vectors.enumerated() {
            // Long CPU work: let the other suites' tasks run now and then (two cooperative threads).
            if n % 25 == 0 { await Task.yield() }
            let id = v["id"]!.stringValue!
            var config: [String: String] = [:]
            if case .object(let m)? = v["config"] { for (k, x) in m { config[k] = x.stringValue } }
            config["schema.registry.url"] = "mock://vectors-\(id)"
            let isKey = v["isKey"] == .bool(true)
            let topic = v["topic"]!.stringValue!
            let registry = AvroConverter.mockRegistry(scope: "vectors-\(id)")
            if case .number(let n)? = v["preRegistered"], let pre = Int(n) {
                for p in 0..<pre { _ = try await registry.register(subject: "other", schema: "{\"type\":\"fixed\",\"name\":\"F\(p)\",\"size\":1}") }
            }
            let converter = try AvroConverter(configuration: config, isKey: isKey)
            let input = try ConnectVectors.envelope.toConnectData(topic: topic, value: Array(v["input"]!.stringValue!.utf8))
            do {
                let bytes = try await converter.serialize(topic: topic, headers: nil, schema: input.schema, value: input.value)
                if let e = v["error"]?.stringValue {
                    failures.append("\(id): expected error \(e), got \(bytes.map(ConnectVectors.hex) ?? "null")")
                    continue
                }
                guard let expected = v["bytes"]?.stringValue else {
                    if bytes != nil { failures.append("\(id): expected a null payload") }
                    continue
                }
                guard let bytes else { failures.append("\(id): null payload"); continue }
                if ConnectVectors.hex(bytes) != expected { failures.append("\(id): bytes \(ConnectVectors.hex(bytes)) != \(expected)") }
                // The general walk (schemaless data, fallbacks, the public API) writes the same bytes as the compiled one.
                let avroText = v["avroSchema"]!.stringValue!
                if let parsed = try? AvroSchema.parse(avroText), !(avroText.hasPrefix("\"bytes\"") || avroText.hasPrefix("{\"type\":\"bytes\"")) {
                    var general: [UInt8] = []
                    try converter.avroData.encode(input.value, schema: input.schema, avro: parsed, into: &general)
                    if general != Array(bytes[5...]) { failures.append("\(id): the general walk wrote \(ConnectVectors.hex(general))") }
                }
                let schemaID = Int32(bytes[1]) << 24 | Int32(bytes[2]) << 16 | Int32(bytes[3]) << 8 | Int32(bytes[4])
                let registered = try await registry.schema(id: schemaID)
                if registered != v["avroSchema"]!.stringValue! { failures.append("\(id): schema\n  \(registered)\n  \(v["avroSchema"]!.stringValue!)") }
                let back = try await converter.deserialize(topic: topic, headers: nil, value: Array(AvroVector.hex(expected)))
                let text = try ConnectVectors.text(back)
                let want = try ConnectVectors.canonical(v["readBack"]!.stringValue!)
                if text != want { failures.append("\(id): read back\n  \(text)\n  \(want)") }
            } catch {
                if v["error"] == nil { failures.append("\(id): \(error)") }
            }
        }
        for f in failures.prefix(15) { Issue.record("\(f)") }
        #expect(failures.isEmpty, "\(failures.count) of \(vectors.count) vectors differ")
    }

    @Test("AvroData.toConnectSchema and values of random Avro schemas equal Confluent's (default and enhanced support)")
    func avroSchemaVectors() async throws {
        let vectors = ConnectVectors.lines("avro-connect.jsonl")
        var failures: [String] = []
        var checked = 0
        for (n, v) in vectors.enumerated() {
            if n % 50 == 0 { await Task.yield() }
            let id = v["id"]!.stringValue!
            var config = AvroDataConfig()
            config.enhancedSchemaSupport = v["enhanced"] == .bool(true)
            let data = AvroData(config: config)
            let text = v["schema"]!.stringValue!
            guard case .array(let reads)? = v["data"] else { continue }
            for r in reads {
                checked += 1
                do {
                    let node = try AvroTypeNode.parse(JSONValue.parse(text))
                    let read = try data.toConnectData(node, avro: AvroSchema.parse(text), bytes: AvroVector.hex(r["binary"]!.stringValue!))
                    if let e = r["error"]?.stringValue { failures.append("\(id): expected error \(e)"); continue }
                    let got = try read.map(ConnectVectors.text)
                    // The converter's compiled reader gives the same value.
                    if let read {
                        let avro = try AvroSchema.parse(text)
                        let planned = try AvroReadPlan.make(data, read.schema, avro).decode(AvroVector.hex(r["binary"]!.stringValue!), from: 0, data)
                        if planned != read.value { failures.append("\(id): compiled reader \(planned) != \(read.value)") }
                    }
                    let want = try r["envelope"]?.stringValue.map(ConnectVectors.canonical)
                    if got != want { failures.append("\(id): \n  \(got ?? "null")\n  \(want ?? "null")") }
                } catch {
                    if r["error"] == nil { failures.append("\(id): \(error)") }
                }
            }
        }
        for f in failures.prefix(15) { Issue.record("\(f)") }
        #expect(failures.isEmpty, "\(failures.count) of \(checked) reads differ")
    }
}
