import ConnectKit

/// One bulk action: its NDJSON lines (action line, then the source line except for deletes), the
/// size Elasticsearch's `BulkRequest` estimates for it, and the record it came from.
struct BulkAction: Sendable {
    enum Kind: String, Sendable { case index, create, update, delete }
    var kind: Kind
    var index: String
    var id: String?
    /// `version_type=external` was sent (a version conflict then means "already written").
    var externalVersion: Bool
    var lines: [UInt8]
    /// Confluent's estimate: source bytes (doc + upsert for updates) + 50.
    var estimatedSize: Int
    var record: SinkRecord
}

/// What Confluent's `DataConverter` does: a record to a bulk action (index name, document id,
/// external version, document JSON), with the schema pre-processing that makes Kafka's
/// `JSONConverter` output what Elasticsearch expects.
final class DocumentConverter: @unchecked Sendable {
    private let config: ElasticsearchSinkConfig
    private let json: JSONConverter
    private let headerConverter = SimpleHeaderConverter()
    /// Pre-processed schemas by the identity of the record's schema (which the entry keeps alive).
    private var schemas: [ObjectIdentifier: (original: Schema, processed: Schema, rewrite: Bool)] = [:]

    init(config: ElasticsearchSinkConfig) {
        self.config = config
        json = try! JSONConverter(configuration: ["schemas.enable": "false", "decimal.format": "BASE64"])
    }

    // MARK: - Names and ids

    /// Confluent's `createIndexName`: lowercased, at most 255 characters, one leading `-`/`_`
    /// dropped, `.`/`..` spelled out.
    static func indexName(_ topic: String) -> String {
        var name = topic.lowercased()
        if name.utf16.count > 255 { name = String(name.utf16.prefix(255)) ?? String(name.prefix(255)) }
        if name.hasPrefix("-") || name.hasPrefix("_") { name.removeFirst() }
        if name == "." { return "dot" }
        if name == ".." { return "dotdot" }
        return name
    }

    /// The data stream, external resource or index a record of `topic` goes to.
    func resourceName(_ topic: String) throws -> String {
        if config.externalResourceUsage != .disabled {
            guard let r = config.externalResources[topic] else {
                throw ConnectError("Topic '\(topic)' is not mapped to any resource. All configured topics must be mapped to a resource.")
            }
            return r
        }
        if config.isDataStream {
            var namespace = config.dataStreamNamespace.replacingAll("${topic}", with: topic.lowercased())
            if namespace.count > 100 { namespace = String(namespace.prefix(100)) }
            return "\(config.dataStreamType.lowercased())-\(config.dataStreamDataset)-\(namespace)"
        }
        return Self.indexName(topic)
    }

    /// `record from topic=<t> partition=<p> offset=<o>` (Confluent's `recordString`).
    static func describe(_ r: SinkRecord) -> String {
        "record from topic=\(r.topic) partition=\(r.kafkaPartition.map(String.init) ?? "null") offset=\(r.kafkaOffset)"
    }

    private func documentID(_ r: SinkRecord) throws(DataError) -> String {
        if config.ignoresKey(r.topic) { return "\(r.topic)+\(r.kafkaPartition ?? 0)+\(r.kafkaOffset)" }
        let key = r.key
        if case .null = key { throw DataError("Key is used as document id and can not be null.") }
        let type: SchemaType
        if let s = r.keySchema { type = s.type } else if let t = key.inferredType { type = t } else {
            throw DataError("Java class \(key.kindName) does not have corresponding schema type.")
        }
        let text: String
        switch (type, key) {
        case (.int8, .int8(let v)): text = String(v)
        case (.int16, .int16(let v)): text = String(v)
        case (.int32, .int32(let v)): text = String(v)
        case (.int64, .int64(let v)): text = String(v)
        case (.string, .string(let v)): text = v
        case (.int8, _), (.int16, _), (.int32, _), (.int64, _), (.string, _): text = String(describing: key)
        default: throw DataError("\(type) is not supported as the document id.")
        }
        if text.isEmpty { throw DataError("Key is used as document id and can not be empty.") }
        return text
    }

    private func externalVersion(_ r: SinkRecord) throws -> Int64 {
        let name = config.externalVersionHeader
        guard !name.isEmpty else { return r.kafkaOffset }
        guard let header = r.headers.lastWithName(name) else {
            throw ConnectError("Record has no header '\(name)' to use as its external version (\(Self.describe(r)))")
        }
        let bytes = (try? headerConverter.fromConnectHeader(topic: r.topic, headerKey: name, schema: header.schema, value: header.value)) ?? nil
        let text = bytes.map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard let v = Int64(text) else {  // Java's Long.parseLong: optional sign, decimal digits, in range
            throw ConnectError("Error converting external version header '\(name)' to long for \(Self.describe(r))")
        }
        return v
    }

