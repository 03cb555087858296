public import ConnectKit
import Synchronization

/// Confluent's `AvroDataConfig` keys (also read by ``AvroConverter`` from `*.converter.*`).
public struct AvroDataConfig: Sendable, Hashable {
    /// `enhanced.avro.schema.support` (default `false`): keep Avro enum symbols and full names
    /// (namespaces) through Connect schemas.
    public var enhancedSchemaSupport = false
    /// `connect.meta.data` (default `true`): write `connect.*` properties into Avro schemas and read
    /// documentation and parameters back.
    public var connectMetaData = true
    /// `scrub.invalid.names` (default `false`): replace characters Avro names may not hold.
    public var scrubInvalidNames = false
    /// `allow.optional.map.keys` (default `false`): an optional string key still maps to an Avro map.
    public var allowOptionalMapKeys = false
    /// `discard.type.doc.default` (default `false`, deprecated in Confluent): keep only field docs
    /// and defaults.
    public var discardTypeDocDefault = false
    /// `schemas.cache.config` (default 1000; Confluent's key name): converted schemas cached.
    public var schemasCacheSize = 1000

    /// The defaults.
    public init() {}

    /// The keys `AvroDataConfig.baseConfigDef()` defines.
    public static let configDef = ConfigDef()
        .define("enhanced.avro.schema.support", .boolean, default: false, importance: .medium,
                documentation: "Toggle for enabling/disabling enhanced avro schema support: Enum symbol preservation and Package Name awareness")
        .define("scrub.invalid.names", .boolean, default: false, importance: .medium,
                documentation: "Whether to scrub invalid names by replacing invalid characters with valid ones")
        .define("connect.meta.data", .boolean, default: true, importance: .low,
                documentation: "Toggle for enabling/disabling connect converter to add its meta data to the output schema or not")
        .define("schemas.cache.config", .int, default: 1000, importance: .low, documentation: "Size of the converted schemas cache")
        .define("discard.type.doc.default", .boolean, default: false, importance: .low,
                documentation: "Only Avro field doc and default will be retained during conversion of Avro and Connect schema.")
        .define("allow.optional.map.keys", .boolean, default: false, importance: .low,
                documentation: "Allow optional string map key when converting from Connect Schema to Avro Schema.")

    /// Reads the keys from a parsed configuration.
    init(_ c: ParsedConfig) {
        enhancedSchemaSupport = c.bool("enhanced.avro.schema.support") ?? false
        scrubInvalidNames = c.bool("scrub.invalid.names") ?? false
        connectMetaData = c.bool("connect.meta.data") ?? true
        schemasCacheSize = max(1, Int(c.int("schemas.cache.config") ?? 1000))
        discardTypeDocDefault = c.bool("discard.type.doc.default") ?? false
        allowOptionalMapKeys = c.bool("allow.optional.map.keys") ?? false
    }
}

/// Connect schemas and values ↔ Avro, exactly as Confluent's `io.confluent.connect.avro.AvroData`
/// (7.0): the Avro schema it makes for a Connect schema (the same JSON text, property for
/// property), the Connect schema it reads from an Avro schema, and the values both ways, in Avro's
/// binary encoding.
///
/// | Connect | Avro |
/// | --- | --- |
/// | `int8`, `int16` | `int` with `"connect.type":"int8"`/`"int16"` |
/// | `int32`, `int64`, `float32`, `float64`, `boolean`, `string`, `bytes` | `int`, `long`, `float`, `double`, `boolean`, `string`, `bytes` |
/// | `Decimal` | `bytes` with `scale`, `precision` (`connect.decimal.precision`, else 64), `logicalType: decimal` |
/// | `Date`, `Time`, `Timestamp` | `int` `date`, `int` `time-millis`, `long` `timestamp-millis` |
/// | optional `T` | `["null", T]` (`[T, "null"]` when it has a default) |
/// | `struct` | `record` named by the schema name (else `io.confluent.connect.avro.ConnectDefault`, `…2`, …) |
/// | `array` | `array` |
/// | `map` with required `string` keys | `map` |
/// | other `map` | `array` of `io.confluent.connect.avro.MapEntry` records `{key, value}` |
/// | struct `io.confluent.connect.avro.Union` | `union` of its fields' types |
/// | `string` with `io.confluent.connect.avro.Enum` parameters (enhanced support) | `enum` |
/// | `bytes` with `connect.fixed.size` | `fixed` |
/// | no schema | the record `io.confluent.connect.avro.Anything` |
///
/// Name, version, doc, parameters and default of each Connect schema travel as `connect.name`,
/// `connect.version`, `connect.doc`, `connect.parameters` and `connect.default` (unless
/// `connect.meta.data=false`); parameters starting with `avro` are also written as Avro properties.
/// String-keyed maps are written in the order Java's `HashMap` iterates their keys, so the bytes equal
/// Confluent's.
public final class AvroData: Sendable {
    /// The configuration.
    public let config: AvroDataConfig
    private let fromConnectCache: Mutex<LRUCache<SchemaKey, AvroTypeNode>>
    private let toConnectCache: Mutex<LRUCache<String, SchemaBox>>

    /// A mapper with `config`.
    public init(config: AvroDataConfig = AvroDataConfig()) {
        self.config = config
        fromConnectCache = Mutex(LRUCache(capacity: config.schemasCacheSize))
        toConnectCache = Mutex(LRUCache(capacity: config.schemasCacheSize))
    }

