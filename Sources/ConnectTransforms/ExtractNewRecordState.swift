public import ConnectKit

/// Debezium's `io.debezium.transforms.ExtractNewRecordState` ("unwrap"): replaces a Debezium change
/// event envelope (`before`, `after`, `source`, `op`, `ts_ms`, `transaction`) with the row state,
/// handling deletes and tombstones per `delete.tombstone.handling.mode` and copying envelope fields
/// into the row (`add.fields`) or headers (`add.headers`). Records that are not envelopes pass through.
public struct ExtractNewRecordState: Transformation {
    public enum DeleteHandling: String, Sendable, CaseIterable {
        /// Deletes and tombstones are dropped.
        case drop
        /// A delete becomes a record with a null value; tombstones are dropped (the default).
        case tombstone
        case deleteToTombstone = "delete-to-tombstone"
        /// A delete becomes its `before` row with `__deleted=true`; tombstones are dropped.
        case rewrite
        /// Like rewrite, and tombstones are kept.
        case rewriteWithTombstone = "rewrite-with-tombstone"
    }

    public static let configDef = ConfigDef()
        .define("drop.tombstones", .boolean, default: true, importance: .low, documentation: "Deprecated; use delete.tombstone.handling.mode.")
        .define("delete.tombstone.handling.mode", .string, default: "tombstone", importance: .medium, documentation: "How to handle delete events and tombstones: drop, tombstone, rewrite, rewrite-with-tombstone, delete-to-tombstone.")
        .define("add.fields", .list, default: "", importance: .low, documentation: "Envelope or source fields to add to the row, e.g. op,table,source.ts_ms.")
        .define("add.fields.prefix", .string, default: "__", importance: .low, documentation: "Prefix of the added fields.")
        .define("add.headers", .list, default: "", importance: .low, documentation: "Envelope or source fields to add as headers.")
        .define("add.headers.prefix", .string, default: "__", importance: .low, documentation: "Prefix of the added headers.")

    let mode: DeleteHandling
    let fields: [String]
    let fieldsPrefix: String
    let headers: [String]
    let headersPrefix: String
    let cache = SchemaCache()

    public init(configuration: [String: String]) throws(ConfigError) {
        let c = try Self.configDef.parse(configuration)
        guard let mode = DeleteHandling(rawValue: (c.string("delete.tombstone.handling.mode") ?? "tombstone").lowercased()) else {
            throw ConfigError(key: "delete.tombstone.handling.mode", message: "Unable to validate config.")
        }
        self.mode = mode
        fields = c.list("add.fields") ?? []
        fieldsPrefix = c.string("add.fields.prefix") ?? "__"
        headers = c.list("add.headers") ?? []
        headersPrefix = c.string("add.headers.prefix") ?? "__"
    }

    var rewrites: Bool { mode == .rewrite || mode == .rewriteWithTombstone }

    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        if record.value.isNull { return mode == .rewriteWithTombstone ? record : nil }
        guard let schema = record.valueSchema, schema.type == .struct, schema.name?.hasSuffix(".Envelope") == true,
            case .struct(let envelope) = record.value
        else { return record }
        let op = envelope["op"]?.stringValue
        var out = consume record
        for spec in headers {
            let (value, fieldSchema) = lookup(spec, envelope)
            out.headers.add(Header(key: headersPrefix + spec.replacing(".", with: "_"), value: value, schema: fieldSchema.map(Self.optional)))
        }
        var row = envelope["after"] ?? .null
        var rowSchema = schema.field("after")?.schema
        if row.isNull {
            switch mode {
            case .drop: return nil
            case .tombstone, .deleteToTombstone:
                out.valueSchema = rowSchema
                out.value = .null
                return out
            case .rewrite, .rewriteWithTombstone:
                row = envelope["before"] ?? .null
                rowSchema = schema.field("before")?.schema
            }
        }
        guard case .struct(let s) = row, let base = rowSchema else {
            out.valueSchema = rowSchema
            out.value = .null
            return out
        }
        let updated = try cache.get(base) { () throws(DataError) -> Schema in
            var b = copyBasics(base, .struct())
            for f in base.fields { b = b.field(f.name, f.schema) }
            if rewrites { b = b.field(fieldsPrefix + "deleted", .optionalString) }
            for spec in fields {
                let (_, fieldSchema) = lookup(spec, envelope)
                b = b.field(fieldsPrefix + spec.replacing(".", with: "_"), fieldSchema.map(Self.optional) ?? .optionalString)
            }
            return try b.build()
        }
        var values = s.schema.fields.map { s.get($0) }
        if rewrites { values.append(.string(op == "d" ? "true" : "false")) }
        for spec in fields { values.append(lookup(spec, envelope).0) }
        out.valueSchema = updated
        out.value = .struct(makeStruct(updated, values))
        return out
    }

    /// `op`, `ts_ms` … from the envelope; `table`, `db` … from `source`; `a.b` from struct `a`.
    private func lookup(_ spec: String, _ envelope: Struct) -> (ConnectKit.Value, Schema?) {
        let parts = spec.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            guard let outer = envelope.schema.field(parts[0]), let inner = outer.schema.field(parts[1]) else { return (.null, nil) }
            guard case .struct(let nested) = envelope.get(outer) else { return (.null, inner.schema) }
            return (nested.get(inner), inner.schema)
        }
        if let f = envelope.schema.field(spec) { return (envelope.get(f), f.schema) }
        if let source = envelope.schema.field("source"), let f = source.schema.field(spec) {
            guard case .struct(let s) = envelope.get(source) else { return (.null, f.schema) }
            return (s.get(f), f.schema)
        }
        return (.null, nil)
    }

    static func optional(_ schema: Schema) -> Schema {
        schema.isOptional ? schema : ((try? SchemaBuilder(from: schema).optional().build()) ?? schema)
    }
}
