import CSQLite

/// A failed SQLite call: the result code (primary and extended), SQLite's message, the statement
/// and the database it ran on.
///
/// ```
/// SQLite error 19 SQLITE_CONSTRAINT_PRIMARYKEY (UNIQUE constraint failed: t.id) in /data/app.db while executing: INSERT INTO t VALUES (?1)
/// ```
public struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The extended result code (`sqlite3_extended_errcode`), e.g. 1555 for `SQLITE_CONSTRAINT_PRIMARYKEY`.
    public var extendedCode: Int32
    /// SQLite's message (`sqlite3_errmsg`), or the text of the result code.
    public var message: String
    /// The statement that failed, when one did.
    public var sql: String?
    /// The database file (`:memory:` for an in-memory database).
    public var path: String

    /// The primary result code (the low byte of ``extendedCode``), e.g. 19 for `SQLITE_CONSTRAINT`.
    public var code: Int32 { extendedCode & 0xFF }

    /// Whether trying again may succeed: the database was busy or locked by another connection.
    public var isRetriable: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }

    /// An error with SQLite's extended result code and message, the statement and the database.
    public init(extendedCode: Int32, message: String, sql: String? = nil, path: String) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
        self.path = path
    }

    /// SQLite's symbolic name of the result code, e.g. `SQLITE_CONSTRAINT_PRIMARYKEY`.
    public var codeName: String { SQLiteError.names[extendedCode] ?? SQLiteError.names[code] ?? "SQLITE_ERROR(\(extendedCode))" }

    public var description: String {
        "SQLite error \(code) \(codeName) (\(message)) in \(path)" + (sql.map { " while executing: \($0)" } ?? "")
    }

    static let names: [Int32: String] = [
        SQLITE_ERROR: "SQLITE_ERROR", SQLITE_INTERNAL: "SQLITE_INTERNAL", SQLITE_PERM: "SQLITE_PERM", SQLITE_ABORT: "SQLITE_ABORT",
        SQLITE_BUSY: "SQLITE_BUSY", SQLITE_LOCKED: "SQLITE_LOCKED", SQLITE_NOMEM: "SQLITE_NOMEM", SQLITE_READONLY: "SQLITE_READONLY",
        SQLITE_INTERRUPT: "SQLITE_INTERRUPT", SQLITE_IOERR: "SQLITE_IOERR", SQLITE_CORRUPT: "SQLITE_CORRUPT", SQLITE_NOTFOUND: "SQLITE_NOTFOUND",
        SQLITE_FULL: "SQLITE_FULL", SQLITE_CANTOPEN: "SQLITE_CANTOPEN", SQLITE_PROTOCOL: "SQLITE_PROTOCOL", SQLITE_SCHEMA: "SQLITE_SCHEMA",
        SQLITE_TOOBIG: "SQLITE_TOOBIG", SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT", SQLITE_MISMATCH: "SQLITE_MISMATCH", SQLITE_MISUSE: "SQLITE_MISUSE",
        SQLITE_NOLFS: "SQLITE_NOLFS", SQLITE_AUTH: "SQLITE_AUTH", SQLITE_RANGE: "SQLITE_RANGE", SQLITE_NOTADB: "SQLITE_NOTADB",
        1555: "SQLITE_CONSTRAINT_PRIMARYKEY", 2067: "SQLITE_CONSTRAINT_UNIQUE", 1299: "SQLITE_CONSTRAINT_NOTNULL",
        787: "SQLITE_CONSTRAINT_FOREIGNKEY", 275: "SQLITE_CONSTRAINT_CHECK", 517: "SQLITE_BUSY_SNAPSHOT", 261: "SQLITE_BUSY_RECOVERY",
        262: "SQLITE_LOCKED_SHAREDCACHE", 14 | (1 << 8): "SQLITE_CANTOPEN_NOTEMPDIR", 14 | (4 << 8): "SQLITE_CANTOPEN_FULLPATH",
        8 | (2 << 8): "SQLITE_READONLY_CANTLOCK",
    ]
}
