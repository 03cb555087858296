import CSQLite
import Synchronization

/// One connection to a SQLite database, the only owner of its `sqlite3*` handle and of the prepared
/// statements cached for it. Calls are serialized (one caller at a time) and **block**: call them
/// from a thread of your own (a task's executor), never from Swift's cooperative pool.
///
/// ```swift
/// let db = try SQLiteConnection(path: "/var/lib/app/state.db")
/// try db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name TEXT)")
/// try db.transaction { s in
///     try s.run("INSERT INTO t (id, name) VALUES (?1, ?2)", [.integer(1), .text("ada")])
/// }
/// let rows = try db.query("SELECT id, name FROM t WHERE id > ?1", [.integer(0)]).rows
/// ```
///
/// Every failure is a ``SQLiteError`` with the result code, SQLite's message, the statement and
/// the database path.
public final class SQLiteConnection: Sendable {
    /// Where the database is (`:memory:` for an in-memory one).
    public let path: String
    private let session: Mutex<SQLiteSession>
    /// The handle, for `sqlite3_interrupt` only (thread-safe while the connection is open, and it
    /// stays open as long as `self` lives).
    private nonisolated(unsafe) let interruptHandle: OpaquePointer

    /// How to open the database.
    public struct OpenMode: Sendable, Hashable {
        let flags: Int32
        /// Read and write; create the file when it does not exist.
        public static let readWriteCreate = OpenMode(flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        /// Read and write an existing database.
        public static let readWrite = OpenMode(flags: SQLITE_OPEN_READWRITE)
        /// Read an existing database.
        public static let readOnly = OpenMode(flags: SQLITE_OPEN_READONLY)
    }

    /// Opens (or creates) a database. `busyTimeout` is how long a statement waits for another
    /// connection's lock before failing with `SQLITE_BUSY`.
    /// - Throws: ``SQLiteError`` (e.g. `SQLITE_CANTOPEN` naming the path).
    public init(path: String, mode: OpenMode = .readWriteCreate, busyTimeout: Duration = .seconds(5)) throws(SQLiteError) {
        self.path = path
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, mode.flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            let extended = handle.map { sqlite3_extended_errcode($0) } ?? rc
            sqlite3_close_v2(handle)
            throw SQLiteError(extendedCode: extended, message: message, path: path)
        }
        sqlite3_extended_result_codes(handle, 1)
        let ms = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(handle, Int32(clamping: ms))
        session = Mutex(SQLiteSession(handle: handle, path: path))
        interruptHandle = handle
    }

    /// Makes the statement running now on another thread (and any started before this call
    /// returns) stop with `SQLITE_INTERRUPT` (`sqlite3_interrupt`). Safe from any thread; this is
    /// how a task being stopped ends a long query.
    public func interrupt() {
        sqlite3_interrupt(interruptHandle)
    }

    /// Prepares `sql` with `bindings` as a cursor that reads rows one call at a time, so a large
    /// result can be read in slices across calls (e.g. `batch.max.rows` per poll) with flat
    /// memory. The cursor keeps the connection alive; other statements may run between its steps.
    /// - Throws: ``SQLiteError`` when the statement does not compile or a binding fails.
    public func cursor(_ sql: String, _ bindings: [SQLiteValue] = []) throws(SQLiteError) -> SQLiteCursor {
        let (stmt, columns) = try session.withLock { s throws(SQLiteError) in try s.prepareUncached(sql, bindings) }
        return SQLiteCursor(connection: self, statement: stmt, columns: columns, sql: sql)
    }

    func step(_ stmt: OpaquePointer, sql: String) throws(SQLiteError) -> [SQLiteValue]? {
        try session.withLock { s throws(SQLiteError) in try s.step(stmt, sql: sql) }
    }

    func finalize(_ stmt: OpaquePointer) {
        session.withLock { _ in _ = sqlite3_finalize(stmt) }
    }

    deinit {
        session.withLock { $0.close() }
    }

