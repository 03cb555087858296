import ConnectKit

/// Which columns a record writes and where each value comes from (Confluent's `FieldsMetadata`),
/// decided once per key/value schema pair.
struct FieldsMetadata: Sendable {
    enum Source: Sendable, Hashable {
        case kafkaTopic, kafkaPartition, kafkaOffset
        /// The whole (primitive) key.
        case key
        /// A field of a struct key (or an entry of a map key).
        case keyField(String)
        /// A field of a struct value (or an entry of a map value).
        case valueField(String)
        /// A field of a struct key, by position (the key schema is known).
        case keyStructField(Field)
        /// A field of a struct value, by position (the value schema is known).
        case valueStructField(Field)
    }

    struct Column: Sendable {
        var name: String
        /// The column's Connect schema (nil for schemaless values: the table's type decides).
        var schema: Schema?
        var source: Source
        var isKey: Bool
    }

    /// Every column in Confluent's order: Kafka coordinates first, then value fields in schema
    /// order, then key fields not in the value, sorted.
    let columns: [Column]
    /// The key columns, in column order (kept: they are read for every record).
    let keyColumns: [Column]
    /// The other columns, in column order.
    let nonKeyColumns: [Column]
    /// Where the key columns are in ``columns``.
    let keyIndexes: [Int]

    init(columns: [Column]) {
        self.columns = columns
        keyColumns = columns.filter(\.isKey)
        keyIndexes = columns.indices.filter { columns[$0].isKey }
        nonKeyColumns = columns.filter { !$0.isKey }
    }

    static func error(_ message: String) -> ConnectError { ConnectError(message) }

