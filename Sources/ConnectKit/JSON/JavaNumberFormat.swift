#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Formats floating-point numbers exactly as Java's `Double.toString` / `Float.toString` do on
/// JDK 19 and later (the shortest decimal that rounds back to the same value, Raffaello Giulietti's
/// algorithm), which is what Jackson writes for Kafka's JsonConverter:
/// `100.0`, `0.001`, `1.0E-4`, `1.0E7`, `1.0E21`, `4.9E-324`.
///
/// Plain notation is used for magnitudes in [10⁻³, 10⁷), computerized scientific notation otherwise.
/// Swift's own `description` already yields the shortest round-tripping digits; this type only
/// re-lays them out in Java's notation (and applies Java's two-digit rule for tiny subnormals).
public enum JavaNumberFormat {
    /// Java's `Double.toString(d)`.
    public static func string(_ d: Double) -> String {
        var out: [UInt8] = []
        append(d, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Java's `Float.toString(f)`.
    public static func string(_ f: Float) -> String {
        var out: [UInt8] = []
        append(f, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    package static func append(_ d: Double, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buf in
            let n = write(d, to: buf.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[..<n]))
        }
    }

    package static func append(_ f: Float, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buf in
            let n = write(f, to: buf.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[..<n]))
        }
    }

    /// Writes Java's `Double.toString(d)` at `out` (at most 32 bytes); returns the length.
    package static func write(_ d: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if d.isNaN { return copy("NaN", out) }
        if d.isInfinite { return copy(d < 0 ? "-Infinity" : "Infinity", out) }
        if d == 0 { return copy(d.sign == .minus ? "-0.0" : "0.0", out) }
        if d == d.rounded(.towardZero), d.magnitude < 1e7 {
            // Integral values below 10^7: "123.0" without the digit search.
            var v = Int64(d)
            var n = 0
            if v < 0 { out[0] = 0x2D; n = 1; v = -v }
            var digits = 1
            var t = v
            while t >= 10 { t /= 10; digits += 1 }
            var i = n + digits
            let end = i
            repeat { i -= 1; out[i] = 0x30 + UInt8(v % 10); v /= 10 } while v != 0
            out[end] = 0x2E
            out[end + 1] = 0x30
            return end + 2
        }
        if let n = writeShortFraction(d, to: out) { return n }
        return writeBySearch(d, to: out)
    }

