#if MySQL
#if canImport(Glibc)
import Glibc
#endif
import CMariaDB
import ConnectKit

/// ``SQLConnection`` over libmariadb (MariaDB and MySQL servers): the one owner of its `MYSQL*`
/// and of the prepared statements cached for it. Every value is a bound parameter of a server-side
/// prepared statement; results stream unbuffered (flat memory on a large table).
/// ``interrupt()`` shuts the connection's socket down, which ends a running statement at once (the
/// connection is then unusable, as when a task stops).
final class MariaDBDatabase: SQLConnection, @unchecked Sendable {
    private var mysql: UnsafeMutablePointer<MYSQL>?
    private let socket: Int32
    let dialect: Dialect
    let location: String
    private var statements: [String: UnsafeMutablePointer<MYSQL_STMT>] = [:]
    private var statementOrder: [String] = []
    /// The cursor whose result is streaming on the connection (weak: the cursor holds the connection).
    private weak var streaming: Cursor?

    init(url: JDBCURL, user: String?, password: Password?, quoteIdentifiers: Bool, connectTimeoutSeconds: Int) throws(SQLError) {
        location = url.location
        dialect = Dialect(kind: .mysql, quoteIdentifiers: quoteIdentifiers)
        _ = MariaDBDatabase.libraryInitialized
        guard let m = mysql_init(nil) else { throw SQLError(.connection, "mysql_init failed (out of memory)", location: url.location) }
        var protocolTCP = UInt32(MYSQL_PROTOCOL_TCP.rawValue)
        mysql_options(m, MYSQL_OPT_PROTOCOL, &protocolTCP)
        var timeout = UInt32(url.property("connectTimeout").flatMap { Int($0) }.map { max(1, $0 / 1000) } ?? connectTimeoutSeconds)
        mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout)
        mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        if url.property("useSSL") == "true" || url.property("sslMode").map({ $0 != "DISABLED" }) == true {
            var enforce: my_bool = 1
            mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &enforce)
        }
        let host = url.host ?? "localhost"
        let port = url.port ?? 3306
        let u = user ?? url.user
        let p = password ?? url.password
        let db = url.database.isEmpty ? nil : url.database
        guard mysql_real_connect(m, host, u, p?.value, db, UInt32(port), nil, 0) != nil else {
            let why = String(cString: mysql_error(m))
            mysql_close(m)
            let who = u.map { " as user '\($0)'" } ?? ""
            throw SQLError(
                .connection, "Could not connect to MySQL/MariaDB at \(host):\(port), database '\(url.database)'\(who): \(why)",
                location: url.location)
        }
        mysql = m
        socket = Int32(mysql_get_socket(m))
        try execute("SET time_zone = '+00:00'")
    }

    /// `mysql_library_init` is not thread-safe and `mysql_init` calls it when needed: run it once,
    /// before any connection (a Swift `static let` is initialized exactly once).
    private static let libraryInitialized: Bool = mysql_server_init(0, nil, nil) == 0

    deinit { close() }

    func close() {
        streaming?.finish()
        for (_, s) in statements { mysql_stmt_close(s) }
        statements = [:]
        if let mysql { mysql_close(mysql) }
        mysql = nil
    }

    func interrupt() {
        // Safe from any thread: the blocked read in the client library returns with an error.
        _ = shutdown(socket, Int32(SHUT_RDWR))
    }

    private func kind(errno code: UInt32, state: String) -> SQLError.Kind {
        switch code {
        case 1062, 1048, 1451, 1452, 1557, 1586, 3819, 4025: return .constraint
        case 1264, 1265, 1292, 1366, 1406, 1411, 1690, 1918: return .data
        case 1205, 1213: return .transient
        case 1317: return .interrupted
        case 2002, 2003, 2006, 2013, 2055, 1040, 1045, 1049, 1129, 1130: return .connection
        default: break
        }
        if state.hasPrefix("23") { return .constraint }
        if state.hasPrefix("22") { return .data }
        if state.hasPrefix("08") { return .connection }
        return .statement
    }

    private func connectionError(sql: String?) -> SQLError {
        guard let mysql else { return SQLError(.connection, "connection closed", sql: sql, location: location) }
        let code = mysql_errno(mysql)
        let state = String(cString: mysql_sqlstate(mysql))
        return SQLError(kind(errno: code, state: state), String(cString: mysql_error(mysql)), code: "\(code) (\(state))", sql: sql, location: location)
    }

    private func statementError(_ stmt: UnsafeMutablePointer<MYSQL_STMT>, sql: String) -> SQLError {
        let code = mysql_stmt_errno(stmt)
        let state = String(cString: mysql_stmt_sqlstate(stmt))
        return SQLError(kind(errno: code, state: state), String(cString: mysql_stmt_error(stmt)), code: "\(code) (\(state))", sql: sql, location: location)
    }

    private func finishStreaming() {
        streaming?.finish()
        streaming = nil
    }

    func execute(_ sql: String) throws(SQLError) {
        finishStreaming()
        guard mysql_real_query(mysql, sql, UInt(sql.utf8.count)) == 0 else { throw connectionError(sql: sql) }
        // Discard any results (e.g. of a SELECT run through execute).
        repeat {
            if let r = mysql_store_result(mysql) { mysql_free_result(r) }
        } while mysql_next_result(mysql) == 0
    }

    /// The cached prepared statement for `sql` (at most 64 kept; the oldest is closed first).
    private func prepared(_ sql: String) throws(SQLError) -> UnsafeMutablePointer<MYSQL_STMT> {
        if let s = statements[sql] {
            mysql_stmt_reset(s)
            return s
        }
        guard let s = mysql_stmt_init(mysql) else { throw connectionError(sql: sql) }
        guard mysql_stmt_prepare(s, sql, UInt(sql.utf8.count)) == 0 else {
            let e = statementError(s, sql: sql)
            mysql_stmt_close(s)
            throw e
        }
        statements[sql] = s
        statementOrder.append(sql)
        if statementOrder.count > 64 {
            let old = statementOrder.removeFirst()
            if let o = statements.removeValue(forKey: old) { mysql_stmt_close(o) }
        }
        return s
    }

    /// Binds `parameters` (buffers live until `body` returns) and runs `body`.
    private func withBound<R>(_ stmt: UnsafeMutablePointer<MYSQL_STMT>, _ parameters: [SQLCell], sql: String, _ body: () throws(SQLError) -> R) throws(SQLError) -> R {
        let expected = Int(mysql_stmt_param_count(stmt))
        guard expected == parameters.count else {
            throw SQLError(.statement, "the statement takes \(expected) parameter(s), \(parameters.count) given", sql: sql, location: location)
        }
        var binds = [MYSQL_BIND](repeating: MYSQL_BIND(), count: parameters.count)
        var buffers: [UnsafeMutableRawPointer?] = []
        defer { buffers.forEach { free($0) } }
        /// A malloc'd copy of `bytes` (freed after the statement ran) bound as `type`.
        func bind(_ i: Int, _ type: enum_field_types, _ bytes: UnsafeRawBufferPointer) {
            let b = malloc(max(1, bytes.count))!
            if let base = bytes.baseAddress { b.copyMemory(from: base, byteCount: bytes.count) }
            buffers.append(b)
            binds[i].buffer_type = type
            binds[i].buffer = b
            binds[i].buffer_length = UInt(bytes.count)
            binds[i].length_value = UInt(bytes.count)
        }
        for (i, p) in parameters.enumerated() {
            switch p {
            case .null: binds[i].buffer_type = MYSQL_TYPE_NULL
            case .integer(let v): withUnsafeBytes(of: v) { bind(i, MYSQL_TYPE_LONGLONG, $0) }
            case .real(let v): withUnsafeBytes(of: v) { bind(i, MYSQL_TYPE_DOUBLE, $0) }
            case .text(let t): Array(t.utf8).withUnsafeBytes { bind(i, MYSQL_TYPE_STRING, $0) }
            case .bytes(let b): b.withUnsafeBytes { bind(i, MYSQL_TYPE_BLOB, $0) }
            }
        }
        if !binds.isEmpty {
            let ok = binds.withUnsafeMutableBufferPointer { mysql_stmt_bind_param(stmt, $0.baseAddress) }
            guard ok == 0 else { throw statementError(stmt, sql: sql) }
        }
        return try body()
    }

    func run(_ sql: String, _ parameters: [SQLCell]) throws(SQLError) -> Int {
        finishStreaming()
        let stmt = try prepared(sql)
        return try withBound(stmt, parameters, sql: sql) { () throws(SQLError) -> Int in
            guard mysql_stmt_execute(stmt) == 0 else { throw statementError(stmt, sql: sql) }
            let n = mysql_stmt_affected_rows(stmt)
            mysql_stmt_free_result(stmt)
            return n == UInt64.max ? 0 : Int(n)
        }
    }

    func query(_ sql: String, _ parameters: [SQLCell]) throws(SQLError) -> any SQLCursor {
        finishStreaming()
        let stmt = try prepared(sql)
        try withBound(stmt, parameters, sql: sql) { () throws(SQLError) in
            guard mysql_stmt_execute(stmt) == 0 else { throw statementError(stmt, sql: sql) }
        }
        let cursor = try Cursor(database: self, stmt: stmt, sql: sql)
        streaming = cursor
        return cursor
    }

    final class Cursor: SQLCursor {
        let database: MariaDBDatabase
        let stmt: UnsafeMutablePointer<MYSQL_STMT>
        let sql: String
        let columns: [SQLColumn]
        private var binds: [MYSQL_BIND]
        private var lengths: UnsafeMutablePointer<UInt>
        private var nulls: UnsafeMutablePointer<my_bool>
        private var errors: UnsafeMutablePointer<my_bool>
        private var buffers: [UnsafeMutableRawPointer]
        private var capacities: [Int]
        private var done = false

        init(database: MariaDBDatabase, stmt: UnsafeMutablePointer<MYSQL_STMT>, sql: String) throws(SQLError) {
            self.database = database
            self.stmt = stmt
            self.sql = sql
            let n = Int(mysql_stmt_field_count(stmt))
            var cols: [SQLColumn] = []
            if let meta = mysql_stmt_result_metadata(stmt) {
                for i in 0..<n {
                    let f = mysql_fetch_field_direct(meta, UInt32(i))!.pointee
                    cols.append(MariaDBDatabase.column(f))
                }
                mysql_free_result(meta)
            }
            columns = cols
            lengths = .allocate(capacity: max(1, n))
            nulls = .allocate(capacity: max(1, n))
            errors = .allocate(capacity: max(1, n))
            binds = [MYSQL_BIND](repeating: MYSQL_BIND(), count: n)
            buffers = (0..<n).map { _ in malloc(64)! }
            capacities = [Int](repeating: 64, count: n)
            for i in 0..<n {
                binds[i].buffer_type = columns[i].type == .bytes ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING
                binds[i].buffer = buffers[i]
                binds[i].buffer_length = 64
                binds[i].length = lengths + i
                binds[i].is_null = nulls + i
                binds[i].error = errors + i
            }
            if n > 0 {
                let ok = binds.withUnsafeMutableBufferPointer { mysql_stmt_bind_result(stmt, $0.baseAddress) }
                guard ok == 0 else { throw database.statementError(stmt, sql: sql) }
            } else {
                done = true
            }
        }

        deinit {
            finish()
            buffers.forEach { free($0) }
            lengths.deallocate()
            nulls.deallocate()
            errors.deallocate()
        }

        func next() throws(SQLError) -> [SQLCell]? {
            guard !done else { return nil }
            let rc = mysql_stmt_fetch(stmt)
            if rc == MYSQL_NO_DATA {
                finish()
                return nil
            }
            if rc == 1 {
                let e = database.statementError(stmt, sql: sql)
                finish()
                throw e
            }
            var row: [SQLCell] = []
            row.reserveCapacity(columns.count)
            for i in 0..<columns.count {
                if nulls[i] != 0 {
                    row.append(.null)
                    continue
                }
                let length = Int(lengths[i])
                if length > capacities[i] {
                    // Truncated: fetch the whole value into a bigger buffer.
                    free(buffers[i])
                    buffers[i] = malloc(length)!
                    capacities[i] = length
                    var b = binds[i]
                    b.buffer = buffers[i]
                    b.buffer_length = UInt(length)
                    guard mysql_stmt_fetch_column(stmt, &b, UInt32(i), 0) == 0 else { throw database.statementError(stmt, sql: sql) }
                    binds[i].buffer = buffers[i]
                    binds[i].buffer_length = UInt(length)
                    let ok = binds.withUnsafeMutableBufferPointer { mysql_stmt_bind_result(stmt, $0.baseAddress) }
                    guard ok == 0 else { throw database.statementError(stmt, sql: sql) }
                }
                let bytes = UnsafeRawBufferPointer(start: buffers[i], count: length)
                if columns[i].type == .bytes {
                    row.append(.bytes(Array(bytes)))
                } else {
                    row.append(.text(String(decoding: bytes, as: UTF8.self)))
                }
            }
            return row
        }

        /// Reads past the rest of the result (the server keeps sending it) and frees it.
        func finish() {
            guard !done else { return }
            done = true
            mysql_stmt_free_result(stmt)
            mysql_stmt_reset(stmt)
        }

        func close() {
            // Part way through a result, the client library would read (and drop) the rest of it:
            // on a large table that takes as long as reading it. End the connection instead (the
            // next call reconnects), as when a task stops.
            if !done { database.interrupt() }
            finish()
            if database.streaming === self { database.streaming = nil }
        }
    }

    /// The JDBC type of a result field, as Connector/J reports it.
    static func column(_ f: MYSQL_FIELD) -> SQLColumn {
        let unsigned = f.flags & UInt32(UNSIGNED_FLAG) != 0
        let binary = f.charsetnr == 63
        let type: SQLType
        switch f.type {
        case MYSQL_TYPE_TINY: type = unsigned ? .smallint : .tinyint
        case MYSQL_TYPE_SHORT, MYSQL_TYPE_YEAR: type = unsigned ? .integer : .smallint
        case MYSQL_TYPE_INT24: type = .integer
        case MYSQL_TYPE_LONG: type = unsigned ? .bigint : .integer
        case MYSQL_TYPE_LONGLONG: type = .bigint
        case MYSQL_TYPE_FLOAT: type = .real
        case MYSQL_TYPE_DOUBLE: type = .double
        case MYSQL_TYPE_NEWDECIMAL, MYSQL_TYPE_DECIMAL:
            let scale = Int(f.decimals)
            let precision = Int(f.length) - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1)
            type = .decimal(precision: precision, scale: scale)
        case MYSQL_TYPE_DATE, MYSQL_TYPE_NEWDATE: type = .date
        case MYSQL_TYPE_TIME: type = .time
        case MYSQL_TYPE_DATETIME, MYSQL_TYPE_TIMESTAMP: type = .timestamp
        case MYSQL_TYPE_BIT: type = .tinyint
        case MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_BLOB, MYSQL_TYPE_STRING, MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_VARCHAR:
            type = binary ? .bytes : .string
        default: type = .string
        }
        return SQLColumn(
            name: String(cString: f.name), type: type, typeName: "\(f.type)", nullable: f.flags & UInt32(NOT_NULL_FLAG) == 0,
            autoIncrement: f.flags & UInt32(AUTO_INCREMENT_FLAG) != 0, primaryKey: f.flags & UInt32(PRI_KEY_FLAG) != 0)
    }

    func tables(types: Set<String>, catalogPattern: String?, schemaPattern: String?) throws(SQLError) -> [TableID] {
        var kinds: [String] = []
        if types.contains("TABLE") { kinds.append("'BASE TABLE'") }
        if types.contains("VIEW") { kinds.append("'VIEW'") }
        guard !kinds.isEmpty else { return [] }
        var sql = "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE IN (\(kinds.joined(separator: ",")))"
        var params: [SQLCell] = []
        if let catalogPattern {
            sql += " AND TABLE_SCHEMA LIKE ?"
            params.append(.text(catalogPattern))
        } else {
            sql += " AND TABLE_SCHEMA = DATABASE()"
        }
        sql += " ORDER BY TABLE_SCHEMA, TABLE_NAME"
        return try all(sql, params).compactMap { r in
            guard case .text(let db) = r[0], case .text(let n) = r[1] else { return nil }
            return TableID(catalog: db, name: n)
        }
    }

    func columns(of table: TableID) throws(SQLError) -> [SQLColumn] {
        let sql = """
            SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY, EXTRA, NUMERIC_PRECISION, NUMERIC_SCALE \
            FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION
            """
        return try all(sql, [(table.catalog ?? table.schema).map(SQLCell.text) ?? .null, .text(table.name)]).map { r in
            func text(_ i: Int) -> String { if case .text(let t) = r[i] { return t }; return "" }
            let dataType = text(1).lowercased()
            let columnType = text(2).lowercased()
            let unsigned = columnType.contains("unsigned")
            let type: SQLType
            switch dataType {
            case "tinyint": type = unsigned ? .smallint : .tinyint
            case "smallint", "year": type = unsigned ? .integer : .smallint
            case "mediumint": type = .integer
            case "int", "integer": type = unsigned ? .bigint : .integer
            case "bigint": type = .bigint
            case "float": type = .real
            case "double", "real": type = .double
            case "decimal", "numeric": type = .decimal(precision: Int(text(6)) ?? 0, scale: Int(text(7)) ?? 0)
            case "date": type = .date
            case "time": type = .time
            case "datetime", "timestamp": type = .timestamp
            case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob": type = .bytes
            case "bit", "boolean", "bool": type = .tinyint
            default: type = .string
            }
            return SQLColumn(
                name: text(0), type: type, typeName: columnType, nullable: text(3) == "YES", autoIncrement: text(5).contains("auto_increment"),
                primaryKey: text(4) == "PRI")
        }
    }

    func currentTimeNanos() throws(SQLError) -> Int64 {
        let rows = try all("SELECT CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)")
        guard case .text(let micros)? = rows.first?.first, let v = Int64(micros) else {
            throw SQLError(.statement, "NOW() returned nothing", location: location)
        }
        return v * 1000
    }
}
#endif
