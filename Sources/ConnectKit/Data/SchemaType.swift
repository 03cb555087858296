/// The physical type of a ``Schema``, as `org.apache.kafka.connect.data.Schema.Type`.
public enum SchemaType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case int8, int16, int32, int64, float32, float64, boolean, string, bytes, array, map, `struct`

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
