public import ConnectKit
import Logging

/// Why a control request on a worker was refused (messages as Kafka Connect's REST API gives them).
public enum WorkerError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownConnector(String)
    case unknownTask(String, Int)
    case notStopped(String)
    /// The request is malformed (Kafka answers 400 Bad Request with this message).
    case badRequest(String)
    /// The worker is not running (not started yet, or stopped): nothing can be started.
    case notRunning

    public var description: String {
        switch self {
        case .unknownConnector(let c): "Unknown connector \(c)"
        case .unknownTask(let c, let t): "Unknown task: \(c)-\(t)"
        case .notStopped(let c):
            "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/\(c)/stop' endpoint"
        case .badRequest(let m): m
        case .notRunning: "The worker is not running"
        }
    }
}

extension Worker {
    struct SourceTaskPlan: Sendable {
        let connector: String
        let index: Int
        let type: any SourceTask.Type
        let config: [String: String]
        /// The connector's configuration (transforms, converters, errors.* keys).
        let connectorConfig: [String: String]
    }

    struct SinkTaskPlan: Sendable {
        let connector: String
        let index: Int
        let type: any SinkTask.Type
        /// The task's Java class name, as Kafka reports the class of a TASK_PUT failure.
        let taskClassName: String
        let config: [String: String]
        let connectorConfig: [String: String]
        /// Direct mode: the input the router fills (kept across restarts).
        let direct: DirectSinkInput?
        /// Topic mode: the consumer of the connector's group.
        let consumer: (any TransportConsumer)?

        var queue: DeliveryQueue? { direct?.queue }
    }

    /// Wakes every sink so that it notices a flush request.
    func wakeSinks() {
        router.wakeSinks()
        broker.wakeConsumers()
    }

    // MARK: Connector life cycle (call under the connector's lock)

    /// Starts the connector instance on its own thread, asks it for task configurations and starts
    /// the tasks. A failure marks the connector FAILED with its trace.
    func startConnectorLocked(_ runner: ConnectorRunner) async {
        guard isAcceptingWork else { return }
        await prepareConnectorLocked(runner)
        for t in runner.tasks { t.start(self) }
    }

    /// Starts the connector instance and creates its task runners — and, for a sink, its queues or
    /// consumer group, so that no record is routed before the sink is known — without starting them.
    func prepareConnectorLocked(_ runner: ConnectorRunner) async {
        runner.state.withLock { $0.stopped = false }
        guard let (instance, taskConfigs) = await launchInstanceLocked(runner) else { return }
        createTasks(runner, instance: instance, configs: taskConfigs)
        board.connector(runner.name, runningState(runner.name))
        logger.with("connector", runner.name).info("started connector with \(taskConfigs.count) task(s)")
    }

    /// Starts a new connector instance on its own executor, asks it for task configurations and
    /// keeps it in the runner's state. A failure marks the connector FAILED with its trace and
    /// returns nil.
    private func launchInstanceLocked(_ runner: ConnectorRunner) async -> (any Connector, [[String: String]])? {
        let log = logger.with("connector", runner.name)
        let executor = ThreadExecutor(name: "connector-\(runner.name)")
        let context = connectorContext(runner, logger: log)
        let (plugin, config, tasksMax) = (runner.plugin, runner.config, runner.tasksMax)
        do {
            let box = try await Task(executorPreference: executor) { () -> UncheckedBox<(any Connector, [[String: String]])> in
                let instance = plugin.instantiate()
                instance.initialize(context: context)
                try await instance.start(config)
                let configs = try await instance.taskConfigs(maxTasks: tasksMax)
                return UncheckedBox((instance, configs))
            }.value
            runner.state.withLock {
                $0.instance = UncheckedBox(box.value.0)
                $0.executor = executor
                $0.context = context
            }
            return box.value
        } catch {
            log.error("connector failed to start: \(error)")
            board.connector(runner.name, .failed, trace: failureTrace(error))
            executor.shutdown()
            return nil
        }
    }

