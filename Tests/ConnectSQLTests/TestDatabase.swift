import ConnectKit
import ConnectKitTesting
import ConnectRuntime
import Foundation
import Testing

@testable import ConnectSQL

/// One of the three databases every test runs on: SQLite (a file per test), and the PostgreSQL
/// and MariaDB servers `scripts/with-test-servers.sh` starts (`make test` does). Without those
/// servers the PostgreSQL/MariaDB cases are left out — unless `CONNECTKIT_REQUIRE_SERVERS=1`
/// (as in `make test`), where a missing server fails the test.
struct TestDatabase: Sendable, CustomTestStringConvertible, CustomStringConvertible {
    let kind: JDBCURL.Kind
    let serverURL: String?

    var testDescription: String { kind.rawValue }
    var description: String { kind.rawValue }

    static let all: [TestDatabase] = {
        let env = ProcessInfo.processInfo.environment
        let require = env["CONNECTKIT_REQUIRE_SERVERS"] == "1"
        var list = [TestDatabase(kind: .sqlite, serverURL: nil)]
        if let pg = env["CONNECTKIT_POSTGRES_URL"] ?? (require ? "" : nil) { list.append(TestDatabase(kind: .postgresql, serverURL: pg)) }
        if let my = env["CONNECTKIT_MYSQL_URL"] ?? (require ? "" : nil) { list.append(TestDatabase(kind: .mysql, serverURL: my)) }
        return list
    }()

    static let servers: [TestDatabase] = all.filter { $0.kind != .sqlite }

    private static let counter = Counter()

    /// A fresh place to work: its own SQLite file, or a unique table-name prefix on a server.
    func fresh() throws -> Scratch {
        let n = TestDatabase.counter.next()
        let tag = "t\(n)_\(UInt32.random(in: 0...UInt32.max) % 100000)"
        switch kind {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-sql-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return Scratch(database: self, url: "jdbc:sqlite:\(dir.path)/test.db", prefix: tag, directory: dir.path)
        case .postgresql, .mysql:
            guard let serverURL, !serverURL.isEmpty else {
                throw HarnessError("No \(kind.rawValue) server: run the tests through `make test` (scripts/with-test-servers.sh starts PostgreSQL and MariaDB)")
            }
            return Scratch(database: self, url: serverURL, prefix: tag, directory: nil)
        }
    }

    // DDL that differs per database.
    var autoIncrementKey: String {
        switch kind {
        case .sqlite: "INTEGER PRIMARY KEY"
        case .postgresql: "BIGSERIAL PRIMARY KEY"
        case .mysql: "BIGINT AUTO_INCREMENT PRIMARY KEY"
        }
    }
    var timestampType: String {
        switch kind {
        case .sqlite: "TIMESTAMP"
        case .postgresql: "TIMESTAMP(6)"
        case .mysql: "DATETIME(6)"
        }
    }
    var blobType: String { kind == .postgresql ? "BYTEA" : "BLOB" }
    var bigint: String { kind == .sqlite ? "INTEGER" : "BIGINT" }
    func blobLiteral(_ hex: String) -> String { kind == .postgresql ? "'\\x\(hex)'::bytea" : "X'\(hex)'" }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

/// A test's database: its URL and the table names it may use (prefixed so parallel tests on one
/// server do not meet).
final class Scratch: @unchecked Sendable {
    let database: TestDatabase
    let url: String
    let prefix: String
    let directory: String?
    let connection: any SQLConnection

    init(database: TestDatabase, url: String, prefix: String, directory: String?) {
        self.database = database
        self.url = url
        self.prefix = prefix
        self.directory = directory
        var settings = try! JDBCConnectionConfig.Settings(try! JdbcSinkSettings.configDef.parse(["connection.url": url]))
        settings.attempts = 1
        connection = try! JDBCConnectionConfig.open(settings)
    }

    deinit {
        connection.close()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    var kind: JDBCURL.Kind { database.kind }

    /// A table name unique to this test.
    func table(_ name: String) -> String { "\(prefix)_\(name)" }

    func exec(_ sql: String) throws { try connection.execute(sql) }

    /// Every row of a query, each cell as text (NULL as nil), for comparisons across databases.
    func rows(_ sql: String) throws -> [[String?]] {
        try connection.all(sql).map { row in
            row.map { cell in
                switch cell {
                case .null: nil
                case .integer(let i): String(i)
                case .real(let d): String(d)
                case .text(let t): t
                case .bytes(let b): b.map { String(format: "%02x", $0) }.joined()
                }
            }
        }
    }

    func quote(_ identifier: String) -> String { connection.dialect.quote(identifier) }

    /// The common source config for this database.
    func sourceConfig(_ extra: [String: String]) -> [String: String] {
        ["connection.url": url, "poll.interval.ms": "10", "table.poll.interval.ms": "60000"].merging(extra) { $1 }
    }

    func sinkConfig(_ extra: [String: String]) -> [String: String] {
        ["connection.url": url, "name": "sink"].merging(extra) { $1 }
    }

    /// The source partition Confluent writes for a table of this scratch database.
    func partition(_ table: String) -> [String: Value] {
        let qualified: String
        switch kind {
        case .sqlite: qualified = table
        case .postgresql: qualified = "public.\(table)"
        case .mysql: qualified = "connectkit.\(table)"
        }
        return ["protocol": .string("1"), "table": .string(qualified)]
    }

    /// The `tables` task key for one table (as the connector assigns it).
    func taskTables(_ table: String) -> String {
        switch kind {
        case .sqlite: "\"\(table)\""
        case .postgresql: "\"public\".\"\(table)\""
        case .mysql: "`connectkit`.`\(table)`"
        }
    }
}

extension SourceTaskHarness {
    /// Polls until `count` records came or `timeout` passed; returns what came. The bound is for a
    /// hang: under `make test` every test target starts at once on two cores, and a whole process
    /// has been seen starved for ~11 s at its start.
    func pollAll(_ count: Int, timeout: Duration = .seconds(30)) async throws -> [SourceRecord] {
        try await poll(atLeast: count, timeout: timeout)
    }
}

extension Value {
    /// A struct value's field, for assertions.
    func field(_ name: String) -> Value? { structValue.flatMap { try? $0.get(name) } }
}