    /// Runs `body` with the connection to itself: statements in `body` run back to back, no other
    /// caller in between. Do not keep the session beyond `body`.
    public func withSession<T>(_ body: (SQLiteSession) throws -> T) rethrows -> T {
        try session.withLock { s in try body(s) }
    }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE` … `COMMIT`); any error rolls it back and is
    /// rethrown.
    public func transaction<T>(_ body: (SQLiteSession) throws -> T) throws -> T {
        try session.withLock { s in
            try s.execute("BEGIN IMMEDIATE")
            do {
                let result = try body(s)
                try s.execute("COMMIT")
                return result
            } catch {
                s.rollback()
                throw error
            }
        }
    }

    /// Runs SQL text that may hold several statements and returns no rows (`sqlite3_exec`).
    public func execute(_ sql: String) throws(SQLiteError) {
        try session.withLock { s throws(SQLiteError) in try s.execute(sql) }
    }

    /// Runs one statement with bound parameters (`?1`, `?2`, … or `?`) and returns the number of
    /// rows it changed. The prepared statement is cached by its SQL text.
    @discardableResult
    public func run(_ sql: String, _ bindings: [SQLiteValue] = []) throws(SQLiteError) -> Int {
        try session.withLock { s throws(SQLiteError) in try s.run(sql, bindings) }
    }

    /// Runs a query with bound parameters and returns every row.
    public func query(_ sql: String, _ bindings: [SQLiteValue] = []) throws(SQLiteError) -> SQLiteRows {
        try session.withLock { s throws(SQLiteError) in try s.query(sql, bindings) }
    }
}

/// The connection while one caller has it (inside ``SQLiteConnection/withSession(_:)`` or
/// ``SQLiteConnection/transaction(_:)``).
///
/// `@unchecked Sendable`: it lives inside the connection's lock and is only handed to the body of
/// `withSession`/`transaction`, which must not keep it.
public final class SQLiteSession: @unchecked Sendable {
    private var handle: OpaquePointer?
    private let path: String
    private var statements: [String: OpaquePointer] = [:]

    init(handle: OpaquePointer, path: String) {
        self.handle = handle
        self.path = path
    }

    func close() {
        for (_, stmt) in statements { sqlite3_finalize(stmt) }
        statements = [:]
        sqlite3_close_v2(handle)
        handle = nil
    }

    private func error(_ rc: Int32, _ sql: String?) -> SQLiteError {
        guard let handle else { return SQLiteError(extendedCode: SQLITE_MISUSE, message: "the connection is closed", sql: sql, path: path) }
        let extended = sqlite3_extended_errcode(handle)
        let message = String(cString: sqlite3_errmsg(handle))
        return SQLiteError(extendedCode: extended != 0 ? extended : rc, message: message, sql: sql, path: path)
    }

    /// The number of rows the last statement changed.
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    /// The rowid of the last row inserted.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs SQL text that may hold several statements and returns no rows.
    public func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(message)
            throw SQLiteError(extendedCode: handle.map { sqlite3_extended_errcode($0) } ?? rc, message: text, sql: sql, path: path)
        }
    }

    func rollback() { sqlite3_exec(handle, "ROLLBACK", nil, nil, nil) }

    /// A new statement (not cached) with `bindings` bound, and its columns.
    func prepareUncached(_ sql: String, _ bindings: [SQLiteValue]) throws(SQLiteError) -> (OpaquePointer, [SQLiteColumn]) {
        var created: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, 0, &created, nil)
        guard rc == SQLITE_OK, let created else { throw error(rc, sql) }
        do {
            try bind(created, bindings, sql)
        } catch {
            sqlite3_finalize(created)
            throw error
        }
        return (created, columns(of: created))
    }

    private func columns(of stmt: OpaquePointer) -> [SQLiteColumn] {
        (0..<sqlite3_column_count(stmt)).map { i in
            SQLiteColumn(name: String(cString: sqlite3_column_name(stmt, i)), declaredType: sqlite3_column_decltype(stmt, i).map { String(cString: $0) })
        }
    }

    /// The next row of `stmt`, or nil at its end.
    func step(_ stmt: OpaquePointer, sql: String) throws(SQLiteError) -> [SQLiteValue]? {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_DONE { return nil }
        guard rc == SQLITE_ROW else { throw error(rc, sql) }
        return row(stmt)
    }

    private func row(_ stmt: OpaquePointer) -> [SQLiteValue] {
        let count = sqlite3_column_count(stmt)
        var row: [SQLiteValue] = []
        row.reserveCapacity(Int(count))
        for i in 0..<count {
            switch sqlite3_column_type(stmt, i) {
            case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(stmt, i)))
            case SQLITE_FLOAT: row.append(.real(sqlite3_column_double(stmt, i)))
            case SQLITE_TEXT:
                let n = Int(sqlite3_column_bytes(stmt, i))
                let p = sqlite3_column_text(stmt, i)
                row.append(.text(p.map { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) } ?? ""))
            case SQLITE_BLOB:
                let n = Int(sqlite3_column_bytes(stmt, i))
                let p = sqlite3_column_blob(stmt, i)
                row.append(.blob(p.map { Array(UnsafeRawBufferPointer(start: $0, count: n)) } ?? []))
            default: row.append(.null)
            }
        }
        return row
    }

    private func bind(_ stmt: OpaquePointer, _ bindings: [SQLiteValue], _ sql: String) throws(SQLiteError) {
        let expected = Int(sqlite3_bind_parameter_count(stmt))
        guard bindings.count == expected else {
            throw SQLiteError(extendedCode: SQLITE_RANGE, message: "the statement takes \(expected) parameter(s), \(bindings.count) given", sql: sql, path: path)
        }
        for (i, value) in bindings.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(stmt, index)
            case .integer(let v): rc = sqlite3_bind_int64(stmt, index, v)
            case .real(let v): rc = sqlite3_bind_double(stmt, index, v)
            case .text(let v): rc = sqlite3_bind_text(stmt, index, v, -1, csqlite_transient())
            case .blob(let v): rc = v.withUnsafeBytes { sqlite3_bind_blob64(stmt, index, $0.baseAddress, UInt64($0.count), csqlite_transient()) }
            }
            guard rc == SQLITE_OK else { throw error(rc, sql) }
        }
    }

    /// The cached prepared statement for `sql`, reset and with `bindings` bound.
    private func prepared(_ sql: String, _ bindings: [SQLiteValue]) throws(SQLiteError) -> OpaquePointer {
        let stmt: OpaquePointer
        if let cached = statements[sql] {
            stmt = cached
        } else {
            var created: OpaquePointer?
            let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &created, nil)
            guard rc == SQLITE_OK, let created else { throw error(rc, sql) }
            statements[sql] = created
            stmt = created
        }
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
        try bind(stmt, bindings, sql)
        return stmt
    }

    /// Runs one statement with bound parameters and returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ bindings: [SQLiteValue] = []) throws(SQLiteError) -> Int {
        let stmt = try prepared(sql, bindings)
        defer { sqlite3_reset(stmt) }
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { return changes }
            if rc != SQLITE_ROW { throw error(rc, sql) }
        }
    }

    /// Runs a query and returns every row.
    public func query(_ sql: String, _ bindings: [SQLiteValue] = []) throws(SQLiteError) -> SQLiteRows {
        var rows: [[SQLiteValue]] = []
        let columns = try forEachRow(sql, bindings) { row in
            rows.append(row)
            return true
        }
        return SQLiteRows(columns: columns, rows: rows)
    }

    /// Runs a query and hands each row to `body` as it is read (without keeping them); `body`
    /// returns false to stop early. Returns the columns.
    @discardableResult
    public func forEachRow(_ sql: String, _ bindings: [SQLiteValue] = [], _ body: ([SQLiteValue]) throws(SQLiteError) -> Bool) throws(SQLiteError) -> [SQLiteColumn] {
        let stmt = try prepared(sql, bindings)
        defer { sqlite3_reset(stmt) }
        let columns = columns(of: stmt)
        while let row = try step(stmt, sql: sql) {
            if try !body(row) { return columns }
        }
        return columns
    }
}

/// Rows read one ``next()`` at a time from a statement of its own (``SQLiteConnection/cursor(_:_:)``).
/// Used from one thread at a time; ``close()`` (or deinit) finalizes the statement.
public final class SQLiteCursor: @unchecked Sendable {
    private let connection: SQLiteConnection
    private var statement: OpaquePointer?
    /// The result's columns, in order.
    public let columns: [SQLiteColumn]
    private let sql: String

    init(connection: SQLiteConnection, statement: OpaquePointer, columns: [SQLiteColumn], sql: String) {
        self.connection = connection
        self.statement = statement
        self.columns = columns
        self.sql = sql
    }

    /// The next row, or nil after the last (the cursor then closes itself).
    /// - Throws: ``SQLiteError`` (e.g. `SQLITE_INTERRUPT` after ``SQLiteConnection/interrupt()``).
    public func next() throws(SQLiteError) -> [SQLiteValue]? {
        guard let statement else { return nil }
        guard let row = try connection.step(statement, sql: sql) else {
            close()
            return nil
        }
        return row
    }

    /// Finalizes the statement; later ``next()`` calls return nil.
    public func close() {
        if let statement { connection.finalize(statement) }
        statement = nil
    }

    deinit { close() }
}
