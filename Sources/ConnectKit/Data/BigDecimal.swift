/// An arbitrary-precision decimal number: `unscaled × 10^-scale`, like Java's `BigDecimal`.
///
/// This is the value of Connect's `Decimal` logical type. Nothing is ever rounded through `Double`.
/// Equality, like Java's `BigDecimal.equals`, takes the scale into account: `1.5` (scale 1) and
/// `1.50` (scale 2) are different values; use ``compare(_:)`` for numeric order.
public struct BigDecimal: Sendable, Hashable, CustomStringConvertible {
    /// The unscaled integer value.
    public var unscaled: BigInt
    /// Digits after the decimal point (negative: trailing zeros before it).
    public var scale: Int32

    /// The value `unscaled × 10^-scale`, keeping `scale` as given (Java's `new BigDecimal(BigInteger, int)`).
    public init(unscaled: BigInt, scale: Int32) {
        self.unscaled = unscaled
        self.scale = scale
    }

    /// The value `unscaled × 10^-scale`, keeping `scale` as given (Java's `BigDecimal.valueOf(long, int)`).
    public init(unscaled: Int64, scale: Int32) {
        self.init(unscaled: BigInt(unscaled), scale: scale)
    }

    /// Parses decimal text as Java's `new BigDecimal(String)` does: optional sign, digits with an
    /// optional fraction, optional exponent (`1.50`, `-3`, `1E+3`, `2.5e-7`). The scale follows
    /// the text (`"1.50"` has scale 2).
    public init?(_ text: some StringProtocol) {
        guard let v = BigDecimal.parse(Array(text.utf8)) else { return nil }
        self = v
    }

    static func parse(_ bytes: [UInt8]) -> BigDecimal? {
        var i = 0
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var digits: [UInt8] = []
        var fractionDigits = 0
        var sawPoint = false
        while i < bytes.count {
            let c = bytes[i]
            if c >= 48 && c <= 57 {
                digits.append(c)
                if sawPoint { fractionDigits += 1 }
            } else if c == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else {
                break
            }
            i += 1
        }
        guard !digits.isEmpty else { return nil }
        var exponent: Int64 = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            var expNegative = false
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                expNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            let start = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                exponent = exponent * 10 + Int64(bytes[i] - 48)
                if exponent > Int64(Int32.max) { return nil }
                i += 1
            }
            if i == start { return nil }
            if expNegative { exponent = -exponent }
        }
        guard i == bytes.count else { return nil }
        let scale = Int64(fractionDigits) - exponent
        guard scale >= Int64(Int32.min), scale <= Int64(Int32.max) else { return nil }
        // Strip leading zeros for the integer value (keeps at least one digit).
        var firstNonZero = 0
        while firstNonZero < digits.count - 1, digits[firstNonZero] == 48 { firstNonZero += 1 }
        return BigDecimal(unscaled: BigInt(negative: negative, digits: Array(digits[firstNonZero...])), scale: Int32(scale))
    }

    /// Number of decimal digits in the unscaled value (Java's `precision()`).
    public var precision: Int { unscaled.magnitudeDigits.count }

    /// Text exactly as Java's `BigDecimal.toString()` (scientific notation when the exponent is
    /// small or the scale negative, e.g. `1E-10`, `1.27E-8`, `1E+3`).
    public var description: String {
        let coefficient = unscaled.magnitudeDigits
        let sign = unscaled.isNegative ? "-" : ""
        let len = coefficient.count
        let adjusted = -Int64(scale) + Int64(len - 1)
        if scale >= 0 && adjusted >= -6 {
            if scale == 0 { return sign + coefficient }
            let s = Int(scale)
            if len > s {
                let idx = coefficient.index(coefficient.startIndex, offsetBy: len - s)
                return sign + coefficient[..<idx] + "." + coefficient[idx...]
            }
            return sign + "0." + String(repeating: "0", count: s - len) + coefficient
        }
        var out = sign + String(coefficient.first!)
        if len > 1 { out += "." + coefficient.dropFirst() }
        out += "E"
        if adjusted >= 0 { out += "+" }
        out += String(adjusted)
        return out
    }

    /// Text without exponent (Java's `toPlainString()`).
    public var plainString: String {
        let coefficient = unscaled.magnitudeDigits
        let sign = unscaled.isNegative ? "-" : ""
        if scale <= 0 {
            return sign + coefficient + (unscaled.isZero ? "" : String(repeating: "0", count: Int(-scale)))
        }
        let s = Int(scale)
        let len = coefficient.count
        if len > s {
            let idx = coefficient.index(coefficient.startIndex, offsetBy: len - s)
            return sign + coefficient[..<idx] + "." + coefficient[idx...]
        }
        return sign + "0." + String(repeating: "0", count: s - len) + coefficient
    }

    /// This value with a new scale, if that loses no digits (Java's `setScale` with `UNNECESSARY`).
    public func rescaled(to newScale: Int32) -> BigDecimal? {
        if newScale == scale { return self }
        if newScale > scale {
            return BigDecimal(unscaled: unscaled.multipliedByPowerOfTen(Int(newScale - scale)), scale: newScale)
        }
        guard let u = unscaled.dividedExactlyByPowerOfTen(Int(scale - newScale)) else { return nil }
        return BigDecimal(unscaled: u, scale: newScale)
    }

    /// Numeric comparison ignoring scale (Java's `compareTo`): -1, 0 or 1.
    public func compare(_ other: BigDecimal) -> Int {
        let common = max(scale, other.scale)
        let a = unscaled.multipliedByPowerOfTen(Int(common - scale))
        let b = other.unscaled.multipliedByPowerOfTen(Int(common - other.scale))
        return a < b ? -1 : (a == b ? 0 : 1)
    }

    /// The nearest `Double` (via decimal text, correctly rounded).
    public var doubleValue: Double { Double(description) ?? .nan }
}
