import ConnectKit
import Logging

/// One table (or the query) of a source task: builds the mode's statement, keeps its offset, and
/// reads the open result in `batch.max.rows` slices (Confluent's `TableQuerier` family).
final class TableQuerier {
    let settings: JdbcSourceSettings
    let table: TableID?
    let topic: String
    let partition: [String: Value]
    /// Where the offset may also be stored (Confluent's legacy `{"table": name}` partition).
    let legacyPartition: [String: Value]?
    private(set) var incrementingColumn: String?
    private(set) var offset: Offset
    let temporal: SQLTemporal
    /// Next time (monotonic milliseconds) this querier may run its statement again.
    var nextPollAt: Int64 = 0

    private var cursor: (any SQLCursor)?
    private var readers: [(index: Int, reader: ColumnReader, field: String)] = []
    private var schema: Schema?
    private var schemaColumns: [SQLColumn] = []
    private var incrementingIndex: Int?
    private var timestampIndexes: [Int] = []
    private var nullability: [String: Bool] = [:]
    /// Timestamp mode reads one row ahead (Confluent's `TimestampTableQuerier`): a row's offset
    /// advances to its timestamp only when the next row is strictly later.
    private var lookahead: (values: [SQLCell], nanos: Int64?)?
    /// SQLite timestamps are compared as stored: epoch-millisecond integers or text.
    private var sqliteTimestampStyle: SQLiteTimestampStyle?
    private let logger = Logger(label: "connectkit.jdbc.source")

    /// A source offset: Confluent's `TimestampIncrementingOffset`.
    struct Offset: Sendable, Hashable {
        var incrementing: Int64?
        /// Nanoseconds since the epoch.
        var timestampNanos: Int64?

        /// `{"incrementing": id, "timestamp": ms, "timestamp_nanos": nanos of the second}`.
        var map: [String: Value] {
            var m: [String: Value] = [:]
            if let incrementing { m["incrementing"] = .int64(incrementing) }
            if let t = timestampNanos {
                let millis = JavaCalendar.floorDiv(t, 1_000_000)
                m["timestamp"] = .int64(millis)
                m["timestamp_nanos"] = .int64(t - JavaCalendar.floorDiv(t, 1_000_000_000) * 1_000_000_000)
            }
            return m
        }

        init(incrementing: Int64? = nil, timestampNanos: Int64? = nil) {
            self.incrementing = incrementing
            self.timestampNanos = timestampNanos
        }

        /// Reads a stored offset: `timestamp_nanos` (when present) replaces the fraction of the
        /// second of `timestamp`, as `java.sql.Timestamp.setNanos`.
        init(_ map: [String: Value]) {
            incrementing = map["incrementing"]?.int64Value
            if let millis = map["timestamp"]?.int64Value {
                var nanos = millis * 1_000_000
                if let n = map["timestamp_nanos"]?.int64Value {
                    nanos = JavaCalendar.floorDiv(millis, 1000) * 1_000_000_000 + n
                }
                timestampNanos = nanos
            }
        }
    }

    init(settings: JdbcSourceSettings, table: TableID?, offset: Offset) {
        self.settings = settings
        self.table = table
        self.offset = offset
        temporal = SQLTemporal(zone: settings.connection.zone)
        if let table {
            topic = settings.topicPrefix + table.name
            if settings.mode == .bulk {
                partition = ["table": .string(table.name)]
                legacyPartition = nil
            } else {
                partition = ["protocol": .string("1"), "table": .string(table.description)]
                legacyPartition = ["table": .string(table.name)]
            }
        } else {
            topic = settings.topicPrefix
            partition = ["query": .string("query")]
            legacyPartition = nil
        }
        if settings.mode == .incrementing || settings.mode == .timestampIncrementing {
            incrementingColumn = settings.incrementingColumn.isEmpty ? nil : settings.incrementingColumn
        }
    }

    var isReading: Bool { cursor != nil }

