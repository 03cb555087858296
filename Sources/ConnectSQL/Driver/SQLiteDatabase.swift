#if canImport(Glibc)
import Glibc
#endif
import ConnectSQLiteDriver

/// ``SQLConnection`` over the project's SQLite wrapper (`ConnectSQLiteDriver`).
final class SQLiteDatabase: SQLConnection {
    let connection: SQLiteConnection
    let dialect: Dialect
    let location: String

    init(url: JDBCURL, quoteIdentifiers: Bool) throws(SQLError) {
        location = url.location
        dialect = Dialect(kind: .sqlite, quoteIdentifiers: quoteIdentifiers)
        let mode: SQLiteConnection.OpenMode = url.property("open_mode") == "1" || url.property("mode") == "ro" ? .readOnly : .readWriteCreate
        do {
            connection = try SQLiteConnection(path: url.database, mode: mode)
            // Readers and a writer side by side (a source polling while the application writes).
            if url.database != ":memory:" { try connection.execute("PRAGMA journal_mode=WAL") }
        } catch {
            throw SQLiteDatabase.map(error, location: url.location)
        }
    }

    static func map(_ e: SQLiteError, location: String) -> SQLError {
        let kind: SQLError.Kind
        switch e.code {
        case 19: kind = .constraint  // SQLITE_CONSTRAINT
        case 20, 18: kind = .data  // SQLITE_MISMATCH, SQLITE_TOOBIG
        case 9: kind = .interrupted  // SQLITE_INTERRUPT
        case 5, 6: kind = .transient  // SQLITE_BUSY, SQLITE_LOCKED
        case 14, 26: kind = .connection  // SQLITE_CANTOPEN, SQLITE_NOTADB
        default: kind = .statement
        }
        return SQLError(kind, e.message, code: e.codeName, sql: e.sql, location: location)
    }

    private static func bind(_ cells: [SQLCell]) -> [SQLiteValue] {
        cells.map {
            switch $0 {
            case .null: .null
            case .integer(let v): .integer(v)
            case .real(let v): .real(v)
            case .text(let v): .text(v)
            case .bytes(let v): .blob(v)
            }
        }
    }

    static func cell(_ v: SQLiteValue) -> SQLCell {
        switch v {
        case .null: .null
        case .integer(let i): .integer(i)
        case .real(let d): .real(d)
        case .text(let t): .text(t)
        case .blob(let b): .bytes(b)
        }
    }

    func execute(_ sql: String) throws(SQLError) {
        do { try connection.execute(sql) } catch { throw SQLiteDatabase.map(error, location: location) }
    }

    func run(_ sql: String, _ parameters: [SQLCell]) throws(SQLError) -> Int {
        do { return try connection.run(sql, SQLiteDatabase.bind(parameters)) } catch { throw SQLiteDatabase.map(error, location: location) }
    }

    func query(_ sql: String, _ parameters: [SQLCell]) throws(SQLError) -> any SQLCursor {
        do {
            let cursor = try connection.cursor(sql, SQLiteDatabase.bind(parameters))
            return Cursor(cursor, location: location)
        } catch {
            throw SQLiteDatabase.map(error, location: location)
        }
    }

    func interrupt() { connection.interrupt() }

    func close() {}

    final class Cursor: SQLCursor {
        let cursor: SQLiteCursor
        let columns: [SQLColumn]
        let location: String
        init(_ cursor: SQLiteCursor, location: String) {
            self.cursor = cursor
            self.location = location
            columns = cursor.columns.map { c in
                SQLColumn(name: c.name, type: SQLiteDatabase.type(declared: c.declaredType), typeName: c.declaredType ?? "", nullable: nil)
            }
        }
        func next() throws(SQLError) -> [SQLCell]? {
            do { return try cursor.next()?.map(SQLiteDatabase.cell) } catch { throw SQLiteDatabase.map(error, location: location) }
        }
        func close() { cursor.close() }
    }

    /// The JDBC type of a declared SQLite column type, by the words in it (SQLite's own affinity
    /// rules decide storage; these decide the Connect schema). Every integer type is 64-bit in
    /// SQLite, so `INT`/`INTEGER` map to BIGINT (INT64), not Confluent's INT32.
    static func type(declared: String?) -> SQLType {
        guard let declared, !declared.isEmpty else { return .other("") }
        let t = declared.uppercased()
        if t.hasPrefix("BOOL") { return .boolean }
        if t.hasPrefix("TINYINT") { return .tinyint }
        if t.hasPrefix("SMALLINT") || t.hasPrefix("INT2") { return .smallint }
        if t.contains("INT") { return .bigint }
        if t.hasPrefix("DATETIME") || t.hasPrefix("TIMESTAMP") { return .timestamp }
        if t.hasPrefix("DATE") { return .date }
        if t.hasPrefix("TIME") { return .time }
        if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") { return .string }
        if t.contains("BLOB") || t.contains("BINARY") { return .bytes }
        if t.contains("REAL") || t.contains("DOUB") { return .double }
        if t.contains("FLOA") { return .double }
        if t.hasPrefix("NUMERIC") || t.hasPrefix("DECIMAL") {
            let (p, s) = precisionAndScale(t)
            return t.hasPrefix("NUMERIC") ? .numeric(precision: p, scale: s) : .decimal(precision: p, scale: s)
        }
        return .other(declared)
    }

    /// `(p[,s])` of a type name; (0, 0) when absent.
    static func precisionAndScale(_ type: String) -> (Int, Int) {
        guard let open = type.firstIndex(of: "("), let close = type.firstIndex(of: ")"), open < close else { return (0, 0) }
        let parts = type[type.index(after: open)..<close].split(separator: ",").map { Int($0.trimmingSpaces) ?? 0 }
        return (parts.first ?? 0, parts.count > 1 ? parts[1] : 0)
    }

    func tables(types: Set<String>, catalogPattern: String?, schemaPattern: String?) throws(SQLError) -> [TableID] {
        var kinds: [String] = []
        if types.contains("TABLE") { kinds.append("'table'") }
        if types.contains("VIEW") { kinds.append("'view'") }
        guard !kinds.isEmpty else { return [] }
        let rows = try all(
            "SELECT name FROM sqlite_master WHERE type IN (\(kinds.joined(separator: ","))) AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
        return rows.compactMap { if case .text(let n) = $0.first { return TableID(name: n) }; return nil }
    }

    func columns(of table: TableID) throws(SQLError) -> [SQLColumn] {
        let rows = try all("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)", [.text(table.name)])
        let pkCount = rows.filter { if case .integer(let k) = $0[3] { return k > 0 }; return false }.count
        return rows.map { r in
            let name = if case .text(let n) = r[0] { n } else { "" }
            let declared = if case .text(let t) = r[1] { t } else { "" }
            let notNull = if case .integer(let v) = r[2] { v != 0 } else { false }
            let pk = if case .integer(let v) = r[3] { v > 0 } else { false }
            // A single INTEGER PRIMARY KEY is the rowid: filled automatically.
            let auto = pk && pkCount == 1 && declared.uppercased() == "INTEGER"
            return SQLColumn(name: name, type: SQLiteDatabase.type(declared: declared), typeName: declared, nullable: !(notNull || auto), autoIncrement: auto, primaryKey: pk)
        }
    }

    func currentTimeNanos() throws(SQLError) -> Int64 {
        // SQLite runs in this process: its clock is ours.
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

extension StringProtocol {
    var trimmingSpaces: Substring {
        let s = self[...]
        return Substring(s.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
