/// An arbitrary-precision signed integer, used as the unscaled value of ``BigDecimal``.
///
/// Values that fit in `Int64` are stored inline without allocation; larger values keep a
/// little-endian magnitude of 32-bit limbs. Only what Connect's `Decimal` logical type needs is
/// provided: conversion to and from two's complement big-endian bytes (Java's
/// `BigInteger.toByteArray()`), decimal text, comparison and multiplication by powers of ten.
public struct BigInt: Sendable, Hashable, Comparable, CustomStringConvertible {
    @usableFromInline
    enum Storage: Sendable, Hashable {
        case small(Int64)
        /// Magnitude (little-endian `UInt32` limbs, no trailing zero limbs) that does not fit `Int64`.
        case large(negative: Bool, magnitude: [UInt32])
    }

    @usableFromInline
    let storage: Storage

    /// The integer `value` (stored inline).
    @inlinable
    public init(_ value: Int64) { storage = .small(value) }

    /// The integer `value` (stored inline).
    public init(_ value: Int) { storage = .small(Int64(value)) }

    init(negative: Bool, magnitude: [UInt32]) {
        var mag = magnitude
        while let last = mag.last, last == 0 { mag.removeLast() }
        if mag.isEmpty { storage = .small(0); return }
        if mag.count <= 2 {
            let m = UInt64(mag[0]) | (mag.count == 2 ? UInt64(mag[1]) << 32 : 0)
            if !negative, m <= UInt64(Int64.max) { storage = .small(Int64(m)); return }
            if negative, m <= UInt64(Int64.max) + 1 {
                storage = .small(m == UInt64(Int64.max) + 1 ? Int64.min : -Int64(m))
                return
            }
        }
        storage = .large(negative: negative, magnitude: mag)
    }

    /// The value as `Int64`, or `nil` when it does not fit.
    public var int64Value: Int64? {
        if case .small(let v) = storage { return v }
        return nil
    }

    /// `true` when the value is below zero.
    public var isNegative: Bool {
        switch storage {
        case .small(let v): return v < 0
        case .large(let n, _): return n
        }
    }

    /// `true` when the value is zero.
    public var isZero: Bool {
        if case .small(0) = storage { return true }
        return false
    }

    /// Sign and magnitude as limbs (little-endian).
    var signAndMagnitude: (negative: Bool, magnitude: [UInt32]) {
        switch storage {
        case .small(let v):
            let m = v.magnitude
            var limbs: [UInt32] = []
            if m != 0 { limbs.append(UInt32(truncatingIfNeeded: m)) }
            if m >> 32 != 0 { limbs.append(UInt32(truncatingIfNeeded: m >> 32)) }
            return (v < 0, limbs)
        case .large(let n, let mag):
            return (n, mag)
        }
    }

    /// The value with its sign flipped (`-Int64.min` grows beyond `Int64`, it does not overflow).
    public var negated: BigInt {
        switch storage {
        case .small(let v) where v != Int64.min: return BigInt(-v)
        default:
            let (n, m) = signAndMagnitude
            return BigInt(negative: !n && !m.isEmpty, magnitude: m)
        }
    }

    // MARK: Two's complement bytes

    /// Creates a value from big-endian two's complement bytes, as Java's `new BigInteger(byte[])`.
    /// An empty array is zero.
    public init(twosComplement bytes: some Collection<UInt8>) {
        guard let first = bytes.first else { self.init(0); return }
        if bytes.count <= 8 {
            var v: Int64 = first >= 0x80 ? -1 : 0
            for b in bytes { v = (v << 8) | Int64(b) }
            self.init(v)
            return
        }
        let negative = first >= 0x80
        // Build the two's complement as limbs, then negate if needed.
        var limbs = [UInt32](repeating: 0, count: (bytes.count + 3) / 4)
        var i = 0
        for b in bytes.reversed() {
            limbs[i / 4] |= UInt32(b) << (UInt32(i % 4) * 8)
            i += 1
        }
        if negative {
            // Sign-extend the top limb, then take the two's complement to get the magnitude.
            let used = bytes.count % 4
            if used != 0 { limbs[limbs.count - 1] |= ~UInt32(0) << (UInt32(used) * 8) }
            var carry: UInt64 = 1
            for j in limbs.indices {
                let s = UInt64(~limbs[j]) + carry
                limbs[j] = UInt32(truncatingIfNeeded: s)
                carry = s >> 32
            }
        }
        self.init(negative: negative, magnitude: limbs)
    }