    static let namespace = "io.confluent.connect.avro"
    static let defaultSchemaName = "ConnectDefault"
    static let defaultSchemaFullName = "io.confluent.connect.avro.ConnectDefault"
    static let mapEntryTypeName = "MapEntry"
    static let unionName = "io.confluent.connect.avro.Union"
    static let enumName = "io.confluent.connect.avro.Enum"
    static let recordDocProp = "io.confluent.connect.avro.record.doc"
    static let enumDocPrefix = "io.confluent.connect.avro.enum.doc."
    static let fieldDocPrefix = "io.confluent.connect.avro.field.doc."
    static let fieldDefaultFlag = "io.confluent.connect.avro.field.default"
    static let enumDefaultPrefix = "io.confluent.connect.avro.enum.default."
    static let fixedSizeProp = "connect.fixed.size"
    static let decimalPrecisionProp = "connect.decimal.precision"
    static let anythingSchemaJSON = #"{"type":"record","name":"Anything","namespace":"io.confluent.connect.avro","fields":[{"name":"boolean","type":["null","boolean"],"default":null},{"name":"bytes","type":["null","bytes"],"default":null},{"name":"double","type":["null","double"],"default":null},{"name":"float","type":["null","float"],"default":null},{"name":"int","type":["null","int"],"default":null},{"name":"long","type":["null","long"],"default":null},{"name":"string","type":["null","string"],"default":null},{"name":"array","type":["null",{"type":"array","items":"Anything"}],"default":null},{"name":"map","type":["null",{"type":"array","items":{"type":"record","name":"MapEntry","fields":[{"name":"key","type":"Anything"},{"name":"value","type":"Anything"}]}}],"default":null}]}"#

    /// Identity-or-equality key for the schema cache (Connect schemas hash once).
    struct SchemaKey: Hashable { let schema: Schema }
    final class SchemaBox: Sendable {
        let schema: Schema?
        init(_ schema: Schema?) { self.schema = schema }
    }

    // MARK: Connect → Avro schema

    /// The Avro schema Confluent's `AvroData.fromConnectSchema` makes for `schema` (`nil`: the
    /// schemaless `Anything` record). Cached per schema.
    ///
    /// - Throws: `DataError` for a Connect schema Avro cannot express (Confluent's messages).
    public func fromConnectSchema(_ schema: Schema?) throws(DataError) -> AvroTypeNode {
        guard let schema else {
            do { return try AvroTypeNode.parse(JSONValue.parse(Self.anythingSchemaJSON)) } catch { throw DataError("\(error)") }
        }
        if let cached = fromConnectCache.withLock({ $0[SchemaKey(schema: schema)] }) { return cached }
        let context = FromConnectContext()
        let node = try fromConnectSchema(schema, context, ignoreOptional: false)
        fromConnectCache.withLock { $0[SchemaKey(schema: schema)] = node }
        return node
    }

    final class FromConnectContext {
        var schemaMap: [Schema: AvroTypeNode] = [:]
        var cycleReferences: [String: AvroTypeNode] = [:]
        var nameIndex = 0
    }

    func nameOrDefault(_ context: FromConnectContext, _ name: String?) -> (namespace: String?, name: String) {
        if let name {
            let (ns, short) = splitName(name)
            return (ns, short ?? "")
        }
        context.nameIndex += 1
        return (Self.namespace, Self.defaultSchemaName + (context.nameIndex > 1 ? String(context.nameIndex) : ""))
    }

