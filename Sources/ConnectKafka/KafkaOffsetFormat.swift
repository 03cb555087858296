public import ConnectKit

/// The bytes Kafka Connect writes to `offset.storage.topic`, byte for byte: the key
/// `["<connector>",{<source partition>}]` and the value `{<source offset>}` (JsonConverter,
/// schemas.enable=false, no spaces), with every map's entries in the order Java's `HashMap`
/// iterates them — the order a Java connector's partition and offset maps serialize in.
///
/// Kafka's offset backing store keys its data by these raw bytes: a key that differs by one
/// byte (a space, another entry order) is another partition to a Java worker, and compaction
/// would not replace it. Checked against Kafka's own classes (`scripts/gen-kafka-vectors.sh`).
public enum KafkaOffsetFormat {
    private static let json = JSONConverter(schemasEnabled: false)

    /// The offset-topic key of a connector's source partition.
    /// - Throws: ``DataError`` for a value JsonConverter cannot write.
    public static func key(connector: String, partition: [String: Value]) throws(DataError) -> [UInt8] {
        try json.fromConnectData(topic: "", headers: nil, schema: nil, value: .array([.string(connector), javaOrdered(partition)])) ?? []
    }

    /// The offset-topic value of a source offset; nil (a tombstone) removes the partition's offset.
    /// - Throws: ``DataError`` for a value JsonConverter cannot write.
    public static func value(_ offset: [String: Value]?) throws(DataError) -> [UInt8]? {
        guard let offset else { return nil }
        return try json.fromConnectData(topic: "", headers: nil, schema: nil, value: javaOrdered(offset))
    }

    /// A map value whose entries (and those of nested maps) follow `java.util.HashMap`'s
    /// iteration order for these keys.
    public static func javaOrdered(_ map: [String: Value]) -> Value {
        let keys = JavaHashMapOrder.ordered(Array(map.keys))
        return .map(MapValue(entries: keys.map { MapEntry(key: .string($0), value: javaOrdered(value: map[$0]!)) }))
    }

    private static func javaOrdered(value: Value) -> Value {
        switch value {
        case .map(let m):
            var strings: [String: Value] = [:]
            for e in m.entries {
                guard let k = e.key.stringValue else { return value }  // only string-keyed maps are reordered
                strings[k] = e.value
            }
            return javaOrdered(strings)
        case .array(let a): return .array(a.map { javaOrdered(value: $0) })
        default: return value
        }
    }
}

/// `java.util.HashMap`'s iteration order for string keys put into a `new HashMap<>()`: by bucket
/// (`(h ^ (h >>> 16)) & (capacity - 1)` with `h = String.hashCode()`) in the table the map has
/// grown to (16, doubling past a 0.75 load). Keys sharing a bucket keep their insertion order in
/// Java; here (insertion order being unknown) they are ordered by text — such collisions are rare
/// in partition and offset maps of a few keys.
public enum JavaHashMapOrder {
    /// Java's `String.hashCode()`: over UTF-16 code units, `h = 31 * h + c`, 32-bit wrapping.
    public static func hashCode(_ s: String) -> Int32 {
        var h: Int32 = 0
        for unit in s.utf16 { h = h &* 31 &+ Int32(unit) }
        return h
    }

    /// The keys in HashMap iteration order.
    public static func ordered(_ keys: [String]) -> [String] {
        var capacity = 16
        while Double(keys.count) > Double(capacity) * 0.75 { capacity *= 2 }
        let mask = Int32(capacity - 1)
        return keys.map { k -> (bucket: Int32, key: String) in
            let h = hashCode(k)
            let spread = h ^ Int32(bitPattern: UInt32(bitPattern: h) >> 16)
            return (spread & mask, k)
        }
        .sorted { $0.bucket != $1.bucket ? $0.bucket < $1.bucket : $0.key < $1.key }
        .map(\.key)
    }
}
