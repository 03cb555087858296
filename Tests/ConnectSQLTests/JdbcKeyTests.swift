import ConnectKit
import ConnectKitTesting
import ConnectRuntime
import Foundation
import Testing

@testable import ConnectSQL

@Suite("JDBC connector keys on SQLite, PostgreSQL and MariaDB")
struct JdbcKeyTests {
    func tasksTables(_ db: Scratch, _ extra: [String: String]) async throws -> [String] {
        let connector = JdbcSourceConnector()
        try await connector.start(db.sourceConfig(["mode": "bulk"]).merging(extra) { $1 })
        let configs = try await connector.taskConfigs(maxTasks: 1)
        try await connector.stop()
        let text = configs.first?["tables"] ?? ""
        return try JdbcSourceTask.parseTables(text, kind: db.kind).map(\.name)
    }

    @Test("table.whitelist, table.blacklist, table.include.list/exclude.list and table.types choose the tables", arguments: TestDatabase.all)
    func tableFilters(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        for n in ["a", "b", "c"] { try db.exec("CREATE TABLE \(db.quote(db.table(n))) (id INT NOT NULL)") }
        try db.exec("CREATE VIEW \(db.quote(db.table("v"))) AS SELECT id FROM \(db.quote(db.table("a")))")
        let mine = { (names: [String]) in names.filter { $0.hasPrefix(db.prefix + "_") }.sorted() }
        #expect(try await tasksTables(db, ["table.whitelist": "\(db.table("a")),\(db.table("c"))"]) == [db.table("a"), db.table("c")])
        #expect(mine(try await tasksTables(db, ["table.blacklist": db.table("b")])) == [db.table("a"), db.table("c")])
        let qualified = database.kind == .sqlite ? "" : ".*\\."
        #expect(try await tasksTables(db, ["table.include.list": "\(qualified)\(db.prefix)_[ab]", "table.exclude.list": "\(qualified)\(db.prefix)_b"]) == [db.table("a")])
        #expect(mine(try await tasksTables(db, ["table.types": "VIEW"])) == [db.table("v")])
        #expect(mine(try await tasksTables(db, ["table.types": "TABLE,VIEW"])) == [db.table("a"), db.table("b"), db.table("c"), db.table("v")])
    }

    @Test("schema.pattern (PostgreSQL) and catalog.pattern (MariaDB) narrow the catalog search", arguments: TestDatabase.servers)
    func patterns(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = db.table("p")
        try db.exec("CREATE TABLE \(db.quote(t)) (id INT NOT NULL)")
        let key = database.kind == .postgresql ? "schema.pattern" : "catalog.pattern"
        let home = database.kind == .postgresql ? "public" : "connectkit"
        #expect(try await tasksTables(db, [key: home, "table.whitelist": t]) == [t])
        let connector = JdbcSourceConnector()
        let context = RecordingConnectorContext()
        connector.initialize(context: context)
        try await connector.start(db.sourceConfig(["mode": "bulk", key: "no_such_%", "table.whitelist": t]))
        #expect(context.raised.first?.contains("No tables were found") == true)
        try await connector.stop()
    }

