extension AvroSchema {
    /// The schema's Parsing Canonical Form (Avro specification, "Transforming into Parsing
    /// Canonical Form"): primitives as bare names, full names, only the attributes that matter for
    /// reading (`name`, `type`, `fields`, `symbols`, `items`, `values`, `size`) in that order, named
    /// types written once and referenced by full name afterwards, no whitespace.
    public var canonicalForm: String {
        var seen = Set<String>()
        var out = ""
        Self.canonical(self, &seen, &out)
        return out
    }

    /// The CRC-64-AVRO (Rabin) fingerprint of the Parsing Canonical Form — Avro's
    /// `SchemaNormalization.parsingFingerprint64`, as an unsigned 64-bit value.
    public var fingerprint64: UInt64 { AvroFingerprint.crc64(Array(canonicalForm.utf8)) }

    private static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    private static func canonical(_ s: AvroSchema, _ seen: inout Set<String>, _ out: inout String) {
        switch s {
        case .null, .boolean, .int, .long, .float, .double, .bytes, .string:
            out += quoted(s.branchName)
        case .array(let items):
            out += "{\"type\":\"array\",\"items\":"
            canonical(items, &seen, &out)
            out += "}"
        case .map(let values):
            out += "{\"type\":\"map\",\"values\":"
            canonical(values, &seen, &out)
            out += "}"
        case .union(let branches):
            out += "["
            for (i, b) in branches.enumerated() {
                if i > 0 { out += "," }
                canonical(b, &seen, &out)
            }
            out += "]"
        case .named(let n):
            guard seen.insert(n.fullName).inserted else {
                out += quoted(n.fullName)
                return
            }
            out += "{\"name\":" + quoted(n.fullName)
            switch n.shape {
            case .record(let fields):
                out += ",\"type\":\"record\",\"fields\":["
                for (i, f) in fields.enumerated() {
                    if i > 0 { out += "," }
                    out += "{\"name\":" + quoted(f.name) + ",\"type\":"
                    canonical(f.type, &seen, &out)
                    out += "}"
                }
                out += "]}"
            case .enumeration(let symbols, _):
                out += ",\"type\":\"enum\",\"symbols\":[" + symbols.map(quoted).joined(separator: ",") + "]}"
            case .fixed(let size, _):
                out += ",\"type\":\"fixed\",\"size\":\(size)}"
            }
        }
    }
}

/// Avro's 64-bit Rabin fingerprint (CRC-64-AVRO, the specification's "Schema Fingerprints").
public enum AvroFingerprint {
    /// The empty fingerprint, also the polynomial's seed: `0xc15d213aa4d7a795`.
    public static let empty: UInt64 = 0xc15d_213a_a4d7_a795

    static let table: [UInt64] = (0..<256).map { i in
        var fp = UInt64(i)
        for _ in 0..<8 { fp = (fp >> 1) ^ (empty & (0 &- (fp & 1))) }
        return fp
    }

    /// The fingerprint of `bytes`.
    public static func crc64(_ bytes: [UInt8]) -> UInt64 {
        var fp = empty
        for b in bytes { fp = (fp >> 8) ^ table[Int((fp ^ UInt64(b)) & 0xff)] }
        return fp
    }
}
