/// Kafka Connect's default header converter (`org.apache.kafka.connect.storage.SimpleHeaderConverter`):
/// header values as readable UTF-8 text, parsed back with type inference.
///
/// Writing uses Kafka's `Values.convertToString` format and reading Kafka's `Values.parseString`
/// (``ValueText``): `[1,2.5]` reads as `ARRAY<FLOAT32>` `[1.0,2.5]`, `[]` as an array without an
/// element schema, `2024-01-01` as a `Date`. Like Kafka, a text that Kafka's parser fails on with
/// an exception other than its `DataException` is kept as `BYTES`.
public struct SimpleHeaderConverter: HeaderConverter {
    public static let configDef = ConfigDef()
    /// A simple header converter (it has no settings).
    public init() {}
    public init(configuration: [String: String]) throws(ConfigError) {}

    public func fromConnectHeader(topic: String, headerKey: String, schema: Schema?, value: Value) throws(DataError) -> [UInt8]? {
        if value.isNull { return nil }
        return Array(ValueText.string(for: value).utf8)
    }

    public func toConnectHeader(topic: String, headerKey: String, value: [UInt8]?) throws(DataError) -> SchemaAndValue {
        guard let value else { return .null }
        let text = String(decoding: value, as: UTF8.self)
        do { return try ValueText.parse(text) } catch {
            // Kafka's SimpleHeaderConverter: "Failed to deserialize value for header ..., so using byte array".
            return SchemaAndValue(schema: .bytes, value: .bytes(value))
        }
    }
}

