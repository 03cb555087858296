#if canImport(Glibc)
import Glibc
#endif
import ConnectKit
import ConnectFile
import ConnectPlugins
import Foundation
import Logging
import Synchronization
import Testing

@testable import ConnectRuntime

/// Shared state between a test and the connector instances the worker creates, keyed by `hub.id`.
final class Hub: Sendable {
    static let shared = Hub()
    struct Entry {
        var polled = 0
        var maxOutstanding = 0
        var committedRecords: [Int64] = []
        /// commitRecord's record topic (as polled) and metadata topic (where it was produced).
        var committedTopics: [String] = []
        var delivered: [Int64] = []
        var flushed: [Int64] = []
        var putCalls = 0
        var starts = 0
        var failures = 0
        /// Records whose sink offset was not their value (Counting's values equal their offsets).
        var offsetMismatches = 0
    }
    let entries = Mutex<[String: Entry]>([:])
    func update(_ id: String, _ body: (inout Entry) -> Void) { entries.withLock { body(&$0[id, default: Entry()]) } }
    func get(_ id: String) -> Entry { entries.withLock { $0[id] ?? Entry() } }
}

final class CountingSource: SourceConnector {
    var config: [String: String] = [:]
    required init() {}
    var version: String { "test" }
    var configDef: ConfigDef { ConfigDef().define("hub.id", .string, importance: .high, documentation: "") }
    var taskType: any SourceTask.Type { CountingSourceTask.self }
    func start(_ config: [String: String]) async throws { self.config = config }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [config] }
    func stop() async throws {}
}

/// Emits n = 0, 1, 2, … (up to `count`, or forever) with offset {"n": n}, resuming after the committed offset.
final class CountingSourceTask: SourceTask {
    var next: Int64 = 0
    var limit = Int64.max
    var id = ""
    var topic = "numbers"
    var context: (any SourceTaskContext)?
    required init() {}
    var version: String { "test" }
    func initialize(context: any SourceTaskContext) { self.context = context }
    func start(_ config: [String: String]) async throws {
        id = config["hub.id"]!
        limit = config["count"].flatMap { Int64($0) } ?? .max
        topic = config["topic"] ?? "numbers"
        if let o = try await context?.offsetStorageReader.offset(for: ["source": .string(id)]), let n = o["n"]?.int64Value { next = n + 1 }
    }
    func poll() async throws -> [SourceRecord] {
        if next >= limit {
            try await Task.sleep(for: .milliseconds(20))
            return []
        }
        let end = min(limit, next + 50)
        let batch = (next..<end).map {
            SourceRecord(sourcePartition: ["source": .string(id)], sourceOffset: ["n": .int64($0)], topic: topic, valueSchema: .int64, value: .int64($0))
        }
        Hub.shared.update(id) { $0.polled += batch.count }
        next = end
        return batch
    }
    func commitRecord(_ record: SourceRecord, metadata: RecordMetadata?) async throws {
        Hub.shared.update(id) {
            $0.committedRecords.append(record.value.int64Value!)
            $0.committedTopics.append("\(record.topic)→\(metadata?.topic ?? "nil")")
        }
    }
    func stop() async throws {}
}

final class RecordingSink: SinkConnector {
    var config: [String: String] = [:]
    required init() {}
    var version: String { "test" }
    var configDef: ConfigDef {
        ConfigDef().define("hub.id", .string, importance: .high, documentation: "")
            .define("mode", .string, default: "normal", importance: .low, documentation: "normal, failflush, block")
    }
    var taskType: any SinkTask.Type { RecordingSinkTask.self }
    func start(_ config: [String: String]) async throws { self.config = config }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { (0..<maxTasks).map { config.merging(["task.index": String($0)]) { $1 } } }
    func stop() async throws {}
}

