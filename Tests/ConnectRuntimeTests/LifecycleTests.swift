import ConnectKit
import ConnectFile
import ConnectPlugins
import Foundation
import MetricsTestKit
import Synchronization
import Testing

@testable import ConnectRuntime

/// Waits until `condition` holds (or fails the test after `timeout`: generous, because `make test`
/// runs every suite at once on two cores and a loaded machine can stall a pipeline for seconds).
func eventually(_ what: String, timeout: Duration = .seconds(30), _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        if ContinuousClock.now > deadline {
            Issue.record("timed out waiting for \(what)")
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

@Suite("Connector life cycle: stop, restart, remove, offsets", .serialized)
struct LifecycleTests {
    /// A sink task fails in `put`; restarted, it gets again every record it had taken and not flushed,
    /// with the same offsets, and nothing is lost or duplicated in what was flushed.
    @Test(arguments: [PipelineMode.direct, .topic])
    func restartingAFailedSinkTaskRedeliversWhatWasNotFlushed(mode: PipelineMode) async throws {
        let id = "restart-\(mode)"
        let worker = try Worker(config: try WorkerConfig(["pipeline.mode": mode.rawValue, "offset.flush.interval.ms": "20"]), registry: statusRegistry(), logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": id + "-src", "count": "100"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": id, "mode": "failonce", "topics": "numbers",
                        "value.converter.schemas.enable": "false"])
        let run = Task { try await worker.run() }
        try await eventually("the sink task to fail") { worker.status("rec")?.tasks.first?.state == .failed }
        #expect(worker.status("rec")?.tasks.first?.trace?.contains("disk hiccup at 42") == true)
        #expect(!Hub.shared.get(id).flushed.contains(42))
        try await worker.herder.restartTask("rec", 0)
        try await eventually("every record flushed") { Hub.shared.get(id).flushed.count >= 100 }
        #expect(worker.status("rec")?.tasks.first?.state == .running)
        #expect(Hub.shared.get(id).flushed == Array(0..<100))  // in order, none lost, none twice
        #expect(Hub.shared.get(id).offsetMismatches == 0)  // re-delivered with their original offsets
        await #expect(throws: HerderError.unknownTask("rec", 3)) { try await worker.herder.restartTask("rec", 3) }
        await #expect(throws: HerderError.unknownConnector("nope")) { try await worker.herder.restartTask("nope", 0) }
        worker.stop()
        try await run.value
    }

    @Test func stopResumeAndOffsets() async throws {
        let store = MemoryOffsetStore()
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: statusRegistry(), offsetStore: store, logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "stop-src"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "stop-sink", "topics": "numbers"])
        let run = Task { try await worker.run() }
        try await eventually("records flowing") { Hub.shared.get("stop-sink").flushed.count > 500 }

        // Offsets can only be changed on a stopped connector (Kafka's rule and message).
        await #expect(throws: HerderError.notStopped("count")) { try await worker.herder.alterConnectorOffsets("count", [["source": "stop-src"]: ["n": .int64(5)]]) }
        #expect(HerderError.notStopped("count").description.hasPrefix("Connectors must be in the STOPPED state before their offsets can be modified."))

        try await worker.herder.stopConnector("count")
        let stopped = try #require(worker.status("count"))
        #expect(stopped.state == .stopped && stopped.tasks.isEmpty)
        #expect(stopped.json.description.contains(#""tasks":[]"#))
        let polled = Hub.shared.get("stop-src").polled
        let committed = try #require(try store.offset(connector: "count", partition: ["source": "stop-src"])?["n"]?.int64Value)
        #expect(committed == Int64(polled - 1))  // stopping flushed and committed everything polled
        try await Task.sleep(for: .milliseconds(100))
        #expect(Hub.shared.get("stop-src").polled == polled)  // and nothing is polled any more

        // The test connector does not handle offsets itself: Kafka's message says so.
        #expect(try await worker.herder.alterConnectorOffsets("count", [["source": "stop-src"]: ["n": .int64(99_999)]])
            == "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses.")
        #expect(try await worker.herder.connectorOffsets("count").byPartition[["source": "stop-src"]] == ["n": .int64(99_999)])
        try await worker.herder.resumeConnector("count")
        try await eventually("the source to resume from the altered offset") { Hub.shared.get("stop-sink").flushed.contains(100_000) }
        #expect(worker.status("count")?.state == .running && worker.status("count")?.tasks.map(\.state) == [.running])
        let flushed = Hub.shared.get("stop-sink").flushed
        #expect(flushed.firstIndex(of: 100_000) == polled)  // right after the last record before the stop

        try await worker.herder.stopConnector("count")
        try await worker.herder.resetConnectorOffsets("count")
        #expect(try await worker.herder.connectorOffsets("count").byPartition.isEmpty)
        await #expect(throws: HerderError.self) { try await worker.herder.resetConnectorOffsets("rec") }  // running (and a sink)
        await #expect(throws: HerderError.unknownConnector("nope")) { try await worker.herder.stopConnector("nope") }
        worker.stop()
        try await run.value
        #expect(worker.status("count")?.state == .stopped)
    }

    @Test func restartPlansFollowIncludeTasksAndOnlyFailed() async throws {
        let worker = try Worker(registry: statusRegistry(), logger: quiet)
        try worker.add(["name": "bad-poll", "connector.class": "Broken"])
        try worker.add(["name": "late", "connector.class": "Broken", "fail.first.start": "late-start"])
        let run = Task { try await worker.run() }
        try await eventually("failures") {
            worker.status("bad-poll")?.tasks.first?.state == .failed && worker.status("late")?.state == .failed
        }
        // onlyFailed on a running connector with a failed task: nothing restarts without includeTasks.
        let none = try await worker.herder.restartConnector("bad-poll", onlyFailed: true)
        #expect(none.state == .running && none.tasks.map(\.state) == [.failed])
        let onlyTask = try await worker.herder.restartConnector("bad-poll", includeTasks: true, onlyFailed: true)
        #expect(onlyTask.state == .running && onlyTask.tasks.map(\.state) == [.restarting])
        #expect(onlyTask.tasks.first?.trace?.contains("table orders was dropped") == true)  // trace kept
        try await eventually("the task to fail again") { worker.status("bad-poll")?.tasks.first?.state == .failed }
        let all = try await worker.herder.restartConnector("bad-poll", includeTasks: true)
        #expect(all.state == .restarting && all.tasks.map(\.state) == [.restarting])

        // A connector that failed to start runs after a restart, with its tasks.
        #expect(worker.status("late")?.trace?.contains("cannot reach the database yet") == true)
        let late = try await worker.herder.restartConnector("late", onlyFailed: true)
        #expect(late.state == .restarting)
        try await eventually("the restarted connector to run its task") { worker.status("late")?.tasks.count == 1 }
        #expect(worker.status("late")?.state == .running)
        await #expect(throws: HerderError.unknownConnector("nope")) { try await worker.herder.restartConnector("nope") }
        worker.stop()
        try await run.value
    }

    @Test func connectorsCanBeAddedAndRemovedWhileRunning() async throws {
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20", "offset.flush.timeout.ms": "200"]), registry: statusRegistry(), logger: quiet)
        let run = Task { try await worker.run() }
        try await Task.sleep(for: .milliseconds(50))
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "dyn-sink", "mode": "failflush", "topics": "numbers"])
        try await eventually("the new sink to run") { worker.status("rec")?.tasks.first?.state == .running }
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "dyn-src", "count": "300"])
        try await eventually("the new sink to get records") { Hub.shared.get("dyn-sink").delivered.count >= 300 }
        #expect(Hub.shared.get("dyn-src").committedRecords.count < 300)  // the sink never flushes: not all acknowledged
        try await worker.herder.deleteConnector("rec")
        #expect(worker.status("rec") == nil)
        #expect(worker.connectorNames == ["count"])
        await #expect(throws: HerderError.unknownConnector("rec")) { try await worker.herder.deleteConnector("rec") }
        // With its only sink gone, the records it had not flushed are held for the topic (as Kafka
        // keeps them in the topic): not acknowledged, and the source says so in its status.
        try await eventually("the source to say it waits") { worker.status("count")?.tasks.first?.waiting.isEmpty == false }
        #expect(worker.status("count")?.tasks.first?.waiting.first?.contains("topic 'numbers' has no reader in this worker") == true)
        #expect(Hub.shared.get("dyn-src").committedRecords.count < 300)
        // A new sink for the topic receives them, and the source's offsets advance.
        try worker.add(["name": "rec2", "connector.class": "Recording", "hub.id": "dyn-sink2", "topics": "numbers"])
        try await eventually("all offsets committed") { Hub.shared.get("dyn-src").committedRecords.count >= 300 }
        try await eventually("the new sink to flush them") { Set(Hub.shared.get("dyn-sink2").flushed) == Set(0..<300) }
        try await eventually("the source to stop waiting") { worker.status("count")?.tasks.first?.waiting == [] }
        worker.stop()
        try await run.value
    }

    /// Two sinks read the topic; one never flushes and is removed. The records the other one flushed
    /// are acknowledged (each flushed once there: in Kafka each sink connector's group reads on its
    /// own), and the source's offsets advance to the end.
    @Test func removingOneOfTwoSinksAcknowledgesWhatTheOtherFlushed() async throws {
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20", "offset.flush.timeout.ms": "200"]), registry: statusRegistry(), logger: quiet)
        let run = Task { try await worker.run() }
        try worker.add(["name": "stuck", "connector.class": "Recording", "hub.id": "two-stuck", "mode": "failflush", "topics": "numbers"])
        try worker.add(["name": "ok", "connector.class": "Recording", "hub.id": "two-ok", "topics": "numbers"])
        try await eventually("both sinks to run") { worker.status("stuck")?.tasks.first?.state == .running && worker.status("ok")?.tasks.first?.state == .running }
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "two-src", "count": "300"])
        try await eventually("both sinks to get the records") {
            Hub.shared.get("two-stuck").delivered.count >= 300 && Set(Hub.shared.get("two-ok").flushed) == Set(0..<300)
        }
        #expect(Hub.shared.get("two-src").committedRecords.count < 300)  // the stuck sink holds them
        try await worker.herder.deleteConnector("stuck")
        try await eventually("all offsets committed") { Hub.shared.get("two-src").committedRecords.count >= 300 }
        #expect(Hub.shared.get("two-ok").flushed.sorted() == Array(0..<300))  // once each: nothing handed on again
        #expect(worker.status("count")?.tasks.first?.waiting == [])
        worker.stop()
        try await run.value
    }
}

