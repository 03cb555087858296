public import ConnectKit
public import Logging
public import ServiceLifecycle
import Synchronization

/// Runs connectors in this process, like Kafka Connect's standalone worker: source tasks, sink
/// tasks and the in-memory topics between them, each task on its own thread.
///
/// ```swift
/// let worker = try Worker(config: WorkerConfig(["offset.storage.file.filename": "/var/lib/app/offsets.json"]))
/// try worker.add(["name": "in", "connector.class": "FileStreamSource", "file": "in.txt", "topic": "lines"])
/// try worker.add(["name": "out", "connector.class": "FileStreamSink", "file": "out.txt", "topics": "lines"])
/// try await worker.run()   // or run it as a Service in a ServiceGroup
/// ```
///
/// Delivery: a source offset is committed only after every sink that received the record has
/// flushed it (end-to-end acknowledgement), so a crash at any moment loses nothing; records after
/// the last committed offset are delivered again on restart (at-least-once). At graceful shutdown
/// sources stop polling, sinks drain and flush, then the final offsets are committed.
public final class Worker: Service, Sendable {
    public let config: WorkerConfig
    public let registry: PluginRegistry
    public let offsetStore: any OffsetStore
    /// The in-memory topics: what records travel through in topic mode, and where dead-letter
    /// records go in either mode.
    public let broker: MemoryBroker
    let logger: Logger
    private let connectors = Mutex<[(name: String, config: [String: String], plugin: ConnectorPlugin)]>([])
    private let stopping = Atomic<Bool>(false)
    private let stopSignal = AsyncSignal()
    let flushRequested = Atomic<Bool>(false)
    let board: StatusBoard
    let pausedConnectors = Mutex<Set<String>>([])
    let pauseChanged = AsyncSignal()
    private let errorCounters = Mutex<[TaskID: ErrorCounters]>([:])

    struct TaskID: Hashable {
        let connector: String
        let task: Int
    }

    public init(
        config: WorkerConfig = try! WorkerConfig(), registry: PluginRegistry = .standard, offsetStore: (any OffsetStore)? = nil,
        logger: Logger = Logger(label: "connectkit.worker"), workerID: String = "connectkit-standalone"
    ) throws {
        self.config = config
        board = StatusBoard(workerID: workerID)
        self.registry = registry
        self.logger = logger
        broker = MemoryBroker(partitions: config.topicPartitions, retention: config.topicRetentionRecords)
        if let offsetStore {
            self.offsetStore = offsetStore
        } else if let db = config.offsetStorageSQLite {
            self.offsetStore = try SQLiteOffsetStore(path: db)
        } else if let file = config.offsetStorageFile {
            self.offsetStore = try FileOffsetStore(path: file)
        } else {
            self.offsetStore = MemoryOffsetStore()
        }
    }

    /// Validates a connector configuration — the common keys, the connector class and the
    /// connector's own keys — and adds it. Every problem is reported at once; nothing is added then.
    public func add(_ config: [String: String]) throws(ConfigError) {
        var problems: [ConfigProblem] = []
        let name = config["name"] ?? ""
        let className = config["connector.class"] ?? ""
        let entry = registry.connector(className)
        if !className.isEmpty, entry == nil {
            problems.append(ConfigProblem(key: "connector.class", message: "Failed to find any class that implements Connector and which name matches \(className)"))
        }
        let isSink = entry.map { !$0.plugin.isSource } ?? false
        let common = isSink ? ConnectorConfigKeys.sink : ConnectorConfigKeys.common
        problems += common.validate(config).error?.problems ?? []
        if isSink, (config["topics"] ?? "").isEmpty, (config["topics.regex"] ?? "").isEmpty {
            problems.append(ConfigProblem(key: "topics", message: "Must configure one of topics or topics.regex"))
        }
        if let entry {
            let instance = entry.plugin.instantiate()
            problems += instance.validate(config).error?.problems ?? []
            do { _ = try TransformChain(config: config, registry: registry) } catch { problems += error.problems }
            do { _ = try RecordCodec(worker: self.config.originals, connector: config, registry: registry) } catch { problems += error.problems }
        }
        if connectors.withLock({ $0.contains { $0.name == name } }) {
            problems.append(ConfigProblem(key: "name", message: "Connector \(name) already exists"))
        }
        if !problems.isEmpty { throw ConfigError(problems, context: name.isEmpty ? nil : name) }
        connectors.withLock { $0.append((name, config, entry!.plugin)) }
        board.register(name, type: entry!.plugin.isSource ? "source" : "sink")
    }