    /// Creates task runners for the task configurations.
    private func createTasks(_ runner: ConnectorRunner, instance: any Connector, configs: [[String: String]]) {
        let name = runner.name
        var tasks: [TaskRunner] = []
        switch runner.plugin {
        case .source:
            let taskType = (instance as! any SourceConnector).taskType
            for (i, tc) in configs.enumerated() {
                tasks.append(TaskRunner(connector: name, index: i, kind: .source(
                    SourceTaskPlan(connector: name, index: i, type: taskType, config: tc, connectorConfig: runner.config))))
            }
        case .sink:
            let taskType = (instance as! any SinkConnector).taskType
            let taskClassName = javaTaskClassName(runner, taskType: taskType)
            var inputs: [DirectSinkInput] = []
            if config.mode == .topic {
                broker.declareGroup(runner.group, topics: runner.topics, pattern: runner.config["topics.regex"])
            } else {
                inputs = directInputs(runner, count: configs.count)
            }
            for (i, tc) in configs.enumerated() {
                let consumer = config.mode == .topic ? broker.consumer(group: runner.group, member: i, members: configs.count) : nil
                tasks.append(TaskRunner(connector: name, index: i, kind: .sink(SinkTaskPlan(
                    connector: name, index: i, type: taskType, taskClassName: taskClassName, config: tc.merging(runner.config) { a, _ in a }, connectorConfig: runner.config,
                    direct: inputs.isEmpty ? nil : inputs[i], consumer: consumer))))
            }
        }
        runner.state.withLock {
            $0.taskConfigs = configs
            $0.tasks = tasks
        }
        for i in configs.indices { board.task(name, i, .unassigned) }
    }

    /// The Java class name Kafka would report for a connector's task: for a connector registered
    /// under a Java class name ending in `Connector` (Kafka's convention), the same name ending in
    /// `Task` (`org.apache.kafka.connect.file.FileStreamSinkConnector` →
    /// `org.apache.kafka.connect.file.FileStreamSinkTask`); else the Swift type's name.
    func javaTaskClassName(_ runner: ConnectorRunner, taskType: Any.Type) -> String {
        let java = registry.connector(runner.config["connector.class"] ?? "")?.javaClassName ?? ""
        if java.contains("."), java.hasSuffix("Connector") { return String(java.dropLast("Connector".count)) + "Task" }
        return String(reflecting: taskType)
    }

    /// Direct mode: the sink's inputs, kept across restarts. When the number of tasks changes,
    /// everything not yet acknowledged moves to the new inputs by partition.
    private func directInputs(_ runner: ConnectorRunner, count: Int) -> [DirectSinkInput] {
        let existing = runner.state.withLock { $0.inputs }
        if existing.count == count { return existing }
        let inputs = (0..<count).map { _ in DirectSinkInput(queue: DeliveryQueue()) }
        for d in existing.flatMap({ $0.takeUnacknowledged() }) {
            inputs[Int(d.record.kafkaPartition ?? 0) % count].requeue([d])
        }
        runner.state.withLock { $0.inputs = inputs }
        router.setTarget(Router.SinkTarget(connector: runner.name, topics: runner.topics, pattern: runner.config["topics.regex"], queues: inputs.map(\.queue)))
        return inputs
    }

    private func connectorContext(_ runner: ConnectorRunner, logger: Logger) -> RuntimeConnectorContext {
        RuntimeConnectorContext(
            logger: logger,
            onReconfigure: { [weak self] in
                guard let self else { return }
                Task { await self.lifecycle(runner) { await self.reconfigureLocked(runner) } }
            },
            onError: { [weak self] error in self?.board.connector(runner.name, .failed, trace: failureTrace(error)) })
    }

