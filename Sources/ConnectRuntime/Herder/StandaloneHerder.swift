import ConnectKit
import Synchronization

/// The ``Herder`` of one worker (Kafka's `StandaloneHerder`): ``Worker/herder``.
public struct StandaloneHerder: Herder {
    let worker: Worker

    init(worker: Worker) { self.worker = worker }

    private func require(_ name: String) throws(HerderError) -> WorkerConnector {
        guard let c = worker.connector(name) else { throw .unknownConnector(name) }
        return c
    }

    /// How long a request waits for another control operation on the same connector (Kafka's REST
    /// requests time out after 90 s).
    static let requestTimeout = Duration.seconds(90)

    /// Runs a control transition on a connector, mapping the machine's refusals.
    private func control(
        _ c: WorkerConnector, _ transition: (inout ConnectorMachine) throws(ConnectorMachine.Refusal) -> [ConnectorMachine.Action]
    ) async throws(HerderError) {
        do { try await worker.control(c, until: .now + Self.requestTimeout, transition) } catch { throw refusal(error, c.name) }
    }

    private func refusal(_ r: ConnectorMachine.Refusal, _ name: String) -> HerderError {
        switch r {
        case .notRunning: .notRunning
        case .removed: .unknownConnector(name)
        case .timedOut: HerderError(.timeout, "Request timed out")
        }
    }

    /// Holds a connector's control lock (at most ``requestTimeout`` waiting for it) around `body`.
    private func locked<T>(_ c: WorkerConnector, _ body: () async throws(HerderError) -> T) async throws(HerderError) -> T {
        guard await c.control.lock(until: .now + Self.requestTimeout) else { throw HerderError(.timeout, "Request timed out") }
        defer { c.control.unlock() }
        return try await body()
    }

    public func connectors() async -> [String] { worker.connectorNames }

    public func connectorInfo(_ name: String) async throws(HerderError) -> ConnectorInfo {
        let c = try require(name)
        return ConnectorInfo(name: name, config: c.rawConfig, tasks: c.tasks.map { ConnectorTaskID(connector: name, task: $0.index) }, type: c.type)
    }

    public func connectorConfig(_ name: String) async throws(HerderError) -> [String: String] { try require(name).rawConfig }

    // MARK: Config store (written before a change applies; rolled back when it does not)

    private func storePut(_ entry: StoredConnector) async throws(HerderError) {
        guard let store = worker.configStore else { return }
        let result = await offThread("config-store") { Result { try store.put(entry) } }
        if case .failure(let e) = result { throw HerderError(.storageFailure, "Failed to write the configuration of connector \(entry.name)", cause: "\(e)") }
    }

    private func storeRemove(_ name: String) async throws(HerderError) {
        guard let store = worker.configStore else { return }
        let result = await offThread("config-store") { Result { try store.remove(name) } }
        if case .failure(let e) = result { throw HerderError(.storageFailure, "Failed to delete the configuration of connector \(name)", cause: "\(e)") }
    }

    private func storedEntry(_ name: String) async -> StoredConnector? {
        guard let store = worker.configStore else { return nil }
        return await offThread("config-store") { try? store.load().first { $0.name == name } }
    }

    /// Changes a connector's target state: stored first (for connectors the store keeps), then
    /// applied; the stored state is put back when the change is refused. Serialized with creating,
    /// replacing and deleting connectors, so a late write cannot bring a deleted connector back.
    private func changeTarget(
        _ name: String, to target: TargetState, notFound: HerderError? = nil,
        _ transition: (inout ConnectorMachine) throws(ConnectorMachine.Refusal) -> [ConnectorMachine.Action]
    ) async throws(HerderError) {
        guard await worker.connectorSetLock.lock(until: .now + Self.requestTimeout) else { throw HerderError(.timeout, "Request timed out") }
        defer { worker.connectorSetLock.unlock() }
        let c = try require(name)
        let before = c.target
        let persisted = c.stored && before != target
        if persisted { try await storePut(StoredConnector(name: name, config: c.rawConfig, target: target)) }
        do { try await control(c, transition) } catch {
            if persisted { try? await storePut(StoredConnector(name: name, config: c.rawConfig, target: before)) }
            throw error
        }
    }

