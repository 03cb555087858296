import ConnectKit
import ConnectKitTesting
import ConnectPlugins
import ConnectRuntime
import Foundation
import Testing

/// A source under test: emits "row-N" for N after the committed offset, `count` rows in all.
final class RowsSource: SourceConnector {
    var config: [String: String] = [:]
    required init() {}
    var version: String { "1" }
    var configDef: ConfigDef { ConfigDef().define("count", .int, default: 10, importance: .high, documentation: "") }
    var taskType: any SourceTask.Type { RowsTask.self }
    func start(_ config: [String: String]) async throws { self.config = config }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [config] }
    func stop() async throws {}
}

final class RowsTask: SourceTask {
    var next = 0
    var count = 10
    var context: (any SourceTaskContext)?
    required init() {}
    var version: String { "1" }
    func initialize(context: any SourceTaskContext) { self.context = context }
    func start(_ config: [String: String]) async throws {
        count = Int(config["count"] ?? "10")!
        if let o = try await context?.offsetStorageReader.offset(for: ["table": "rows"]), let n = o["row"]?.int64Value { next = Int(n) + 1 }
    }
    func poll() async throws -> [SourceRecord] {
        guard next < count else { return [] }
        let end = min(count, next + 3)
        defer { next = end }
        return (next..<end).map { SourceRecord(sourcePartition: ["table": "rows"], sourceOffset: ["row": .int64(Int64($0))], topic: "rows", valueSchema: .string, value: .string("row-\($0)")) }
    }
    func stop() async throws {}
}

/// A sink under test: buffers, writes on flush, and commits only what it wrote.
final class BufferingSinkTask: SinkTask {
    var buffer: [String] = []
    var written: [String] = []
    required init() {}
    var version: String { "1" }
    func start(_ config: [String: String]) async throws {}
    func put(_ records: [SinkRecord]) async throws { buffer += records.compactMap { $0.value.stringValue } }
    func flush(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws {
        written += buffer
        buffer = []
    }
    func stop() async throws {}
}

@Suite("ConnectKitTesting")
struct HarnessTests {
    @Test func sourceHarnessPollsAcknowledgesAndResumes() async throws {
        let h = SourceTaskHarness(RowsTask.self, config: ["count": "7"])
        try await h.start()
        let first = try await h.poll(atLeast: 4)
        #expect(first.map(\.value) == ["row-0", "row-1", "row-2", "row-3", "row-4", "row-5"])
        try await h.acknowledgeAll()
        #expect(try h.committedOffset(for: ["table": "rows"]) == ["row": .int64(5)])
        try await h.poll()  // row-6, never acknowledged: a crash now redelivers it
        try await h.restart()
        let again = try await h.poll(atLeast: 1)
        #expect(again.map(\.value) == ["row-6"])
        #expect(h.polled.count == 8)
        let timeout = await #expect(throws: HarnessError.self) { try await h.poll(atLeast: 1, timeout: .milliseconds(100)) }
        #expect(timeout?.description == "only 0 of 1 records arrived within 0.1 seconds")
    }

    @Test func sourceHarnessCanStartFromGivenOffsets() async throws {
        let h = SourceTaskHarness(RowsTask.self, config: ["count": "5"], offsets: [["table": "rows"]: ["row": .int64(2)]])
        try await h.start()
        #expect(try await h.poll().map(\.value) == ["row-3", "row-4"])
        let notStarted = SourceTaskHarness(RowsTask.self, config: [:])
        let e = await #expect(throws: HarnessError.self) { try await notStarted.poll() }
        #expect(e?.description == "the task is not started; call start() first")
    }

    @Test func sinkHarnessPutsAndFlushes() async throws {
        let h = SinkTaskHarness(BufferingSinkTask.self, config: ["topics": "rows"])
        try await h.start()
        try await h.put(h.records(topic: "rows", values: ["a", "b"]))
        try await h.put(h.records(topic: "rows", values: ["c"]))
        let committed = try await h.flush()
        #expect(committed == [TopicPartition(topic: "rows", partition: 0): OffsetAndMetadata(offset: 3)])
        #expect(h.delivered.map(\.kafkaOffset) == [0, 1, 2])
        try await h.stop()
    }

    @Test func pipelineHarnessRunsAndResumes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harness-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("rows.txt").path
        @Sendable func lines() -> [String] { ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }

        let pipeline = PipelineHarness(registry: .standard)
        pipeline.registry.register(.source(RowsSource.self), name: "Rows")
        pipeline.add(["name": "rows", "connector.class": "Rows", "count": "10"])
        pipeline.add(["name": "file", "connector.class": "FileStreamSink", "file": out, "topics": "rows"])
        let statuses = try await pipeline.run { lines().count == 10 }
        #expect(statuses.map(\.state) == [.running, .running])
        #expect(lines() == (0..<10).map { "row-\($0)" })
        #expect(try pipeline.offsetStore.offset(connector: "rows", partition: ["table": "rows"]) == ["row": .int64(9)])

        let bad = PipelineHarness()
        bad.add(["name": "x", "connector.class": "Nope"])
        await #expect(throws: ConfigError.self) { try await bad.run { true } }
        let never = PipelineHarness()
        never.registry.register(.source(RowsSource.self), name: "Rows")
        never.add(["name": "rows", "connector.class": "Rows", "count": "0"])
        let e = await #expect(throws: HarnessError.self) { try await never.run(timeout: .milliseconds(200)) { false } }
        #expect(e?.description.contains("did not hold") == true)
    }
}