    /// Checks the table against the mode before the first query (Confluent's
    /// `validateNonNullable`/`validateColumnsExist`), and finds the auto-increment column when
    /// `incrementing.column.name` is empty.
    func prepare(_ connection: any SQLConnection) throws {
        guard let table else { return }
        let columns = try connection.columns(of: table)
        guard !columns.isEmpty else { throw SQLError(.statement, "Table \(table) does not exist or has no columns", location: connection.location) }
        for c in columns { nullability[c.name] = c.nullable }
        let mode = settings.mode
        if mode == .incrementing || mode == .timestampIncrementing {
            if incrementingColumn == nil {
                incrementingColumn = columns.first(where: \.autoIncrement)?.name
                if incrementingColumn == nil {
                    logger.warning("Table \(table) has no auto-increment column and incrementing.column.name is empty: every poll reads the whole table again, as Confluent's connector does. Set incrementing.column.name.")
                }
            }
            if let inc = incrementingColumn {
                guard let c = columns.first(where: { $0.name == inc }) else {
                    throw ConfigError(key: "incrementing.column.name", message: "Incrementing column: \(inc) does not exist in table '\(table)'")
                }
                if settings.validateNonNull && c.nullable != false {
                    throw ConnectError("Cannot make incremental queries using incrementing column \(inc) on \(table) because this column is nullable.")
                }
            }
        }
        if mode == .timestamp || mode == .timestampIncrementing {
            let missing = settings.timestampColumns.filter { name in !columns.contains { $0.name == name } }
            if !missing.isEmpty {
                throw ConfigError(key: "timestamp.column.name", message: "Timestamp columns: \(missing.joined(separator: ", ")) do not exist in table '\(table)'")
            }
            if settings.validateNonNull && settings.timestampColumns.allSatisfy({ name in columns.first { $0.name == name }?.nullable != false }) {
                throw ConnectError("Cannot make incremental queries using timestamp columns \(settings.timestampColumns.joined(separator: ",")) on \(table) because all of these columns are nullable.")
            }
        }
    }

    // MARK: - The statement

    private func column(_ name: String, _ d: Dialect) -> String {
        guard let table else { return d.quote(name) }
        return d.quote(table) + "." + d.quote(name)
    }

    private func timestampExpression(_ d: Dialect) -> String {
        let cols = settings.timestampColumns.map { column($0, d) }
        return cols.count == 1 ? cols[0] : "COALESCE(" + cols.joined(separator: ",") + ")"
    }

    /// The statement and its parameters, as Confluent's `TimestampIncrementingCriteria` writes them.
    func statement(_ connection: any SQLConnection) throws -> (String, [SQLCell]) {
        let d = connection.dialect
        var sql = table.map { "SELECT * FROM " + d.quote($0) } ?? (settings.query ?? "")
        var params: [SQLCell] = []
        var p = 0
        func param(_ cell: SQLCell) -> String {
            p += 1
            params.append(cell)
            return d.parameter(p)
        }
        let mode = settings.mode
        switch mode {
        case .bulk:
            break
        case .incrementing:
            if let inc = incrementingColumn {
                let c = column(inc, d)
                sql += " WHERE \(c) > \(param(.integer(offset.incrementing ?? -1))) ORDER BY \(c) ASC"
            }
        case .timestamp, .timestampIncrementing:
            let ts = timestampExpression(d)
            if d.kind == .sqlite, sqliteTimestampStyle == nil, let table {
                // Looked for until the table has a row: an empty table says nothing of the form.
                sqliteTimestampStyle = try SQLiteTimestampStyle.detect(connection, table: table, columns: settings.timestampColumns)
            }
            let end = try connection.currentTimeNanos() - settings.timestampDelayMillis * 1_000_000
            let begin = offset.timestampNanos ?? 0
            let endCell = timestampCell(end, kind: d.kind)
            let beginCell = timestampCell(begin, kind: d.kind)
            if mode == .timestamp || incrementingColumn == nil {
                sql += " WHERE \(ts) > \(param(beginCell)) AND \(ts) < \(param(endCell)) ORDER BY \(ts) ASC"
            } else {
                let inc = column(incrementingColumn!, d)
                sql += " WHERE \(ts) < \(param(endCell)) AND ((\(ts) = \(param(beginCell)) AND \(inc) > \(param(.integer(offset.incrementing ?? -1)))) OR \(ts) > \(param(beginCell))) ORDER BY \(ts),\(inc) ASC"
            }
        }
        if !settings.querySuffix.isEmpty { sql += " " + settings.querySuffix }
        return (sql, params)
    }