    /// Asks the running connector for task configurations again; when they changed, its tasks stop
    /// gracefully and start again with the new ones (Kafka's task reconfiguration).
    func reconfigureLocked(_ runner: ConnectorRunner) async {
        let (instance, executor, old) = runner.state.withLock { ($0.instance, $0.executor, $0.taskConfigs) }
        guard let instance, let executor, !runner.isStopped, !isStopping else { return }
        let tasksMax = runner.tasksMax
        do {
            let configs = try await Task(executorPreference: executor) { try await instance.value.taskConfigs(maxTasks: tasksMax) }.value
            guard configs != old else { return }
            await stopTasks(runner.tasks)
            board.clearTasks(runner.name)
            createTasks(runner, instance: instance.value, configs: configs)
            for t in runner.tasks { t.start(self) }
            logger.with("connector", runner.name).info("reconfigured with \(configs.count) task(s)")
        } catch {
            board.connector(runner.name, .failed, trace: failureTrace(error))
        }
    }

    /// How long a graceful stop of a task may take: `task.shutdown.graceful.timeout.ms` plus
    /// `offset.flush.timeout.ms` (a source waits that long for its last acknowledgements).
    var taskStopDeadline: ContinuousClock.Instant {
        ContinuousClock.now + .milliseconds(config.taskShutdownTimeoutMs + config.offsetFlushTimeoutMs)
    }

    /// Stops tasks gracefully (sinks flush, sources commit), each within ``taskStopDeadline``; one
    /// that does not stop in time is abandoned, and said so.
    func stopTasks(_ tasks: [TaskRunner]) async {
        for t in tasks where await !t.stop(self, until: taskStopDeadline) {
            logger.with("connector", t.connector).warning(
                "Graceful stop of task \(t.connector)-\(t.index) failed: still running after \(config.taskShutdownTimeoutMs + config.offsetFlushTimeoutMs) ms, abandoned; records it had not flushed are not acknowledged and will be delivered again")
        }
    }

    /// Stops every task gracefully (sinks flush, sources commit) and then the connector instance.
    func stopConnectorInstance(_ runner: ConnectorRunner) async {
        await stopTasks(runner.tasks)
        if await !stopInstanceOnly(runner, until: taskStopDeadline) {
            logger.with("connector", runner.name).warning("Graceful stop of connector \(runner.name) failed: its stop() did not return in time, abandoned")
        }
    }

    /// Stops the connector instance (not its tasks) on its thread and ends that thread; gives up at
    /// `deadline` (returns false).
    func stopInstanceOnly(_ runner: ConnectorRunner, until deadline: ContinuousClock.Instant) async -> Bool {
        let (instance, executor) = runner.state.withLock { s in
            defer {
                s.instance = nil
                s.executor = nil
            }
            return (s.instance, s.executor)
        }
        guard let instance, let executor else { return true }
        let log = logger.with("connector", runner.name)
        let stopped = await runBounded(until: deadline, on: executor) {
            do { try await instance.value.stop() } catch { log.warning("connector stop failed: \(error)") }
            return true
        }
        executor.shutdown()
        return stopped != nil
    }

    // MARK: Public control surface (what Kafka Connect's REST API needs)

    /// Stops a connector (Kafka's `PUT /connectors/{c}/stop`): its tasks stop gracefully and are
    /// removed, the connector instance stops, and the status becomes STOPPED with no tasks. Records
    /// meant for a stopped sink wait (within the in-flight limits) until it is resumed.
    public func stopConnector(_ name: String) async throws(WorkerError) {
        guard let runner = runner(name) else { throw .unknownConnector(name) }
        await lifecycle(runner) {
            runner.state.withLock { $0.stopped = true }
            await self.stopConnectorInstance(runner)
            runner.state.withLock {
                $0.tasks = []
                $0.taskConfigs = []
            }
            self.board.stopped(name)
        }
    }