@Suite("Metrics")
struct MetricsTests {
    @Test func kafkaMetricNamesReachSwiftMetrics() async throws {
        let metrics = TestMetrics()
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: stagesRegistry(), logger: quiet, metricsFactory: metrics)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "metrics-src", "count": "100",
                        "transforms": "fail", "transforms.fail.type": "FailOn", "transforms.fail.value": "7", "errors.tolerance": "all"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "metrics-sink", "topics": "numbers"])
        try await runWorker(worker) { Hub.shared.get("metrics-src").committedRecords.count >= 100 }
        let src = [("connector", "count"), ("task", "0")]
        let sink = [("connector", "rec"), ("task", "0")]
        #expect(metrics.counterTotal(label: "source-record-poll-total", dimensions: src) == 100)
        #expect(metrics.counterTotal(label: "source-record-write-total", dimensions: src) == 99)  // one skipped by the error handler
        #expect(metrics.counterTotal(label: "total-records-skipped", dimensions: src) == 1)
        #expect(metrics.counterTotal(label: "total-record-errors", dimensions: src) == 1)
        #expect(metrics.counterTotal(label: "sink-record-read-total", dimensions: sink) == 99)
        #expect(metrics.counterTotal(label: "sink-record-send-total", dimensions: sink) == 99)
        #expect(try metrics.expectTimer("offset-commit-time", src).values.count >= 1)
        #expect(try metrics.expectTimer("put-batch-time", sink).values.count >= 1)
        #expect(try metrics.expectRecorder("batch-size", src).values.reduce(0, +) == 100)
        #expect(metrics.counterTotal(label: "offset-commit-completion-total", dimensions: sink) >= 1)
        let progress = worker.progress
        #expect(progress.recordsPolled == 100 && progress.recordsSent == 99 && progress.recordErrors == 1 && progress.failed == 0)
        #expect(worker.metrics(connector: "count", task: 0)?.sourceRecordActiveCount == 0)
    }
}

