import ConnectKit
import Foundation
import Synchronization
import ConnectKitTesting
import Testing

@testable import ConnectRuntime

/// A sink that writes asynchronously: its `preCommit` says it has written all but the last
/// `lag` records of each partition.
final class LaggingSink: SinkConnector {
    var config: [String: String] = [:]
    required init() {}
    var version: String { "test" }
    var configDef: ConfigDef { ConfigDef() }
    var taskType: any SinkTask.Type { LaggingSinkTask.self }
    func start(_ config: [String: String]) async throws { self.config = config }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [config] }
    func stop() async throws {}
}

final class LaggingSinkTask: SinkTask {
    static let lag: Int64 = 10
    static let given = Mutex<[TopicPartition: Int64]>([:])
    required init() {}
    var version: String { "test" }
    func start(_ config: [String: String]) async throws {}
    func put(_ records: [SinkRecord]) async throws {}
    func preCommit(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws -> [TopicPartition: OffsetAndMetadata] {
        LaggingSinkTask.given.withLock { $0.merge(offsets.mapValues(\.offset)) { max($0, $1) } }
        return offsets.mapValues { OffsetAndMetadata(offset: max(0, $0.offset - Self.lag)) }
    }
    func stop() async throws {}
}

@Suite("Runtime edges", .serialized)
struct RuntimeEdgeTests {
    /// Kafka commits what `preCommit` returns: a sink that has not written everything yet holds the
    /// source's offsets back by exactly what it has not written.
    @Test(arguments: [PipelineMode.direct, .topic])
    func onlyWhatPreCommitReturnsIsAcknowledged(mode: PipelineMode) async throws {
        LaggingSinkTask.given.withLock { $0 = [:] }
        let store = MemoryOffsetStore()
        var registry = testRegistry()
        registry.register(.sink(LaggingSink.self), name: "Lagging")
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20", "offset.flush.timeout.ms": "200", "pipeline.mode": mode.rawValue, "value.converter.schemas.enable": "false"]),
                                registry: registry, offsetStore: store, logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "lag-\(mode)", "count": "100"])
        try worker.add(["name": "lag", "connector.class": "Lagging", "topics": "numbers"])
        let run = Task { try await worker.run() }
        try await eventually("the sink to have been given everything") { LaggingSinkTask.given.withLock { $0.values.first } == 100 }
        try await eventually("the offsets to settle") {
            (try? store.offset(connector: "count", partition: ["source": .string("lag-\(mode)")]))?["n"]?.int64Value == 100 - LaggingSinkTask.lag - 1
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(try store.offset(connector: "count", partition: ["source": .string("lag-\(mode)")])?["n"]?.int64Value == 100 - LaggingSinkTask.lag - 1,
                "n=89 is the last record the sink has written; 90…99 stay unacknowledged")
        worker.stop()
        try await run.value
    }

    /// Topic mode: a paused sink connector reads nothing more, so shutdown does not wait for it to
    /// drain: it ends within the timeouts and nothing is abandoned. (With the test kit's harness.)
    @Test func aPausedSinkDoesNotHoldUpShutdown() async throws {
        let pipeline = PipelineHarness(registry: testRegistry(), workerProperties: [
            "offset.flush.interval.ms": "20", "pipeline.mode": "topic", "value.converter.schemas.enable": "false",
            "task.shutdown.graceful.timeout.ms": "20000", "offset.flush.timeout.ms": "500",
        ])
        pipeline.add(["name": "count", "connector.class": "Counting", "hub.id": "paused-src"])
        pipeline.add(["name": "out", "connector.class": "CollectingSink", "topics": "numbers"])
        let worker = try pipeline.start()
        try await pipeline.flush { pipeline.flushed("out").count > 100 }
        try await worker.herder.pauseConnector("out")
        try await pipeline.waitUntil("out", task: 0, is: .paused)
        let started = ContinuousClock.now
        _ = try await pipeline.stop()
        // Held up, the stop would wait the whole graceful timeout (20 s) and abandon the sink's task; on
        // a loaded machine a prompt stop still takes a second or two (it took 2.16 s once with a 2 s bound).
        #expect(ContinuousClock.now - started < .seconds(15))
        #expect(worker.abandoned.isEmpty)
    }

    /// A connector created after the worker stopped is registered but never started.
    @Test func aConnectorCreatedAfterShutdownStartsNothing() async throws {
        var registry = testRegistry()
        registry.register(.source(CountedSource.self), name: "Counted")
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: registry, logger: quiet)
        let run = Task { try await worker.run() }
        try await Task.sleep(for: .milliseconds(50))
        worker.stop()
        try await run.value
        _ = try await worker.herder.putConnectorConfig("late", ["connector.class": "Counted"], allowReplace: false)
        try await Task.sleep(for: .milliseconds(100))
        #expect(CountedSource.counts("late") == (0, 0))
        #expect(worker.status("late")?.state == .unassigned)
    }

    /// Replacing a sink connector's configuration keeps its consumer group's offsets (Kafka keeps
    /// `connect-<name>` across updates).
    @Test func replacingASinkKeepsItsGroupOffsets() async throws {
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20", "pipeline.mode": "topic", "value.converter.schemas.enable": "false"]),
                                registry: testRegistry(), logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "keep-src", "count": "50"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "keep-sink", "topics": "numbers"])
        let run = Task { try await worker.run() }
        try await eventually("the sink to flush everything") { Hub.shared.get("keep-sink").flushed.count >= 50 }
        try await eventually("the group to commit") { worker.broker?.committed(group: "connect-rec").values.first == 50 }
        _ = try await worker.herder.putConnectorConfig("rec", ["connector.class": "Recording", "hub.id": "keep-sink-2", "topics": "numbers"], allowReplace: true)
        try await Task.sleep(for: .milliseconds(300))
        #expect(worker.broker?.committed(group: "connect-rec").values.first == 50)
        #expect(Hub.shared.get("keep-sink-2").delivered.isEmpty, "the replaced sink resumes after what its group committed")
        worker.stop()
        try await run.value
    }
}
