import Synchronization
import Testing

@testable import ConnectKit

// A small connector pair written only against the public protocols, the way a connector author would.

final class CountingSourceConnector: SourceConnector {
    var config: [String: String] = [:]
    var context: (any ConnectorContext)?
    required init() {}
    var version: String { "1.2.3" }
    var configDef: ConfigDef {
        ConfigDef()
            .define("topic", .string, importance: .high, documentation: "Topic.", validator: .nonEmptyString)
            .define("count", .long, default: 10, importance: .medium, documentation: "Records per task.", validator: .atLeast(0))
    }
    var taskType: any SourceTask.Type { CountingSourceTask.self }
    func initialize(context: any ConnectorContext) { self.context = context }
    func start(_ config: [String: String]) async throws { self.config = config }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] {
        (0..<maxTasks).map { i in config.merging(["task.id": String(i)]) { $1 } }
    }
    func stop() async throws {}
}

final class CountingSourceTask: SourceTask {
    var topic = ""
    var next: Int64 = 0
    var limit: Int64 = 0
    var partition: [String: Value] = [:]
    var committed: [Int64] = []
    var context: (any SourceTaskContext)?
    required init() {}
    var version: String { "1.2.3" }
    func initialize(context: any SourceTaskContext) { self.context = context }
    func start(_ config: [String: String]) async throws {
        topic = config["topic"]!
        limit = Int64(config["count"] ?? "10")!
        partition = ["task": .string(config["task.id"] ?? "0")]
        // Resume after the last committed offset, as a real source does.
        if let offset = try await context?.offsetStorageReader.offset(for: partition), case .int64(let n)? = offset["n"] {
            next = n + 1
        }
    }
    func poll() async throws -> [SourceRecord] {
        guard next < limit else { return [] }
        defer { next += 1 }
        return [SourceRecord(sourcePartition: partition, sourceOffset: ["n": .int64(next)], topic: topic, valueSchema: .int64, value: .int64(next))]
    }
    func commitRecord(_ record: SourceRecord, metadata: RecordMetadata?) async throws {
        if case .int64(let n)? = record.sourceOffset["n"] { committed.append(n) }
    }
    func stop() async throws {}
}

final class CollectingSinkTask: SinkTask {
    var buffered: [SinkRecord] = []
    var flushed: [SinkRecord] = []
    required init() {}
    var version: String { "0.1" }
    func start(_ config: [String: String]) async throws {}
    func put(_ records: [SinkRecord]) async throws {
        if records.contains(where: { $0.value == .int64(-1) }) { throw RetriableError("sink busy") }
        buffered += records
    }
    func flush(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws {
        flushed += buffered
        buffered = []
    }
    func stop() async throws {}
}

struct MemoryOffsets: OffsetStorageReader {
    let stored: [[String: Value]: [String: Value]]
    func offset(for partition: [String: Value]) async throws -> [String: Value]? { stored[partition] }
}

struct TestSourceContext: SourceTaskContext {
    var config: [String: String]
    var offsetStorageReader: any OffsetStorageReader
    var transactionContext: (any TransactionContext)? { nil }
}

final class RecordingConnectorContext: ConnectorContext {
    let errors = Mutex<[String]>([])
    func requestTaskReconfiguration() {}
    func raiseError(_ error: any Error) { errors.withLock { $0.append("\(error)") } }
}

@Suite("Connector and task protocols")
struct ConnectorProtocolTests {
    @Test func sourceLifecycleWithOffsetsAndCommitRecord() async throws {
        let connector = CountingSourceConnector()
        let ctx = RecordingConnectorContext()
        connector.initialize(context: ctx)
        let config = ["name": "counter", "topic": "numbers", "count": "5"]
        #expect(connector.validate(config).errorCount == 0)
        #expect(connector.validate(["count": "-1"]).error?.keys.sorted() == ["count", "topic"])
        try await connector.start(config)
        let taskConfigs = try await connector.taskConfigs(maxTasks: 2)
        #expect(taskConfigs.map { $0["task.id"] } == ["0", "1"])

        // Task 1 already committed up to n=2, so it resumes at 3.
        let offsets = MemoryOffsets(stored: [["task": "1"]: ["n": .int64(2)]])
        let taskType = connector.taskType
        let results = try await withThrowingTaskGroup(of: ([Int64], [Int64]).self) { group in
            for tc in taskConfigs {
                group.addTask {
                    let task = taskType.init()
                    task.initialize(context: TestSourceContext(config: tc, offsetStorageReader: offsets))
                    try await task.start(tc)
                    var seen: [Int64] = []
                    while true {
                        let batch = try await task.poll()
                        if batch.isEmpty { break }
                        for r in batch {
                            seen.append(r.value.int64Value!)
                            try await task.commitRecord(r, metadata: RecordMetadata(topic: r.topic, partition: 0, offset: -1))
                        }
                    }
                    try await task.commit()
                    try await task.stop()
                    return (seen, (task as! CountingSourceTask).committed)
                }
            }
            var all: [([Int64], [Int64])] = []
            for try await r in group { all.append(r) }
            return all.sorted { $0.0.count > $1.0.count }
        }
        #expect(results[0].0 == [0, 1, 2, 3, 4])
        #expect(results[1].0 == [3, 4])
        #expect(results[1].1 == [3, 4])
        try await connector.stop()
        ctx.raiseError(DataError("boom"))
        #expect(ctx.errors.withLock { $0 } == ["boom"])
    }

