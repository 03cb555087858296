import ConnectKit
import ConnectPlugins
import ConnectRuntime
import ConnectTransforms
import Foundation
import Testing

/// Golden vectors from Kafka 4.3's own transformations and predicates and Debezium 3.6's
/// ExtractNewRecordState (scripts/gen-transform-vectors.sh). Records are given as the bytes Kafka's
/// JsonConverter writes; inputs are read with our byte-identical JSONConverter, outputs written with
/// it and compared: exactly where there is a schema (field order, schema and payload), as JSON with
/// object members in any order where there is none (Kafka's HashMap order is not meaningful).
struct TransformVector: Sendable, CustomTestStringConvertible {
    let id: String
    let kind: String
    let type: String
    let config: [String: String]
    let record: [String: JSONValue]?
    let result: [String: JSONValue]?
    let dropped: Bool
    let error: String?
    let errorClass: String?
    let predicateResult: Bool?
    var testDescription: String { id }

    static let all: [TransformVector] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/transforms.jsonl")
        let text = try! String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").map { line in
            guard case .object(let members) = try! JSONValue.parse(Array(line.utf8)) else { fatalError("bad vector line") }
            let o = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            func object(_ k: String) -> [String: JSONValue]? {
                if case .object(let m)? = o[k] { return Dictionary(m.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }) }
                return nil
            }
            var config: [String: String] = [:]
            for (k, v) in object("config") ?? [:] { if case .string(let s) = v { config[k] = s } }
            var pred: Bool? = nil
            if o["kind"]?.stringValue == "predicate", case .bool(let b)? = o["result"] { pred = b }
            return TransformVector(
                id: o["id"]!.stringValue!, kind: o["kind"]!.stringValue!, type: o["type"]!.stringValue!, config: config,
                record: object("record"), result: pred == nil ? object("result") : nil, dropped: o["dropped"] != nil,
                error: o["error"]?.stringValue, errorClass: o["errorClass"]?.stringValue, predicateResult: pred)
        }
    }()
}

let converter = JSONConverter(schemasEnabled: true)

func decode(_ json: JSONValue?) throws -> SchemaAndValue {
    guard let text = json?.stringValue else { return .null }
    return try converter.toConnectData(topic: "orders", value: Array(text.utf8))
}

func makeRecord(_ spec: [String: JSONValue]) throws -> SinkRecord {
    let k = try decode(spec["key"]), v = try decode(spec["value"])
    var headers = Headers()
    if case .array(let hs)? = spec["headers"] {
        for h in hs {
            guard case .array(let pair) = h, let key = pair[0].stringValue else { continue }
            let sv = try converter.toConnectHeader(topic: "orders", headerKey: key, value: pair[1].stringValue.map { Array($0.utf8) })
            headers.add(Header(key: key, value: sv.value, schema: sv.schema))
        }
    }
    return SinkRecord(
        topic: spec["topic"]!.stringValue!, partition: Int32(spec["partition"]!.int64Value!), keySchema: k.schema, key: k.value,
        valueSchema: v.schema, value: v.value, offset: spec["offset"]!.int64Value!, timestamp: spec["timestamp"]?.int64Value,
        timestampType: .createTime, headers: headers)
}

/// Our record written back the way the generator writes Kafka's.
func encode(_ r: SinkRecord) throws -> (topic: String, partition: Int32?, offset: Int64, timestamp: Int64?, key: String?, value: String?, headers: [(String, String?)]) {
    func text(_ b: [UInt8]?) -> String? { b.map { String(decoding: $0, as: UTF8.self) } }
    let key = text(try converter.fromConnectData(topic: "orders", schema: r.keySchema, value: r.key))
    let value = text(try converter.fromConnectData(topic: "orders", schema: r.valueSchema, value: r.value))
    let headers = try r.headers.all.map { h in (h.key, text(try converter.fromConnectHeader(topic: "orders", headerKey: h.key, schema: h.schema, value: h.value))) }
    return (r.topic, r.kafkaPartition, r.kafkaOffset, r.timestamp, key, value, headers)
}

