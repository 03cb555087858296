/// Lower-case hexadecimal text of bytes (PostgreSQL's `bytea` hex format, AWS signatures).
package enum Hex {
    /// Two lower-case hex digits per byte.
    package static func lowercase(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