@Test func progressLineShowsRatesLagAndErrors() {
    let before = WorkerProgress(recordsPolled: 0, recordsSent: 0, recordsInFlight: 0, recordErrors: 0, failed: 0)
    let now = WorkerProgress(recordsPolled: 2_500_000, recordsSent: 2_499_000, recordsInFlight: 1000, recordErrors: 3, failed: 1)
    #expect(now.line(since: before, elapsed: .seconds(2)) == "in 1,250,000 rec/s | out 1,249,500 rec/s | lag 1,000 | errors 3 | failed 1 | total 2,499,000")
}

/// A source whose number of tasks is `Hub.entries[id].starts` (at least 1), and which hands its
/// context to the test.
final class ElasticSource: SourceConnector {
    nonisolated(unsafe) static var contexts: [String: any ConnectorContext] = [:]
    static let lock = NSLock()
    var config: [String: String] = [:]
    var context: (any ConnectorContext)?
    required init() {}
    var version: String { "test" }
    var configDef: ConfigDef { ConfigDef().define("hub.id", .string, importance: .high, documentation: "") }
    var taskType: any SourceTask.Type { CountingSourceTask.self }
    func initialize(context: any ConnectorContext) { self.context = context }
    func start(_ config: [String: String]) async throws {
        self.config = config
        Self.lock.withLock { Self.contexts[config["hub.id"]!] = context }
    }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] {
        let n = max(1, Hub.shared.get(config["hub.id"]!).starts)
        return (0..<min(n, maxTasks)).map { config.merging(["hub.id": "\(config["hub.id"]!)-\($0)", "count": "10"]) { $1 } }
    }
    func stop() async throws {}
}