    func fromConnectSchema(_ schema: Schema, _ ctx: FromConnectContext, ignoreOptional: Bool) throws(DataError) -> AvroTypeNode {
        if schema.name != Self.unionName, !schema.isOptional, let cached = ctx.schemaMap[schema] { return cached }
        var connectType: String? = nil
        let params = schema.parameters
        let base: AvroTypeNode
        switch schema.type {
        case .int8:
            connectType = "int8"
            base = .primitive("int")
        case .int16:
            connectType = "int16"
            base = .primitive("int")
        case .int32: base = .primitive("int")
        case .int64: base = .primitive("long")
        case .float32: base = .primitive("float")
        case .float64: base = .primitive("double")
        case .boolean: base = .primitive("boolean")
        case .string:
            if config.enhancedSchemaSupport, let params, let enumName = params[Self.enumName] {
                let symbols = params.pairs.filter { $0.key.hasPrefix(Self.enumName + ".") }.map(\.value)
                let name = nameOrDefault(ctx, schema.name).name
                let (ns, short) = Self.splitPlain(enumName)
                let doc = config.discardTypeDocDefault ? params["connect.enum.doc"] : params[Self.enumDocPrefix + name]
                let def = config.discardTypeDocDefault ? nil : params[Self.enumDefaultPrefix + name]
                base = AvroTypeNode(kind: .enumeration(symbols: symbols, default: def), name: short, namespace: ns, doc: doc)
            } else {
                base = .primitive("string")
            }
        case .bytes:
            if Self.isFixed(schema) {
                let (ns, name) = nameOrDefault(ctx, schema.name)
                guard let size = params?[Self.fixedSizeProp].flatMap({ Int($0) }) else {
                    throw DataError("Invalid \(Self.fixedSizeProp) parameter of \(schema.name ?? "")")
                }
                base = AvroTypeNode(kind: .fixed(size: size), name: name, namespace: ns)
            } else {
                base = .primitive("bytes")
            }
            if schema.name?.lowercased() == LogicalType.decimalName.lowercased() {
                guard let scale = params?["scale"].flatMap({ Int32($0) }) else { throw DataError("Invalid Decimal schema: no scale parameter") }
                base.addProp("scale", .number(String(scale)))
                if let p = params?[Self.decimalPrecisionProp] {
                    guard let precision = Int32(p) else { throw DataError("Invalid \(Self.decimalPrecisionProp): \(p)") }
                    base.addProp("precision", .number(String(precision)))
                } else {
                    base.addProp("precision", .number("64"))
                }
            }
        case .array:
            guard let items = schema.valueSchema else { throw DataError("Array schema without element schema") }
            base = AvroTypeNode(kind: .array(try fromConnectSchemaWithCycle(items, ctx, ignoreOptional: false)))
        case .map:
            guard let key = schema.keySchema, let value = schema.valueSchema else { throw DataError("Map schema without key or value schema") }
            if key.type == .string, !key.isOptional || config.allowOptionalMapKeys {
                base = AvroTypeNode(kind: .map(try fromConnectSchemaWithCycle(value, ctx, ignoreOptional: false)))
            } else {
                let entry: AvroTypeNode
                if schema.name == nil {
                    entry = AvroTypeNode(kind: .record([]), name: Self.mapEntryTypeName, namespace: Self.namespace)
                } else {
                    let (ns, name) = nameOrDefault(ctx, schema.name)
                    entry = AvroTypeNode(kind: .record([]), name: name, namespace: ns, props: [("connect.internal.type", .string(Self.mapEntryTypeName))])
                }
                var fields: [AvroTypeField] = []
                try addRecordField(&fields, "key", key, doc: nil, ctx)
                try addRecordField(&fields, "value", value, doc: nil, ctx)
                entry.kind = .record(fields)
                base = AvroTypeNode(kind: .array(entry))
            }
        case .struct:
            if schema.name == Self.unionName {
                var branches: [AvroTypeNode] = []
                if schema.isOptional { branches.append(.primitive("null")) }
                for f in schema.fields {
                    branches.append(try fromConnectSchemaWithCycle(Self.nonOptional(f.schema), ctx, ignoreOptional: true))
                }
                base = AvroTypeNode(kind: .union(branches))
            } else if schema.isOptional {
                base = AvroTypeNode(kind: .union([.primitive("null"), try fromConnectSchemaWithCycle(Self.nonOptional(schema), ctx, ignoreOptional: false)]))
            } else {
                let (ns, name) = nameOrDefault(ctx, schema.name)
                let doc = params?[config.discardTypeDocDefault ? "connect.record.doc" : Self.recordDocProp]
                let record = AvroTypeNode(kind: .record([]), name: name, namespace: ns, doc: doc)
                if let n = schema.name { ctx.cycleReferences[n] = record }
                var fields: [AvroTypeField] = []
                for f in schema.fields {
                    let fieldDoc = !config.discardTypeDocDefault ? params?[Self.fieldDocPrefix + f.name] : nil
                    try addRecordField(&fields, scrubName(f.name), f.schema, doc: fieldDoc, ctx)
                }
                record.kind = .record(fields)
                base = record
            }
        }

        var final = base
        if case .union = base.kind {} else {
            if config.connectMetaData {
                if let doc = schema.doc { base.addProp("connect.doc", .string(doc)) }
                if let v = schema.version { base.addProp("connect.version", .number(String(v))) }
                if let params {
                    let kept = params.pairs.filter { config.discardTypeDocDefault || $0.key != Self.fieldDefaultFlag }
                    if !kept.isEmpty { base.addProp("connect.parameters", .object(kept.map { ($0.key, .string($0.value)) })) }
                }
                if let d = schema.defaultValue, config.discardTypeDocDefault || params?[Self.fieldDefaultFlag] == nil {
                    base.addProp("connect.default", try defaultValueFromConnect(schema, d, widenFloats: false))
                }
                if let n = schema.name { base.addProp("connect.name", .string(n)) }
                if let connectType { base.addProp("connect.type", .string(connectType)) }
            }
            var forceLegacyDecimal = false
            if let name = schema.name?.lowercased() {
                if name == LogicalType.decimalName.lowercased() {
                    let precision = params?[Self.decimalPrecisionProp].flatMap { Int($0) } ?? 64
                    let scale = params?["scale"].flatMap { Int($0) } ?? 0
                    if scale < 0 || scale > precision {
                        forceLegacyDecimal = true
                    } else {
                        if precision <= 0 { throw DataError("Invalid decimal precision: \(precision) (must be positive)") }
                        if case .fixed(let size) = base.kind, precision > AvroSchema.Parser.maxDecimalPrecision(size) {
                            throw DataError("fixed(\(size)) cannot store \(precision) digits (max \(AvroSchema.Parser.maxDecimalPrecision(size)))")
                        }
                        base.addProp("logicalType", .string("decimal"))
                    }
                } else if name == LogicalType.timeName.lowercased() {
                    base.addProp("logicalType", .string("time-millis"))
                } else if name == LogicalType.timestampName.lowercased() {
                    base.addProp("logicalType", .string("timestamp-millis"))
                } else if name == LogicalType.dateName.lowercased() {
                    base.addProp("logicalType", .string("date"))
                }
                if name == LogicalType.decimalName.lowercased(), params?[Self.decimalPrecisionProp] != nil || forceLegacyDecimal {
                    base.addProp("logicalType", .string("decimal"))
                }
            }
            if let params {
                for (k, v) in params.pairs where k.hasPrefix("avro") { base.addProp(k, .string(v)) }
            }
            if !ignoreOptional { final = maybeMakeOptional(schema, base) }
        }
        if !schema.isOptional { ctx.schemaMap[schema] = final }
        return final
    }

