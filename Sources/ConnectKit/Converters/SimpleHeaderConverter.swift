/// Kafka Connect's default header converter (`org.apache.kafka.connect.storage.SimpleHeaderConverter`):
/// header values as readable UTF-8 text, parsed back with type inference.
///
/// Writing uses Kafka's `Values.convertToString` format: strings as themselves, numbers and booleans
/// as text, bytes as Base64, `Date` as `yyyy-MM-dd`, `Time` as `HH:mm:ss.SSS'Z'`, `Timestamp` as
/// `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` (UTC), arrays as `[1,2]`, maps and structs as `{"k":v}` with
/// embedded strings quoted. Reading follows `Values.parseString`: `null`, `true`/`false`, the
/// smallest integer type that fits (int8 … int64), float32/float64 for fractions, a `Decimal` beyond
/// those, ISO dates/times/timestamps, `[…]` arrays and `{…}` maps whose elements share a type, and a
/// string for anything else.
public struct SimpleHeaderConverter: HeaderConverter {
    public static let configDef = ConfigDef()
    public init() {}
    public init(configuration: [String: String]) throws(ConfigError) {}

    public func fromConnectHeader(topic: String, headerKey: String, schema: Schema?, value: Value) throws(DataError) -> [UInt8]? {
        if value.isNull { return nil }
        return Array(ValueText.string(for: value).utf8)
    }

    public func toConnectHeader(topic: String, headerKey: String, value: [UInt8]?) throws(DataError) -> SchemaAndValue {
        guard let value else { return .null }
        let text = String(decoding: value, as: UTF8.self)
        if text.isEmpty { return SchemaAndValue(schema: .string, value: .string("")) }
        return ValueText.parse(text)
    }
}

/// Kafka's `Values` text format for header values.
public enum ValueText {
    /// Kafka's `Values.convertToString`.
    public static func string(for value: Value) -> String {
        var out = ""
        append(value, embedded: false, &out)
        return out
    }