    public func putConnectorConfig(_ name: String, _ config: [String: String], allowReplace: Bool, initialState: TargetState = .started) async throws(HerderError)
        -> (created: Bool, info: ConnectorInfo)
    {
        var config = config
        if let given = config["name"], given != name {
            throw HerderError(.badRequest, "Connector name configuration (\(given)) doesn't match connector name in the URL (\(name))")
        }
        config["name"] = name
        let raw = config
        let candidate: [String: String]
        do { candidate = try await worker.resolvedOffPool(raw) } catch {
            throw HerderError(
                .badRequest,
                "Connector configuration is invalid and contains the following \(error.problems.count) error(s):\n"
                    + error.problems.map(\.message).joined(separator: "\n"), problems: error.problems)
        }
        if let message = worker.connectorTypeProblem(raw, className: (candidate["connector.class"] ?? "").trimmingWhitespace()) {
            throw HerderError(.badRequest, message)
        }
        let problems = Self.unresolving(await offThread("validate-\(name)") { worker.validationProblems(candidate) }, raw: raw, resolved: candidate)
        if !problems.isEmpty {
            throw HerderError(
                .badRequest,
                "Connector configuration is invalid and contains the following \(problems.count) error(s):\n"
                    + problems.map(\.message).joined(separator: "\n")
                    + "\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`",
                problems: problems)
        }
        // Creating, replacing and deleting connectors are serialized: a name is taken at most once.
        guard await worker.connectorSetLock.lock(until: .now + Self.requestTimeout) else { throw HerderError(.timeout, "Request timed out") }
        defer { worker.connectorSetLock.unlock() }
        let existing = worker.connector(name)
        if existing != nil && !allowReplace { throw HerderError(.alreadyExists, "Connector \(name) already exists") }
        var target = initialState
        if let existing {
            // A replaced connector keeps its target state and (a sink) its consumer group's offsets.
            target = existing.target
        }
        // Stored before anything changes: an acknowledged connector survives a restart. When the
        // old instance cannot be removed, the store gets its entry back.
        let previous = existing.flatMap { $0.stored ? StoredConnector(name: name, config: $0.rawConfig, target: $0.target) : nil }
        try await storePut(StoredConnector(name: name, config: raw, target: target))
        if let existing {
            do { try await remove(existing, keepGroup: true) } catch {
                if let previous { try? await storePut(previous) } else { try? await storeRemove(name) }
                throw error
            }
        }
        guard let c = worker.register(candidate, raw: raw, target: target, start: false, stored: worker.configStore != nil) else { throw HerderError(.alreadyExists, "Connector \(name) already exists") }
        await worker.control(c) { $0.workerStarted(workerAccepts: worker.isAcceptingWork) }
        return (existing == nil, try await connectorInfo(name))
    }

    public func deleteConnector(_ name: String) async throws(HerderError) {
        guard await worker.connectorSetLock.lock(until: .now + Self.requestTimeout) else { throw HerderError(.timeout, "Request timed out") }
        defer { worker.connectorSetLock.unlock() }
        guard let c = worker.connector(name) else {
            // A stored connector that could not be restored at start is only in the store.
            if await storedEntry(name) != nil { return try await storeRemove(name) }
            throw .unknownConnector(name)
        }
        let previous = await storedEntry(name)
        try await storeRemove(name)
        do { try await remove(c, keepGroup: false) } catch {
            if let previous { try? await storePut(previous) }
            throw error
        }
    }