extension LifecycleTests {
    @Test func aConnectorCanAskForNewTasksAndRaiseErrors() async throws {
        var registry = statusRegistry()
        registry.register(.source(ElasticSource.self), name: "Elastic")
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: registry, logger: quiet)
        try worker.add(["name": "elastic", "connector.class": "Elastic", "hub.id": "elastic", "tasks.max": "4"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "elastic-sink", "topics": "numbers"])
        let run = Task { try await worker.run() }
        try await eventually("one task") { worker.status("elastic")?.tasks.map(\.state) == [.running] }
        Hub.shared.update("elastic") { $0.starts = 3 }
        let context = try #require(ElasticSource.lock.withLock { ElasticSource.contexts["elastic"] })
        context.requestTaskReconfiguration()
        try await eventually("three tasks") { worker.status("elastic")?.tasks.map(\.state) == [.running, .running, .running] }
        try await eventually("every task polled") { (0..<3).allSatisfy { Hub.shared.get("elastic-\($0)").polled == 10 } }
        context.raiseError(DataError("schema registry unreachable"))
        #expect(worker.status("elastic")?.state == .failed)
        #expect(worker.status("elastic")?.trace?.contains("schema registry unreachable") == true)
        worker.stop()
        try await run.value
    }
}

extension LifecycleTests {
    /// `tasks.max` sink tasks share a topic's partitions in both modes (direct: partition p → task
    /// p % tasks; topic: the consumer group's range assignment).
    @Test(arguments: [PipelineMode.direct, .topic])
    func severalSinkTasksSharePartitions(mode: PipelineMode) async throws {
        let id = "multi-\(mode)"
        let worker = try Worker(config: try WorkerConfig(["pipeline.mode": mode.rawValue, "topic.partitions": "4", "offset.flush.interval.ms": "20",
                                                          "value.converter.schemas.enable": "false"]), registry: statusRegistry(), logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": id + "-src", "count": "400"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": id, "topics": "numbers", "tasks.max": "2"])
        try await runWorker(worker) { Hub.shared.get(id + "-src").committedRecords.count >= 400 }
        #expect(worker.status("rec")?.tasks.count == 2)
        #expect(Hub.shared.get(id).flushed.sorted() == Array(0..<400))
        let t0 = Hub.shared.get(id + "-t0").delivered, t1 = Hub.shared.get(id + "-t1").delivered
        #expect(!t0.isEmpty && !t1.isEmpty && t0.count + t1.count == 400)
        #expect(Set(t0).isDisjoint(with: t1))
    }
}