    /// - Throws: ``ConnectError`` with Confluent's messages for keys and schemas that do not fit `pk.mode`.
    static func extract(
        table: String, settings s: JdbcSinkSettings, keySchema: Schema?, key: Value, valueSchema: Schema?, value: Value, tableColumns: [SQLColumn]?
    ) throws -> FieldsMetadata {
        var keyColumns: [Column] = []
        let mode = s.pkMode.rawValue
        switch s.pkMode {
        case .none:
            break
        case .kafka:
            var names = ["__connect_topic", "__connect_partition", "__connect_offset"]
            if !s.pkFields.isEmpty {
                guard s.pkFields.count == 3 else {
                    throw error("PK mode for table '\(table)' is \(mode) so there should either be no field names defined for defaults \(javaList(names)) to be applicable, or exactly 3, defined fields are: \(javaList(s.pkFields))")
                }
                names = s.pkFields
            }
            keyColumns = [
                Column(name: names[0], schema: .string, source: .kafkaTopic, isKey: true),
                Column(name: names[1], schema: .int32, source: .kafkaPartition, isKey: true),
                Column(name: names[2], schema: .int64, source: .kafkaOffset, isKey: true),
            ]
        case .recordKey:
            if let ks = keySchema {
                if ks.type == .struct {
                    let names = s.pkFields.isEmpty ? ks.fields.map(\.name) : s.pkFields
                    for n in names {
                        guard let f = ks.field(n) else {
                            throw error("PK mode for table '\(table)' is \(mode) with configured PK fields \(javaList(s.pkFields)), but record key schema does not contain field: \(n)")
                        }
                        keyColumns.append(Column(name: n, schema: f.schema, source: .keyStructField(f), isKey: true))
                    }
                } else if ks.type.isPrimitive {
                    guard s.pkFields.count == 1 else {
                        throw error("Need exactly one PK column defined since the key schema for records is a primitive type, defined columns are: \(javaList(s.pkFields))")
                    }
                    keyColumns = [Column(name: s.pkFields[0], schema: ks, source: .key, isKey: true)]
                } else {
                    throw error("Key schema must be primitive type or Struct, but is of type: \(ks.type)")
                }
            } else if case .map(let m) = key {
                let names = s.pkFields.isEmpty ? m.entries.compactMap { $0.key.stringValue } : s.pkFields
                keyColumns = names.map { Column(name: $0, schema: nil, source: .keyField($0), isKey: true) }
            } else if !key.isNull, s.pkFields.count == 1 {
                keyColumns = [Column(name: s.pkFields[0], schema: nil, source: .key, isKey: true)]
            } else {
                throw error("PK mode for table '\(table)' is \(mode), but record key schema is missing")
            }
        case .recordValue:
            if let vs = valueSchema {
                guard vs.type == .struct else { throw error("Value schema must be of type Struct") }
                let names = s.pkFields.isEmpty ? vs.fields.map(\.name) : s.pkFields
                for n in names {
                    guard let f = vs.field(n) else {
                        throw error("PK mode for table '\(table)' is \(mode) with configured PK fields \(javaList(s.pkFields)), but record value schema does not contain field: \(n)")
                    }
                    keyColumns.append(Column(name: n, schema: f.schema, source: .valueStructField(f), isKey: true))
                }
            } else if case .map = value, !s.pkFields.isEmpty {
                keyColumns = s.pkFields.map { Column(name: $0, schema: nil, source: .valueField($0), isKey: true) }
            } else {
                throw error("PK mode for table '\(table)' is \(mode), but record value schema is missing")
            }
        }
        let keyNames = Set(keyColumns.map(\.name))
        var valueColumns: [Column] = []
        if let vs = valueSchema {
            guard vs.type == .struct else { throw error("Value schema must be of type Struct") }
            for f in vs.fields where !keyNames.contains(f.name) && (s.fieldsWhitelist.isEmpty || s.fieldsWhitelist.contains(f.name)) {
                valueColumns.append(Column(name: f.name, schema: f.schema, source: .valueStructField(f), isKey: false))
            }
        } else if case .map(let m) = value {
            // Schemaless: the table must exist; its columns give the types.
            guard let tableColumns, !tableColumns.isEmpty else {
                throw error("Table '\(table)' does not exist: a record without a value schema (a map) can only be written to an existing table, whose columns give the types")
            }
            let known = Set(tableColumns.map(\.name))
            for entry in m.entries {
                guard let name = entry.key.stringValue else { throw error("Map key \(entry.key) of a record for table '\(table)' is not a string") }
                guard !keyNames.contains(name), s.fieldsWhitelist.isEmpty || s.fieldsWhitelist.contains(name) else { continue }
                guard known.contains(name) else {
                    throw error("Field '\(name)' of a schemaless record has no column in table '\(table)' (columns: \(tableColumns.map(\.name).joined(separator: ", ")))")
                }
                valueColumns.append(Column(name: name, schema: nil, source: .valueField(name), isKey: false))
            }
        } else if !value.isNull {
            throw error("Value schema must be of type Struct")
        }
        // Kafka coordinates first, value fields in order (keys from the value in place), the
        // remaining key fields sorted.
        var columns: [Column] = []
        if s.pkMode == .kafka { columns = keyColumns }
        if s.pkMode == .recordValue, let vs = valueSchema {
            for f in vs.fields {
                if let k = keyColumns.first(where: { $0.name == f.name }) {
                    columns.append(k)
                } else if let v = valueColumns.first(where: { $0.name == f.name }) {
                    columns.append(v)
                }
            }
            columns += keyColumns.filter { k in !columns.contains { $0.name == k.name } }
        } else {
            columns += valueColumns
            if s.pkMode == .recordKey || s.pkMode == .recordValue {
                columns += keyColumns.filter { k in !columns.contains { $0.name == k.name } }.sorted { $0.name < $1.name }
            }
        }
        if columns.isEmpty { throw error("No fields found using key and value schemas for table: \(table)") }
        return FieldsMetadata(columns: columns)
    }

    static func javaList(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }

    /// The value of `column` in `record`.
    static func value(_ column: Column, of record: SinkRecord) throws -> Value {
        switch column.source {
        case .kafkaTopic: return .string(record.topic)
        case .kafkaPartition: return .int32(record.kafkaPartition ?? 0)
        case .kafkaOffset: return .int64(record.kafkaOffset)
        case .key: return record.key
        case .keyField(let n): return try field(n, of: record.key, what: "key")
        case .valueField(let n): return try field(n, of: record.value, what: "value")
        case .keyStructField(let f): return try field(f, of: record.key, what: "key")
        case .valueStructField(let f): return try field(f, of: record.value, what: "value")
        }
    }

    /// A field by position: the metadata was made for this record's schema (it is rebuilt when the
    /// schema changes), so the field's index is the value's.
    private static func field(_ f: Field, of value: Value, what: String) throws -> Value {
        switch value {
        case .struct(let s): return s.get(f)
        case .null: return .null
        default: return try field(f.name, of: value, what: what)
        }
    }

    private static func field(_ name: String, of value: Value, what: String) throws -> Value {
        switch value {
        case .struct(let s): return try s.get(name)
        case .map(let m): return m.entries.last { $0.key.stringValue == name }?.value ?? .null
        case .null: return .null
        default: throw ConnectError("The record \(what) is not a struct or map; cannot read field '\(name)'")
        }
    }
}

extension SchemaType {
    var isPrimitive: Bool {
        switch self {
        case .array, .map, .struct: false
        default: true
        }
    }
}
