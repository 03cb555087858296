import ConnectKit
import Synchronization

/// One connector in a worker: its instance (on its own thread), its task runners, and — for a
/// sink in direct mode — the queues and inputs that outlive task restarts so that nothing taken
/// and not yet flushed is lost.
final class ConnectorRunner: Sendable {
    let name: String
    let config: [String: String]
    let plugin: ConnectorPlugin
    /// Serializes start, stop and restart.
    let lock = AsyncLock()

    struct State {
        var instance: UncheckedBox<any Connector>?
        var executor: ThreadExecutor?
        var context: RuntimeConnectorContext?
        var taskConfigs: [[String: String]] = []
        var tasks: [TaskRunner] = []
        /// Target state STOPPED (by `stopConnector`).
        var stopped = false
        /// Direct-mode sink inputs, one per task.
        var inputs: [DirectSinkInput] = []
    }
    let state = Mutex(State())

    /// `tasks.max` (validated when the connector was created; 1 when absent).
    var tasksMax: Int { Int(config["tasks.max"] ?? "1") ?? 1 }

    init(name: String, config: [String: String], plugin: ConnectorPlugin) {
        self.name = name
        self.config = config
        self.plugin = plugin
    }

    var tasks: [TaskRunner] { state.withLock { $0.tasks } }
    var isStopped: Bool { state.withLock { $0.stopped } }
    var queues: [DeliveryQueue] { state.withLock { $0.inputs.map(\.queue) } }
    var topics: Set<String> {
        Set((config["topics"] ?? "").split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty })
    }
    var group: String { "connect-\(name)" }
}