    @Test func sinkDefaultPreCommitFlushes() async throws {
        let task = CollectingSinkTask()
        try await task.start([:])
        try await task.open([TopicPartition(topic: "t", partition: 0)])
        let records = (0..<3).map { SinkRecord(topic: "t", partition: 0, valueSchema: .int64, value: .int64(Int64($0)), offset: Int64($0)) }
        try await task.put(records)
        let offsets = [TopicPartition(topic: "t", partition: 0): OffsetAndMetadata(offset: 3)]
        let committed = try await task.preCommit(offsets)
        #expect(committed == offsets)
        #expect(task.flushed == records)
        let busy = await #expect(throws: RetriableError.self) {
            try await task.put([SinkRecord(topic: "t", partition: 0, valueSchema: .int64, value: .int64(-1), offset: 3)])
        }
        #expect(busy?.description == "sink busy")
        try await task.close([TopicPartition(topic: "t", partition: 0)])
        try await task.stop()
    }
}

/// A transformation and a predicate written against the protocols: they work on source and sink
/// records alike, as Kafka's generic `Transformation<R>` does.
struct UppercaseTopic: Transformation {
    static let configDef = ConfigDef().define("suffix", .string, default: "", importance: .low, documentation: "Appended.")
    let suffix: String
    init(configuration: [String: String]) throws(ConfigError) {
        suffix = try UppercaseTopic.configDef.parse(configuration).string("suffix") ?? ""
    }
    func apply<R: ConnectRecord>(_ record: R) throws -> R? {
        var r = record
        r.topic = record.topic.uppercased() + suffix
        return r
    }
}

struct IsTombstone: Predicate {
    static let configDef = ConfigDef()
    init(configuration: [String: String]) throws(ConfigError) {}
    func test<R: ConnectRecord>(_ record: R) -> Bool { record.isTombstone }
}

@Test func transformationsApplyToBothRecordKinds() throws {
    let t = try UppercaseTopic(configuration: ["suffix": "-v2"])
    let source = SourceRecord(sourcePartition: [:], sourceOffset: [:], topic: "orders", valueSchema: nil, value: .null)
    let sink = SinkRecord(topic: "orders", partition: 1, valueSchema: .string, value: "x", offset: 5)
    #expect(try t.apply(source)?.topic == "ORDERS-v2")
    let transformed = try t.apply(sink)!
    #expect(transformed.topic == "ORDERS-v2")
    #expect(transformed.originalTopic == "orders")
    let p = try IsTombstone(configuration: [:])
    #expect(p.test(source))
    #expect(!p.test(sink))
    t.close()
    p.close()
}
