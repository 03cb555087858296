public import ConnectKit

/// What differs between databases: identifier quoting, parameter markers, the SQL types
/// `auto.create`/`auto.evolve` use, upsert syntax (Confluent's `DatabaseDialect`).
public struct Dialect: Sendable, Hashable {
    /// The database family.
    public var kind: JDBCURL.Kind
    /// `quote.sql.identifiers`: `always` (Confluent's default) or `never`.
    public var quoteIdentifiers: Bool = true

    /// A dialect.
    public init(kind: JDBCURL.Kind, quoteIdentifiers: Bool = true) {
        self.kind = kind
        self.quoteIdentifiers = quoteIdentifiers
    }

    /// Confluent's dialect name (`dialect.name`): `SqliteDatabaseDialect`, `PostgreSqlDatabaseDialect`, `MySqlDatabaseDialect`.
    public var name: String {
        switch kind {
        case .sqlite: "SqliteDatabaseDialect"
        case .postgresql: "PostgreSqlDatabaseDialect"
        case .mysql: "MySqlDatabaseDialect"
        }
    }

    var quoteCharacter: Character { kind == .mysql ? "`" : "\"" }

    /// An identifier quoted for this database (the quote character doubled inside), or as given
    /// with `quote.sql.identifiers=never`.
    public func quote(_ identifier: String) -> String {
        guard quoteIdentifiers else { return identifier }
        let q = quoteCharacter
        var out = String(q)
        for c in identifier {
            if c == q { out.append(q) }
            out.append(c)
        }
        out.append(q)
        return out
    }

    /// An identifier always quoted (catalog queries, hostile names).
    func alwaysQuote(_ identifier: String) -> String {
        var d = self
        d.quoteIdentifiers = true
        return d.quote(identifier)
    }

    /// A table's qualified, quoted name.
    public func quote(_ table: TableID) -> String {
        [table.catalog, table.schema, table.name].compactMap { $0 }.map(quote).joined(separator: ".")
    }

    /// The parameter marker for the `index`th (1-based) parameter: `$1` for PostgreSQL, `?` otherwise.
    public func parameter(_ index: Int) -> String { kind == .postgresql ? "$\(index)" : "?" }

    /// The statement that starts a write transaction.
    public var beginTransaction: String {
        switch kind {
        case .sqlite: "BEGIN IMMEDIATE"
        case .postgresql: "BEGIN"
        case .mysql: "START TRANSACTION"
        }
    }

    /// The most parameters one statement may bind.
    var maxParameters: Int {
        switch kind {
        case .sqlite: 32766
        case .postgresql, .mysql: 65535
        }
    }

    // MARK: - Types for auto.create / auto.evolve

    /// The SQL type `auto.create`/`auto.evolve` gives a column of this Connect schema (Confluent's
    /// `getSqlType` per dialect). `isKey` marks primary-key columns (MySQL cannot index `TEXT`).
    public func sqlType(for schema: Schema, isKey: Bool = false) -> String? {
        switch schema.name {
        case LogicalType.decimalName:
            let scale = schema.parameters?["scale"] ?? "0"
            switch kind {
            case .sqlite: return "NUMERIC"
            case .postgresql: return "DECIMAL"
            case .mysql: return "DECIMAL(65,\(scale))"
            }
        case LogicalType.dateName: return kind == .sqlite ? "NUMERIC" : "DATE"
        case LogicalType.timeName:
            switch kind {
            case .sqlite: return "NUMERIC"
            case .postgresql: return "TIME"
            case .mysql: return "TIME(3)"
            }
        case LogicalType.timestampName:
            switch kind {
            case .sqlite: return "NUMERIC"
            case .postgresql: return "TIMESTAMP"
            case .mysql: return "DATETIME(3)"
            }
        default: break
        }
        switch (kind, schema.type) {
        case (.sqlite, .int8), (.sqlite, .int16), (.sqlite, .int32), (.sqlite, .int64), (.sqlite, .boolean): return "INTEGER"
        case (.sqlite, .float32), (.sqlite, .float64): return "REAL"
        case (.sqlite, .string): return "TEXT"
        case (.sqlite, .bytes): return "BLOB"
        case (.postgresql, .int8), (.postgresql, .int16): return "SMALLINT"
        case (.postgresql, .int32): return "INT"
        case (.postgresql, .int64): return "BIGINT"
        case (.postgresql, .float32): return "REAL"
        case (.postgresql, .float64): return "DOUBLE PRECISION"
        case (.postgresql, .boolean): return "BOOLEAN"
        case (.postgresql, .string): return "TEXT"
        case (.postgresql, .bytes): return "BYTEA"
        case (.mysql, .int8): return "TINYINT"
        case (.mysql, .int16): return "SMALLINT"
        case (.mysql, .int32): return "INT"
        case (.mysql, .int64): return "BIGINT"
        case (.mysql, .float32): return "FLOAT"
        case (.mysql, .float64): return "DOUBLE"
        case (.mysql, .boolean): return "TINYINT"
        case (.mysql, .string): return isKey ? "VARCHAR(256)" : "TEXT"
        case (.mysql, .bytes): return "VARBINARY(1024)"
        default: return nil
        }
    }