    func fromConnectSchemaWithCycle(_ schema: Schema, _ ctx: FromConnectContext, ignoreOptional: Bool) throws(DataError) -> AvroTypeNode {
        if let name = schema.name, let resolved = ctx.cycleReferences[name] {
            return ignoreOptional ? resolved : maybeMakeOptional(schema, resolved)
        }
        return try fromConnectSchema(schema, ctx, ignoreOptional: ignoreOptional)
    }

    func maybeMakeOptional(_ schema: Schema, _ base: AvroTypeNode) -> AvroTypeNode {
        guard schema.isOptional else { return base }
        return AvroTypeNode(kind: .union(schema.defaultValue != nil ? [base, .primitive("null")] : [.primitive("null"), base]))
    }

    func addRecordField(_ fields: inout [AvroTypeField], _ name: String, _ schema: Schema, doc: String?, _ ctx: FromConnectContext) throws(DataError) {
        var def: JSONValue? = nil
        if let d = schema.defaultValue {
            def = try defaultValueFromConnect(schema, d, widenFloats: true)
        } else if schema.isOptional {
            def = .null
        }
        let type = try fromConnectSchema(schema, ctx, ignoreOptional: false)
        if let d = def, !Self.isValidDefault(type, d) { def = nil }
        fields.append(AvroTypeField(name: name, type: type, doc: config.discardTypeDocDefault ? schema.doc : doc, defaultValue: def))
    }

    /// Avro 1.11's `Schema.isValidDefault`.
    static func isValidDefault(_ t: AvroTypeNode, _ d: JSONValue) -> Bool {
        switch t.kind {
        case .primitive(let p):
            switch (p, d) {
            case ("string", .string), ("bytes", .string): return true
            case ("int", .number(let n)): return Int32(n) != nil
            case ("long", .number(let n)): return Int64(n) != nil
            case ("float", .number), ("double", .number): return true
            case ("float", .string(let s)), ("double", .string(let s)): return s == "NaN" || s == "Infinity" || s == "-Infinity"
            case ("boolean", .bool): return true
            case ("null", .null): return true
            default: return false
            }
        case .enumeration, .fixed:
            if case .string = d { return true }
            return false
        case .array(let items):
            guard case .array(let xs) = d else { return false }
            return xs.allSatisfy { isValidDefault(items, $0) }
        case .map(let values):
            guard case .object(let m) = d else { return false }
            return m.allSatisfy { isValidDefault(values, $0.value) }
        case .union(let branches):
            guard let first = branches.first else { return false }
            return isValidDefault(first, d)
        case .record(let fields):
            guard case .object = d else { return false }
            return fields.allSatisfy { f in
                if let v = d[f.name] { return isValidDefault(f.type, v) }
                return f.defaultValue != nil
            }
        }
    }

    /// Confluent's `defaultValueFromConnect`: a Connect default as Avro JSON. `widenFloats`: a field
    /// default goes through Avro's `JacksonUtils.toObject`, which makes a `float` a `double`.
    func defaultValueFromConnect(_ schema: Schema, _ value: Value, widenFloats: Bool) throws(DataError) -> JSONValue {
        func bad() -> DataError { DataError("Invalid type used for default value of \(schema.type.rawValue.uppercased()) field: \(value.kindName)") }
        switch value {
        case .null: return .null
        default: break
        }
        switch schema.type {
        case .int8, .int16, .int32:
            switch value {
            case .int8(let v): return .number(String(v))
            case .int16(let v): return .number(String(v))
            case .int32(let v), .date(let v), .time(let v): return .number(String(v))
            default: throw bad()
            }
        case .int64:
            switch value {
            case .int64(let v), .timestamp(let v): return .number(String(v))
            default: throw bad()
            }
        case .float32:
            guard case .float32(let f) = value else { throw bad() }
            if f.isNaN || f.isInfinite { return .string(JavaNumberFormat.string(f)) }
            return .number(widenFloats ? JavaNumberFormat.string(Double(f)) : JavaNumberFormat.string(f))
        case .float64:
            guard case .float64(let d) = value else { throw bad() }
            if d.isNaN || d.isInfinite { return .string(JavaNumberFormat.string(d)) }
            return .number(JavaNumberFormat.string(d))
        case .boolean:
            guard case .boolean(let b) = value else { throw bad() }
            return .bool(b)
        case .string:
            guard case .string(let s) = value else { throw bad() }
            return .string(s)
        case .bytes:
            let bytes: [UInt8]
            switch value {
            case .bytes(let b): bytes = b
            case .decimal(let d): bytes = try Self.decimalBytes(schema, d)
            default: throw bad()
            }
            return .string(Self.latin1(bytes))
        case .array:
            guard case .array(let xs) = value, let items = schema.valueSchema else { throw bad() }
            var out: [JSONValue] = []
            for x in xs { out.append(try defaultValueFromConnect(items, x, widenFloats: widenFloats)) }
            return .array(out)
        case .map:
            guard case .map(let m) = value, let ks = schema.keySchema, let vs = schema.valueSchema else { throw bad() }
            if ks.type == .string, !ks.isOptional || config.allowOptionalMapKeys {
                var out: [(key: String, value: JSONValue)] = []
                for e in javaHashMapOrder(m.entries) {
                    guard case .string(let k) = e.key else { throw bad() }
                    let v = try defaultValueFromConnect(vs, e.value, widenFloats: widenFloats)
                    if let i = out.firstIndex(where: { $0.key == k }) { out[i].value = v } else { out.append((k, v)) }
                }
                return .object(out)
            }
            var out: [JSONValue] = []
            for e in m.entries {
                out.append(.array([try defaultValueFromConnect(ks, e.key, widenFloats: widenFloats), try defaultValueFromConnect(vs, e.value, widenFloats: widenFloats)]))
            }
            return .array(out)
        case .struct:
            guard case .struct(let s) = value else { throw bad() }
            var out: [(key: String, value: JSONValue)] = []
            for f in schema.fields {
                let v = try defaultValueFromConnect(f.schema, s.get(f), widenFloats: widenFloats)
                if schema.name == Self.unionName { return v }
                out.append((scrubName(f.name), v))
            }
            return .object(out)
        }
    }

