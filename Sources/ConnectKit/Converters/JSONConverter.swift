#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Kafka Connect's JSON format, byte-identical with `org.apache.kafka.connect.json.JsonConverter`
/// (Kafka 4.x) in both directions.
///
/// With `schemas.enable=true` (the default) every message is an envelope
/// `{"schema":…,"payload":…}`; with `false` only the payload is written and reading infers Kafka's
/// schemaless types (int64, float64, string, boolean, array, map). Configuration keys:
///
/// | key | default | meaning |
/// | --- | --- | --- |
/// | `schemas.enable` | `true` | write and expect the schema envelope |
/// | `schemas.cache.size` | `1000` | schemas whose JSON form (and parsed form) are cached |
/// | `decimal.format` | `BASE64` | `BASE64` (bytes as Base64) or `NUMERIC` (JSON number) for `Decimal` |
/// | `replace.null.with.default` | `true` | write/read a field's default in place of null |
/// | `schema.content` | none | a JSON schema used for every message read (payload only) |
///
/// The envelope prefix `{"schema":…,"payload":` is computed once per schema and reused. Reading
/// decodes straight from the bytes into ``Value``s guided by the schema; parsed schemas are cached by
/// their exact bytes. Where Kafka silently coerces a mismatching JSON type (e.g. a string where an
/// int32 is expected becomes 0), this converter throws a ``DataError`` instead; NaN and infinities,
/// which Kafka writes as the strings `"NaN"`/`"Infinity"`, read back as NaN/infinity (Kafka reads 0.0).
public final class JSONConverter: Converter, HeaderConverter {
    /// It never waits: the runtime calls its synchronous forms directly.
    public var convertsSynchronously: Bool { true }

    /// How `Decimal` values are written.
    public enum DecimalFormat: String, Sendable, CaseIterable {
        /// The unscaled value's big-endian two's-complement bytes as a Base64 string (Kafka's `BASE64`, the default).
        case base64 = "BASE64"
        /// A JSON number with the decimal's digits and scale, e.g. `12.50` (Kafka's `NUMERIC`).
        case numeric = "NUMERIC"
    }

    /// `schemas.enable`.
    public let schemasEnabled: Bool
    /// `decimal.format`.
    public let decimalFormat: DecimalFormat
    /// `replace.null.with.default`.
    public let replaceNullWithDefault: Bool
    /// `schemas.cache.size`.
    public let schemasCacheSize: Int
    /// The fixed schema from `schema.content`, if configured.
    public let fixedSchema: Schema?

    private let envelopeCache: Mutex<EnvelopeCache>
    /// Capacity to allocate for the next serialized message (grows to the largest seen).
    private let sizeHint = Atomic<Int>(256)
    private let schemaCache: Mutex<SchemaDecodeCache>
    /// Object keys read recently (schemaless reading), shared instead of created per record.
    private let keyInterner = Mutex(KeyInterner())

    /// The keys Kafka's `JsonConverterConfig` defines.
    public static let configDef = ConfigDef()
        .define(
            "schemas.enable", .boolean, default: true, importance: .high,
            documentation: "Include schemas within each of the serialized values and keys.", group: "Schemas",
            orderInGroup: 0, width: .medium, displayName: "Enable Schemas")
        .define(
            "schemas.cache.size", .int, default: 1000, importance: .high,
            documentation: "The maximum number of schemas that can be cached in this converter instance.",
            validator: .atLeast(0), group: "Schemas", orderInGroup: 1, width: .medium, displayName: "Schema Cache Size")
        .define(
            "schema.content", .string, default: .null, importance: .high,
            documentation:
                "When set, this is used as the schema for all messages, and the schemas within each of the message will be ignored. Applies only when 'schemas.enable' is true, and only when reading.",
            group: "Schemas", orderInGroup: 2, width: .medium, displayName: "Schema Content")
        .define(
            "decimal.format", .string, default: "BASE64", importance: .low,
            documentation:
                "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
            validator: .caseInsensitiveValidString(["BASE64", "NUMERIC"]), group: "Serialization", orderInGroup: 0,
            width: .medium, displayName: "Decimal Format")
        .define(
            "replace.null.with.default", .boolean, default: true, importance: .low,
            documentation:
                "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
            group: "Serialization", orderInGroup: 1, width: .medium, displayName: "Replace null with default")
        .define(
            "converter.type", .string, default: .null, importance: .low,
            documentation: "How this converter will be used (key, value or header).",
            validator: ConfigValidator.custom("[key, value, header]") { _, v in
                if case .string(let s) = v, !["key", "value", "header"].contains(s.lowercased()) {
                    return "String must be one of (case insensitive): key, value, header"
                }
                return nil
            })

    /// A converter with explicit settings.
    public init(
        schemasEnabled: Bool = true, decimalFormat: DecimalFormat = .base64, replaceNullWithDefault: Bool = true,
        schemasCacheSize: Int = 1000, fixedSchema: Schema? = nil
    ) {
        self.schemasEnabled = schemasEnabled
        self.decimalFormat = decimalFormat
        self.replaceNullWithDefault = replaceNullWithDefault
        self.schemasCacheSize = schemasCacheSize
        self.fixedSchema = fixedSchema
        envelopeCache = Mutex(EnvelopeCache(capacity: schemasCacheSize))
        schemaCache = Mutex(SchemaDecodeCache(capacity: schemasCacheSize))
    }

    /// A converter configured with Kafka's keys (`schemas.enable`, `decimal.format`, ...).
    public convenience init(configuration: [String: String], isKey: Bool) throws(ConfigError) {
        let c: ParsedConfig
        do {
            c = try JSONConverter.configDef.parse(configuration)
        } catch {
            throw ConfigError(error.problems, context: "JsonConverter")
        }
        var fixed: Schema? = nil
        let format = DecimalFormat(rawValue: c.string("decimal.format")!.uppercased())!
        if let content = c.string("schema.content"), c.bool("schemas.enable")! {
            let probe = JSONConverter(decimalFormat: format)
            do {
                fixed = try probe.parseSchema(JSONValue.parse(content))
            } catch {
                throw ConfigError(key: "schema.content", message: "Invalid schema.content: \(error)", context: "JsonConverter")
            }
        }
        self.init(
            schemasEnabled: c.bool("schemas.enable")!, decimalFormat: format,
            replaceNullWithDefault: c.bool("replace.null.with.default")!, schemasCacheSize: Int(c.int("schemas.cache.size")!),
            fixedSchema: fixed)
    }

