import ConnectKit
import Synchronization

/// One connector in a worker: its ``ConnectorMachine``, the instances it started (each on its own
/// thread), its tasks and — for a sink in direct mode — the inputs that outlive task restarts so
/// that nothing taken and not yet flushed is lost.
///
/// Control operations on one connector are serialized (``control``); the actions a transition
/// returns run in order under it. Status reads take only the state lock.
final class WorkerConnector: Sendable {
    let name: String
    let config: [String: String]
    let plugin: ConnectorPlugin
    /// Serializes control operations (and the actions they lead to) on this connector.
    let control = AsyncLock()

    struct Instance {
        let connector: UncheckedBox<any Connector>
        let executor: ThreadExecutor
    }

    struct State {
        var machine: ConnectorMachine
        var instances: [Int: Instance] = [:]
        var tasks: [WorkerTask] = []
        /// Direct-mode sink inputs, one per task, kept across task restarts.
        var inputs: [DirectSinkInput] = []
    }

    let state: Mutex<State>
    /// Signalled when the target state changes (paused loops wait on it).
    let targetChanged = AsyncSignal()

    init(name: String, config: [String: String], plugin: ConnectorPlugin, target: TargetState = .started) {
        self.name = name
        self.config = config
        self.plugin = plugin
        state = Mutex(State(machine: ConnectorMachine(target: target)))
    }

    /// `tasks.max` (validated when the connector was created; 1 when absent).
    var tasksMax: Int { Int(config["tasks.max"] ?? "1") ?? 1 }
    var tasks: [WorkerTask] { state.withLock { $0.tasks } }
    var target: TargetState { state.withLock { $0.machine.target } }
    var isPaused: Bool { target == .paused }
    var machine: ConnectorMachine { state.withLock { $0.machine } }
    var queues: [DeliveryQueue] { state.withLock { $0.inputs.map(\.queue) } }
    var topics: Set<String> {
        Set((config["topics"] ?? "").split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty })
    }
    var subscription: Subscription {
        if let pattern = config["topics.regex"], !pattern.trimmingWhitespace().isEmpty { return .pattern(pattern) }
        return .topics(topics)
    }
    /// The consumer group of a sink connector (Kafka's `connect-<name>`).
    var group: String { "connect-\(name)" }
    var type: String { plugin.isSource ? "source" : "sink" }

    /// Applies a transition under the state lock; returns its actions (to perform under ``control``).
    func transition<T>(_ body: (inout ConnectorMachine) throws(ConnectorMachine.Refusal) -> T) throws(ConnectorMachine.Refusal) -> T {
        let result = try state.withLock { s throws(ConnectorMachine.Refusal) in try body(&s.machine) }
        targetChanged.signal()
        return result
    }

    /// The status as Kafka's REST API reports it.
    func status(workerID: String) -> ConnectorStatus {
        let (machine, tasks) = state.withLock { ($0.machine, $0.tasks) }
        let taskStatuses = tasks.map { t -> TaskStatus in
            let m = t.machine
            var s = TaskStatus(id: t.index, state: m.state(target: machine.target), workerID: workerID, trace: m.trace)
            s.waitingByKey = m.waiting
            return s
        }
        return ConnectorStatus(name: name, state: machine.state, workerID: workerID, trace: machine.trace, type: type, tasks: taskStatuses)
    }
}