    /// `Decimal.fromLogical`: the unscaled value's two's-complement bytes; the scale must match.
    static func decimalBytes(_ schema: Schema, _ d: BigDecimal) throws(DataError) -> [UInt8] {
        guard d.scale == schema.decimalScale else { throw DataError("BigDecimal has mismatching scale value for given Decimal schema") }
        return d.unscaled.twosComplementBytes
    }

    /// Bytes as an ISO-8859-1 string (how Avro's JSON holds bytes).
    static func latin1(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        for b in bytes { scalars.append(UnicodeScalar(b)) }
        return String(scalars)
    }

    static func isFixed(_ schema: Schema) -> Bool {
        schema.type == .bytes && schema.name != nil && schema.parameters?[fixedSizeProp] != nil
    }

    static func isEnum(_ schema: Schema) -> Bool {
        schema.type == .string && schema.parameters?[enumName] != nil
    }

    /// The schema without `optional` (everything else kept, default included).
    static func nonOptional(_ schema: Schema) -> Schema {
        guard schema.isOptional else { return schema }
        return (try? SchemaBuilder(from: schema).required().build()) ?? schema
    }

    // MARK: Names

    /// `splitName`: namespace and name of a dotted full name (parts scrubbed when configured).
    func splitName(_ full: String) -> (String?, String?) {
        if full.isEmpty { return (nil, full) }
        var parts = Self.javaSplitOnDot(full).map { scrubName($0) }
        if parts.count <= 1 { return (nil, parts.first ?? "") }
        let last = parts.removeLast()
        return (parts.joined(separator: "."), last)
    }

    static func splitPlain(_ full: String) -> (String?, String) {
        guard let dot = full.lastIndex(of: ".") else { return (nil, full) }
        return (String(full[..<dot]), String(full[full.index(after: dot)...]))
    }

    /// Java's `String.split("\\.")`: trailing empty parts dropped.
    static func javaSplitOnDot(_ s: String) -> [String] {
        var parts = s.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        while parts.count > 1, parts.last?.isEmpty == true { parts.removeLast() }
        if parts.count == 1, parts[0].isEmpty, !s.isEmpty { return [] }
        return parts
    }

    func scrubName(_ name: String) -> String { config.scrubInvalidNames ? Self.scrub(name) : name }

    func scrubFullName(_ name: String?) -> String? {
        guard let name, config.scrubInvalidNames else { return name }
        let (ns, short) = splitName(name)
        return ns.map { $0 + "." + (short ?? "") } ?? short
    }

    /// Confluent's `doScrubName`: names already valid are kept; others are URL-encoded (UTF-8),
    /// prefixed with `x` when they start with a digit, and every remaining invalid character becomes `_`.
    static func scrub(_ name: String) -> String {
        if name.isEmpty { return name }
        func valid(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 95 }
        let utf8 = Array(name.utf8)
        if utf8.allSatisfy(valid), !(utf8[0] >= 48 && utf8[0] <= 57) { return name }
        var encoded: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for c in utf8 {
            if valid(c) || c == 46 || c == 45 || c == 42 {
                encoded.append(c)
            } else if c == 32 {
                encoded.append(43)
            } else {
                encoded += [37, hex[Int(c >> 4)], hex[Int(c & 15)]]
            }
        }
        if encoded[0] >= 48, encoded[0] <= 57 { encoded.insert(120, at: 0) }
        return String(decoding: encoded.map { valid($0) ? $0 : 95 }, as: UTF8.self)
    }

    // MARK: Avro → Connect schema

    /// The Connect schema Confluent's `AvroData.toConnectSchema` reads from an Avro schema; `version`
    /// (the registry's version) is set on the top-level schema when it has no `connect.version`.
    /// `nil` for the schemaless `Anything` record. Cached per schema text and version.
    ///
    /// - Throws: `DataError` with Confluent's message for what Connect cannot hold (a standalone
    ///   `null`, mismatched names or versions, two union branches with one field name, recursion).
    public func toConnectSchema(_ avro: AvroTypeNode, version: Int32? = nil) throws(DataError) -> Schema? {
        let key: String
        do { key = try avro.javaString() + "#" + (version.map(String.init) ?? "") } catch { throw DataError(error.message) }
        if let cached = toConnectCache.withLock({ $0[key] }) { return cached.schema }
        let schema: Schema?
        if key.hasPrefix(Self.anythingSchemaJSON + "#") {
            schema = nil
        } else {
            var visiting = Set<ObjectIdentifier>()
            schema = try toConnectSchema(avro, forceOptional: false, fieldDefault: nil, doc: nil, version: version, visiting: &visiting)
        }
        toConnectCache.withLock { $0[key] = SchemaBox(schema) }
        return schema
    }

