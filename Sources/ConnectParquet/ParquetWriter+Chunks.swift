#if canImport(Glibc)
import Glibc
#endif
import ConnectKit

/// Column chunks as parquet-mr writes them for Confluent's `ParquetFormat`: a dictionary page and
/// dictionary-encoded data pages while the chunk's distinct values fit `dictionaryPageSize` and make
/// it smaller (else PLAIN pages), data pages of about `pageSize` bytes cut at record boundaries, and
/// the chunk's statistics (null count; min and max in the type's order).
extension ParquetWriter {
    /// Parquet's encodings (`Encoding` in parquet.thrift).
    enum Encoding: Int32 {
        case plain = 0
        /// Dictionary pages and dictionary-encoded data pages of format v1 (as parquet-mr writes them).
        case plainDictionary = 2
        case rle = 3
    }

    /// Writes a column chunk's pages to the output; returns its metadata.
    mutating func writeChunk(_ c: ParquetColumn, _ b: ColumnBuffer) throws(DataError) -> ChunkMeta {
        let entries = b.definition.count
        let maxDef = UInt8(c.maxDefinition)
        // Each non-null value's PLAIN bytes (with the length prefix of a byte array).
        var ranges: [Range<Int>] = []
        if c.physical != .boolean {
            ranges.reserveCapacity(entries - b.nulls)
            var at = 0
            let width = c.physical == .int32 || c.physical == .float ? 4 : 8
            while at < b.values.count {
                let n: Int
                if c.physical == .byteArray {
                    n = 4 + Int(UInt32(b.values[at]) | UInt32(b.values[at + 1]) << 8 | UInt32(b.values[at + 2]) << 16 | UInt32(b.values[at + 3]) << 24)
                } else {
                    n = width
                }
                ranges.append(at..<(at + n))
                at += n
            }
        }
        // The dictionary, when it pays: distinct values in first-seen order, and each value's index.
        var dictionary: [Range<Int>] = []
        var indices: [UInt32] = []
        if dictionaryPageSize > 0, c.physical != .boolean, !ranges.isEmpty {
            let dictionaryBytes: Int
            (dictionary, indices, dictionaryBytes) = b.values.withUnsafeBytes { raw in
                Self.buildDictionary(raw, ranges, limit: dictionaryPageSize, firstPage: Swift.max(pageSize, 1 << 20))
            }
            let bitWidth = Self.bitWidth(UInt32(max(0, dictionary.count - 1)))
            let encodedIndices = (ranges.count * bitWidth + 7) / 8 + 1
            if indices.count < ranges.count || dictionaryBytes + encodedIndices >= b.values.count {
                dictionary = []
                indices = []
            }
        }
        let start = drained + output.count
        var uncompressed = 0, compressed = 0
        var dictionaryPageOffset: Int? = nil
        if !dictionary.isEmpty {
            var body: [UInt8] = []
            for r in dictionary { body += b.values[r] }
            dictionaryPageOffset = drained + output.count
            let (u, z) = try writePage(body) { h, compressedCount in
                h.i32(1, 2)  // DICTIONARY_PAGE
                h.i32(2, Int32(body.count))
                h.i32(3, Int32(compressedCount))
                h.struct(7) { d in
                    d.i32(1, Int32(dictionary.count))
                    d.i32(2, Encoding.plainDictionary.rawValue)
                }
            }
            uncompressed += u
            compressed += z
        }
        let dataPageOffset = drained + output.count
        // Data pages, cut at a record's first entry once a page holds `pageSize` bytes.
        let bitWidth = Self.bitWidth(UInt32(max(0, dictionary.count - 1)))
        var entry = 0, value = 0
        while entry < entries {
            let firstEntry = entry, firstValue = value
            var bytes = 0
            repeat {
                if b.definition[entry] == maxDef {
                    bytes += c.physical == .boolean ? 1 : (dictionary.isEmpty ? ranges[value].count : 1)
                    value += 1
                }
                bytes += 1
                entry += 1
            } while entry < entries && (bytes < pageSize || (c.maxRepetition > 0 && b.repetition[entry] != 0))
            var body: [UInt8] = []
            if c.maxRepetition > 0 { body += Self.levels(Array(b.repetition[firstEntry..<entry]), max: c.maxRepetition) }
            if c.maxDefinition > 0 { body += Self.levels(Array(b.definition[firstEntry..<entry]), max: c.maxDefinition) }
            if c.physical == .boolean {
                let bits = b.booleans[firstValue..<value]
                var packed = [UInt8](repeating: 0, count: (bits.count + 7) / 8)
                for (k, v) in bits.enumerated() where v { packed[k / 8] |= 1 << UInt8(k % 8) }
                body += packed
            } else if dictionary.isEmpty {
                if value > firstValue { body += b.values[ranges[firstValue].lowerBound..<ranges[value - 1].upperBound] }
            } else {
                body.append(UInt8(bitWidth))
                Self.hybrid(indices[firstValue..<value], bitWidth: bitWidth, into: &body)
            }
            let pageEntries = entry - firstEntry
            let pageNulls = pageEntries - (value - firstValue)
            let encoding = dictionary.isEmpty ? Encoding.plain : .plainDictionary
            let (u, z) = try writePage(body) { h, compressedCount in
                h.i32(1, 0)  // DATA_PAGE
                h.i32(2, Int32(body.count))
                h.i32(3, Int32(compressedCount))
                h.struct(5) { d in
                    d.i32(1, Int32(pageEntries))
                    d.i32(2, encoding.rawValue)
                    d.i32(3, Encoding.rle.rawValue)
                    d.i32(4, Encoding.rle.rawValue)
                    d.struct(5) { $0.i64(3, Int64(pageNulls)) }
                }
            }
            uncompressed += u
            compressed += z
        }
        var encodings: [Int32] = [dictionary.isEmpty ? Encoding.plain.rawValue : Encoding.plainDictionary.rawValue]
        if c.maxDefinition > 0 || c.maxRepetition > 0 { encodings.append(Encoding.rle.rawValue) }
        let (min, max) = Self.statistics(c, b, ranges)
        return ChunkMeta(
            offset: start, dataPageOffset: dataPageOffset, dictionaryPageOffset: dictionaryPageOffset, uncompressed: uncompressed,
            compressed: compressed, numValues: entries, nulls: b.nulls, encodings: encodings, min: min, max: max)
    }