    public convenience init(configuration: [String: String]) throws(ConfigError) {
        try self.init(configuration: configuration, isKey: false)
    }

    // MARK: Converter

    public func fromConnectData(topic: String, headers: Headers?, schema: Schema?, value: Value) throws(DataError) -> [UInt8]? {
        if schema == nil, value.isNull { return nil }
        // Encode straight into the returned array, sized from the largest message seen so far; only
        // a message larger than that goes through a growable buffer (and raises the estimate).
        let hint = sizeHint.load(ordering: .relaxed)
        var failure: DataError? = nil
        var spilled: [UInt8]? = nil
        let bytes = [UInt8](unsafeUninitializedCapacity: hint) { buffer, initialized in
            var w = JSONWriter(into: buffer)
            do throws(DataError) {
                if schemasEnabled {
                    w.raw(try envelopePrefix(schema))
                    try writeValue(schema, value, &w)
                    w.byte(0x7D)
                } else {
                    try writeValue(schema, value, &w)
                }
            } catch {
                failure = error
                initialized = 0
                return
            }
            if w.isInPlace {
                initialized = w.count
            } else {
                spilled = w.bytes
                initialized = 0
            }
        }
        if let failure { throw failure.with(topic: topic) }
        if let spilled {
            sizeHint.store(min(spilled.count + spilled.count / 8 + 16, 1 << 20), ordering: .relaxed)
            return spilled
        }
        return bytes
    }

    public func toConnectData(topic: String, headers: Headers?, value: [UInt8]?) throws(DataError) -> SchemaAndValue {
        guard let value else { return .null }
        do {
            return try value.withUnsafeBufferPointer { (buf) throws(DataError) -> SchemaAndValue in
                var r = JSONReader(buf)
                return try decodeMessage(&r)
            }
        } catch {
            throw error.with(topic: topic)
        }
    }

    public func fromConnectHeader(topic: String, headerKey: String, schema: Schema?, value: Value) throws(DataError) -> [UInt8]? {
        try fromConnectData(topic: topic, headers: nil, schema: schema, value: value)
    }

    public func toConnectHeader(topic: String, headerKey: String, value: [UInt8]?) throws(DataError) -> SchemaAndValue {
        try toConnectData(topic: topic, headers: nil, value: value)
    }

    // MARK: Schema → JSON

    private static let envelopeHead: [UInt8] = Array("{\"schema\":".utf8)
    private static let envelopePayload: [UInt8] = Array(",\"payload\":".utf8)
    private static let nullEnvelope: [UInt8] = Array("{\"schema\":null,\"payload\":".utf8)

    private func envelopePrefix(_ schema: Schema?) throws(DataError) -> [UInt8] {
        guard let schema else { return JSONConverter.nullEnvelope }
        if let cached = envelopeCache.withLock({ $0.prefix(for: schema) }) { return cached }
        var w = JSONWriter(capacity: 512)
        w.raw(JSONConverter.envelopeHead)
        try writeSchema(schema, &w)
        w.raw(JSONConverter.envelopePayload)
        let bytes = w.bytes
        envelopeCache.withLock { $0.store(bytes, for: schema) }
        return bytes
    }

    /// Envelope prefixes by schema: the schema of the previous message is checked by identity first
    /// (a stream usually repeats one schema object), then the LRU cache by value.
    private struct EnvelopeCache {
        var lru: LRUCache<Schema, [UInt8]>
        var last: (schema: Schema, prefix: [UInt8])?

        init(capacity: Int) { lru = LRUCache(capacity: capacity) }

        mutating func prefix(for schema: Schema) -> [UInt8]? {
            // (A hit here does not refresh the schema's place in the LRU order; it only costs a
            // recomputation if an equal schema object comes after the LRU dropped it.)
            if let last, last.schema === schema { return last.prefix }
            guard let found = lru[schema] else { return nil }
            last = (schema, found)
            return found
        }

        mutating func store(_ prefix: [UInt8], for schema: Schema) {
            guard lru.capacity > 0 else { return }
            lru[schema] = prefix
            last = (schema, prefix)
        }
    }

