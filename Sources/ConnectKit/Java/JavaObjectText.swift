/// Java's `String.valueOf(value)` of the objects a Kafka sink task receives — what Kafka's
/// FileStreamSinkTask prints with `println(record.value())`: `Struct{a=1,b=x}` (null fields left
/// out), lists `[a, b]`, maps `{k=v, k2=v2}` in `java.util.HashMap` order (converters build
/// HashMaps), `java.util.Date.toString()` for Date, Time and Timestamp (`Mon Jan 01 00:00:00 UTC
/// 2024`, in the JVM's zone), Java's number texts. Checked against Kafka's JsonConverter and
/// `String.valueOf` with randomized values (`scripts/gen-java-text-vectors.sh`).
///
/// Bytes print as `0x…` hex: Java prints a `byte[]`'s identity (`[B@1b6d3586`), which no other
/// program can reproduce.
package enum JavaObjectText {
    package static func string(_ value: Value, zone: JavaTimeZone) -> String {
        var out = ""
        append(value, zone: zone, &out)
        return out
    }

    static func append(_ value: Value, zone: JavaTimeZone, _ out: inout String) {
        switch value {
        case .null: out += "null"
        case .int8(let v): out += String(v)
        case .int16(let v): out += String(v)
        case .int32(let v): out += String(v)
        case .int64(let v): out += String(v)
        case .float32(let v): out += JavaNumberFormat.string(v)
        case .float64(let v): out += JavaNumberFormat.string(v)
        case .boolean(let v): out += v ? "true" : "false"
        case .string(let v): out += v
        case .decimal(let d): out += d.description
        case .bytes(let v):
            let hex = Array("0123456789abcdef")
            out += "0x"
            for b in v {
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 15)])
            }
        case .date(let d): out += JavaDate.toString(Int64(d) * 86_400_000, zone: zone)
        case .time(let t): out += JavaDate.toString(Int64(t), zone: zone)
        case .timestamp(let t): out += JavaDate.toString(t, zone: zone)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                append(item, zone: zone, &out)
            }
            out += "]"
        case .map(let m):
            out += "{"
            for (n, i) in JavaHashMap.iterationOrder(m.entries.map(\.key)).enumerated() {
                if n > 0 { out += ", " }
                append(m.entries[i].key, zone: zone, &out)
                out += "="
                append(m.entries[i].value, zone: zone, &out)
            }
            out += "}"
        case .struct(let s):
            // Kafka's Struct.toString: fields with a stored value (defaults not applied),
            // comma-separated without spaces.
            out += "Struct{"
            var first = true
            for f in s.schema.fields {
                let v = s.values[f.index]
                if case .null = v { continue }
                if !first { out += "," }
                first = false
                out += f.name
                out += "="
                append(v, zone: zone, &out)
            }
            out += "}"
        }
    }
}