    /// The minimal big-endian two's complement bytes, as Java's `BigInteger.toByteArray()`.
    public var twosComplementBytes: [UInt8] {
        if case .small(let v) = storage {
            var n = 8
            while n > 1 {
                let top = UInt8(truncatingIfNeeded: v >> Int64((n - 1) * 8))
                let next = UInt8(truncatingIfNeeded: v >> Int64((n - 2) * 8))
                if (top == 0 && next < 0x80) || (top == 0xFF && next >= 0x80) { n -= 1 } else { break }
            }
            var out = [UInt8](repeating: 0, count: n)
            for k in 0..<n { out[n - 1 - k] = UInt8(truncatingIfNeeded: v >> Int64(k * 8)) }
            return out
        }
        let (negative, magnitude) = signAndMagnitude
        var limbs = magnitude
        limbs.append(0)  // room for the sign bit
        if negative {
            var carry: UInt64 = 1
            for j in limbs.indices {
                let s = UInt64(~limbs[j]) + carry
                limbs[j] = UInt32(truncatingIfNeeded: s)
                carry = s >> 32
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(limbs.count * 4)
        for limb in limbs.reversed() {
            bytes.append(UInt8(truncatingIfNeeded: limb >> 24))
            bytes.append(UInt8(truncatingIfNeeded: limb >> 16))
            bytes.append(UInt8(truncatingIfNeeded: limb >> 8))
            bytes.append(UInt8(truncatingIfNeeded: limb))
        }
        let fill: UInt8 = negative ? 0xFF : 0
        var start = 0
        while start < bytes.count - 1, bytes[start] == fill, (bytes[start + 1] >= 0x80) == negative { start += 1 }
        return Array(bytes[start...])
    }

    /// Calls `body` with the minimal two's complement bytes, without allocating for `Int64` values.
    public func withTwosComplementBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        guard case .small(let v) = storage else {
            return try twosComplementBytes.withUnsafeBufferPointer(body)
        }
        var be = v.bigEndian
        return try withUnsafeBytes(of: &be) { raw in
            let p = raw.bindMemory(to: UInt8.self)
            var start = 0
            while start < 7 {
                let top = p[start], next = p[start + 1]
                if (top == 0 && next < 0x80) || (top == 0xFF && next >= 0x80) { start += 1 } else { break }
            }
            return try body(UnsafeBufferPointer(rebasing: p[start...]))
        }
    }

    // MARK: Decimal text

    /// Decimal digits of the magnitude, without sign.
    public var magnitudeDigits: String {
        if case .small(let v) = storage { return String(v.magnitude) }
        var mag = signAndMagnitude.magnitude
        var chunks: [UInt32] = []
        while !mag.isEmpty {
            var rem: UInt64 = 0
            for j in stride(from: mag.count - 1, through: 0, by: -1) {
                let cur = (rem << 32) | UInt64(mag[j])
                mag[j] = UInt32(cur / 1_000_000_000)
                rem = cur % 1_000_000_000
            }
            while let last = mag.last, last == 0 { mag.removeLast() }
            chunks.append(UInt32(rem))
        }
        var s = String(chunks.last ?? 0)
        for c in chunks.dropLast().reversed() {
            let part = String(c)
            s += String(repeating: "0", count: 9 - part.count) + part
        }
        return s
    }

    public var description: String { (isNegative ? "-" : "") + magnitudeDigits }

    /// Parses an optionally signed run of decimal digits.
    public init?(_ text: some StringProtocol) {
        var utf8 = Array(text.utf8)
        var negative = false
        if let f = utf8.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") {
            negative = f == UInt8(ascii: "-")
            utf8.removeFirst()
        }
        guard !utf8.isEmpty, utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        self.init(negative: negative, digits: utf8)
    }