    @Test("timestamp.initial: rows older than it are not copied; -1 starts at the database's current time", arguments: TestDatabase.all)
    func timestampInitial(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = db.table("ev")
        try db.exec("CREATE TABLE \(db.quote(t)) (id \(database.bigint) NOT NULL, ts \(database.timestampType) NOT NULL)")
        try db.exec("INSERT INTO \(db.quote(t)) VALUES (1, '2020-01-01 00:00:00.000000'), (2, '2023-06-01 00:00:00.000000')")
        let base = db.sourceConfig(["mode": "timestamp", "timestamp.column.name": "ts", "tables": db.taskTables(t)])
        let from2022 = SourceTaskHarness(JdbcSourceTask.self, config: base.merging(["timestamp.initial": "1640995200000"]) { $1 })
        try await from2022.start()
        #expect(try await from2022.pollAll(1).map { $0.value.field("id")?.int64Value } == [2])
        try await from2022.stop()
        let fromNow = SourceTaskHarness(JdbcSourceTask.self, config: base.merging(["timestamp.initial": "-1"]) { $1 })
        try await fromNow.start()
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await fromNow.poll().isEmpty)
        try await fromNow.stop()
    }

    @Test("db.timezone: timestamps without a zone are read and written as wall time in that zone", arguments: TestDatabase.all)
    func dbTimezone(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = db.table("tz")
        try db.exec("CREATE TABLE \(db.quote(t)) (id \(database.autoIncrementKey), ts \(database.timestampType) NOT NULL)")
        try db.exec("INSERT INTO \(db.quote(t)) (id, ts) VALUES (1, '2024-07-01 12:00:00.000000')")
        let harness = SourceTaskHarness(JdbcSourceTask.self, config: db.sourceConfig(["mode": "incrementing", "db.timezone": "Europe/Paris", "tables": db.taskTables(t)]))
        try await harness.start()
        // 12:00 in Paris (summer time) is 10:00 UTC.
        #expect(try await harness.pollAll(1).first?.value.field("ts") == .timestamp(1_719_828_000_000))
        try await harness.stop()
        let out = db.table("tzout")
        let schema = try SchemaBuilder.struct().field("id", .int64).field("ts", Schema.timestamp).build()
        let sink = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig(["auto.create": "true", "db.timezone": "Europe/Paris", "table.name.format": out]))
        try await sink.start()
        try await sink.put([SinkRecord(topic: "x", partition: 0, valueSchema: schema, value: .struct(try Struct(schema, ["id": .int64(1), "ts": .timestamp(1_719_828_000_000)])), offset: 0)])
        let stored = try db.rows("SELECT ts FROM \(db.quote(out))").first?.first ?? nil
        if database.kind == .sqlite {
            #expect(stored == "1719828000000")  // SQLite keeps epoch milliseconds, as sqlite-jdbc
        } else {
            #expect(stored?.hasPrefix("2024-07-01 12:00:00") == true, "\(stored ?? "nil")")
        }
        try await sink.stop()
    }

    @Test("numeric.mapping on real NUMERIC columns (PostgreSQL NUMERIC, SQLite NUMERIC); MariaDB DECIMAL stays Decimal", arguments: TestDatabase.all)
    func numericMappingOnTables(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = db.table("num")
        try db.exec("CREATE TABLE \(db.quote(t)) (id \(database.autoIncrementKey), small NUMERIC(4,0) NOT NULL, money NUMERIC(10,2) NOT NULL)")
        try db.exec("INSERT INTO \(db.quote(t)) (id, small, money) VALUES (1, 42, 12.34)")
        let harness = SourceTaskHarness(JdbcSourceTask.self, config: db.sourceConfig(["mode": "bulk", "numeric.mapping": "best_fit", "tables": db.taskTables(t)]))
        try await harness.start()
        let record = try #require(try await harness.pollAll(1).first)
        if database.kind == .mysql {
            #expect(record.value.field("small") == .decimal(BigDecimal("42")!))
        } else {
            #expect(record.value.field("small") == .int16(42))
            #expect(record.value.field("money") == .float64(12.34))
        }
        try await harness.stop()
    }

    @Test("fields.whitelist, table.name.format, batch.size and quote.sql.identifiers=never in the sink", arguments: TestDatabase.all)
    func sinkKeys(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let topic = db.table("people")
        let schema = try SchemaBuilder.struct().field("id", .int64).field("name", .string).field("secret", .optionalString).build()
        let records = try (1...7).map { i in
            SinkRecord(topic: topic, partition: 0, valueSchema: schema, value: .struct(try Struct(schema, ["id": .int64(Int64(i)), "name": .string("p\(i)"), "secret": .string("s")])), offset: Int64(i))
        }
        let sink = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig([
            "auto.create": "true", "fields.whitelist": "id,name", "table.name.format": "kafka_${topic}", "batch.size": "3", "quote.sql.identifiers": "never",
        ]))
        try await sink.start()
        try await sink.put(records)
        let table = "kafka_\(topic)"
        #expect(try db.rows("SELECT id, name FROM \(table) ORDER BY id").count == 7)
        let columns = try db.connection.columns(of: TableID(name: table)).map(\.name)
        #expect(columns == ["id", "name"])
        try await sink.stop()
    }

    @Test("max.retries and retry.backoff.ms: a lost connection is retried after the backoff; with no retries left the task fails", arguments: TestDatabase.servers)
    func retries(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let topic = db.table("r")
        // The sink connects as a user (MariaDB) or application (PostgreSQL) of its own, so only its
        // sessions are ended.
        let tag = "u\(db.prefix)"
        var url = db.url
        if database.kind == .postgresql {
            url += "&ApplicationName=\(tag)"
        } else {
            try db.exec("CREATE USER '\(tag)'@'127.0.0.1'")
            try db.exec("GRANT ALL ON connectkit.* TO '\(tag)'@'127.0.0.1'")
            url = url.replacing("user=root", with: "user=\(tag)")
        }
        func killSink() throws {
            if database.kind == .postgresql {
                try db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '\(tag)'")
            } else {
                for row in try db.rows("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '\(tag)'") { try? db.exec("KILL \(row[0]!)") }
            }
        }
        let schema = try SchemaBuilder.struct().field("id", .int64).build()
        let record = SinkRecord(topic: topic, partition: 0, valueSchema: schema, value: .struct(try Struct(schema, ["id": .int64(1)])), offset: 0)
        let patient = SinkTaskHarness(JdbcSinkTask.self, config: ["connection.url": url, "auto.create": "true", "max.retries": "1", "retry.backoff.ms": "1234"])
        try await patient.start()
        try await patient.put([record])
        try killSink()
        await #expect(throws: RetriableError.self) { try await patient.put([record]) }
        #expect(patient.contextRequests.retryTimeoutMs == 1234)
        try await patient.put([record])  // reconnected
        try await patient.stop()

        let impatient = SinkTaskHarness(JdbcSinkTask.self, config: ["connection.url": url, "max.retries": "0"])
        try await impatient.start()
        try await impatient.put([record])
        try killSink()
        let error = await #expect(throws: ConnectError.self) { try await impatient.put([record]) }
        #expect(error?.message.contains("Exceeded max.retries=0") == true)
        try await impatient.stop()
    }

    @Test("connection.attempts and connection.backoff.ms: an unreachable database is tried that many times, that far apart", arguments: TestDatabase.all)
    func connectionAttempts(_ database: TestDatabase) async throws {
        let url: String
        switch database.kind {
        case .sqlite: url = "jdbc:sqlite:/nonexistent-dir/x.db"
        case .postgresql: url = "jdbc:postgresql://127.0.0.1:1/nothing"
        case .mysql: url = "jdbc:mysql://127.0.0.1:1/nothing"
        }
        let settings = try JDBCConnectionConfig.Settings(try JdbcSinkSettings.configDef.parse([
            "connection.url": url, "connection.attempts": "3", "connection.backoff.ms": "100",
        ]))
        let started = ContinuousClock.now
        await #expect(throws: SQLError.self) { _ = try await JDBCConnectionConfig.connect(settings) }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(200) && elapsed < .seconds(30))  // at least the backoffs; bounded
    }

    /// The documented pitfall: in incrementing mode a row whose id was taken before another's but
    /// committed after it is skipped (the offset has passed its id). timestamp+incrementing with
    /// `timestamp.delay.interval.ms` longer than the transaction reads it.
    @Test("rows committed out of order: skipped in incrementing mode, read with timestamp.delay.interval.ms", arguments: TestDatabase.servers)
    func outOfOrderCommits(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = db.table("late")
        try db.exec("CREATE TABLE \(db.quote(t)) (id \(database.autoIncrementKey), ts \(database.timestampType) NOT NULL)")
        let now = database.kind == .postgresql ? "clock_timestamp()" : "NOW(6)"
        // A second connection opens a transaction and takes id 1 (not committed yet).
        let writer = try database.fresh()
        try writer.exec(database.kind == .postgresql ? "BEGIN" : "START TRANSACTION")
        try writer.exec("INSERT INTO \(db.quote(t)) (ts) VALUES (\(now))")
        try db.exec("INSERT INTO \(db.quote(t)) (ts) VALUES (\(now))")  // id 2, committed
        let incrementing = SourceTaskHarness(JdbcSourceTask.self, config: db.sourceConfig(["mode": "incrementing", "tables": db.taskTables(t)]))
        let delayed = SourceTaskHarness(JdbcSourceTask.self, config: db.sourceConfig([
            "mode": "timestamp+incrementing", "incrementing.column.name": "id", "timestamp.column.name": "ts",
            "timestamp.delay.interval.ms": "2000", "tables": db.taskTables(t),
        ]))
        try await incrementing.start()
        try await delayed.start()
        #expect(try await incrementing.pollAll(1).map { $0.value.field("id")?.int64Value } == [2])
        try writer.exec("COMMIT")  // id 1 arrives late
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await incrementing.poll().isEmpty)  // skipped for good
        let late = try await delayed.pollAll(2, timeout: .seconds(10))
        #expect(late.map { $0.value.field("id")?.int64Value } == [1, 2])
        try await incrementing.stop()
        try await delayed.stop()
    }
}

