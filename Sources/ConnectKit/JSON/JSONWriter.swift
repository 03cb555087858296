/// Appends compact JSON to a byte buffer exactly as Jackson's `UTF8JsonGenerator` writes it in Kafka
/// (no spaces; strings escaped with `\"`, `\\`, `\b \t \n \f \r`, other control characters as
/// `\u00XX` with upper-case hex; characters outside the Basic Multilingual Plane as two escaped
/// UTF-16 surrogates `\uD83D\uDE00`; everything else as raw UTF-8; floats in Java notation).
package struct JSONWriter {
    package var bytes: [UInt8]

    package init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inline(__always) package mutating func byte(_ b: UInt8) { bytes.append(b) }

    @inline(__always) package mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    package mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    package mutating func int(_ v: Int64) {
        if v >= 0 && v < 10 {
            bytes.append(0x30 + UInt8(v))
            return
        }
        var m = v.magnitude
        if v < 0 { bytes.append(0x2D) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { p in
            var i = 20
            repeat {
                i -= 1
                p[i] = 0x30 + UInt8(m % 10)
                m /= 10
            } while m != 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: p[i..<20]))
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
        JavaNumberFormat.append(d, to: &bytes)
    }

    package mutating func float(_ f: Float) {
        if !f.isFinite {
            raw(f.isNaN ? "\"NaN\"" : (f < 0 ? "\"-Infinity\"" : "\"Infinity\""))
            return
        }
        JavaNumberFormat.append(f, to: &bytes)
    }

    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    private mutating func escapeUnicode(_ unit: UInt16) {
        bytes.append(0x5C)
        bytes.append(0x75)
        bytes.append(JSONWriter.hex[Int(unit >> 12)])
        bytes.append(JSONWriter.hex[Int((unit >> 8) & 0xF)])
        bytes.append(JSONWriter.hex[Int((unit >> 4) & 0xF)])
        bytes.append(JSONWriter.hex[Int(unit & 0xF)])
    }

    package mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in string(utf8) }
    }

    package mutating func string(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(0x22)
        var runStart = 0
        var i = 0
        let n = utf8.count
        while i < n {
            let c = utf8[i]
            if c >= 0x20 && c != 0x22 && c != 0x5C && c < 0xF0 {
                i += 1
                continue
            }
            if i > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
            if c >= 0xF0 {
                // 4-byte sequence: a supplementary character, written as two escaped surrogates.
                let scalar = (UInt32(c & 0x07) << 18) | (UInt32(utf8[i + 1] & 0x3F) << 12)
                    | (UInt32(utf8[i + 2] & 0x3F) << 6) | UInt32(utf8[i + 3] & 0x3F)
                let v = scalar - 0x10000
                escapeUnicode(UInt16(0xD800 + (v >> 10)))
                escapeUnicode(UInt16(0xDC00 + (v & 0x3FF)))
                i += 4
            } else {
                switch c {
                case 0x22: bytes.append(0x5C); bytes.append(0x22)
                case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
                case 0x08: bytes.append(0x5C); bytes.append(0x62)
                case 0x09: bytes.append(0x5C); bytes.append(0x74)
                case 0x0A: bytes.append(0x5C); bytes.append(0x6E)
                case 0x0C: bytes.append(0x5C); bytes.append(0x66)
                case 0x0D: bytes.append(0x5C); bytes.append(0x72)
                default: escapeUnicode(UInt16(c))
                }
                i += 1
            }
            runStart = i
        }
        if n > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<n])) }
        bytes.append(0x22)
    }

    /// Standard Base64 with padding, as Jackson writes binary nodes.
    package mutating func base64String(_ data: [UInt8]) {
        bytes.append(0x22)
        Base64.encode(data, into: &bytes)
        bytes.append(0x22)
    }

    package mutating func write(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let n): bytes.append(contentsOf: n.utf8)
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
