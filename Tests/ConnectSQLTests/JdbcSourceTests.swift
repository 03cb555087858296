import ConnectKit
import ConnectKitTesting
import ConnectRuntime
import Foundation
import Testing

@testable import ConnectSQL

@Suite("JdbcSourceConnector on SQLite, PostgreSQL and MariaDB")
struct JdbcSourceTests {
    /// A table with the common column types, three rows.
    func ordersTable(_ db: Scratch) throws -> String {
        let t = db.table("orders")
        let d = db.database
        try db.exec("""
            CREATE TABLE \(db.quote(t)) (id \(d.autoIncrementKey), customer VARCHAR(50) NOT NULL, amount DECIMAL(10,2), \
            placed DATE, updated_at \(d.timestampType) NOT NULL, note VARCHAR(20), payload \(d.blobType))
            """)
        try insertOrders(db, t, [
            (1, "ada", "12.50", "2024-01-02", "2024-01-02 10:00:00.000001"),
            (2, "bob", "7.25", "2024-01-03", "2024-01-02 10:00:00.000002"),
            (3, "cy", "100.00", "2024-01-04", "2024-01-02 10:00:01"),
        ])
        return t
    }

    func insertOrders(_ db: Scratch, _ t: String, _ rows: [(Int, String, String, String, String)]) throws {
        for r in rows {
            try db.exec("INSERT INTO \(db.quote(t)) (id, customer, amount, placed, updated_at, payload) VALUES (\(r.0), '\(r.1)', \(r.2), '\(r.3)', '\(r.4)', \(db.database.blobLiteral("cafe")))")
        }
    }

    @Test("incrementing mode: Confluent's topic, schema, partition and offsets; a restart resumes after the committed id", arguments: TestDatabase.all)
    func incrementing(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = try ordersTable(db)
        let config = db.sourceConfig(["mode": "incrementing", "incrementing.column.name": "id", "topic.prefix": "db-", "tables": db.taskTables(t)])
        let harness = SourceTaskHarness(JdbcSourceTask.self, config: config)
        try await harness.start()
        let records = try await harness.pollAll(3)
        #expect(records.count == 3)
        let first = try #require(records.first)
        #expect(first.topic == "db-\(t)")
        #expect(first.key.isNull && first.keySchema == nil)
        #expect(first.sourcePartition == db.partition(t))
        #expect(first.sourceOffset == ["incrementing": .int64(1)])
        #expect(records.last?.sourceOffset == ["incrementing": .int64(3)])
        let schema = try #require(first.valueSchema)
        #expect(schema.name == t)
        #expect(schema.fields.map(\.name) == ["id", "customer", "amount", "placed", "updated_at", "note", "payload"])
        #expect(schema.field("customer")?.schema.isOptional == false)
        #expect(schema.field("note")?.schema.isOptional == true)
        #expect(schema.field("amount")?.schema.name == LogicalType.decimalName)
        #expect(schema.field("amount")?.schema.parameters?["scale"] == "2")
        #expect(schema.field("placed")?.schema.name == LogicalType.dateName)
        #expect(schema.field("updated_at")?.schema.name == LogicalType.timestampName)
        #expect(first.value.field("customer") == .string("ada"))
        #expect(first.value.field("amount") == .decimal(BigDecimal("12.50")!))
        #expect(first.value.field("placed") == .date(Int32(SQLTemporal.days(year: 2024, month: 1, day: 2))))
        #expect(first.value.field("updated_at") == .timestamp(1_704_189_600_000))
        #expect(first.value.field("payload") == .bytes([0xCA, 0xFE]))
        #expect(first.value.field("note") == .null)

        try await harness.acknowledgeAll()
        try insertOrders(db, t, [(4, "dee", "1.00", "2024-02-01", "2024-02-01 00:00:00")])
        try await harness.restart()
        let after = try await harness.pollAll(1)
        #expect(after.map { $0.value.field("id")?.int64Value } == [4])
        #expect(try harness.committedOffset(for: db.partition(t)) == ["incrementing": .int64(3)])
        try await harness.stop()
    }

    @Test("offsets written by a Java worker resume here, including Confluent's legacy {\"table\": name} partition", arguments: TestDatabase.all)
    func javaOffsetsResume(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = try ordersTable(db)
        let config = db.sourceConfig(["mode": "incrementing", "incrementing.column.name": "id", "tables": db.taskTables(t)])
        // As Kafka Connect's offset topic holds them (JSON longs read back as INT64).
        let v1 = SourceTaskHarness(JdbcSourceTask.self, config: config, offsets: [db.partition(t): ["incrementing": .int64(2)]])
        try await v1.start()
        #expect(try await v1.pollAll(1).map { $0.value.field("id")?.int64Value } == [3])
        try await v1.stop()
        let legacy = SourceTaskHarness(JdbcSourceTask.self, config: config, offsets: [["table": .string(t)]: ["incrementing": .int64(1)]])
        try await legacy.start()
        let records = try await legacy.pollAll(2)
        #expect(records.map { $0.value.field("id")?.int64Value } == [2, 3])
        #expect(records.first?.sourcePartition == db.partition(t))  // written under the current partition
        try await legacy.stop()
    }

