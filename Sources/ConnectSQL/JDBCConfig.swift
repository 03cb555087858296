public import ConnectKit
import ConnectRuntime

/// The connection keys both JDBC connectors take (Confluent's `JdbcSourceConnectorConfig` /
/// `JdbcSinkConfig` connection group), and opening a connection with them.
public enum JDBCConnectionConfig {
    /// Adds `connection.url`, `connection.user`, `connection.password`, `connection.attempts`,
    /// `connection.backoff.ms`, `quote.sql.identifiers`, `db.timezone` and `dialect.name`.
    public static func define(_ def: ConfigDef) -> ConfigDef {
        def.define("connection.url", .string, importance: .high, documentation: "JDBC connection URL: jdbc:sqlite:<path>, jdbc:postgresql://host:port/db, jdbc:mysql://host:port/db or jdbc:mariadb://host:port/db.", validator: .nonEmptyString, group: "Database")
            .define("connection.user", .string, default: .null, importance: .high, documentation: "JDBC connection user.", group: "Database")
            .define("connection.password", .password, default: .null, importance: .high, documentation: "JDBC connection password.", group: "Database")
            .define("connection.attempts", .int, default: 3, importance: .low, documentation: "Maximum number of attempts to retrieve a valid JDBC connection. Must be a positive integer.", validator: .atLeast(1), group: "Database")
            .define("connection.backoff.ms", .long, default: 10000, importance: .low, documentation: "Backoff time in milliseconds between connection attempts.", validator: .atLeast(0), group: "Database")
            .define("quote.sql.identifiers", .string, default: "ALWAYS", importance: .medium, documentation: "When to quote table names, column names, and other identifiers in SQL statements: always or never.", validator: .caseInsensitiveValidString(["always", "never"]), group: "Database")
            .define("db.timezone", .string, default: "UTC", importance: .medium, documentation: "Name of the JDBC timezone used in the connector when querying with time-based criteria, and to read and write timestamps without a zone.", validator: ConfigValidator.custom("a valid time zone id") { _, v in
                guard case .string(let id) = v else { return nil }
                return JavaTimeZone(id: id) == nil ? "Invalid time zone identifier" : nil
            }, group: "Database")
            .define("dialect.name", .string, default: "", importance: .low, documentation: "The name of the database dialect; empty to derive it from the URL (SqliteDatabaseDialect, PostgreSqlDatabaseDialect, MySqlDatabaseDialect).", validator: .validString(["", "SqliteDatabaseDialect", "PostgreSqlDatabaseDialect", "MySqlDatabaseDialect"]), group: "Database")
    }

    /// What is wrong with the connection keys together: a URL that does not parse, a `dialect.name`
    /// that names another database than the URL.
    static func problems(_ c: ParsedConfig) -> [ConfigProblem] {
        let url: JDBCURL
        do {
            url = try JDBCURL(c.string("connection.url") ?? "")
        } catch {
            return [ConfigProblem(key: "connection.url", message: error.message)]
        }
        if let name = c.string("dialect.name"), !name.isEmpty, name != Dialect(kind: url.kind).name {
            return [ConfigProblem(key: "dialect.name", message: "\(name) does not match connection.url (\(url.location) needs \(Dialect(kind: url.kind).name)); leave dialect.name empty to derive it from the URL")]
        }
        return []
    }

    /// `configDef`'s validation, with the problems between keys (`crossChecks`) added to the keys
    /// they name — what both connectors' `validate` return.
    static func validate(_ config: [String: String], _ configDef: ConfigDef, crossChecks: (ParsedConfig) -> [ConfigProblem]) -> ConfigValidation {
        var validation = configDef.validate(config)
        guard validation.errorCount == 0, let parsed = try? configDef.parse(config) else { return validation }
        for problem in crossChecks(parsed) {
            if let i = validation.values.firstIndex(where: { $0.name == problem.key }) { validation.values[i].errors.append(problem.message) }
        }
        return validation
    }

    /// The settings of a parsed config.
    struct Settings: Sendable {
        var url: JDBCURL
        var user: String?
        var password: Password?
        var attempts: Int
        var backoffMillis: Int64
        var quoteIdentifiers: Bool
        var zone: JavaTimeZone

        init(_ c: ParsedConfig) throws(SQLError) {
            url = try JDBCURL(c.string("connection.url") ?? "")
            user = c.string("connection.user")
            password = c.password("connection.password")
            attempts = Int(c.int("connection.attempts") ?? 3)
            backoffMillis = c.long("connection.backoff.ms") ?? 10000
            quoteIdentifiers = (c.string("quote.sql.identifiers") ?? "always").lowercased() != "never"
            zone = JavaTimeZone(id: c.string("db.timezone") ?? "UTC") ?? .utc
        }
    }

    /// Opens a connection, trying `connection.attempts` times `connection.backoff.ms` apart
    /// (cancellable while waiting). Blocks: call it on the task's thread.
    /// - Throws: the last ``SQLError`` (host, port and database named; never the password).
    static func connect(_ s: Settings) async throws -> any SQLConnection {
        var attempt = 0
        while true {
            attempt += 1
            let result = Result { () throws(SQLError) -> any SQLConnection in try open(s) }
            switch result {
            case .success(let connection):
                return connection
            case .failure(let e):
                guard e.kind == .connection, attempt < s.attempts else { throw e }
                try await Task.sleep(for: .milliseconds(s.backoffMillis))
            }
        }
    }

    static func open(_ s: Settings) throws(SQLError) -> any SQLConnection {
        switch s.url.kind {
        case .sqlite:
            return try SQLiteDatabase(url: s.url, quoteIdentifiers: s.quoteIdentifiers)
        case .postgresql:
            #if PostgreSQL
            return try PostgresDatabase(url: s.url, user: s.user, password: s.password, quoteIdentifiers: s.quoteIdentifiers, connectTimeoutSeconds: 10)
            #else
            throw SQLError(.configuration, "PostgreSQL support is not built in: enable the package trait 'PostgreSQL'", location: s.url.location)
            #endif
        case .mysql:
            #if MySQL
            return try MariaDBDatabase(url: s.url, user: s.user, password: s.password, quoteIdentifiers: s.quoteIdentifiers, connectTimeoutSeconds: 10)
            #else
            throw SQLError(.configuration, "MySQL/MariaDB support is not built in: enable the package trait 'MySQL'", location: s.url.location)
            #endif
        }
    }
}

/// Runs blocking database work so that cancelling the Swift task (how the runtime stops a task)
/// interrupts the statement running on the connection (`sqlite3_interrupt`, `PQcancel`, closing
/// MariaDB's socket).
func interruptible<T>(_ connection: any SQLConnection, _ body: () throws -> T) async throws -> T {
    try await withTaskCancellationHandler {
        try body()
    } onCancel: {
        connection.interrupt()
    }
}