    /// The JSON form of a schema, exactly as Kafka's `asJsonSchema` (field order included).
    public func jsonSchema(_ schema: Schema) throws(DataError) -> String {
        var w = JSONWriter()
        try writeSchema(schema, &w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    private func writeSchema(_ schema: Schema, _ w: inout JSONWriter, fieldName: String? = nil) throws(DataError) {
        w.raw("{\"type\":")
        switch schema.type {
        case .int8: w.raw("\"int8\"")
        case .int16: w.raw("\"int16\"")
        case .int32: w.raw("\"int32\"")
        case .int64: w.raw("\"int64\"")
        case .float32: w.raw("\"float\"")
        case .float64: w.raw("\"double\"")
        case .boolean: w.raw("\"boolean\"")
        case .string: w.raw("\"string\"")
        case .bytes: w.raw("\"bytes\"")
        case .array:
            // Kafka writes an element schema it does not have as null.
            w.raw("\"array\",\"items\":")
            if let element = schema.valueSchema { try writeSchema(element, &w) } else { w.raw("null") }
        case .map:
            w.raw("\"map\",\"keys\":")
            if let key = schema.keySchema { try writeSchema(key, &w) } else { w.raw("null") }
            w.raw(",\"values\":")
            if let value = schema.valueSchema { try writeSchema(value, &w) } else { w.raw("null") }
        case .struct:
            w.raw("\"struct\",\"fields\":[")
            for (i, f) in schema.fields.enumerated() {
                if i > 0 { w.byte(0x2C) }
                try writeSchema(f.schema, &w, fieldName: f.name)
            }
            w.byte(0x5D)
        }
        w.raw(",\"optional\":")
        w.bool(schema.isOptional)
        if let name = schema.name {
            w.raw(",\"name\":")
            w.string(name)
        }
        if let version = schema.version {
            w.raw(",\"version\":")
            w.int(Int64(version))
        }
        if let doc = schema.doc {
            w.raw(",\"doc\":")
            w.string(doc)
        }
        if let parameters = schema.parameters {
            w.raw(",\"parameters\":{")
            for (i, p) in parameters.pairs.enumerated() {
                if i > 0 { w.byte(0x2C) }
                w.string(p.key)
                w.byte(0x3A)
                w.string(p.value)
            }
            w.byte(0x7D)
        }
        if let d = schema.defaultValue {
            w.raw(",\"default\":")
            try writeValue(schema, d, &w)
        }
        if let fieldName {
            w.raw(",\"field\":")
            w.string(fieldName)
        }
        w.byte(0x7D)
    }

    // MARK: Value → JSON

    private func typeError(_ schema: Schema?, _ value: Value) -> DataError {
        DataError("Invalid type for \(schema.map { $0.type.description } ?? "unknown schema"): \(value.kindName)")
    }

    private func writeValue(_ schema: Schema?, _ value: Value, _ w: inout JSONWriter) throws(DataError) {
        guard let schema else { return try writeSchemaless(value, &w) }
        let kind = schema.kind
        switch value {
        case .int64(let v) where kind == .int64: w.int(v)
        case .int32(let v) where kind == .int32: w.int(Int64(v))
        case .string(let v) where kind == .string: w.string(v)
        case .float64(let v) where kind == .float64: w.double(v)
        case .boolean(let v) where kind == .boolean: w.bool(v)
        case .timestamp(let ms) where kind == .timestamp: w.int(ms)
        case .struct(let s) where kind == .struct: try writeStruct(schema, s, &w)
        case .array(let items) where kind == .array:
            w.byte(0x5B)
            let element = schema.valueSchema
            try items.withUnsafeBufferPointer { (items) throws(DataError) in
                for i in 0..<items.count {
                    if i > 0 { w.byte(0x2C) }
                    try writeValue(element, items[i], &w)
                }
            }
            w.byte(0x5D)
        case .decimal(let d) where kind == .decimal:
            if decimalFormat == .numeric {
                w.raw(Array(d.description.utf8))
            } else {
                let scale: Int32 = if case .decimal(let scale) = schema.logicalType { scale } else { 0 }
                guard d.scale == scale else {
                    throw DataError(
                        "Decimal value has mismatching scale for given Decimal schema. Schema has scale \(scale), value has scale \(d.scale).")
                }
                d.unscaled.withTwosComplementBytes { w.base64String($0) }
            }
        case .date(let days) where kind == .date: w.int(Int64(days))
        case .time(let ms) where kind == .time:
            guard ms >= 0, ms < 86_400_000 else {
                throw DataError("Kafka Connect Time type should not have any date fields set to non-zero values.")
            }
            w.int(Int64(ms))
        case .int8(let v) where kind == .int8: w.int(Int64(v))
        case .int16(let v) where kind == .int16: w.int(Int64(v))
        case .float32(let v) where kind == .float32: w.float(v)
        case .bytes(let v) where kind == .bytes: w.base64String(v)
        case .map(let m) where kind == .map:
            try writeMap(m, keySchema: schema.keySchema, valueSchema: schema.valueSchema, objectMode: schema.keySchema?.type == .string, &w)
        case .null:
            if let d = schema.defaultValue, replaceNullWithDefault { return try writeValue(schema, d, &w) }
            if schema.isOptional { return w.null() }
            throw DataError("Conversion error: null value for field that is required and has no default value")
        default:
            throw mismatch(schema, value)
        }
    }

    /// A struct's members: one copy of `{"name":` / `,"name":` per field, then the value.
    private func writeStruct(_ schema: Schema, _ s: Struct, _ w: inout JSONWriter) throws(DataError) {
        guard s.schema == schema else { throw DataError("Mismatching schema.") }
        let count = schema.unretainedFieldSchemas.count
        if count == 0 { return w.raw("{}") }
        try schema.unretainedFieldSchemas.withUnsafeBufferPointer { (children) throws(DataError) in
            try schema.fieldKinds.withUnsafeBufferPointer { (kinds) throws(DataError) in
                try s.values.withUnsafeBufferPointer { (values) throws(DataError) in
                    try schema.jsonMemberPrefixes.withUnsafeBufferPointer { (prefixes) throws(DataError) in
                        try schema.jsonMemberPrefixEnds.withUnsafeBufferPointer { (ends) throws(DataError) in
                            var start = 0
                            for i in 0..<count {
                                let end = ends[i]
                                w.raw(UnsafeBufferPointer(rebasing: prefixes[start..<end]))
                                start = end
                                // The common primitive fields without a call or the field schema.
                                let kind = kinds[i]
                                switch values[i] {
                                case .int64(let v) where kind == .int64: w.int(v)
                                case .int32(let v) where kind == .int32: w.int(Int64(v))
                                case .string(let v) where kind == .string: w.string(v)
                                case .float64(let v) where kind == .float64: w.double(v)
                                case .boolean(let v) where kind == .boolean: w.bool(v)
                                case .timestamp(let ms) where kind == .timestamp: w.int(ms)
                                default:
                                    do throws(DataError) {
                                        try writeValue(children[i].takeUnretainedValue(), values[i], &w)
                                    } catch {
                                        throw DataError("\(error.message) (field \"\(schema.fields[i].name)\")", cause: error.cause)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        w.byte(0x7D)
    }

    /// The error for a value that does not fit its schema, with Kafka's texts for logical types.
    private func mismatch(_ schema: Schema, _ value: Value) -> DataError {
        switch schema.kind {
        case .decimal: DataError("Invalid type for Decimal, expected BigDecimal but was \(value.kindName)")
        case .date: DataError("Invalid type for Date, expected Date but was \(value.kindName)")
        case .time: DataError("Invalid type for Time, expected Date but was \(value.kindName)")
        case .timestamp: DataError("Invalid type for Timestamp, expected Date but was \(value.kindName)")
        case .invalidDecimal: DataError("Invalid Decimal schema: scale parameter not found.")
        default: typeError(schema, value)
        }
    }

    private func writeMap(_ m: MapValue, keySchema: Schema?, valueSchema: Schema?, objectMode: Bool, _ w: inout JSONWriter) throws(DataError) {
        if objectMode {
            w.byte(0x7B)
            for (i, e) in m.entries.enumerated() {
                if i > 0 { w.byte(0x2C) }
                var key = e.key
                if case .null = key, let d = keySchema?.defaultValue, replaceNullWithDefault { key = d }
                switch key {
                case .string(let s): w.string(s)
                case .null: w.raw("\"null\"")
                default: throw typeError(keySchema, key)
                }
                w.byte(0x3A)
                try writeValue(valueSchema, e.value, &w)
            }
            w.byte(0x7D)
        } else {
            w.byte(0x5B)
            for (i, e) in m.entries.enumerated() {
                if i > 0 { w.byte(0x2C) }
                w.byte(0x5B)
                try writeValue(keySchema, e.key, &w)
                w.byte(0x2C)
                try writeValue(valueSchema, e.value, &w)
                w.byte(0x5D)
            }
            w.byte(0x5D)
        }
    }

    private func writeSchemaless(_ value: Value, _ w: inout JSONWriter) throws(DataError) {
        switch value {
        case .null: w.null()
        case .int8(let v): w.int(Int64(v))
        case .int16(let v): w.int(Int64(v))
        case .int32(let v): w.int(Int64(v))
        case .int64(let v): w.int(v)
        case .float32(let v): w.float(v)
        case .float64(let v): w.double(v)
        case .boolean(let v): w.bool(v)
        case .string(let v): w.string(v)
        case .bytes(let v): w.base64String(v)
        case .array(let items):
            w.byte(0x5B)
            for (i, item) in items.enumerated() {
                if i > 0 { w.byte(0x2C) }
                try writeSchemaless(item, &w)
            }
            w.byte(0x5D)
        case .map(let m):
            let objectMode = m.entries.allSatisfy { if case .string = $0.key { return true } else { return false } }
            try writeMap(m, keySchema: nil, valueSchema: nil, objectMode: objectMode, &w)
        case .struct: throw DataError("Mismatching schema.")
        case .decimal, .date, .time, .timestamp:
            throw DataError("A \(value.kindName) value has no corresponding schema type without a schema.")
        }
    }

    // MARK: JSON → Connect

    private func decodeMessage(_ r: inout JSONReader) throws(DataError) -> SchemaAndValue {
        if !schemasEnabled {
            r.skipWhitespace()
            if r.atEnd { return .null }  // Jackson reads empty input as a missing node: null
            let v = try readSchemalessInterning(&r)
            try r.expectEnd()
            return SchemaAndValue(schema: nil, value: v)
        }
        if let fixedSchema {
            r.skipWhitespace()
            let v = try readValue(fixedSchema, &r, depth: 0)
            try r.expectEnd()
            return SchemaAndValue(schema: fixedSchema, value: v)
        }
        // The envelope: exactly the members "schema" and "payload", in either order. The payload is
        // decoded in place when the schema came first (the usual order), otherwise after a second pass.
        var schemaSeen = false
        var schema: Schema? = nil
        var payload: Value? = nil
        var payloadStart: Int? = nil
        var members = 0
        var envelopeOK = r.peek() == 0x7B
        if envelopeOK {
            r.pos += 1
            if !r.consume(0x7D) {
                repeat {
                    let key: Member
                    if let k = try r.readKeyBytes() { key = Member(k) } else { key = Member(try r.readString()) }
                    try r.expect(0x3A, "':'")
                    r.skipWhitespace()
                    members += 1
                    switch key {
                    case .schema:
                        schema = try resolveSchema(&r)
                        schemaSeen = true
                    case .payload:
                        if schemaSeen, envelopeOK {
                            payload = try decodePayload(schema, &r)
                        } else {
                            payloadStart = r.pos
                            try r.skipValue()
                        }
                    case .other:
                        envelopeOK = false
                        try r.skipValue()
                    }
                } while r.consume(0x2C)
                try r.expect(0x7D, "',' or '}'")
            }
        } else {
            try r.skipValue()
        }
        try r.expectEnd()
        guard envelopeOK, members == 2, schemaSeen, payload != nil || payloadStart != nil else {
            throw DataError(
                "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.")
        }
        if let payload { return SchemaAndValue(schema: schema, value: payload) }
        r.pos = payloadStart!
        return SchemaAndValue(schema: schema, value: try decodePayload(schema, &r))
    }

    private enum Member {
        case schema, payload, other
        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            if utf8Equals("schema", bytes) { self = .schema } else if utf8Equals("payload", bytes) { self = .payload } else { self = .other }
        }
        init(_ s: String) { self = s == "schema" ? .schema : (s == "payload" ? .payload : .other) }
    }

    private func decodePayload(_ schema: Schema?, _ r: inout JSONReader) throws(DataError) -> Value {
        if let schema { return try readValue(schema, &r, depth: 0) }
        return try readSchemalessInterning(&r)
    }

    /// Reads the schema member at the reader's position. The exact bytes of the last schema seen
    /// are compared first (one comparison for the common case of a stream with one schema), then the
    /// LRU cache keyed by bytes; only new schemas are parsed.
    private func resolveSchema(_ r: inout JSONReader) throws(DataError) -> Schema? {
        let start = r.pos
        nonisolated(unsafe) let remaining = UnsafeBufferPointer(start: r.base + start, count: r.count - start)
        if let hit = schemaCache.withLock({ $0.matchLast(remaining) }) {
            r.pos += hit.length
            return hit.schema
        }
        try r.skipValue()
        nonisolated(unsafe) let bytes = UnsafeBufferPointer(start: r.base + start, count: r.pos - start)
        if let hit = schemaCache.withLock({ $0.lookup(bytes) }) { return hit }
        var sub = JSONReader(bytes)
        let tree: JSONValue
        do {
            tree = try sub.readValue()
        } catch {
            throw DataError(error.message, byteOffset: (error.byteOffset ?? 0) + start)
        }
        let owned = Array(bytes)
        let schema = try parseSchema(tree)
        schemaCache.withLock { $0.insert(owned, schema) }
        return schema
    }

    /// Builds a schema from its JSON form, as Kafka's `asConnectSchema` (same rules, same messages).
    public func parseSchema(_ json: JSONValue) throws(DataError) -> Schema? {
        if json.isNull { return nil }
        guard case .object = json else { throw DataError("Schema must contain 'type' field") }
        guard let typeName = json["type"]?.stringValue else { throw DataError("Schema must contain 'type' field") }
        var b: SchemaBuilder
        switch typeName {
        case "boolean": b = .bool()
        case "int8": b = .int8()
        case "int16": b = .int16()
        case "int32": b = .int32()
        case "int64": b = .int64()
        case "float": b = .float32()
        case "double": b = .float64()
        case "bytes": b = .bytes()
        case "string": b = .string()
        case "array":
            guard let items = json["items"], !items.isNull else { throw DataError("Array schema did not specify the element type") }
            guard let element = try parseSchema(items) else { throw DataError("Array schema did not specify the element type") }
            b = .array(element)
        case "map":
            guard let keys = json["keys"] else { throw DataError("Map schema did not specify the key type") }
            guard let values = json["values"] else { throw DataError("Map schema did not specify the value type") }
            guard let k = try parseSchema(keys), let v = try parseSchema(values) else {
                throw DataError("Map schema did not specify the key and value types")
            }
            b = .map(k, v)
        case "struct":
            b = .struct()
            guard case .array(let fields)? = json["fields"] else { throw DataError("Struct schema's \"fields\" argument is not an array.") }
            for f in fields {
                guard let fname = f["field"]?.stringValue else { throw DataError("Struct schema's field name not specified properly") }
                guard let fs = try parseSchema(f) else { throw DataError("Struct schema's field name not specified properly") }
                b = b.field(fname, fs)
            }
        default:
            throw DataError("Unknown schema type: \(typeName)")
        }
        if case .bool(true)? = json["optional"] { b = b.optional() }
        if let name = json["name"]?.stringValue { b = b.name(name) }
        if case .number(let text)? = json["version"], let v = Int64(text) ?? BigInt(text)?.int64Value {
            b = b.version(Int32(truncatingIfNeeded: v))
        }
        if let doc = json["doc"]?.stringValue { b = b.doc(doc) }
        if case .object(let params)? = json["parameters"] {
            for (k, v) in params {
                guard let s = v.stringValue else { throw DataError("Schema parameters must have string values.") }
                b = b.parameter(k, s)
            }
        }
        let withoutDefault = try b.build()
        guard let defaultNode = json["default"] else { return withoutDefault }
        var w = JSONWriter()
        w.write(defaultNode)
        let d = try w.bytes.withUnsafeBufferPointer { (buf) throws(DataError) -> Value in
            var r = JSONReader(buf)
            return try readValue(withoutDefault, &r, depth: 0)
        }
        if d.isNull { return withoutDefault }
        return try b.defaultValue(d).build()
    }

    private func nodeType(_ r: inout JSONReader) -> String {
        switch r.peek() {
        case 0x7B?: "OBJECT"
        case 0x5B?: "ARRAY"
        case 0x22?: "STRING"
        case 0x74?, 0x66?: "BOOLEAN"
        case 0x6E?: "NULL"
        case nil: "MISSING"
        default: "NUMBER"
        }
    }

    private func mismatch(_ r: inout JSONReader, _ expected: SchemaType) -> DataError {
        let found = nodeType(&r)
        return r.error("Invalid JSON for a \(expected) schema: expected \(expectedNode(expected)) but found \(found)")
    }

    private func expectedNode(_ t: SchemaType) -> String {
        switch t {
        case .int8, .int16, .int32, .int64: "an integer"
        case .float32, .float64: "a number"
        case .boolean: "true or false"
        case .string: "a string"
        case .bytes: "a Base64 string"
        case .array: "an array"
        case .map: "an object or an array of pairs"
        case .struct: "an object"
        }
    }

    private func readInteger(_ r: inout JSONReader, _ t: SchemaType, _ lo: Int64, _ hi: Int64) throws(DataError) -> Int64 {
        let at = r.pos
        guard let c = r.peek(), c == 0x2D || (c >= 0x30 && c <= 0x39) else { throw mismatch(&r, t) }
        let tok = try r.readNumber()
        guard tok.isIntegral else { throw r.error("Invalid JSON for a \(t) schema: \(r.text(tok)) is not an integer", at: at) }
        guard let v = r.int64(tok), v >= lo, v <= hi else {
            throw r.error("Invalid JSON for a \(t) schema: \(r.text(tok)) is out of range", at: at)
        }
        return v
    }

    private func readFloating(_ r: inout JSONReader, _ t: SchemaType) throws(DataError) -> Double? {
        guard let c = r.peek() else { throw mismatch(&r, t) }
        if c == 0x22 {
            let at = r.pos
            switch try r.readString() {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default: throw r.error("Invalid JSON for a \(t) schema: expected a number but found STRING", at: at)
            }
        }
        guard c == 0x2D || (c >= 0x30 && c <= 0x39) else { throw mismatch(&r, t) }
        return nil
    }

    private func readValue(_ schema: Schema, _ r: inout JSONReader, depth: Int) throws(DataError) -> Value {
        guard depth < 1000 else { throw r.error("JSON nested too deeply") }
        guard let c = r.peek() else { throw r.unexpected("a value") }
        if c == 0x6E {
            try r.expectLiteral("null")
            return try nullValue(schema, &r)
        }
        if schema.name != nil, let logical = schema.logicalType {
            return try readLogical(logical, schema, &r)
        }
        switch schema.type {
        case .boolean:
            if c == 0x74 { try r.expectLiteral("true"); return .boolean(true) }
            if c == 0x66 { try r.expectLiteral("false"); return .boolean(false) }
            throw mismatch(&r, .boolean)
        case .int8: return .int8(Int8(try readInteger(&r, .int8, Int64(Int8.min), Int64(Int8.max))))
        case .int16: return .int16(Int16(try readInteger(&r, .int16, Int64(Int16.min), Int64(Int16.max))))
        case .int32: return .int32(Int32(try readInteger(&r, .int32, Int64(Int32.min), Int64(Int32.max))))
        case .int64: return .int64(try readInteger(&r, .int64, Int64.min, Int64.max))
        case .float32:
            if let special = try readFloating(&r, .float32) { return .float32(Float(special)) }
            return .float32(r.float(try r.readNumber()))
        case .float64:
            if let special = try readFloating(&r, .float64) { return .float64(special) }
            return .float64(r.double(try r.readNumber()))
        case .string:
            guard c == 0x22 else { throw mismatch(&r, .string) }
            return .string(try r.readString())
        case .bytes:
            guard c == 0x22 else { throw mismatch(&r, .bytes) }
            let at = r.pos
            guard let data = try readBase64(&r) else { throw r.error("Invalid bytes field: not Base64", at: at) }
            return .bytes(data)
        case .array:
            guard c == 0x5B else { throw mismatch(&r, .array) }
            r.pos += 1
            var items: [Value] = []
            if r.consume(0x5D) { return .array(items) }
            items.reserveCapacity(4)
            let element = schema.valueSchema!
            repeat { items.append(try readValue(element, &r, depth: depth + 1)) } while r.consume(0x2C)
            try r.expect(0x5D, "',' or ']'")
            return .array(items)
        case .map:
            return try readMap(schema, &r, depth: depth)
        case .struct:
            guard c == 0x7B else {
                throw r.error("Structs should be encoded as JSON objects, but found \(nodeType(&r))")
            }
            return .struct(try readStruct(schema, &r, depth: depth))
        }
    }

    /// The common field values as Kafka writes them (a plain integer, an ASCII string without
    /// escapes, a boolean, a Base64 decimal of up to 8 bytes), read without the general path;
    /// nil, having consumed nothing, for anything else.
    @inline(__always)
    private func readPlainField(_ kind: Schema.Kind, _ schema: Unmanaged<Schema>, _ r: inout JSONReader) -> Value? {
        guard r.pos < r.count else { return nil }
        switch kind {
        case .int64: return r.plainInteger().map { .int64($0) }
        case .timestamp: return r.plainInteger().map { .timestamp($0) }
        case .int32:
            let at = r.pos
            guard let v = r.plainInteger() else { return nil }
            guard let i = Int32(exactly: v) else { r.pos = at; return nil }
            return .int32(i)
        case .string:
            guard let raw = r.plainASCIIString() else { return nil }
            return .string(String(decoding: raw, as: UTF8.self))
        case .boolean:
            let c = r.base[r.pos]
            if c == 0x74, r.count - r.pos >= 5, r.base[r.pos + 1] == 0x72, r.base[r.pos + 2] == 0x75, r.base[r.pos + 3] == 0x65,
                JSONReader.isDelimiter(r.base[r.pos + 4])
            {
                r.pos += 4
                return .boolean(true)
            }
            if c == 0x66, r.count - r.pos >= 6, r.base[r.pos + 1] == 0x61, r.base[r.pos + 2] == 0x6C, r.base[r.pos + 3] == 0x73,
                r.base[r.pos + 4] == 0x65, JSONReader.isDelimiter(r.base[r.pos + 5])
            {
                r.pos += 5
                return .boolean(false)
            }
            return nil
        case .decimal:
            let at = r.pos
            guard let raw = r.plainASCIIString(), let unscaled = Base64.decodeInt64(raw) else {
                r.pos = at
                return nil
            }
            return .decimal(BigDecimal(unscaled: BigInt(unscaled), scale: schema._withUnsafeGuaranteedRef { $0.decimalScale }))
        default: return nil
        }
    }

    private func readBase64(_ r: inout JSONReader) throws(DataError) -> [UInt8]? {
        if let raw = try r.readRawString() { return Base64.decode(raw) }
        return Base64.decode(Array(try r.readString().utf8))
    }

    private func nullValue(_ schema: Schema, _ r: inout JSONReader) throws(DataError) -> Value {
        if let d = schema.defaultValue, replaceNullWithDefault { return d }
        if schema.isOptional { return .null }
        throw r.error("Invalid null value for required \(schema.type) field")
    }

    private func readLogical(_ logical: LogicalType, _ schema: Schema, _ r: inout JSONReader) throws(DataError) -> Value {
        let at = r.pos
        let c = r.peek()!
        let isNumber = c == 0x2D || (c >= 0x30 && c <= 0x39)
        switch logical {
        case .decimal(let scale):
            if isNumber {
                let tok = try r.readNumber()
                guard let d = BigDecimal.parse(Array(r.text(tok).utf8)) else { throw r.error("Invalid number for Decimal field", at: at) }
                return .decimal(d)
            }
            if c == 0x22 {
                guard let data = try readBase64(&r) else {
                    throw r.error("Invalid bytes for Decimal field", at: at)
                }
                return .decimal(BigDecimal(unscaled: BigInt(twosComplement: data), scale: scale))
            }
            throw r.error("Invalid type for Decimal, underlying representation should be numeric or bytes but was \(nodeType(&r))")
        case .date, .time:
            let name = logical == .date ? "Date" : "Time"
            guard isNumber else { throw r.error("Invalid type for \(name), underlying representation should be integer but was \(nodeType(&r))") }
            let tok = try r.readNumber()
            guard tok.isIntegral, let v = r.int64(tok), let i = Int32(exactly: v) else {
                throw r.error("Invalid type for \(name), underlying representation should be integer but was NUMBER", at: at)
            }
            if logical == .date { return .date(i) }
            guard i >= 0, i < 86_400_000 else {
                throw r.error("Time values must use number of milliseconds greater than 0 and less than 86400000", at: at)
            }
            return .time(i)
        case .timestamp:
            guard isNumber else { throw r.error("Invalid type for Timestamp, underlying representation should be integral but was \(nodeType(&r))") }
            let tok = try r.readNumber()
            guard tok.isIntegral, let v = r.int64(tok) else {
                throw r.error("Invalid type for Timestamp, underlying representation should be integral but was NUMBER", at: at)
            }
            return .timestamp(v)
        }
    }

    private func readMap(_ schema: Schema, _ r: inout JSONReader, depth: Int) throws(DataError) -> Value {
        let keySchema = schema.keySchema!, valueSchema = schema.valueSchema!
        var m = MapValue()
        if keySchema.type == .string {
            guard r.peek() == 0x7B else {
                throw r.error("Maps with string fields should be encoded as JSON objects, but found \(nodeType(&r))")
            }
            r.pos += 1
            if r.consume(0x7D) { return .map(m) }
            repeat {
                let k = try r.readString()
                try r.expect(0x3A, "':'")
                m.put(.string(k), try readValue(valueSchema, &r, depth: depth + 1))
            } while r.consume(0x2C)
            try r.expect(0x7D, "',' or '}'")
            return .map(m)
        }
        guard r.peek() == 0x5B else {
            throw r.error("Maps with non-string fields should be encoded as JSON array of tuples, but found \(nodeType(&r))")
        }
        r.pos += 1
        if r.consume(0x5D) { return .map(m) }
        repeat {
            guard r.peek() == 0x5B else { throw r.error("Found invalid map entry instead of array tuple: \(nodeType(&r))") }
            let at = r.pos
            r.pos += 1
            if r.consume(0x5D) { throw r.error("Found invalid map entry, expected length 2 but found :0", at: at) }
            let k = try readValue(keySchema, &r, depth: depth + 1)
            guard r.consume(0x2C) else {
                if r.peek() == 0x5D { throw r.error("Found invalid map entry, expected length 2 but found :1", at: at) }
                throw r.unexpected("','")
            }
            let v = try readValue(valueSchema, &r, depth: depth + 1)
            guard r.consume(0x5D) else {
                throw r.error("Found invalid map entry, expected length 2 but found more", at: at)
            }
            m.put(k, v)
        } while r.consume(0x2C)
        try r.expect(0x5D, "',' or ']'")
        return .map(m)
    }

    private func readStruct(_ schema: Schema, _ r: inout JSONReader, depth: Int) throws(DataError) -> Struct {
        let fields = schema.fields
        var values = [Value](repeating: .null, count: fields.count)
        // Which fields were present: a bit mask (no allocation) up to 64 fields.
        var seenMask: UInt64 = 0
        var seenMore = fields.count > 64 ? [Bool](repeating: false, count: fields.count) : []
        let keys = schema.jsonFieldKeys
        let kinds = schema.fieldKinds
        let children = schema.unretainedFieldSchemas
        r.pos += 1
        if !r.consume(0x7D) {
            var expected = 0
            repeat {
                var index: Int? = nil
                r.skipWhitespace()
                // The common case: the next member is the expected field, written as Kafka writes
                // it (`"name":`, no whitespace): one comparison of its bytes.
                if expected < fields.count, r.consumePrefix(keys[expected]) {
                    index = expected
                } else {
                    if let keyBytes = try r.readKeyBytes() {
                        if expected < fields.count, utf8Equals(fields[expected].name, keyBytes) {
                            index = expected
                        } else {
                            index = fields.firstIndex { utf8Equals($0.name, keyBytes) }
                        }
                    } else {
                        let key = try r.readString()
                        index = schema.fieldPosition(key)
                    }
                    try r.expect(0x3A, "':'")
                }
                if let i = index {
                    if let v = readPlainField(kinds[i], children[i], &r) {
                        values[i] = v
                    } else {
                        do {
                            values[i] = try readValue(children[i].takeUnretainedValue(), &r, depth: depth + 1)
                        } catch {
                            throw DataError("\(error.message) (field \"\(fields[i].name)\")", cause: error.cause, byteOffset: error.byteOffset)
                        }
                    }
                    if i < 64 { seenMask |= 1 << UInt64(i) } else { seenMore[i] = true }
                    expected = i + 1
                } else {
                    try r.skipValue()
                }
            } while r.consume(0x2C)
            try r.expect(0x7D, "',' or '}'")
        }
        // Every field present (the usual case): nothing to fill in.
        if fields.count <= 64 && seenMask == (fields.count == 64 ? .max : (1 << UInt64(fields.count)) - 1) {
            return Struct(unchecked: schema, values: values)
        }
        for i in 0..<fields.count where i < 64 ? (seenMask & (1 << UInt64(i))) == 0 : !seenMore[i] {
            let f = fields[i].schema
            if let d = f.defaultValue, replaceNullWithDefault {
                values[i] = d
            } else if !f.isOptional {
                throw r.error("Invalid null value for required \(f.type) field (field \"\(fields[i].name)\")")
            }
        }
        return Struct(unchecked: schema, values: values)
    }

    /// Jackson keeps the last of duplicate object members (in the first one's position).
    /// Only called when the cheap key signature saw a possible duplicate.
    static func lastWins(_ entries: [MapEntry]) -> [MapEntry] {
        var position: [Value: Int] = [:]
        var out: [MapEntry] = []
        out.reserveCapacity(entries.count)
        for e in entries {
            if let p = position[e.key] { out[p].value = e.value } else { position[e.key] = out.count; out.append(e) }
        }
        return out
    }

    /// A 6-bit signature of a key's bytes; keys with different signatures differ.
    @inline(__always)
    private static func keySignature(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt8 {
        var h: UInt32 = 2_166_136_261 ^ UInt32(truncatingIfNeeded: bytes.count)
        for b in bytes.prefix(12) { h = (h ^ UInt32(b)) &* 16_777_619 }
        if bytes.count > 12 { h = (h ^ UInt32(bytes[bytes.count - 1])) &* 16_777_619 }
        return UInt8(truncatingIfNeeded: (h >> 7) ^ h) & 63
    }

    /// A schemaless value, with this converter's key interner when no other thread is using it.
    private func readSchemalessInterning(_ r: inout JSONReader) throws(DataError) -> Value {
        let reader = r
        let read = try keyInterner.withLockIfAvailable { (keys) throws(DataError) -> (Value, Int) in
            var r = reader
            let v = try readSchemaless(&r, depth: 0, &keys)
            return (v, r.pos)
        }
        if let (v, end) = read {
            r.pos = end
            return v
        }
        var keys = KeyInterner(enabled: false)
        return try readSchemaless(&r, depth: 0, &keys)
    }

    private func readSchemaless(_ r: inout JSONReader, depth: Int, _ keys: inout KeyInterner) throws(DataError) -> Value {
        guard depth < 1000 else { throw r.error("JSON nested too deeply") }
        guard let c = r.peek() else { throw r.unexpected("a value") }
        switch c {
        case 0x7B:
            r.pos += 1
            var entries: [MapEntry] = []
            if r.consume(0x7D) { return .map(MapValue(entries: entries)) }
            entries.reserveCapacity(16)
            // Duplicate keys: Jackson keeps the last value in the first position. Signatures of the
            // first 16 keys let each new key be compared only with keys that might be equal.
            var signatures: (UInt64, UInt64) = (0, 0)
            var seen: UInt64 = 0
            var overflow = false
            repeat {
                let k: String
                let signature: UInt8
                if let raw = try r.readKeyBytes() {
                    if let interned = keys.key(raw) { k = interned } else { k = try r.string(raw) }
                    signature = JSONConverter.keySignature(raw)
                } else {
                    k = try r.readString()
                    var copy = k
                    signature = copy.withUTF8 { JSONConverter.keySignature($0) }
                }
                try r.expect(0x3A, "':'")
                let value = try readSchemaless(&r, depth: depth + 1, &keys)
                let bit: UInt64 = 1 << UInt64(signature)
                let index = entries.count
                var replaced = false
                if seen & bit != 0 {
                    if index > 16 {
                        overflow = true
                    } else {
                        withUnsafeBytes(of: &signatures) { sig in
                            for j in 0..<index where sig[j] == signature && entries[j].key == .string(k) {
                                entries[j].value = value
                                replaced = true
                                break
                            }
                        }
                    }
                }
                seen |= bit
                if !replaced {
                    if index < 16 { withUnsafeMutableBytes(of: &signatures) { $0[index] = signature } }
                    entries.append(MapEntry(key: .string(k), value: value))
                }
            } while r.consume(0x2C)
            try r.expect(0x7D, "',' or '}'")
            return .map(MapValue(entries: overflow ? JSONConverter.lastWins(entries) : entries))
        case 0x5B:
            r.pos += 1
            var items: [Value] = []
            if r.consume(0x5D) { return .array(items) }
            items.reserveCapacity(4)
            repeat { items.append(try readSchemaless(&r, depth: depth + 1, &keys)) } while r.consume(0x2C)
            try r.expect(0x5D, "',' or ']'")
            return .array(items)
        case 0x22:
            if let raw = r.plainASCIIString() { return .string(String(decoding: raw, as: UTF8.self)) }
            return .string(try r.readString())
        case 0x74: try r.expectLiteral("true"); return .boolean(true)
        case 0x66: try r.expectLiteral("false"); return .boolean(false)
        case 0x6E: try r.expectLiteral("null"); return .null
        default:
            if let v = r.plainInteger() { return .int64(v) }
            let at = r.pos
            let tok = try r.readNumber()
            if tok.isIntegral {
                guard let v = r.int64(tok) else { throw r.error("Integer \(r.text(tok)) does not fit in int64", at: at) }
                return .int64(v)
            }
            return .float64(r.double(tok))
        }
    }
}

@inline(__always)
private func utf8Equals(_ s: String, _ buf: UnsafeBufferPointer<UInt8>) -> Bool {
    let utf8 = s.utf8
    guard utf8.count == buf.count else { return false }
    if let r = utf8.withContiguousStorageIfAvailable({ a in
        buf.count == 0 || memcmpBytes(a.baseAddress!, buf.baseAddress!, buf.count)
    }) {
        return r
    }
    return utf8.elementsEqual(buf)
}

@inline(__always)
private func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    memcmp(a, b, n) == 0  // libc's vectorized compare: a schema is hundreds of bytes
}

/// The exact bytes of a JSON schema, as a cache key that can borrow the input (no copy on lookup).
struct SchemaBytesKey: Hashable, @unchecked Sendable {
    private let storage: [UInt8]?
    private let borrowed: UnsafeBufferPointer<UInt8>?
    private let hashValue_: Int

    init(borrowing bytes: UnsafeBufferPointer<UInt8>) {
        storage = nil
        borrowed = bytes
        hashValue_ = SchemaBytesKey.hash(bytes)
    }

    init(owning bytes: UnsafeBufferPointer<UInt8>) {
        storage = Array(bytes)
        borrowed = nil
        hashValue_ = SchemaBytesKey.hash(bytes)
    }

    private static func hash(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        var h = Hasher()
        h.combine(bytes: UnsafeRawBufferPointer(b))
        return h.finalize()
    }

    private func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        if let storage { return storage.withUnsafeBufferPointer(body) }
        return body(borrowed!)
    }

    static func == (a: SchemaBytesKey, b: SchemaBytesKey) -> Bool {
        guard a.hashValue_ == b.hashValue_ else { return false }
        return a.withBytes { x in b.withBytes { y in x.count == y.count && (x.count == 0 || memcmpBytes(x.baseAddress!, y.baseAddress!, x.count)) } }
    }

    func hash(into hasher: inout Hasher) { hasher.combine(hashValue_) }
}

/// Parsed schemas by their exact JSON bytes, with a fast path for the most recent one.
struct SchemaDecodeCache: Sendable {
    private var lru: LRUCache<SchemaBytesKey, Schema?>
    private var lastBytes: [UInt8] = []
    private var lastSchema: Schema? = nil

    init(capacity: Int) { lru = LRUCache(capacity: capacity) }

    /// If `input` starts with the bytes of the last schema, that schema and its length.
    func matchLast(_ input: UnsafeBufferPointer<UInt8>) -> (schema: Schema?, length: Int)? {
        let n = lastBytes.count
        guard n > 0, input.count >= n else { return nil }
        let same = lastBytes.withUnsafeBufferPointer { memcmpBytes($0.baseAddress!, input.baseAddress!, n) }
        return same ? (lastSchema, n) : nil
    }

    mutating func lookup(_ bytes: UnsafeBufferPointer<UInt8>) -> Schema?? {
        guard let hit = lru[SchemaBytesKey(borrowing: bytes)] else { return nil }
        remember(Array(bytes), hit)
        return .some(hit)
    }

    mutating func insert(_ bytes: [UInt8], _ schema: Schema?) {
        bytes.withUnsafeBufferPointer { lru[SchemaBytesKey(owning: $0)] = .some(schema) }
        remember(bytes, schema)
    }

    private mutating func remember(_ bytes: [UInt8], _ schema: Schema?) {
        guard lru.capacity > 0 else { return }
        lastBytes = bytes
        lastSchema = schema
    }
}

/// Object keys seen recently, so that schemaless reading gives every record the same `String` for
/// a key (copying it) instead of creating it from bytes again. ASCII keys of up to 16 bytes; a
/// slot holds the last key whose bytes hashed to it, with those bytes as two words to compare.
struct KeyInterner {
    private struct Slot {
        var words: (UInt64, UInt64)
        var length: Int
        var key: String
    }
    private var slots: [Slot] = []
    private let enabled: Bool

    init(enabled: Bool = true) { self.enabled = enabled }

    /// The key for these bytes, or nil when the caller should create (and validate) it.
    mutating func key(_ raw: UnsafeBufferPointer<UInt8>) -> String? {
        let n = raw.count
        guard enabled, n > 0, n <= 16 else { return nil }
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(raw)) }
        let mixed = (words.0 ^ (words.1 &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(n)) &* 0x9E37_79B9_7F4A_7C15
        let slot = Int(truncatingIfNeeded: mixed >> 57)  // 0 ..< 128
        if slots.isEmpty { slots = Array(repeating: Slot(words: (0, 0), length: 0, key: ""), count: 128) }
        return slots.withUnsafeMutableBufferPointer { slots -> String? in
            let s = slots[slot]
            if s.length == n, s.words == words { return s.key }
            guard words.0 & 0x8080_8080_8080_8080 == 0, words.1 & 0x8080_8080_8080_8080 == 0 else { return nil }
            let key = String(decoding: raw, as: UTF8.self)
            slots[slot] = Slot(words: words, length: n, key: key)
            return key
        }
    }
}