extension LifecycleTests {
    /// In topic mode a sink's `SinkTaskContext.offset` rewind is honoured: the records from that
    /// offset are delivered again, and nothing is lost or written twice.
    @Test func topicModeHonoursSinkRewinds() async throws {
        let id = "rewind"
        let worker = try Worker(config: try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20",
                                                          "value.converter.schemas.enable": "false"]), registry: statusRegistry(), logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": id + "-src", "count": "50"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": id, "mode": "rewind", "topics": "numbers"])
        try await runWorker(worker) { Hub.shared.get(id + "-src").committedRecords.count >= 50 }
        #expect(Hub.shared.get(id).failures == 1)  // the rewind happened
        #expect(Hub.shared.get(id).flushed == Array(0..<50))
    }
}

extension LifecycleTests {
    /// A stopped sink connector's offsets are its consumer group's positions (topic mode), in Kafka's
    /// REST form; altering them is checked with Kafka's SinkUtils messages.
    @Test func sinkOffsetsAreTheConsumerGroupsPositions() async throws {
        let worker = try Worker(config: try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20", "offset.flush.timeout.ms": "100",
                                                          "value.converter.schemas.enable": "false"]), registry: statusRegistry(), logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "so-src", "count": "20"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "so-sink", "mode": "failflush", "topics": "numbers"])
        let run = Task { try await worker.run() }
        try await eventually("the sink to get everything") { Hub.shared.get("so-sink").delivered.count >= 20 }
        await #expect(throws: HerderError.notStopped("rec")) {
            try await worker.herder.alterConnectorOffsets("rec", [["kafka_topic": "numbers", "kafka_partition": .int32(0)]: nil])
        }
        try await worker.herder.stopConnector("rec")
        #expect(try await worker.herder.connectorOffsets("rec").byPartition.isEmpty)  // it never flushed: nothing committed
        #expect(Hub.shared.get("so-src").committedRecords.isEmpty)

        func message(_ partition: [String: Value], _ offset: [String: Value]?) async -> String? {
            do { try await worker.herder.alterConnectorOffsets("rec", [partition: offset]) } catch { return "\(error)" }
            return nil
        }
        #expect(await message(["kafka_topic": "numbers"], ["kafka_offset": .int64(1)])
            == "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'")
        #expect(await message(["kafka_topic": .int32(1), "kafka_partition": .int32(0)], ["kafka_offset": .int64(1)]) == "Kafka topic names must be valid strings and may not be null")
        #expect(await message(["kafka_topic": "numbers", "kafka_partition": .null], ["kafka_offset": .int64(1)]) == "Kafka partitions must be valid numbers and may not be null")
        #expect(await message(["kafka_topic": "numbers", "kafka_partition": "zero"], ["kafka_offset": .int64(1)])?.hasPrefix("Failed to parse the following Kafka partition value") == true)
        #expect(await message(["kafka_topic": "numbers", "kafka_partition": .int32(0)], ["offset": .int64(1)])
            == "The offset for a sink connector should either be null or contain the key 'kafka_offset'")
        #expect(await message(["kafka_topic": "numbers", "kafka_partition": .int32(0)], ["kafka_offset": "x"])?.hasPrefix("Failed to parse the following Kafka offset value") == true)

        // Skipping ahead acknowledges what is skipped: the source may commit past it.
        try await worker.herder.alterConnectorOffsets("rec", [["kafka_topic": "numbers", "kafka_partition": .int32(0)]: ["kafka_offset": .int64(15)]])
        #expect(try await worker.herder.connectorOffsets("rec").byPartition == [["kafka_topic": "numbers", "kafka_partition": .int32(0)]: ["kafka_offset": .int64(15)]])
        try await eventually("the source to commit what was skipped") { Hub.shared.get("so-src").committedRecords.count >= 15 }
        try await worker.herder.resetConnectorOffsets("rec")
        #expect(try await worker.herder.connectorOffsets("rec").byPartition.isEmpty)
        worker.stop()
        try await run.value
    }
}

