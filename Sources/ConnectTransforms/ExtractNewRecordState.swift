public import ConnectKit

/// Debezium's `io.debezium.transforms.ExtractNewRecordState` ("unwrap"): replaces a Debezium change
/// event envelope (`before`, `after`, `source`, `op`, `ts_ms`, `transaction`) with the row state,
/// handling deletes and tombstones per `delete.tombstone.handling.mode` and copying envelope fields
/// into the row (`add.fields`) or headers (`add.headers`), as Debezium 3.6 does:
///
/// - An event with neither `before` nor `after` (a truncate, `op: t`) is dropped in every mode.
/// - `add.fields` / `add.headers` entries are `field`, `struct.field` or `field:newName`; an
///   unqualified `id`, `total_order`, `data_collection_order` is the transaction block's, `op`,
///   `ts_ms`, `ts_us`, `ts_ns` the envelope's, anything else the source block's (falling back to the
///   envelope). A name found nowhere is skipped; one whose value is null is added as null. Added
///   names are the prefix plus the field (`struct_field` when qualified, `newName` when renamed).
/// - A tombstone gets only the headers that name `op` (`"d"`); it passes through only with
///   `rewrite-with-tombstone`.
/// - `route.by.field`: the record's topic becomes that field of the row (`before` for a delete).
/// Records that are not envelopes pass through unchanged.
public struct ExtractNewRecordState: Transformation {
    /// What happens to deletes and tombstones (`delete.tombstone.handling.mode`).
    public enum DeleteHandling: String, Sendable, CaseIterable {
        /// Deletes and tombstones are dropped.
        case drop
        /// A delete becomes a record with a null value (and the row's optional schema); tombstones
        /// are dropped (the default).
        case tombstone
        /// A delete becomes a record with a null value and no schema; tombstones are dropped.
        case deleteToTombstone = "delete-to-tombstone"
        /// A delete becomes its `before` row with `__deleted=true`; tombstones are dropped.
        case rewrite
        /// Like rewrite, and tombstones are kept.
        case rewriteWithTombstone = "rewrite-with-tombstone"
    }

    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("delete.tombstone.handling.mode", .string, default: "tombstone", importance: .medium, documentation: "How to handle delete events and tombstones: drop, tombstone, rewrite, rewrite-with-tombstone, delete-to-tombstone.")
        .define("add.fields", .list, default: "", importance: .low, documentation: "Envelope, source or transaction fields to add to the row, e.g. op,table,source.ts_ms,op:operation.")
        .define("add.fields.prefix", .string, default: "__", importance: .low, documentation: "Prefix of the added fields.")
        .define("add.headers", .list, default: "", importance: .low, documentation: "Envelope, source or transaction fields to add as headers.")
        .define("add.headers.prefix", .string, default: "__", importance: .low, documentation: "Prefix of the added headers.")
        .define("route.by.field", .string, default: "", importance: .low, documentation: "A field of the row whose value becomes the record's topic.")

    /// One `add.fields` / `add.headers` entry: where to read it and what to call it.
    struct Addition: Sendable {
        /// The envelope field holding the struct, nil for the envelope itself.
        let structName: String?
        let field: String
        let name: String
    }

    let mode: DeleteHandling
    let fields: [Addition]
    let headers: [Addition]
    let routeByField: String?
    let cache = SchemaCache()

