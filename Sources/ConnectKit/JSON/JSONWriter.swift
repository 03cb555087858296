/// Appends compact JSON to a byte buffer exactly as Jackson's `UTF8JsonGenerator` writes it in Kafka
/// (no spaces; strings escaped with `\"`, `\\`, `\b \t \n \f \r`, other control characters as
/// `\u00XX` with upper-case hex; characters outside the Basic Multilingual Plane as two escaped
/// UTF-16 surrogates `\uD83D\uDE00`; everything else as raw UTF-8; floats in Java notation).
package struct JSONWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    package private(set) var count: Int = 0
    /// Whether `base` was allocated here (and must be freed) rather than lent by the caller.
    private var owned: Bool

    /// Whether supplementary characters are written as two `\u` surrogate escapes (Jackson's
    /// byte-based generator, Kafka's JsonConverter: the default) or as their UTF-8 bytes (Jackson's
    /// char-based generator, which Avro's `Schema.toString()` uses).
    package var escapesSupplementary = true

    package init(capacity: Int = 256) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
        owned = true
    }

    /// Writes into the caller's buffer until it is full, then continues in a buffer of its own.
    package init(into buffer: UnsafeMutableBufferPointer<UInt8>) {
        if let b = buffer.baseAddress, buffer.count > 0 {
            base = b
            capacity = buffer.count
            owned = false
        } else {
            capacity = 256
            base = .allocate(capacity: 256)
            owned = true
        }
    }

    deinit { if owned { base.deallocate() } }

    /// `true` while everything written still sits in the buffer passed to ``init(into:)``.
    package var isInPlace: Bool { !owned }

    /// The bytes written so far, as an array (one allocation).
    package var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    @inline(__always)
    private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        p.update(from: base, count: count)
        if owned { base.deallocate() }
        base = p
        capacity = newCapacity
        owned = true
    }

    @inline(__always) package mutating func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    @inline(__always) package mutating func raw(_ b: UnsafeBufferPointer<UInt8>) {
        guard let src = b.baseAddress, b.count > 0 else { return }
        reserve(b.count)
        (base + count).update(from: src, count: b.count)
        count += b.count
    }

    @inline(__always) package mutating func raw(_ s: StaticString) {
        raw(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    package mutating func raw(_ b: [UInt8]) {
        b.withUnsafeBufferPointer { raw($0) }
    }

    /// "00" "01" … "99": two digits per lookup, no initialization cost.
    private static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    package mutating func int(_ v: Int64) {
        reserve(20)
        var p = base + count
        var m = v.magnitude
        if v < 0 {
            p.pointee = 0x2D
            p += 1
        }
        if m < 10 {
            p.pointee = 0x30 &+ UInt8(truncatingIfNeeded: m)
            count = p - base + 1
            return
        }
        var digits = 2
        var limit: UInt64 = 100
        while digits < 20 && m >= limit {
            digits += 1
            limit &*= 10
        }
        var end = p + digits
        count = end - base
        let pairs = JSONWriter.digitPairs.utf8Start
        while m >= 100 {
            let pair = Int(truncatingIfNeeded: m % 100) &* 2
            m /= 100
            end -= 2
            end[0] = pairs[pair]
            end[1] = pairs[pair + 1]
        }
        if m >= 10 {
            let pair = Int(truncatingIfNeeded: m) &* 2
            p[0] = pairs[pair]
            p[1] = pairs[pair + 1]
        } else {
            p[0] = 0x30 &+ UInt8(truncatingIfNeeded: m)
        }
    }

    package mutating func bool(_ b: Bool) {
        if b { raw("true") } else { raw("false") }
    }

    package mutating func null() { raw("null") }

    /// A Java-formatted double; NaN and infinities as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`
    /// (Jackson's default `WRITE_NAN_AS_STRINGS`).
    package mutating func double(_ d: Double) {
        if !d.isFinite {
            raw(d.isNaN ? "\"NaN\"" : (d < 0 ? "\"-Infinity\"" : "\"Infinity\""))
            return
        }
        reserve(32)
        count += JavaNumberFormat.write(d, to: base + count)
    }

    package mutating func float(_ f: Float) {
        if !f.isFinite {
            raw(f.isNaN ? "\"NaN\"" : (f < 0 ? "\"-Infinity\"" : "\"Infinity\""))
            return
        }
        reserve(32)
        count += JavaNumberFormat.write(f, to: base + count)
    }

    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    private mutating func escapeUnicode(_ unit: UInt16) {
        reserve(6)
        base[count] = 0x5C
        base[count + 1] = 0x75
        JSONWriter.hex.withUnsafeBufferPointer { h in
            base[count + 2] = h[Int(unit >> 12)]
            base[count + 3] = h[Int((unit >> 8) & 0xF)]
            base[count + 4] = h[Int((unit >> 4) & 0xF)]
            base[count + 5] = h[Int(unit & 0xF)]
        }
        count += 6
    }

    private mutating func escapeShort(_ c: UInt8) {
        reserve(2)
        base[count] = 0x5C
        base[count + 1] = c
        count += 2
    }

    package mutating func string(_ s: String) {
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { utf8 in string(utf8) }
        if done == nil {
            var s = s
            s.withUTF8 { utf8 in string(utf8) }
        }
    }

    /// Whether any of the 8 bytes in `x` needs escaping or re-encoding: a control character
    /// (< 0x20), `"`, `\` or the lead byte of a 4-byte sequence (≥ 0xF0). Exact for "any".
    @inline(__always)
    private static func needsAttention(_ x: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & high }
        let control = (x &- ones &* 0x20) & ~x & high
        let quote = hasZero(x ^ (ones &* 0x22))
        let backslash = hasZero(x ^ (ones &* 0x5C))
        let fourByte = hasZero((x & (ones &* 0xF0)) ^ (ones &* 0xF0))
        return (control | quote | backslash | fourByte) != 0
    }

    /// Copies `n` bytes to the end (room reserved); runs of up to 16 bytes by two overlapping word
    /// moves instead of a call to memcpy.
    @inline(__always)
    private mutating func copyShort(from src: UnsafePointer<UInt8>, count n: Int) {
        let dst = base + count
        if n >= 8 && n <= 16 {
            let raw = UnsafeRawPointer(src)
            let a = raw.loadUnaligned(as: UInt64.self)
            let b = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            UnsafeMutableRawPointer(dst).storeBytes(of: a, as: UInt64.self)
            UnsafeMutableRawPointer(dst).storeBytes(of: b, toByteOffset: n - 8, as: UInt64.self)
        } else if n < 8 {
            for k in 0..<n { dst[k] = src[k] }
        } else {
            dst.update(from: src, count: n)
        }
        count += n
    }

    @inline(__always)
    private static func isPlain(_ c: UInt8) -> Bool { c >= 0x20 && c != 0x22 && c != 0x5C && c < 0xF0 }

    package mutating func string(_ utf8: UnsafeBufferPointer<UInt8>) {
        let n = utf8.count
        reserve(n + 2)
        base[count] = 0x22
        count += 1
        guard let src = utf8.baseAddress else {
            byte(0x22)
            return
        }
        let raw = UnsafeRawPointer(src)
        var runStart = 0
        var i = 0
        while true {
            // Skip plain bytes eight at a time, then one at a time.
            while i + 8 <= n, !JSONWriter.needsAttention(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { i += 8 }
            while i < n, JSONWriter.isPlain(src[i]) { i += 1 }
            if i > runStart {
                // Room was reserved for the whole string up front; escapes reserve their own.
                let run = i - runStart
                reserve(run + 1)
                copyShort(from: src + runStart, count: run)
            }
            if i >= n { break }
            let c = src[i]
            if c >= 0xF0, !escapesSupplementary {
                // A char-based Jackson generator (Avro's Schema.toString) writes them as they are.
                reserve(4)
                copyShort(from: src + i, count: min(4, n - i))
                i += 4
            } else if c >= 0xF0 {
                // 4-byte sequence: a supplementary character, written as two escaped surrogates.
                let scalar = (UInt32(c & 0x07) << 18) | (UInt32(src[i + 1] & 0x3F) << 12)
                    | (UInt32(src[i + 2] & 0x3F) << 6) | UInt32(src[i + 3] & 0x3F)
                let v = scalar - 0x10000
                escapeUnicode(UInt16(0xD800 + (v >> 10)))
                escapeUnicode(UInt16(0xDC00 + (v & 0x3FF)))
                i += 4
            } else {
                switch c {
                case 0x22: escapeShort(0x22)
                case 0x5C: escapeShort(0x5C)
                case 0x08: escapeShort(0x62)
                case 0x09: escapeShort(0x74)
                case 0x0A: escapeShort(0x6E)
                case 0x0C: escapeShort(0x66)
                case 0x0D: escapeShort(0x72)
                default: escapeUnicode(UInt16(c))
                }
                i += 1
            }
            runStart = i
        }
        byte(0x22)
    }

    /// Standard Base64 with padding, as Jackson writes binary nodes.
    package mutating func base64String(_ data: [UInt8]) {
        data.withUnsafeBufferPointer { base64String($0) }
    }

    package mutating func base64String(_ data: UnsafeBufferPointer<UInt8>) {
        let n = (data.count + 2) / 3 * 4
        reserve(n + 2)
        base[count] = 0x22
        Base64.encode(data, to: base + count + 1)
        base[count + 1 + n] = 0x22
        count += n + 2
    }

    package mutating func write(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let n): raw(Array(n.utf8))
        case .string(let s): string(s)
        case .array(let items):
            byte(0x5B)
            for (i, item) in items.enumerated() {
                if i > 0 { byte(0x2C) }
                write(item)
            }
            byte(0x5D)
        case .object(let members):
            byte(0x7B)
            for (i, m) in members.enumerated() {
                if i > 0 { byte(0x2C) }
                string(m.key)
                byte(0x3A)
                write(m.value)
            }
            byte(0x7D)
        }
    }
}