extension LifecycleTests {
    /// In topic mode `commitRecord` gets the record as polled and metadata naming the topic it was
    /// produced to — after a RegexRouter renamed it — as Kafka's WorkerSourceTask passes them.
    @Test func topicModeCommitRecordNamesTheProducedTopic() async throws {
        let id = "renamed"
        let worker = try Worker(config: try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20",
                                                          "value.converter.schemas.enable": "false"]), registry: statusRegistry(), logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": id + "-src", "count": "30",
                        "transforms": "route", "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
                        "transforms.route.regex": "numbers", "transforms.route.replacement": "renamed-numbers"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": id, "topics": "renamed-numbers"])
        try await runWorker(worker) { Hub.shared.get(id + "-src").committedRecords.count >= 30 }
        #expect(Hub.shared.get(id).flushed == Array(0..<30))
        let topics = Hub.shared.get(id + "-src").committedTopics
        #expect(topics.count == 30)
        #expect(Set(topics) == ["numbers→renamed-numbers"])
    }

    /// In topic mode a task's batches are converted and produced on its send stage while it polls
    /// on: a converter failure errors.tolerance does not cover still fails the task with the
    /// converter's error, nothing reaches the topic, no record is committed and no offset stored.
    @Test func topicModeConverterFailureFailsTheTaskAndSendsNothing() async throws {
        let id = "stage-fail"
        let store = MemoryOffsetStore()
        let worker = try Worker(config: try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20"]),
                                registry: statusRegistry(), offsetStore: store, logger: quiet)
        // IntegerConverter refuses the source's int64 values: the first batch fails.
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": id + "-src", "count": "500",
                        "value.converter": "org.apache.kafka.connect.converters.IntegerConverter"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": id, "topics": "numbers"])
        // The task fails while it runs, not only when stopped.
        let task = try await failedTask(worker, "count")
        #expect(task.state == .failed)
        #expect(task.trace?.contains("org.apache.kafka.connect.errors.DataException") == true, "\(task.trace ?? "no trace")")
        #expect(Hub.shared.get(id + "-src").polled >= 50)
        #expect(Hub.shared.get(id).flushed.isEmpty)
        #expect(Hub.shared.get(id + "-src").committedRecords.isEmpty)
        #expect(try store.offsets(connector: "count").isEmpty)
    }

    /// The stage stops at the first failing batch: the batches before it are delivered and committed,
    /// nothing from the failing batch on reaches the topic or the offsets.
    @Test func topicModeStageStopsAtTheFailingBatch() async throws {
        let id = "stage-partial"
        let store = MemoryOffsetStore()
        var registry = statusRegistry()
        registry.register(transformation: FailingAt.self, name: "FailingAt")
        let worker = try Worker(config: try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20"]),
                                registry: registry, offsetStore: store, logger: quiet)
        // Counting polls batches of 50: record 75 fails the second.
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": id + "-src", "count": "500",
                        "transforms": "fail", "transforms.fail.type": "FailingAt", "transforms.fail.at": "75", "transforms.fail.delay.ms": "200"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": id, "topics": "numbers"])
        let task = try await failedTask(worker, "count")
        #expect(task.state == .failed)
        #expect(task.trace?.contains("record 75 refused") == true, "\(task.trace ?? "no trace")")
        // Meanwhile (200 ms) the task polled on: its later batches waited behind the failing one.
        #expect(Hub.shared.get(id + "-src").polled > 100)
        #expect((worker.broker?.endOffset(topic: "numbers") ?? 0) <= 50, "produced to the topic: \(worker.broker?.endOffset(topic: "numbers") ?? 0)")
        #expect(Hub.shared.get(id).flushed.allSatisfy { $0 < 50 }, "\(Hub.shared.get(id).flushed)")
        #expect(Hub.shared.get(id + "-src").committedRecords.allSatisfy { $0 < 50 })
        let offsets = try store.offsets(connector: "count")
        #expect(offsets.values.allSatisfy { ($0["n"]?.int64Value ?? 0) < 50 }, "\(offsets)")
    }

    /// A batch that fails while the next waits for room in the in-flight limit (which the failed
    /// batch never gives back) still fails the task at once — it does not wait for a stop.
    @Test func topicModeStageFailureEndsTheWaitForRoom() async throws {
        let id = "stage-room"
        var registry = statusRegistry()
        registry.register(transformation: FailingAt.self, name: "FailingAt")
        // Room for one batch of 50: the second waits while the first fails (slowly).
        let worker = try Worker(config: try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20",
                                                          "pipeline.max.in.flight.records": "50"]),
                                registry: registry, logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": id + "-src",
                        "transforms": "fail", "transforms.fail.type": "FailingAt", "transforms.fail.at": "0", "transforms.fail.delay.ms": "300"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": id, "topics": "numbers"])
        let task = try await failedTask(worker, "count")
        #expect(task.state == .failed)
        #expect(task.trace?.contains("record 0 refused") == true, "\(task.trace ?? "no trace")")
        #expect(Hub.shared.get(id).flushed.isEmpty)
    }

    /// Deliveries that fail (a broker refusing every record) while the task waits for in-flight room —
    /// which those records hold until the task handles them — fail the task without a stop; with
    /// errors.tolerance=all they are skipped and the task goes on, its offsets past them.
    @Test(arguments: ["none", "all"])
    func deliveryFailuresEndTheWaitForRoom(tolerance: String) async throws {
        let id = "refused-\(tolerance)"
        let store = MemoryOffsetStore()
        let worker = try Worker(config: try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20",
                                                          "pipeline.max.in.flight.records": "50"]),
                                registry: statusRegistry(), offsetStore: store, transport: RefusingTransport(), logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": id, "errors.tolerance": tolerance])
        let run = Task { try await worker.run() }
        let deadline = ContinuousClock.now + .seconds(30)  // a hang detector
        func done() -> Bool {
            tolerance == "none"
                ? worker.status("count")?.tasks.first?.state == .failed
                : ((try? store.offsets(connector: "count").first?.value["n"]?.int64Value) ?? nil ?? 0) >= 200
        }
        while !done() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        let task = try #require(worker.status("count")?.tasks.first)
        let committed = try store.offsets(connector: "count").first?.value["n"]?.int64Value
        worker.stop()
        try await run.value
        if tolerance == "none" {
            #expect(task.state == .failed)
            #expect(task.trace?.contains("Unrecoverable exception from producer send callback") == true, "\(task.trace ?? "no trace")")
            #expect(committed == nil)
        } else {
            #expect(task.state == .running)
            #expect((committed ?? 0) >= 200, "offsets at \(committed.map(String.init) ?? "none")")
        }
    }

    /// A record refused at once partway through a batch (Kafka: `producer.send` throwing) fails the
    /// task; the stop then waits only for the records handed over before it, never for the rest
    /// (which would hold it for offset.flush.timeout.ms), and the offsets never pass the refused one.
    /// Without ``PartialSendError`` the runtime assumes none of the batch was taken.
    @Test(arguments: [true, false])
    func synchronousRefusalPartwayThroughABatch(typed: Bool) async throws {
        let store = MemoryOffsetStore()
        let worker = try Worker(config: try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20",
                                                          "offset.flush.timeout.ms": "20000"]),
                                registry: statusRegistry(), offsetStore: store, transport: RefusingTransport(refuseAt: 75, typed: typed), logger: quiet)
        // Counting polls batches of 50: the second is refused at its 26th record (value 75).
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "partway-\(typed)"])
        let run = Task { try await worker.run() }
        let deadline = ContinuousClock.now + .seconds(30)  // a hang detector
        while worker.status("count")?.tasks.first?.state != .failed && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        let task = try #require(worker.status("count")?.tasks.first)
        let stopping = ContinuousClock.now
        worker.stop()
        try await run.value
        let stop = ContinuousClock.now - stopping
        #expect(task.state == .failed)
        #expect(task.trace?.contains("record 75 refused at once") == true, "\(task.trace ?? "no trace")")
        // Pre-fix the stop waited the whole offset.flush.timeout.ms (20 s) for the unsent records.
        #expect(stop < .seconds(10), "the stop took \(stop)")
        let committed = try store.offsets(connector: "count").first?.value["n"]?.int64Value
        #expect((committed ?? 0) < 75, "offsets at \(committed.map(String.init) ?? "none")")
        if typed { #expect(committed == 74, "the records handed over before the refused one are committed") }
    }

    /// Runs the worker until the connector's first task fails (30 s: a hang detector), then stops it;
    /// the task's status as it was before the stop.
    private func failedTask(_ worker: Worker, _ connector: String) async throws -> TaskStatus {
        let run = Task { try await worker.run() }
        let deadline = ContinuousClock.now + .seconds(30)
        while worker.status(connector)?.tasks.first?.state != .failed && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        let task = try #require(worker.status(connector)?.tasks.first)
        worker.stop()
        try await run.value
        return task
    }
}