    /// Stops a connector for good and forgets it. Records that only it still had to receive go to
    /// the sink connectors that read their topics now, or are held until one does.
    private func remove(_ c: WorkerConnector, keepGroup: Bool) async throws(HerderError) {
        try await control(c) { m throws(ConnectorMachine.Refusal) in try m.remove() }
        if case .sink = c.plugin {
            worker.router.removeTarget(c.name)
            let (router, name) = (worker.router, c.name)
            let inputs = c.state.withLock { $0.inputs }
            for input in inputs { input.queue.retire { router.redeliver($0, connector: name) } }
            router.redeliver(inputs.flatMap { $0.takeUnacknowledged() }, connector: name)
            if !keepGroup { try? await worker.transport.deleteGroup(c.group) }
        }
        worker.connectors.withLock {
            $0.byName[c.name] = nil
            $0.order.removeAll { $0 == c.name }
        }
    }

    public func pauseConnector(_ name: String) async throws(HerderError) {
        try await changeTarget(name, to: .paused) { m throws(ConnectorMachine.Refusal) in
            try m.pause()
            return []
        }
    }

    public func resumeConnector(_ name: String) async throws(HerderError) {
        try await changeTarget(name, to: .started) { m throws(ConnectorMachine.Refusal) in try m.resume() }
    }

    public func stopConnector(_ name: String) async throws(HerderError) {
        try await changeTarget(name, to: .stopped) { m throws(ConnectorMachine.Refusal) in try m.stop() }
    }

    public func restartConnector(_ name: String, includeTasks: Bool = false, onlyFailed: Bool = false) async throws(HerderError) -> ConnectorStatus {
        let c = try require(name)
        let tasks = c.tasks
        let failed = Set(tasks.filter { $0.machine.trace != nil }.map(\.index))
        let plan: (connector: Bool, tasks: [Int], actions: [ConnectorMachine.Action])
        do {
            plan = try c.transition { m throws(ConnectorMachine.Refusal) in
                try m.restart(onlyFailed: onlyFailed, includeTasks: includeTasks, tasks: tasks.map(\.index), failedTasks: failed)
            }
        } catch { throw refusal(error, name) }
        var status = c.status(workerID: worker.workerID)
        for i in status.tasks.indices where plan.tasks.contains(status.tasks[i].id) { status.tasks[i].state = .restarting }
        if plan.connector { status.state = .restarting }
        let (worker, actions) = (worker, plan.actions)
        let work = Task {
            await c.control.withLock { await worker.perform(actions, on: c) }
        }
        // Kafka's legacy restart (neither flag) answers once the connector restarted.
        if !includeTasks && !onlyFailed { await work.value }
        return status
    }

    public func restartTask(_ name: String, _ task: Int) async throws(HerderError) {
        let c = try require(name)
        // Under the connector's control lock: a stop or reconfiguration cannot remove the task
        // between the check and the restart.
        let (t, before) = try await locked(c) { () throws(HerderError) -> (WorkerTask, Int) in
            let tasks = c.tasks
            guard task >= 0 && task < tasks.count else { throw .unknownTask(name, task) }
            guard worker.isAcceptingWork else { throw .notRunning }
            let t = tasks[task]
            let before = t.machine.runsStarted
            t.transition(worker) { $0.restart(accepting: worker.isAcceptingWork) }
            return (t, before)
        }
        if await !t.changed.wait(until: worker.taskStopDeadline + .seconds(30), for: { t.machine.runsStarted > before }) {
            throw HerderError(.timeout, "Task \(name)-\(task) did not start again within the task shutdown timeouts plus 30 s")
        }
    }

    public func connectorStatus(_ name: String) async throws(HerderError) -> ConnectorStatus {
        guard let c = worker.connector(name) else { throw HerderError(.notFound, "No status found for connector \(name)") }
        return c.status(workerID: worker.workerID)
    }

    /// Task configurations as Kafka's `AbstractHerder.reverseTransform` shows them: a value the
    /// connector took from a `${…}` reference is shown as the reference.
    public func taskConfigs(_ name: String) async throws(HerderError) -> [TaskInfo] {
        let c = try require(name)
        let configs = c.tasks.isEmpty ? [] : c.machine.taskConfigs
        let references = c.rawConfig.filter { $0.value.contains("${") && c.config[$0.key] != $0.value }
        return configs.enumerated().map { i, config in
            var shown = config
            for (key, reference) in references where shown[key] == c.config[key] { shown[key] = reference }
            return TaskInfo(id: ConnectorTaskID(connector: name, task: i), config: shown)
        }
    }