    /// Restarts a connector and/or its tasks like `POST /connectors/{c}/restart?includeTasks=&onlyFailed=`:
    /// the connector is restarted if `!onlyFailed` or it FAILED; a task if `includeTasks` and
    /// (`!onlyFailed` or it FAILED). Returns at once the status with what will restart marked
    /// RESTARTING; the restart itself happens in the background.
    @discardableResult
    public func restartConnector(_ name: String, includeTasks: Bool = false, onlyFailed: Bool = false) throws(WorkerError) -> ConnectorStatus {
        guard let runner = runner(name), var status = board.status(name) else { throw .unknownConnector(name) }
        guard isAcceptingWork else { throw .notRunning }
        let restartConnector = !onlyFailed || status.state == .failed
        let taskIDs = status.tasks.filter { includeTasks && (!onlyFailed || $0.state == .failed) }.map(\.id)
        if restartConnector {
            status.state = .restarting
            board.connector(name, .restarting, trace: status.trace)
        }
        for i in status.tasks.indices where taskIDs.contains(status.tasks[i].id) {
            status.tasks[i].state = .restarting
            board.task(name, status.tasks[i].id, .restarting, trace: status.tasks[i].trace)
        }
        Task {
            await self.lifecycle(runner) {
                if restartConnector { await self.restartInstanceLocked(runner, restartTasks: Set(taskIDs)) } else {
                    let tasks = runner.tasks
                    for id in taskIDs where id < tasks.count { tasks[id].restart(self) }
                }
            }
        }
        return status
    }

    /// Restarts one task (`POST /connectors/{c}/tasks/{t}/restart`): a running task stops gracefully
    /// first; a failed one starts again. Returns once the new instance has started (its `start`
    /// returned or failed; the status then says RUNNING or FAILED), or after the task shutdown
    /// timeouts plus 30 s. Records a sink had taken and not flushed are delivered again to the new
    /// instance, with the same offsets.
    /// - Throws: ``WorkerError/unknownConnector(_:)``, ``WorkerError/unknownTask(_:_:)``.
    public func restartTask(_ name: String, _ task: Int) async throws(WorkerError) {
        guard let runner = runner(name) else { throw .unknownConnector(name) }
        let tasks = runner.tasks
        guard task >= 0 && task < tasks.count else { throw .unknownTask(name, task) }
        guard isAcceptingWork else { throw .notRunning }
        let t = tasks[task]
        let before = t.runsStarted.load(ordering: .acquiring)
        board.task(name, task, .restarting, trace: board.status(name)?.tasks.first { $0.id == task }?.trace)
        t.restart(self)
        _ = await t.changed.wait(until: taskStopDeadline + .seconds(30)) { t.runsStarted.load(ordering: .acquiring) > before }
    }

    /// Restarts the connector instance; when its new task configurations differ, every task restarts
    /// with them, otherwise only `restartTasks`.
    private func restartInstanceLocked(_ runner: ConnectorRunner, restartTasks: Set<Int>) async {
        // The worker may have begun to stop while this restart waited for the connector's lock:
        // an instance started now would never be stopped.
        guard isAcceptingWork else { return }
        let oldConfigs = runner.state.withLock { $0.taskConfigs }
        _ = await stopInstanceOnly(runner, until: taskStopDeadline)
        guard let (instance, configs) = await launchInstanceLocked(runner) else { return }
        board.connector(runner.name, runningState(runner.name))
        if configs != oldConfigs || runner.tasks.isEmpty {
            await stopTasks(runner.tasks)
            board.clearTasks(runner.name)
            createTasks(runner, instance: instance, configs: configs)
            for t in runner.tasks { t.start(self) }
        } else {
            let tasks = runner.tasks
            for id in restartTasks where id < tasks.count { tasks[id].restart(self) }
        }
    }

    /// Removes a connector (`DELETE /connectors/{c}`): stops it and forgets its status. Records
    /// that only it still had to receive go to the sink connectors that read their topics now, or
    /// are held unacknowledged until one does (on Kafka they would stay in the topic).
    public func removeConnector(_ name: String) async throws(WorkerError) {
        guard let runner = runner(name) else { throw .unknownConnector(name) }
        await lifecycle(runner) {
            runner.state.withLock { $0.stopped = true }
            await self.stopConnectorInstance(runner)
            if case .sink = runner.plugin {
                self.router.removeTarget(name)
                let leftover = runner.state.withLock { $0.inputs }.flatMap { $0.takeUnacknowledged() }
                let onlyHere = leftover.filter { $0.receiversLeft == 1 }
                PendingRecord.acknowledgeAll(leftover.filter { $0.receiversLeft > 1 && $0.receiverDone() })
                self.router.rehome(onlyHere)
                self.broker.removeGroup(runner.group)
            }
            self.connectors.withLock {
                $0.byName[name] = nil
                $0.order.removeAll { $0 == name }
            }
            self.board.remove(name)
        }
    }

