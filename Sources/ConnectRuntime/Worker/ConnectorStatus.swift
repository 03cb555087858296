public import ConnectKit
import Synchronization

/// The state of a connector or task, with Kafka Connect's names.
public enum ConnectorState: String, Sendable, Hashable {
    /// Not running: not started yet, or stopped by the worker's shutdown.
    case unassigned = "UNASSIGNED"
    /// Running.
    case running = "RUNNING"
    /// Paused: it keeps its tasks, records do not move.
    case paused = "PAUSED"
    /// Stopped: no instance, no tasks (offsets may be changed).
    case stopped = "STOPPED"
    /// Failed; the status carries the trace.
    case failed = "FAILED"
    /// A restart was requested and has not finished.
    case restarting = "RESTARTING"
}

/// The status of one task, as Kafka Connect's REST API reports it.
public struct TaskStatus: Sendable, Hashable {
    /// The task's number.
    public var id: Int
    /// Its state.
    public var state: ConnectorState
    /// The worker that runs it.
    public var workerID: String
    /// The failure, for a FAILED task.
    public var trace: String?
    /// The connector plugin's version (Kafka 4's KIP-891 `version`); nil leaves it out.
    public var version: String?
    /// What the task is waiting on while it runs — a file that does not exist yet, a topic no sink
    /// connector reads — each said once in the log too. ConnectKit's addition: Kafka's status has
    /// no such field (and ``ConnectorStatus/json`` leaves it out).
    public var waiting: [String] = []
    /// Waiting reasons by what they are about (one per file, topic, …).
    var waitingByKey: [String: String] = [:] {
        didSet { waiting = waitingByKey.keys.sorted().map { waitingByKey[$0]! } }
    }

    /// A task's status.
    public init(id: Int, state: ConnectorState, workerID: String, trace: String? = nil, waiting: [String] = []) {
        self.id = id
        self.state = state
        self.workerID = workerID
        self.trace = trace
        self.waiting = waiting
    }
}

extension TaskStatus {
    /// The task-state object of Kafka Connect's REST API (`GET /connectors/{c}/tasks/{t}/status`).
    public var json: JSONValue { ConnectorStatus.stateObject(state, workerID, version, trace, id: id) }
}

/// The status of a connector and its tasks (`GET /connectors/{name}/status`).
public struct ConnectorStatus: Sendable, Hashable {
    /// The connector's name.
    public var name: String
    /// The connector's state.
    public var state: ConnectorState
    /// The worker that runs it.
    public var workerID: String
    /// The failure, for a FAILED connector.
    public var trace: String?
    /// The connector plugin's version (Kafka 4's KIP-891 `version`); nil leaves it out.
    public var version: String?
    /// `source` or `sink`.
    public var type: String
    /// Its tasks' statuses, by number.
    public var tasks: [TaskStatus]

    /// The JSON body Kafka Connect's REST API returns for this status (Kafka 4's shape: `version`
    /// after `worker_id` when known, `trace` only when non-empty; tasks by id).
    public var json: JSONValue {
        .object([
            ("name", .string(name)),
            ("connector", Self.stateObject(state, workerID, version, trace)),
            ("tasks", .array(tasks.sorted { $0.id < $1.id }.map(\.json))),
            ("type", .string(type)),
        ])
    }

    static func stateObject(_ state: ConnectorState, _ workerID: String, _ version: String?, _ trace: String?, id: Int? = nil) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        if let id { members.append(("id", .number(String(id)))) }
        members.append(("state", .string(state.rawValue)))
        members.append(("worker_id", .string(workerID)))
        if let version { members.append(("version", .string(version))) }
        if let trace, !trace.isEmpty { members.append(("trace", .string(trace))) }
        return .object(members)
    }
}

/// The failure trace of a FAILED connector or task, as Kafka's status shows a Java stack trace: the
/// first line is the Java exception a Kafka worker would report (`class: message`), then — where
/// Kafka would list frames — what ConnectKit knows (the stage and record, the error in full), and
/// `Caused by:` for a record's error under "Tolerance exceeded". Never includes configuration values.
func failureTrace(_ error: any Error) -> String {
    let (javaClass, message) = javaException(of: error)
    var lines = ["\(javaClass): \(message)"]
    if let t = error as? ToleranceExceededError {
        lines.append("\texecuting stage '\(t.stage.rawValue)' with class '\(t.className)' on \(t.record)")
        lines.append("Caused by: \(t.cause.className): \(t.cause.message)")
        if t.underlying != t.cause.message { lines.append("\t\(t.underlying)") }
    } else if "\(error)" != message {
        lines.append("\t\(error)")
    }
    return lines.joined(separator: "\n")
}

/// The `__connect.errors.exception.stacktrace` of a dead-letter record: the Java exception as Kafka
/// would name it, without ConnectKit's context.
func javaStackTrace(_ error: any Error) -> String {
    let (javaClass, message) = javaException(of: error)
    // A converter's cause (the registry's answer, the bytes that did not decode), on the same line
    // (readers of dead-letter headers take one line per header).
    if let d = error as? DataError, let cause = d.cause, !message.contains(cause) {
        return "\(javaClass): \(message)\(message.hasSuffix(" ") ? "" : " ")Caused by: \(cause)"
    }
    return "\(javaClass): \(message)"
}