@Suite("JDBC connectors: review findings")
struct JdbcReviewFindingTests {
    @Test("a poll that fails half way keeps no offset for the rows it read: after the bad row is fixed every row comes", arguments: [TestDatabase.all[0]])
    func failedPollLosesNothing(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = db.table("poison")
        try db.exec("CREATE TABLE \(db.quote(t)) (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        // SQLite stores text in an INTEGER column: row 3 cannot be read as INT64.
        try db.exec("INSERT INTO \(db.quote(t)) VALUES (1, 10), (2, 20), (3, 'x'), (4, 40)")
        let harness = SourceTaskHarness(JdbcSourceTask.self, config: db.sourceConfig(["mode": "incrementing", "tables": db.taskTables(t)]))
        try await harness.start()
        await #expect(throws: (any Error).self) { try await harness.poll() }
        try db.exec("UPDATE \(db.quote(t)) SET n = 30 WHERE id = 3")
        let records = try await harness.pollAll(4)
        #expect(records.map { $0.value.field("id")?.int64Value } == [1, 2, 3, 4])
        try await harness.stop()
    }

    @Test("PostgreSQL upserts through COPY keep working after a batch with a refused row", arguments: TestDatabase.all)
    func upsertAfterRefusedRow(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let topic = db.table("staged")
        try db.exec("CREATE TABLE \(db.quote(topic)) (id \(database.bigint) PRIMARY KEY, v VARCHAR(20) NOT NULL)")
        let schema = try SchemaBuilder.struct().field("id", .int64).field("v", .optionalString).build()
        func batch(_ base: Int64, refusing: Int64? = nil) throws -> [SinkRecord] {
            try (base..<base + 100).map { i in
                SinkRecord(topic: topic, partition: 0, valueSchema: schema,
                           value: .struct(try Struct(schema, ["id": .int64(i), "v": i == refusing ? .null : .string("v\(i)")])), offset: i)
            }
        }
        let sink = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig(["pk.mode": "record_value", "pk.fields": "id", "insert.mode": "upsert"]))
        try await sink.start()
        try await sink.put(try batch(0, refusing: 50))
        try await sink.put(try batch(100))
        try await sink.put(try batch(0))
        #expect(try db.rows("SELECT count(*) FROM \(db.quote(topic))") == [["200"]])
        #expect(sink.contextRequests.reported.map(\.record.kafkaOffset) == [50])
        try await sink.stop()
    }

