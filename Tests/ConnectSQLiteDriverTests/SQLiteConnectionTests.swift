import Foundation
import Testing

import ConnectSQLiteDriver

@Suite("SQLite driver")
struct SQLiteConnectionTests {
    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-\(name)-\(UUID().uuidString).db").path
    }

    @Test func runsStatementsAndQueriesWithBoundValues() throws {
        let path = temporaryPath("basic")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try SQLiteConnection(path: path)
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB, note VARCHAR(20))")
        #expect(try db.run("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)", [.integer(1), .text("ada"), .real(1.5), .blob([0, 255]), .null]) == 1)
        try db.run("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)", [.integer(2), .text("é 日本"), .real(-0.25), .blob([]), .text("x")])
        let result = try db.query("SELECT id, name, score, data, note, id * 2 AS twice FROM t ORDER BY id")
        #expect(result.columns.map(\.name) == ["id", "name", "score", "data", "note", "twice"])
        #expect(result.columns.map(\.declaredType) == ["INTEGER", "TEXT", "REAL", "BLOB", "VARCHAR(20)", nil])
        #expect(result.rows[0] == [.integer(1), .text("ada"), .real(1.5), .blob([0, 255]), .null, .integer(2)])
        #expect(result.rows[1][1] == .text("é 日本"))
    }

    @Test func transactionsCommitOrRollBack() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        try db.transaction { s in
            try s.run("INSERT INTO t VALUES (?1)", [.integer(1)])
            try s.run("INSERT INTO t VALUES (?1)", [.integer(2)])
        }
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try db.transaction { s in
                try s.run("INSERT INTO t VALUES (?1)", [.integer(3)])
                throw Abort()
            }
        }
        #expect(try db.query("SELECT count(*) FROM t").rows == [[.integer(2)]])
    }

    @Test func errorsNameTheCodeTheStatementAndTheDatabase() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        try db.run("INSERT INTO t VALUES (?1)", [.integer(1)])
        let duplicate = #expect(throws: SQLiteError.self) { try db.run("INSERT INTO t VALUES (?1)", [.integer(1)]) }
        #expect(duplicate?.code == 19)
        #expect(duplicate?.codeName == "SQLITE_CONSTRAINT_PRIMARYKEY")
        #expect(duplicate?.sql == "INSERT INTO t VALUES (?1)")
        #expect(duplicate?.description == "SQLite error 19 SQLITE_CONSTRAINT_PRIMARYKEY (UNIQUE constraint failed: t.id) in :memory: while executing: INSERT INTO t VALUES (?1)")
        let syntax = #expect(throws: SQLiteError.self) { try db.query("SELEC 1") }
        #expect(syntax?.message.contains("syntax error") == true)
        #expect(syntax?.isRetriable == false)
        let arity = #expect(throws: SQLiteError.self) { try db.run("INSERT INTO t VALUES (?1)", []) }
        #expect(arity?.message == "the statement takes 1 parameter(s), 0 given")
        let missing = #expect(throws: SQLiteError.self) { try SQLiteConnection(path: "/nonexistent-dir/x.db") }
        #expect(missing?.codeName.hasPrefix("SQLITE_CANTOPEN") == true)
        #expect(missing?.path == "/nonexistent-dir/x.db")
    }

    @Test func aBusyDatabaseIsRetriable() throws {
        let path = temporaryPath("busy")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let a = try SQLiteConnection(path: path)
        let b = try SQLiteConnection(path: path, busyTimeout: .milliseconds(10))
        try a.execute("CREATE TABLE t (id INTEGER)")
        try a.withSession { s in
            try s.execute("BEGIN IMMEDIATE")
            let busy = #expect(throws: SQLiteError.self) { try b.run("INSERT INTO t VALUES (1)") }
            #expect(busy?.isRetriable == true)
            try s.execute("ROLLBACK")
        }
    }

    @Test func rowsStreamAndStopEarly() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("CREATE TABLE t (id INTEGER); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) INSERT INTO t SELECT x FROM c")
        var seen: [Int64] = []
        _ = try db.withSession { s in
            try s.forEachRow("SELECT id FROM t ORDER BY id") { row in
                seen.append(row[0].integer!)
                return seen.count < 10
            }
        }
        #expect(seen == Array(1...10))
        // The cached statement was reset: it runs again from the start.
        #expect(try db.query("SELECT id FROM t ORDER BY id").rows.count == 1000)
    }
}