final class RecordingSinkTask: SinkTask {
    var id = ""
    var mode = "normal"
    var buffer: [Int64] = []
    var context: (any SinkTaskContext)?
    required init() {}
    var version: String { "test" }
    func initialize(context: any SinkTaskContext) { self.context = context }
    var taskIndex: String?
    func start(_ config: [String: String]) async throws {
        id = config["hub.id"]!
        mode = config["mode"] ?? "normal"
        taskIndex = config["task.index"]
    }
    func put(_ records: [SinkRecord]) async throws {
        Hub.shared.update(id) { $0.putCalls += 1 }
        if mode == "block" {
            usleep(1_500_000)  // a blocking C call holding this task's thread
        }
        if mode == "hang" {
            // Stuck in a blocking call that ignores cancellation (a driver that never returns).
            for _ in 0..<40 where Hub.shared.get(id).failures == 0 { usleep(100_000) }
        }
        if mode == "stall" {
            while !Task.isCancelled && Hub.shared.get(id).putCalls < 1_000_000 { usleep(10_000) }
        }
        var values: [Int64] = []
        for r in records {
            let v = r.value.int64Value ?? r.key.int64Value!
            if mode == "report", v % 10 == 0 {
                // A record this sink cannot write goes to the errant record reporter.
                try await context!.errantRecordReporter!.report(r, error: DataError("cannot write \(v)"))
                continue
            }
            if mode == "throwput", v == 42 { throw DataError("cannot write 42") }
            if mode == "rewind", v == 5, Hub.shared.get(id).failures == 0 {
                // Cannot take 5 and what follows yet: ask to be given them again.
                Hub.shared.update(id) { $0.failures += 1 }
                context!.offset([TopicPartition(topic: r.topic, partition: r.kafkaPartition ?? 0): r.kafkaOffset])
                break
            }
            if mode == "failonce", v == 42, Hub.shared.get(id).failures == 0 {
                Hub.shared.update(id) { $0.failures += 1 }
                throw DataError("disk hiccup at 42")
            }
            if r.kafkaOffset != v { Hub.shared.update(id) { $0.offsetMismatches += 1 } }
            values.append(v)
        }
        buffer += values
        Hub.shared.update(id) { $0.delivered += values }
        if let index = taskIndex { Hub.shared.update("\(id)-t\(index)") { $0.delivered += values } }
    }
    func flush(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws {
        if mode == "failflush" { throw DataError("disk full") }
        let b = buffer
        buffer = []
        Hub.shared.update(id) { $0.flushed += b }
    }
    func stop() async throws {}
}

/// Tests expect errors (failing sinks); keep them out of the test output.
let quiet: Logger = {
    var l = Logger(label: "test-worker")
    l.logLevel = .critical
    return l
}()

func testRegistry() -> PluginRegistry {
    var r = PluginRegistry.standard
    r.register(.source(CountingSource.self), name: "Counting")
    r.register(.sink(RecordingSink.self), name: "Recording", aliases: ["com.example.RecordingSinkConnector"])
    return r
}

/// Runs `worker` until `until` holds (or the timeout), then stops it gracefully.
/// Runs `worker` until `until` holds (or `timeout`), then stops it; returns how long the shutdown took.
@discardableResult
func runWorker(_ worker: Worker, timeout: Duration = .seconds(20), until: @escaping @Sendable () -> Bool) async throws -> Duration {
    let run = Task { try await worker.run() }
    let deadline = ContinuousClock.now + timeout
    while !until() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    let stopping = ContinuousClock.now
    worker.stop()
    try await run.value
    return ContinuousClock.now - stopping
}

@Suite("Worker and direct pipelines", .serialized)
struct WorkerTests {
    @Test func fileToFileResumesAfterCommittedOffset() async throws {
        let dir = try temporaryDirectory("files")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.txt").path
        let output = dir.appendingPathComponent("out.txt").path
        try (0..<500).map { "a\($0)" }.joined(separator: "\n").appending("\n").write(toFile: input, atomically: true, encoding: .utf8)
        let workerConfig = try WorkerConfig([
            "offset.storage.file.filename": dir.appendingPathComponent("offsets.json").path, "offset.flush.interval.ms": "50",
        ])
        @Sendable func lines() -> [String] { ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
        for round in 0..<2 {
            let worker = try Worker(config: workerConfig, registry: .standard, logger: quiet)
            try worker.add(["name": "src", "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "file": input, "topic": "t"])
            try worker.add(["name": "dst", "connector.class": "FileStreamSink", "file": output, "topics": "t"])
            let expected = round == 0 ? 500 : 800
            try await runWorker(worker) { lines().count >= expected }
            if round == 0 {
                let more = (500..<800).map { "a\($0)" }.joined(separator: "\n") + "\n"
                let h = FileHandle(forWritingAtPath: input)!
                h.seekToEndOfFile()
                h.write(Data(more.utf8))
                try h.close()
            }
        }
        #expect(lines() == (0..<800).map { "a\($0)" })  // resumed exactly after the committed line, no duplicates
        let offsets = try FileOffsetStore(path: dir.appendingPathComponent("offsets.json").path).offsets(connector: "src")
        #expect(offsets[["filename": .string(input)]]?["position"] == .int64(Int64(try Data(contentsOf: URL(fileURLWithPath: input)).count)))
    }

    @Test func offsetsAdvanceOnlyAfterTheSinkFlushed() async throws {
        let store = MemoryOffsetStore()
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20", "offset.flush.timeout.ms": "200"]), registry: testRegistry(), offsetStore: store, logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "ack-src", "count": "100"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "ack-sink", "mode": "failflush", "topics": "numbers"])
        try await runWorker(worker) { Hub.shared.get("ack-sink").delivered.count >= 100 }
        #expect(Hub.shared.get("ack-sink").delivered.count == 100)  // the sink got everything ...
        #expect(Hub.shared.get("ack-sink").flushed.isEmpty)  // ... but could never flush it
        #expect(try store.offsets(connector: "count").isEmpty)  // so no offset was committed
        #expect(Hub.shared.get("ack-src").committedRecords.isEmpty)  // and commitRecord never fired

        let ok = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: testRegistry(), offsetStore: store, logger: quiet)
        try ok.add(["name": "count", "connector.class": "Counting", "hub.id": "ack-src2", "count": "100"])
        try ok.add(["name": "rec", "connector.class": "Recording", "hub.id": "ack-sink2", "topics": "numbers"])
        try await runWorker(ok) { Hub.shared.get("ack-src2").committedRecords.count >= 100 }
        #expect(Hub.shared.get("ack-sink2").flushed == Array(0..<100))
        #expect(Hub.shared.get("ack-src2").committedRecords == Array(0..<100))
        #expect(try store.offset(connector: "count", partition: ["source": "ack-src2"]) == ["n": .int64(99)])
    }

    @Test func aSlowSinkBoundsWhatTheSourceHasInFlight() async throws {
        let worker = try Worker(
            config: try WorkerConfig(["pipeline.max.in.flight.records": "200", "offset.flush.interval.ms": "60000", "offset.flush.timeout.ms": "100"]),
            registry: testRegistry(), logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "bp-src"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "bp-sink", "mode": "failflush", "topics": "numbers"])
        let run = Task { try await worker.run() }
        try await Task.sleep(for: .milliseconds(1500))
        let polled = Hub.shared.get("bp-src").polled
        // Nothing is ever acknowledged, so the source stops after the in-flight limit (plus one batch).
        #expect(polled >= 200)
        #expect(polled <= 250)
        try await Task.sleep(for: .milliseconds(300))
        #expect(Hub.shared.get("bp-src").polled == polled)
        worker.stop()
        try await run.value
    }

    @Test func aBlockedSinkThreadStallsNeitherOtherPipelinesNorTheCooperativePool() async throws {
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: testRegistry(), logger: quiet)
        try worker.add(["name": "slow-src", "connector.class": "Counting", "hub.id": "iso-slow-src", "count": "1000", "topic": "slow"])
        try worker.add(["name": "slow", "connector.class": "Recording", "hub.id": "iso-slow", "mode": "block", "topics": "slow"])
        try worker.add(["name": "fast-src", "connector.class": "Counting", "hub.id": "iso-fast-src", "count": "5000", "topic": "fast"])
        try worker.add(["name": "fast", "connector.class": "Recording", "hub.id": "iso-fast", "topics": "fast"])
        let run = Task { try await worker.run() }
        // Wait until the slow sink is inside its blocking call.
        while Hub.shared.get("iso-slow").putCalls == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let start = ContinuousClock.now
        // The cooperative pool still runs work promptly ...
        let pool = await Task.detached { ContinuousClock.now }.value
        #expect(pool - start < .milliseconds(200))
        // ... and the other pipeline moves all its records while the slow sink's thread is blocked.
        while Hub.shared.get("iso-fast").flushed.count < 5000 && ContinuousClock.now - start < .seconds(10) {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(Hub.shared.get("iso-fast").flushed.count == 5000)
        #expect(ContinuousClock.now - start < .milliseconds(1400))
        #expect(Hub.shared.get("iso-slow").flushed.isEmpty)
        worker.stop()
        try await run.value
    }

    @Test func invalidConnectorConfigsReportEveryProblem() throws {
        let worker = try Worker(registry: .standard)
        let e = #expect(throws: ConfigError.self) {
            try worker.add(["name": "x", "connector.class": "FileStreamSource", "tasks.max": "zero", "batch.size": "0"])
        }
        #expect(e?.keys.sorted() == ["batch.size", "tasks.max", "topic"])
        let unknown = #expect(throws: ConfigError.self) { try worker.add(["name": "y", "connector.class": "com.example.Missing"]) }
        #expect(unknown?.problems.first?.message == "Failed to find any class that implements Connector and which name matches com.example.Missing")
        try worker.add(["name": "z", "connector.class": "FileStreamSink", "topics": "t"])
        let dup = #expect(throws: ConfigError.self) { try worker.add(["name": "z", "connector.class": "FileStreamSink", "topics": "t"]) }
        #expect(dup?.problems.first?.message == "Connector z already exists")
        let badWorker = #expect(throws: ConfigError.self) { try WorkerConfig(["offset.flush.interval.ms": "soon", "topic.partitions": "0"]) }
        #expect(badWorker?.keys.sorted() == ["offset.flush.interval.ms", "topic.partitions"])
    }
}

@Suite("DataGen", .serialized)
struct DataGenTests {
    @Test func producesTheBenchmarkShapeAndResumes() async throws {
        let store = MemoryOffsetStore()
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: testRegistry(), offsetStore: store, logger: quiet)
        try worker.add(["name": "gen", "connector.class": "io.confluent.kafka.connect.datagen.DatagenConnector", "kafka.topic": "orders", "iterations": "300", "batch.size": "64"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "gen-sink", "topics": "orders"])
        try await runWorker(worker) { (try? store.offset(connector: "gen", partition: ["datagen": "0"])) == ["iteration": .int64(299)] }
        #expect(Hub.shared.get("gen-sink").flushed == Array(0..<300))
        let first = DataGen.order(10)
        #expect(first.structValue?["note"] == "gift \"wrap\" é")
        #expect(DataGen.order(9).structValue?["email"] == .null)
        #expect(first.structValue?["email"] == "user10@example.com")
        #expect(DataGen.order(7).structValue?["amount"] == .decimal(BigDecimal(unscaled: 7, scale: 2)))
        try first.structValue!.validate()
        #expect(DataGen.order(5, seed: 42) == DataGen.order(5, seed: 42))
        #expect(DataGen.order(5, seed: 42) != DataGen.order(5, seed: 43))

