/// The schema of a Connect value: `org.apache.kafka.connect.data.Schema`.
///
/// A `Schema` is immutable and shared by reference: copying one is a pointer copy, its hash is
/// computed once, and struct field lookup by name goes through a prebuilt index. Two schemas are
/// equal when they describe the same type (Kafka's `ConnectSchema.equals`); identical instances
/// compare in constant time. Build schemas with ``SchemaBuilder`` or use the predefined constants
/// such as ``int64`` and ``optionalString``.
public final class Schema: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The physical type.
    public let type: SchemaType
    /// Whether the value may be null.
    public let isOptional: Bool
    /// The default value, or `nil` when the schema has none.
    public let defaultValue: Value?
    /// The schema name, e.g. a record name or a logical type name.
    public let name: String?
    /// The schema version, if set.
    public let version: Int32?
    /// Documentation for the schema, if set.
    public let doc: String?
    /// Parameters in insertion order, or `nil` when none were set.
    public let parameters: SchemaParameters?
    /// Fields of a struct schema, in order; empty for other types.
    public let fields: [Field]
    /// Key schema of a map.
    public let keySchema: Schema?
    /// Element schema of an array, value schema of a map.
    public let valueSchema: Schema?
    /// The logical type named by ``name``, if it is one Connect defines.
    public let logicalType: LogicalType?

    let fieldIndex: [String: Int]
    let precomputedHash: Int
    /// For struct schemas: each field's JSON member prefix `"name":` (escaped), computed once so
    /// encoders copy bytes instead of escaping names per record.
    package let jsonFieldKeys: [[UInt8]]
    /// For struct schemas: the members' JSON prefixes back to back as an encoder writes them,
    /// `{"a":`, `,"b":`, `,"c":` …, so one copy per field writes the separator and the key.
    package let jsonMemberPrefixes: [UInt8]
    /// Where each member prefix of ``jsonMemberPrefixes`` ends.
    package let jsonMemberPrefixEnds: [Int]
    /// For struct schemas: the field schemas in order, unretained (``fields`` holds them), so hot
    /// loops pass them on without reference counting.
    package let unretainedFieldSchemas: [Unmanaged<Schema>]
    /// For struct schemas: each field schema's ``kind``, so encoders and decoders handle the common
    /// fields without touching the field schema at all.
    package let fieldKinds: [Kind]
    /// The physical type with the logical type folded in: what encoders switch on.
    package let kind: Kind
    /// The scale of a `Decimal` schema (0 for every other schema).
    package let decimalScale: Int32

    /// ``type`` and ``logicalType`` in one small value.
    package enum Kind: UInt8, Sendable {
        case int8, int16, int32, int64, float32, float64, boolean, string, bytes, array, map, `struct`
        case decimal, date, time, timestamp
        /// Named `org.apache.kafka.connect.data.Decimal` without a usable `scale` (or not bytes).
        case invalidDecimal
    }

    init(
        type: SchemaType, isOptional: Bool, defaultValue: Value?, name: String?, version: Int32?, doc: String?,
        parameters: SchemaParameters?, fields: [Field], keySchema: Schema?, valueSchema: Schema?
    ) {
        self.type = type
        self.isOptional = isOptional
        self.defaultValue = defaultValue
        self.name = name
        self.version = version
        self.doc = doc
        self.parameters = parameters
        self.fields = fields
        self.keySchema = keySchema
        self.valueSchema = valueSchema
        var index: [String: Int] = [:]
        index.reserveCapacity(fields.count)
        for f in fields { index[f.name] = f.index }
        self.fieldIndex = index
        self.jsonFieldKeys = fields.map { f in
            var w = JSONWriter(capacity: f.name.utf8.count + 8)
            w.string(f.name)
            w.byte(0x3A)
            return w.bytes
        }
        var prefixes: [UInt8] = []
        var ends: [Int] = []
        for (i, key) in jsonFieldKeys.enumerated() {
            prefixes.append(i == 0 ? 0x7B : 0x2C)
            prefixes += key
            ends.append(prefixes.count)
        }
        self.jsonMemberPrefixes = prefixes
        self.jsonMemberPrefixEnds = ends
        self.unretainedFieldSchemas = fields.map { Unmanaged.passUnretained($0.schema) }
        self.fieldKinds = fields.map { $0.schema.kind }
        let logicalType = LogicalType(name: name, type: type, parameters: parameters)
        self.logicalType = logicalType
        if case .decimal(let scale) = logicalType { decimalScale = scale } else { decimalScale = 0 }
        switch logicalType {
        case .decimal: kind = .decimal
        case .date: kind = .date
        case .time: kind = .time
        case .timestamp: kind = .timestamp
        case nil:
            if name == LogicalType.decimalName {
                kind = .invalidDecimal
            } else {
                switch type {
                case .int8: kind = .int8
                case .int16: kind = .int16
                case .int32: kind = .int32
                case .int64: kind = .int64
                case .float32: kind = .float32
                case .float64: kind = .float64
                case .boolean: kind = .boolean
                case .string: kind = .string
                case .bytes: kind = .bytes
                case .array: kind = .array
                case .map: kind = .map
                case .struct: kind = .struct
                }
            }
        }
        var h = Hasher()
        h.combine(type)
        h.combine(isOptional)
        h.combine(name)
        h.combine(version)
        h.combine(doc)
        h.combine(parameters)
        h.combine(defaultValue)
        for f in fields {
            h.combine(f.name)
            h.combine(f.schema.precomputedHash)
        }
        h.combine(keySchema?.precomputedHash)
        h.combine(valueSchema?.precomputedHash)
        self.precomputedHash = h.finalize()
    }

    /// The field with this name, or `nil`.
    public func field(_ name: String) -> Field? {
        guard let i = fieldIndex[name] else { return nil }
        return fields[i]
    }

    func fieldPosition(_ name: String) -> Int? { fieldIndex[name] }

    public static func == (lhs: Schema, rhs: Schema) -> Bool {
        if lhs === rhs { return true }
        return lhs.precomputedHash == rhs.precomputedHash && lhs.type == rhs.type && lhs.isOptional == rhs.isOptional
            && lhs.name == rhs.name && lhs.version == rhs.version && lhs.doc == rhs.doc
            && lhs.parameters == rhs.parameters && lhs.defaultValue == rhs.defaultValue
            && lhs.fields == rhs.fields && lhs.keySchema == rhs.keySchema && lhs.valueSchema == rhs.valueSchema
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(precomputedHash) }

    /// `Schema{name:TYPE}` or `Schema{TYPE}`, as Kafka prints schemas.
    public var description: String {
        if let name { return "Schema{\(name):\(type)}" }
        return "Schema{\(type)}"
    }

    /// The whole schema tree, for debugging.
    public var debugDescription: String {
        var s = (isOptional ? "optional " : "") + type.rawValue
        if let name { s += " \(name)" }
        if let version { s += " v\(version)" }
        if let parameters, !parameters.isEmpty { s += " \(parameters)" }
        switch type {
        case .struct: s += " {" + fields.map { "\($0.name): \($0.schema.debugDescription)" }.joined(separator: ", ") + "}"
        case .array: s += "<\(valueSchema?.debugDescription ?? "?")>"
        case .map: s += "<\(keySchema?.debugDescription ?? "?"), \(valueSchema?.debugDescription ?? "?")>"
        default: break
        }
        if let defaultValue { s += " = \(defaultValue)" }
        return s
    }

    /// The same schema marked optional (this instance if it already is). Other properties are kept.
    public var asOptional: Schema {
        if isOptional { return self }
        return Schema(
            type: type, isOptional: true, defaultValue: defaultValue, name: name, version: version, doc: doc,
            parameters: parameters, fields: fields, keySchema: keySchema, valueSchema: valueSchema)
    }

    // MARK: Predefined schemas (Kafka's Schema.INT8_SCHEMA, ...)

    static func primitive(_ type: SchemaType, optional: Bool) -> Schema {
        Schema(
            type: type, isOptional: optional, defaultValue: nil, name: nil, version: nil, doc: nil, parameters: nil,
            fields: [], keySchema: nil, valueSchema: nil)
    }

    /// Required int8 (Kafka's `Schema.INT8_SCHEMA`); the other constants follow the same pattern.
    public static let int8 = primitive(.int8, optional: false)
    /// Required int16 (Kafka's `Schema.INT16_SCHEMA`).
    public static let int16 = primitive(.int16, optional: false)
    /// Required int32 (Kafka's `Schema.INT32_SCHEMA`).
    public static let int32 = primitive(.int32, optional: false)
    /// Required int64 (Kafka's `Schema.INT64_SCHEMA`).
    public static let int64 = primitive(.int64, optional: false)
    /// Required float32 (Kafka's `Schema.FLOAT32_SCHEMA`).
    public static let float32 = primitive(.float32, optional: false)
    /// Required float64 (Kafka's `Schema.FLOAT64_SCHEMA`).
    public static let float64 = primitive(.float64, optional: false)
    /// Required boolean (Kafka's `Schema.BOOLEAN_SCHEMA`).
    public static let boolean = primitive(.boolean, optional: false)
    /// Required string (Kafka's `Schema.STRING_SCHEMA`).
    public static let string = primitive(.string, optional: false)
    /// Required bytes (Kafka's `Schema.BYTES_SCHEMA`).
    public static let bytes = primitive(.bytes, optional: false)
    /// Optional int8 (Kafka's `Schema.OPTIONAL_INT8_SCHEMA`).
    public static let optionalInt8 = primitive(.int8, optional: true)
    /// Optional int16 (Kafka's `Schema.OPTIONAL_INT16_SCHEMA`).
    public static let optionalInt16 = primitive(.int16, optional: true)
    /// Optional int32 (Kafka's `Schema.OPTIONAL_INT32_SCHEMA`).
    public static let optionalInt32 = primitive(.int32, optional: true)
    /// Optional int64 (Kafka's `Schema.OPTIONAL_INT64_SCHEMA`).
    public static let optionalInt64 = primitive(.int64, optional: true)
    /// Optional float32 (Kafka's `Schema.OPTIONAL_FLOAT32_SCHEMA`).
    public static let optionalFloat32 = primitive(.float32, optional: true)
    /// Optional float64 (Kafka's `Schema.OPTIONAL_FLOAT64_SCHEMA`).
    public static let optionalFloat64 = primitive(.float64, optional: true)
    /// Optional boolean (Kafka's `Schema.OPTIONAL_BOOLEAN_SCHEMA`).
    public static let optionalBoolean = primitive(.boolean, optional: true)
    /// Optional string (Kafka's `Schema.OPTIONAL_STRING_SCHEMA`).
    public static let optionalString = primitive(.string, optional: true)
    /// Optional bytes (Kafka's `Schema.OPTIONAL_BYTES_SCHEMA`).
    public static let optionalBytes = primitive(.bytes, optional: true)

    /// Required `Decimal` with the given scale.
    public static func decimal(scale: Int32) -> Schema { SchemaBuilder.decimal(scale: scale).buildUnchecked() }
    /// Required `Date` (int32 days since the epoch).
    public static let date = SchemaBuilder.date().buildUnchecked()
    /// Required `Time` (int32 milliseconds since midnight).
    public static let time = SchemaBuilder.time().buildUnchecked()
    /// Required `Timestamp` (int64 milliseconds since the epoch).
    public static let timestamp = SchemaBuilder.timestamp().buildUnchecked()

    /// An array of `element`.
    public static func array(_ element: Schema?) -> Schema { SchemaBuilder.array(element).buildUnchecked() }
    /// A map from `key` to `value`.
    public static func map(_ key: Schema?, _ value: Schema?) -> Schema { SchemaBuilder.map(key, value).buildUnchecked() }
}

