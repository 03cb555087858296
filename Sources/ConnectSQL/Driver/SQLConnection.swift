/// A value as a database client reads or binds it, before it is mapped to Connect data: the
/// storage classes every client here can carry. PostgreSQL and MariaDB results arrive as text
/// (their text formats), SQLite results in its own classes.
public enum SQLCell: Sendable, Hashable {
    /// SQL NULL.
    case null
    /// A 64-bit integer.
    case integer(Int64)
    /// A double.
    case real(Double)
    /// Text, in the database's text format for the column's type.
    case text(String)
    /// Bytes (BLOB, BYTEA, VARBINARY).
    case bytes([UInt8])

    /// Whether this is SQL NULL.
    public var isNull: Bool { if case .null = self { return true }; return false }
}

/// A column type normalized to the JDBC type it would report (`java.sql.Types`), which decides
/// the Connect schema as Confluent's `GenericDatabaseDialect` does.
public enum SQLType: Sendable, Hashable {
    case boolean, tinyint, smallint, integer, bigint
    /// An unsigned MySQL `BIGINT` (does not fit Int64: a Decimal with scale 0, as Confluent).
    case unsignedBigint
    case real, double
    /// JDBC `NUMERIC` (PostgreSQL's numeric, SQLite's NUMERIC) with precision and scale
    /// (precision 0 when the type has none): `numeric.mapping` applies to it.
    case numeric(precision: Int, scale: Int)
    /// JDBC `DECIMAL` (MySQL's DECIMAL, SQLite's DECIMAL): always a Connect Decimal, as Confluent.
    case decimal(precision: Int, scale: Int)
    case string, bytes, date, time
    /// A timestamp without a zone (interpreted in `db.timezone`).
    case timestamp
    /// A timestamp with a zone (an instant).
    case timestampWithZone
    /// Anything else (kept as its text when it has one).
    case other(String)
}

/// A column of a result set or a table, as the database's catalog describes it.
public struct SQLColumn: Sendable, Hashable {
    /// The column name (or label).
    public var name: String
    /// The JDBC-equivalent type.
    public var type: SQLType
    /// The database's own type name (`int8`, `VARCHAR`, `DECIMAL(10,2)`).
    public var typeName: String
    /// Whether the column may hold NULL; nil when the database cannot say (an expression).
    public var nullable: Bool?
    /// Whether the database fills it automatically (AUTO_INCREMENT, SERIAL/IDENTITY, SQLite's rowid alias).
    public var autoIncrement: Bool = false
    /// Whether it belongs to the table's primary key.
    public var primaryKey: Bool = false

    /// A column.
    public init(name: String, type: SQLType, typeName: String, nullable: Bool?, autoIncrement: Bool = false, primaryKey: Bool = false) {
        self.name = name
        self.type = type
        self.typeName = typeName
        self.nullable = nullable
        self.autoIncrement = autoIncrement
        self.primaryKey = primaryKey
    }
}

/// A table: catalog (MySQL's database), schema (PostgreSQL's schema) and name. Kafka Connect's
/// `TableId`.
public struct TableID: Sendable, Hashable, CustomStringConvertible {
    /// The catalog (MySQL/MariaDB database), if any.
    public var catalog: String?
    /// The schema (PostgreSQL), if any.
    public var schema: String?
    /// The table's name.
    public var name: String

    /// A table id.
    public init(catalog: String? = nil, schema: String? = nil, name: String) {
        self.catalog = catalog
        self.schema = schema
        self.name = name
    }

    /// The parts joined by dots without quotes (Confluent's `TableId.toUnquotedString`), the form
    /// source partitions carry: `mydb.orders`, `public.orders`, `orders`.
    public var description: String { [catalog, schema, name].compactMap { $0 }.joined(separator: ".") }
}

/// Rows read one at a time from a running query; used from one thread.
public protocol SQLCursor: AnyObject {
    /// The result's columns.
    var columns: [SQLColumn] { get }
    /// The next row (one cell per column), nil after the last.
    func next() throws(SQLError) -> [SQLCell]?
    /// Ends the query (the rest of the result is discarded).
    func close()
}

/// One connection to a database through its C client. Every method **blocks**: call it on a
/// task's own thread, never on Swift's cooperative pool. One caller at a time, except
/// ``interrupt()``, which any thread may call to end the statement running now.
public protocol SQLConnection: AnyObject, Sendable {
    /// The database's dialect (quoting, types, upserts).
    var dialect: Dialect { get }
    /// Where the connection goes, for messages: `postgresql://127.0.0.1:5432/db` (never a password).
    var location: String { get }

