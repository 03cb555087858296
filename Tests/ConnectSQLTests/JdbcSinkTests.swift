import ConnectKit
import ConnectKitTesting
import ConnectRuntime
import Foundation
import Testing

@testable import ConnectSQL

@Suite("JdbcSinkConnector on SQLite, PostgreSQL and MariaDB")
struct JdbcSinkTests {
    static let valueSchema = try! SchemaBuilder.struct().name("order")
        .field("id", .int64).field("customer", .string).field("amount", Schema.decimal(scale: 2).asOptional)
        .field("placed", SchemaBuilder.date().optional().buildUnchecked()).field("at", SchemaBuilder.timestamp().optional().buildUnchecked())
        .field("vip", .optionalBoolean).field("payload", .optionalBytes).build()
    static let keySchema = try! SchemaBuilder.struct().field("id", .int64).build()

    func order(_ id: Int64, _ customer: String, offset: Int64, topic: String, amount: String = "9.99") -> SinkRecord {
        let value = try! Struct(Self.valueSchema, [
            "id": .int64(id), "customer": .string(customer), "amount": .decimal(BigDecimal(amount)!), "placed": .date(19724),
            "at": .timestamp(1_704_189_600_123), "vip": .boolean(id % 2 == 0), "payload": .bytes([1, 2, 3]),
        ])
        return SinkRecord(
            topic: topic, partition: 0, keySchema: Self.keySchema, key: .struct(try! Struct(Self.keySchema, ["id": .int64(id)])),
            valueSchema: Self.valueSchema, value: .struct(value), offset: offset)
    }