    @Test("SQLite timestamp mode on a table that is empty at start: rows with fractions arrive once")
    func sqliteEmptyThenFractions() async throws {
        let db = try TestDatabase.all[0].fresh()
        let t = db.table("later")
        try db.exec("CREATE TABLE \(t) (id INTEGER NOT NULL, ts TIMESTAMP NOT NULL)")
        let harness = SourceTaskHarness(JdbcSourceTask.self, config: db.sourceConfig(["mode": "timestamp", "timestamp.column.name": "ts", "tables": db.taskTables(t)]))
        try await harness.start()
        #expect(try await harness.poll().isEmpty)
        try db.exec("INSERT INTO \(t) VALUES (1, '2024-01-01 00:00:05.123'), (2, '2024-01-01 00:00:06.500')")
        #expect(try await harness.pollAll(2).map { $0.value.field("id")?.int64Value } == [1, 2])
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await harness.poll().isEmpty)
        #expect(try await harness.poll().isEmpty)
        try await harness.stop()
    }

    @Test("timestamptz columns compare instants when db.timezone is not UTC (PostgreSQL)", arguments: TestDatabase.all.filter { $0.kind == .postgresql })
    func timestamptzInZone(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let t = db.table("tz")
        try db.exec("CREATE TABLE \(db.quote(t)) (id BIGINT NOT NULL, ts TIMESTAMPTZ NOT NULL)")
        try db.exec("INSERT INTO \(db.quote(t)) VALUES (1, '2024-01-01 00:00:00+00'), (2, '2024-01-01 01:00:00+00')")
        let harness = SourceTaskHarness(JdbcSourceTask.self, config: db.sourceConfig([
            "mode": "timestamp", "timestamp.column.name": "ts", "db.timezone": "America/New_York", "tables": db.taskTables(t),
        ]))
        try await harness.start()
        #expect(try await harness.pollAll(2).count == 2)
        try await harness.acknowledgeAll()
        try await harness.restart()
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await harness.poll().isEmpty)  // nothing comes again
        try await harness.stop()
    }
}