    // MARK: - Records to actions

    /// The action for `r`, or `nil` when Confluent sends nothing (a null value under IGNORE, or
    /// DELETE with a null key).
    ///
    /// - Throws: `DataError` for what `drop.invalid.message` covers (key problems, a null value
    ///   under FAIL, a non-object data-stream payload, a required field that is null);
    ///   `ConnectError` for the rest.
    func action(for r: SinkRecord, resource: String) throws -> BulkAction? {
        if case .null = r.value {
            switch config.nullValues {
            case .ignore: return nil
            case .fail:
                throw DataError("\(Self.describe(r)) has a null value (to ignore future records like this change the configuration property 'behavior.on.null.values' from 'FAIL' to 'IGNORE')")
            case .delete:
                if case .null = r.key { return nil }
            }
        }
        let id = try documentID(r)
        var w = JSONWriter(capacity: 128)
        if case .null = r.value {
            let versioned = !config.isDataStream && !config.ignoresKey(r.topic)
            w.raw("{\"delete\":")
            try metadata(&w, resource, id, version: versioned ? externalVersion(r) : nil)
            w.raw("}\n")
            return BulkAction(kind: .delete, index: resource, id: id, externalVersion: versioned, lines: w.bytes, estimatedSize: 50, record: r)
        }
        var payload = try document(r)
        if config.isDataStream { payload = try addTimestamp(payload, r) }
        switch config.writeMethod {
        case .upsert:
            w.raw("{\"update\":{\"_index\":")
            w.string(resource)
            w.raw(",\"_id\":")
            w.string(id)
            w.raw(",\"retry_on_conflict\":")
            w.int(Int64(min(config.maxInFlightRequests, 5)))
            w.raw("}}\n{\"doc\":")
            w.raw(payload)
            w.raw(",\"upsert\":")
            w.raw(payload)
            w.raw("}\n")
            return BulkAction(kind: .update, index: resource, id: id, externalVersion: false, lines: w.bytes, estimatedSize: 2 * payload.count + 50, record: r)
        case .insert:
            let kind: BulkAction.Kind = config.isDataStream ? .create : .index
            let autoID = config.useAutogeneratedIds
            let versioned = !config.isDataStream && !autoID && !config.ignoresKey(r.topic)
            w.raw(kind == .create ? "{\"create\":" : "{\"index\":")
            try metadata(&w, resource, autoID ? nil : id, version: versioned ? externalVersion(r) : nil)
            w.raw("}\n")
            w.raw(payload)
            w.byte(UInt8(ascii: "\n"))
            return BulkAction(kind: kind, index: resource, id: autoID ? nil : id, externalVersion: versioned, lines: w.bytes, estimatedSize: payload.count + 50, record: r)
        }
    }

    private func metadata(_ w: inout JSONWriter, _ index: String, _ id: String?, version: Int64?) throws {
        w.raw("{\"_index\":")
        w.string(index)
        if let id {
            w.raw(",\"_id\":")
            w.string(id)
        }
        if let version {
            w.raw(",\"version\":")
            w.int(version)
            w.raw(",\"version_type\":\"external\"")
        }
        w.byte(UInt8(ascii: "}"))
    }

    /// The document JSON: Kafka's `JSONConverter` without schemas, over the pre-processed schema
    /// and value unless the topic ignores schemas.
    func document(_ r: SinkRecord) throws -> [UInt8] {
        var schema = r.valueSchema
        var value = r.value
        if !config.ignoresSchema(r.topic), let original = schema {
            let entry = try preprocessed(original)
            schema = entry.processed
            if entry.rewrite { value = try preProcessValue(value, original, entry.processed) }
        }
        return try json.fromConnectData(topic: r.topic, headers: nil, schema: schema, value: value) ?? Array("null".utf8)
    }

    private func preprocessed(_ schema: Schema) throws -> (original: Schema, processed: Schema, rewrite: Bool) {
        let key = ObjectIdentifier(schema)
        if let e = schemas[key], e.original === schema { return e }
        let processed = try preProcessSchema(schema)
        let entry = (schema, processed, needsRewrite(schema))
        if schemas.count > 1000 { schemas.removeAll() }
        schemas[key] = entry
        return entry
    }

    /// Whether values must be rebuilt (decimals become doubles, maps become arrays of entries);
    /// otherwise the converter writes the record's own value under the processed schema.
    private func needsRewrite(_ s: Schema) -> Bool {
        if case .decimal = s.logicalType { return true }
        switch s.type {
        case .array: return s.valueSchema.map(needsRewrite) ?? false
        case .map:
            if !(config.compactMapEntries && s.keySchema?.type == .string) { return true }
            return (s.keySchema.map(needsRewrite) ?? false) || (s.valueSchema.map(needsRewrite) ?? false)
        case .struct: return s.fields.contains { needsRewrite($0.schema) }
        default: return false
        }
    }

