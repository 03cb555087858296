public import ConnectKit

/// The control API of a worker — Kafka Connect's `Herder`, what its REST API translates HTTP to:
/// list, create or replace, pause, resume, stop, restart (with Kafka's restart plans), delete,
/// status, task configurations, offsets and validation.
///
/// Every call is `async`; blocking work (offset stores, a connector's `validate`/`alterOffsets`)
/// runs on threads of its own, never on the caller's. Control operations on one connector run one
/// at a time (a call waits at most 90 s for the one before it, then fails with Kafka's "Request
/// timed out"); creating, replacing and deleting connectors are serialized with each other.
/// Failures are ``HerderError``s whose ``HerderError/kind`` says what happened (and which HTTP
/// status Kafka's REST API answers with) and whose message is Kafka's.
public protocol Herder: Sendable {
    /// The connectors' names, in the order they were created.
    func connectors() async -> [String]
    /// A connector's name, configuration, tasks and type (`GET /connectors/{c}`).
    func connectorInfo(_ name: String) async throws(HerderError) -> ConnectorInfo
    /// A connector's configuration (`GET /connectors/{c}/config`).
    func connectorConfig(_ name: String) async throws(HerderError) -> [String: String]
    /// Creates a connector or, with `allowReplace`, replaces its configuration (`POST /connectors`,
    /// `PUT /connectors/{c}/config`); a replaced connector keeps its target state. `initialState`
    /// is the target state of a new connector (Kafka 3.7's `initial_state`).
    func putConnectorConfig(_ name: String, _ config: [String: String], allowReplace: Bool, initialState: TargetState) async throws(HerderError)
        -> (created: Bool, info: ConnectorInfo)
    /// Stops a connector and forgets it (`DELETE /connectors/{c}`).
    func deleteConnector(_ name: String) async throws(HerderError)
    /// Pauses a connector: tasks stay, records stop moving (`PUT /connectors/{c}/pause`).
    func pauseConnector(_ name: String) async throws(HerderError)
    /// Resumes a paused or stopped connector (`PUT /connectors/{c}/resume`).
    func resumeConnector(_ name: String) async throws(HerderError)
    /// Stops a connector: tasks end and are removed (`PUT /connectors/{c}/stop`). Returns once
    /// they ended.
    func stopConnector(_ name: String) async throws(HerderError)
    /// Restarts by Kafka's plan (`POST /connectors/{c}/restart?includeTasks=&onlyFailed=`) and
    /// returns the status with what restarts marked RESTARTING: at once when either flag is set,
    /// after the connector restarted when neither is (Kafka's legacy restart).
    func restartConnector(_ name: String, includeTasks: Bool, onlyFailed: Bool) async throws(HerderError) -> ConnectorStatus
    /// Restarts one task and returns once its new instance started (or failed to)
    /// (`POST /connectors/{c}/tasks/{t}/restart`).
    func restartTask(_ name: String, _ task: Int) async throws(HerderError)
    /// A connector's status (`GET /connectors/{c}/status`).
    func connectorStatus(_ name: String) async throws(HerderError) -> ConnectorStatus
    /// A task's configuration, one per task (`GET /connectors/{c}/tasks`).
    func taskConfigs(_ name: String) async throws(HerderError) -> [TaskInfo]
    /// A connector's committed offsets (`GET /connectors/{c}/offsets`).
    func connectorOffsets(_ name: String) async throws(HerderError) -> [ConnectorOffset]
    /// Alters a stopped connector's offsets (`PATCH /connectors/{c}/offsets`); a nil offset resets
    /// that partition. Returns Kafka's success message.
    @discardableResult
    func alterConnectorOffsets(_ name: String, _ offsets: [ConnectorOffset]) async throws(HerderError) -> String
    /// Resets a stopped connector's offsets (`DELETE /connectors/{c}/offsets`).
    @discardableResult
    func resetConnectorOffsets(_ name: String) async throws(HerderError) -> String
    /// The topics a connector's tasks produced to or consumed from since it was created or they were
    /// reset, sorted (`GET /connectors/{c}/topics`); empty for an unknown connector, as Kafka's.
    func connectorActiveTopics(_ name: String) async -> [String]
    /// Forgets a connector's active topics (`PUT /connectors/{c}/topics/reset`); nothing for an
    /// unknown connector, as Kafka's.
    func resetConnectorActiveTopics(_ name: String) async
    /// Validates a configuration without creating anything
    /// (`PUT /connector-plugins/{type}/config/validate`).
    func validateConnectorConfig(_ config: [String: String]) async -> ConfigInfos
}