    /// Compresses a page body and writes its header (made by `header`, given the compressed size)
    /// and body; returns the uncompressed and compressed sizes, header included.
    private mutating func writePage(_ body: [UInt8], header: (inout ThriftCompactWriter, Int) -> Void) throws(DataError) -> (Int, Int) {
        let z = try compress(body)
        var h = ThriftCompactWriter()
        header(&h, z.count)
        h.stop()
        output += h.bytes
        output += z
        return (h.bytes.count + body.count, h.bytes.count + z.count)
    }

    /// The distinct values of `ranges` in first-seen order and each value's index, while the
    /// distinct values' bytes stay within `limit` (the indices stop where it was passed). As
    /// parquet-mr, a dictionary that has not made the first page's worth of values (`firstPage`
    /// bytes) smaller is given up there.
    ///
    /// The distinct values are found with an open-addressing table (linear probing, at most half
    /// full) of dictionary indices keyed by our 64-bit hash of the bytes, compared with `memcmp`.
    static func buildDictionary(_ raw: UnsafeRawBufferPointer, _ ranges: [Range<Int>], limit: Int, firstPage: Int)
        -> (dictionary: [Range<Int>], indices: [UInt32], bytes: Int)
    {
        var plain = 0
        var checked = false
        var dictionary: [Range<Int>] = []
        var hashes: [UInt64] = []
        var indices: [UInt32] = []
        indices.reserveCapacity(ranges.count)
        // Slots hold a dictionary index + 1; 0 is empty.
        var slots = [UInt32](repeating: 0, count: 1024)
        var mask = slots.count - 1
        var shift = UInt64(64 - 10)
        // The slot: the top bits of the hash times 2^64/φ (Fibonacci hashing spreads any bits).
        func home(_ h: UInt64) -> Int { Int(truncatingIfNeeded: (h &* 0x9E37_79B9_7F4A_7C15) >> shift) }
        var bytes = 0
        let base = raw.baseAddress!
        for r in ranges {
            plain += r.count
            if !checked && plain >= firstPage {
                checked = true
                let encoded = (indices.count * bitWidth(UInt32(max(0, dictionary.count - 1))) + 7) / 8 + 1
                if bytes + encoded >= plain { break }
            }
            let h = hash(base, r)
            var slot = home(h)
            var found: UInt32? = nil
            while case let entry = slots[slot], entry != 0 {
                let d = dictionary[Int(entry - 1)]
                if hashes[Int(entry - 1)] == h && d.count == r.count && memcmp(base + d.lowerBound, base + r.lowerBound, r.count) == 0 {
                    found = entry - 1
                    break
                }
                slot = (slot + 1) & mask
            }
            if let found {
                indices.append(found)
                continue
            }
            bytes += r.count
            if bytes > limit { break }
            let index = UInt32(dictionary.count)
            dictionary.append(r)
            hashes.append(h)
            indices.append(index)
            slots[slot] = index + 1
            if dictionary.count * 2 > slots.count {
                slots = [UInt32](repeating: 0, count: slots.count * 2)
                mask = slots.count - 1
                shift -= 1
                for (k, kh) in hashes.enumerated() {
                    var at = home(kh)
                    while slots[at] != 0 { at = (at + 1) & mask }
                    slots[at] = UInt32(k + 1)
                }
            }
        }
        return (dictionary, indices, bytes)
    }

