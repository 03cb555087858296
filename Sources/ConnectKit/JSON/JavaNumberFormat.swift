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
        if d.isNaN { out.append(contentsOf: "NaN".utf8); return }
        if d.isInfinite { out.append(contentsOf: (d < 0 ? "-Infinity" : "Infinity").utf8); return }
        if d == 0 { out.append(contentsOf: (d.sign == .minus ? "-0.0" : "0.0").utf8); return }
        var text = d.description
        if d.isSubnormal { text = twoDigitCandidate(text, Double(d), { Double($0) == d }) }
        layout(text, &out)
    }

    package static func append(_ f: Float, to out: inout [UInt8]) {
        if f.isNaN { out.append(contentsOf: "NaN".utf8); return }
        if f.isInfinite { out.append(contentsOf: (f < 0 ? "-Infinity" : "Infinity").utf8); return }
        if f == 0 { out.append(contentsOf: (f.sign == .minus ? "-0.0" : "0.0").utf8); return }
        var text = f.description
        if f.isSubnormal { text = twoDigitCandidate(text, Double(f), { Float($0) == f }) }
        layout(text, &out)
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
    private static func layout(_ text: String, _ out: inout [UInt8]) {
        var digits: [UInt8] = []
        digits.reserveCapacity(20)
        var negative = false
        var pointIndex: Int? = nil
        var exponent = 0
        var iter = text.utf8.makeIterator()
        while let c = iter.next() {
            switch c {
            case 0x2D: negative = true
            case 0x2E: pointIndex = digits.count
            case 0x30...0x39: digits.append(c)
            case 0x65, 0x45:
                var expNegative = false
                var value = 0
                while let e = iter.next() {
                    if e == 0x2D { expNegative = true } else if e >= 0x30 && e <= 0x39 { value = value * 10 + Int(e - 0x30) }
                }
                exponent = expNegative ? -value : value
            default: break
            }
        }
        var point = (pointIndex ?? digits.count) + exponent
        var start = 0
        while start < digits.count - 1 && digits[start] == 0x30 {
            start += 1
            point -= 1
        }
        var end = digits.count
        while end > start + 1 && digits[end - 1] == 0x30 { end -= 1 }
        let sig = digits[start..<end]
        let sciExp = point - 1
        if negative { out.append(0x2D) }
        if sciExp >= -3 && sciExp < 7 {
            if sciExp >= 0 {
                let intCount = sciExp + 1
                if sig.count <= intCount {
                    out.append(contentsOf: sig)
                    for _ in 0..<(intCount - sig.count) { out.append(0x30) }
                    out.append(0x2E)
                    out.append(0x30)
                } else {
                    out.append(contentsOf: sig.prefix(intCount))
                    out.append(0x2E)
                    out.append(contentsOf: sig.dropFirst(intCount))
                }
            } else {
                out.append(0x30)
                out.append(0x2E)
                for _ in 0..<(-sciExp - 1) { out.append(0x30) }
                out.append(contentsOf: sig)
            }
        } else {
            out.append(sig.first!)
            out.append(0x2E)
            if sig.count > 1 { out.append(contentsOf: sig.dropFirst()) } else { out.append(0x30) }
            out.append(0x45)
            out.append(contentsOf: String(sciExp).utf8)
        }
    }
}
