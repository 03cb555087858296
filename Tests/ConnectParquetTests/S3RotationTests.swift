import ConnectKit
import ConnectKitTesting
import ConnectS3
import Foundation
import Synchronization
import Testing

/// A sink task context that keeps what the task reports as errant.
final class CollectingSinkContext: SinkTaskContext, ErrantRecordReporter {
    let config: [String: String] = [:]
    private let state = Mutex<[(SinkRecord, String)]>([])
    func assignment() -> Set<TopicPartition> { [] }
    func offset(_ offsets: [TopicPartition: Int64]) {}
    func timeout(milliseconds: Int64) {}
    func pause(_ partitions: [TopicPartition]) {}
    func resume(_ partitions: [TopicPartition]) {}
    func requestCommit() {}
    var errantRecordReporter: (any ErrantRecordReporter)? { self }
    func report(_ record: SinkRecord, error: any Error) async throws { state.withLock { $0.append((record, "\(error)")) } }
    var reported: [(SinkRecord, String)] { state.withLock { $0 } }
}

/// A settable wall clock for the task.
final class TestClock: Sendable {
    private let now: Mutex<Int64>
    init(_ start: Int64) { now = Mutex(start) }
    func set(_ ms: Int64) { now.withLock { $0 = ms } }
    var read: @Sendable () -> Int64 { { [self] in now.withLock { $0 } } }
}

/// Milliseconds of an ISO-8601 UTC time.
func utc(_ text: String) -> Int64 {
    let f = ISO8601DateFormatter()
    return Int64(f.date(from: text)!.timeIntervalSince1970 * 1000)
}

@Suite("S3 sink: time-based partitioners, rotation, bounded memory", .serialized)
struct S3RotationTests {
    static let schema = try! SchemaBuilder.struct().name("Event").field("id", Schema.int64).field("at", Schema.timestamp).build()

    static func event(_ id: Int64, at ms: Int64, partition: Int32 = 0) -> SinkRecord {
        SinkRecord(topic: "events", partition: partition, valueSchema: schema,
                   value: .struct(try! Struct(schema, ["id": .int64(id), "at": .timestamp(ms)])), offset: id, timestamp: ms)
    }

    func lake() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-s3rot-\(UUID().uuidString)") }