    // MARK: - Statements

    /// `CREATE TABLE` for `auto.create`: every field a column (NOT NULL when the schema is
    /// required), the primary key from `pk.mode`.
    func createTable(_ table: TableID, columns: [(name: String, schema: Schema)], primaryKey: [String]) throws(SQLError) -> String {
        var parts: [String] = []
        for (name, schema) in columns {
            guard let type = sqlType(for: schema, isKey: primaryKey.contains(name)) else {
                throw SQLError(.configuration, "\(name): no SQL type for the Connect schema \(schema.type) (\(name) in \(table))", location: "\(table)")
            }
            var column = "\(quote(name)) \(type)"
            if let d = schema.defaultValue, let literal = defaultLiteral(d) {
                column += " DEFAULT \(literal)"
            } else {
                column += schema.isOptional && !primaryKey.contains(name) ? " NULL" : " NOT NULL"
            }
            parts.append(column)
        }
        if !primaryKey.isEmpty { parts.append("PRIMARY KEY(\(primaryKey.map(quote).joined(separator: ",")))") }
        return "CREATE TABLE \(quote(table)) (\n" + parts.joined(separator: ",\n") + ")"
    }

    /// `ALTER TABLE … ADD` statements for `auto.evolve` (one per column; SQLite cannot add several at once).
    func addColumns(_ table: TableID, columns: [(name: String, schema: Schema)]) throws(SQLError) -> [String] {
        try columns.map { (name, schema) throws(SQLError) in
            guard let type = sqlType(for: schema) else {
                throw SQLError(.configuration, "\(name): no SQL type for the Connect schema \(schema.type)", location: "\(table)")
            }
            var column = "\(quote(name)) \(type)"
            if let d = schema.defaultValue, let literal = defaultLiteral(d) { column += " DEFAULT \(literal)" }
            return "ALTER TABLE \(quote(table)) ADD \(kind == .postgresql ? "COLUMN " : "")\(column)"
        }
    }

    private func defaultLiteral(_ value: Value) -> String? {
        switch value {
        case .int8(let v): String(v)
        case .int16(let v): String(v)
        case .int32(let v): String(v)
        case .int64(let v): String(v)
        case .float32(let v): String(v)
        case .float64(let v): String(v)
        case .boolean(let b): kind == .postgresql ? (b ? "TRUE" : "FALSE") : (b ? "1" : "0")
        case .string(let s):
            // A schema default, not a record value: it goes into DDL as a literal (DDL takes no
            // parameters). MySQL also treats backslash as an escape inside quotes.
            "'" + (kind == .mysql ? s.replacing("\\", with: "\\\\") : s).replacing("'", with: "''") + "'"
        default: nil
        }
    }

    /// A multi-row `INSERT` (or upsert, with `conflictKeys`) of `rows` rows over `columns`.
    func insert(_ table: TableID, columns: [String], rows: Int, upsertKeys: [String]? = nil) -> String {
        let verb = upsertKeys != nil && kind == .sqlite ? "INSERT OR REPLACE INTO" : "INSERT INTO"
        var sql = "\(verb) \(quote(table))(" + columns.map(quote).joined(separator: ",") + ") VALUES "
        var p = 0
        for r in 0..<rows {
            if r > 0 { sql += "," }
            sql += "("
            for c in 0..<columns.count {
                p += 1
                if c > 0 { sql += "," }
                sql += parameter(p)
            }
            sql += ")"
        }
        guard let keys = upsertKeys else { return sql }
        let others = columns.filter { !keys.contains($0) }
        switch kind {
        case .sqlite:
            break  // INSERT OR REPLACE, as Confluent's SqliteDatabaseDialect
        case .postgresql:
            sql += " ON CONFLICT (" + keys.map(quote).joined(separator: ",") + ")"
            if others.isEmpty {
                sql += " DO NOTHING"
            } else {
                sql += " DO UPDATE SET " + others.map { "\(quote($0))=EXCLUDED.\(quote($0))" }.joined(separator: ",")
            }
        case .mysql:
            let set = others.isEmpty ? keys : others
            sql += " ON DUPLICATE KEY UPDATE " + set.map { "\(quote($0))=values(\(quote($0)))" }.joined(separator: ",")
        }
        return sql
    }

    /// `UPDATE … SET … WHERE key = …` for `insert.mode=update`.
    func update(_ table: TableID, set columns: [String], keys: [String]) -> String {
        var p = 0
        let set = columns.map { c -> String in p += 1; return "\(quote(c)) = \(parameter(p))" }.joined(separator: ", ")
        let whereClause = keys.map { c -> String in p += 1; return "\(quote(c)) = \(parameter(p))" }.joined(separator: " AND ")
        return "UPDATE \(quote(table)) SET \(set) WHERE \(whereClause)"
    }

    /// `DELETE FROM … WHERE key = …` for tombstones with `delete.enabled`.
    func delete(_ table: TableID, keys: [String]) -> String {
        var p = 0
        return "DELETE FROM \(quote(table)) WHERE " + keys.map { c -> String in p += 1; return "\(quote(c)) = \(parameter(p))" }.joined(separator: " AND ")
    }
}