    /// A connector's committed offsets (`GET /connectors/{c}/offsets`), in Kafka's form: for a source
    /// connector its partitions and offsets; for a sink connector (topic mode) its consumer group's
    /// positions as `{"kafka_topic","kafka_partition"}` → `{"kafka_offset"}`.
    public func offsets(_ name: String) throws -> SourceOffsets {
        guard let runner = runner(name) else { throw WorkerError.unknownConnector(name) }
        guard !runner.plugin.isSource else { return try offsetStore.offsets(connector: name) }
        var out: SourceOffsets = [:]
        for (tp, offset) in broker.committed(group: runner.group) {
            out[["kafka_topic": .string(tp.topic), "kafka_partition": .int32(tp.partition)]] = ["kafka_offset": .int64(offset)]
        }
        return out
    }

    /// Alters a stopped connector's offsets (`PATCH /connectors/{c}/offsets`); a `nil` offset resets
    /// that partition. As Kafka's worker does, the offsets are checked (source offsets may hold only
    /// primitive values; sink partitions and offsets with Kafka's `SinkUtils` messages), then the
    /// connector's own ``SourceConnector/alterOffsets(_:offsets:)`` (or the sink's) is called on a
    /// fresh instance with the connector's configuration — it may refuse with an error — and only
    /// then are the offsets written. Returns Kafka's message: whether the connector handled the
    /// change itself or only the framework's offsets were altered.
    /// - Throws: ``WorkerError`` (unknown, not stopped, bad request), the format's `DataError`, or
    ///   the connector's own error (e.g. FileStreamSource: "The value for the 'position' key in the
    ///   offset is expected to be a Long value").
    @discardableResult
    public func alterOffsets(_ name: String, _ offsets: [[String: Value]: [String: Value]?]) async throws -> String {
        let runner = try requireStopped(name)
        guard !offsets.isEmpty else { throw WorkerError.badRequest("The offsets to be altered may not be null or empty") }
        let handled: Bool
        if runner.plugin.isSource {
            for (partition, offset) in offsets {
                try Self.validateOffsetFormat(partition)
                if let offset { try Self.validateOffsetFormat(offset) }
            }
            handled = try await connectorAltersOffsets(runner, source: offsets, sink: nil)
            try offsetStore.commit(connector: name, offsets: offsets)
        } else {
            try requireTopicMode(runner)
            let positions = try Self.sinkPositions(offsets)
            handled = try await connectorAltersOffsets(runner, source: nil, sink: positions)
            broker.setCommitted(group: runner.group, positions)
        }
        return Self.offsetsMessage(handled: handled, verb: "altered")
    }

    /// Resets a stopped connector's offsets (`DELETE /connectors/{c}/offsets`), after the connector's
    /// own `alterOffsets` hook accepted every partition reset to nil. Returns Kafka's message.
    @discardableResult
    public func resetOffsets(_ name: String) async throws -> String {
        let runner = try requireStopped(name)
        let handled: Bool
        if runner.plugin.isSource {
            let current = try offsetStore.offsets(connector: name).mapValues { _ -> [String: Value]? in nil }
            handled = try await connectorAltersOffsets(runner, source: current, sink: nil)
            try offsetStore.commit(connector: name, offsets: current)
        } else {
            try requireTopicMode(runner)
            let current = broker.committed(group: runner.group).mapValues { _ -> Int64? in nil }
            handled = try await connectorAltersOffsets(runner, source: nil, sink: current)
            broker.setCommitted(group: runner.group, current)
        }
        return Self.offsetsMessage(handled: handled, verb: "reset")
    }

