/// Kafka's `org.apache.kafka.connect.data.Values` text format, which SimpleHeaderConverter writes
/// and reads and InsertHeader's `value.literal` is read with.
///
/// Writing (``string(for:)``, Kafka's `Values.convertToString`): strings as themselves (quoted and
/// escaped inside arrays and maps), numbers as Java prints them, bytes as Base64, arrays `[a,b]`,
/// maps and structs `{"k":v}`, and temporal values by their milliseconds as Kafka's
/// `dateFormatFor` chooses: below one day `HH:mm:ss.SSS'Z'`, a whole day `yyyy-MM-dd`, otherwise
/// `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` (UTC) — so a Timestamp at midnight prints as a date.
///
/// Reading (``parse(_:)``, Kafka's `Values.parseString`): see `ValueText+Parse.swift`.
///
/// ConnectKit reads and writes temporal text in UTC, as a Kafka worker does with
/// `-Duser.timezone=UTC` (Kafka uses the JVM's default zone).
public enum ValueText {
    /// Kafka's `Values.convertToString`.
    public static func string(for value: Value) -> String {
        var out = ""
        append(value, embedded: false, &out)
        return out
    }

    /// Kafka's `Values.parseString`: the schema and value a Kafka worker infers from the text.
    /// `"null"` gives ``SchemaAndValue/null``; text that is nothing else is a string (whitespace
    /// kept). Where Kafka would make a temporal value its own schema rejects (a time of `25:04:35.248Z`),
    /// the text stays a string.
    /// - Throws: ``DataError`` only where Kafka's parser fails with an exception other than its
    ///   `DataException` (a number beyond `BigInteger`, such as `1e999999999`), and for arrays or
    ///   maps nested deeper than 200 levels (where Kafka's recursive parser runs out of stack at a
    ///   depth its thread's stack size decides).
    public static func parse(_ text: String) throws(DataError) -> SchemaAndValue {
        if text.isEmpty { return SchemaAndValue(schema: .string, value: .string("")) }
        var parser = Parser(text)
        let parsed: Parsed?
        do {
            parsed = try parser.parse(embedded: false)
        } catch .data {
            // Kafka's top level catches every DataException; none reaches here.
            return SchemaAndValue(schema: .string, value: .string(text))
        } catch .nesting {
            throw DataError("Failed to parse the text as Kafka's Values would: arrays or maps nested deeper than \(maximumNesting) levels")
        } catch {
            throw DataError("Failed to parse \"\(text)\" as Kafka's Values would: a number beyond the range of java.math.BigInteger")
        }
        guard let parsed else { return .null }
        do {
            return SchemaAndValue(schema: parsed.schema, value: try value(parsed.object, schema: parsed.schema))
        } catch {
            return SchemaAndValue(schema: .string, value: .string(text))
        }
    }

    private static func append(_ value: Value, embedded: Bool, _ out: inout String) {
        switch value {
        case .null: out += "null"
        case .string(let s): out += embedded ? "\"" + s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\"" : s
        case .bytes(let b): out += embedded ? "\"" + Base64.encode(b) + "\"" : Base64.encode(b)
        case .int8(let v): out += String(v)
        case .int16(let v): out += String(v)
        case .int32(let v): out += String(v)
        case .int64(let v): out += String(v)
        case .float32(let f): out += JavaNumberFormat.string(f)
        case .float64(let d): out += JavaNumberFormat.string(d)
        case .boolean(let b): out += b ? "true" : "false"
        case .decimal(let d): out += d.description
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
        case .date(let days): out += dateText(Int64(days) * millisPerDay)
        case .time(let ms): out += dateText(Int64(ms))
        case .timestamp(let ms): out += dateText(ms)
        }
    }

    /// Kafka's `Values.dateFormatFor(date).format(date)`, in UTC.
    static func dateText(_ millis: Int64) -> String {
        if millis < millisPerDay { return timeFormat.format(millis) }
        if millis % millisPerDay == 0 { return dateFormat.format(millis) }
        return timestampFormat.format(millis)
    }
}
