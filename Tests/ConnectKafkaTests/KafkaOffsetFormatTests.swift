import ConnectKit
import Foundation
import Testing

@testable import ConnectKafka

@Suite("Offset-topic bytes as Kafka Connect writes them")
struct KafkaOffsetFormatTests {
    static func value(_ type: String, _ v: Any?) -> Value {
        switch type {
        case "string": return .string(v as! String)
        case "long": return .int64((v as! NSNumber).int64Value)
        case "int": return .int32((v as! NSNumber).int32Value)
        case "boolean": return .boolean(v as! Bool)
        case "map": return .map(MapValue(entries: (v as! [[Any?]]).map { MapEntry(key: .string($0[0] as! String), value: value($0[1] as! String, $0[2]) ) }))
        default: return .null
        }
    }

    static func map(_ entries: [[Any?]]) -> [String: Value] {
        var out: [String: Value] = [:]
        for e in entries { out[e[0] as! String] = value(e[1] as! String, e[2]) }
        return out
    }

    /// Whether two keys of this map (or of a nested one) share a HashMap bucket: then Java's order
    /// is the connector's insertion order, which a Swift dictionary does not have.
    static func hasSharedBucket(_ entries: [[Any?]]) -> Bool {
        let keys = entries.map { $0[0] as! String }
        var capacity = 16
        while Double(keys.count) > Double(capacity) * 0.75 { capacity *= 2 }
        let buckets = keys.map { k -> Int32 in
            let h = JavaHashMapOrder.hashCode(k)
            return (h ^ Int32(bitPattern: UInt32(bitPattern: h) >> 16)) & Int32(capacity - 1)
        }
        if Set(buckets).count < buckets.count { return true }
        return entries.contains { $0[1] as! String == "map" && hasSharedBucket($0[2] as! [[Any?]]) }
    }

    /// scripts/gen-kafka-vectors.sh: 1500 random HashMap partitions and offsets (nested maps,
    /// longs, ints, booleans, nulls, non-ASCII keys) through OffsetStorageWriter's JsonConverter.
    /// Where no two keys share a HashMap bucket the bytes must be Kafka's exactly; where some do,
    /// Java's order depends on the connector's insertion order (KafkaOffsetStore then reuses the
    /// key bytes found in the topic) and the JSON must be the same value.
    @Test("key and value bytes equal Kafka's on 1500 random partitions and offsets")
    func vectors() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/offsets.jsonl")
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1500)
        var exact = 0
        var sameValue = 0
        let reader = JSONConverter(schemasEnabled: false)
        func sameJSON(_ a: [UInt8], _ b: String) throws -> Bool {
            func normalized(_ v: Value) -> Value {
                switch v {
                case .map(let m): return .map(MapValue(entries: m.entries.map { MapEntry(key: $0.key, value: normalized($0.value)) }.sorted { "\($0.key)" < "\($1.key)" }))
                case .array(let a): return .array(a.map(normalized))
                default: return v
                }
            }
            let x = try reader.toConnectData(topic: "", value: a).value
            let y = try reader.toConnectData(topic: "", value: Array(b.utf8)).value
            return normalized(x) == normalized(y)
        }
        for line in lines {
            let v = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let connector = v["connector"] as! String
            let partitionEntries = v["partition"] as! [[Any?]]
            let offsetEntries = v["offset"] as! [[Any?]]
            let key = try KafkaOffsetFormat.key(connector: connector, partition: Self.map(partitionEntries))
            let value = try KafkaOffsetFormat.value(Self.map(offsetEntries))!
            for (ours, theirs, entries) in [(key, v["key"] as! String, partitionEntries), (value, v["value"] as! String, offsetEntries)] {
                if Self.hasSharedBucket(entries) {
                    #expect(try sameJSON(ours, theirs), "\(theirs)")
                    sameValue += 1
                } else {
                    #expect(String(decoding: ours, as: UTF8.self) == theirs)
                    exact += 1
                }
            }
        }
        // Of the 3000 maps (up to 14 keys each, so shared buckets are common here; a partition of
        // one to three keys rarely has one), 1033 are checked byte for byte, the rest as values.
        #expect(exact > 1000 && sameValue > 0)
    }

    @Test("Java's String.hashCode and HashMap order")
    func hashMapOrder() throws {
        #expect(JavaHashMapOrder.hashCode("protocol") == -989163880)
        #expect(JavaHashMapOrder.hashCode("") == 0)
        // Confluent's JDBC partition: {"protocol":"1","table":"db.orders"} as a HashMap prints protocol first.
        #expect(JavaHashMapOrder.ordered(["table", "protocol"]) == ["protocol", "table"])
        #expect(try KafkaOffsetFormat.key(connector: "jdbc", partition: ["table": .string("db.orders"), "protocol": .string("1")])
            == Array(#"["jdbc",{"protocol":"1","table":"db.orders"}]"#.utf8))
        #expect(try KafkaOffsetFormat.value(nil) == nil)
    }
}