    /// Kafka's answer to an offsets change.
    static func offsetsMessage(handled: Bool, verb: String) -> String {
        handled ? "The offsets for this connector have been \(verb) successfully"
            : "The Connect framework-managed offsets for this connector have been \(verb) successfully. However, if this connector manages offsets externally, they will need to be manually \(verb) in the system that the connector uses."
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

    /// Calls the connector's `alterOffsets` on a fresh instance, on its own thread, with the
    /// connector's configuration (Kafka's worker does the same before writing offsets); at most
    /// 90 s. Returns whether the connector handled the change.
    private func connectorAltersOffsets(
        _ runner: ConnectorRunner, source: [[String: Value]: [String: Value]?]?, sink: [TopicPartition: Int64?]?
    ) async throws -> Bool {
        let executor = ThreadExecutor(name: "offsets-\(runner.name)")
        defer { executor.shutdown() }
        let (plugin, config) = (runner.plugin, runner.config)
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
            throw ConnectError("Timed out while calling the 'alterOffsets' method for \(plugin.isSource ? "source" : "sink") connector \(runner.name)")
        }
        switch result {
        case .success(let handled): return handled
        case .failure(let box): throw box.error
        }
    }

    private func requireStopped(_ name: String) throws -> ConnectorRunner {
        guard let runner = runner(name) else { throw WorkerError.unknownConnector(name) }
        guard runner.isStopped && runner.tasks.isEmpty else { throw WorkerError.notStopped(name) }
        return runner
    }

    private func requireTopicMode(_ runner: ConnectorRunner) throws {
        guard config.mode == .topic else {
            throw WorkerError.badRequest("Sink connector \(runner.name) reads in direct mode: it has no consumer group offsets to modify")
        }
    }

    /// Kafka's `SinkUtils` parsing of sink offsets, with its messages.
    static func sinkPositions(_ offsets: [[String: Value]: [String: Value]?]) throws -> [TopicPartition: Int64?] {
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
        var out: [TopicPartition: Int64?] = [:]
        for (partition, offset) in offsets {
            guard let topicValue = partition["kafka_topic"], let partitionValue = partition["kafka_partition"] else {
                throw WorkerError.badRequest("The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'")
            }
            guard case .string(let topic) = topicValue else { throw WorkerError.badRequest("Kafka topic names must be valid strings and may not be null") }
            if partitionValue.isNull { throw WorkerError.badRequest("Kafka partitions must be valid numbers and may not be null") }
            guard let p = integer(partitionValue), let p32 = Int32(exactly: p) else {
                throw WorkerError.badRequest(
                    "Failed to parse the following Kafka partition value in the provided offsets: '\(partitionValue)'. Partition values for sink connectors need to be integers.")
            }
            let tp = TopicPartition(topic: topic, partition: p32)
            guard let offset else {
                out[tp] = .some(nil)
                continue
            }
            guard let offsetValue = offset["kafka_offset"] else {
                throw WorkerError.badRequest("The offset for a sink connector should either be null or contain the key 'kafka_offset'")
            }
            guard let o = integer(offsetValue) else {
                throw WorkerError.badRequest(
                    "Failed to parse the following Kafka offset value in the provided offsets: '\(offsetValue)'. Offset values for sink connectors need to be integers.")
            }
            out[tp] = o
        }
        return out
    }

    /// The error handler of one task: its connector's `errors.*` policy, with the worker's
    /// in-memory topics as the dead-letter destination, written with the task's own `codec`.
    func errorHandler(connector: String, config: [String: String], task: Int, codec: RecordCodec, logger: Logger) throws -> RetryWithTolerance {
        let policy = try ErrorPolicy(config: config)
        let queue = try policy.deadLetterTopic.map { _ in DeadLetterQueue(logs: try localTopics(), broker: self.config.mode == .topic ? broker : nil) }
        return RetryWithTolerance(
            policy: policy, connector: connector, taskID: task, logger: logger, deadLetter: queue.map { ($0, codec) },
            counters: taskMetrics(connector, task).errors, sleep: { [clock] in try await clock.sleep(for: $0) })
    }