    // MARK: Status and control

    /// The status of a connector and its tasks, as Kafka Connect reports it.
    public func status(_ connector: String) -> ConnectorStatus? { board.status(connector) }

    /// Every connector's status, in the order they were added.
    public var statuses: [ConnectorStatus] { board.all }

    /// Pauses a connector: its sources stop polling and its sinks stop consuming (records already
    /// taken are still flushed and acknowledged). Returns false for an unknown connector.
    @discardableResult
    public func pause(_ connector: String) -> Bool {
        guard let s = board.status(connector) else { return false }
        pausedConnectors.withLock { _ = $0.insert(connector) }
        if s.state == .running { board.connector(connector, .paused) }
        for t in s.tasks where t.state == .running { board.task(connector, t.id, .paused) }
        pauseChanged.signal()
        return true
    }

    /// Resumes a paused connector.
    @discardableResult
    public func resume(_ connector: String) -> Bool {
        guard let s = board.status(connector) else { return false }
        pausedConnectors.withLock { _ = $0.remove(connector) }
        if s.state == .paused { board.connector(connector, .running) }
        for t in s.tasks where t.state == .paused { board.task(connector, t.id, .running) }
        pauseChanged.signal()
        return true
    }

    func isPaused(_ connector: String) -> Bool { pausedConnectors.withLock { $0.contains(connector) } }

    /// Waits while a connector is paused (and the worker is not stopping); `during` runs between waits.
    func waitWhilePaused(_ connector: String, during: () async -> Void) async {
        while isPaused(connector) && !isStopping {
            let g = pauseChanged.generation
            await during()
            if !isPaused(connector) || isStopping { return }
            await pauseChanged.wait(after: g, timeout: .milliseconds(200))
        }
    }

    func runningState(_ connector: String) -> ConnectorState { isPaused(connector) ? .paused : .running }

