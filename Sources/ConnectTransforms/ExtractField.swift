public import ConnectKit

/// Kafka's `ExtractField$Key` / `$Value`: replaces the key or value with one of its fields; with
/// `field.syntax.version=V2`, `a.b.c` is a nested path (backticks quote names with dots).
public final class ExtractField: SidedTransform {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("field", .string, importance: .medium, documentation: "Field name to extract.")
        .define("field.syntax.version", .string, default: "V1", importance: .high, documentation: "Defines the version of the syntax to access fields. If set to `V1`, then the field paths are limited to access the elements at the root level of the struct or map. If set to `V2`, the syntax will support accessing nested elements.", validator: .caseInsensitiveValidString(["V1", "V2"]))
    let side: RecordSide
    let original: String
    let path: [String]
    let cache = SchemaCache()

    init(side: RecordSide, configuration: [String: String]) throws(ConfigError) {
        self.side = side
        let c = try Self.configDef.parse(configuration)
        original = c.string("field") ?? ""
        path = (c.string("field.syntax.version") ?? "V1").uppercased() == "V2" ? Self.splitV2(original) : [original]
    }

    /// V2 paths: dots separate names; a name in backticks is taken literally (a doubled backtick is one).
    static func splitV2(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "`" {
                if quoted, i + 1 < chars.count, chars[i + 1] == "`" {
                    current.append("`")
                    i += 2
                    continue
                }
                if !quoted && current.isEmpty {
                    quoted = true
                    i += 1
                    continue
                }
                if quoted && (i + 1 == chars.count || chars[i + 1] == ".") {
                    quoted = false
                    i += 1
                    continue
                }
                current.append(c)
            } else if c == ".", !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(c)
            }
            i += 1
        }
        parts.append(current)
        return parts
    }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        let value = side.value(record)
        guard let schema = side.schema(record) else {
            if value.isNull { return side.replace(consume record, schema: nil, value: .null) }
            var current = ConnectKit.Value.map(try Require.map(value, "field extraction"))
            for name in path {
                guard case .map(let m) = current, let next = m.get(name) else { return side.replace(consume record, schema: nil, value: .null) }
                current = next
            }
            return side.replace(consume record, schema: nil, value: current)
        }
        let s: Struct? = value.isNull ? nil : try Require.struct(value, "field extraction")
        var fieldSchema = schema
        for name in path {
            guard fieldSchema.type == .struct, let f = fieldSchema.field(name) else { throw DataError("Unknown field: \(original)") }
            fieldSchema = f.schema
        }
        var current: ConnectKit.Value = s.map { .struct($0) } ?? .null
        for name in path {
            guard case .struct(let st) = current, let f = st.schema.field(name) else {
                current = .null
                break
            }
            current = st.get(f)
        }
        return side.replace(consume record, schema: fieldSchema, value: current)
    }

    /// The transformation on record keys (Kafka\'s `$Key`).
    public struct Key: Transformation {
        let inner: ExtractField
        public static var configDef: ConfigDef { ExtractField.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try ExtractField(side: .key, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }

    /// The transformation on record values (Kafka\'s `$Value`).
    public struct Value: Transformation {
        let inner: ExtractField
        public static var configDef: ConfigDef { ExtractField.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try ExtractField(side: .value, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }
}