    /// Validation messages with each value that came from a `${…}` reference shown as the reference
    /// (`Invalid value <secret> for configuration k` must not echo what a provider resolved).
    static func unresolving(_ problems: [ConfigProblem], raw: [String: String], resolved: [String: String]) -> [ConfigProblem] {
        let references = raw.filter { $0.value.contains("${") && resolved[$0.key] != $0.value }
        guard !references.isEmpty else { return problems }
        return problems.map { p in
            var p = p
            for (key, reference) in references {
                guard let value = resolved[key] else { continue }
                p.message = p.message.replacingAll("Invalid value \(value) for configuration \(key)", with: "Invalid value \(reference) for configuration \(key)")
            }
            return p
        }
    }

    // MARK: Offsets

    public func connectorOffsets(_ name: String) async throws(HerderError) -> [ConnectorOffset] {
        let c = try require(name)
        if c.plugin.isSource {
            let store = worker.offsetStore
            let result = await offThread("offsets-\(name)") { Result { try store.offsets(connector: name) } }
            switch result {
            case .success(let offsets):
                return offsets.map { ConnectorOffset(partition: $0.key, offset: $0.value) }.sorted { "\($0.partition)" < "\($1.partition)" }
            case .failure(let e): throw HerderError(.connectorFailure, "Failed to read offsets for connector \(name)", cause: "\(e)")
            }
        }
        guard worker.config.mode == .topic else { return [] }
        let committed: [TopicPartition: Int64]
        do { committed = try await worker.transport.committedOffsets(group: c.group) } catch {
            throw HerderError(.connectorFailure, "Failed to read offsets for connector \(name)", cause: "\(error)")
        }
        return committed.sorted { $0.key < $1.key }.map {
            ConnectorOffset(partition: ["kafka_topic": .string($0.key.topic), "kafka_partition": .int32($0.key.partition)], offset: ["kafka_offset": .int64($0.value)])
        }
    }

    /// Checks the offsets as Kafka's worker does (source offsets hold only primitive values; sink
    /// partitions and offsets with Kafka's `SinkUtils` messages), then calls the connector's own
    /// `alterOffsets` on a fresh instance with the connector's configuration — it may refuse with
    /// an error — and only then writes the offsets.
    @discardableResult
    public func alterConnectorOffsets(_ name: String, _ offsets: [ConnectorOffset]) async throws(HerderError) -> String {
        guard !offsets.isEmpty else { throw HerderError(.badRequest, "Partitions / offsets need to be provided for an alter offsets request") }
        return try await modifyOffsets(name, offsets, verb: "altered")
    }

    @discardableResult
    public func resetConnectorOffsets(_ name: String) async throws(HerderError) -> String {
        try await modifyOffsets(name, nil, verb: "reset")
    }

