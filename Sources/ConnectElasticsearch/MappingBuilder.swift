import ConnectKit

/// Confluent's `Mapping.buildMapping`: the Elasticsearch mapping for a Connect value schema.
///
/// | Connect | Elasticsearch |
/// | --- | --- |
/// | STRUCT | `{"properties":{…}}` |
/// | ARRAY | the element's mapping |
/// | MAP | `{"properties":{"key":…,"value":…}}` |
/// | BOOLEAN, INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BYTES | boolean, byte, short, integer, long, float, double, binary |
/// | STRING | text with a `keyword` sub-field (`ignore_above` 256) |
/// | Date, Time, Timestamp | date |
/// | Decimal | double |
///
/// A field's default becomes `null_value` (numbers and booleans; dates as epoch milliseconds).
enum MappingBuilder {
    static func mapping(_ schema: Schema) -> JSONValue {
        if let logical = logicalType(schema) {
            return field(logical, schema)
        }
        switch schema.type {
        case .struct:
            return .object([("properties", .object(schema.fields.map { ($0.name, mapping($0.schema)) }))])
        case .array:
            return schema.valueSchema.map(mapping) ?? .object([])
        case .map:
            return .object([("properties", .object([
                ("key", schema.keySchema.map(mapping) ?? .object([])),
                ("value", schema.valueSchema.map(mapping) ?? .object([])),
            ]))])
        default:
            return field(primitiveType(schema.type), schema)
        }
    }

    private static func logicalType(_ s: Schema) -> String? {
        switch s.logicalType {
        case .date?, .time?, .timestamp?: "date"
        case .decimal?: "double"
        case nil: nil
        }
    }

    private static func primitiveType(_ t: SchemaType) -> String {
        switch t {
        case .boolean: "boolean"
        case .int8: "byte"
        case .int16: "short"
        case .int32: "integer"
        case .int64: "long"
        case .float32: "float"
        case .float64: "double"
        case .bytes: "binary"
        default: "text"
        }
    }

    private static func field(_ type: String, _ schema: Schema) -> JSONValue {
        if type == "text" {
            return .object([("type", .string("text")), ("fields", .object([("keyword", .object([("type", .string("keyword")), ("ignore_above", .number("256"))]))]))])
        }
        var members: [(key: String, value: JSONValue)] = [("type", .string(type))]
        if let d = schema.defaultValue, let nullValue = nullValue(d, type) { members.append(("null_value", nullValue)) }
        return .object(members)
    }

    private static func nullValue(_ v: Value, _ type: String) -> JSONValue? {
        switch v {
        case .boolean(let b): .bool(b)
        case .int8(let i): .number(String(i))
        case .int16(let i): .number(String(i))
        case .int32(let i): .number(String(i))
        case .int64(let i): .number(String(i))
        case .float32(let f): .number(JavaNumberFormat.string(f))
        case .float64(let d): .number(JavaNumberFormat.string(d))
        case .decimal(let d): .number(JavaNumberFormat.string(d.doubleValue))
        case .date(let days): .number(String(Int64(days) * 86_400_000))
        case .time(let ms): .number(String(ms))
        case .timestamp(let ms): .number(String(ms))
        default: nil
        }
    }
}
