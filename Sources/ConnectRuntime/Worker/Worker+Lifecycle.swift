import ConnectKit
import Logging
import Synchronization

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
        /// Topic mode: the consumer group and what it reads (each run makes its own consumer).
        let group: String?
        let subscription: Subscription
    }

    // MARK: Connector control

    /// Runs a transition of a connector's machine and performs its actions, serialized with every
    /// other control operation on that connector. With `deferTaskStart`, tasks are created but
    /// started later (the worker's start: every sink is known before a source sends).
    /// - Throws: the machine's refusal.
    func control(
        _ c: WorkerConnector, deferTaskStart: Bool = false, until deadline: ContinuousClock.Instant? = nil,
        _ transition: (inout ConnectorMachine) throws(ConnectorMachine.Refusal) -> [ConnectorMachine.Action]
    ) async throws(ConnectorMachine.Refusal) {
        guard await c.control.lock(until: deadline) else { throw .timedOut }
        defer { c.control.unlock() }
        let actions = try c.transition(transition)
        await perform(actions, on: c, deferTaskStart: deferTaskStart)
    }

    /// Non-throwing transitions.
    func control(_ c: WorkerConnector, deferTaskStart: Bool = false, _ transition: (inout ConnectorMachine) -> [ConnectorMachine.Action]) async {
        try? await control(c, deferTaskStart: deferTaskStart) { (m: inout ConnectorMachine) throws(ConnectorMachine.Refusal) in transition(&m) }
    }

    /// Performs a machine's actions in order (call holding the connector's control lock).
    func perform(_ actions: [ConnectorMachine.Action], on c: WorkerConnector, deferTaskStart: Bool = false) async {
        for action in actions {
            switch action {
            case .startInstance(let g):
                let next = await startInstance(c, generation: g)
                await perform(next, on: c, deferTaskStart: deferTaskStart)
            case .stopInstance(let g):
                if await !stopInstance(c, generation: g, until: taskStopDeadline) {
                    logger.with("connector", c.name).warning("Graceful stop of connector \(c.name) failed: its stop() did not return in time, abandoned")
                }
            case .startTasks(let configs):
                createTasks(c, configs: configs)
                if !deferTaskStart { startTasks(c) }
            case .stopTasks:
                await removeTasks(c.tasks)
                c.state.withLock { $0.tasks = [] }
            case .restartTasks(let ids):
                let tasks = c.tasks
                for id in ids where id < tasks.count { tasks[id].transition(self) { $0.restart(accepting: self.isAcceptingWork) } }
            case .reconfigure(let g):
                guard let instance = c.state.withLock({ $0.instances[g] }) else { continue }
                let tasksMax = c.tasksMax
                do {
                    let configs = try await Task(executorPreference: instance.executor) { try await instance.connector.value.taskConfigs(maxTasks: tasksMax) }.value
                    let next = try c.transition { $0.reconfigured(generation: g, taskConfigs: configs) }
                    if !next.isEmpty { logger.with("connector", c.name).info("reconfigured with \(configs.count) task(s)") }
                    await perform(next, on: c, deferTaskStart: deferTaskStart)
                } catch {
                    c.state.withLock { $0.machine.raisedError(trace: failureTrace(error)) }
                }
            }
        }
    }

    /// Starts instance `generation` on its own thread and asks it for task configurations; returns
    /// what the machine makes of the outcome.
    private func startInstance(_ c: WorkerConnector, generation g: Int) async -> [ConnectorMachine.Action] {
        let log = logger.with("connector", c.name)
        let executor = ThreadExecutor(name: "connector-\(c.name)")
        let context = connectorContext(c, logger: log)
        let (plugin, config, tasksMax) = (c.plugin, c.config, c.tasksMax)
        do {
            let box = try await Task(executorPreference: executor) { () -> UncheckedBox<(any Connector, [[String: String]])> in
                let instance = plugin.instantiate()
                instance.initialize(context: context)
                try await instance.start(config)
                do {
                    let configs = try await instance.taskConfigs(maxTasks: tasksMax)
                    return UncheckedBox((instance, configs))
                } catch {
                    // It started: it is stopped before the failure is reported.
                    try? await instance.stop()
                    throw error
                }
            }.value
            c.state.withLock { $0.instances[g] = WorkerConnector.Instance(connector: UncheckedBox(box.value.0), executor: executor) }
            let actions = (try? c.transition { $0.instanceStarted(generation: g, taskConfigs: box.value.1) }) ?? []
            if actions != [.stopInstance(generation: g)] { log.info("started connector with \(box.value.1.count) task(s)") }
            return actions
        } catch {
            log.error("connector failed to start: \(error)")
            executor.shutdown()
            return (try? c.transition { $0.instanceFailed(generation: g, trace: failureTrace(error)) }) ?? []
        }
    }

    /// Stops instance `generation` on its thread and ends that thread; gives up at `deadline`
    /// (returns false).
    func stopInstance(_ c: WorkerConnector, generation g: Int, until deadline: ContinuousClock.Instant) async -> Bool {
        guard let instance = c.state.withLock({ $0.instances.removeValue(forKey: g) }) else {
            c.state.withLock { $0.machine.instanceStopped(generation: g) }
            return true
        }
        let log = logger.with("connector", c.name)
        let stopped = await runBounded(until: deadline, on: instance.executor) {
            do { try await instance.connector.value.stop() } catch { log.warning("connector stop failed: \(error)") }
            return true
        }
        instance.executor.shutdown()
        c.state.withLock { $0.machine.instanceStopped(generation: g) }
        return stopped != nil
    }

    /// Creates tasks for the task configurations (not started).
    private func createTasks(_ c: WorkerConnector, configs: [[String: String]]) {
        let name = c.name
        var tasks: [WorkerTask] = []
        guard let instance = c.state.withLock({ s in s.instances.max { $0.key < $1.key }?.value }) else { return }
        switch c.plugin {
        case .source:
            let taskType = (instance.connector.value as! any SourceConnector).taskType
            for (i, tc) in configs.enumerated() {
                tasks.append(WorkerTask(connector: name, index: i, kind: .source(
                    SourceTaskPlan(connector: name, index: i, type: taskType, config: tc, connectorConfig: c.config))))
            }
        case .sink:
            let taskType = (instance.connector.value as! any SinkConnector).taskType
            let taskClassName = javaTaskClassName(c, taskType: taskType)
            var inputs: [DirectSinkInput] = []
            if config.mode == .topic {
                transport.expectGroup(c.group, subscription: c.subscription)
            } else {
                inputs = directInputs(c, count: configs.count)
            }
            for (i, tc) in configs.enumerated() {
                tasks.append(WorkerTask(connector: name, index: i, kind: .sink(SinkTaskPlan(
                    connector: name, index: i, type: taskType, taskClassName: taskClassName, config: tc.merging(c.config) { a, _ in a },
                    connectorConfig: c.config, direct: inputs.isEmpty ? nil : inputs[i], group: config.mode == .topic ? c.group : nil,
                    subscription: c.subscription))))
            }
        }
        // Topic mode: every task's consumer joins the group now, before any task starts, so that
        // the group's first assignment spreads the partitions over all of them.
        for t in tasks {
            guard case .sink(let plan) = t.kind, let group = plan.group else { continue }
            do {
                let consumer = try transport.makeConsumer(group: group, clientID: "connector-consumer-\(name)-\(t.index)", connectorConfig: plan.connectorConfig)
                consumer.subscribe(plan.subscription)
                t.prepare(consumer)
            } catch {
                logger.with("connector", name).error("cannot create the consumer of task \(t.index): \(error)")
            }
        }
        c.state.withLock { $0.tasks = tasks }
    }

    /// Starts every task of a connector that is not running.
    func startTasks(_ c: WorkerConnector) {
        for t in c.tasks { t.transition(self) { $0.start(accepting: self.isAcceptingWork) } }
    }

    /// The Java class name Kafka would report for a connector's task: for a connector registered
    /// under a Java class name ending in `Connector` (Kafka's convention), the same name ending in
    /// `Task` (`org.apache.kafka.connect.file.FileStreamSinkConnector` →
    /// `org.apache.kafka.connect.file.FileStreamSinkTask`); else the Swift type's name.
    func javaTaskClassName(_ c: WorkerConnector, taskType: Any.Type) -> String {
        let entry = registry.connector(c.config["connector.class"] ?? "")
        if let task = entry?.javaTaskClassName { return task }
        let java = entry?.javaClassName ?? ""
        if java.contains("."), java.hasSuffix("Connector") { return String(java.dropLast("Connector".count)) + "Task" }
        return String(reflecting: taskType)
    }

    /// Direct mode: the sink's inputs, kept across restarts. When the number of tasks changes,
    /// everything not yet acknowledged moves to the new inputs by partition.
    private func directInputs(_ c: WorkerConnector, count: Int) -> [DirectSinkInput] {
        let existing = c.state.withLock { $0.inputs }
        if existing.count == count { return existing }
        let inputs = (0..<count).map { _ in DirectSinkInput(queue: DeliveryQueue()) }
        c.state.withLock { $0.inputs = inputs }
        // New records go to the new queues from now on; a source that already routed a batch to an
        // old queue has it forwarded; what the old queues held moves over by partition.
        router.setTarget(Router.SinkTarget(connector: c.name, subscription: c.subscription, queues: inputs.map(\.queue)))
        let (router, name) = (router, c.name)
        for old in existing { old.queue.retire { router.redeliver($0, connector: name) } }
        for d in existing.flatMap({ $0.takeUnacknowledged() }) {
            inputs[Int(d.record.kafkaPartition ?? 0) % count].requeue([d])
        }
        return inputs
    }

    private func connectorContext(_ c: WorkerConnector, logger: Logger) -> RuntimeConnectorContext {
        RuntimeConnectorContext(
            logger: logger,
            onReconfigure: { [weak self] in
                guard let self else { return }
                Task { await self.control(c) { $0.reconfigurationRequested() } }
            },
            onError: { error in c.state.withLock { $0.machine.raisedError(trace: failureTrace(error)) } })
    }

    /// How long a graceful stop of a task may take: `task.shutdown.graceful.timeout.ms` plus
    /// `offset.flush.timeout.ms` (a source waits that long for its last acknowledgements).
    var taskStopDeadline: ContinuousClock.Instant {
        ContinuousClock.now + .milliseconds(config.taskShutdownTimeoutMs + config.offsetFlushTimeoutMs)
    }

    /// Removes tasks: each stops gracefully (sinks flush, sources commit) within
    /// ``taskStopDeadline`` and is never started again; one that does not stop in time is
    /// abandoned, and said so.
    func removeTasks(_ tasks: [WorkerTask]) async {
        for t in tasks where await !t.remove(self, until: taskStopDeadline) {
            logger.with("connector", t.connector).warning(
                "Graceful stop of task \(t.connector)-\(t.index) failed: still running after \(config.taskShutdownTimeoutMs + config.offsetFlushTimeoutMs) ms, abandoned; records it had not flushed are not acknowledged and will be delivered again")
        }
    }

    // MARK: Errors, metrics, progress

    /// The error handler of one task: its connector's `errors.*` policy, with the worker's durable
    /// local topics (and, in topic mode, the in-memory topics) as the dead-letter destination,
    /// written with the task's own `codec`.
    func errorHandler(connector: String, config: [String: String], task: Int, codec: RecordCodec, logger: Logger) throws -> RetryWithTolerance {
        let policy = try ErrorPolicy(config: config)
        let queue = try policy.deadLetterTopic.map { _ in
            transport.keepsDeadLetters
                ? DeadLetterQueue(.transport(try transport.makeProducer(clientID: "connector-dlq-producer-\(connector)-\(task)", connectorConfig: config)))
                : DeadLetterQueue(.local(try localTopics(), self.config.mode == .topic ? broker : nil))
        }
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
        let failed = statuses.reduce(0) { $0 + $1.tasks.filter { $0.state == .failed }.count + ($1.state == .failed ? 1 : 0) }
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