    func lines(_ url: URL) throws -> [Int64] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
            let v = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return (v["id"] as! NSNumber).int64Value
        }
    }

    func config(_ dir: URL, _ extra: [String: String]) -> [String: String] {
        ["s3.bucket.name": "lake", "store.url": "file://\(dir.path)", "format.class": "io.confluent.connect.s3.format.json.JsonFormat", "flush.size": "1000"]
            .merging(extra) { $1 }
    }

    @Test("HourlyPartitioner with the Record extractor and rotate.interval.ms: Confluent's year=/month=/day=/hour= paths; a new hour or an interval past the file's first record rotates, the record starting the next file; preCommit passes only written files")
    func recordTimeRotation() async throws {
        let dir = lake()
        defer { try? FileManager.default.removeItem(at: dir) }
        let task = S3SinkTask()
        try await task.start(config(dir, [
            "partitioner.class": "io.confluent.connect.storage.partitioner.HourlyPartitioner", "locale": "en", "timezone": "UTC",
            "timestamp.extractor": "Record", "rotate.interval.ms": "3600000",
        ]))
        let tp = TopicPartition(topic: "events", partition: 0)
        let times = ["2024-03-10T00:10:00Z", "2024-03-10T00:20:00Z", "2024-03-10T00:50:00Z", "2024-03-10T01:05:00Z", "2024-03-10T01:30:00Z", "2024-03-10T02:10:00Z"]
        try await task.put((0..<4).map { Self.event(Int64($0), at: utc(times[$0])) })
        // Record 3 is in hour 01: the partition changed, so hour 00's file was written before it.
        #expect(files(under: dir) == ["lake/topics/events/year=2024/month=03/day=10/hour=00/events+0+0000000000.json"])
        #expect(try await task.preCommit([tp: OffsetAndMetadata(offset: 4)])[tp]?.offset == 3)
        try await task.put((4..<6).map { Self.event(Int64($0), at: utc(times[$0])) })
        #expect(files(under: dir) == [
            "lake/topics/events/year=2024/month=03/day=10/hour=00/events+0+0000000000.json",
            "lake/topics/events/year=2024/month=03/day=10/hour=01/events+0+0000000003.json",
        ])
        #expect(try lines(dir.appendingPathComponent("lake/topics/events/year=2024/month=03/day=10/hour=01/events+0+0000000003.json")) == [3, 4])
        #expect(try await task.preCommit([tp: OffsetAndMetadata(offset: 6)])[tp]?.offset == 5)
        try await task.stop()

        // rotate.file.on.partition.change=false: hours share the partition's file set until the
        // interval has passed since its first record (00:10 → 01:20).
        let dir2 = lake()
        defer { try? FileManager.default.removeItem(at: dir2) }
        let task2 = S3SinkTask()
        try await task2.start(config(dir2, [
            "partitioner.class": "io.confluent.connect.storage.partitioner.TimeBasedPartitioner", "partition.duration.ms": "3600000",
            "path.format": "'dt'=yyyy-MM-dd/'hr'=HH/", "locale": "en_US", "timezone": "America/New_York",
            "timestamp.extractor": "Record", "rotate.interval.ms": "3600000", "rotate.file.on.partition.change": "false",
        ]))
        let later = ["2024-03-10T06:10:00Z", "2024-03-10T06:50:00Z", "2024-03-10T07:05:00Z", "2024-03-10T07:09:00Z", "2024-03-10T07:20:00Z"]
        try await task2.put((0..<4).map { Self.event(Int64($0), at: utc(later[$0])) })
        #expect(files(under: dir2).isEmpty)
        try await task2.put([Self.event(4, at: utc(later[4]))])
        // 06:xx UTC is 01:xx EST; 07:05 UTC is 03:05 EDT (the clocks jumped from 02:00 to 03:00); a
        // trailing directory.delim in path.format is dropped, as Confluent's.
        #expect(files(under: dir2) == [
            "lake/topics/events/dt=2024-03-10/hr=01/events+0+0000000000.json",
            "lake/topics/events/dt=2024-03-10/hr=03/events+0+0000000002.json",
        ])
        #expect(try lines(dir2.appendingPathComponent("lake/topics/events/dt=2024-03-10/hr=03/events+0+0000000002.json")) == [2, 3])
        try await task2.stop()
    }

    @Test("rotate.schedule.interval.ms: files close on the wall clock's schedule (aligned to local midnight in timezone) — an idle partition too, at the runtime's offset commit")
    func scheduledRotation() async throws {
        let dir = lake()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clock = TestClock(utc("2024-03-10T00:03:00Z"))
        let task = S3SinkTask()
        task.clock = clock.read
        try await task.start(config(dir, ["rotate.schedule.interval.ms": "600000", "timezone": "UTC"]))
        let a = TopicPartition(topic: "events", partition: 0), b = TopicPartition(topic: "events", partition: 1)
        try await task.put([Self.event(0, at: 0), Self.event(1, at: 0), Self.event(0, at: 0, partition: 1)])
        clock.set(utc("2024-03-10T00:09:59Z"))
        #expect(try await task.preCommit([a: OffsetAndMetadata(offset: 2), b: OffsetAndMetadata(offset: 1)]).isEmpty)
        #expect(files(under: dir).isEmpty)
        // 00:10 is the next multiple of 10 minutes from midnight: both partitions rotate with no new record.
        clock.set(utc("2024-03-10T00:10:00Z"))
        let committed = try await task.preCommit([a: OffsetAndMetadata(offset: 2), b: OffsetAndMetadata(offset: 1)])
        #expect(committed[a]?.offset == 2 && committed[b]?.offset == 1)
        #expect(files(under: dir) == ["lake/topics/events/partition=0/events+0+0000000000.json", "lake/topics/events/partition=1/events+1+0000000000.json"])
        // A record after the rotation opens a file that closes at 00:20, by a put.
        clock.set(utc("2024-03-10T00:12:00Z"))
        try await task.put([Self.event(2, at: 0)])
        clock.set(utc("2024-03-10T00:20:01Z"))
        try await task.put([Self.event(3, at: 0)])
        #expect(files(under: dir).contains("lake/topics/events/partition=0/events+0+0000000002.json"))
        #expect(try lines(dir.appendingPathComponent("lake/topics/events/partition=0/events+0+0000000002.json")) == [2])
        try await task.stop()
    }

    @Test("RecordField extractor: integers, Timestamp, ISO-8601 and digit strings, nested fields and maps pick the day; a missing, null or non-time field is reported naming the field and record, the others written")
    func recordField() async throws {
        let dir = lake()
        defer { try? FileManager.default.removeItem(at: dir) }
        let inner = try SchemaBuilder.struct().name("Meta").field("created", Schema.string).build()
        let schema = try SchemaBuilder.struct().name("Row").field("id", Schema.int64).field("meta", inner).build()
        func row(_ id: Int64, _ created: String) -> SinkRecord {
            SinkRecord(topic: "rows", partition: 0, valueSchema: schema,
                       value: .struct(try! Struct(schema, ["id": .int64(id), "meta": .struct(try! Struct(inner, ["created": .string(created)]))])), offset: id)
        }
        let context = CollectingSinkContext()
        let task = S3SinkTask()
        task.initialize(context: context)
        try await task.start(config(dir, [
            "partitioner.class": "io.confluent.connect.storage.partitioner.DailyPartitioner", "locale": "en", "timezone": "Asia/Tokyo",
            "timestamp.extractor": "RecordField", "timestamp.field": "meta.created", "flush.size": "4",
        ]))
        // 2024-03-09T20:00Z is March 10th in Tokyo; the digits are 2024-03-10T00:00Z.
        try await task.put([row(0, "2024-03-09T20:00:00Z"), row(1, "not a time"), row(2, "1710028800000"), row(3, "2024-03-10T09:30+09:00"), row(4, "2024-03-11")])
        #expect(context.reported.map(\.0.kafkaOffset) == [1])
        #expect(context.reported.first?.1.contains("timestamp.field meta.created") == true)
        #expect(context.reported.first?.1.contains("rows-0@1") == true)
        #expect(files(under: dir) == [
            "lake/topics/rows/year=2024/month=03/day=10/rows+0+0000000000.json",
            "lake/topics/rows/year=2024/month=03/day=11/rows+0+0000000004.json",
        ])
        #expect(try lines(dir.appendingPathComponent("lake/topics/rows/year=2024/month=03/day=10/rows+0+0000000000.json")) == [0, 2, 3])
        try await task.stop()

        // Schemaless maps, an int64 field, a Timestamp; without a reporter a bad record fails the put, naming it.
        let plain = S3SinkTask()
        try await plain.start(config(dir, [
            "partitioner.class": "io.confluent.connect.storage.partitioner.DailyPartitioner", "locale": "en", "timezone": "UTC",
            "timestamp.extractor": "RecordField", "timestamp.field": "ts", "topics.dir": "plain",
        ]))
        let map = SinkRecord(topic: "m", partition: 0, valueSchema: nil, value: .map(MapValue(["ts": .int64(utc("2024-01-02T03:00:00Z"))])), offset: 0)
        #expect(try S3SinkConfig(config(dir, ["partitioner.class": "io.confluent.connect.storage.partitioner.DailyPartitioner", "locale": "en", "timezone": "UTC",
                                               "timestamp.extractor": "RecordField", "timestamp.field": "ts"])).encodedPartition(map) == "year=2024/month=01/day=02")
        let noField = SinkRecord(topic: "m", partition: 0, valueSchema: nil, value: .map(MapValue(["other": .int64(1)])), offset: 1)
        await #expect { try await plain.put([noField]) } throws: { "\($0)".contains("timestamp.field ts") && "\($0)".contains("m-0@1") }
        let nullTime = SinkRecord(topic: "m", partition: 0, valueSchema: nil, value: .map(MapValue(["ts": .null])), offset: 2)
        await #expect { try await plain.put([nullTime]) } throws: { "\($0)".contains("the field is null") }
        let record = SinkRecord(topic: "m", partition: 0, valueSchema: Schema.int64, value: .int64(5), offset: 3)
        await #expect { try await plain.put([record]) } throws: { "\($0)".contains("not a struct or a map") }
        try await plain.stop()

        // The Record extractor on a record without a timestamp.
        let byRecord = try S3SinkConfig(config(dir, ["partitioner.class": "io.confluent.connect.storage.partitioner.HourlyPartitioner", "locale": "en", "timezone": "UTC", "timestamp.extractor": "Record"]))
        #expect { _ = try byRecord.encodedPartition(record) } throws: { "\($0)".contains("has no timestamp") && "\($0)".contains("m-0@3") }
        #expect(try byRecord.encodedPartition(Self.event(9, at: utc("2030-12-31T23:59:59Z"))) == "year=2030/month=12/day=31/hour=23")
    }

    @Test("bad time-based settings are configuration errors naming the key (Confluent's messages where it has them)")
    func badSettings() throws {
        let dir = lake()
        let tb = ["partitioner.class": "io.confluent.connect.storage.partitioner.TimeBasedPartitioner", "partition.duration.ms": "3600000",
                  "path.format": "YYYY/MM", "locale": "en", "timezone": "UTC"]
        func key(_ extra: [String: String]) -> (String, String)? {
            do {
                _ = try S3SinkConfig(config(dir, tb.merging(extra) { $1 }))
                return nil
            } catch { return (error.keys.first ?? "", error.problems.map(\.message).joined()) }
        }
        #expect(key([:]) == nil)
        #expect(key(["path.format": " "])?.0 == "path.format")
        #expect(key(["path.format": " "])?.1.contains("Path format cannot be empty.") == true)
        #expect(key(["path.format": "YYYY-q"])?.1.contains("Illegal pattern component: q") == true)
        #expect(key(["locale": ""])?.1.contains("Locale cannot be empty.") == true)
        #expect(key(["timezone": ""])?.1.contains("Timezone cannot be empty.") == true)
        #expect(key(["timezone": "Mars/Olympus"])?.0 == "timezone")
        #expect(key(["partition.duration.ms": "-5"])?.1.contains("Partition duration needs to be a positive.") == true)
        #expect(key(["path.format": "MMMM", "locale": "de"])?.0 == "locale")
        #expect(key(["path.format": "MM", "locale": "de"]) == nil)
        #expect(key(["timestamp.extractor": "com.example.MyExtractor"])?.0 == "timestamp.extractor")
        #expect(key(["timestamp.extractor": "RecordField", "timestamp.field": "a..b"])?.0 == "timestamp.field")
        #expect(key(["rotate.schedule.interval.ms": "60000", "timezone": ""])?.0 == "timezone")
        #expect(key(["schema.compatibility": "SIDEWAYS"])?.0 == "schema.compatibility")
        // Daily and Hourly need locale and timezone too; rotate.interval.ms without a time-based partitioner is a warning.
        #expect(throws: ConfigError.self) { _ = try S3SinkConfig(config(dir, ["partitioner.class": "io.confluent.connect.storage.partitioner.DailyPartitioner", "locale": "en"])) }
        let warned = try S3SinkConfig(config(dir, ["rotate.interval.ms": "1000"]))
        #expect(warned.warnings.first?.contains("rotate.interval.ms") == true)
    }

    @Test("bounded memory: 60 open partitions past s3.buffer.max.bytes spill to unlinked temporary files; the buffered bytes stay under the bound after every put; JSON and Parquet objects hold every record, in order; a schemaless record for Parquet is reported, the rest written")
    func spill() async throws {
        let probe = try await runProgram("/usr/bin/env", ["python3", "-c", "import pyarrow"])
        let dir = lake()
        let spillDir = lake()
        try FileManager.default.createDirectory(at: spillDir, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(at: dir)
            try? FileManager.default.removeItem(at: spillDir)
        }
        let schema = try SchemaBuilder.struct().name("Wide").field("id", Schema.int64).field("text", Schema.string).build()
        let filler = String(repeating: "x", count: 200)
        func record(_ partition: Int32, _ offset: Int64) -> SinkRecord {
            SinkRecord(topic: "wide", partition: partition, valueSchema: schema,
                       value: .struct(try! Struct(schema, ["id": .int64(Int64(partition) * 10_000 + offset), "text": .string(filler + String(offset))])), offset: offset)
        }
        for format in ["io.confluent.connect.s3.format.json.JsonFormat", "io.confluent.connect.s3.format.parquet.ParquetFormat"] {
            let context = CollectingSinkContext()
            let task = S3SinkTask()
            task.initialize(context: context)
            let limit = 256 * 1024
            try await task.start(config(dir, ["format.class": format, "flush.size": "400", "s3.buffer.max.bytes": String(limit), "s3.spill.dir": spillDir.path,
                                              "topics.dir": format.hasSuffix("JsonFormat") ? "json" : "parquet", "parquet.codec": "none"]))
            var most = 0
            for round in 0..<10 {
                var batch: [SinkRecord] = []
                for p in 0..<60 { for k in 0..<40 { batch.append(record(Int32(p), Int64(round * 40 + k))) } }
                if round == 3 { batch.append(SinkRecord(topic: "wide", partition: 60, valueSchema: nil, value: .string("schemaless"), offset: 0)) }
                try await task.put(batch)
                most = max(most, task.bufferedBytes)
                #expect(task.bufferedBytes <= limit)
                // Spill files are unlinked at once: nothing is left in the directory.
                #expect(try FileManager.default.contentsOfDirectory(atPath: spillDir.path).isEmpty)
            }
            // Without spilling, 60 partitions × 400 records × ~230 bytes would be 5.5 MB in memory.
            #expect(most > limit / 4)
            if format.hasSuffix("JsonFormat") {
                #expect(context.reported.isEmpty)
                for p in [0, 31, 59] {
                    let url = dir.appendingPathComponent("lake/json/wide/partition=\(p)/wide+\(p)+0000000000.json")
                    #expect(try lines(url) == (0..<400).map { Int64(p) * 10_000 + Int64($0) })
                }
            } else {
                // Parquet needs a struct schema: the schemaless record is reported by name, not written.
                #expect(context.reported.map(\.0.kafkaPartition) == [60])
                #expect(context.reported.first?.1.contains("schemaless") == true || context.reported.first?.1.contains("Parquet") == true)
                if probe.status == 0 {
                    let check = """
                    import pyarrow.parquet as pq, sys
                    for p in (0, 31, 59):
                        f = pq.ParquetFile(f"{sys.argv[1]}/lake/parquet/wide/partition={p}/wide+{p}+0000000000.parquet")
                        ids = f.read().column("id").to_pylist()
                        assert ids == [p * 10000 + i for i in range(400)], (p, ids[:5])
                        print(p, f.metadata.num_row_groups)
                    """
                    let (status, output) = try await runProgram("/usr/bin/env", ["python3", "-c", check, dir.path])
                    #expect(status == 0, "\(output)")
                    // Spilling closed row groups early: more than one per file.
                    #expect(output.split(separator: "\n").contains { $0.split(separator: " ").last.flatMap { Int($0) } ?? 0 > 1 }, "\(output)")
                } else {
                    try #require(ProcessInfo.processInfo.environment["CONNECTKIT_REQUIRE_SERVERS"] != "1", "make test installs pyarrow")
                }
            }
            try await task.stop()
        }
    }

    @Test("store.kafka.keys / store.kafka.headers: <name>.keys<ext> and <name>.headers<ext> beside each value file, in their own formats (Parquet enveloped as RecordKey/RecordHeaders); behavior.on.null.values=write puts tombstones' keys under tombstone/; a record without key or headers is reported, not half written")
    func keysHeadersAndTombstones() async throws {
        let dir = lake()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keySchema = try SchemaBuilder.struct().name("Key").field("k", Schema.int64).build()
        func record(_ i: Int64, value: Value? = nil, key: Value? = nil, headers: Headers? = nil) -> SinkRecord {
            SinkRecord(topic: "kv", partition: 0, keySchema: keySchema, key: key ?? .struct(try! Struct(keySchema, ["k": .int64(i)])),
                       valueSchema: Schema.optionalString, value: value ?? .string("v\(i)"), offset: i,
                       headers: headers ?? Headers([Header(key: "h", value: .int32(Int32(i))), Header(key: "trace", value: .string("t\(i)"))]))
        }
        let context = CollectingSinkContext()
        let task = S3SinkTask()
        task.initialize(context: context)
        try await task.start(config(dir, [
            "flush.size": "3", "store.kafka.keys": "true", "store.kafka.headers": "true", "behavior.on.null.values": "write",
            "keys.format.class": "io.confluent.connect.s3.format.json.JsonFormat", "headers.format.class": "io.confluent.connect.s3.format.json.JsonFormat",
        ]))
        try await task.put([
            record(0), record(1, value: .null), record(2, key: .null), record(3, headers: Headers()), record(4), record(5),
        ])
        #expect(context.reported.map(\.0.kafkaOffset) == [2, 3])
        #expect(context.reported.first?.1.contains("Key cannot be null") == true)
        #expect(context.reported.last?.1.contains("Headers cannot be null") == true)
        let base = "lake/topics/kv/"
        #expect(files(under: dir) == [
            base + "partition=0/kv+0+0000000000.headers.json", base + "partition=0/kv+0+0000000000.json", base + "partition=0/kv+0+0000000000.keys.json",
            base + "tombstone/kv+0+0000000001.headers.json", base + "tombstone/kv+0+0000000001.keys.json",
        ])
        func text(_ name: String) throws -> String { try String(contentsOf: dir.appendingPathComponent(base + name), encoding: .utf8) }
        #expect(try text("partition=0/kv+0+0000000000.json") == "\"v0\"\n\"v4\"\n")
        #expect(try text("partition=0/kv+0+0000000000.keys.json") == "{\"k\":0}\n{\"k\":4}\n")
        #expect(try text("partition=0/kv+0+0000000000.headers.json") == "[{\"key\":\"h\",\"value\":\"0\"},{\"key\":\"trace\",\"value\":\"t0\"}]\n[{\"key\":\"h\",\"value\":\"4\"},{\"key\":\"trace\",\"value\":\"t4\"}]\n")
        #expect(try text("tombstone/kv+0+0000000001.keys.json") == "{\"k\":1}\n")
        try await task.stop()

        // Parquet values with Parquet and (default) Avro side files, read by pyarrow and fastavro.
        #expect(throws: ConfigError.self) { _ = try S3SinkConfig(config(dir, ["behavior.on.null.values": "write"])) }
        guard try await pythonHas("pyarrow, fastavro") else { return }
        let schema = try SchemaBuilder.struct().name("V").field("id", Schema.int64).build()
        let parquet = S3SinkTask()
        try await parquet.start(config(dir, [
            "flush.size": "2", "topics.dir": "pq", "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat",
            "store.kafka.keys": "true", "keys.format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat", "store.kafka.headers": "true",
        ]))
        try await parquet.put((0..<2).map { i in
            SinkRecord(topic: "kv", partition: 0, keySchema: Schema.string, key: .string("key\(i)"), valueSchema: schema,
                       value: .struct(try! Struct(schema, ["id": .int64(Int64(i))])), offset: Int64(i), headers: Headers([Header(key: "n", value: .int64(Int64(i)))]))
        })
        try await parquet.stop()
        let check = """
        import fastavro, pyarrow.parquet as pq, sys
        d = sys.argv[1] + "/lake/pq/kv/partition=0/kv+0+0000000000"
        print(pq.read_table(d + ".snappy.parquet").column("id").to_pylist())
        t = pq.read_table(d + ".keys.snappy.parquet")
        print(t.schema.names, t.column("key").to_pylist())
        with open(d + ".headers.avro", "rb") as f:
            print(list(fastavro.reader(f)))
        """
        let (status, output) = try await runProgram("/usr/bin/env", ["python3", "-c", check, dir.path])
        #expect(status == 0, "\(output)")
        #expect(output == "[0, 1]\n['key'] ['key0', 'key1']\n[[{'key': 'n', 'value': '0'}], [{'key': 'n', 'value': '1'}]]\n", "\(output)")
    }

    @Test("schema.compatibility: BACKWARD rotates on a newer version and projects older records onto the file's schema; FORWARD the other way round; NONE rotates on every change; a schema without a version is reported")
    func schemaCompatibility() async throws {
        let dir = lake()
        defer { try? FileManager.default.removeItem(at: dir) }
        let v1 = try SchemaBuilder.struct().name("Row").version(1).field("id", Schema.int64).build()
        let v2 = try SchemaBuilder.struct().name("Row").version(2).field("id", Schema.int64)
            .field("name", SchemaBuilder.string().optional().defaultValue(.string("anon"))).build()
        let unversioned = try SchemaBuilder.struct().name("Row").field("id", Schema.int64).field("x", Schema.optionalString).build()
        func row(_ i: Int64, _ schema: Schema) -> SinkRecord {
            let value: Value = schema == v2 ? .struct(try! Struct(schema, ["id": .int64(i), "name": .string("n\(i)")])) : .struct(try! Struct(schema, ["id": .int64(i)]))
            return SinkRecord(topic: "rows", partition: 0, valueSchema: schema, value: value, offset: i)
        }
        for (mode, schemas, expected) in [
            ("BACKWARD", [v1, v1, v2, v1, v2, v2, v2], [
                "rows+0+0000000000.json": "{\"id\":0}\n{\"id\":1}\n",
                "rows+0+0000000002.json": "{\"id\":2,\"name\":\"n2\"}\n{\"id\":3,\"name\":\"anon\"}\n{\"id\":4,\"name\":\"n4\"}\n{\"id\":5,\"name\":\"n5\"}\n{\"id\":6,\"name\":\"n6\"}\n",
            ]),
            ("FORWARD", [v2, v2, v1, v2, v1, v1, v1], [
                "rows+0+0000000000.json": "{\"id\":0,\"name\":\"n0\"}\n{\"id\":1,\"name\":\"n1\"}\n",
                "rows+0+0000000002.json": "{\"id\":2}\n{\"id\":3}\n{\"id\":4}\n{\"id\":5}\n{\"id\":6}\n",
            ]),
            ("NONE", [v1, v2, v1, v1, v1, v1, v1], [
                "rows+0+0000000000.json": "{\"id\":0}\n", "rows+0+0000000001.json": "{\"id\":1,\"name\":\"n1\"}\n",
                "rows+0+0000000002.json": "{\"id\":2}\n{\"id\":3}\n{\"id\":4}\n{\"id\":5}\n{\"id\":6}\n",
            ]),
        ] as [(String, [Schema], [String: String])] {
            let context = CollectingSinkContext()
            let task = S3SinkTask()
            task.initialize(context: context)
            try await task.start(config(dir, ["flush.size": "5", "schema.compatibility": mode, "topics.dir": mode]))
            try await task.put(schemas.enumerated().map { row(Int64($0.offset), $0.element) })
            var got: [String: String] = [:]
            let base = dir.appendingPathComponent("lake/\(mode)/rows/partition=0")
            for f in try FileManager.default.contentsOfDirectory(atPath: base.path) { got[f] = try String(contentsOf: base.appendingPathComponent(f), encoding: .utf8) }
            #expect(got == expected, "\(mode)")
            #expect(context.reported.isEmpty)
            if mode == "BACKWARD" {
                try await task.put([row(7, v1), row(8, unversioned)])
                #expect(context.reported.map(\.0.kafkaOffset) == [8])
                #expect(context.reported.first?.1.contains("Schema version required for BACKWARD compatibility") == true)
            }
            try await task.stop()
        }
    }

    @Test("two consumed partitions that a transformation names alike would write the same keys: the task fails, naming both (Confluent's fails too)")
    func mergedTopicsFail() async throws {
        let dir = lake()
        defer { try? FileManager.default.removeItem(at: dir) }
        let task = S3SinkTask()
        try await task.start(config(dir, ["flush.size": "10"]))
        // RegexRouter renamed topics a and b to events.
        func record(_ original: String, _ offset: Int64) -> SinkRecord {
            SinkRecord(topic: "events", partition: 0, valueSchema: Schema.int64, value: .int64(offset), offset: offset, originalTopic: original)
        }
        try await task.put([record("a", 0)])
        await #expect { try await task.put([record("b", 0)]) } throws: { "\($0)".contains("a-0") && "\($0)".contains("b-0") && "\($0)".contains("same keys") }
        try await task.stop()
    }
}
