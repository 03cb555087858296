#if PostgreSQL
#if canImport(Glibc)
import Glibc
#endif
import CLibPQ
import ConnectKit
import Dispatch
import Synchronization

/// ``SQLConnection`` over libpq: the one owner of its `PGconn*` (and its `PGcancel*`, which
/// ``interrupt()`` uses from any thread). Text-format parameters and results; queries stream in
/// single-row mode, so a large result is read with flat memory.
final class PostgresDatabase: SQLConnection, SQLBulkLoading, @unchecked Sendable {
    private var conn: OpaquePointer?
    /// `PGcancel*` behind a lock: ``interrupt()`` may run on another thread while ``close()`` frees it.
    private let cancel = Mutex(CancelHandle())

    /// libpq's cancel object, used only under the lock.
    struct CancelHandle: @unchecked Sendable { var pointer: OpaquePointer? }
    let dialect: Dialect
    let location: String
    /// Cursors declared so far (each gets its own name).
    private var cursorCount = 0
    /// Not-null flags of result columns, per (table oid, column number), from the catalog.
    private var notNullCache: [String: [Bool?]] = [:]

    init(url: JDBCURL, user: String?, password: Password?, quoteIdentifiers: Bool, connectTimeoutSeconds: Int) throws(SQLError) {
        location = url.location
        dialect = Dialect(kind: .postgresql, quoteIdentifiers: quoteIdentifiers)
        var params: [(String, String)] = [
            ("host", url.host ?? "localhost"), ("port", String(url.port ?? 5432)), ("dbname", url.database),
            ("connect_timeout", url.property("connectTimeout") ?? String(connectTimeoutSeconds)),
            ("application_name", url.property("ApplicationName") ?? "ConnectKit"),
            ("client_encoding", "UTF8"),
        ]
        if let u = user ?? url.user { params.append(("user", u)) }
        if let p = password ?? url.password { params.append(("password", p.value)) }
        if let ssl = url.property("sslmode") { params.append(("sslmode", ssl)) }
        for key in ["sslrootcert", "sslcert", "sslkey"] { if let v = url.property(key) { params.append((key, v)) } }
        let c = PostgresDatabase.withCStrings(params.map(\.0) + [nil]) { keys in
            PostgresDatabase.withCStrings(params.map(\.1) + [nil]) { values in PQconnectdbParams(keys, values, 0) }
        }
        guard let c, PQstatus(c) == CONNECTION_OK else {
            let why = c.map { PostgresDatabase.trimmed(String(cString: PQerrorMessage($0))) } ?? "out of memory"
            PQfinish(c)
            let who = (user ?? url.user).map { " as user '\($0)'" } ?? ""
            throw SQLError(
                .connection,
                "Could not connect to PostgreSQL at \(url.host ?? "localhost"):\(url.port ?? 5432), database '\(url.database)'\(who): \(why)",
                location: url.location)
        }
        conn = c
        let handle = PQgetCancel(c)
        cancel.withLock { $0.pointer = handle }
        // Dates and times in ISO text, timestamps with zone printed in UTC, bytea in hex.
        try execute("SET DateStyle='ISO, YMD'; SET TimeZone='UTC'; SET bytea_output='hex'; SET IntervalStyle='iso_8601'; SET client_min_messages='warning'")
    }

    deinit { close() }

    func close() {
        cancel.withLock {
            if let c = $0.pointer { PQfreeCancel(c) }
            $0.pointer = nil
        }
        if let conn { PQfinish(conn) }
        conn = nil
    }

    /// Asks the server to cancel the running statement. `PQcancel` opens a connection of its own
    /// and may block on the network: it runs on a Dispatch thread, never on the caller's (a Swift
    /// cancellation handler may run on the cooperative pool).
    func interrupt() {
        DispatchQueue.global().async { [self] in
            cancel.withLock {
                guard let c = $0.pointer else { return }
                var buffer = [CChar](repeating: 0, count: 256)
                _ = PQcancel(c, &buffer, 256)
            }
        }
    }