/// A transport whose brokers refuse every record: each delivery fails, 20 ms after it was sent (as a
/// Kafka producer's callback reports a record the broker rejected).
final class RefusingTransport: Transport {
    /// Refuse at once (throwing from `send`) the record whose value is this, and every one after it;
    /// the records before it are delivered 20 ms later. Nil: refuse every record through its delivery.
    let refuseAt: Int64?
    /// Throw ``PartialSendError`` (saying how many were taken) rather than a plain error.
    let typed: Bool
    init(refuseAt: Int64? = nil, typed: Bool = true) {
        self.refuseAt = refuseAt
        self.typed = typed
    }
    func makeProducer(clientID: String, connectorConfig: [String: String]) throws -> any TransportProducer {
        if let refuseAt { return RefusingAtOnceProducer(at: refuseAt, typed: typed) }
        return RefusingProducer()
    }
    func makeConsumer(group: String, clientID: String, connectorConfig: [String: String]) throws -> any TransportConsumer {
        throw TransportError(.other, "no consumers here")
    }
    func expectGroup(_ group: String, subscription: Subscription) {}
    func committedOffsets(group: String) async throws -> [TopicPartition: Int64] { [:] }
    func alterCommittedOffsets(group: String, _ offsets: [TopicPartition: Int64?]) async throws {}
    func deleteGroup(_ group: String) async throws {}
    func shutdown() {}
}

