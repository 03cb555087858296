/// Builds a ``Schema`` fluently, like Kafka's `SchemaBuilder`.
///
/// ```swift
/// let schema = try SchemaBuilder.struct().name("shop.orders.Value").version(1)
///     .field("id", .int64)
///     .field("email", .optionalString)
///     .field("amount", .decimal(scale: 2))
///     .field("tags", SchemaBuilder.array(.string).optional())
///     .build()
/// ```
///
/// Every call returns a new builder (it is a value type). Mistakes Kafka reports at once — a field on
/// a non-struct, a duplicate field name, a property set twice, a default value that does not match —
/// are collected and thrown by ``build()`` as a ``DataError`` naming the problem.
public struct SchemaBuilder: Sendable {
    /// The type being built.
    public private(set) var type: SchemaType
    private var isOptional = false
    private var defaultValue: Value?
    /// The name set so far (Kafka's `SchemaBuilder.name()`).
    public private(set) var name: String?
    /// The version set so far (Kafka's `SchemaBuilder.version()`).
    public private(set) var version: Int32?
    private var doc: String?
    private var parameters: SchemaParameters?
    private var fields: [Field] = []
    private var keySchema: Schema?
    private var valueSchema: Schema?
    private var problems: [String] = []

    /// A builder for a schema of `type`: required, unnamed, without default, parameters or fields.
    public init(type: SchemaType) { self.type = type }

    /// A builder for int8; the other primitive factories (`int16()` … `bytes()`, `struct()`) work the same way.
    public static func int8() -> SchemaBuilder { SchemaBuilder(type: .int8) }
    /// A builder for int16 (Kafka's `SchemaBuilder.int16()`, type `INT16`).
    public static func int16() -> SchemaBuilder { SchemaBuilder(type: .int16) }
    /// A builder for int32 (Kafka's `SchemaBuilder.int32()`, type `INT32`).
    public static func int32() -> SchemaBuilder { SchemaBuilder(type: .int32) }
    /// A builder for int64 (Kafka's `SchemaBuilder.int64()`, type `INT64`).
    public static func int64() -> SchemaBuilder { SchemaBuilder(type: .int64) }
    /// A builder for float32 (Kafka's `SchemaBuilder.float32()`, type `FLOAT32`).
    public static func float32() -> SchemaBuilder { SchemaBuilder(type: .float32) }
    /// A builder for float64 (Kafka's `SchemaBuilder.float64()`, type `FLOAT64`).
    public static func float64() -> SchemaBuilder { SchemaBuilder(type: .float64) }
    /// A builder for boolean (Kafka's `SchemaBuilder.bool()`, type `BOOLEAN`).
    public static func bool() -> SchemaBuilder { SchemaBuilder(type: .boolean) }
    /// A builder for string (Kafka's `SchemaBuilder.string()`, type `STRING`).
    public static func string() -> SchemaBuilder { SchemaBuilder(type: .string) }
    /// A builder for bytes (Kafka's `SchemaBuilder.bytes()`, type `BYTES`).
    public static func bytes() -> SchemaBuilder { SchemaBuilder(type: .bytes) }
    /// A builder for a struct with no fields yet; add them with `field` (Kafka's `SchemaBuilder.struct()`).
    public static func `struct`() -> SchemaBuilder { SchemaBuilder(type: .struct) }

    /// A builder for an array of `element`; nil for an array whose elements have no common schema
    /// (Kafka allows it: `Values.parseString` infers such arrays for mixed elements or `[]`).
    public static func array(_ element: Schema?) -> SchemaBuilder {
        var b = SchemaBuilder(type: .array)
        b.valueSchema = element
        return b
    }

    /// A builder for a map from `key` to `value`; nil where entries have no common schema (as
    /// Kafka's `Values.parseString` infers for `{}` or mixed entries).
    public static func map(_ key: Schema?, _ value: Schema?) -> SchemaBuilder {
        var b = SchemaBuilder(type: .map)
        b.keySchema = key
        b.valueSchema = value
        return b
    }