    /// A field default: absent, or Avro's JSON (a JSON `null` is Avro's `NULL_VALUE`).
    enum FieldDefault {
        case json(JSONValue)
    }

    func unionMemberFieldName(_ t: AvroTypeNode) -> String {
        switch t.kind {
        case .record, .enumeration, .fixed:
            return config.enhancedSchemaSupport ? (t.fullName ?? "") : (splitName(t.name ?? "").1 ?? "")
        default: return t.typeName
        }
    }

    func unionMemberFieldName(_ s: Schema) -> String {
        if s.type == .struct || Self.isEnum(s) || Self.isFixed(s) {
            if config.enhancedSchemaSupport { return scrubFullName(s.name) ?? "" }
            return splitName(s.name ?? "").1 ?? ""
        }
        switch s.type {
        case .int8, .int16, .int32: return "int"
        case .int64: return "long"
        case .float32: return "float"
        case .float64: return "double"
        case .boolean: return "boolean"
        case .string: return "string"
        case .bytes: return "bytes"
        case .array: return "array"
        case .map: return "map"
        case .struct: return "record"
        }
    }

    func toConnectSchema(
        _ t: AvroTypeNode, forceOptional: Bool, fieldDefault: FieldDefault?, doc docDefault: String?, version: Int32?,
        visiting: inout Set<ObjectIdentifier>
    ) throws(DataError) -> Schema {
        let connectType = t.textProp("connect.type")
        let logicalType = t.textProp("logicalType")
        var b: SchemaBuilder
        switch t.kind {
        case .primitive("boolean"): b = .bool()
        case .primitive("bytes"), .fixed:
            if logicalType?.lowercased() == "decimal" {
                var scale: Int32 = 0
                if case .number(let n)? = t.prop("scale") { scale = Int32(Double(n).map { Int32(truncatingIfNeeded: Int64($0)) } ?? 0) }
                b = SchemaBuilder.bytes().name(LogicalType.decimalName).version(1).parameter("scale", String(scale))
                if let p = t.prop("precision") {
                    guard case .number(let n) = p, let precision = Double(n) else {
                        throw DataError("precision property must be a JSON Integer. https://avro.apache.org/docs/1.9.1/spec.html#Decimal")
                    }
                    if Int(precision) != 64 { b = b.parameter(Self.decimalPrecisionProp, String(Int(precision))) }
                }
            } else {
                b = .bytes()
            }
            if case .fixed(let size) = t.kind { b = b.parameter(Self.fixedSizeProp, String(size)) }
        case .primitive("double"): b = .float64()
        case .primitive("float"): b = .float32()
        case .primitive("int"):
            if connectType == nil, logicalType == nil {
                b = .int32()
            } else if let logicalType {
                switch logicalType.lowercased() {
                case "date": b = SchemaBuilder.int32().name(LogicalType.dateName).version(1)
                case "time-millis": b = SchemaBuilder.int32().name(LogicalType.timeName).version(1)
                default: b = .int32()
                }
            } else {
                switch connectType {
                case "int8": b = .int8()
                case "int16": b = .int16()
                default: throw DataError("Connect type annotation for Avro int field is null")
                }
            }
        case .primitive("long"):
            b = logicalType?.lowercased() == "timestamp-millis" ? SchemaBuilder.int64().name(LogicalType.timestampName).version(1) : .int64()
        case .primitive("string"): b = .string()
        case .array(let items):
            if isMapEntry(items) {
                guard case .record(let fields) = items.kind, fields.count == 2, let k = fields.first(where: { $0.name == "key" }),
                      let v = fields.first(where: { $0.name == "value" })
                else { throw DataError("Found map encoded as array of key-value pairs, but array elements do not match the expected format.") }
                var inner = Set<ObjectIdentifier>()
                b = .map(try toConnectSchema(k.type, forceOptional: false, fieldDefault: nil, doc: nil, version: nil, visiting: &inner),
                         try toConnectSchema(v.type, forceOptional: false, fieldDefault: nil, doc: nil, version: nil, visiting: &inner))
            } else {
                b = .array(try toConnectSchema(items, forceOptional: false, fieldDefault: nil, doc: nil, version: nil, visiting: &visiting))
            }
        case .map(let values):
            b = .map(Schema.string, try toConnectSchema(values, forceOptional: false, fieldDefault: nil, doc: nil, version: nil, visiting: &visiting))
        case .record(let fields):
            guard visiting.insert(ObjectIdentifier(t)).inserted else {
                throw DataError("Recursive Avro schema \(t.fullName ?? "") cannot be mapped to a Connect schema")
            }
            defer { visiting.remove(ObjectIdentifier(t)) }
            b = .struct()
            if !config.discardTypeDocDefault, config.connectMetaData, let doc = t.doc { b = b.parameter(Self.recordDocProp, doc) }
            for f in fields {
                if !config.discardTypeDocDefault, config.connectMetaData, let doc = f.doc { b = b.parameter(Self.fieldDocPrefix + f.name, doc) }
                let fs = try toConnectSchema(f.type, forceOptional: false, fieldDefault: f.defaultValue.map { .json($0) }, doc: f.doc, version: nil, visiting: &visiting)
                b = b.field(f.name, fs)
            }
        case .enumeration(let symbols, let def):
            b = .string()
            if config.connectMetaData {
                if let doc = t.doc { b = b.parameter(config.discardTypeDocDefault ? "connect.enum.doc" : Self.enumDocPrefix + (t.name ?? ""), doc) }
                if !config.discardTypeDocDefault, let def { b = b.parameter(Self.enumDefaultPrefix + (t.name ?? ""), def) }
            }
            b = b.parameter(Self.enumName, t.fullName ?? "")
            for s in symbols { b = b.parameter(Self.enumName + "." + s, s) }
        case .union(let branches):
            if branches.count == 2, let nullIndex = branches.firstIndex(where: { if case .primitive("null") = $0.kind, $0.props.isEmpty { true } else { false } }) {
                return try toConnectSchema(branches[1 - nullIndex], forceOptional: true, fieldDefault: nil, doc: docDefault, version: nil, visiting: &visiting)
            }
            b = SchemaBuilder.struct().name(Self.unionName)
            var names = Set<String>()
            for m in branches {
                if case .primitive("null") = m.kind {
                    b = b.optional()
                } else {
                    let name = unionMemberFieldName(m)
                    guard names.insert(name).inserted else { throw DataError("Multiple union schemas map to the Connect union field name") }
                    b = b.field(name, try toConnectSchema(m, forceOptional: true, fieldDefault: nil, doc: nil, version: nil, visiting: &visiting))
                }
            }
        case .primitive("null"):
            throw DataError("Standalone null schemas are not supported by this converter")
        case .primitive(let other):
            throw DataError("Couldn't translate unsupported schema type \(other).")
        }

        if config.discardTypeDocDefault {
            if let doc = docDefault ?? t.doc ?? t.textProp("connect.doc") { b = b.doc(doc) }
            if config.connectMetaData, let doc = t.doc { b = b.parameter("connect.record.doc", doc) }
        } else if config.connectMetaData, let doc = t.textProp("connect.doc") {
            b = b.doc(doc)
        }

        var versionInt: Int64 = -1
        if let v = t.prop("connect.version") {
            guard case .number(let n) = v, let d = Double(n) else { throw DataError("Invalid Connect version found: \(v)") }
            versionInt = Int64(d)
        } else if let version {
            versionInt = Int64(version)
        }
        if versionInt >= 0 {
            let v32 = Int32(truncatingIfNeeded: versionInt)
            if let existing = b.version {
                if existing != v32 {
                    throw DataError("Mismatched versions: version already added to SchemaBuilder (\(existing)) differs from version in source schema (\(v32))")
                }
            } else {
                b = b.version(v32)
            }
        }

        if config.connectMetaData, let p = t.prop("connect.parameters") {
            guard case .object(let members) = p else { throw DataError("Expected JSON object for schema parameters but found: \(p)") }
            for (k, v) in members {
                guard case .string(let s) = v else { throw DataError("Expected schema parameter values to be strings but found: \(v)") }
                b = b.parameter(k, s)
            }
        }
        for (k, v) in t.props where k.hasPrefix("avro") {
            switch v {
            case .string(let s): b = b.parameter(k, s)
            case .number(let n): b = b.parameter(k, n)
            case .bool(let x): b = b.parameter(k, String(x))
            default: b = b.parameter(k, "\(v)")
            }
        }

        var defaultJSON: JSONValue? = nil
        var fromField = false
        let connectDefault = t.prop("connect.default")
        if case .json(let j)? = fieldDefault {
            defaultJSON = j
            fromField = true
            if !config.discardTypeDocDefault, config.connectMetaData, connectDefault == nil { b = b.parameter(Self.fieldDefaultFlag, "true") }
        } else {
            defaultJSON = connectDefault
        }

        if let connectName = t.prop("connect.name") {
            guard case .string(let n) = connectName else { throw DataError("Invalid schema name: \(connectName)") }
            try setName(&b, n)
        } else if let full = t.fullName {
            try setName(&b, full)
        }
        if forceOptional { b = b.optional() }

        if let defaultJSON, !defaultJSON.isNull {
            if let probe = try? b.build(), let v = try? defaultValueFromAvro(probe, t, defaultJSON, fromField: fromField),
               let withDefault = try? b.defaultValue(v).build() {
                return withDefault
            }
        }
        return try b.build()
    }