final class RefusingProducer: TransportProducer {
    func send(_ records: [OutgoingRecord]) throws {
        let deliveries = records.map(\.delivery)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.02) {
            for d in deliveries { d.failed(TransportError(.other, "the broker refused the record")) }
        }
    }
    func flush(until deadline: ContinuousClock.Instant) async -> Bool { true }
    func close() {}
}

/// Takes records until the one whose value is `at`, which it refuses at once (as librdkafka refuses
/// a record it cannot queue); those taken are delivered 20 ms later.
final class RefusingAtOnceProducer: TransportProducer {
    let at: Int64
    let typed: Bool
    private let refusing = Mutex(false)
    init(at: Int64, typed: Bool) {
        self.at = at
        self.typed = typed
    }
    func send(_ records: [OutgoingRecord]) throws {
        let refuseFrom = refusing.withLock { $0 } ? 0 : records.firstIndex { r in
            // The worker's JSON converter writes Counting's value as {"schema":…,"payload":n}.
            r.record.value.map { String(decoding: $0, as: UTF8.self).hasSuffix("\"payload\":\(at)}") } ?? false
        }
        let taken = records.prefix(refuseFrom ?? records.count).map(\.delivery)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.02) { for d in taken { d.succeeded() } }
        guard let refuseFrom else { return }
        refusing.withLock { $0 = true }
        let cause = TransportError(.other, "record \(at) refused at once")
        if typed { throw PartialSendError(handedOver: refuseFrom, cause: cause) }
        throw cause
    }
    func flush(until deadline: ContinuousClock.Instant) async -> Bool { true }
    func close() {}
}

/// Fails the record whose value is `at` (after `delay.ms`, blocking: a slow transformation).
struct FailingAt: Transformation {
    let at: Int64
    let delay: Double
    init(configuration: [String: String]) throws(ConfigError) {
        at = Int64(configuration["at"] ?? "0") ?? 0
        delay = Double(configuration["delay.ms"] ?? "0").map { $0 / 1000 } ?? 0
    }
    static var configDef: ConfigDef {
        ConfigDef().define("at", .long, importance: .high, documentation: "the value to fail")
            .define("delay.ms", .long, default: 0, importance: .low, documentation: "how long to take first")
    }
    func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        guard record.value.int64Value == at else { return record }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        throw ConnectError("record \(at) refused")
    }
}
