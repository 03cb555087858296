/// Connect's logical types: a schema name (and parameters) that gives a primitive type a meaning.
///
/// | logical type | schema name | physical type | ``Value`` case |
/// | --- | --- | --- | --- |
/// | Decimal | `org.apache.kafka.connect.data.Decimal` (parameter `scale`) | bytes (big-endian two's complement unscaled value) | ``Value/decimal(_:)`` |
/// | Date | `org.apache.kafka.connect.data.Date` | int32 days since the epoch | ``Value/date(_:)`` |
/// | Time | `org.apache.kafka.connect.data.Time` | int32 milliseconds since midnight | ``Value/time(_:)`` |
/// | Timestamp | `org.apache.kafka.connect.data.Timestamp` | int64 milliseconds since the epoch | ``Value/timestamp(_:)`` |
public enum LogicalType: Sendable, Hashable {
    /// Kafka's `Decimal`: bytes holding the big-endian two's-complement unscaled value, with a fixed
    /// `scale` (digits after the decimal point) from the schema's `scale` parameter.
    case decimal(scale: Int32)
    /// Kafka's `Date`: an int32 count of days since 1970-01-01.
    case date
    /// Kafka's `Time`: an int32 count of milliseconds since midnight, 0 ..< 86 400 000.
    case time
    /// Kafka's `Timestamp`: an int64 count of milliseconds since the epoch (UTC).
    case timestamp

    /// The schema name of ``decimal(scale:)``: `org.apache.kafka.connect.data.Decimal` (Kafka's `Decimal.LOGICAL_NAME`).
    public static let decimalName = "org.apache.kafka.connect.data.Decimal"
    /// The schema name of ``date``: `org.apache.kafka.connect.data.Date` (Kafka's `Date.LOGICAL_NAME`).
    public static let dateName = "org.apache.kafka.connect.data.Date"
    /// The schema name of ``time``: `org.apache.kafka.connect.data.Time` (Kafka's `Time.LOGICAL_NAME`).
    public static let timeName = "org.apache.kafka.connect.data.Time"
    /// The schema name of ``timestamp``: `org.apache.kafka.connect.data.Timestamp` (Kafka's `Timestamp.LOGICAL_NAME`).
    public static let timestampName = "org.apache.kafka.connect.data.Timestamp"
    /// Name of the Decimal schema parameter that holds the scale.
    public static let scaleParameter = "scale"

    init?(name: String?, type: SchemaType, parameters: SchemaParameters?) {
        guard let name else { return nil }
        switch (name, type) {
        case (LogicalType.decimalName, .bytes):
            guard let text = parameters?[LogicalType.scaleParameter], let scale = Int32(text) else { return nil }
            self = .decimal(scale: scale)
        case (LogicalType.dateName, .int32): self = .date
        case (LogicalType.timeName, .int32): self = .time
        case (LogicalType.timestampName, .int64): self = .timestamp
        default: return nil
        }
    }

    /// Whether a schema name is one of the four logical type names.
    public static func isLogicalName(_ name: String?) -> Bool {
        name == decimalName || name == dateName || name == timeName || name == timestampName
    }

    // MARK: Conversions to and from the physical representation

    /// The physical value (bytes, int32 or int64) of a logical value, as Kafka's `fromLogical`.
    public static func physicalValue(_ value: Value, schema: Schema) throws(DataError) -> Value {
        switch (schema.logicalType, value) {
        case (.decimal(let scale), .decimal(let d)):
            guard d.scale == scale else {
                throw DataError(
                    "Decimal value has mismatching scale for given Decimal schema. Schema has scale \(scale), value has scale \(d.scale).")
            }
            return .bytes(d.unscaled.twosComplementBytes)
        case (.date, .date(let d)): return .int32(d)
        case (.time, .time(let t)):
            guard t >= 0, t < 86_400_000 else { throw DataError("Kafka Connect Time type should not have any date fields set to non-zero values.") }
            return .int32(t)
        case (.timestamp, .timestamp(let t)): return .int64(t)
        case (nil, _) where schema.name == decimalName:
            throw DataError("Invalid Decimal schema: scale parameter not found.")
        default:
            throw DataError("Invalid value for \(schema): expected \(schema.logicalType.map(String.init(describing:)) ?? schema.type.description), got \(value.kindName)")
        }
    }

    /// The logical value for a physical one, as Kafka's `toLogical`.
    public static func logicalValue(_ value: Value, schema: Schema) throws(DataError) -> Value {
        switch (schema.logicalType, value) {
        case (.decimal(let scale), .bytes(let b)): return .decimal(BigDecimal(unscaled: BigInt(twosComplement: b), scale: scale))
        case (.date, .int32(let d)): return .date(d)
        case (.time, .int32(let t)):
            guard t >= 0, t < 86_400_000 else { throw DataError("Time values must use number of milliseconds greater than 0 and less than 86400000") }
            return .time(t)
        case (.timestamp, .int64(let t)): return .timestamp(t)
        case (nil, _) where schema.name == decimalName:
            throw DataError("Invalid Decimal schema: scale parameter not found.")
        default:
            throw DataError("Invalid physical value for \(schema): \(value.kindName)")
        }
    }
}

extension SchemaBuilder {
    /// A builder for a `Decimal` with the given scale (bytes, name `org.apache.kafka.connect.data.Decimal`, version 1).
    public static func decimal(scale: Int32) -> SchemaBuilder {
        SchemaBuilder.bytes().name(LogicalType.decimalName).parameter(LogicalType.scaleParameter, String(scale)).version(1)
    }

    /// A builder for `Date` (int32, version 1).
    public static func date() -> SchemaBuilder { SchemaBuilder.int32().name(LogicalType.dateName).version(1) }

    /// A builder for `Time` (int32, version 1).
    public static func time() -> SchemaBuilder { SchemaBuilder.int32().name(LogicalType.timeName).version(1) }

    /// A builder for `Timestamp` (int64, version 1).
    public static func timestamp() -> SchemaBuilder { SchemaBuilder.int64().name(LogicalType.timestampName).version(1) }
}