    /// A random seed per process, so values crafted to collide cannot make the table's probing slow
    /// (the dictionary's order is first-seen, so the files do not depend on it).
    static let hashSeed = UInt64.random(in: .min ... .max)

    /// A 64-bit mix of a value's bytes (seeded per process).
    @inline(__always)
    static func hash(_ base: UnsafeRawPointer, _ r: Range<Int>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ hashSeed ^ UInt64(r.count)
        var at = r.lowerBound
        while at + 8 <= r.upperBound {
            h = (h ^ base.loadUnaligned(fromByteOffset: at, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            at += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while at < r.upperBound {
            tail |= UInt64(base.load(fromByteOffset: at, as: UInt8.self)) << shift
            shift += 8
            at += 1
        }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 29)
    }

    /// Bits needed for values up to `max`.
    static func bitWidth(_ max: UInt32) -> Int { max == 0 ? 0 : 32 - max.leadingZeroBitCount }

    /// The RLE/bit-packing hybrid (no length prefix): runs of 8 or more equal values as RLE runs,
    /// the rest bit-packed in groups of 8 (the last group padded with zeros).
    static func hybrid(_ values: ArraySlice<UInt32>, bitWidth: Int, into out: inout [UInt8]) {
        let byteWidth = (bitWidth + 7) / 8
        var pending: [UInt32] = []
        func varint(_ v: Int) {
            var v = UInt64(v)
            while v >= 0x80 {
                out.append(UInt8(truncatingIfNeeded: v) | 0x80)
                v >>= 7
            }
            out.append(UInt8(v))
        }
        func flushPacked() {
            guard !pending.isEmpty else { return }
            let groups = (pending.count + 7) / 8
            varint(groups << 1 | 1)
            var acc: UInt64 = 0, bits = 0
            for k in 0..<(groups * 8) {
                let v = k < pending.count ? UInt64(pending[k]) : 0
                acc |= v << UInt64(bits)
                bits += bitWidth
                while bits >= 8 {
                    out.append(UInt8(truncatingIfNeeded: acc))
                    acc >>= 8
                    bits -= 8
                }
            }
            if bits > 0 { out.append(UInt8(truncatingIfNeeded: acc)) }
            pending.removeAll(keepingCapacity: true)
        }
        var i = values.startIndex
        while i < values.endIndex {
            var j = i + 1
            while j < values.endIndex, values[j] == values[i] { j += 1 }
            var run = j - i
            if run >= 8 {
                // A bit-packed run holds a multiple of 8 values: fill the open group from this run first.
                while pending.count % 8 != 0 && run > 0 {
                    pending.append(values[i])
                    run -= 1
                }
                if run >= 8 {
                    flushPacked()
                    varint(run << 1)
                    for k in 0..<byteWidth { out.append(UInt8(truncatingIfNeeded: values[i] >> UInt32(8 * k))) }
                } else {
                    pending += repeatElement(values[i], count: run)
                }
            } else {
                pending += values[i..<j]
            }
            i = j
        }
        flushPacked()
    }

    /// Min and max in the column type's defined order (signed integers, IEEE floats without NaN,
    /// false < true, byte arrays unsigned lexicographically), PLAIN-encoded; none for decimals (whose
    /// order is the unscaled value's, not the bytes'), for chunks without values, and — as parquet-mr's
    /// `MAX_STATS_SIZE` — for byte arrays whose min and max take 4096 bytes or more.
    static func statistics(_ c: ParquetColumn, _ b: ColumnBuffer, _ ranges: [Range<Int>]) -> ([UInt8]?, [UInt8]?) {
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func read<T: FixedWidthInteger>(_ r: Range<Int>, _: T.Type) -> T {
            b.values.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: r.lowerBound, as: T.self)) }
        }
        func integers<T: FixedWidthInteger & SignedInteger>(_: T.Type) -> ([UInt8]?, [UInt8]?) {
            guard !ranges.isEmpty else { return (nil, nil) }
            var lo = T.max, hi = T.min
            for r in ranges {
                let v = read(r, T.self)
                lo = Swift.min(lo, v)
                hi = Swift.max(hi, v)
            }
            return (le(lo), le(hi))
        }
        switch c.physical {
        case .boolean:
            guard let first = b.booleans.first else { return (nil, nil) }
            var lo = first, hi = first
            for v in b.booleans {
                lo = lo && v
                hi = hi || v
            }
            return ([lo ? 1 : 0], [hi ? 1 : 0])
        case .int32: return integers(Int32.self)
        case .int64: return integers(Int64.self)
        case .float, .double:
            var lo = Double.infinity, hi = -Double.infinity, any = false
            for r in ranges {
                let v = c.physical == .float ? Double(Float(bitPattern: read(r, UInt32.self))) : Double(bitPattern: read(r, UInt64.self))
                if v.isNaN { continue }
                any = true
                lo = Swift.min(lo, v)
                hi = Swift.max(hi, v)
            }
            guard any else { return (nil, nil) }
            // Zeros: the minimum is -0.0 and the maximum +0.0 (the format's rule).
            if lo == 0 { lo = -0.0 }
            if hi == 0 { hi = 0.0 }
            return c.physical == .float ? (le(Float(lo).bitPattern), le(Float(hi).bitPattern)) : (le(lo.bitPattern), le(hi.bitPattern))
        case .byteArray:
            guard !ranges.isEmpty, c.schema.name != LogicalType.decimalName else { return (nil, nil) }
            // Unsigned lexicographic order of the bytes after each length prefix.
            let (lo, hi) = b.values.withUnsafeBytes { raw -> (Range<Int>, Range<Int>) in
                let base = raw.baseAddress!
                func precedes(_ x: Range<Int>, _ y: Range<Int>) -> Bool {
                    let n = Swift.min(x.count, y.count) - 4
                    let c = n > 0 ? memcmp(base + x.lowerBound + 4, base + y.lowerBound + 4, n) : 0
                    return c < 0 || (c == 0 && x.count < y.count)
                }
                var lo = ranges[0], hi = ranges[0]
                for r in ranges.dropFirst() {
                    if precedes(r, lo) { lo = r }
                    if precedes(hi, r) { hi = r }
                }
                return (lo, hi)
            }
            // As parquet-mr, min and max of 4096 bytes or more together are left out (the footer stays small).
            guard (lo.count - 4) + (hi.count - 4) < 4096 else { return (nil, nil) }
            return (Array(b.values[(lo.lowerBound + 4)..<lo.upperBound]), Array(b.values[(hi.lowerBound + 4)..<hi.upperBound]))
        }
    }
}
