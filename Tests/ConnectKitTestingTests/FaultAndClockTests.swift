import ConnectKit
import ConnectKitTesting
import ConnectPlugins
import ConnectRuntime
import Synchronization
import Testing

/// What the collecting sink wrote (on flush), by `store` name.
let written = Mutex<[String: [String]]>([:])

final class StoreSink: SinkConnector {
    var config: [String: String] = [:]
    required init() {}
    var version: String { "1" }
    var configDef: ConfigDef { ConfigDef().define("store", .string, importance: .high, documentation: "") }
    var taskType: any SinkTask.Type { StoreSinkTask.self }
    func start(_ config: [String: String]) async throws { self.config = config }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [config] }
    func stop() async throws {}
}

final class StoreSinkTask: SinkTask {
    var store = ""
    var buffer: [String] = []
    required init() {}
    var version: String { "1" }
    func start(_ config: [String: String]) async throws { store = config["store"]! }
    func put(_ records: [SinkRecord]) async throws { buffer += records.compactMap { $0.value.stringValue } }
    func flush(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws {
        let b = buffer
        buffer = []
        written.withLock { $0[store, default: []] += b }
    }
    func stop() async throws {}
}

struct Uppercase: Transformation {
    static let configDef = ConfigDef()
    init(configuration: [String: String]) throws(ConfigError) {}
    func apply<R: ConnectRecord>(_ r: R) throws -> R? { r.withValue(.string((r.value.stringValue ?? "").uppercased()), schema: r.valueSchema) }
}

func rowsAndCollector() -> PipelineHarness {
    let pipeline = PipelineHarness(clock: ManualClock())
    pipeline.registry.register(.source(RowsSource.self), name: "Rows")
    pipeline.registry.register(.sink(StoreSink.self), name: "Collect")
    return pipeline
}

@Suite("ConnectKitTesting: clock and faults", .serialized)
struct FaultAndClockTests {
    @Test func aManualClockDecidesWhenSinksFlushAndOffsetsCommit() async throws {
        let clock = ManualClock()
        let pipeline = PipelineHarness(workerProperties: ["offset.flush.interval.ms": "60000", "pipeline.mode": "topic"], clock: clock)
        pipeline.registry.register(.source(RowsSource.self), name: "Rows")
        pipeline.registry.register(.sink(StoreSink.self), name: "Collect")
        pipeline.add(["name": "rows", "connector.class": "Rows", "count": "20"])
        pipeline.add(["name": "out", "connector.class": "Collect", "store": "clock", "topics": "rows"])
        let worker = try pipeline.start()
        try await pipeline.wait { worker.metrics(connector: "out", task: 0)?.sinkRecordSendTotal == 20 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(written.withLock { $0["clock"] } == nil)  // a minute has not passed on this clock
        #expect(try pipeline.offsetStore.offsets(connector: "rows").isEmpty)
        clock.advance(by: .seconds(60))  // the sink flushes
        try await pipeline.wait { written.withLock { $0["clock"] } == (0..<20).map { "row-\($0)" } }
        clock.advance(by: .seconds(60))  // the source commits what the flush acknowledged
        try await pipeline.wait { (try? pipeline.offsetStore.offset(connector: "rows", partition: ["table": "rows"])) == ["row": .int64(19)] }
        try await pipeline.stop()
    }

    @Test func aTaskThatCrashesOnTheThirdPutIsRestartedAndLosesNothing() async throws {
        let pipeline = rowsAndCollector()
        pipeline.workerProperties["offset.flush.interval.ms"] = "60000"
        pipeline.workerProperties["consumer.max.poll.records"] = "3"
        pipeline.add(["name": "rows", "connector.class": "Rows", "count": "30"])
        pipeline.add(["name": "out", "connector.class": "Collect", "store": "crash", "topics": "rows"],
                     faults: [.throwOnPutCall(3, error: InjectedFault("disk gone"))])
        let worker = try pipeline.start()
        try await pipeline.wait { worker.status("out")?.tasks.first?.state == .failed }
        #expect(worker.status("out")?.tasks.first?.trace?.contains("injected fault: disk gone") == true)
        #expect(try pipeline.offsetStore.offsets(connector: "rows").isEmpty)  // nothing was flushed
        try await worker.herder.restartTask("out", 0)
        try await pipeline.wait { worker.metrics(connector: "out", task: 0)?.sinkRecordSendTotal ?? 0 >= 30 + 6 }
        let clock = pipeline.clock as! ManualClock
        clock.advance(by: .seconds(60))
        try await pipeline.wait { written.withLock { $0["crash"] }?.count == 30 }
        #expect(written.withLock { $0["crash"] } == (0..<30).map { "row-\($0)" })  // every row once, in order
        clock.advance(by: .seconds(60))
        try await pipeline.wait { (try? pipeline.offsetStore.offset(connector: "rows", partition: ["table": "rows"])) == ["row": .int64(29)] }
        try await pipeline.stop()
    }

    @Test func retriablePutFailuresAreRetriedAndFlushFailuresAcknowledgeNothing() async throws {
        let pipeline = rowsAndCollector()
        pipeline.add(["name": "rows", "connector.class": "Rows", "count": "9"])
        pipeline.add(["name": "out", "connector.class": "Collect", "store": "retry", "topics": "rows"],
                     faults: [.retriableOnPut(call: 1), .throwOnFlush(call: 1, error: InjectedFault("flush"))])
        let worker = try pipeline.start()
        let clock = pipeline.clock as! ManualClock
        // The sink task runs (on a loaded machine that can take a while): give it time to take the
        // records, fail its put and start backing off.
        try await pipeline.wait { worker.status("out")?.tasks.first?.state == .running }
        try await Task.sleep(for: .milliseconds(300))
        #expect(worker.metrics(connector: "out", task: 0)?.sinkRecordSendTotal == 0)  // backing off, on the manual clock
        clock.advance(by: .seconds(1))  // past the first retry back-off (100 ms on this clock)
        try await pipeline.wait { worker.metrics(connector: "out", task: 0)?.sinkRecordReadTotal ?? 0 >= 9 }
        try await Task.sleep(for: .milliseconds(100))
        #expect(try pipeline.offsetStore.offsets(connector: "rows").isEmpty)  // the flush at 1 s failed
        clock.advance(by: .milliseconds(50))  // the next flush succeeds
        try await pipeline.wait { written.withLock { $0["retry"] }?.count == 9 }
        #expect(written.withLock { $0["retry"] } == (0..<9).map { "row-\($0)" })
        clock.advance(by: .milliseconds(50))  // and the source commits
        try await pipeline.wait { (try? pipeline.offsetStore.offset(connector: "rows", partition: ["table": "rows"])) == ["row": .int64(8)] }
        try await pipeline.stop()
    }

    @Test func sourcePollFaultsFailTheTask() async throws {
        let pipeline = rowsAndCollector()
        pipeline.add(["name": "rows", "connector.class": "Rows", "count": "9"], faults: [.throwOnPoll(call: 2, error: InjectedFault("db down"))])
        let worker = try pipeline.start()
        try await pipeline.wait { worker.status("rows")?.tasks.first?.state == .failed }
        #expect(worker.status("rows")?.tasks.first?.trace?.contains("db down") == true)
        try await pipeline.stop()
    }

    @Test func transformHarnessRunsAChainFromConnectorKeys() throws {
        var registry = PluginRegistry.standard
        registry.register(transformation: Uppercase.self, name: "Uppercase", aliases: ["com.example.Uppercase"])
        let harness = try TransformHarness(["transforms": "up", "transforms.up.type": "com.example.Uppercase"], registry: registry)
        let records = ["a", "b"].map { SourceRecord(sourcePartition: [:], sourceOffset: [:], topic: "t", valueSchema: .string, value: .string($0)) }
        #expect(try harness.apply(records).map(\.value) == ["A", "B"])
        #expect(throws: ConfigError.self) { try TransformHarness(["transforms": "up", "transforms.up.type": "Nope"], registry: registry) }
    }
}

/// A sink under test that reports records it cannot write (values "bad").
final class ReportingSinkTask: SinkTask {
    var context: (any SinkTaskContext)?
    required init() {}
    var version: String { "1" }
    func initialize(context: any SinkTaskContext) { self.context = context }
    func start(_ config: [String: String]) async throws {}
    func put(_ records: [SinkRecord]) async throws {
        for r in records where r.value.stringValue == "bad" {
            try await context?.errantRecordReporter?.report(r, error: DataError("cannot write \(r.kafkaOffset)"))
        }
    }
    func stop() async throws {}
}

@Test func sinkHarnessCollectsErrantRecords() async throws {
    let h = SinkTaskHarness(ReportingSinkTask.self, config: ["topics": "rows"])
    try await h.start()
    try await h.put(h.records(topic: "rows", values: ["ok", "bad", "ok", "bad"]))
    #expect(h.contextRequests.reported.map(\.record.kafkaOffset) == [1, 3])
    #expect(h.contextRequests.reported.first?.error == "cannot write 1")
    try await h.stop()
}
