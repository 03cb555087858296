/// The partition Java's Kafka producer chooses for a keyed record (`BuiltInPartitioner` /
/// `Utils.murmur2`): `toPositive(murmur2(keyBytes)) % numPartitions`. librdkafka's default
/// partitioner (consistent_random, CRC32) chooses differently, so records and offsets keyed by a
/// Java worker and by ConnectKit would land in different partitions; ConnectKit picks the partition
/// itself with this function.
public enum JavaPartitioner {
    /// Kafka's `Utils.murmur2` (seed `0x9747b28c`), with Java's 32-bit wrapping arithmetic.
    public static func murmur2(_ data: some Collection<UInt8>) -> Int32 {
        let bytes = Array(data)
        let length = bytes.count
        let m: UInt32 = 0x5bd1_e995
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
        var i = 0
        while i + 4 <= length {
            var k = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            k = k &* m
            k ^= k >> 24
            k = k &* m
            h = h &* m
            h ^= k
            i += 4
        }
        let tail = length & ~3
        switch length % 4 {
        case 3:
            h ^= UInt32(bytes[tail + 2]) << 16
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h = h &* m
        case 2:
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h = h &* m
        case 1:
            h ^= UInt32(bytes[tail])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    /// The partition of a record with these key bytes among `partitions` (> 0) partitions, as
    /// Java's producer computes it: `(murmur2(key) & 0x7fffffff) % partitions`.
    public static func partition(forKey key: some Collection<UInt8>, partitions: Int32) -> Int32 {
        precondition(partitions > 0, "a topic has at least one partition")
        return (murmur2(key) & 0x7fff_ffff) % partitions
    }
}