    private func modifyOffsets(_ name: String, _ given: [ConnectorOffset]?, verb: String) async throws(HerderError) -> String {
        let c = try require(name)
        guard await c.control.lock(until: .now + Self.requestTimeout) else { throw HerderError(.timeout, "Request timed out") }
        defer { c.control.unlock() }
        guard c.target == .stopped && c.tasks.isEmpty else { throw .notStopped(name) }
        let store = worker.offsetStore
        let handled: Bool
        if c.plugin.isSource {
            var offsets: [[String: Value]: [String: Value]?] = [:]
            if let given {
                for o in given {
                    do {
                        try Self.validateOffsetFormat(o.partition)
                        if let offset = o.offset { try Self.validateOffsetFormat(offset) }
                    } catch { throw HerderError(.badRequest, error.message) }
                    // Kafka's Worker.normalizeSourceConnectorOffsets: through JsonConverter and back,
                    // so integers are Longs and decimals Doubles whatever JSON gave.
                    offsets[Self.normalized(o.partition)] = o.offset.map(Self.normalized)
                }
            } else {
                let current = await offThread("offsets-\(name)") { try? store.offsets(connector: name) } ?? [:]
                for p in current.keys { offsets[p] = .some(nil) }
            }
            handled = try await connectorAltersOffsets(c, source: offsets, sink: nil)
            let changes = offsets
            let written = await offThread("offsets-\(name)") { Result { try store.commit(connector: name, offsets: changes) } }
            if case .failure(let e) = written { throw HerderError(.connectorFailure, "Failed to write offsets for connector \(name)", cause: "\(e)") }
        } else {
            guard worker.config.mode == .topic else {
                throw HerderError(.badRequest, "Sink connector \(name) reads in direct mode: it has no consumer group offsets to modify")
            }
            var positions: [TopicPartition: Int64?]
            if let given {
                positions = try Self.sinkPositions(given)
            } else {
                positions = [:]
                let committed = (try? await worker.transport.committedOffsets(group: c.group)) ?? [:]
                for tp in committed.keys { positions[tp] = .some(nil) }
            }
            handled = try await connectorAltersOffsets(c, source: nil, sink: positions)
            do { try await worker.transport.alterCommittedOffsets(group: c.group, positions) } catch {
                throw HerderError(.connectorFailure, "Failed to write offsets for connector \(name)", cause: "\(error)")
            }
        }
        return handled ? "The offsets for this connector have been \(verb) successfully"
            : "The Connect framework-managed offsets for this connector have been \(verb) successfully. However, if this connector manages offsets externally, they will need to be manually \(verb) in the system that the connector uses."
    }

    /// Offsets as they read back after JsonConverter wrote them (schemaless): every integer an
    /// int64, every decimal a float64.
    static func normalized(_ map: [String: Value]) -> [String: Value] {
        map.mapValues { v in
            switch v {
            case .int8(let x): .int64(Int64(x))
            case .int16(let x): .int64(Int64(x))
            case .int32(let x): .int64(Int64(x))
            case .float32(let x): .float64(Double(x))
            default: v
            }
        }
    }

    /// Kafka's `OffsetUtils.validateFormat`: partitions and offsets hold only primitive values.
    static func validateOffsetFormat(_ map: [String: Value]) throws(DataError) {
        for (key, value) in map {
            switch value {
            case .array: throw DataError("Offsets may only contain primitive types as values, but field \(key) contains ARRAY")
            case .map: throw DataError("Offsets may only contain primitive types as values, but field \(key) contains MAP")
            case .struct: throw DataError("Offsets may only contain primitive types as values, but field \(key) contains STRUCT")
            default: continue
            }
        }
    }

    /// Kafka's `SinkUtils` parsing of sink offsets, with its messages.
    static func sinkPositions(_ offsets: [ConnectorOffset]) throws(HerderError) -> [TopicPartition: Int64?] {
        func integer(_ v: Value) -> Int64? {
            switch v {
            case .int8(let x): Int64(x)
            case .int16(let x): Int64(x)
            case .int32(let x): Int64(x)
            case .int64(let x): x
            case .string(let s): Int64(s)
            default: nil
            }
        }
        func bad(_ m: String) -> HerderError { HerderError(.badRequest, m) }
        var out: [TopicPartition: Int64?] = [:]
        for o in offsets {
            guard let topicValue = o.partition["kafka_topic"], let partitionValue = o.partition["kafka_partition"] else {
                throw bad("The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'")
            }
            guard case .string(let topic) = topicValue else { throw bad("Kafka topic names must be valid strings and may not be null") }
            if partitionValue.isNull { throw bad("Kafka partitions must be valid numbers and may not be null") }
            guard let p = integer(partitionValue), let p32 = Int32(exactly: p) else {
                throw bad("Failed to parse the following Kafka partition value in the provided offsets: '\(partitionValue)'. Partition values for sink connectors need to be integers.")
            }
            let tp = TopicPartition(topic: topic, partition: p32)
            guard let offset = o.offset else {
                out[tp] = .some(nil)
                continue
            }
            guard let offsetValue = offset["kafka_offset"] else {
                throw bad("The offset for a sink connector should either be null or contain the key 'kafka_offset'")
            }
            guard let value = integer(offsetValue) else {
                throw bad("Failed to parse the following Kafka offset value in the provided offsets: '\(offsetValue)'. Offset values for sink connectors need to be integers.")
            }
            out[tp] = value
        }
        return out
    }

