#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
/// A JSON scanner over raw UTF-8 bytes, with the grammar Jackson accepts in Kafka's JsonDeserializer
/// (strict JSON plus leading zeros in numbers). Errors are ``DataError``s carrying the byte offset.
///
/// The reader does not own its bytes: create it inside `withUnsafeBufferPointer` and keep it there.
package struct JSONReader {
    let base: UnsafePointer<UInt8>
    let count: Int
    package var pos: Int = 0

    package init(_ buffer: UnsafeBufferPointer<UInt8>) {
        // An empty buffer may have a nil base address; point at a static byte instead.
        base = buffer.baseAddress ?? JSONReader.emptyByte
        count = buffer.count
    }

    nonisolated(unsafe) private static let emptyByte: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    @inline(__always) package var atEnd: Bool { pos >= count }

    /// A problem with what the JSON means (a converter's schema check).
    package func error(_ message: String, at offset: Int? = nil) -> DataError {
        DataError(message, byteOffset: offset ?? pos)
    }

    /// Kafka's `JsonConverter` message for bytes that are not JSON (Jackson's text is its cause;
    /// here the cause says what and where).
    package static let serializationFailure = "Converting byte[] to Kafka Connect data failed due to serialization error: "

    /// Bytes that are not JSON: Kafka's message, this reader's explanation as the cause.
    func syntax(_ message: String, at offset: Int? = nil) -> DataError {
        DataError(JSONReader.serializationFailure, cause: message, byteOffset: offset ?? pos)
    }

    private func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    func unexpected(_ expected: String) -> DataError {
        if atEnd { return syntax("Unexpected end of input: expected \(expected)") }
        return syntax("Unexpected character \(describe(base[pos])): expected \(expected)")
    }

    @inline(__always)
    package mutating func skipWhitespace() {
        while pos < count {
            let c = base[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { return }
        }
    }

    @inline(__always)
    package mutating func peek() -> UInt8? {
        skipWhitespace()
        return pos < count ? base[pos] : nil
    }

    /// Consumes `prefix` when the input continues with exactly these bytes.
    @inline(__always)
    package mutating func consumePrefix(_ prefix: [UInt8]) -> Bool {
        let n = prefix.count
        guard count - pos >= n else { return false }
        let same = prefix.withUnsafeBufferPointer { p in memcmp(p.baseAddress!, base + pos, n) == 0 }
        if same { pos += n }
        return same
    }

    @inline(__always)
    package mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if pos < count && base[pos] == byte {
            pos += 1
            return true
        }
        return false
    }

    @inline(__always)
    package mutating func expect(_ byte: UInt8, _ what: StaticString) throws(DataError) {
        if pos < count && base[pos] == byte {
            pos += 1
            return
        }
        if !consume(byte) { throw unexpected("\(what)") }
    }

    /// Ensures only whitespace follows the value.
    package mutating func expectEnd() throws(DataError) {
        skipWhitespace()
        if pos < count { throw syntax("Unexpected trailing content \(describe(base[pos])) after the JSON value") }
    }

    package mutating func expectLiteral(_ literal: StaticString) throws(DataError) {
        let start = pos
        let n = literal.utf8CodeUnitCount
        let p = literal.utf8Start
        for i in 0..<n where pos + i >= count || base[pos + i] != p[i] {
            throw syntax("Unrecognized token: expected '\(literal)'", at: start)
        }
        pos += n
        if pos < count, isIdentifierByte(base[pos]) {
            throw syntax("Unrecognized token: expected '\(literal)'", at: start)
        }
    }

    @inline(__always)
    private func isIdentifierByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
    }

    // MARK: Strings

    /// Reads a string (the opening quote is next, after whitespace).
    package mutating func readString() throws(DataError) -> String {
        skipWhitespace()
        guard pos < count, base[pos] == 0x22 else { throw unexpected("a string") }
        pos += 1
        let start = pos
        while pos < count {
            let c = base[pos]
            if c == 0x22 {
                let s = try makeString(start, pos)
                pos += 1
                return s
            }
            if c == 0x5C { return try readEscapedString(start) }
            if c < 0x20 { throw syntax("Illegal unquoted control character (code \(c)) in string: must be escaped") }
            pos += 1
        }
        throw syntax("Unexpected end of input in a string", at: start - 1)
    }

    /// Compares the next string with `expected` without allocating when it has no escapes.
    /// Returns nil if the string contains escapes (the caller should then use `readString`).
    package mutating func readKeyBytes() throws(DataError) -> UnsafeBufferPointer<UInt8>? {
        skipWhitespace()
        guard pos < count, base[pos] == 0x22 else { throw unexpected("a field name string") }
        let start = pos + 1
        var p = start
        while p < count {
            let c = base[p]
            if c == 0x22 {
                pos = p + 1
                return UnsafeBufferPointer(start: base + start, count: p - start)
            }
            if c == 0x5C { return nil }
            if c < 0x20 {
                pos = p
                throw syntax("Illegal unquoted control character (code \(c)) in string: must be escaped")
            }
            p += 1
        }
        pos = p
        throw syntax("Unexpected end of input in a string", at: start - 1)
    }

    /// A string from bytes inside the input (validated UTF-8).
    package func string(_ buf: UnsafeBufferPointer<UInt8>) throws(DataError) -> String {
        guard let b = buf.baseAddress else { return "" }
        return try makeString(b - base, b - base + buf.count)
    }

    private func makeString(_ start: Int, _ end: Int) throws(DataError) -> String {
        let buf = UnsafeBufferPointer(start: base + start, count: end - start)
        if JSONReader.isASCII(buf) { return String(decoding: buf, as: UTF8.self) }
        guard let s = String(validating: buf, as: UTF8.self) else {
            throw syntax("Invalid UTF-8 in string", at: start)
        }
        return s
    }

    @inline(__always)
    static func isASCII(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = buf.count
        let raw = UnsafeRawPointer(buf.baseAddress)
        if let raw {
            while i + 8 <= n {
                if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
                i += 8
            }
        }
        while i < n {
            if buf[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }

    private mutating func readEscapedString(_ start: Int) throws(DataError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(pos - start + 16)
        bytes.append(contentsOf: UnsafeBufferPointer(start: base + start, count: pos - start))
        while pos < count {
            let c = base[pos]
            if c == 0x22 {
                pos += 1
                guard let s = String(validating: bytes, as: UTF8.self) else { throw syntax("Invalid UTF-8 in string", at: start) }
                return s
            }
            if c < 0x20 { throw syntax("Illegal unquoted control character (code \(c)) in string: must be escaped") }
            if c != 0x5C {
                bytes.append(c)
                pos += 1
                continue
            }
            let escapeAt = pos
            pos += 1
            guard pos < count else { break }
            let e = base[pos]
            pos += 1
            switch e {
            case 0x22: bytes.append(0x22)
            case 0x5C: bytes.append(0x5C)
            case 0x2F: bytes.append(0x2F)
            case 0x62: bytes.append(0x08)
            case 0x66: bytes.append(0x0C)
            case 0x6E: bytes.append(0x0A)
            case 0x72: bytes.append(0x0D)
            case 0x74: bytes.append(0x09)
            case 0x75:
                var scalar = try readHex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate: combine with a following low surrogate escape.
                    if pos + 1 < count, base[pos] == 0x5C, base[pos + 1] == 0x75 {
                        let save = pos
                        pos += 2
                        let low = try readHex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            pos = save
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    scalar = 0xFFFD
                }
                appendUTF8(&bytes, scalar)
            default:
                throw syntax("Unrecognized character escape \(describe(e))", at: escapeAt)
            }
        }
        throw syntax("Unexpected end of input in a string", at: start - 1)
    }

    private mutating func readHex4() throws(DataError) -> UInt32 {
        guard pos + 4 <= count else { throw syntax("Unexpected end of input in a \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = base[pos]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw syntax("Unexpected character \(describe(c)) in a \\u escape: expected a hex digit")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    private func appendUTF8(_ bytes: inout [UInt8], _ v: UInt32) {
        switch v {
        case 0..<0x80: bytes.append(UInt8(v))
        case 0x80..<0x800:
            bytes.append(UInt8(0xC0 | (v >> 6)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            bytes.append(UInt8(0xE0 | (v >> 12)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        default:
            bytes.append(UInt8(0xF0 | (v >> 18)))
            bytes.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    // MARK: Numbers

    /// A number token: its bytes and whether it is integral (no fraction, no exponent).
    package struct NumberToken {
        package var start: Int
        package var end: Int
        package var isIntegral: Bool
    }

    /// Reads a number token, validating JSON's grammar (leading zeros allowed, as Kafka enables).
    package mutating func readNumber() throws(DataError) -> NumberToken {
        skipWhitespace()
        let start = pos
        if pos < count, base[pos] == 0x2D { pos += 1 }
        let intStart = pos
        while pos < count, base[pos] >= 0x30, base[pos] <= 0x39 { pos += 1 }
        if pos == intStart { pos = start; throw unexpected("a number") }
        var integral = true
        if pos < count, base[pos] == 0x2E {
            integral = false
            pos += 1
            let f = pos
            while pos < count, base[pos] >= 0x30, base[pos] <= 0x39 { pos += 1 }
            if pos == f { throw syntax("Unexpected character after decimal point: expected a digit") }
        }
        if pos < count, base[pos] == 0x65 || base[pos] == 0x45 {
            integral = false
            pos += 1
            if pos < count, base[pos] == 0x2B || base[pos] == 0x2D { pos += 1 }
            let e = pos
            while pos < count, base[pos] >= 0x30, base[pos] <= 0x39 { pos += 1 }
            if pos == e { throw syntax("Unexpected character in exponent: expected a digit") }
        }
        if pos < count, isIdentifierByte(base[pos]) || base[pos] == 0x2E {
            throw syntax("Unexpected character \(describe(base[pos])) in a number")
        }
        return NumberToken(start: start, end: pos, isIntegral: integral)
    }

    /// An integer written plainly (`-?[0-9]{1,18}` followed by a delimiter or the end), read in one
    /// pass; nil, without moving, for anything else (fraction, exponent, 19+ digits, whitespace),
    /// which the general path then reads or rejects with its message.
    @inline(__always)
    package mutating func plainInteger() -> Int64? {
        var p = pos
        guard p < count else { return nil }
        let negative = base[p] == 0x2D
        if negative { p += 1 }
        let digitsStart = p
        var v: Int64 = 0
        while p < count {
            let d = base[p] &- 0x30
            if d > 9 { break }
            v = v &* 10 &+ Int64(d)
            p += 1
        }
        let digits = p - digitsStart
        guard digits > 0, digits <= 18 else { return nil }
        if p < count, !JSONReader.isDelimiter(base[p]) { return nil }
        pos = p
        return negative ? -v : v
    }

    /// Whether `c` may follow a scalar value: `,`, `}`, `]` or whitespace.
    @inline(__always)
    package static func isDelimiter(_ c: UInt8) -> Bool {
        c == 0x2C || c == 0x7D || c == 0x5D || c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09
    }

    /// A string without escapes whose bytes are all ASCII, read in one pass; nil, without moving,
    /// otherwise (the general path then handles escapes, validation and errors).
    @inline(__always)
    package mutating func plainASCIIString() -> UnsafeBufferPointer<UInt8>? {
        guard pos < count, base[pos] == 0x22 else { return nil }
        var p = pos + 1
        let start = p
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        // Eight bytes at a time while none is a quote, a backslash, a control byte or non-ASCII.
        while p + 8 <= count {
            let x = raw.loadUnaligned(fromByteOffset: p, as: UInt64.self)
            let q = x ^ (ones &* 0x22)
            let b = x ^ (ones &* 0x5C)
            let quote = (q &- ones) & ~q & high
            let backslash = (b &- ones) & ~b & high
            let control = (x &- (ones &* 0x20)) & ~x & high
            if (quote | backslash | control | (x & high)) != 0 { break }
            p += 8
        }
        while p < count {
            let c = base[p]
            if c == 0x22 {
                pos = p + 1
                return UnsafeBufferPointer(start: base + start, count: p - start)
            }
            if c == 0x5C || c < 0x20 || c >= 0x80 { return nil }
            p += 1
        }
        return nil
    }

    /// The token's text (ASCII).
    package func text(_ t: NumberToken) -> String {
        String(decoding: UnsafeBufferPointer(start: base + t.start, count: t.end - t.start), as: UTF8.self)
    }

    /// Parses an integral token as Int64; nil on overflow.
    package func int64(_ t: NumberToken) -> Int64? {
        var i = t.start
        let negative = base[i] == 0x2D
        if negative { i += 1 }
        var v: Int64 = 0
        while i < t.end {
            let d = Int64(base[i] &- 0x30)
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            v = s
            i += 1
        }
        return v
    }

    /// Parses any number token as a correctly rounded Double. Like Kafka (which reads JSON floats as
    /// `BigDecimal`, which has no negative zero), `-0.0` reads as `0.0`.
    package func double(_ t: NumberToken) -> Double {
        if let fast = fastDouble(t) { return fast == 0 ? 0 : fast }
        let d = Double(text(t)) ?? .nan
        return d == 0 ? 0 : d
    }

    private static let exactPowersOfTen: [Double] = (0...22).map { p in
        var v = 1.0
        for _ in 0..<p { v *= 10 }
        return v
    }

    /// Clinger's fast path: at most 15 significant digits and a power of ten up to 22 are both exact
    /// in a Double, so one multiplication or division rounds correctly.
    private func fastDouble(_ t: NumberToken) -> Double? {
        var i = t.start
        let negative = base[i] == 0x2D
        if negative { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var seenPoint = false
        while i < t.end {
            let c = base[i]
            if c >= 0x30 && c <= 0x39 {
                if digits > 0 || c != 0x30 { digits += 1 }
                if digits > 15 { return nil }
                mantissa = mantissa &* 10 &+ UInt64(c - 0x30)
                if seenPoint { scale += 1 }
            } else if c == 0x2E {
                seenPoint = true
            } else {
                break
            }
            i += 1
        }
        var exponent = 0
        if i < t.end {  // 'e' or 'E'
            i += 1
            var expNegative = false
            if base[i] == 0x2D || base[i] == 0x2B {
                expNegative = base[i] == 0x2D
                i += 1
            }
            while i < t.end {
                exponent = exponent * 10 + Int(base[i] - 0x30)
                if exponent > 400 { return nil }
                i += 1
            }
            if expNegative { exponent = -exponent }
        }
        let power = exponent - scale
        var v = Double(mantissa)
        if power < 0 {
            guard power >= -22 else { return nil }
            v /= JSONReader.exactPowersOfTen[-power]
        } else if power > 0 {
            guard power <= 22 else { return nil }
            v *= JSONReader.exactPowersOfTen[power]
        }
        return negative ? -v : v
    }

    /// The bytes of the string at the reader's position if it has no escapes (advancing past it);
    /// nil, without advancing, when it has escapes.
    package mutating func readRawString() throws(DataError) -> UnsafeBufferPointer<UInt8>? {
        try readKeyBytes()
    }

    /// Parses any number token as a correctly rounded Float (`-0.0` reads as `0.0`, as in Kafka).
    package func float(_ t: NumberToken) -> Float {
        let f = Float(text(t)) ?? .nan
        return f == 0 ? 0 : f
    }

    // MARK: Skipping and generic values

    /// Skips one complete value (validating it).
    package mutating func skipValue(depth: Int = 0) throws(DataError) {
        guard depth < 1000 else { throw syntax("JSON nested too deeply") }
        guard let c = peek() else { throw unexpected("a value") }
        switch c {
        case 0x7B:
            pos += 1
            if consume(0x7D) { return }
            repeat {
                _ = try readString()
                try expect(0x3A, "':'")
                try skipValue(depth: depth + 1)
            } while consume(0x2C)
            try expect(0x7D, "',' or '}'")
        case 0x5B:
            pos += 1
            if consume(0x5D) { return }
            repeat { try skipValue(depth: depth + 1) } while consume(0x2C)
            try expect(0x5D, "',' or ']'")
        case 0x22: _ = try readString()
        case 0x74: try expectLiteral("true")
        case 0x66: try expectLiteral("false")
        case 0x6E: try expectLiteral("null")
        default: _ = try readNumber()
        }
    }

    /// Parses one value into a ``JSONValue`` tree.
    package mutating func readValue(depth: Int = 0) throws(DataError) -> JSONValue {
        guard depth < 1000 else { throw syntax("JSON nested too deeply") }
        guard let c = peek() else { throw unexpected("a value") }
        switch c {
        case 0x7B:
            pos += 1
            var members: [(key: String, value: JSONValue)] = []
            if consume(0x7D) { return .object(members) }
            repeat {
                let k = try readString()
                try expect(0x3A, "':'")
                let v = try readValue(depth: depth + 1)
                if let i = members.firstIndex(where: { $0.key == k }) { members[i].value = v } else { members.append((k, v)) }
            } while consume(0x2C)
            try expect(0x7D, "',' or '}'")
            return .object(members)
        case 0x5B:
            pos += 1
            var items: [JSONValue] = []
            if consume(0x5D) { return .array(items) }
            repeat { items.append(try readValue(depth: depth + 1)) } while consume(0x2C)
            try expect(0x5D, "',' or ']'")
            return .array(items)
        case 0x22: return .string(try readString())
        case 0x74: try expectLiteral("true"); return .bool(true)
        case 0x66: try expectLiteral("false"); return .bool(false)
        case 0x6E: try expectLiteral("null"); return .null
        default:
            let t = try readNumber()
            return .number(text(t))
        }
    }
}