    static func trimmed(_ s: String) -> String {
        var t = Substring(s)
        while let last = t.last, last == "\n" || last == " " { t.removeLast() }
        return String(t)
    }

    static func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies = strings.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }

    private func error(_ result: OpaquePointer?, sql: String?) -> SQLError {
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        let message = result.map { String(cString: PQresultErrorMessage($0)) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? conn.map { String(cString: PQerrorMessage($0)) } ?? "connection closed"
        let kind: SQLError.Kind
        switch state {
        case .some(let s) where s.hasPrefix("23"): kind = .constraint
        case .some(let s) where s.hasPrefix("22"): kind = .data
        case "57014": kind = .interrupted
        case .some(let s) where s.hasPrefix("08") || s.hasPrefix("57P"): kind = .connection
        case "40001", "40P01", "55P03": kind = .transient
        case nil where conn.map({ PQstatus($0) != CONNECTION_OK }) ?? true: kind = .connection
        default: kind = .statement
        }
        return SQLError(kind, PostgresDatabase.trimmed(message), code: state, sql: sql, location: location)
    }

    private func check(_ result: OpaquePointer?, sql: String) throws(SQLError) {
        let status = result.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let e = error(result, sql: sql)
            PQclear(result)
            throw e
        }
    }

    func execute(_ sql: String) throws(SQLError) {
        let r = PQexec(conn, sql)
        try check(r, sql: sql)
        PQclear(r)
    }

    /// Parameters as text (bytes as `\x` hex, which bytea reads), types left to the server.
    private func withParameters<R>(_ parameters: [SQLCell], _ body: (Int32, [UnsafePointer<CChar>?]) -> R) -> R {
        let texts: [String?] = parameters.map {
            switch $0 {
            case .null: nil
            case .integer(let v): String(v)
            case .real(let d): d.isNaN ? "NaN" : d.isInfinite ? (d > 0 ? "Infinity" : "-Infinity") : "\(d)"
            case .text(let t): t
            case .bytes(let b): "\\x" + PostgresDatabase.hex(b)
            }
        }
        return PostgresDatabase.withCStrings(texts) { body(Int32(texts.count), $0) }
    }

    static func hex(_ bytes: [UInt8]) -> String { Hex.lowercase(bytes) }

    func run(_ sql: String, _ parameters: [SQLCell]) throws(SQLError) -> Int {
        let r = withParameters(parameters) { n, values in PQexecParams(conn, sql, n, nil, values, nil, nil, 0) }
        try check(r, sql: sql)
        let count = Int(String(cString: PQcmdTuples(r))) ?? 0
        PQclear(r)
        return count
    }

    func query(_ sql: String, _ parameters: [SQLCell]) throws(SQLError) -> any SQLCursor {
        // Describe first (while the connection is idle) so the catalog can say which result
        // columns are NOT NULL, as JDBC's ResultSetMetaData.isNullable does.
        let prepared = withParameters(parameters) { n, _ in PQprepare(conn, "", sql, n, nil) }
        try check(prepared, sql: sql)
        PQclear(prepared)
        let described = PQdescribePrepared(conn, "")
        try check(described, sql: sql)
        var columns: [SQLColumn] = []
        var sources: [(oid: UInt32, column: Int32)] = []
        for i in 0..<PQnfields(described) {
            let name = String(cString: PQfname(described, i))
            let type = PostgresDatabase.type(oid: PQftype(described, i), typmod: PQfmod(described, i))
            columns.append(SQLColumn(name: name, type: type.0, typeName: type.1, nullable: nil))
            sources.append((PQftable(described, i), Int32(PQftablecol(described, i))))
        }
        PQclear(described)
        let notNull = try notNullFlags(sources)
        for i in columns.indices where notNull[i] != nil { columns[i].nullable = !(notNull[i]!) }

        // A large read (the source's) goes through COPY (…) TO STDOUT, the server's cheapest way
        // out (what psql's \copy uses): its parameters are numbers and timestamps the connector
        // formatted, written in as literals (COPY takes no parameters).
        if let copy = PostgresDatabase.copyStatement(sql, parameters) {
            try startCopy(copy, expecting: PGRES_COPY_OUT)
            return CopyCursor(database: self, columns: columns, sql: copy)
        }
        // Otherwise rows come through a server-side cursor, FETCHed 2000 at a time: memory stays
        // flat and a result is not one PGresult per row. Outside a transaction the cursor gets one
        // of its own.
        let ownTransaction = PQtransactionStatus(conn) == PQTRANS_IDLE
        if ownTransaction { try execute("BEGIN") }
        cursorCount += 1
        let name = "ck_cursor_\(cursorCount)"
        let declare = "DECLARE \(name) NO SCROLL CURSOR FOR " + sql
        let declared = withParameters(parameters) { n, values in PQexecParams(conn, declare, n, nil, values, nil, nil, 0) }
        do {
            try check(declared, sql: sql)
        } catch {
            if ownTransaction { try? execute("ROLLBACK") }
            throw error
        }
        PQclear(declared)
        return Cursor(database: self, columns: columns, sql: sql, name: name, ownTransaction: ownTransaction)
    }

    private func notNullFlags(_ sources: [(oid: UInt32, column: Int32)]) throws(SQLError) -> [Bool?] {
        let key = sources.map { "\($0.oid).\($0.column)" }.joined(separator: ",")
        if let cached = notNullCache[key] { return cached }
        var flags = [Bool?](repeating: nil, count: sources.count)
        notNullCache[key] = flags  // the catalog query below is itself a query: it must not look itself up
        let tables = Set(sources.filter { $0.oid != 0 }.map(\.oid))
        if !tables.isEmpty {
            let list = tables.map(String.init).joined(separator: ",")
            var found: [String: Bool] = [:]
            for row in try all("SELECT attrelid::text, attnum::text, attnotnull::text FROM pg_attribute WHERE attrelid IN (\(list)) AND attnum > 0") {
                if case .text(let rel) = row[0], case .text(let num) = row[1], case .text(let nn) = row[2] { found["\(rel).\(num)"] = nn == "true" }
            }
            for (i, s) in sources.enumerated() where s.oid != 0 { flags[i] = found["\(s.oid).\(s.column)"] }
        }
        notNullCache[key] = flags
        return flags
    }

    /// The JDBC type of a PostgreSQL type oid (as pgjdbc reports it) and the type's name.
    static func type(oid: UInt32, typmod: Int32) -> (SQLType, String) {
        switch oid {
        case 16: return (.boolean, "bool")
        case 17: return (.bytes, "bytea")
        case 20: return (.bigint, "int8")
        case 21: return (.smallint, "int2")
        case 23: return (.integer, "int4")
        case 26: return (.bigint, "oid")
        case 700: return (.real, "float4")
        case 701: return (.double, "float8")
        case 18, 19, 25, 1042, 1043: return (.string, "text")
        case 114, 3802: return (.string, "json")
        case 2950: return (.string, "uuid")
        case 142: return (.string, "xml")
        case 1082: return (.date, "date")
        case 1083, 1266: return (.time, "time")
        case 1114: return (.timestamp, "timestamp")
        case 1184: return (.timestampWithZone, "timestamptz")
        case 1700:
            if typmod < 4 { return (.numeric(precision: 0, scale: 0), "numeric") }
            let p = Int(((typmod - 4) >> 16) & 0xFFFF)
            let s = Int((typmod - 4) & 0xFFFF)
            return (.numeric(precision: p, scale: s), "numeric(\(p),\(s))")
        default: return (.other("oid \(oid)"), "oid \(oid)")
        }
    }

    /// `COPY (sql) TO STDOUT` with `$n` replaced by literals, when that is safe: every parameter a
    /// number or text of digits, letters, spaces and `:.+-` (the timestamps the source formats),
    /// and no other `$` in the statement (a user's query with dollar quotes or its own `$n` keeps
    /// the cursor path). Nil otherwise.
    static func copyStatement(_ sql: String, _ parameters: [SQLCell]) -> String? {
        guard sql.hasPrefix("SELECT ") || sql.hasPrefix("select ") || sql.hasPrefix("WITH ") else { return nil }
        var literals: [String] = []
        for p in parameters {
            switch p {
            case .integer(let v): literals.append(String(v))
            case .real(let d) where d.isFinite: literals.append("\(d)")
            case .text(let t) where t.utf8.allSatisfy({ ($0 >= 48 && $0 <= 58) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 32 || $0 == 43 || $0 == 45 || $0 == 46 }):
                literals.append("'" + t + "'")
            default: return nil
            }
        }
        var out = ""
        var chars = sql.unicodeScalars[...]
        var seen = 0
        var quote: Unicode.Scalar?  // inside "identifier" or 'literal': nothing is replaced
        while let c = chars.popFirst() {
            if let q = quote {
                if c == q { quote = nil }
                out.unicodeScalars.append(c)
                continue
            }
            if c == "\"" || c == "'" { quote = c }
            guard c == "$" else {
                out.unicodeScalars.append(c)
                continue
            }
            let digits = chars.prefix(while: { $0.properties.numericType == .decimal && $0.isASCII })
            guard let n = Int(String(String.UnicodeScalarView(digits))), n >= 1, n <= literals.count else { return nil }
            chars = chars.dropFirst(digits.count)
            out += literals[n - 1]
            seen += 1
        }
        guard seen >= parameters.count, quote == nil else { return nil }
        return "COPY (" + out + ") TO STDOUT"
    }

    /// Rows of a `COPY … TO STDOUT` in text format, one `PQgetCopyData` buffer per row.
    final class CopyCursor: SQLCursor {
        let database: PostgresDatabase
        let columns: [SQLColumn]
        let sql: String
        private var done = false

        init(database: PostgresDatabase, columns: [SQLColumn], sql: String) {
            self.database = database
            self.columns = columns
            self.sql = sql
        }

        func next() throws(SQLError) -> [SQLCell]? {
            guard !done else { return nil }
            var buffer: UnsafeMutablePointer<CChar>?
            let n = PQgetCopyData(database.conn, &buffer, 0)
            if n > 0, let buffer {
                defer { PQfreemem(buffer) }
                return parse(UnsafeRawBufferPointer(start: buffer, count: Int(n)))
            }
            // -1: the end (the command's result follows); -2: an error.
            done = true
            var failure: SQLError?
            while let r = PQgetResult(database.conn) {
                if PQresultStatus(r) != PGRES_COMMAND_OK && failure == nil { failure = database.error(r, sql: sql) }
                PQclear(r)
            }
            if let failure { throw failure }
            return nil
        }

        /// One line of COPY's text format: tab-separated fields, `\N` for NULL, backslash escapes.
        private func parse(_ line: UnsafeRawBufferPointer) -> [SQLCell] {
            var cells: [SQLCell] = []
            cells.reserveCapacity(columns.count)
            var end = line.count
            if end > 0, line[end - 1] == 10 { end -= 1 }
            var start = 0
            var column = 0
            while column < columns.count {
                var i = start
                var escaped = false
                while i < end, line[i] != 9 {
                    if line[i] == 92 {
                        escaped = true
                        i += 1
                    }
                    i += 1
                }
                let field = UnsafeRawBufferPointer(rebasing: line[start..<min(i, end)])
                if field.count == 2, field[0] == 92, field[1] == 78 {
                    cells.append(.null)
                } else if escaped {
                    let raw = PostgresDatabase.unescapeCopy(field)
                    cells.append(raw.withUnsafeBytes { PostgresDatabase.cell($0, type: columns[column].type) })
                } else {
                    cells.append(PostgresDatabase.cell(field, type: columns[column].type))
                }
                column += 1
                start = i + 1
            }
            return cells
        }

        /// Ends the copy part way: the server is asked to cancel and the rest is read and dropped.
        func close() {
            guard !done else { return }
            database.interrupt()
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(database.conn, &buffer, 0) > 0 {
                PQfreemem(buffer)
                buffer = nil
            }
            while let r = PQgetResult(database.conn) { PQclear(r) }
            done = true
        }

        deinit { close() }
    }

    /// COPY text format's escapes undone (`\\`, `\t`, `\n`, `\r`, `\b`, `\f`, `\v`, octal, `\x` hex).
    static func unescapeCopy(_ field: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(field.count)
        var i = 0
        while i < field.count {
            let b = field[i]
            guard b == 92, i + 1 < field.count else {
                out.append(b)
                i += 1
                continue
            }
            let e = field[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "v"): out.append(11)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var v = Int(e - 48)
                var k = 0
                while k < 2, i < field.count, field[i] >= 48, field[i] <= 55 {
                    v = v * 8 + Int(field[i] - 48)
                    i += 1
                    k += 1
                }
                out.append(UInt8(truncatingIfNeeded: v))
            case UInt8(ascii: "x"):
                var v = 0
                var k = 0
                while k < 2, i < field.count, let h = hexValue(field[i]) {
                    v = v * 16 + h
                    i += 1
                    k += 1
                }
                out.append(UInt8(truncatingIfNeeded: v))
            default: out.append(e)
            }
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: Int(c - 48)
        case 65...70: Int(c - 55)
        case 97...102: Int(c - 87)
        default: nil
        }
    }

    /// A cell from a value in PostgreSQL's text output: numbers and booleans parsed straight from
    /// the bytes, bytea unhexed, the rest as text.
    static func cell(_ bytes: UnsafeRawBufferPointer, type: SQLType) -> SQLCell {
        switch type {
        case .bytes:
            return .bytes(unhex(bytes))
        case .smallint, .integer, .bigint:
            if let v = int64(bytes) { return .integer(v) }
        case .boolean:
            if bytes.count == 1, bytes[0] == UInt8(ascii: "t") || bytes[0] == UInt8(ascii: "f") { return .integer(bytes[0] == UInt8(ascii: "t") ? 1 : 0) }
        case .real, .double:
            if let d = double(bytes) { return .real(d) }
        default:
            break
        }
        return .text(String(decoding: bytes, as: UTF8.self))
    }

    final class Cursor: SQLCursor {
        let database: PostgresDatabase
        let columns: [SQLColumn]
        let sql: String
        let name: String
        let ownTransaction: Bool
        private var result: OpaquePointer?
        private var row: Int32 = 0
        private var rows: Int32 = 0
        private var done = false
        static let fetchSize = 2000

        init(database: PostgresDatabase, columns: [SQLColumn], sql: String, name: String, ownTransaction: Bool) {
            self.database = database
            self.columns = columns
            self.sql = sql
            self.name = name
            self.ownTransaction = ownTransaction
        }

        func next() throws(SQLError) -> [SQLCell]? {
            guard !done else { return nil }
            if row >= rows {
                PQclear(result)
                result = nil
                let fetched = PQexec(database.conn, "FETCH \(Cursor.fetchSize) FROM \(name)")
                guard let fetched, PQresultStatus(fetched) == PGRES_TUPLES_OK else {
                    let e = database.error(fetched, sql: sql)
                    PQclear(fetched)
                    end(commit: false)
                    throw e
                }
                result = fetched
                row = 0
                rows = PQntuples(fetched)
                if rows == 0 {
                    end(commit: true)
                    return nil
                }
            }
            let r = result
            var cells: [SQLCell] = []
            cells.reserveCapacity(columns.count)
            for i in 0..<Int32(columns.count) {
                if PQgetisnull(r, row, i) != 0 {
                    cells.append(.null)
                    continue
                }
                let bytes = UnsafeRawBufferPointer(start: PQgetvalue(r, row, i), count: Int(PQgetlength(r, row, i)))
                cells.append(PostgresDatabase.cell(bytes, type: columns[Int(i)].type))
            }
            row += 1
            return cells
        }

        /// Closes the cursor and ends its transaction (if it made one).
        private func end(commit: Bool) {
            guard !done else { return }
            done = true
            PQclear(result)
            result = nil
            guard database.conn.map({ PQstatus($0) == CONNECTION_OK }) ?? false else { return }
            if ownTransaction {
                try? database.execute(commit ? "COMMIT" : "ROLLBACK")
            } else if PQtransactionStatus(database.conn) == PQTRANS_INTRANS {
                try? database.execute("CLOSE \(name)")
            }
        }

        /// Ends the query part way: the cursor is closed (no rows are read past this point).
        func close() { end(commit: true) }

        deinit { close() }
    }

    /// A decimal integer in text (`-123`); nil when it is not one or does not fit.
    static func int64(_ text: UnsafeRawBufferPointer) -> Int64? {
        guard !text.isEmpty else { return nil }
        var i = 0
        let negative = text[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        guard i < text.count else { return nil }
        var v: Int64 = 0
        while i < text.count {
            let d = text[i] &- 48
            guard d < 10 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        return v
    }

    /// A float8/float4 in PostgreSQL's text form (shortest round-trip digits, `NaN`, `Infinity`).
    static func double(_ text: UnsafeRawBufferPointer) -> Double? {
        guard text.count < 64 else { return nil }
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { b -> Double? in
            b.copyMemory(from: text)
            b[text.count] = 0
            let start = b.baseAddress!.assumingMemoryBound(to: CChar.self)
            var end: UnsafeMutablePointer<CChar>?
            let d = strtod(start, &end)
            return end == start + text.count ? d : nil
        }
    }

    static func unhex(_ text: UnsafeRawBufferPointer) -> [UInt8] {
        // `\x` + hex digits (bytea_output=hex)
        guard text.count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x") else { return Array(text) }
        func v(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
        var out = [UInt8]()
        out.reserveCapacity((text.count - 2) / 2)
        var i = 2
        while i + 1 < text.count {
            out.append(v(text[i]) << 4 | v(text[i + 1]))
            i += 2
        }
        return out
    }

    /// `COPY table (columns) FROM STDIN` in text format: the fastest way into PostgreSQL (what
    /// `psql \copy` does). Cells are escaped as the text format wants (`\N` for NULL; backslash,
    /// tab, newline and carriage return escaped; bytea as `\\x…`). Returns the rows copied.
    func copyRows(_ table: TableID, columns: [String], rows: [[SQLCell]]) throws(SQLError) -> Int {
        let sql = "COPY \(dialect.quote(table)) (" + columns.map(dialect.quote).joined(separator: ",") + ") FROM STDIN"
        try startCopy(sql, expecting: PGRES_COPY_IN)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 18)
        func flush() -> Bool {
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer.withUnsafeBufferPointer { b in
                b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { PQputCopyData(conn, $0, Int32(b.count)) } == 1
            }
        }
        var ok = true
        for row in rows where ok {
            for (i, cell) in row.enumerated() {
                if i > 0 { buffer.append(9) }
                switch cell {
                case .null: buffer.append(contentsOf: [92, 78])  // \N
                case .integer(let v): buffer.append(contentsOf: String(v).utf8)
                case .real(let d): buffer.append(contentsOf: (d.isNaN ? "NaN" : d.isInfinite ? (d > 0 ? "Infinity" : "-Infinity") : "\(d)").utf8)
                case .text(let t): PostgresDatabase.appendEscaped(t.utf8, to: &buffer)
                case .bytes(let b):
                    buffer.append(contentsOf: [92, 92, 120])  // \\x
                    buffer.append(contentsOf: PostgresDatabase.hex(b).utf8)
                }
            }
            buffer.append(10)
            if buffer.count >= 1 << 18 { ok = flush() }
        }
        if ok && !buffer.isEmpty { ok = flush() }
        _ = PQputCopyEnd(conn, ok ? nil : "ConnectKit: sending rows failed")
        var copied = 0
        var failure: SQLError?
        while let r = PQgetResult(conn) {
            if PQresultStatus(r) == PGRES_COMMAND_OK {
                copied = Int(String(cString: PQcmdTuples(r))) ?? 0
            } else if failure == nil {
                failure = error(r, sql: sql)
            }
            PQclear(r)
        }
        if let failure { throw failure }
        return copied
    }

    /// Runs a COPY statement; the connection is then in the copy state `expecting` (in or out).
    private func startCopy(_ sql: String, expecting status: ExecStatusType) throws(SQLError) {
        let started = PQexec(conn, sql)
        guard let started, PQresultStatus(started) == status else {
            let e = error(started, sql: sql)
            PQclear(started)
            throw e
        }
        PQclear(started)
    }

    static func appendEscaped(_ text: String.UTF8View, to buffer: inout [UInt8]) {
        let plain = text.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.contains(where: { $0 == 92 || $0 == 9 || $0 == 10 || $0 == 13 }) else { return false }
            buffer.append(contentsOf: bytes)
            return true
        }
        if plain == true { return }
        for b in text {
            switch b {
            case 92: buffer.append(contentsOf: [92, 92])
            case 9: buffer.append(contentsOf: [92, 116])
            case 10: buffer.append(contentsOf: [92, 110])
            case 13: buffer.append(contentsOf: [92, 114])
            default: buffer.append(b)
            }
        }
    }

    func tables(types: Set<String>, catalogPattern: String?, schemaPattern: String?) throws(SQLError) -> [TableID] {
        var kinds: [String] = []
        if types.contains("TABLE") { kinds.append("'BASE TABLE'") }
        if types.contains("VIEW") { kinds.append("'VIEW'") }
        guard !kinds.isEmpty else { return [] }
        var sql = """
            SELECT table_schema::text, table_name::text FROM information_schema.tables \
            WHERE table_schema NOT IN ('pg_catalog','information_schema') AND table_type IN (\(kinds.joined(separator: ",")))
            """
        var params: [SQLCell] = []
        if let schemaPattern {
            sql += " AND table_schema LIKE $1"
            params.append(.text(schemaPattern))
        }
        sql += " ORDER BY table_schema, table_name"
        return try all(sql, params).compactMap { r in
            guard case .text(let s) = r[0], case .text(let n) = r[1] else { return nil }
            return TableID(schema: s, name: n)
        }
    }

    func columns(of table: TableID) throws(SQLError) -> [SQLColumn] {
        let sql = """
            SELECT a.attname::text, a.atttypid::text, a.atttypmod::text, a.attnotnull::text, \
            COALESCE((SELECT true FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY(i.indkey)), false)::text, \
            (a.attidentity <> '' OR COALESCE(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false))::text, format_type(a.atttypid, a.atttypmod) \
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
            WHERE n.nspname = COALESCE($1, current_schema()) AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
            """
        return try all(sql, [table.schema.map(SQLCell.text) ?? .null, .text(table.name)]).map { r in
            func text(_ i: Int) -> String { if case .text(let t) = r[i] { return t }; return "" }
            let type = PostgresDatabase.type(oid: UInt32(text(1)) ?? 0, typmod: Int32(text(2)) ?? -1)
            return SQLColumn(
                name: text(0), type: type.0, typeName: text(6), nullable: text(3) != "true", autoIncrement: text(5) == "true", primaryKey: text(4) == "true")
        }
    }

    func currentTimeNanos() throws(SQLError) -> Int64 {
        let rows = try all("SELECT (extract(epoch from CURRENT_TIMESTAMP) * 1000000)::int8")
        guard case .integer(let v)? = rows.first?.first else {
            throw SQLError(.statement, "CURRENT_TIMESTAMP returned nothing", location: location)
        }
        return v * 1000
    }
}
#endif