    func setName(_ b: inout SchemaBuilder, _ name: String) throws(DataError) {
        guard !name.hasPrefix(Self.defaultSchemaFullName) else { return }
        if let existing = b.name {
            if existing != name {
                throw DataError("Mismatched names: name already added to SchemaBuilder (\(existing)) differs from name in source schema (\(name))")
            }
        } else {
            b = b.name(name)
        }
    }

    func isMapEntry(_ t: AvroTypeNode) -> Bool {
        guard case .record = t.kind else { return false }
        if t.namespace == Self.namespace, t.name == Self.mapEntryTypeName { return true }
        return t.textProp("connect.internal.type") == Self.mapEntryTypeName
    }

    /// `defaultValueFromAvro`: an Avro JSON default as a Connect value of `schema`.
    ///
    /// `fromField`: the default of a record field, which Confluent receives as Java objects from
    /// Avro's `Field.defaultVal()` rather than JSON (an empty array then reads as an empty map).
    func defaultValueFromAvro(_ schema: Schema, _ t: AvroTypeNode, _ json: JSONValue, fromField: Bool = false) throws(DataError) -> Value {
        if json.isNull { return .null }
        func bad() -> DataError { DataError("Invalid default \(json) for \(t.typeName)") }
        func number() throws(DataError) -> Double {
            switch json {
            case .number(let n): return Double(n) ?? 0
            case .string("NaN"): return .nan
            case .string("Infinity"): return .infinity
            case .string("-Infinity"): return -.infinity
            default: throw bad()
            }
        }
        func integer() throws(DataError) -> Int64 {
            guard case .number(let n) = json else { throw bad() }
            if let i = Int64(n) { return i }
            return Int64(Double(n) ?? 0)
        }
        switch t.kind {
        case .primitive("int"):
            let i = try integer()
            switch schema.kind {
            case .int8: return .int8(Int8(truncatingIfNeeded: i))
            case .int16: return .int16(Int16(truncatingIfNeeded: i))
            case .date: return .date(Int32(truncatingIfNeeded: i))
            case .time:
                guard i >= 0, i <= 86_400_000 else { throw DataError("Time values must use number of milliseconds greater than 0 and less than 86400000") }
                return .time(Int32(truncatingIfNeeded: i))
            default: return .int32(Int32(truncatingIfNeeded: i))
            }
        case .primitive("long"):
            let i = try integer()
            return schema.kind == .timestamp ? .timestamp(i) : .int64(i)
        case .primitive("float"): return .float32(Float(try number()))
        case .primitive("double"): return .float64(try number())
        case .primitive("boolean"):
            guard case .bool(let x) = json else { return .boolean(false) }
            return .boolean(x)
        case .primitive("string"), .enumeration:
            switch json {
            case .string(let s): return .string(s)
            case .number(let n): return .string(n)
            case .bool(let x): return .string(String(x))
            default: return .string("")
            }
        case .primitive("bytes"), .fixed:
            guard case .string(let s) = json else { throw DataError("Invalid binary data in default value") }
            var bytes: [UInt8] = []
            for u in s.unicodeScalars { bytes.append(u.value < 256 ? UInt8(u.value) : 0x3F) }
            if schema.kind == .decimal { return .decimal(BigDecimal(unscaled: BigInt(twosComplement: bytes), scale: schema.decimalScale)) }
            return .bytes(bytes)
        case .array(let items):
            guard case .array(let xs) = json else { throw DataError("Invalid JSON for array default value") }
            if schema.type == .map {
                guard fromField, xs.isEmpty else { throw bad() }
                return .map(MapValue())
            }
            guard let vs = schema.valueSchema else { throw bad() }
            var out: [Value] = []
            for x in xs { out.append(try defaultValueFromAvro(vs, items, x)) }
            return .array(out)
        case .map(let values):
            guard case .object(let members) = json, let vs = schema.valueSchema else { throw DataError("Invalid JSON for map default value") }
            var m = MapValue()
            for (k, v) in members { m.put(.string(k), try defaultValueFromAvro(vs, values, v)) }
            return .map(m)
        case .record(let fields):
            guard case .object = json else { throw DataError("Invalid JSON for record default value") }
            var s = try Struct(schema)
            for f in fields {
                guard let cf = schema.field(f.name) else { throw bad() }
                let v = json[f.name] ?? f.defaultValue ?? .null
                try s.put(cf, try defaultValueFromAvro(cf.schema, f.type, v))
            }
            return .struct(s)
        case .union(let branches):
            guard let first = branches.first else { throw bad() }
            if case .primitive("null") = first.kind { return .null }
            if schema.name == Self.unionName {
                guard let f = schema.field(unionMemberFieldName(first)) else { throw bad() }
                var s = try Struct(schema)
                try s.put(f, try defaultValueFromAvro(f.schema, first, json))
                return .struct(s)
            }
            return try defaultValueFromAvro(schema, first, json)
        default:
            return .null
        }
    }
}