    private static func append(_ value: Value, embedded: Bool, _ out: inout String) {
        switch value {
        case .null: out += "null"
        case .string(let s): out += embedded ? "\"" + s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\"" : s
        case .bytes(let b): out += embedded ? "\"" + Base64.encode(b) + "\"" : Base64.encode(b)
        case .float32(let f): out += JavaNumberFormat.string(f)
        case .float64(let d): out += JavaNumberFormat.string(d)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                append(item, embedded: true, &out)
            }
            out += "]"
        case .map(let m):
            out += "{"
            for (i, e) in m.entries.enumerated() {
                if i > 0 { out += "," }
                append(e.key, embedded: true, &out)
                out += ":"
                append(e.value, embedded: true, &out)
            }
            out += "}"
        case .struct(let s):
            out += "{"
            for f in s.schema.fields {
                if f.index > 0 { out += "," }
                append(.string(f.name), embedded: true, &out)
                out += ":"
                append(s.get(f), embedded: true, &out)
            }
            out += "}"
        case .date(let days): out += CivilTime.date(days)
        case .time(let ms): out += CivilTime.time(ms)
        case .timestamp(let ms): out += CivilTime.timestamp(ms)
        default: out += value.description
        }
    }

    /// Kafka's `Values.parseString`: infers a schema and value from header text.
    public static func parse(_ text: String) -> SchemaAndValue {
        let chars = Array(text.unicodeScalars)
        var p = TextParser(chars: chars)
        if let v = try? p.parseValue(embedded: false), p.atEnd, v.value.stringValue == nil { return v }
        // Like Kafka, text that is not another type stays exactly as given (whitespace included).
        return SchemaAndValue(schema: .string, value: .string(text))
    }

    struct Failure: Error {}

    struct TextParser {
        let chars: [Unicode.Scalar]
        var pos = 0

        var atEnd: Bool {
            var i = pos
            while i < chars.count, chars[i].properties.isWhitespace { i += 1 }
            return i >= chars.count
        }

        mutating func skipSpace() { while pos < chars.count, chars[pos].properties.isWhitespace { pos += 1 } }

        mutating func consume(_ c: Unicode.Scalar) -> Bool {
            skipSpace()
            if pos < chars.count, chars[pos] == c { pos += 1; return true }
            return false
        }

        mutating func parseValue(embedded: Bool) throws(Failure) -> SchemaAndValue {
            skipSpace()
            guard pos < chars.count else { throw Failure() }
            if embedded, consume("\"") { return try quoted() }
            if consume("[") { return try array() }
            if consume("{") { return try map() }
            let token = readToken(embedded: embedded)
            guard !token.isEmpty else { throw Failure() }
            switch token {
            case "null": return .null
            case "true": return SchemaAndValue(schema: .boolean, value: .boolean(true))
            case "false": return SchemaAndValue(schema: .boolean, value: .boolean(false))
            default: break
            }
            if let t = temporal(token) { return t }
            if let n = number(token) { return n }
            if embedded { throw Failure() }
            return SchemaAndValue(schema: .string, value: .string(token))
        }

        /// An unquoted token: up to a delimiter when embedded; the rest of the text at top level.
        mutating func readToken(embedded: Bool) -> String {
            skipSpace()
            var s = String.UnicodeScalarView()
            if !embedded {
                while pos < chars.count { s.append(chars[pos]); pos += 1 }
                return String(s).trimmingWhitespace()
            }
            // Times contain ':'; take a whole ISO time/timestamp when one starts here.
            for length in [24, 13] where pos + length <= chars.count {
                let candidate = String(String.UnicodeScalarView(chars[pos..<(pos + length)]))
                if CivilTime.parse(candidate) != nil {
                    pos += length
                    return candidate
                }
            }
            while pos < chars.count, !",]}:\"".unicodeScalars.contains(chars[pos]) { s.append(chars[pos]); pos += 1 }
            return String(s).trimmingWhitespace()
        }

        mutating func quoted() throws(Failure) -> SchemaAndValue {
            var s = String.UnicodeScalarView()
            while pos < chars.count {
                let c = chars[pos]
                pos += 1
                if c == "\"" {
                    let text = String(s)
                    if let t = temporal(text) { return t }
                    return SchemaAndValue(schema: .string, value: .string(text))
                }
                if c == "\\", pos < chars.count { s.append(chars[pos]); pos += 1; continue }
                s.append(c)
            }
            throw Failure()
        }

        mutating func array() throws(Failure) -> SchemaAndValue {
            var items: [SchemaAndValue] = []
            if consume("]") { return SchemaAndValue(schema: Schema.array(.optionalString).asOptional, value: .array([])) }
            repeat { items.append(try parseValue(embedded: true)) } while consume(",")
            guard consume("]") else { throw Failure() }
            let schema = commonSchema(items.map(\.schema))
            return SchemaAndValue(schema: schema.map { Schema.array($0) }, value: .array(items.map { align($0.value, to: schema) }))
        }

        mutating func map() throws(Failure) -> SchemaAndValue {
            var m = MapValue()
            var keys: [Schema?] = [], values: [Schema?] = []
            if consume("}") { return SchemaAndValue(schema: Schema.map(.optionalString, .optionalString).asOptional, value: .map(m)) }
            repeat {
                let k = try parseValue(embedded: true)
                guard !k.value.isNull, consume(":") else { throw Failure() }
                let v = try parseValue(embedded: true)
                m.put(k.value, v.value)
                keys.append(k.schema)
                values.append(v.schema)
            } while consume(",")
            guard consume("}") else { throw Failure() }
            guard let ks = commonSchema(keys), let vs = commonSchema(values) else { return SchemaAndValue(schema: nil, value: .map(m)) }
            let aligned = MapValue(entries: m.entries.map { MapEntry(key: align($0.key, to: ks), value: align($0.value, to: vs)) })
            return SchemaAndValue(schema: Schema.map(ks, vs), value: .map(aligned))
        }

        /// The schema every non-null element shares (integers widen to the largest), else nil.
        func commonSchema(_ schemas: [Schema?]) -> Schema? {
            let present = schemas.compactMap { $0 }
            guard var common = present.first else { return nil }
            let ints: [SchemaType] = [.int8, .int16, .int32, .int64]
            for s in present.dropFirst() where s != common {
                if let a = ints.firstIndex(of: common.type), let b = ints.firstIndex(of: s.type), common.name == nil, s.name == nil {
                    common = a >= b ? common : s
                } else {
                    return nil
                }
            }
            return present.count < schemas.count ? common.asOptional : common
        }

        /// Widens an integer to the common schema's type (Kafka's `alignListEntriesWithSchema`).
        func align(_ v: Value, to schema: Schema?) -> Value {
            guard let schema, let i = v.int64Value else { return v }
            switch schema.type {
            case .int16: return .int16(Int16(i))
            case .int32: return .int32(Int32(i))
            case .int64: return .int64(i)
            default: return v
            }
        }

        func temporal(_ token: String) -> SchemaAndValue? {
            guard let v = CivilTime.parse(token) else { return nil }
            switch v {
            case .date: return SchemaAndValue(schema: .date, value: v)
            case .time: return SchemaAndValue(schema: .time, value: v)
            default: return SchemaAndValue(schema: .timestamp, value: v)
            }
        }

        func number(_ token: String) -> SchemaAndValue? {
            guard let f = token.unicodeScalars.first, f == "+" || f == "-" || f.properties.numericType != nil else { return nil }
            guard let d = BigDecimal(token) else { return nil }
            if let integral = d.rescaled(to: 0), let v = integral.unscaled.int64Value {
                if let b = Int8(exactly: v) { return SchemaAndValue(schema: .int8, value: .int8(b)) }
                if let s = Int16(exactly: v) { return SchemaAndValue(schema: .int16, value: .int16(s)) }
                if let i = Int32(exactly: v) { return SchemaAndValue(schema: .int32, value: .int32(i)) }
                return SchemaAndValue(schema: .int64, value: .int64(v))
            }
            if d.scale != 0, let f = Float(token), f.isFinite { return SchemaAndValue(schema: .float32, value: .float32(f)) }
            if d.scale != 0, let x = Double(token), x.isFinite { return SchemaAndValue(schema: .float64, value: .float64(x)) }
            return SchemaAndValue(schema: .decimal(scale: d.scale), value: .decimal(d))
        }
    }
}

