public import ConnectKit
import ConnectRuntime

/// The task of ``JdbcSinkConnector`` (Confluent's `JdbcSinkTask` + `JdbcDbWriter` +
/// `BufferedRecords`). Each ``put(_:)`` is written before it returns: records are grouped per
/// table and operation, written in multi-row statements of up to `batch.size` rows inside one
/// transaction per group, so a crash never leaves half a batch and re-delivery of an upserted
/// batch is harmless.
public final class JdbcSinkTask: SinkTask {
    private var context: (any SinkTaskContext)?
    private var settings: JdbcSinkSettings?
    private var connection: (any SQLConnection)?
    private var tables: [String: TableState] = [:]
    /// The table of each topic seen (`table.name.format` applied once per topic).
    private var byTopic: [String: TableState] = [:]
    private var remainingRetries = 0

    public required init() {}
    public var version: String { ConnectKitVersion.current }
    public func initialize(context: any SinkTaskContext) { self.context = context }

    public func start(_ config: [String: String]) async throws {
        let s = try JdbcSinkSettings(config)
        settings = s
        remainingRetries = s.maxRetries
    }

    /// What the task knows of one destination table.
    final class TableState {
        let id: TableID
        var columns: [SQLColumn] = []
        var metadata: FieldsMetadata?
        var keySchema: Schema?
        var valueSchema: Schema?
        var schemaless = false
        /// The columns of the table's PostgreSQL staging table on this connection (nil: none yet).
        var stagedColumns: [String]?
        /// The staging table (temporary: one per session, named per task and table).
        let stage = TableID(name: "ck_stage_\(UInt32.random(in: 0...UInt32.max))")
        init(id: TableID) { self.id = id }
    }

    enum Operation: Equatable { case write, delete }

    struct Pending {
        var record: SinkRecord
        var cells: [SQLCell]
        var keyCells: [SQLCell]
    }

    private func connect(_ s: JdbcSinkSettings) async throws -> any SQLConnection {
        if let connection { return connection }
        let c = try await JDBCConnectionConfig.connect(s.connection)
        connection = c
        return c
    }

    public func put(_ records: [SinkRecord]) async throws {
        guard let s = settings, !records.isEmpty else { return }
        let connection = try await connect(s)
        var failed: [(SinkRecord, any Error)] = []
        do {
            try await interruptible(connection) {
                failed = try write(records, s, connection)
            }
            remainingRetries = s.maxRetries
        } catch let e as SQLError where e.isRetriable || e.kind == .interrupted {
            connection.close()
            self.connection = nil
            tables = [:]
            byTopic = [:]
            if Task.isCancelled { throw e }
            guard remainingRetries > 0 else {
                throw ConnectError("Exceeded max.retries=\(s.maxRetries) writing to \(e.location): \(e)")
            }
            remainingRetries -= 1
            context?.timeout(milliseconds: s.retryBackoffMillis)
            throw RetriableError("Write of \(records.count) records failed, \(remainingRetries) retries left", underlying: e)
        }
        for (record, error) in failed {
            try await report(record, error)
        }
    }

    private func report(_ record: SinkRecord, _ error: any Error) async throws {
        let where_ = "topic='\(record.topic)',partition=\(record.kafkaPartition ?? 0),offset=\(record.kafkaOffset)"
        guard let reporter = context?.errantRecordReporter else {
            throw ConnectError("Record at (\(where_)) could not be written: \(error)")
        }
        try await reporter.report(record, error: ConnectError("Record at (\(where_)) could not be written: \(error)"))
    }

