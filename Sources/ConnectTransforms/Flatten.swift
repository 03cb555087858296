public import ConnectKit

/// Kafka's `Flatten$Key` / `$Value`: nested structs (or maps) become top-level fields named
/// `parent<delimiter>child`; optionality and defaults of ancestors carry over to the flattened fields.
public final class Flatten: SidedTransform {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("delimiter", .string, default: ".", importance: .medium, documentation: "Delimiter to insert between field names from the input record when generating field names for the output record")
    static let purpose = "flattening"
    let side: RecordSide
    let delimiter: String
    let cache = SchemaCache()

    init(side: RecordSide, configuration: [String: String]) throws(ConfigError) {
        self.side = side
        delimiter = try Self.configDef.parse(configuration).string("delimiter") ?? "."
    }

    func name(_ prefix: String, _ field: String) -> String { prefix.isEmpty ? field : prefix + delimiter + field }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        let value = side.value(record)
        guard let schema = side.schema(record) else {
            if value.isNull { return record }
            var out = MapValue()
            try flatten(try Require.map(value, Self.purpose), "", &out)
            return side.replace(consume record, schema: nil, value: .map(out))
        }
        let s: Struct? = value.isNull ? nil : try Require.struct(value, Self.purpose).conforming(to: schema)
        let updated = try cache.get(schema) { () throws(DataError) -> Schema in
            var b = copyBasics(schema, .struct())
            if schema.isOptional { b = b.optional() }
            try buildSchema(schema, "", &b, optional: false, parentDefault: schema.defaultValue?.structValue)
            return try b.build()
        }
        guard let s else { return side.replace(consume record, schema: updated, value: .null) }
        var values: [ConnectKit.Value] = []
        values.reserveCapacity(updated.fields.count)
        try flatten(s, "", &values)
        return side.replace(consume record, schema: updated, value: .struct(makeStruct(updated, values)))
    }

    private func flatten(_ m: MapValue, _ prefix: String, _ out: inout MapValue) throws(DataError) {
        for e in m.entries {
            guard case .string(let key) = e.key else { continue }
            let n = name(prefix, key)
            switch e.value {
            case .map(let nested): try flatten(nested, n, &out)
            case .struct: throw DataError("Flatten transformation does not support class org.apache.kafka.connect.data.Struct for record without schemas (for field \(n)).")
            default: out.put(.string(n), e.value)
            }
        }
    }

    private func buildSchema(_ schema: Schema, _ prefix: String, _ b: inout SchemaBuilder, optional: Bool, parentDefault: Struct?) throws(DataError) {
        for f in schema.fields {
            let n = name(prefix, f.name)
            let isOptional = optional || f.schema.isOptional
            let fieldDefault = f.schema.defaultValue ?? parentDefault.map { $0.get(f) }
            switch f.schema.type {
            case .struct:
                try buildSchema(f.schema, n, &b, optional: isOptional, parentDefault: fieldDefault?.structValue)
            case .map:
                throw DataError("Flatten transformation does not support MAP for record with schemas (for field \(n)).")
            default:
                var fb = f.schema.type == .array ? SchemaBuilder.array(f.schema.valueSchema) : SchemaBuilder(type: f.schema.type)
                fb = copyBasics(f.schema, fb)
                if isOptional { fb = fb.optional() }
                if let d = fieldDefault, !d.isNull { fb = fb.defaultValue(d) }
                b = b.field(n, try fb.build())
            }
        }
    }

    private func flatten(_ s: Struct?, _ prefix: String, _ out: inout [ConnectKit.Value]) throws(DataError) {
        for f in s?.schema.fields ?? [] {
            let n = name(prefix, f.name)
            switch f.schema.type {
            case .struct:
                let nested = s.flatMap { $0.get(f).structValue }
                if nested == nil { appendNulls(f.schema, &out) } else { try flatten(nested, n, &out) }
            case .map: throw DataError("Flatten transformation does not support MAP for record with schemas (for field \(n)).")
            default: out.append(s?.get(f) ?? .null)
            }
        }
    }

    /// A null nested struct leaves its flattened fields null.
    private func appendNulls(_ schema: Schema, _ out: inout [ConnectKit.Value]) {
        for f in schema.fields {
            if f.schema.type == .struct { appendNulls(f.schema, &out) } else { out.append(.null) }
        }
    }

    /// The transformation on record keys (Kafka\'s `$Key`).
    public struct Key: Transformation {
        let inner: Flatten
        public static var configDef: ConfigDef { Flatten.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try Flatten(side: .key, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }

    /// The transformation on record values (Kafka\'s `$Value`).
    public struct Value: Transformation {
        let inner: Flatten
        public static var configDef: ConfigDef { Flatten.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try Flatten(side: .value, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }
}

/// Kafka's `HeaderFrom$Key` / `$Value`: copies (or moves) fields into headers with the field's schema.
public final class HeaderFrom: SidedTransform {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("fields", .list, importance: .high, documentation: "Field names in the record whose values are to be copied or moved to headers.")
        .define("headers", .list, importance: .high, documentation: "Header names, in the same order as the field names listed in the fields configuration property.")
        .define("operation", .string, importance: .high, documentation: "Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value).", validator: .validString(["move", "copy"]))
        .define("replace.null.with.default", .boolean, default: true, importance: .medium, documentation: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.")
    let side: RecordSide
    let fields: [String]
    let headers: [String]
    let move: Bool
    let replaceNullWithDefault: Bool
    let cache = SchemaCache()

    init(side: RecordSide, configuration: [String: String]) throws(ConfigError) {
        self.side = side
        let c = try Self.configDef.parse(configuration)
        fields = c.list("fields") ?? []
        headers = c.list("headers") ?? []
        if fields.count != headers.count {
            throw ConfigError(key: "headers", message: "'fields' config must have the same number of elements as 'headers' config.")
        }
        move = c.string("operation") == "move"
        replaceNullWithDefault = c.bool("replace.null.with.default") ?? true
    }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        let purpose = "header " + (move ? "move" : "copy")
        let value = side.value(record)
        var out = consume record
        guard let schema = side.schema(out) else {
            var m = try Require.map(value, purpose)
            let original = m
            for (field, header) in zip(fields, headers) {
                if move { m.entries.removeAll { $0.key == .string(field) } }
                out.headers.add(Header(key: header, value: original.get(field) ?? .null, schema: nil))
            }
            return side.replace(out, schema: nil, value: .map(m))
        }
        let s = try Require.struct(value, purpose).conforming(to: schema)
        var updatedSchema = schema
        var updatedValue = value
        if move {
            updatedSchema = try cache.get(schema) { () throws(DataError) -> Schema in
                var b = copyBasics(schema, .struct())
                for f in schema.fields where !fields.contains(f.name) { b = b.field(f.name, f.schema) }
                return try b.build()
            }
            updatedValue = .struct(makeStruct(updatedSchema, updatedSchema.fields.map { f in
                let original = s.schema.field(f.name)!
                return replaceNullWithDefault ? s.get(original) : s.values[original.index]
            }))
        }
        for (field, header) in zip(fields, headers) {
            guard let f = schema.field(field) else {
                throw DataError("Cannot invoke \"org.apache.kafka.connect.data.Field.schema()\" because the field \(field) does not exist")
            }
            out.headers.add(Header(key: header, value: replaceNullWithDefault ? s.get(f) : s.values[f.index], schema: f.schema))
        }
        return side.replace(out, schema: updatedSchema, value: updatedValue)
    }

    /// The transformation on record keys (Kafka\'s `$Key`).
    public struct Key: Transformation {
        let inner: HeaderFrom
        public static var configDef: ConfigDef { HeaderFrom.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try HeaderFrom(side: .key, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }

    /// The transformation on record values (Kafka\'s `$Value`).
    public struct Value: Transformation {
        let inner: HeaderFrom
        public static var configDef: ConfigDef { HeaderFrom.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try HeaderFrom(side: .value, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }
}