    private func timestampCell(_ nanos: Int64, kind: JDBCURL.Kind) -> SQLCell {
        if kind == .sqlite, let style = sqliteTimestampStyle { return style.cell(nanos, temporal: temporal) }
        // PostgreSQL: with the zone's offset, so a timestamptz column compares the instant (a
        // timestamp column ignores the offset and compares the wall time in db.timezone).
        return .text(temporal.formatTimestamp(nanos: nanos, withOffset: kind == .postgresql))
    }

    // MARK: - Reading

    /// Starts the statement (the result stays open across polls until read to its end).
    func start(_ connection: any SQLConnection) throws {
        if table != nil, nullability.isEmpty { try prepare(connection) }
        let (sql, params) = try statement(connection)
        let c = try connection.query(sql, params)
        cursor = c
        try buildSchema(c.columns, dialect: connection.dialect)
    }

    private func buildSchema(_ columns: [SQLColumn], dialect: Dialect) throws {
        if schema != nil, columns == schemaColumns { return }
        var builder = SchemaBuilder.struct()
        if let table { builder = builder.name(table.name) }
        readers = []
        for (i, var c) in columns.enumerated() {
            if c.nullable == nil, let n = nullability[c.name] { c.nullable = n }
            guard let (reader, fieldSchema) = ColumnReader.forColumn(c, numericMapping: settings.numericMapping) else {
                // Skipped, as Confluent's connector skips a JDBC type it does not support — and says so.
                logger.warning("Column \(c.name) (\(c.typeName)) of \(table?.description ?? "the query") has a type with no Connect schema; it is left out of the records")
                continue
            }
            builder = builder.field(c.name, fieldSchema)
            readers.append((i, reader, c.name))
        }
        schema = try builder.build()
        schemaColumns = columns
        incrementingIndex = incrementingColumn.flatMap { name in columns.firstIndex { $0.name == name } }
        timestampIndexes = settings.timestampColumns.compactMap { name in columns.firstIndex { $0.name == name } }
    }

    /// Reads up to `max` rows as records; `finished` is true when the result ended (the cursor
    /// is then closed and the querier waits `poll.interval.ms`).
    func read(max: Int) throws -> (records: [SourceRecord], finished: Bool) {
        guard let cursor, let schema else { return ([], true) }
        var records: [SourceRecord] = []
        records.reserveCapacity(min(max, 1024))
        let mode = settings.mode
        var ended = false
        // Worked on copies, kept only when the records are returned: if reading fails half way,
        // the next statement starts after the last row actually handed out.
        var offset = self.offset
        var lookahead = self.lookahead
        while records.count < max && !ended {
            let row: [SQLCell]
            let rowNanos: Int64?
            if mode == .timestamp {
                // One row ahead: the current row's offset depends on the next.
                let current: (values: [SQLCell], nanos: Int64?)
                if let l = lookahead {
                    current = l
                } else {
                    guard let first = try cursor.next() else {
                        ended = true
                        break
                    }
                    current = (first, try timestampOf(first))
                }
                let next = try cursor.next()
                let nextNanos = try next.flatMap { try timestampOf($0) }
                lookahead = next.map { ($0, nextNanos) }
                if next == nil { ended = true }
                row = current.values
                rowNanos = current.nanos
                if let n = rowNanos, next == nil || n < (nextNanos ?? Int64.max) { offset.timestampNanos = n }
            } else {
                guard let r = try cursor.next() else {
                    ended = true
                    break
                }
                row = r
                rowNanos = timestampIndexes.isEmpty ? nil : try timestampOf(r)
            }
            var values = [Value](repeating: .null, count: readers.count)
            for (slot, r) in readers.enumerated() {
                values[slot] = try r.reader.value(row[r.index], column: r.field, temporal: temporal)
            }
            if mode == .incrementing || mode == .timestampIncrementing {
                if let i = incrementingIndex { offset.incrementing = try incrementingValue(row[i]) }
                if mode == .timestampIncrementing, let n = rowNanos { offset.timestampNanos = n }
            }
            let value = Value.struct(Struct(unchecked: schema, values: values))
            let sourceOffset: [String: Value] = mode == .bulk ? [:] : offset.map
            records.append(SourceRecord(sourcePartition: partition, sourceOffset: sourceOffset, topic: topic, valueSchema: schema, value: value))
        }
        self.offset = offset
        self.lookahead = lookahead
        if ended { close() }
        return (records, ended)
    }

