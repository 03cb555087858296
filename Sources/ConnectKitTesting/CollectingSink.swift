public import ConnectKit
import ConnectRuntime
import Synchronization

/// A sink connector that keeps what it is given, for assertions: the records `put` to its tasks and
/// the records they flushed (what the runtime acknowledged to the sources), in order.
///
/// ``PipelineHarness`` registers it as `CollectingSink` and reads it back with
/// ``PipelineHarness/received(_:)`` and ``PipelineHarness/flushed(_:)``. Outside a harness, its
/// records are kept under the connector's `name` (or `collector.id` when set): read them with
/// ``CollectingSink/received(_:)`` and ``CollectingSink/flushed(_:)``.
public final class CollectingSink: SinkConnector {
    struct Store {
        var received: [String: [SinkRecord]] = [:]
        var flushed: [String: [SinkRecord]] = [:]
    }

    static let store = Mutex(Store())
    private var config: [String: String] = [:]

    public required init() {}
    public var version: String { ConnectKitVersion.current }
    public var taskType: any SinkTask.Type { CollectingSinkTask.self }
    public var configDef: ConfigDef {
        ConfigDef().define("collector.id", .string, default: .null, importance: .low,
                           documentation: "Where the records are kept (default: the connector's name).")
    }

    public func start(_ config: [String: String]) async throws { self.config = config }
    public func taskConfigs(maxTasks: Int) async throws -> [[String: String]] {
        (0..<maxTasks).map { _ in config }
    }
    public func stop() async throws {}

    /// Every record given to `put` under `id`, in order, over every task and restart.
    public static func received(_ id: String) -> [SinkRecord] { store.withLock { $0.received[id] ?? [] } }

    /// Every record flushed under `id`: what the runtime could acknowledge.
    public static func flushed(_ id: String) -> [SinkRecord] { store.withLock { $0.flushed[id] ?? [] } }

    /// Forgets what was kept under `id`.
    public static func reset(_ id: String) {
        store.withLock { s in
            s.received[id] = nil
            s.flushed[id] = nil
        }
    }
}

/// The task of ``CollectingSink``: buffers on `put`, moves the buffer to the flushed records on `flush`.
public final class CollectingSinkTask: SinkTask {
    private var id = ""
    private var buffer: [SinkRecord] = []

    public required init() {}
    public var version: String { ConnectKitVersion.current }

    public func start(_ config: [String: String]) async throws {
        id = config["collector.id"] ?? config["name"] ?? ""
    }

    public func put(_ records: [SinkRecord]) async throws {
        buffer += records
        CollectingSink.store.withLock { $0.received[id, default: []] += records }
    }

    public func flush(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws {
        let taken = buffer
        buffer = []
        CollectingSink.store.withLock { $0.flushed[id, default: []] += taken }
    }

    public func stop() async throws {}
}