    @Test("insert with auto.create: Confluent's column types; values read back", arguments: TestDatabase.all)
    func insertAutoCreate(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let topic = db.table("orders")
        let sink = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig(["auto.create": "true", "pk.mode": "record_key"]))
        try await sink.start()
        try await sink.put((1...5).map { order($0, "c\($0)", offset: $0, topic: topic) })
        let rows = try db.rows("SELECT id, customer, amount, vip FROM \(db.quote(topic)) ORDER BY id")
        #expect(rows.count == 5)
        #expect(rows.first?[1] == "c1")
        #expect(rows.first.map { Double($0[2] ?? "") } == 9.99)
        let columns = try db.connection.columns(of: JdbcSinkTask.tableID(topic, kind: database.kind))
        #expect(columns.first(where: { $0.name == "id" })?.primaryKey == true)
        #expect(columns.first(where: { $0.name == "customer" })?.nullable == false)
        #expect(columns.first(where: { $0.name == "amount" })?.nullable == true)
        try await sink.stop()
    }

    @Test("upsert is idempotent: the same batch delivered twice leaves one row per key with the last values", arguments: TestDatabase.all)
    func upsertIdempotent(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let topic = db.table("orders")
        let sink = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig(["auto.create": "true", "pk.mode": "record_key", "insert.mode": "upsert"]))
        try await sink.start()
        let batch = (1...4).map { order($0, "first", offset: $0, topic: topic) } + [order(2, "second", offset: 5, topic: topic)]
        try await sink.put(batch)
        try await sink.put(batch)  // redelivered after a crash
        let rows = try db.rows("SELECT id, customer FROM \(db.quote(topic)) ORDER BY id")
        #expect(rows.map { $0[0] } == ["1", "2", "3", "4"])
        #expect(rows[1][1] == "second")
        try await sink.stop()
    }

    @Test("pk.mode=kafka keys rows by __connect_topic, __connect_partition, __connect_offset", arguments: TestDatabase.all)
    func kafkaKeys(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let topic = db.table("orders")
        let sink = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig(["auto.create": "true", "pk.mode": "kafka", "insert.mode": "upsert"]))
        try await sink.start()
        try await sink.put([order(1, "a", offset: 40, topic: topic), order(1, "a", offset: 41, topic: topic)])
        let rows = try db.rows("SELECT \(db.quote("__connect_topic")), \(db.quote("__connect_partition")), \(db.quote("__connect_offset")), id FROM \(db.quote(topic)) ORDER BY 3")
        #expect(rows == [[topic, "0", "40", "1"], [topic, "0", "41", "1"]])
        try await sink.stop()
    }

    @Test("pk.mode=record_value with pk.fields, insert.mode=update changes existing rows only", arguments: TestDatabase.all)
    func recordValueUpdate(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let topic = db.table("orders")
        let create = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig(["auto.create": "true", "pk.mode": "record_value", "pk.fields": "id"]))
        try await create.start()
        try await create.put([order(1, "a", offset: 1, topic: topic), order(2, "b", offset: 2, topic: topic)])
        try await create.stop()
        let update = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig(["pk.mode": "record_value", "pk.fields": "id", "insert.mode": "update"]))
        try await update.start()
        try await update.put([order(2, "b2", offset: 3, topic: topic), order(9, "nobody", offset: 4, topic: topic)])
        #expect(try db.rows("SELECT id, customer FROM \(db.quote(topic)) ORDER BY id") == [["1", "a"], ["2", "b2"]])
        try await update.stop()
    }

    @Test("delete.enabled: a tombstone deletes the row with its key", arguments: TestDatabase.all)
    func deletes(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let topic = db.table("orders")
        let sink = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig(["auto.create": "true", "pk.mode": "record_key", "insert.mode": "upsert", "delete.enabled": "true"]))
        try await sink.start()
        let tombstone = SinkRecord(topic: topic, partition: 0, keySchema: Self.keySchema, key: .struct(try Struct(Self.keySchema, ["id": .int64(2)])), valueSchema: nil, value: .null, offset: 4)
        try await sink.put([order(1, "a", offset: 1, topic: topic), order(2, "b", offset: 2, topic: topic), order(3, "c", offset: 3, topic: topic), tombstone])
        #expect(try db.rows("SELECT id FROM \(db.quote(topic)) ORDER BY id") == [["1"], ["3"]])
        try await sink.stop()
    }

    @Test("a tombstone without delete.enabled is reported with Confluent's message; the other records are written", arguments: [TestDatabase.all[0]])
    func tombstoneWithoutDelete(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let topic = db.table("orders")
        let sink = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig(["auto.create": "true", "pk.mode": "record_key"]))
        try await sink.start()
        let tombstone = SinkRecord(topic: topic, partition: 0, keySchema: Self.keySchema, key: .struct(try Struct(Self.keySchema, ["id": .int64(2)])), valueSchema: nil, value: .null, offset: 7)
        try await sink.put([order(1, "a", offset: 1, topic: topic), tombstone])
        #expect(try db.rows("SELECT id FROM \(db.quote(topic))") == [["1"]])
        let reported = sink.contextRequests.reported
        #expect(reported.count == 1)
        #expect(reported.first?.error.contains("is configured with 'delete.enabled=false' and 'pk.mode=record_key'") == true)
        #expect(reported.first?.error.contains("offset=7") == true)
        try await sink.stop()
    }

    @Test("auto.evolve adds a new optional field as a nullable column; a required one is refused with Confluent's message", arguments: TestDatabase.all)
    func autoEvolve(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let topic = db.table("people")
        let v1 = try SchemaBuilder.struct().field("id", .int64).field("name", .string).build()
        let v2 = try SchemaBuilder.struct().field("id", .int64).field("name", .string).field("email", .optionalString).build()
        let v3 = try SchemaBuilder.struct().field("id", .int64).field("name", .string).field("age", .int32).build()
        func record(_ s: Schema, _ values: KeyValuePairs<String, Value>, _ offset: Int64) throws -> SinkRecord {
            SinkRecord(topic: topic, partition: 0, key: .null, valueSchema: s, value: .struct(try Struct(s, values)), offset: offset)
        }
        let sink = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig(["auto.create": "true", "auto.evolve": "true", "pk.mode": "record_value", "pk.fields": "id"]))
        try await sink.start()
        try await sink.put([try record(v1, ["id": .int64(1), "name": .string("ada")], 0)])
        try await sink.put([try record(v2, ["id": .int64(2), "name": .string("bob"), "email": .string("b@x")], 1)])
        #expect(try db.rows("SELECT id, email FROM \(db.quote(topic)) ORDER BY id") == [["1", nil], ["2", "b@x"]])
        try await sink.put([try record(v3, ["id": .int64(3), "name": .string("cy"), "age": .int32(3)], 2)])
        #expect(sink.contextRequests.reported.first?.error.contains("to add missing field age, as the field is not optional and does not have a default value") == true)
        try await sink.stop()
    }

    @Test("a row that breaks a constraint goes to errors.tolerance with the database's message; the rest of its batch is written", arguments: TestDatabase.all)
    func constraintViolation(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let topic = db.table("orders")
        try db.exec("CREATE TABLE \(db.quote(topic)) (id \(database.bigint) PRIMARY KEY, customer VARCHAR(5) NOT NULL)")
        let schema = try SchemaBuilder.struct().field("id", .int64).field("customer", .optionalString).build()
        // A NULL into NOT NULL, a duplicate key, and (PostgreSQL, MariaDB: SQLite does not enforce
        // VARCHAR lengths) a value too long for its column.
        var rows: [(Int, String?)] = [(1, "ok"), (2, nil), (3, "fine"), (1, "dup")]
        if database.kind != .sqlite { rows.append((5, "far too long")) }
        let records = try rows.enumerated().map { i, r in
            SinkRecord(topic: topic, partition: 0, key: .null, valueSchema: schema,
                       value: .struct(try Struct(schema, ["id": .int64(Int64(r.0)), "customer": r.1.map(Value.string) ?? .null])), offset: Int64(i))
        }
        let sink = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig([:]))
        try await sink.start()
        try await sink.put(records)
        #expect(try db.rows("SELECT id, customer FROM \(db.quote(topic)) ORDER BY id") == [["1", "ok"], ["3", "fine"]])
        let reported = sink.contextRequests.reported
        #expect(reported.map(\.record.kafkaOffset) == (database.kind == .sqlite ? [1, 3] : [1, 3, 4]))
        #expect(reported.allSatisfy { $0.error.contains("Record at (topic='\(topic)'") })
        try await sink.stop()
    }

    @Test("hostile table and column names are quoted and values bound: nothing is injected", arguments: TestDatabase.all)
    func hostileNames(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let topic = db.table("x\"; DROP TABLE t; -- `é")
        let schema = try SchemaBuilder.struct().field("id", .int64).field("col\"`; --", .string).build()
        let value = try Struct(schema, ["id": .int64(1), "col\"`; --": .string("'); DROP TABLE x; --")])
        let sink = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig(["auto.create": "true", "pk.mode": "record_value", "pk.fields": "id", "insert.mode": "upsert"]))
        try await sink.start()
        try await sink.put([SinkRecord(topic: topic, partition: 0, key: .null, valueSchema: schema, value: .struct(value), offset: 0)])
        let rows = try db.rows("SELECT \(db.quote("col\"`; --")) FROM \(db.quote(topic))")
        #expect(rows == [["'); DROP TABLE x; --"]])
        try await sink.stop()
    }

    @Test("records without a schema (maps) are written to an existing table, its columns giving the types; an unknown key is named", arguments: TestDatabase.all)
    func schemaless(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let topic = db.table("events")
        try db.exec("CREATE TABLE \(db.quote(topic)) (id \(database.bigint) PRIMARY KEY, kind VARCHAR(20), n INT)")
        let sink = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig(["pk.mode": "record_value", "pk.fields": "id", "insert.mode": "upsert"]))
        try await sink.start()
        let good = SinkRecord(topic: topic, partition: 0, key: .null, valueSchema: nil, value: .map(["id": .int64(1), "kind": .string("click"), "n": .int64(3)]), offset: 0)
        let bad = SinkRecord(topic: topic, partition: 0, key: .null, valueSchema: nil, value: .map(["id": .int64(2), "colour": .string("red")]), offset: 1)
        try await sink.put([good, bad])
        #expect(try db.rows("SELECT id, kind, n FROM \(db.quote(topic))") == [["1", "click", "3"]])
        #expect(sink.contextRequests.reported.first?.error.contains("Field 'colour' of a schemaless record has no column in table") == true)
        try await sink.stop()
    }

    @Test("a missing table without auto.create fails with Confluent's message", arguments: [TestDatabase.all[0]])
    func missingTable(_ database: TestDatabase) async throws {
        let db = try database.fresh()
        let sink = SinkTaskHarness(JdbcSinkTask.self, config: db.sinkConfig([:]))
        try await sink.start()
        try await sink.put([order(1, "a", offset: 0, topic: "nowhere")])
        #expect(sink.contextRequests.reported.first?.error.contains("Table \"nowhere\" is missing and auto-creation is disabled") == true)
    }

    @Test("sink config mistakes: delete.enabled needs pk.mode=record_key; upsert needs a key; a primitive key needs one pk.fields name")
    func configErrors() async throws {
        let v = JdbcSinkConnector().validate(["connection.url": "jdbc:sqlite::memory:", "delete.enabled": "true"])
        #expect(v["delete.enabled"]?.errors == ["Primary key mode must be 'record_key' when delete support is enabled"])
        #expect(JdbcSinkConnector().validate(["connection.url": "jdbc:sqlite::memory:", "insert.mode": "upsert"])["pk.mode"]?.errors.isEmpty == false)
        let settings = try JdbcSinkSettings(["connection.url": "jdbc:sqlite::memory:", "pk.mode": "record_key"])
        #expect(throws: ConnectError.self) {
            try FieldsMetadata.extract(table: "t", settings: settings, keySchema: .int64, key: .int64(1), valueSchema: Self.valueSchema, value: .null, tableColumns: nil)
        }
        do {
            _ = try FieldsMetadata.extract(table: "t", settings: settings, keySchema: .int64, key: .int64(1), valueSchema: Self.valueSchema, value: .null, tableColumns: nil)
        } catch {
            #expect("\(error)".contains("Need exactly one PK column defined since the key schema for records is a primitive type, defined columns are: []"))
        }
    }
}