/// Base64 (RFC 4648 standard alphabet, padded) without Foundation.
package enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let decodeTable: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    /// Writes `(data.count + 2) / 3 * 4` bytes at `out`.
    package static func encode(_ data: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) {
        alphabet.withUnsafeBufferPointer { a in
            var i = 0, o = 0
            let n = data.count
            while i + 3 <= n {
                let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
                out[o] = a[Int(v >> 18)]
                out[o + 1] = a[Int((v >> 12) & 63)]
                out[o + 2] = a[Int((v >> 6) & 63)]
                out[o + 3] = a[Int(v & 63)]
                i += 3
                o += 4
            }
            if n - i == 1 {
                let v = UInt32(data[i]) << 16
                out[o] = a[Int(v >> 18)]
                out[o + 1] = a[Int((v >> 12) & 63)]
                out[o + 2] = 0x3D
                out[o + 3] = 0x3D
            } else if n - i == 2 {
                let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8
                out[o] = a[Int(v >> 18)]
                out[o + 1] = a[Int((v >> 12) & 63)]
                out[o + 2] = a[Int((v >> 6) & 63)]
                out[o + 3] = 0x3D
            }
        }
    }

    package static func encode(_ data: [UInt8], into out: inout [UInt8]) {
        var i = 0
        let n = data.count
        while i + 3 <= n {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
            out.append(alphabet[Int(v >> 18)])
            out.append(alphabet[Int((v >> 12) & 63)])
            out.append(alphabet[Int((v >> 6) & 63)])
            out.append(alphabet[Int(v & 63)])
            i += 3
        }
        if n - i == 1 {
            let v = UInt32(data[i]) << 16
            out.append(alphabet[Int(v >> 18)])
            out.append(alphabet[Int((v >> 12) & 63)])
            out.append(0x3D)
            out.append(0x3D)
        } else if n - i == 2 {
            let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8
            out.append(alphabet[Int(v >> 18)])
            out.append(alphabet[Int((v >> 12) & 63)])
            out.append(alphabet[Int((v >> 6) & 63)])
            out.append(0x3D)
        }
    }

    package static func encode(_ data: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((data.count + 2) / 3 * 4)
        encode(data, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The big-endian two's-complement integer (Java's `new BigInteger(bytes)`) of Base64 text
    /// decoding to at most 8 bytes, without allocating; nil when the text is longer or not Base64
    /// by the rules of ``decode(_:)``.
    package static func decodeInt64(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard text.count <= 12 else { return nil }
        var acc: UInt32 = 0
        var bits = 0
        var padding = 0
        var value: Int64 = 0
        var bytes = 0
        var first: UInt8 = 0
        for c in text {
            if c == 0x3D { padding += 1; continue }
            if padding > 0 { return nil }
            let d = decodeTable.withUnsafeBufferPointer { $0[Int(c)] }
            if d == 0xFF { return nil }
            acc = acc << 6 | UInt32(d)
            bits += 6
            if bits >= 8 {
                bits -= 8
                let b = UInt8(truncatingIfNeeded: acc >> UInt32(bits))
                if bytes == 0 { first = b }
                bytes += 1
                if bytes > 8 { return nil }
                value = value << 8 | Int64(b)
            }
        }
        if bits >= 6 || padding > 2 { return nil }
        if bytes == 0 { return 0 }
        if first >= 0x80 && bytes < 8 { value |= -1 << Int64(bytes * 8) }  // sign-extend
        return value
    }

    /// Decodes standard Base64; padding is optional. Returns nil for any other character.
    package static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        var padding = 0
        for c in text {
            if c == 0x3D { padding += 1; continue }
            if padding > 0 { return nil }
            let d = decodeTable[Int(c)]
            if d == 0xFF { return nil }
            acc = acc << 6 | UInt32(d)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        if bits >= 6 || padding > 2 { return nil }
        return out
    }
}