    /// Builds a value from ASCII digits (already validated).
    init(negative: Bool, digits: [UInt8]) {
        if digits.count <= 18 {
            var v: Int64 = 0
            for d in digits { v = v * 10 + Int64(d - 48) }
            self.init(negative ? -v : v)
            return
        }
        var mag: [UInt32] = []
        for d in digits { BigInt.multiplyAdd(&mag, 10, UInt32(d - 48)) }
        self.init(negative: negative, magnitude: mag)
    }

    static func multiplyAdd(_ mag: inout [UInt32], _ factor: UInt32, _ addend: UInt32) {
        var carry = UInt64(addend)
        for j in mag.indices {
            let p = UInt64(mag[j]) * UInt64(factor) + carry
            mag[j] = UInt32(truncatingIfNeeded: p)
            carry = p >> 32
        }
        if carry != 0 { mag.append(UInt32(carry)) }
    }

    /// `self × 10^power` (power ≥ 0).
    public func multipliedByPowerOfTen(_ power: Int) -> BigInt {
        precondition(power >= 0)
        if power == 0 || isZero { return self }
        if case .small(let v) = storage, power < 19 {
            let (r, o) = v.multipliedReportingOverflow(by: BigInt.powersOfTen[power])
            if !o { return BigInt(r) }
        }
        var (n, mag) = signAndMagnitude
        var p = power
        while p > 0 {
            let step = min(p, 9)
            BigInt.multiplyAdd(&mag, UInt32(BigInt.powersOfTen[step]), 0)
            p -= step
        }
        if mag.isEmpty { n = false }
        return BigInt(negative: n, magnitude: mag)
    }

    /// Divides by `10^power` when that is exact; returns nil if digits would be lost.
    func dividedExactlyByPowerOfTen(_ power: Int) -> BigInt? {
        if power == 0 { return self }
        if case .small(let v) = storage {
            if power > 18 { return v == 0 ? self : nil }
            let d = BigInt.powersOfTen[power]
            return v % d == 0 ? BigInt(v / d) : nil
        }
        var (n, mag) = signAndMagnitude
        for _ in 0..<power {
            var rem: UInt64 = 0
            var q = mag
            for j in stride(from: q.count - 1, through: 0, by: -1) {
                let cur = (rem << 32) | UInt64(q[j])
                q[j] = UInt32(cur / 10)
                rem = cur % 10
            }
            if rem != 0 { return nil }
            mag = q
        }
        if mag.allSatisfy({ $0 == 0 }) { n = false }
        return BigInt(negative: n, magnitude: mag)
    }

    static let powersOfTen: [Int64] = {
        var p: [Int64] = [1]
        for _ in 1...18 { p.append(p.last! * 10) }
        return p
    }()

    /// Approximate `Double` value (correctly rounded through decimal text for large values).
    public var doubleValue: Double {
        if case .small(let v) = storage { return Double(v) }
        return Double(description) ?? (isNegative ? -.infinity : .infinity)
    }

    public static func < (lhs: BigInt, rhs: BigInt) -> Bool {
        if case .small(let a) = lhs.storage, case .small(let b) = rhs.storage { return a < b }
        let (ln, lm) = lhs.signAndMagnitude
        let (rn, rm) = rhs.signAndMagnitude
        if ln != rn { return ln }
        let magLess: Bool
        if lm.count != rm.count {
            magLess = lm.count < rm.count
        } else {
            var result: Bool? = nil
            for j in stride(from: lm.count - 1, through: 0, by: -1) where lm[j] != rm[j] {
                result = lm[j] < rm[j]
                break
            }
            guard let r = result else { return false }
            magLess = r
        }
        return ln ? !magLess : magLess
    }
}