    /// Asks the worker to stop gracefully (what a SIGTERM does).
    public func stop() {
        stopping.store(true, ordering: .releasing)
        stopSignal.signal()
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Runs every connector until graceful shutdown or `stop()`.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await runConnectors()
            } onCancel: {
                self.stop()
            }
        } onGracefulShutdown: {
            self.stop()
        }
    }

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
        let config: [String: String]
        let connectorConfig: [String: String]
        /// Direct mode: the queue the router fills.
        let queue: DeliveryQueue?
        /// Topic mode: the consumer of the connector's group.
        let consumer: (any TransportConsumer)?
    }

    /// How source tasks hand records on and how sinks are woken.
    struct Pipes: Sendable {
        let router: Router
        let transport: (any RecordTransport)?

        func wakeSinks() {
            router.wakeSinks()
            transport?.wakeConsumers()
        }
    }

    private func runConnectors() async throws {
        let configured = connectors.withLock { $0 }
        var sourcePlans: [SourceTaskPlan] = []
        var sinkPlans: [SinkTaskPlan] = []
        var targets: [Router.SinkTarget] = []
        var started: [(String, any Connector, ThreadExecutor)] = []
        let topicMode = config.mode == .topic

        // Start each connector on its own thread and ask it for task configurations.
        for (name, config, plugin) in configured {
            let executor = ThreadExecutor(name: "connector-\(name)")
            let connectorLogger = logger.with("connector", name)
            let tasksMax = Int(config["tasks.max"] ?? "1") ?? 1
            do {
                let taskConfigs: [[String: String]]
                switch plugin {
                case .source(let type):
                    let (instance, configs) = try await startConnector(type, name: name, config: config, tasksMax: tasksMax, executor: executor, logger: connectorLogger)
                    started.append((name, instance, executor))
                    taskConfigs = configs
                    let taskType = instance.taskType
                    for (i, tc) in taskConfigs.enumerated() {
                        sourcePlans.append(SourceTaskPlan(connector: name, index: i, type: taskType, config: tc, connectorConfig: config))
                    }
                case .sink(let type):
                    let (instance, configs) = try await startConnector(type, name: name, config: config, tasksMax: tasksMax, executor: executor, logger: connectorLogger)
                    started.append((name, instance, executor))
                    taskConfigs = configs
                    let taskType = instance.taskType
                    let topics = Set((config["topics"] ?? "").split(separator: ",").map { String($0).trimmingCharacters() }.filter { !$0.isEmpty })
                    let group = "connect-\(name)"
                    if topicMode { broker.declareGroup(group, topics: topics, pattern: config["topics.regex"]) }
                    var queues: [DeliveryQueue] = []
                    for (i, tc) in taskConfigs.enumerated() {
                        let q = topicMode ? nil : DeliveryQueue()
                        if let q { queues.append(q) }
                        let consumer = topicMode ? broker.consumer(group: group, member: i, members: taskConfigs.count) : nil
                        sinkPlans.append(SinkTaskPlan(
                            connector: name, index: i, type: taskType, config: tc.merging(config) { a, _ in a }, connectorConfig: config,
                            queue: q, consumer: consumer))
                    }
                    if !queues.isEmpty {
                        targets.append(Router.SinkTarget(connector: name, topics: topics, pattern: config["topics.regex"], queues: queues))
                    }
                }
                for i in taskConfigs.indices { board.task(name, i, .unassigned) }
                board.connector(name, runningState(name))
                connectorLogger.info("started connector with \(taskConfigs.count) task(s)")
            } catch {
                connectorLogger.error("connector failed to start: \(error)")
                board.connector(name, .failed, trace: failureTrace(error))
                executor.shutdown()
            }
        }

        let pipes = Pipes(router: Router(targets: targets, partitions: config.topicPartitions), transport: topicMode ? broker : nil)
        let polling = Countdown(sourcePlans.count)
        let sinkQueues = sinkPlans.compactMap(\.queue)

        let taskCount = sinkPlans.count + sourcePlans.count
        let shutdownTimeout = Duration.milliseconds(config.taskShutdownTimeoutMs)
        let ackTimeout = Duration.milliseconds(config.offsetFlushTimeoutMs)
        await withTaskGroup(of: Bool.self) { group in  // true: the shutdown deadline passed
            for plan in sinkPlans {
                let executor = ThreadExecutor(name: "task-\(plan.connector)-\(plan.index)")
                group.addTask(executorPreference: executor) {
                    await self.runSinkTask(plan, pipes: pipes)
                    executor.shutdown()
                    return false
                }
            }
            for plan in sourcePlans {
                let executor = ThreadExecutor(name: "task-\(plan.connector)-\(plan.index)")
                group.addTask(executorPreference: executor) {
                    await self.runSourceTask(plan, pipes: pipes) { polling.countDown() }
                    executor.shutdown()
                    return false
                }
            }
            // When asked to stop: once no source polls any more (or task.shutdown.graceful.timeout.ms
            // passed), end the sink streams so that sinks drain, flush and acknowledge; the sources
            // then commit their final offsets. Tasks still running after a further grace period are
            // cancelled.
            group.addTask {
                while !self.isStopping {
                    let g = self.stopSignal.generation
                    if self.isStopping { break }
                    await self.stopSignal.wait(after: g, timeout: .seconds(1))
                }
                let deadline = ContinuousClock.now + shutdownTimeout
                await polling.waitForZero(until: deadline)
                if ContinuousClock.now >= deadline {
                    self.logger.warning("a source task did not stop polling within \(shutdownTimeout); its unacknowledged records will be delivered again")
                }
                for q in sinkQueues { q.close() }
                if topicMode { self.broker.close() }
                try? await Task.sleep(for: shutdownTimeout + ackTimeout)
                return !Task.isCancelled
            }
            var finished = 0
            while let deadlinePassed = await group.next() {
                if deadlinePassed {
                    self.logger.warning("tasks did not stop in time; cancelling them")
                    group.cancelAll()
                    continue
                }
                finished += 1
                if finished == taskCount { group.cancelAll() }  // ends the coordinator's grace period
            }
        }

        for (name, instance, executor) in started {
            await stopConnector(instance, name: name, executor: executor)
            if board.status(name)?.state != .failed { board.connector(name, .unassigned) }
        }
    }

    private func startConnector<C: Connector>(
        _ type: C.Type, name: String, config: [String: String], tasksMax: Int, executor: ThreadExecutor, logger: Logger
    ) async throws -> (C, [[String: String]]) {
        let context = RuntimeConnectorContext(logger: logger)
        let box = try await Task(executorPreference: executor) { () -> UncheckedBox<(C, [[String: String]])> in
            let instance = type.init()
            instance.initialize(context: context)
            try await instance.start(config)
            let configs = try await instance.taskConfigs(maxTasks: tasksMax)
            return UncheckedBox((instance, configs))
        }.value
        return box.value
    }

    private func stopConnector(_ instance: any Connector, name: String, executor: ThreadExecutor) async {
        let box = UncheckedBox(instance)
        await Task(executorPreference: executor) {
            do { try await box.value.stop() } catch { self.logger.with("connector", name).warning("connector stop failed: \(error)") }
        }.value
        executor.shutdown()
    }

    /// The error handler of one task: its connector's `errors.*` policy, with the worker's
    /// in-memory topics as the dead-letter destination.
    func errorHandler(connector: String, config: [String: String], task: Int, logger: Logger) throws -> RetryWithTolerance {
        let policy = try ErrorPolicy(config: config)
        let codec = try RecordCodec(worker: self.config.originals, connector: config, registry: registry)
        let handler = RetryWithTolerance(policy: policy, connector: connector, taskID: task, logger: logger, deadLetter: (broker, codec))
        errorCounters.withLock { $0[TaskID(connector: connector, task: task)] = handler.counters }
        return handler
    }

    /// A task's error counters (Kafka's task-error-metrics), once the task has started.
    public func errorMetrics(connector: String, task: Int) -> TaskErrorMetrics? {
        errorCounters.withLock { $0[TaskID(connector: connector, task: task)]?.snapshot }
    }

    /// Applies a transformation chain stage by stage under the error handler; `nil` when a stage
    /// dropped the record or its failure was tolerated.
    func transform<R: ConnectRecord>(
        _ record: R, chain: TransformChain, errors: RetryWithTolerance, failed: (R) -> FailedRecord
    ) async throws -> R? {
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

/// Counts down to zero; waiters wake when it gets there.
final class Countdown: Sendable {
    private let count: Atomic<Int>
    private let reachedZero = AsyncSignal()

    init(_ count: Int) { self.count = Atomic(count) }

    func countDown() {
        if count.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { reachedZero.signal() }
    }

    func waitForZero(until deadline: ContinuousClock.Instant) async {
        while ContinuousClock.now < deadline && !Task.isCancelled {
            let g = reachedZero.generation
            if count.load(ordering: .acquiring) <= 0 { return }
            await reachedZero.wait(after: g, timeout: min(.milliseconds(200), deadline - ContinuousClock.now))
        }
    }
}

/// Carries a non-Sendable value out of the task that created it (only ever used by one task at a time).
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

extension Logger {
    func with(_ key: String, _ value: String) -> Logger {
        var l = self
        l[metadataKey: key] = .string(value)
        return l
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
