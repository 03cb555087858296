/// A structured value with a struct ``Schema``: `org.apache.kafka.connect.data.Struct`.
///
/// Values are stored positionally, in the order of the schema's fields; access by name goes through
/// the schema's prebuilt index. ``put(_:_:)-(String,_)`` validates the value against the field's
/// schema and throws a ``DataError`` naming the field, the expected type and the actual type.
public struct Struct: Sendable, Hashable, CustomStringConvertible {
    /// The struct schema; its fields give the values' order, names and types.
    public let schema: Schema
    /// Field values by position; ``Value/null`` where unset.
    public private(set) var values: [Value]

    /// An empty struct (every field null) for a struct schema.
    public init(_ schema: Schema) throws(DataError) {
        guard schema.type == .struct else { throw DataError("Not a struct schema: \(schema)") }
        self.schema = schema
        self.values = [Value](repeating: .null, count: schema.fields.count)
    }

    /// A struct from positional values that the caller guarantees match the schema.
    package init(unchecked schema: Schema, values: [Value]) {
        self.schema = schema
        self.values = values
    }

    /// The values, moved out of the struct (no copy when the struct was the only holder).
    package consuming func intoValues() -> [Value] { values }

    /// A struct from field names to values, validated.
    public init(_ schema: Schema, _ fieldValues: KeyValuePairs<String, Value>) throws(DataError) {
        try self.init(schema)
        for (k, v) in fieldValues { try put(k, v) }
    }

    private func lookup(_ name: String) throws(DataError) -> Field {
        guard let f = schema.field(name) else { throw DataError("\(name) is not a valid field name") }
        return f
    }

    /// The value of a field, or its schema's default when the value is null. Throws for unknown names.
    public func get(_ name: String) throws(DataError) -> Value {
        let f = try lookup(name)
        return get(f)
    }

    /// The value of a field, or its schema's default when null.
    public func get(_ field: Field) -> Value {
        let v = values[field.index]
        if case .null = v, let d = field.schema.defaultValue { return d }
        return v
    }

    /// The stored value of a field, without applying the default.
    public func getWithoutDefault(_ name: String) throws(DataError) -> Value {
        values[try lookup(name).index]
    }

    /// The value of a field (default applied), or `nil` when the schema has no such field.
    public subscript(name: String) -> Value? {
        guard let f = schema.field(name) else { return nil }
        return get(f)
    }

    /// Sets a field by name after validating the value against the field's schema.
    public mutating func put(_ name: String, _ value: Value) throws(DataError) {
        try put(try lookup(name), value)
    }

    /// Sets a field after validating the value against the field's schema.
    public mutating func put(_ field: Field, _ value: Value) throws(DataError) {
        guard field.index < values.count, schema.fields[field.index].name == field.name else {
            throw DataError("\(field.name) is not a valid field name")
        }
        try schema.fields[field.index].schema.validate(value, field: field.name)
        values[field.index] = value
    }

    /// Returns a copy with one field set (validated), for chaining.
    public func putting(_ name: String, _ value: Value) throws(DataError) -> Struct {
        var s = self
        try s.put(name, value)
        return s
    }

    /// Sets a value by position without validation (for converters and transforms that build
    /// values known to match).
    package mutating func setUnchecked(_ index: Int, _ value: Value) { values[index] = value }

    /// Checks every field: required fields without defaults must be set, and all values must match.
    public func validate() throws(DataError) {
        for f in schema.fields {
            let v = values[f.index]
            if case .null = v, f.schema.isOptional || f.schema.defaultValue != nil { continue }
            try f.schema.validate(v, field: f.name)
        }
    }

    /// `Struct{id=1,customer=ada}`, with null fields left out, as Kafka prints structs (field values
    /// as ``Value/description`` prints them).
    public var description: String { JavaObjectText.string(.struct(self), zone: .default) }
}

// MARK: - Validation (ConnectSchema.validateValue)

extension Schema {
    /// Checks that `value` is valid for this schema; throws a ``DataError`` naming `field`, the expected
    /// type and the value's actual type.
    public func validate(_ value: Value, field: String? = nil) throws(DataError) {
        let at = field.map { " for field \"\($0)\"" } ?? ""
        if case .null = value {
            if isOptional { return }
            throw DataError("Invalid value: null used for required field\(field.map { ": \"\($0)\"" } ?? ""), schema type: \(type)")
        }
        if let logicalType {
            let ok: Bool
            switch (logicalType, value) {
            case (.decimal, .decimal), (.date, .date), (.time, .time), (.timestamp, .timestamp): ok = true
            default: ok = false
            }
            if !ok { throw DataError("Invalid value\(at): expected \(logicalTypeDisplay) (\(type)), got \(value.kindName)") }
            return
        }
        switch (type, value) {
        case (.int8, .int8), (.int16, .int16), (.int32, .int32), (.int64, .int64), (.float32, .float32),
            (.float64, .float64), (.boolean, .boolean), (.string, .string), (.bytes, .bytes):
            return
        case (.bytes, .decimal) where name == LogicalType.decimalName:
            throw DataError("Invalid Decimal schema\(at): scale parameter not found.")
        case (.array, .array(let elements)):
            guard let element = valueSchema else { return }
            for e in elements { try element.validate(e, field: field) }
        case (.map, .map(let m)):
            guard let k = keySchema, let v = valueSchema else { return }
            for e in m {
                try k.validate(e.key, field: field)
                try v.validate(e.value, field: field)
            }
        case (.struct, .struct(let s)):
            guard s.schema == self else {
                throw DataError("Struct schemas do not match\(at): expected \(self), got \(s.schema)")
            }
            try s.validate()
        default:
            let expected = name.map { "\(type) (\($0))" } ?? type.description
            throw DataError("Invalid value\(at): expected \(expected), got \(value.kindName)")
        }
    }

    var logicalTypeDisplay: String {
        switch logicalType {
        case .decimal(let scale): "Decimal(scale=\(scale))"
        case .date: "Date"
        case .time: "Time"
        case .timestamp: "Timestamp"
        case nil: type.description
        }
    }
}