/// Equal JSON texts: byte for byte when the envelope has a schema, else as values with unordered objects.
func sameJSON(_ ours: String?, _ kafka: String?) -> Bool {
    guard let ours, let kafka else { return ours == nil && kafka == nil }
    if ours == kafka { return true }
    guard let a = try? JSONValue.parse(Array(ours.utf8)), let b = try? JSONValue.parse(Array(kafka.utf8)) else { return false }
    if case .object(let m) = b, let schema = m.first(where: { $0.key == "schema" })?.value, schema != .null { return false }
    return a.normalized == b.normalized
}

/// JDK 17's `Float.toString` is not always the shortest text (1.7E12 prints as 1.70000004E12; JDK 19+
/// prints 1.7E12): numbers that are the same float are the same.
func sameNumbers(_ ours: String?, _ kafka: String?) -> Bool {
    guard let ours, let kafka, let a = try? JSONValue.parse(Array(ours.utf8)), let b = try? JSONValue.parse(Array(kafka.utf8)) else { return false }
    func eq(_ x: JSONValue, _ y: JSONValue) -> Bool {
        switch (x, y) {
        case (.number(let p), .number(let q)): return p == q || (Float(p) != nil && Float(p) == Float(q))
        case (.array(let p), .array(let q)): return p.count == q.count && zip(p, q).allSatisfy(eq)
        case (.object(let p), .object(let q)): return p.count == q.count && zip(p, q).allSatisfy { $0.key == $1.key && eq($0.value, $1.value) }
        default: return x == y
        }
    }
    return eq(a, b)
}

extension JSONValue {
    var normalized: JSONValue {
        switch self {
        case .object(let m): .object(m.map { (key: $0.key, value: $0.value.normalized) }.sorted { $0.key < $1.key })
        case .array(let a): .array(a.map(\.normalized))
        default: self
        }
    }
}

/// Kafka's messages that carry a Java identity hash, a JDK parser message or a NullPointerException
/// text (Kafka bugs) are compared by their stable prefix, or only by "it failed".
func comparable(_ message: String) -> String {
    if let r = message.range(of: "@[0-9a-f]+$", options: .regularExpression) { return String(message[..<r.lowerBound]) }
    if let r = message.range(of: "Invalid regex: ") { return String(message[..<r.upperBound]) }
    return message
}

let registry = PluginRegistry.standard

@Suite("Transformations and predicates against Kafka's (golden vectors)")
struct TransformVectorTests {
    static let types: [String] = {
        var seen: [String] = []
        for v in TransformVector.all where !seen.contains(v.type) { seen.append(v.type) }
        return seen
    }()

    @Test func thereAreEnoughVectors() {
        #expect(TransformVector.all.count > 1000)
        #expect(Self.types.count >= 30)
    }

    @Test(arguments: types)
    func matchesKafka(type: String) throws {
        let vectors = TransformVector.all.filter { $0.type == type }
        if vectors.first?.kind == "predicate" || (vectors.first?.kind == "config" && type.contains(".predicates.")) {
            let entry = try #require(registry.predicates.lookup(type), "\(type) is not registered")
            for v in vectors { try checkPredicate(v, entry.plugin) }
            return
        }
        let entry = try #require(registry.transformations.lookup(type), "\(type) is not registered")
        for v in vectors { try check(v, entry.plugin) }
    }