        // A second run continues after the committed iteration.
        let again = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: testRegistry(), offsetStore: store, logger: quiet)
        try again.add(["name": "gen", "connector.class": "DataGen", "kafka.topic": "orders", "iterations": "350"])
        try again.add(["name": "rec", "connector.class": "Recording", "hub.id": "gen-sink-2", "topics": "orders"])
        try await runWorker(again) { Hub.shared.get("gen-sink-2").flushed.count >= 50 }
        #expect(Hub.shared.get("gen-sink-2").flushed == Array(300..<350))
    }

    @Test func rateLimitsProduction() async throws {
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: testRegistry(), logger: quiet)
        try worker.add(["name": "gen", "connector.class": "DataGen", "rate": "200", "batch.size": "1000"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "rate-sink", "topics": "orders"])
        let started = ContinuousClock.now
        let run = Task { try await worker.run() }
        try await Task.sleep(for: .milliseconds(1000))
        worker.stop()
        try await run.value
        // The worker ran for at least a second (longer on a loaded machine before it stopped).
        let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)
        let n = Hub.shared.get("rate-sink").delivered.count
        #expect(n >= 120 && Double(n) <= 200 * seconds + 60, "200 records/s for \(seconds) s, got \(n)")
    }

    @Test func invalidSettingsAreReported() throws {
        let e = #expect(throws: ConfigError.self) {
            try Worker(registry: .standard, logger: quiet).add(["name": "g", "connector.class": "DataGen", "rate": "-1", "iterations": "-5", "batch.size": "x"])
        }
        #expect(e?.keys.sorted() == ["batch.size", "iterations", "rate"])
    }
}

