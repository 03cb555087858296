import ConnectKit
import ConnectRuntime
import Synchronization

/// A failure to inject into a connector's tasks in a ``PipelineHarness``. Calls are counted from 1
/// over every task instance of the connector, so a fault fires once: a task restarted after it
/// carries on.
public enum Fault: Sendable {
    /// The `put` whose batch holds the Nth record (counted from 1 over every record given to `put`)
    /// throws `error` (a non-retriable error fails the task, like a crash).
    case throwOnPut(record: Int, error: any Error & Sendable)
    /// The Nth `put` call throws `error`. A call is a batch: up to `consumer.max.poll.records`
    /// (500) records, so a small input makes few calls — ``throwOnPut(record:error:)`` is usually
    /// what a test means.
    case throwOnPutCall(Int, error: any Error & Sendable)
    /// The Nth `put` throws a ``RetriableError``; the runtime retries the same batch.
    case retriableOnPut(call: Int)
    /// The Nth flush (`preCommit`) throws: nothing since the last flush is acknowledged.
    case throwOnFlush(call: Int, error: any Error & Sendable)
    /// The Nth `poll` throws `error`.
    case throwOnPoll(call: Int, error: any Error & Sendable)
}

/// An error injected by a ``Fault``.
public struct InjectedFault: Error, Sendable, CustomStringConvertible {
    /// What failed, as the test names it.
    public let what: String
    /// A fault naming `what`.
    public init(_ what: String) { self.what = what }
    public var description: String { "injected fault: \(what)" }
}

/// Faults by connector name, looked up by the wrapping tasks (which only see their configuration).
final class FaultBook: Sendable {
    static let shared = FaultBook()
    private let faults = Mutex<[String: [Fault]]>([:])
    private let calls = Mutex<[String: Int]>([:])
    func set(_ id: String, _ list: [Fault]) { faults.withLock { $0[id] = list } }
    func get(_ id: String?) -> [Fault] { id.flatMap { id in faults.withLock { $0[id] } } ?? [] }
    /// Counts a call of `kind` for a connector; returns its number (from 1).
    func count(_ id: String?, _ kind: String) -> Int { count(id, kind, by: 1).upperBound }

    /// Counts `n` more of `kind` for a connector; returns their numbers (from 1).
    func count(_ id: String?, _ kind: String, by n: Int) -> ClosedRange<Int> {
        calls.withLock { c in
            let key = (id ?? "") + "/" + kind
            let first = c[key, default: 0] + 1
            c[key, default: 0] += n
            return first...max(first, c[key]!)
        }
    }
}

let faultKey = "connectkit.testing.faults"

/// Wraps a sink connector so its tasks fail as planned.
final class FaultySinkConnector<Inner: SinkConnector>: SinkConnector {
    let inner = Inner()
    required init() {}
    var version: String { inner.version }
    var configDef: ConfigDef { inner.configDef }
    var taskType: any SinkTask.Type { faultySinkTaskType(inner.taskType) }
    func initialize(context: any ConnectorContext) { inner.initialize(context: context) }
    func start(_ config: [String: String]) async throws { try await inner.start(config) }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { try await inner.taskConfigs(maxTasks: maxTasks) }
    func stop() async throws { try await inner.stop() }
    func validate(_ config: [String: String]) -> ConfigValidation { inner.validate(config) }
}

func faultySinkTaskType<T: SinkTask>(_ type: T.Type) -> any SinkTask.Type { FaultySinkTask<T>.self }
func faultySourceTaskType<T: SourceTask>(_ type: T.Type) -> any SourceTask.Type { FaultySourceTask<T>.self }

final class FaultySinkTask<Inner: SinkTask>: SinkTask {
    let inner = Inner()
    var faults: [Fault] = []
    var id: String?
    required init() {}
    var version: String { inner.version }
    func initialize(context: any SinkTaskContext) { inner.initialize(context: context) }
    func start(_ config: [String: String]) async throws {
        id = config[faultKey]
        faults = FaultBook.shared.get(id)
        try await inner.start(config)
    }
    func open(_ partitions: [TopicPartition]) async throws { try await inner.open(partitions) }
    func put(_ records: [SinkRecord]) async throws {
        let puts = FaultBook.shared.count(id, "put")
        let numbers = records.isEmpty ? nil : FaultBook.shared.count(id, "put-records", by: records.count)
        for f in faults {
            switch f {
            case .throwOnPut(let n, let error) where numbers?.contains(n) == true: throw error
            case .throwOnPutCall(let n, let error) where n == puts: throw error
            case .retriableOnPut(let n) where n == puts: throw RetriableError("injected retriable failure on put #\(n)")
            default: break
            }
        }
        try await inner.put(records)
    }
    func flush(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws { try await inner.flush(offsets) }
    func preCommit(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws -> [TopicPartition: OffsetAndMetadata] {
        let flushes = FaultBook.shared.count(id, "flush")
        for case .throwOnFlush(let n, let error) in faults where n == flushes { throw error }
        return try await inner.preCommit(offsets)
    }
    func close(_ partitions: [TopicPartition]) async throws { try await inner.close(partitions) }
    func stop() async throws { try await inner.stop() }
}

/// Wraps a source connector so its tasks fail as planned.
final class FaultySourceConnector<Inner: SourceConnector>: SourceConnector {
    let inner = Inner()
    required init() {}
    var version: String { inner.version }
    var configDef: ConfigDef { inner.configDef }
    var taskType: any SourceTask.Type { faultySourceTaskType(inner.taskType) }
    func initialize(context: any ConnectorContext) { inner.initialize(context: context) }
    func start(_ config: [String: String]) async throws {
        startedFaultID = config[faultKey]
        try await inner.start(config)
    }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] {
        // Task configurations must carry the fault key, which the inner connector may not copy.
        let id = startedFaultID
        return try await inner.taskConfigs(maxTasks: maxTasks).map { c in id.map { c.merging([faultKey: $0]) { a, _ in a } } ?? c }
    }
    func stop() async throws { try await inner.stop() }
    func validate(_ config: [String: String]) -> ConfigValidation { inner.validate(config) }
    var startedFaultID: String?
}

final class FaultySourceTask<Inner: SourceTask>: SourceTask {
    let inner = Inner()
    var faults: [Fault] = []
    var id: String?
    required init() {}
    var version: String { inner.version }
    func initialize(context: any SourceTaskContext) { inner.initialize(context: context) }
    func start(_ config: [String: String]) async throws {
        id = config[faultKey]
        faults = FaultBook.shared.get(id)
        try await inner.start(config)
    }
    func poll() async throws -> [SourceRecord] {
        let polls = FaultBook.shared.count(id, "poll")
        for case .throwOnPoll(let n, let error) in faults where n == polls { throw error }
        return try await inner.poll()
    }
    func commit() async throws { try await inner.commit() }
    func commitRecord(_ record: SourceRecord, metadata: RecordMetadata?) async throws { try await inner.commitRecord(record, metadata: metadata) }
    func stop() async throws { try await inner.stop() }
}

func faultyPlugin(_ plugin: ConnectorPlugin) -> ConnectorPlugin {
    switch plugin {
    case .source(let t): .source(faultySource(t))
    case .sink(let t): .sink(faultySink(t))
    }
}

private func faultySource<C: SourceConnector>(_ t: C.Type) -> any SourceConnector.Type { FaultySourceConnector<C>.self }
private func faultySink<C: SinkConnector>(_ t: C.Type) -> any SinkConnector.Type { FaultySinkConnector<C>.self }