    /// Java's `Double.toString(d)` through the general digit search only (tests compare it with the
    /// short-fraction path).
    package static func stringBySearch(_ d: Double) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buf in
            let n = writeBySearch(d, to: buf.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buf[..<n]), as: UTF8.self)
        }
    }

    private static func writeBySearch(_ d: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if !d.isFinite || d == 0 { return write(d, to: out) }
        var text = d.description
        if d.isSubnormal { text = twoDigitCandidate(text, d, { Double($0) == d }) }
        return text.withUTF8 { layout($0, out) }
    }

    private static let powersOfTen: (Double, Double, Double, Double, Double, Double) = (1e1, 1e2, 1e3, 1e4, 1e5, 1e6)

    /// The common case without the digit search: a non-integral `d` with 10⁻³ ≤ |d| < 10⁷ that is
    /// exactly the double nearest to some `m / 10^k`, k ≤ 6 (prices, measurements). Then the
    /// shortest decimal is `m / 10^k` for the smallest such k: a division of two exact doubles is
    /// correctly rounded, so `Double(m) / 10^k == d` is the same test a parser makes, and below 10⁷ a
    /// double's spacing (< 2·10⁻⁹) leaves one k-digit candidate. Returns nil when no k ≤ 6 fits.
    @inline(__always)
    private static func writeShortFraction(_ d: Double, to out: UnsafeMutablePointer<UInt8>) -> Int? {
        let magnitude = d.magnitude
        guard magnitude >= 1e-3, magnitude < 1e7 else { return nil }
        return withUnsafeBytes(of: powersOfTen) { raw -> Int? in
            let powers = raw.assumingMemoryBound(to: Double.self)
            for k in 0..<6 {
                let scale = powers[k]
                let scaled = (magnitude * scale).rounded()
                guard scaled / scale == magnitude else { continue }
                var m = UInt64(scaled)
                let digits = k + 1
                var o = 0
                if d < 0 { out[0] = 0x2D; o = 1 }
                // Integer part.
                var divisor: UInt64 = 10
                for _ in 0..<k { divisor &*= 10 }
                var integer = m / divisor
                m -= integer * divisor
                var intDigits = 1
                var t = integer
                while t >= 10 { t /= 10; intDigits += 1 }
                var p = o + intDigits
                repeat { p -= 1; out[p] = 0x30 + UInt8(integer % 10); integer /= 10 } while integer != 0
                o += intDigits
                out[o] = 0x2E
                o += 1
                p = o + digits
                for _ in 0..<digits { p -= 1; out[p] = 0x30 + UInt8(m % 10); m /= 10 }
                return o + digits
            }
            return nil
        }
    }

    /// Writes Java's `Float.toString(f)` at `out` (at most 32 bytes); returns the length.
    package static func write(_ f: Float, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if f.isNaN { return copy("NaN", out) }
        if f.isInfinite { return copy(f < 0 ? "-Infinity" : "Infinity", out) }
        if f == 0 { return copy(f.sign == .minus ? "-0.0" : "0.0", out) }
        var text = f.description
        if f.isSubnormal { text = twoDigitCandidate(text, Double(f), { Float($0) == f }) }
        return text.withUTF8 { layout($0, out) }
    }

    private static func copy(_ s: StaticString, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        out.update(from: s.utf8Start, count: s.utf8CodeUnitCount)
        return s.utf8CodeUnitCount
    }

    /// Java (JDK ≥ 19) considers two-digit decimals when the shortest has one digit and picks the
    /// closest to the exact value (`4.9E-324`, not `5E-324`). Only subnormals can differ.
    private static func twoDigitCandidate(_ shortest: String, _ exact: Double, _ roundTrips: (String) -> Bool) -> String {
        let mantissa = shortest.utf8.prefix { $0 != 0x65 && $0 != 0x45 }.filter { $0 >= 0x30 && $0 <= 0x39 }
        let significantDigits = mantissa.drop(while: { $0 == 0x30 }).reversed().drop(while: { $0 == 0x30 }).count
        guard significantDigits == 1 else { return shortest }
        var buffer = [CChar](repeating: 0, count: 64)
        let n = withVaList([exact]) { vsnprintf(&buffer, 64, "%.1e", $0) }
        guard n > 0 else { return shortest }
        let candidate = String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return roundTrips(candidate) ? candidate : shortest
    }

    /// Re-lays out Swift's shortest digits (`"1e-07"`, `"123.45"`, `"1.5e+300"`) in Java's notation.
    private static func layout(_ text: UnsafeBufferPointer<UInt8>, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes of digit scratch
        return withUnsafeMutableBytes(of: &digits) { scratch -> Int in
            let dig = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var nd = 0
            var negative = false
            var pointIndex = -1
            var exponent = 0
            var i = 0
            while i < text.count {
                let c = text[i]
                i += 1
                if c >= 0x30 && c <= 0x39 {
                    if nd < 32 { dig[nd] = c; nd += 1 }
                } else if c == 0x2E {
                    pointIndex = nd
                } else if c == 0x2D {
                    negative = true
                } else if c == 0x65 || c == 0x45 {
                    var expNegative = false
                    var value = 0
                    while i < text.count {
                        let e = text[i]
                        i += 1
                        if e == 0x2D { expNegative = true } else if e >= 0x30 && e <= 0x39 { value = value * 10 + Int(e - 0x30) }
                    }
                    exponent = expNegative ? -value : value
                }
            }
            var point = (pointIndex < 0 ? nd : pointIndex) + exponent
            var start = 0
            while start < nd - 1 && dig[start] == 0x30 {
                start += 1
                point -= 1
            }
            var end = nd
            while end > start + 1 && dig[end - 1] == 0x30 { end -= 1 }
            let sigCount = end - start
            let sciExp = point - 1
            var o = 0
            if negative { out[o] = 0x2D; o += 1 }
            if sciExp >= -3 && sciExp < 7 {
                if sciExp >= 0 {
                    let intCount = sciExp + 1
                    if sigCount <= intCount {
                        for k in 0..<sigCount { out[o] = dig[start + k]; o += 1 }
                        for _ in 0..<(intCount - sigCount) { out[o] = 0x30; o += 1 }
                        out[o] = 0x2E
                        out[o + 1] = 0x30
                        o += 2
                    } else {
                        for k in 0..<intCount { out[o] = dig[start + k]; o += 1 }
                        out[o] = 0x2E
                        o += 1
                        for k in intCount..<sigCount { out[o] = dig[start + k]; o += 1 }
                    }
                } else {
                    out[o] = 0x30
                    out[o + 1] = 0x2E
                    o += 2
                    for _ in 0..<(-sciExp - 1) { out[o] = 0x30; o += 1 }
                    for k in 0..<sigCount { out[o] = dig[start + k]; o += 1 }
                }
            } else {
                out[o] = dig[start]
                out[o + 1] = 0x2E
                o += 2
                if sigCount > 1 {
                    for k in 1..<sigCount { out[o] = dig[start + k]; o += 1 }
                } else {
                    out[o] = 0x30
                    o += 1
                }
                out[o] = 0x45
                o += 1
                var e = sciExp
                if e < 0 { out[o] = 0x2D; o += 1; e = -e }
                if e >= 100 { out[o] = 0x30 + UInt8(e / 100); o += 1 }
                if e >= 10 { out[o] = 0x30 + UInt8(e / 10 % 10); o += 1 }
                out[o] = 0x30 + UInt8(e % 10)
                o += 1
            }
            return o
        }
    }
}