/// A field of a struct schema: its name, position and schema.
public struct Field: Sendable, Hashable, CustomStringConvertible {
    /// The field name.
    public let name: String
    /// The field's position in the struct.
    public let index: Int
    /// The field's schema.
    public let schema: Schema

    /// A field named `name` at position `index` (0-based) of its struct, with `schema`.
    public init(name: String, index: Int, schema: Schema) {
        self.name = name
        self.index = index
        self.schema = schema
    }

    public var description: String { "Field{name=\(name), index=\(index), schema=\(schema)}" }
}

/// Schema parameters: string pairs that keep insertion order (serializers write them in order)
/// but compare like a map.
public struct SchemaParameters: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// The parameters in insertion order.
    public private(set) var pairs: [(key: String, value: String)]

    /// No parameters.
    public init() { pairs = [] }

    public init(dictionaryLiteral elements: (String, String)...) {
        pairs = []
        for (k, v) in elements { self[k] = v }
    }

    /// The value of parameter `key`, or `nil`. Setting a new key appends it, setting an existing one
    /// replaces its value in place, setting `nil` removes it.
    public subscript(key: String) -> String? {
        get { pairs.first(where: { $0.key == key })?.value }
        set {
            if let i = pairs.firstIndex(where: { $0.key == key }) {
                if let newValue { pairs[i].value = newValue } else { pairs.remove(at: i) }
            } else if let newValue {
                pairs.append((key: key, value: newValue))
            }
        }
    }

    public var isEmpty: Bool { pairs.isEmpty }
    public var count: Int { pairs.count }
    public func makeIterator() -> IndexingIterator<[(key: String, value: String)]> { pairs.makeIterator() }

    public static func == (lhs: SchemaParameters, rhs: SchemaParameters) -> Bool {
        guard lhs.pairs.count == rhs.pairs.count else { return false }
        for (k, v) in lhs.pairs where rhs[k] != v { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(unorderedHash(pairs.map { ($0.key, $0.value) }))
    }

    public var description: String { "{" + pairs.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + "}" }
}

/// A hash of key/value pairs that ignores their order, for types whose `==` compares like a map.
func unorderedHash<K: Hashable, V: Hashable>(_ pairs: some Sequence<(K, V)>) -> Int {
    var h = 0
    for (k, v) in pairs {
        var eh = Hasher()
        eh.combine(k)
        eh.combine(v)
        h ^= eh.finalize()
    }
    return h
}
