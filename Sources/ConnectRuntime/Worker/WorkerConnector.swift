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
    /// The configuration the connector runs with (config provider references resolved).
    let config: [String: String]
    /// The configuration as it was given (`${file:…}` references unresolved): what the control API
    /// shows and the config store keeps.
    let rawConfig: [String: String]
    let plugin: ConnectorPlugin
    /// Whether the worker's config store keeps it (created over the control API, or restored from
    /// the store); connectors from code and connector files are not stored.
    let stored: Bool
    /// The plugin's version (statuses show it, as Kafka 4's do).
    let version: String
    /// Topics its tasks produced to or consumed from since it was created or its topics were reset
    /// (Kafka's topic tracking, `GET /connectors/{c}/topics`).
    let activeTopics = ActiveTopics()
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

    init(name: String, config: [String: String], rawConfig: [String: String]? = nil, plugin: ConnectorPlugin, target: TargetState = .started, stored: Bool = false) {
        self.name = name
        self.stored = stored
        self.config = config
        self.rawConfig = rawConfig ?? config
        self.plugin = plugin
        version = PluginRegistry.version(of: plugin)
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
            s.version = version
            s.waitingByKey = m.waiting
            return s
        }
        var status = ConnectorStatus(name: name, state: machine.state, workerID: workerID, trace: machine.trace, type: type, tasks: taskStatuses)
        status.version = version
        return status
    }
}

/// The topics a connector's tasks used (Kafka's topic tracking: `topic.tracking.enable`).
final class ActiveTopics: Sendable {
    private let topics = Mutex<Set<String>>([])

    /// Records the distinct topics of one batch (one lock per batch).
    func note<C: Collection>(_ batch: C, topic: (C.Element) -> String) {
        guard let first = batch.first else { return }
        var last = topic(first)
        var distinct: Set<String> = [last]
        for r in batch.dropFirst() {
            let t = topic(r)
            if t != last {
                distinct.insert(t)
                last = t
            }
        }
        topics.withLock { $0.formUnion(distinct) }
    }

    /// The topics, sorted.
    var sorted: [String] { topics.withLock { $0.sorted() } }

    /// Forgets them (`PUT /connectors/{c}/topics/reset`).
    func reset() { topics.withLock { $0.removeAll() } }
}