    public init(configuration: [String: String]) throws(ConfigError) {
        let c = try Self.configDef.parse(configuration)
        let modeText = (c.string("delete.tombstone.handling.mode") ?? "tombstone").trimmingWhitespace().lowercased()
        guard let mode = DeleteHandling(rawValue: modeText) else {
            throw ConfigError(key: "delete.tombstone.handling.mode", message: "Unable to validate config.")
        }
        self.mode = mode
        fields = try Self.additions(c.list("add.fields") ?? [], prefix: c.string("add.fields.prefix") ?? "__", key: "add.fields")
        headers = try Self.additions(c.list("add.headers") ?? [], prefix: c.string("add.headers.prefix") ?? "__", key: "add.headers")
        routeByField = c.string("route.by.field").flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Debezium's parsing of `add.fields` / `add.headers`.
    static func additions(_ specs: [String], prefix: String, key: String) throws(ConfigError) -> [Addition] {
        var out: [Addition] = []
        for raw in specs {
            let spec = raw.trimmingWhitespace()
            if spec.isEmpty { continue }
            // Java's String.split drops trailing empty parts: "op:" is "op".
            var parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            while parts.count > 1, parts.last == "" { parts.removeLast() }
            guard parts.count <= 2 else { throw ConfigError(key: key, message: "Unexpected field name: \(spec)") }
            let path = parts[0].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let structName: String?, field: String
            if path.count >= 2 {
                structName = path[0]
                field = path[1]
            } else {
                field = path[0]
                switch field {
                case "id", "total_order", "data_collection_order": structName = "transaction"
                case "op", "ts_ms", "ts_us", "ts_ns": structName = nil
                case "updateDescription": structName = "updateDescription"
                default: structName = "source"
                }
            }
            let name: String
            if parts.count == 2 {
                name = prefix + parts[1]
            } else if path.count >= 2 {
                name = prefix + path[0] + "_" + path[1]
            } else {
                name = prefix + field
            }
            out.append(Addition(structName: structName, field: field, name: name))
        }
        return out
    }

    var rewrites: Bool { mode == .rewrite || mode == .rewriteWithTombstone }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        let isTombstone = record.value.isNull
        var envelope: Struct? = nil
        if let schema = record.valueSchema, schema.type == .struct, schema.name?.hasSuffix(".Envelope") == true, case .struct(let s) = record.value {
            envelope = s
        }
        var out = consume record
        if isTombstone {
            guard mode == .rewriteWithTombstone else { return nil }
            // A tombstone only gets what it can say: that it is a delete.
            for h in headers where h.field == "op" { out.headers.add(Header(key: h.name, value: .string("d"), schema: .string)) }
            return out
        }
        guard let envelope else { return out }
        let resolved = try headers.compactMap { h throws(DataError) in try lookup(h, envelope).map { (h, $0) } }
        for (h, (value, schema)) in resolved { out.headers.add(Header(key: h.name, value: value, schema: schema)) }
        let schema = envelope.schema
        let after = envelope["after"] ?? .null
        let before = envelope["before"] ?? .null
        if after.isNull && before.isNull { return nil }  // a truncate, or a delete without before
        var row: ConnectKit.Value
        var rowSchema: Schema?
        let isDelete = after.isNull
        if isDelete {
            switch mode {
            case .drop:
                return nil
            case .tombstone:
                out.valueSchema = schema.field("after")?.schema
                out.value = .null
                try route(&out, before)
                return out
            case .deleteToTombstone:
                out.valueSchema = nil
                out.value = .null
                try route(&out, before)
                return out
            case .rewrite, .rewriteWithTombstone:
                row = before
                rowSchema = schema.field("before")?.schema
            }
        } else {
            row = after
            rowSchema = schema.field("after")?.schema
        }
        guard case .struct(let s) = row, let base = rowSchema else { return out }
        try route(&out, row)
        let added = try fields.compactMap { f throws(DataError) in try lookup(f, envelope).map { (f, $0) } }
        let updated = try cache.get(base) { () throws(DataError) -> Schema in
            var b = copyBasics(base, .struct())
            var names = Set<String>()
            func add(_ name: String, _ fieldSchema: Schema) throws(DataError) {
                guard names.insert(name).inserted else { throw DataError("Cannot create field because of field name duplication \(name)") }
                b = b.field(name, fieldSchema)
            }
            for f in base.fields { try add(f.name, f.schema) }
            if rewrites { try add("__deleted", .optionalString) }
            for (f, (_, fieldSchema)) in added { try add(f.name, fieldSchema) }
            return try b.build()
        }
        var values = s.schema.fields.map { s.get($0) }
        if rewrites { values.append(.string(isDelete ? "true" : "false")) }
        for (_, (value, _)) in added { values.append(value) }
        out.valueSchema = updated
        out.value = .struct(makeStruct(updated, values))
        return out
    }

    /// `route.by.field`: the row's field becomes the topic (a null value keeps the topic, as
    /// Debezium's `Struct.getString` returns null); a missing or non-string field fails as Kafka's
    /// `Struct.getString` does.
    private func route<R: ConnectRecord>(_ record: inout R, _ row: ConnectKit.Value) throws(DataError) {
        guard let routeByField, case .struct(let s) = row else { return }
        guard let field = s.schema.field(routeByField) else { throw DataError("\(routeByField) is not a valid field name") }
        guard field.schema.type == .string else { throw DataError("Field '\(routeByField)' is not of type STRING") }
        if let v = s.get(field).stringValue { record.topic = v }
    }

    /// The value and (optional) schema of an addition; nil when Debezium finds the field nowhere.
    /// - Throws: `DataError` where Debezium fails: a struct the envelope does not have, a whole struct.
    private func lookup(_ a: Addition, _ envelope: Struct) throws(DataError) -> (ConnectKit.Value, Schema)? {
        var found: (ConnectKit.Value, Schema)? = nil
        if let structName = a.structName {
            guard let holder = envelope.schema.field(structName) else {
                throw DataError("\(a.name): the change event has no '\(structName)' block (Debezium fails with a NullPointerException)")
            }
            if let inner = holder.schema.field(a.field) {
                if case .struct(let nested) = envelope.get(holder) { found = (nested.get(inner), inner.schema) } else { found = (.null, inner.schema) }
            }
        }
        if found == nil, let top = envelope.schema.field(a.field) { found = (envelope.get(top), top.schema) }
        guard let (value, schema) = found else { return nil }
        if schema.type == .struct { throw DataError("Struct schemas do not match.") }
        return (value, Self.optional(schema))
    }

    static func optional(_ schema: Schema) -> Schema {
        schema.isOptional ? schema : ((try? SchemaBuilder(from: schema).optional().build()) ?? schema)
    }
}