/// The order Java's `HashMap<String, …>()` (capacity 16, load factor 0.75) iterates these entries,
/// inserted in this order: by bucket (`hashCode` spread, masked by the table size), insertion order
/// within a bucket; the table doubles when the size passes 3/4 of it and — as Java's `treeifyBin`
/// does below 64 buckets — when one bucket reaches 9 entries. (A bucket of 9+ keys in a table of 64+
/// becomes a red-black tree in Java, which iterates its root first; that order is not modelled.)
/// Keys that are not strings keep their order.
func javaHashMapOrder(_ entries: [ConnectKit.MapEntry]) -> [ConnectKit.MapEntry] {
    if entries.count < 2 { return entries }
    var hashes: [Int] = []
    hashes.reserveCapacity(entries.count)
    for e in entries {
        guard case .string(let s) = e.key else { return entries }
        var h: Int32 = 0
        for u in s.utf16 { h = h &* 31 &+ Int32(u) }
        hashes.append(Int(UInt32(bitPattern: h ^ Int32(bitPattern: UInt32(bitPattern: h) >> 16))))
    }
    var capacity = 16
    var buckets = [[Int]](repeating: [], count: capacity)
    func resize() {
        capacity *= 2
        var next = [[Int]](repeating: [], count: capacity)
        for bucket in buckets { for i in bucket { next[hashes[i] & (capacity - 1)].append(i) } }
        buckets = next
    }
    var size = 0
    for i in entries.indices {
        let b = hashes[i] & (capacity - 1)
        buckets[b].append(i)
        if buckets[b].count >= 9, capacity < 64 { resize() }
        size += 1
        if size > capacity * 3 / 4 { resize() }
    }
    var out: [ConnectKit.MapEntry] = []
    out.reserveCapacity(entries.count)
    for bucket in buckets { for i in bucket { out.append(entries[i]) } }
    return out
}