    private func timestampOf(_ row: [SQLCell]) throws -> Int64? {
        for i in timestampIndexes where !row[i].isNull {
            return try ColumnReader.timestamp.timestampNanos(row[i], column: schemaColumns[i].name, temporal: temporal)
        }
        return nil
    }

    private func incrementingValue(_ cell: SQLCell) throws -> Int64 {
        switch cell {
        case .integer(let v): return v
        case .text(let t):
            if let v = Int64(t) { return v }
            if let d = BigDecimal(t), d.scale <= 0 || d.rescaled(to: 0) != nil, let v = Int64(d.rescaled(to: 0)?.plainString ?? "") { return v }
            throw ConnectError("Invalid type for incrementing column: '\(t)' does not fit a long")
        case .null: throw ConnectError("Null value for incrementing column \(incrementingColumn ?? "") of \(table?.description ?? "the query")")
        default: throw ConnectError("Invalid type for incrementing column: \(cell)")
        }
    }

    func close() {
        cursor?.close()
        cursor = nil
        lookahead = nil
    }
}

/// How a SQLite table stores a timestamp column, so a bound offset compares correctly: epoch
/// milliseconds (what sqlite-jdbc writes) or ISO text (`CURRENT_TIMESTAMP`, `datetime()`), whose
/// fraction width is kept (`2024-01-02 03:04:05` and `…05.123` do not compare as instants).
enum SQLiteTimestampStyle: Sendable {
    case millis
    case text(fractionDigits: Int, separator: Character)

    /// The form of the first stored value of `columns`; nil while they hold none.
    static func detect(_ connection: any SQLConnection, table: TableID, columns: [String]) throws -> SQLiteTimestampStyle? {
        let d = connection.dialect
        for c in columns {
            let rows = try connection.all("SELECT \(d.alwaysQuote(c)) FROM \(d.alwaysQuote(table.name)) WHERE \(d.alwaysQuote(c)) IS NOT NULL LIMIT 1")
            switch rows.first?.first {
            case .integer?, .real?: return .millis
            case .text(let t)?:
                let separator: Character = t.contains("T") ? "T" : " "
                guard let dot = t.firstIndex(of: ".") else { return .text(fractionDigits: 0, separator: separator) }
                return .text(fractionDigits: t[t.index(after: dot)...].prefix(while: \.isNumber).count, separator: separator)
            default: continue
            }
        }
        return nil
    }

    func cell(_ nanos: Int64, temporal: SQLTemporal) -> SQLCell {
        switch self {
        case .millis: return .integer(JavaCalendar.floorDiv(nanos, 1_000_000))
        case .text(let digits, let separator):
            let seconds = JavaCalendar.floorDiv(nanos, 1_000_000_000)
            var text = temporal.formatTimestamp(nanos: seconds * 1_000_000_000)
            if separator == "T" { text = text.replacing(" ", with: "T") }
            if digits > 0 {
                var frac = String(nanos - seconds * 1_000_000_000)
                frac = String(repeating: "0", count: 9 - frac.count) + frac
                text += "." + frac.prefix(digits)
            }
            return .text(text)
        }
    }
}