    /// Runs SQL without parameters or results (DDL, `BEGIN`).
    func execute(_ sql: String) throws(SQLError)
    /// Runs one statement with bound parameters; returns the number of rows changed.
    @discardableResult
    func run(_ sql: String, _ parameters: [SQLCell]) throws(SQLError) -> Int
    /// Starts a query with bound parameters whose rows are then read one at a time.
    func query(_ sql: String, _ parameters: [SQLCell]) throws(SQLError) -> any SQLCursor
    /// Ends the statement running now on another thread (`sqlite3_interrupt`, `PQcancel`,
    /// `KILL QUERY`). Safe from any thread.
    func interrupt()

    /// Tables (and views, per `types`) visible to the connection, from the catalog.
    func tables(types: Set<String>, catalogPattern: String?, schemaPattern: String?) throws(SQLError) -> [TableID]
    /// The columns of a table in order, with nullability, primary key and auto-increment flags,
    /// from the catalog; empty when the table does not exist.
    func columns(of table: TableID) throws(SQLError) -> [SQLColumn]
    /// The database's current time, in nanoseconds since the epoch (Confluent's end bound of
    /// timestamp queries comes from the database clock, not the worker's).
    func currentTimeNanos() throws(SQLError) -> Int64
    /// Closes the connection (also done on deinit).
    func close()
}

extension SQLConnection {
    /// Runs `body` in a transaction; an error rolls back and is rethrown.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute(dialect.beginTransaction)
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Every row of a query (tests, catalog lookups; sources read through ``query(_:_:)``).
    public func all(_ sql: String, _ parameters: [SQLCell] = []) throws(SQLError) -> [[SQLCell]] {
        let cursor = try query(sql, parameters)
        defer { cursor.close() }
        var rows: [[SQLCell]] = []
        while let row = try cursor.next() { rows.append(row) }
        return rows
    }
}

/// A connection that can load many rows faster than multi-row `INSERT`s (PostgreSQL's `COPY`).
protocol SQLBulkLoading: SQLConnection {
    /// Appends `rows` (cells in `columns` order) to `table`; returns the number of rows loaded.
    func copyRows(_ table: TableID, columns: [String], rows: [[SQLCell]]) throws(SQLError) -> Int
}

/// A failed database call: what kind, the database's own message and code, the statement and
/// where (host, port, database — never the password).
public struct SQLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public enum Kind: String, Sendable, Hashable {
        /// Connecting or the connection failed (retriable).
        case connection
        /// A constraint (primary key, unique, not null, foreign key, check) rejected a row.
        case constraint
        /// A value does not fit its column (too long, out of range, bad format).
        case data
        /// The statement was interrupted (a task stopping).
        case interrupted
        /// A lock wait or deadlock (retriable).
        case transient
        /// A bad configuration (URL, keys) — nothing was tried.
        case configuration
        /// Anything else the database reported (syntax, missing table, permissions).
        case statement
    }

    /// The kind of failure.
    public var kind: Kind
    /// The database's message (or ours for configuration errors).
    public var message: String
    /// The database's code: SQLSTATE for PostgreSQL/MariaDB, the extended result code for SQLite.
    public var code: String?
    /// The statement, when one failed.
    public var sql: String?
    /// Where: `sqlite:/path`, `postgresql://host:port/db`, `mysql://host:port/db`.
    public var location: String

    /// An error.
    public init(_ kind: Kind, _ message: String, code: String? = nil, sql: String? = nil, location: String) {
        self.kind = kind
        self.message = message
        self.code = code
        self.sql = sql
        self.location = location
    }

    /// Whether trying again may succeed (connection lost, lock timeout, deadlock).
    public var isRetriable: Bool { kind == .connection || kind == .transient }

    /// Whether the failure is the row's fault (a constraint or a value that does not fit): the
    /// sink reports such a record through `errors.tolerance` and writes the rest of its batch.
    public var isRecordError: Bool { kind == .constraint || kind == .data }

    public var description: String {
        var text = "\(location): \(message)"
        if let code { text += " (\(code))" }
        if let sql { text += " while executing: \(sql)" }
        return text
    }
}