/// The order `java.util.HashMap` iterates its entries in, from the keys' Java `hashCode`s.
package enum JavaHashMap {
    /// Indices of `keys` (distinct, in insertion order) in the order a HashMap built by inserting
    /// them one by one iterates them: by bucket (`(h ^ h >>> 16) & (capacity - 1)`, the capacity
    /// doubling past 3/4 full or when a bucket of 8 would become a tree below 64 buckets), then by
    /// insertion. Insertion order when a key has no reproducible hash (structs, bytes) or a bucket
    /// becomes a tree.
    package static func iterationOrder(_ keys: [Value]) -> [Int] {
        var hashes: [UInt32] = []
        hashes.reserveCapacity(keys.count)
        for k in keys {
            guard let h = hashCode(k) else { return Array(keys.indices) }
            let u = UInt32(bitPattern: h)
            hashes.append(u ^ (u >> 16))
        }
        var capacity: UInt32 = 16
        var counts: [UInt32: Int] = [:]
        for (size, h) in hashes.enumerated() {
            if counts[h & (capacity - 1), default: 0] >= 8 {
                // A ninth entry in one bucket: below 64 buckets the table doubles instead of making a tree.
                if capacity >= 64 { return Array(keys.indices) }
                capacity *= 2
                counts = recount(hashes[..<size], capacity)
            }
            counts[h & (capacity - 1), default: 0] += 1
            if size + 1 > Int(capacity) / 4 * 3 {
                capacity *= 2
                counts = recount(hashes[...size], capacity)
            }
        }
        let mask = capacity - 1
        return keys.indices.sorted { a, b in
            let ba = hashes[a] & mask, bb = hashes[b] & mask
            return ba != bb ? ba < bb : a < b
        }
    }

    private static func recount(_ hashes: ArraySlice<UInt32>, _ capacity: UInt32) -> [UInt32: Int] {
        var counts: [UInt32: Int] = [:]
        for h in hashes { counts[h & (capacity - 1), default: 0] += 1 }
        return counts
    }

    /// Java's `hashCode()` of the object a Connect value is in Java; nil where Java's is an
    /// identity hash (byte arrays, structs' schemas).
    package static func hashCode(_ value: Value) -> Int32? {
        switch value {
        case .null: return 0
        case .int8(let v): return Int32(v)
        case .int16(let v): return Int32(v)
        case .int32(let v): return v
        case .int64(let v): return Int32(truncatingIfNeeded: v ^ Int64(bitPattern: UInt64(bitPattern: v) >> 32))
        case .float32(let v): return Int32(bitPattern: v.isNaN ? 0x7fc0_0000 : v.bitPattern)
        case .float64(let v):
            let bits = v.isNaN ? 0x7ff8_0000_0000_0000 : v.bitPattern
            return Int32(truncatingIfNeeded: bits ^ (bits >> 32))
        case .boolean(let v): return v ? 1231 : 1237
        case .string(let s):
            var h: Int32 = 0
            for c in s.utf16 { h = h &* 31 &+ Int32(c) }
            return h
        case .date(let d): return dateHash(Int64(d) * 86_400_000)
        case .time(let t): return dateHash(Int64(t))
        case .timestamp(let t): return dateHash(t)
        case .decimal(let d): return decimalHash(d)
        case .array(let items):
            var h: Int32 = 1
            for item in items {
                guard let e = hashCode(item) else { return nil }
                h = h &* 31 &+ e
            }
            return h
        case .map(let m):
            var h: Int32 = 0
            for e in m.entries {
                guard let k = hashCode(e.key), let v = hashCode(e.value) else { return nil }
                h = h &+ (k ^ v)
            }
            return h
        case .bytes, .struct: return nil
        }
    }

    /// `java.util.Date.hashCode()`.
    static func dateHash(_ ms: Int64) -> Int32 { Int32(truncatingIfNeeded: ms) ^ Int32(truncatingIfNeeded: ms >> 32) }

    /// `java.math.BigDecimal.hashCode()`: from the compact long when the unscaled value has one,
    /// else from `BigInteger.hashCode()`.
    static func decimalHash(_ d: BigDecimal) -> Int32 {
        if let compact = d.unscaled.int64Value, compact != .min {
            let magnitude = compact < 0 ? -compact : compact
            let temp = Int32(truncatingIfNeeded: Int64(Int32(truncatingIfNeeded: magnitude >> 32) &* 31) + (magnitude & 0xffff_ffff))
            return 31 &* (compact < 0 ? 0 &- temp : temp) &+ d.scale
        }
        // BigInteger.hashCode: over the 32-bit words of the magnitude, most significant first, times the sign.
        var h: Int32 = 0
        for w in d.unscaled.signAndMagnitude.magnitude.reversed() { h = Int32(truncatingIfNeeded: Int64(31 &* h) + Int64(w)) }
        return (d.unscaled.isNegative ? 0 &- h : h) &* 31 &+ d.scale
    }
}