    /// Calls the connector's `alterOffsets` on a fresh instance, on its own thread, with the
    /// connector's configuration (Kafka's worker does the same before writing offsets); at most
    /// 90 s. Returns whether the connector handled the change.
    private func connectorAltersOffsets(
        _ c: WorkerConnector, source: [[String: Value]: [String: Value]?]?, sink: [TopicPartition: Int64?]?
    ) async throws(HerderError) -> Bool {
        let executor = ThreadExecutor(name: "offsets-\(c.name)")
        defer { executor.shutdown() }
        let (plugin, config) = (c.plugin, c.config)
        let result = await runBounded(until: .now + .seconds(90), on: executor) { () -> Result<Bool, ErrorBox> in
            do {
                switch plugin {
                case .source(let type): return .success(try await type.init().alterOffsets(config, offsets: source ?? [:]))
                case .sink(let type): return .success(try await type.init().alterOffsets(config, offsets: sink ?? [:]))
                }
            } catch {
                return .failure(ErrorBox(error))
            }
        }
        guard let result else {
            throw HerderError(.timeout, "Timed out while calling the 'alterOffsets' method for \(plugin.isSource ? "source" : "sink") connector \(c.name)")
        }
        switch result {
        case .success(let handled): return handled
        case .failure(let box): throw HerderError(.connectorFailure, javaException(of: box.error).message)
        }
    }

    // MARK: Topics

    public func connectorActiveTopics(_ name: String) async -> [String] { worker.connector(name)?.activeTopics.sorted ?? [] }

    public func resetConnectorActiveTopics(_ name: String) async { worker.connector(name)?.activeTopics.reset() }

    // MARK: Validation

    public func validateConnectorConfig(_ config: [String: String]) async -> ConfigInfos {
        let worker = worker
        return await offThread("validate") { worker.configInfos(config) }
    }
}

/// Runs blocking work on a thread of its own (not the caller's, not the cooperative pool).
func offThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () -> T) async -> T {
    let executor = ThreadExecutor(name: name)
    defer { executor.shutdown() }
    return await Task(executorPreference: executor) { body() }.value
}

extension Worker {
    /// Kafka's `ConfigInfos` for a configuration: the common connector keys and the connector's
    /// own, each with its value and errors, and every other problem (transformations, converters).
    func configInfos(_ config: [String: String]) -> ConfigInfos {
        let className = config["connector.class"] ?? ""
        let entry = registry.connector(className)
        let isSink = entry.map { !$0.plugin.isSource } ?? false
        let common = entry == nil ? ConnectorConfigKeys.common : isSink ? ConnectorConfigKeys.sink : ConnectorConfigKeys.source
        let own = entry?.plugin.instantiate().configDef
        var problems: [String: [String]] = [:]
        for p in validationProblems(config) { problems[p.key, default: []].append(p.message) }
        var configs: [(definition: ConfigDef.Key?, value: ConfigValueInfo)] = []
        var groups: [String] = []
        var seen: Set<String> = []
        for def in [common, own].compactMap({ $0 }) {
            for v in def.validate(config).values {
                guard seen.insert(v.name).inserted else { continue }
                let key = def.keys.first { $0.name == v.name }
                if let g = key?.group, !groups.contains(g) { groups.append(g) }
                var value = v
                value.errors = problems.removeValue(forKey: v.name) ?? []
                configs.append((key, value))
            }
        }
        for (name, errors) in problems.sorted(by: { $0.key < $1.key }) {
            configs.append((nil, ConfigValueInfo(name: name, value: config[name].map { .string($0) }, errors: errors)))
        }
        return ConfigInfos(name: entry?.javaClassName ?? className, errorCount: configs.filter { !$0.value.errors.isEmpty }.count, groups: groups, configs: configs)
    }
}