/// Why a herder request was refused or failed.
public struct HerderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure, with the HTTP status Kafka's REST API gives it.
    public enum Kind: String, Sendable, Hashable {
        /// No such connector or task (404).
        case notFound
        /// A connector of that name exists (409).
        case alreadyExists
        /// The request is wrong: an invalid configuration, offsets in the wrong form, a connector
        /// not STOPPED for an offsets change (400).
        case badRequest
        /// The worker does not run (yet, or any more): nothing can be started (409).
        case notRunning
        /// The operation did not finish in time (500); trying again may help.
        case timeout
        /// The connector's own code failed (its `alterOffsets`, …) (500).
        case connectorFailure
        /// The worker's config store or offset store could not be read or written (500); nothing
        /// changed.
        case storageFailure
    }

    /// What kind of failure.
    public var kind: Kind
    /// Kafka's message.
    public var message: String
    /// What caused it (the connector's error, the offset store's), when something did.
    public var cause: String?
    /// Every configuration problem, for an invalid configuration.
    public var problems: [ConfigProblem]

    /// A failure of `kind` with Kafka's `message`, what caused it and, for an invalid configuration, every problem.
    public init(_ kind: Kind, _ message: String, cause: String? = nil, problems: [ConfigProblem] = []) {
        self.kind = kind
        self.message = message
        self.cause = cause
        self.problems = problems
    }

    /// Whether the same request may succeed later.
    public var isRetriable: Bool { kind == .timeout || kind == .notRunning }

    /// The HTTP status Kafka Connect's REST API answers this failure with.
    public var httpStatus: Int {
        switch kind {
        case .notFound: 404
        case .alreadyExists, .notRunning: 409
        case .badRequest: 400
        case .timeout, .connectorFailure, .storageFailure: 500
        }
    }

    public var description: String { cause.map { "\(message): \($0)" } ?? message }

    static func unknownConnector(_ name: String) -> HerderError { HerderError(.notFound, "Connector \(name) not found") }
    static func unknownTask(_ name: String, _ task: Int) -> HerderError { HerderError(.notFound, "Unknown task: \(name)-\(task)") }
    static let notRunning = HerderError(.notRunning, "The worker is not running")
    static func notStopped(_ name: String) -> HerderError {
        HerderError(.badRequest,
                    "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/\(name)/stop' endpoint")
    }
}

/// A connector's name, configuration, tasks and type (Kafka's `ConnectorInfo`).
public struct ConnectorInfo: Sendable, Hashable {
    /// The connector's name.
    public var name: String
    /// Its configuration, `name` included.
    public var config: [String: String]
    /// Its tasks (empty when stopped).
    public var tasks: [ConnectorTaskID]
    /// `source` or `sink`.
    public var type: String
}

/// A task by connector and number (Kafka's `ConnectorTaskId`).
public struct ConnectorTaskID: Sendable, Hashable {
    /// The connector's name.
    public var connector: String
    /// The task's number, from 0.
    public var task: Int
}

/// One task's configuration (Kafka's `TaskInfo`).
public struct TaskInfo: Sendable, Hashable {
    /// Which task.
    public var id: ConnectorTaskID
    /// The configuration its connector gave it (`Connector.taskConfigs`).
    public var config: [String: String]
}

/// One partition's offset (Kafka's `ConnectorOffset`): for a source connector its source partition
/// and offset; for a sink connector `{"kafka_topic","kafka_partition"}` → `{"kafka_offset"}`. A
/// nil offset in an alteration resets the partition.
public struct ConnectorOffset: Sendable, Hashable {
    /// The source partition, or `{"kafka_topic","kafka_partition"}` for a sink connector.
    public var partition: [String: Value]
    /// The offset; nil resets the partition.
    public var offset: [String: Value]?

    /// An offset of one partition.
    public init(partition: [String: Value], offset: [String: Value]?) {
        self.partition = partition
        self.offset = offset
    }
}

/// The result of validating a connector configuration (Kafka's `ConfigInfos`): every key the
/// connector, its transformations and the worker define, each with its value and errors.
public struct ConfigInfos: Sendable {
    /// The connector class.
    public var name: String
    /// How many keys have errors.
    public var errorCount: Int
    /// The configuration groups, in order.
    public var groups: [String]
    /// Definition (nil for a key only the configuration has) and value of every key.
    public var configs: [(definition: ConfigDef.Key?, value: ConfigValueInfo)]
}

extension Herder {
    /// ``alterConnectorOffsets(_:_:)-(_,[ConnectorOffset])`` with the offsets as a dictionary from
    /// partition to offset (nil resets the partition).
    @discardableResult
    public func alterConnectorOffsets(_ name: String, _ offsets: [[String: Value]: [String: Value]?]) async throws(HerderError) -> String {
        guard !offsets.isEmpty else { throw HerderError(.badRequest, "Partitions / offsets need to be provided for an alter offsets request") }
        return try await alterConnectorOffsets(name, offsets.map { ConnectorOffset(partition: $0.key, offset: $0.value) })
    }
}

extension Array where Element == ConnectorOffset {
    /// The offsets by partition (partitions without an offset left out).
    public var byPartition: [[String: Value]: [String: Value]] {
        var out: [[String: Value]: [String: Value]] = [:]
        for o in self { if let offset = o.offset { out[o.partition] = offset } }
        return out
    }
}