    func preProcessSchema(_ s: Schema) throws -> Schema {
        switch s.logicalType {
        case .decimal?: return try basics(s, SchemaBuilder.float64()).build()
        case .date?, .time?, .timestamp?: return s
        case nil: break
        }
        switch s.type {
        case .array:
            return try basics(s, SchemaBuilder.array(try s.valueSchema.map(preProcessSchema))).build()
        case .map:
            guard let k = s.keySchema, let v = s.valueSchema else { return s }
            let pk = try preProcessSchema(k), pv = try preProcessSchema(v)
            if config.compactMapEntries && k.type == .string {
                return try basics(s, SchemaBuilder.map(pk, pv)).build()
            }
            let name = (k.name ?? k.type.description) + "-" + (v.name ?? v.type.description)
            let entry = try SchemaBuilder.struct().name(name).field("key", pk).field("value", pv).build()
            return try basics(s, SchemaBuilder.array(entry)).build()
        case .struct:
            var b = SchemaBuilder.struct()
            if let n = s.name { b = b.name(n) }
            b = try basics(s, b)
            for f in s.fields { b = b.field(f.name, try preProcessSchema(f.schema)) }
            return try b.build()
        default:
            return s
        }
    }

    private func basics(_ source: Schema, _ target: SchemaBuilder) throws -> SchemaBuilder {
        var t = target
        if source.isOptional { t = t.optional() }
        if let d = source.defaultValue, source.type != .struct {
            let processed = try t.build()
            t = t.defaultValue(try preProcessValue(d, source, processed))
        }
        return t
    }

    func preProcessValue(_ value: Value, _ schema: Schema, _ newSchema: Schema) throws -> Value {
        if case .null = value {
            if let d = schema.defaultValue { return d }
            if schema.isOptional { return .null }
            throw DataError("null value for field that is required and has no default value")
        }
        switch (schema.logicalType, value) {
        case (.decimal?, .decimal(let d)): return .float64(d.doubleValue)
        case (.date?, _), (.time?, _), (.timestamp?, _): return value
        default: break
        }
        switch (schema.type, value) {
        case (.array, .array(let items)):
            guard let es = schema.valueSchema, let nes = newSchema.valueSchema else { return value }
            return .array(try items.map { try preProcessValue($0, es, nes) })
        case (.map, .map(let m)):
            guard let ks = schema.keySchema, let vs = schema.valueSchema else { return value }
            if config.compactMapEntries && ks.type == .string, let nk = newSchema.keySchema, let nv = newSchema.valueSchema {
                return .map(MapValue(entries: try m.entries.map { MapEntry(key: try preProcessValue($0.key, ks, nk), value: try preProcessValue($0.value, vs, nv)) }))
            }
            guard let entrySchema = newSchema.valueSchema, let nk = entrySchema.field("key")?.schema, let nv = entrySchema.field("value")?.schema else { return value }
            return .array(try m.entries.map { e in
                .struct(Struct(unchecked: entrySchema, values: [try preProcessValue(e.key, ks, nk), try preProcessValue(e.value, vs, nv)]))
            })
        case (.struct, .struct(let st)):
            // The processed schema has the same fields in the same order.
            var values: [Value] = []
            values.reserveCapacity(schema.fields.count)
            for (f, nf) in zip(schema.fields, newSchema.fields) {
                values.append(try preProcessValue(st.get(f), f.schema, nf.schema))
            }
            return .struct(Struct(unchecked: newSchema, values: values))
        default:
            return value
        }
    }

    /// Data streams: the payload must be an object; `@timestamp` is the record's timestamp, or the
    /// text of the first `data.stream.timestamp.field` present (replaced in place, else appended).
    private func addTimestamp(_ payload: [UInt8], _ r: SinkRecord) throws -> [UInt8] {
        let node = try JSONValue.parse(payload)
        guard case .object(var members) = node else {
            throw DataError("Top level payload contains data of Json type \(node.nodeType). Required Json object.")
        }
        let stamp: JSONValue
        if config.dataStreamTimestampFields.isEmpty {
            stamp = r.timestamp.map { .number(String($0)) } ?? .null
        } else if let field = config.dataStreamTimestampFields.first(where: { f in members.contains { $0.key == f } }),
                  let v = members.last(where: { $0.key == field })?.value {
            stamp = .string(Self.asText(v))
        } else {
            return payload
        }
        if let i = members.firstIndex(where: { $0.key == "@timestamp" }) { members[i].value = stamp } else { members.append((key: "@timestamp", value: stamp)) }
        return Array(JSONValue.object(members).description.utf8)
    }

    /// Jackson's `asText()`: a string's text, a number's or boolean's literal, `null`; `""` for containers.
    static func asText(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): s
        case .number(let n): n
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        case .array, .object: ""
        }
    }
}