    /// The metrics of a task (created on first use, kept across restarts).
    func taskMetrics(_ connector: String, _ task: Int) -> TaskMetrics {
        metrics.withLock { m in
            let id = TaskID(connector: connector, task: task)
            if let existing = m[id] { return existing }
            let created = TaskMetrics(connector: connector, task: task, factory: metricsFactory)
            m[id] = created
            return created
        }
    }

    /// A task's error counters (Kafka's task-error-metrics), once the task has started.
    public func errorMetrics(connector: String, task: Int) -> TaskErrorMetrics? {
        metrics.withLock { $0[TaskID(connector: connector, task: task)]?.snapshot.errors }
    }

    /// A task's counters (also reported through swift-metrics with Kafka Connect's names).
    public func metrics(connector: String, task: Int) -> TaskMetricsSnapshot? {
        metrics.withLock { $0[TaskID(connector: connector, task: task)]?.snapshot }
    }

    /// Totals over every task, for a progress line.
    public var progress: WorkerProgress {
        let all = metrics.withLock { Array($0.values) }.map(\.snapshot)
        let failed = board.all.reduce(0) { $0 + $1.tasks.filter { $0.state == .failed }.count + ($1.state == .failed ? 1 : 0) }
        return WorkerProgress(
            recordsPolled: all.reduce(0) { $0 + $1.sourceRecordPollTotal }, recordsSent: all.reduce(0) { $0 + $1.sinkRecordSendTotal },
            recordsInFlight: all.reduce(0) { $0 + $1.sourceRecordActiveCount }, recordErrors: all.reduce(0) { $0 + $1.errors.totalRecordErrors },
            failed: failed)
    }

    /// Applies a transformation chain stage by stage under the error handler; `nil` when a stage
    /// dropped the record or its failure was tolerated.
    func transform<R: ConnectRecord>(
        _ record: R, chain: TransformChain, errors: RetryWithTolerance, failed: (R) -> FailedRecord
    ) async throws -> R? {
        // Fused chains run in one pass; a failure is replayed stage by stage below, so that the error
        // handler sees the stage, the class and the record exactly as without fusion.
        if chain.isFused {
            do { return try chain.apply(record) } catch {}
        }
        var current = record
        for stage in chain.stages where stage.applies(to: current) {
            let input = current
            guard let result = try await errors.execute(.transformation, stage.className, failed(input), { try stage.transformation.apply(input) }),
                let next = result
            else { return nil }
            current = next
        }
        return current
    }
}

/// What a worker has done so far, summed over its tasks.
public struct WorkerProgress: Sendable, Hashable {
    /// Records polled from source tasks.
    public var recordsPolled: Int
    /// Records given to sink tasks' `put`.
    public var recordsSent: Int
    /// Records polled and not yet acknowledged by every sink (the pipeline's lag).
    public var recordsInFlight: Int
    /// Records that failed (tolerated or not).
    public var recordErrors: Int
    /// Connectors and tasks in the FAILED state.
    public var failed: Int
}

extension WorkerProgress {
    /// The one-line summary `connect standalone` shows on a terminal, with rates since `previous`:
    /// `in 12,345 rec/s | out 12,300 rec/s | lag 200 | errors 0 | failed 0 | total 1,234,567`.
    public func line(since previous: WorkerProgress, elapsed: Duration) -> String {
        let seconds = max(Double(elapsed.nanoseconds) / 1e9, 0.001)
        func rate(_ now: Int, _ then: Int) -> String { Self.grouped(Int((Double(now - then) / seconds).rounded())) }
        return "in \(rate(recordsPolled, previous.recordsPolled)) rec/s | out \(rate(recordsSent, previous.recordsSent)) rec/s"
            + " | lag \(Self.grouped(recordsInFlight)) | errors \(Self.grouped(recordErrors)) | failed \(failed) | total \(Self.grouped(recordsSent))"
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }
}