/// Proleptic Gregorian calendar arithmetic in UTC, for ISO-8601 text of Connect's temporal types.
package enum CivilTime {
    package static func civil(fromDays z0: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, Int(m), Int(d))
    }

    package static func days(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v.magnitude)
        return (v < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - s.count)) + s
    }

    static func date(_ days: Int32) -> String {
        let c = civil(fromDays: Int64(days))
        return "\(pad(c.year, 4))-\(pad(Int64(c.month), 2))-\(pad(Int64(c.day), 2))"
    }

    static func time(_ ms: Int32) -> String {
        let m = Int64(ms)
        return "\(pad(m / 3_600_000, 2)):\(pad(m / 60_000 % 60, 2)):\(pad(m / 1000 % 60, 2)).\(pad(m % 1000, 3))Z"
    }

    static func timestamp(_ ms: Int64) -> String {
        let day = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let rem = ms - day * 86_400_000
        return date(Int32(truncatingIfNeeded: day)) + "T" + time(Int32(rem))
    }

    /// Parses `yyyy-MM-dd`, `HH:mm:ss.SSSZ` or `yyyy-MM-ddTHH:mm:ss.SSSZ` into a date, time or timestamp.
    static func parse(_ s: String) -> Value? {
        let u = Array(s.utf8)
        func num(_ r: Range<Int>) -> Int64? {
            guard r.upperBound <= u.count else { return nil }
            var v: Int64 = 0
            for i in r { guard u[i] >= 48, u[i] <= 57 else { return nil }; v = v * 10 + Int64(u[i] - 48) }
            return v
        }
        func dateAt(_ o: Int) -> Int64? {
            guard u.count >= o + 10, u[o + 4] == 0x2D, u[o + 7] == 0x2D, let y = num(o..<o + 4), let m = num(o + 5..<o + 7),
                let d = num(o + 8..<o + 10), (1...12).contains(m), (1...31).contains(d)
            else { return nil }
            return days(year: y, month: Int(m), day: Int(d))
        }
        func timeAt(_ o: Int) -> Int64? {
            guard u.count == o + 13, u[o + 2] == 0x3A, u[o + 5] == 0x3A, u[o + 8] == 0x2E, u[o + 12] == 0x5A,
                let h = num(o..<o + 2), let mi = num(o + 3..<o + 5), let se = num(o + 6..<o + 8), let ms = num(o + 9..<o + 12),
                h < 24, mi < 60, se < 60
            else { return nil }
            return ((h * 60 + mi) * 60 + se) * 1000 + ms
        }
        switch u.count {
        case 10: return dateAt(0).map { .date(Int32(truncatingIfNeeded: $0)) }
        case 13: return timeAt(0).map { .time(Int32($0)) }
        case 24:
            guard u[10] == 0x54, let d = dateAt(0), let t = timeAt(11) else { return nil }
            return .timestamp(d * 86_400_000 + t)
        default: return nil
        }
    }
}