    func checkPredicate(_ v: TransformVector, _ type: any ConnectKit.Predicate.Type) throws {
        let p: any ConnectKit.Predicate
        do { p = try type.init(configuration: v.config) } catch {
            #expect(v.kind == "config", "\(v.id): unexpected config error \(error)")
            if let expected = v.error { #expect(comparable(error.problems.first?.message ?? "") == comparable(expected), "\(v.id)") }
            return
        }
        guard v.kind != "config" else {
            Issue.record("\(v.id): expected config error \(v.error ?? "")")
            return
        }
        #expect(p.test(try makeRecord(v.record!)) == v.predicateResult, "\(v.id)")
    }

    /// Deliberate differences, each explained.
    static func deviates(_ v: TransformVector) -> Bool {
        // ReplaceField's blacklist/whitelist: Kafka 4 ignores them; we honour them as Kafka 3 did (see
        // `ReplaceField` and `oldReplaceFieldNamesStillWork`).
        v.type.contains("ReplaceField") && (v.config["blacklist"] != nil || v.config["whitelist"] != nil)
    }

    func check(_ v: TransformVector, _ type: any Transformation.Type) throws {
        if Self.deviates(v) { return }
        let t: any Transformation
        do { t = try type.init(configuration: v.config) } catch {
            #expect(v.kind == "config", "\(v.id): unexpected config error \(error)")
            if let expected = v.error, v.errorClass != "NullPointerException" {
                #expect(comparable(error.problems.first?.message ?? "") == comparable(expected), "\(v.id): config error")
            }
            return
        }
        guard v.kind == "transform" else {
            Issue.record("\(v.id): expected config error \(v.error ?? "")")
            return
        }
        let input = try makeRecord(v.record!)
        let outcome: Result<SinkRecord?, any Error> = Result { try t.apply(input) }
        switch outcome {
        case .failure(let error):
            guard let expected = v.error else {
                Issue.record("\(v.id): failed with \(error)")
                return
            }
            if v.errorClass != "NullPointerException" {
                let message = (error as? DataError)?.message ?? "\(error)"
                #expect(comparable(message) == comparable(expected), "\(v.id): message")
            }
        case .success(nil):
            #expect(v.dropped, "\(v.id): dropped, Kafka did not")
        case .success(let r?):
            let encoded: (topic: String, partition: Int32?, offset: Int64, timestamp: Int64?, key: String?, value: String?, headers: [(String, String?)])
            do { encoded = try encode(r) } catch {
                // Kafka failed the same way: its output could not be written either.
                #expect(v.error != nil, "\(v.id): output not writable: \(error)")
                return
            }
            guard let expected = v.result else {
                Issue.record("\(v.id): succeeded, Kafka: \(v.error ?? "dropped")")
                return
            }
            #expect(encoded.topic == expected["topic"]?.stringValue, "\(v.id): topic")
            #expect(encoded.partition.map(Int64.init) == expected["partition"]?.int64Value, "\(v.id): partition")
            #expect(encoded.timestamp == expected["timestamp"]?.int64Value, "\(v.id): timestamp")
            #expect(sameJSON(encoded.key, expected["key"]?.stringValue), "\(v.id): key\n ours: \(encoded.key ?? "null")\nkafka: \(expected["key"]?.stringValue ?? "null")")
            #expect(sameJSON(encoded.value, expected["value"]?.stringValue) || sameNumbers(encoded.value, expected["value"]?.stringValue), "\(v.id): value\n ours: \(encoded.value ?? "null")\nkafka: \(expected["value"]?.stringValue ?? "null")")
            guard case .array(let hs)? = expected["headers"] else { return }
            #expect(encoded.headers.count == hs.count, "\(v.id): headers \(encoded.headers) vs \(hs)")
            for (ours, theirs) in zip(encoded.headers, hs) {
                guard case .array(let pair) = theirs else { continue }
                #expect(ours.0 == pair[0].stringValue && sameJSON(ours.1, pair[1].stringValue), "\(v.id): header \(ours) vs \(pair)")
            }
        }
    }
}

extension JSONValue {
    var int64Value: Int64? { if case .number(let n) = self { return Int64(n) }; return nil }
}

@Test func oldReplaceFieldNamesStillWork() throws {
    let t = try ReplaceField.Value(configuration: ["blacklist": "email", "whitelist": "id,email,customer"])
    let r = try #require(try t.apply(SourceRecord(sourcePartition: [:], sourceOffset: [:], topic: "t", valueSchema: DataGen.ordersSchema, value: DataGen.order(1))))
    #expect(r.valueSchema?.fields.map(\.name) == ["id", "customer"])
    let newWins = try ReplaceField.Value(configuration: ["blacklist": "email", "exclude": "note"])
    let r2 = try #require(try newWins.apply(SourceRecord(sourcePartition: [:], sourceOffset: [:], topic: "t", valueSchema: DataGen.ordersSchema, value: DataGen.order(1))))
    #expect(r2.valueSchema?.field("email") != nil && r2.valueSchema?.field("note") == nil)
}
