import ConnectKit
import Testing

@testable import ConnectRuntime

/// A task that keeps the default (empty) `commitRecord`.
final class DefaultCommitTask: SourceTask {
    required init() {}
    var version: String { "test" }
    func start(_ config: [String: String]) async throws {}
    func poll() async throws -> [SourceRecord] { [] }
    func stop() async throws {}
}

/// A source connector running one task of type `Task` (a ``CommittingTask``).
final class CommitTestSource<Task: CommittingTask>: SourceConnector {
    var config: [String: String] = [:]
    required init() {}
    var version: String { "test" }
    var configDef: ConfigDef { ConfigDef().define("hub.id", .string, importance: .high, documentation: "") }
    var taskType: any SourceTask.Type { Task.self }
    func start(_ config: [String: String]) async throws { self.config = config }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [config] }
    func stop() async throws {}
}

/// Polls as ``CountingSourceTask``; its `commitRecord` counts each record in the hub.
class CommittingTask: SourceTask {
    let counting = CountingSourceTask()
    required init() {}
    var version: String { "test" }
    func initialize(context: any SourceTaskContext) { counting.initialize(context: context) }
    func start(_ config: [String: String]) async throws { try await counting.start(config) }
    func poll() async throws -> [SourceRecord] { try await counting.poll() }
    func commitRecord(_ record: SourceRecord, metadata: RecordMetadata?) async throws {
        Hub.shared.update(counting.id) { $0.committedRecords.append(record.value.int64Value!) }
    }
    func stop() async throws {}
}

/// Forwards each record to a task that keeps the default `commitRecord` — a wrapper the worker must
/// keep calling for every record.
final class ForwardingCommitTask: CommittingTask {
    let inner = DefaultCommitTask()
    override func commitRecord(_ record: SourceRecord, metadata: RecordMetadata?) async throws {
        try await super.commitRecord(record, metadata: metadata)
        try await inner.commitRecord(record, metadata: metadata)
    }
}

/// Throws on its first call (the probe's): the worker logs it and goes on calling it.
final class ThrowingFirstCommitTask: CommittingTask {
    var calls = 0
    override func commitRecord(_ record: SourceRecord, metadata: RecordMetadata?) async throws {
        try await super.commitRecord(record, metadata: metadata)
        calls += 1
        if calls == 1 { throw ConnectError("the first commitRecord fails") }
    }
}

@Suite("commitRecord")
struct CommitRecordTests {
    /// Only the default implementation marks the probe, and only for the task the probe names: the
    /// worker then stops calling that task's commitRecord record by record.
    @Test func theDefaultImplementationAnswersTheProbeForItsOwnTask() async throws {
        let task = DefaultCommitTask()
        let other = DefaultCommitTask()
        let record = SourceRecord(sourcePartition: [:], sourceOffset: [:], topic: "t", valueSchema: nil, value: .null)
        let mine = DefaultCommitRecordProbe(task: ObjectIdentifier(task))
        try await DefaultCommitRecordProbe.$current.withValue(mine) { try await task.commitRecord(record, metadata: nil) }
        #expect(mine.isDefault)
        let theirs = DefaultCommitRecordProbe(task: ObjectIdentifier(task))
        try await DefaultCommitRecordProbe.$current.withValue(theirs) { try await other.commitRecord(record, metadata: nil) }
        #expect(!theirs.isDefault)
        let overriding = CountingSourceTask()
        let probe = DefaultCommitRecordProbe(task: ObjectIdentifier(overriding))
        overriding.id = "probe-overriding"
        try await DefaultCommitRecordProbe.$current.withValue(probe) {
            try await overriding.commitRecord(SourceRecord(sourcePartition: [:], sourceOffset: [:], topic: "t", valueSchema: .int64, value: .int64(1)), metadata: nil)
        }
        #expect(!probe.isDefault)
        try await task.commitRecord(record, metadata: nil)  // without a probe: nothing to answer
    }

    /// A task whose commitRecord forwards to another task's default one, and an override that throws
    /// on its first call (the one that carries the probe), are still called for every record.
    @Test(arguments: ["ForwardingCommit", "ThrowingFirstCommit"])
    func anOverrideGetsEveryRecord(_ connector: String) async throws {
        var registry = testRegistry()
        registry.register(.source(CommitTestSource<ForwardingCommitTask>.self), name: "ForwardingCommit")
        registry.register(.source(CommitTestSource<ThrowingFirstCommitTask>.self), name: "ThrowingFirstCommit")
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: registry, logger: quiet)
        try worker.add(["name": "src", "connector.class": connector, "hub.id": "\(connector)-src", "count": "300"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "\(connector)-sink", "topics": "numbers"])
        try await runWorker(worker, timeout: .seconds(30)) { Hub.shared.get("\(connector)-src").committedRecords.count >= 300 }
        #expect(Hub.shared.get("\(connector)-src").committedRecords == Array(0..<300))
    }
}