/// A source whose poll ignores the stop request for a long time (but honours cancellation).
final class StubbornSource: SourceConnector {
    required init() {}
    var version: String { "test" }
    var configDef: ConfigDef { ConfigDef() }
    var taskType: any SourceTask.Type { StubbornTask.self }
    func start(_ config: [String: String]) async throws {}
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [[:]] }
    func stop() async throws {}
}

final class StubbornTask: SourceTask {
    required init() {}
    var version: String { "test" }
    func start(_ config: [String: String]) async throws {}
    func poll() async throws -> [SourceRecord] {
        try await Task.sleep(for: .seconds(60))
        return []
    }
    func stop() async throws {}
}

@Test func shutdownDoesNotWaitForeverForAStuckTask() async throws {
    var registry = testRegistry()
    registry.register(.source(StubbornSource.self), name: "Stubborn")
    let worker = try Worker(config: try WorkerConfig(["task.shutdown.graceful.timeout.ms": "200", "offset.flush.timeout.ms": "100"]), registry: registry, logger: quiet)
    try worker.add(["name": "stuck", "connector.class": "Stubborn"])
    try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "stuck-sink", "topics": "numbers"])
    let run = Task { try await worker.run() }
    try await Task.sleep(for: .milliseconds(200))
    let start = ContinuousClock.now
    worker.stop()
    try await run.value
    // The task sleeps 60 s in poll: the stop must not wait for it (the bound leaves room for a loaded machine).
    #expect(ContinuousClock.now - start < .seconds(10))
}