    /// Writes every record; returns those the database (or the mapping) rejected, with why.
    private func write(_ records: [SinkRecord], _ s: JdbcSinkSettings, _ connection: any SQLConnection) throws -> [(SinkRecord, any Error)] {
        var failed: [(SinkRecord, any Error)] = []
        var groups: [Group] = []
        var pending: [Pending] = []
        var pendingTable: TableState?
        var pendingOperation = Operation.write
        let binder = ValueBinder(kind: connection.dialect.kind, temporal: SQLTemporal(zone: s.connection.zone))

        // First every record becomes a row of a group (per table, operation and batch.size), with
        // DDL (auto.create, auto.evolve) run as needed; then all groups are written in ONE
        // transaction, so a retried put never finds part of itself already committed.
        func flush() throws {
            if let t = pendingTable, let metadata = t.metadata, !pending.isEmpty {
                groups.append(Group(table: t, metadata: metadata, operation: pendingOperation, rows: pending))
            }
            pending = []
        }

        for record in records {
            let state: TableState
            if let known = byTopic[record.topic] {
                state = known
            } else {
                let name = s.tableNameFormat.replacing("${topic}", with: record.topic)
                state = tables[name] ?? TableState(id: JdbcSinkTask.tableID(name, kind: connection.dialect.kind))
                tables[name] = state
                byTopic[record.topic] = state
            }
            let name = state.id.description
            let operation: Operation = record.value.isNull ? .delete : .write
            if operation == .delete && !s.deleteEnabled {
                failed.append((record, ConnectError(
                    "Sink connector '\(s.connectorName)' is configured with 'delete.enabled=false' and 'pk.mode=\(s.pkMode.rawValue)' and therefore requires records with a non-null Struct value and non-null Struct schema, but found record at (topic='\(record.topic)',partition=\(record.kafkaPartition ?? 0),offset=\(record.kafkaOffset),timestamp=\(record.timestamp ?? -1)) with a null value and \(record.valueSchema.map { "\($0.type)" } ?? "null") value schema.")))
                continue
            }
            do {
                // A new key/value schema: write what is pending first, then fit the table to it.
                let valueSchema = operation == .delete ? state.valueSchema : record.valueSchema
                if state.metadata == nil || record.keySchema != state.keySchema || valueSchema != state.valueSchema
                    || (record.valueSchema == nil && operation == .write)
                {
                    if state.columns.isEmpty { state.columns = try connection.columns(of: state.id) }
                    if operation == .delete && state.columns.isEmpty { continue }  // no table: nothing to delete
                    let metadata = try FieldsMetadata.extract(
                        table: name, settings: s, keySchema: record.keySchema, key: record.key, valueSchema: valueSchema,
                        value: operation == .delete ? .null : record.value, tableColumns: state.columns)
                    if pendingTable === state, state.metadata?.columns.map(\.name) != metadata.columns.map(\.name) { try flush() }
                    if record.valueSchema != nil && operation == .write { try ensureTable(state, metadata, s, connection) }
                    state.metadata = metadata
                    state.keySchema = record.keySchema
                    state.valueSchema = valueSchema
                }
                guard let metadata = state.metadata else { continue }
                if pendingTable !== state || pendingOperation != operation {
                    try flush()
                    pendingTable = state
                    pendingOperation = operation
                }
                let columns = operation == .delete ? metadata.keyColumns : metadata.columns
                var cells: [SQLCell] = []
                cells.reserveCapacity(columns.count)
                for c in columns {
                    cells.append(try binder.cell(try FieldsMetadata.value(c, of: record), schema: c.schema, field: c.name))
                }
                // Key cells (upsert de-duplication, update and delete keys) from the row's own.
                let keyCells: [SQLCell] =
                    operation == .delete ? cells : s.insertMode == .insert ? [] : metadata.keyIndexes.map { cells[$0] }
                pending.append(Pending(record: record, cells: cells, keyCells: keyCells))
                if pending.count >= s.batchSize { try flush() }
            } catch let e as SQLError where !e.isRecordError {
                throw e
            } catch {
                failed.append((record, error))
            }
        }
        try flush()
        for g in groups where g.rows.count >= 64 && s.insertMode == .upsert && g.operation == .write && connection is any SQLBulkLoading {
            try prepareStage(g.table, g.metadata, connection)
        }
        try connection.transaction {
            for g in groups { failed += try writeGroup(g, s, connection) }
        }
        return failed
    }

    /// A group of rows written together: one table, one operation, one column set.
    struct Group {
        let table: TableState
        let metadata: FieldsMetadata
        let operation: Operation
        let rows: [Pending]
    }