    @Test("incrementing.column.name empty: the table's auto-increment column is found in the catalog", arguments: TestDatabase.all)
    func autodetect(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = try ordersTable(db)
        let harness = SourceTaskHarness(JdbcSourceTask.self, config: db.sourceConfig(["mode": "incrementing", "tables": db.taskTables(t)]))
        try await harness.start()
        #expect(try await harness.pollAll(3).last?.sourceOffset == ["incrementing": .int64(3)])
        try await harness.stop()
    }

    @Test("bulk mode copies the whole table every poll under the {\"table\": name} partition", arguments: TestDatabase.all)
    func bulk(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = try ordersTable(db)
        let harness = SourceTaskHarness(JdbcSourceTask.self, config: db.sourceConfig(["mode": "bulk", "tables": db.taskTables(t)]))
        try await harness.start()
        let twice = try await harness.pollAll(6)
        #expect(twice.count >= 6)
        #expect(twice.first?.sourcePartition == ["table": .string(t)])
        #expect(Set(twice.prefix(6).compactMap { $0.value.field("id")?.int64Value }) == [1, 2, 3])
        try await harness.stop()
    }

    @Test("timestamp+incrementing: offsets keep microseconds; an updated row comes again; nothing newer than now - delay", arguments: TestDatabase.all)
    func timestampIncrementing(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = try ordersTable(db)
        let config = db.sourceConfig([
            "mode": "timestamp+incrementing", "incrementing.column.name": "id", "timestamp.column.name": "updated_at", "tables": db.taskTables(t),
        ])
        let harness = SourceTaskHarness(JdbcSourceTask.self, config: config)
        try await harness.start()
        let records = try await harness.pollAll(3)
        #expect(records.map { $0.value.field("id")?.int64Value } == [1, 2, 3])
        // 2024-01-02 10:00:00.000002 UTC: Confluent's timestamp (ms) and timestamp_nanos (nanos of the second).
        #expect(records[1].sourceOffset == ["incrementing": .int64(2), "timestamp": .int64(1_704_189_600_000), "timestamp_nanos": .int64(2000)])
        try await harness.acknowledgeAll()
        // Rows one microsecond apart around the committed offset: neither skipped nor repeated.
        try db.exec("UPDATE \(db.quote(t)) SET updated_at = '2024-01-02 10:00:01.000001', customer = 'ada2' WHERE id = 1")
        try await harness.restart()
        let again = try await harness.pollAll(1)
        #expect(again.map { $0.value.field("customer") } == [.string("ada2")])
        // A row stamped in the future waits for the delay to pass.
        try db.exec("UPDATE \(db.quote(t)) SET updated_at = '2999-01-01 00:00:00' WHERE id = 2")
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await harness.poll().isEmpty)
        try await harness.stop()
    }

    @Test("timestamp mode: rows sharing a timestamp across a batch boundary are not lost after a restart", arguments: TestDatabase.all)
    func timestampEqualAcrossBatches(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = db.table("events")
        try db.exec("CREATE TABLE \(db.quote(t)) (id \(database.bigint) NOT NULL, ts \(database.timestampType) NOT NULL)")
        for i in 1...4 { try db.exec("INSERT INTO \(db.quote(t)) VALUES (\(i), '2024-05-01 00:00:0\(i < 4 ? 1 : 2)')") }
        let config = db.sourceConfig(["mode": "timestamp", "timestamp.column.name": "ts", "batch.max.rows": "2", "tables": db.taskTables(t)])
        let harness = SourceTaskHarness(JdbcSourceTask.self, config: config)
        try await harness.start()
        let firstBatch = try await harness.poll()
        #expect(firstBatch.count == 2)
        // Rows 1 and 2 share their timestamp with row 3: the offset may not pass it yet.
        #expect(firstBatch.last?.sourceOffset["timestamp"] == nil)
        try await harness.acknowledgeAll()
        try await harness.restart()
        let rest = try await harness.pollAll(4)
        #expect(Set(rest.compactMap { $0.value.field("id")?.int64Value }) == [1, 2, 3, 4])
        try await harness.stop()
    }

    @Test("query mode: the mode's WHERE is appended, topic = topic.prefix, partition {\"query\":\"query\"}, unnamed schema", arguments: TestDatabase.all)
    func queryMode(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = try ordersTable(db)
        let config = db.sourceConfig([
            "mode": "incrementing", "incrementing.column.name": "id", "topic.prefix": "big-orders",
            "query": "SELECT id, customer FROM \(db.quote(t))", "query.suffix": " ",
        ])
        let harness = SourceTaskHarness(JdbcSourceTask.self, config: config)
        try await harness.start()
        let records = try await harness.pollAll(3)
        #expect(records.first?.topic == "big-orders")
        #expect(records.first?.sourcePartition == ["query": .string("query")])
        #expect(records.first?.valueSchema?.name == nil)
        #expect(records.first?.valueSchema?.fields.map(\.name) == ["id", "customer"])
        try await harness.stop()
    }

    @Test("batch.max.rows: a large result is read in slices across polls", arguments: TestDatabase.all)
    func slices(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = db.table("many")
        try db.exec("CREATE TABLE \(db.quote(t)) (id \(database.autoIncrementKey), v VARCHAR(10))")
        let values = (1...250).map { "(\($0), 'v\($0)')" }.joined(separator: ",")
        try db.exec("INSERT INTO \(db.quote(t)) (id, v) VALUES \(values)")
        let harness = SourceTaskHarness(JdbcSourceTask.self, config: db.sourceConfig(["mode": "incrementing", "batch.max.rows": "100", "tables": db.taskTables(t)]))
        try await harness.start()
        #expect(try await harness.poll().count == 100)
        #expect(try await harness.poll().count == 100)
        #expect(try await harness.poll().count == 50)
        try await harness.stop()
    }

    @Test("validate.non.null: a nullable incrementing column is refused with Confluent's message", arguments: TestDatabase.all)
    func nullableIncrementing(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = db.table("loose")
        try db.exec("CREATE TABLE \(db.quote(t)) (n \(database.bigint), v VARCHAR(10))")
        try db.exec("INSERT INTO \(db.quote(t)) VALUES (1, 'a')")
        let harness = SourceTaskHarness(JdbcSourceTask.self, config: db.sourceConfig(["mode": "incrementing", "incrementing.column.name": "n", "tables": db.taskTables(t)]))
        try await harness.start()
        let error = await #expect(throws: (any Error).self) { try await harness.poll() }
        #expect("\(error!)".contains("Cannot make incremental queries using incrementing column n on"))
        #expect("\(error!)".contains("because this column is nullable."))
    }

    @Test("stopping a task interrupts the query it is running", arguments: TestDatabase.all)
    func stopInterruptsSlowQuery(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let slow: String
        switch database.kind {
        case .sqlite: slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) AS id FROM c"
        case .postgresql: slow = "SELECT 1 AS id FROM pg_sleep(60)"
        case .mysql: slow = "SELECT SLEEP(60) AS id"
        }
        let config = db.sourceConfig(["mode": "bulk", "query": slow, "topic.prefix": "slow"])
        let executor = ThreadExecutor(name: "slow-source")
        defer { executor.shutdown() }
        let started = ContinuousClock.now
        let polling = executor.spawn {
            let task = JdbcSourceTask()
            try await task.start(config)
            _ = try await task.poll()
            try await task.stop()
        }
        try await Task.sleep(for: .milliseconds(500))
        polling.cancel()
        _ = try? await polling.value
        // Uninterrupted, the query runs 60 s (PostgreSQL, MariaDB) or forever (SQLite). The bound is
        // generous because make test runs every suite at once on two cores, where a test's wake-ups
        // wait behind the CPU-bound vector suites for seconds.
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test("the connector finds tables in the catalog, filters them, spreads them over tasks.max tasks as Confluent", arguments: TestDatabase.all)
    func connectorSpreadsTables(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        for n in ["a", "b", "c", "d", "e"] { try db.exec("CREATE TABLE \(db.quote(db.table(n))) (id INT NOT NULL)") }
        try db.exec("CREATE TABLE \(db.quote(db.table("other"))) (id INT NOT NULL)")
        let connector = JdbcSourceConnector()
        let whitelist = ["a", "b", "c", "d", "e"].map(db.table).joined(separator: ",")
        try await connector.start(db.sourceConfig(["mode": "incrementing", "table.whitelist": whitelist]))
        let configs = try await connector.taskConfigs(maxTasks: 2)
        #expect(configs.map { $0["tables"] } == [
            ["a", "b", "c"].map { db.taskTables(db.table($0)) }.joined(separator: ","),
            ["d", "e"].map { db.taskTables(db.table($0)) }.joined(separator: ","),
        ])
        try await connector.stop()
        #expect(JdbcSourceConnector.groupPartitions([1, 2, 3, 4, 5, 6, 7], 3) == [[1, 2, 3], [4, 5], [6, 7]])
    }

    @Test("a table created while the connector runs asks for a task reconfiguration (table.poll.interval.ms)", arguments: TestDatabase.all)
    func newTableReconfigures(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        try db.exec("CREATE TABLE \(db.quote(db.table("first"))) (id INT NOT NULL)")
        let connector = JdbcSourceConnector()
        let context = RecordingConnectorContext()
        connector.initialize(context: context)
        let mine = (database.kind == .sqlite ? "" : ".*\\.") + db.prefix + "_.*"
        try await connector.start(db.sourceConfig(["mode": "incrementing", "table.poll.interval.ms": "50", "table.include.list": mine]))
        try db.exec("CREATE TABLE \(db.quote(db.table("second"))) (id INT NOT NULL)")
        let deadline = ContinuousClock.now + .seconds(10)
        while context.reconfigurations == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(context.reconfigurations >= 1)
        #expect(try await connector.taskConfigs(maxTasks: 1).first?["tables"] == [db.table("first"), db.table("second")].map(db.taskTables).joined(separator: ","))
        try await connector.stop()
    }

    @Test("numeric.mapping as Confluent: NUMERIC columns by precision and scale; DECIMAL columns stay Decimal")
    func numericMapping() throws {
        func schema(_ type: SQLType, _ m: NumericMapping) -> Schema? { ColumnReader.forColumn(SQLColumn(name: "n", type: type, typeName: "", nullable: false), numericMapping: m)?.1 }
        #expect(schema(.numeric(precision: 5, scale: 0), .none)?.name == LogicalType.decimalName)
        #expect(schema(.numeric(precision: 5, scale: 0), .precisionOnly)?.type == .int32)
        #expect(schema(.numeric(precision: 2, scale: 0), .precisionOnly)?.type == .int8)
        #expect(schema(.numeric(precision: 18, scale: 0), .precisionOnly)?.type == .int64)
        #expect(schema(.numeric(precision: 19, scale: 0), .precisionOnly)?.name == LogicalType.decimalName)
        #expect(schema(.numeric(precision: 10, scale: 2), .precisionOnly)?.name == LogicalType.decimalName)
        #expect(schema(.numeric(precision: 10, scale: 2), .bestFit)?.type == .float64)
        #expect(schema(.numeric(precision: 30, scale: 2), .bestFit)?.name == LogicalType.decimalName)
        #expect(schema(.numeric(precision: 30, scale: 2), .bestFitEagerDouble)?.type == .float64)
        #expect(schema(.decimal(precision: 5, scale: 0), .bestFit)?.name == LogicalType.decimalName)
    }

    @Test("config mistakes are reported with Confluent's messages, every bad key at once")
    func configErrors() throws {
        #expect(throws: ConfigError.self) { try JdbcSourceSettings(["connection.url": "jdbc:sqlite::memory:"]) }
        let both = JdbcSourceConnector().validate(["connection.url": "jdbc:sqlite::memory:", "mode": "bulk", "query": "SELECT 1", "table.whitelist": "a"])
        #expect(both["table.whitelist"]?.errors == ["query may not be combined with whole-table copying settings."])
        let noTimestamp = JdbcSourceConnector().validate(["connection.url": "jdbc:sqlite::memory:", "mode": "timestamp"])
        #expect(noTimestamp["timestamp.column.name"]?.errors.first?.contains("Timestamp column name must be provided") == true)
        let badURL = JdbcSourceConnector().validate(["connection.url": "jdbc:oracle:thin:@x:1521:db?password=s3cret", "mode": "bulk"])
        let message = try #require(badURL["connection.url"]?.errors.first)
        #expect(message.contains("unsupported database 'oracle'"))
        #expect(!message.contains("s3cret"))
        #expect(JdbcSourceConnector().validate(["connection.url": "x", "mode": "bulk", "topic.prefix": "bad prefix"])["topic.prefix"]?.errors.isEmpty == false)
        let dialect = JdbcSinkConnector().validate(["connection.url": "jdbc:sqlite::memory:", "dialect.name": "PostgreSqlDatabaseDialect"])
        #expect(dialect["dialect.name"]?.errors.first?.contains("does not match connection.url") == true)
    }
}

final class RecordingConnectorContext: ConnectorContext, @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var errors: [String] = []
    var reconfigurations: Int { lock.withLock { count } }
    var raised: [String] { lock.withLock { errors } }
    func requestTaskReconfiguration() { lock.withLock { count += 1 } }
    func raiseError(_ error: any Error) { lock.withLock { errors.append("\(error)") } }
}