    /// A builder preloaded with every property of `schema` (to derive a modified copy).
    public init(from schema: Schema) {
        type = schema.type
        isOptional = schema.isOptional
        defaultValue = schema.defaultValue
        name = schema.name
        version = schema.version
        doc = schema.doc
        parameters = schema.parameters
        fields = schema.fields
        keySchema = schema.keySchema
        valueSchema = schema.valueSchema
    }

    private func checkUnset<T>(_ current: T?, _ what: String) -> [String] {
        current == nil ? [] : ["Invalid SchemaBuilder call: \(what) has already been set."]
    }

    /// Marks the schema optional (null allowed).
    public func optional() -> SchemaBuilder {
        var b = self
        b.isOptional = true
        return b
    }

    /// Marks the schema required (the default).
    public func required() -> SchemaBuilder {
        var b = self
        b.isOptional = false
        return b
    }

    /// Sets the schema name (once).
    public func name(_ name: String) -> SchemaBuilder {
        var b = self
        b.problems += checkUnset(self.name, "name")
        b.name = name
        return b
    }

    /// Sets the schema version (once).
    public func version(_ version: Int32) -> SchemaBuilder {
        var b = self
        b.problems += checkUnset(self.version, "version")
        b.version = version
        return b
    }

    /// Sets the documentation (once).
    public func doc(_ doc: String) -> SchemaBuilder {
        var b = self
        b.problems += checkUnset(self.doc, "doc")
        b.doc = doc
        return b
    }

    /// Adds or replaces a parameter; order is kept.
    public func parameter(_ key: String, _ value: String) -> SchemaBuilder {
        var b = self
        var p = b.parameters ?? SchemaParameters()
        p[key] = value
        b.parameters = p
        return b
    }

    /// Adds several parameters.
    public func parameters(_ params: SchemaParameters) -> SchemaBuilder {
        var b = self
        for (k, v) in params { b = b.parameter(k, v) }
        return b
    }

    /// Sets the default value; it is validated against the schema when the schema is built.
    public func defaultValue(_ value: Value) -> SchemaBuilder {
        var b = self
        b.problems += checkUnset(self.defaultValue, "default")
        b.defaultValue = value
        return b
    }

    /// Adds a struct field.
    public func field(_ name: String, _ schema: Schema) -> SchemaBuilder {
        var b = self
        if type != .struct {
            b.problems.append("Cannot create fields on type \(type)")
        } else if name.isEmpty {
            b.problems.append("fieldName cannot be null.")
        } else if fields.contains(where: { $0.name == name }) {
            b.problems.append("Cannot create field because of field name duplication \(name)")
        } else {
            b.fields.append(Field(name: name, index: fields.count, schema: schema))
        }
        return b
    }

    /// Adds a struct field whose schema is still a builder.
    @_disfavoredOverload
    public func field(_ name: String, _ builder: SchemaBuilder) -> SchemaBuilder {
        var b = self
        if builder.problems.isEmpty {
            return field(name, builder.buildUnchecked())
        }
        b.problems += builder.problems.map { "field \"\(name)\": \($0)" }
        return b
    }

    /// Builds the schema, throwing a ``DataError`` for every mistake made while building it.
    public func build() throws(DataError) -> Schema {
        var problems = self.problems
        if type == .array, valueSchema == nil { problems.append("Array schema requires an element schema") }
        if type == .map, keySchema == nil || valueSchema == nil { problems.append("Map schema requires key and value schemas") }
        if name == LogicalType.decimalName, type == .bytes, parameters?[LogicalType.scaleParameter].flatMap({ Int32($0) }) == nil {
            problems.append("Invalid Decimal schema: scale parameter not found.")
        }
        if !problems.isEmpty {
            throw DataError(problems.joined(separator: "; "))
        }
        let schema = buildUnchecked()
        if let defaultValue {
            do {
                try schema.validate(defaultValue)
            } catch {
                throw DataError("Invalid default value: \(error.message)")
            }
        }
        return schema
    }

    /// Builds without validation; for internal construction of schemas known to be valid.
    package func buildUnchecked() -> Schema {
        Schema(
            type: type, isOptional: isOptional, defaultValue: defaultValue, name: name, version: version, doc: doc,
            parameters: parameters, fields: fields, keySchema: keySchema, valueSchema: valueSchema)
    }
}