    /// PostgreSQL upserts stage rows in a temporary table of the written columns (types only, no
    /// constraints), created outside the put's transaction so a rollback never takes it away, and
    /// made again when the columns change (auto.evolve, another value schema).
    private func prepareStage(_ table: TableState, _ metadata: FieldsMetadata, _ connection: any SQLConnection) throws {
        let columns = metadata.columns.map(\.name)
        guard table.stagedColumns != columns else { return }
        let d = connection.dialect
        let stage = d.quote(table.stage)
        try connection.execute("DROP TABLE IF EXISTS \(stage)")
        try connection.execute("CREATE TEMPORARY TABLE \(stage) AS SELECT \(columns.map(d.quote).joined(separator: ",")) FROM \(d.quote(table.id)) WITH NO DATA")
        table.stagedColumns = columns
    }

    /// `table.name.format`'s result as a table id: dotted parts (`schema.table`, `db.table`)
    /// unless the name has quote characters, then the whole name is the table.
    static func tableID(_ name: String, kind: JDBCURL.Kind) -> TableID {
        guard !name.contains("\""), !name.contains("`"), kind != .sqlite else { return TableID(name: name) }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: return TableID(name: name)
        case 2: return kind == .mysql ? TableID(catalog: parts[0], name: parts[1]) : TableID(schema: parts[0], name: parts[1])
        default: return TableID(catalog: parts[0], schema: parts[1], name: parts[2...].joined(separator: "."))
        }
    }

    /// Creates the table (`auto.create`) or adds missing columns (`auto.evolve`), as Confluent's `DbStructure`.
    private func ensureTable(_ state: TableState, _ metadata: FieldsMetadata, _ s: JdbcSinkSettings, _ connection: any SQLConnection) throws {
        let d = connection.dialect
        if state.columns.isEmpty {
            guard s.autoCreate else { throw ConnectError("Table \(d.quote(state.id)) is missing and auto-creation is disabled") }
            var columns: [(name: String, schema: Schema)] = []
            for c in metadata.columns {
                guard let schema = c.schema else { throw ConnectError("Cannot create table \(state.id) from a record without a schema") }
                columns.append((c.name, schema))
            }
            let sql = try d.createTable(state.id, columns: columns, primaryKey: metadata.keyColumns.map(\.name))
            try connection.execute(sql)
            state.columns = try connection.columns(of: state.id)
            return
        }
        let existing = Set(state.columns.map(\.name))
        let existingLower = Set(state.columns.map { $0.name.lowercased() })
        let missing = metadata.columns.filter { !existing.contains($0.name) && !existingLower.contains($0.name.lowercased()) }
        guard !missing.isEmpty else { return }
        for c in missing where !(c.schema?.isOptional ?? true) && c.schema?.defaultValue == nil {
            throw ConnectError("Cannot ALTER TABLE \(d.quote(state.id)) to add missing field \(c.name), as the field is not optional and does not have a default value")
        }
        guard s.autoEvolve else {
            throw ConnectError("Table \(d.quote(state.id)) is missing fields (\(missing.map(\.name).joined(separator: ", "))) and auto-evolution is disabled")
        }
        for sql in try d.addColumns(state.id, columns: missing.compactMap { c in c.schema.map { (c.name, $0) } }) {
            try connection.execute(sql)
        }
        state.columns = try connection.columns(of: state.id)
    }

    /// Writes one group inside the put's transaction, under a savepoint. If a row is refused
    /// (constraint, value that does not fit), the group is rolled back to its savepoint and written
    /// row by row, each under a savepoint of its own: the refused rows are returned, the others kept.
    private func writeGroup(_ g: Group, _ s: JdbcSinkSettings, _ connection: any SQLConnection) throws -> [(SinkRecord, any Error)] {
        try connection.execute("SAVEPOINT ck_group")
        do {
            try run(g.rows, table: g.table, metadata: g.metadata, operation: g.operation, s, connection)
            try connection.execute("RELEASE SAVEPOINT ck_group")
            return []
        } catch let e as SQLError where e.isRecordError {
            try connection.execute("ROLLBACK TO SAVEPOINT ck_group")
            var failed: [(SinkRecord, any Error)] = []
            for row in g.rows {
                try connection.execute("SAVEPOINT ck_row")
                do {
                    try run([row], table: g.table, metadata: g.metadata, operation: g.operation, s, connection)
                    try connection.execute("RELEASE SAVEPOINT ck_row")
                } catch let e as SQLError where e.isRecordError {
                    try connection.execute("ROLLBACK TO SAVEPOINT ck_row")
                    try connection.execute("RELEASE SAVEPOINT ck_row")
                    failed.append((row.record, e))
                }
            }
            try connection.execute("RELEASE SAVEPOINT ck_group")
            return failed
        }
    }

    private func run(_ rows: [Pending], table: TableState, metadata: FieldsMetadata, operation: Operation, _ s: JdbcSinkSettings, _ connection: any SQLConnection) throws {
        let d = connection.dialect
        let keys = metadata.keyColumns.map(\.name)
        switch (operation, s.insertMode) {
        case (.delete, _):
            guard !keys.isEmpty else { throw ConnectError("Require primary keys to support delete") }
            let sql = d.delete(table.id, keys: keys)
            for r in rows { try connection.run(sql, r.keyCells) }
        case (.write, .update):
            let nonKey = metadata.nonKeyColumns.map(\.name)
            let sql = d.update(table.id, set: nonKey, keys: keys)
            let nonKeyIndexes = metadata.columns.indices.filter { !metadata.columns[$0].isKey }
            for r in rows { try connection.run(sql, nonKeyIndexes.map { r.cells[$0] } + r.keyCells) }
        case (.write, .insert), (.write, .upsert):
            let upsert = s.insertMode == .upsert
            if upsert && keys.isEmpty {
                throw ConnectError("Write to table '\(table.id)' in UPSERT mode requires key field names to be known, check the primary key configuration")
            }
            var batch = rows
            if upsert {
                // One statement may not touch a row twice (PostgreSQL): the last record per key wins.
                var last: [[SQLCell]: Int] = [:]
                for (i, r) in rows.enumerated() { last[r.keyCells] = i }
                if last.count < rows.count { batch = rows.enumerated().filter { last[$0.element.keyCells] == $0.offset }.map(\.element) }
            }
            let columns = metadata.columns.map(\.name)
            // PostgreSQL: large batches go through COPY — straight into the table for inserts, into
            // a temporary staging table then one INSERT … SELECT … ON CONFLICT for upserts.
            if let loader = connection as? any SQLBulkLoading, batch.count >= 64, !upsert || table.stagedColumns == columns {
                if !upsert {
                    _ = try loader.copyRows(table.id, columns: columns, rows: batch.map(\.cells))
                    return
                }
                let stage = table.stage
                _ = try loader.copyRows(stage, columns: columns, rows: batch.map(\.cells))
                let list = columns.map(d.quote).joined(separator: ",")
                let others = columns.filter { !keys.contains($0) }
                var sql = "INSERT INTO \(d.quote(table.id)) (\(list)) SELECT \(list) FROM \(d.quote(stage)) ON CONFLICT (" + keys.map(d.quote).joined(separator: ",") + ")"
                sql += others.isEmpty ? " DO NOTHING" : " DO UPDATE SET " + others.map { "\(d.quote($0))=EXCLUDED.\(d.quote($0))" }.joined(separator: ",")
                try connection.execute(sql)
                try connection.execute("TRUNCATE \(d.quote(stage))")
                return
            }
            // SQLite: one cached single-row statement per row is its fastest path; the servers
            // take multi-row statements (one round trip per chunk).
            let perStatement = d.kind == .sqlite ? 1 : max(1, min(s.batchSize, d.maxParameters / max(1, columns.count)))
            var start = 0
            while start < batch.count {
                let end = min(batch.count, start + perStatement)
                let sql = d.insert(table.id, columns: columns, rows: end - start, upsertKeys: upsert ? keys : nil)
                var params: [SQLCell] = []
                params.reserveCapacity((end - start) * columns.count)
                for r in batch[start..<end] { params += r.cells }
                try connection.run(sql, params)
                start = end
            }
        }
    }

    public func stop() async throws {
        connection?.close()
        connection = nil
    }
}
