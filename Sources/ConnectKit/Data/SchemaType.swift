/// The physical type of a ``Schema``, as `org.apache.kafka.connect.data.Schema.Type`.
public enum SchemaType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// An 8-bit signed integer (Kafka's `INT8`).
    case int8
    /// A 16-bit signed integer (Kafka's `INT16`).
    case int16
    /// A 32-bit signed integer (Kafka's `INT32`).
    case int32
    /// A 64-bit signed integer (Kafka's `INT64`).
    case int64
    /// A 32-bit IEEE 754 float (Kafka's `FLOAT32`).
    case float32
    /// A 64-bit IEEE 754 float (Kafka's `FLOAT64`).
    case float64
    /// A boolean (Kafka's `BOOLEAN`).
    case boolean
    /// A Unicode string (Kafka's `STRING`).
    case string
    /// A byte array (Kafka's `BYTES`).
    case bytes
    /// A list of values of the schema's ``Schema/valueSchema`` (Kafka's `ARRAY`).
    case array
    /// Entries from ``Schema/keySchema`` to ``Schema/valueSchema`` (Kafka's `MAP`).
    case map
    /// Named fields, each with its own schema (Kafka's `STRUCT`).
    case `struct`

    /// `true` for every type except array, map and struct.
    public var isPrimitive: Bool {
        switch self {
        case .array, .map, .struct: return false
        default: return true
        }
    }

    /// Upper-case name as Kafka prints it (`INT32`, `STRUCT`).
    public var description: String { rawValue.uppercased() }
}
