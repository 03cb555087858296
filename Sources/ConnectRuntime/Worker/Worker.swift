public import ConnectKit
public import CoreMetrics
public import Logging
public import ServiceLifecycle
import Synchronization

/// Runs connectors in this process, like Kafka Connect's standalone worker: source tasks, sink
/// tasks and the in-memory topics between them, each task on its own thread.
///
/// ```swift
/// import ConnectPlugins  // PluginRegistry.standard: every module's connectors (FileStream here)
///
/// let worker = try Worker(config: WorkerConfig(["offset.storage.file.filename": "/var/lib/app/offsets.json"]), registry: .standard)
/// try worker.add(["name": "in", "connector.class": "FileStreamSource", "file": "in.txt", "topic": "lines"])
/// try worker.add(["name": "out", "connector.class": "FileStreamSink", "file": "out.txt", "topics": "lines"])
/// try await worker.run()   // or run it as a Service in a ServiceGroup
/// ```
///
/// Delivery: a source offset is committed only after every sink that received the record has
/// flushed it (end-to-end acknowledgement), so a crash at any moment loses nothing; records after
/// the last committed offset are delivered again on restart (at-least-once). At graceful shutdown
/// sources stop polling, sinks drain and flush, then the final offsets are committed.
public final class Worker: Service, Sendable, CustomReflectable {
    public let config: WorkerConfig
    public let registry: PluginRegistry
    public let offsetStore: any OffsetStore
    /// The in-memory topics: what records travel through in topic mode, and where dead-letter
    /// records go in either mode.
    public let broker: MemoryBroker
    let logger: Logger
    let connectors = Mutex<(byName: [String: ConnectorRunner], order: [String])>(([:], []))
    private let stopping = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    private let stopSignal = AsyncSignal()
    /// Direct mode: routes source records to sink queues.
    let router: Router
    /// Sinks flush when this changes (a source under pressure asks them to, before it has to wait).
    let flushRequests = Atomic<UInt64>(0)
    /// Every task flushes (sinks) or commits (sources) when this changes: ``commitOffsets()``.
    let commitRequests = Atomic<UInt64>(0)
    /// The last commit request each task runner served.
    let commitsServed = Mutex<[ObjectIdentifier: UInt64]>([:])
    let commitServed = AsyncSignal()
    let board: StatusBoard
    let pausedConnectors = Mutex<Set<String>>([])
    let pauseChanged = AsyncSignal()
    let metrics = Mutex<[TaskID: TaskMetrics]>([:])
    let metricsFactory: any MetricsFactory
    private let localTopicLogs = Mutex<LocalTopicLogs?>(nil)
    private let abandonedAtShutdown = Mutex<[String]>([])

    /// The tasks (`connector-task`) and connectors that did not stop within the shutdown timeouts
    /// at the last shutdown and were left behind.
    public var abandoned: [String] { abandonedAtShutdown.withLock { $0 } }
    /// Decides flush intervals and retry back-off.
    public let clock: any PipelineClock

    struct TaskID: Hashable {
        let connector: String
        let task: Int
    }

    public init(
        config: WorkerConfig = try! WorkerConfig(), registry: PluginRegistry = .core, offsetStore: (any OffsetStore)? = nil,
        logger: Logger = Logger(label: "connectkit.worker"), workerID: String = "connectkit-standalone",
        metricsFactory: (any MetricsFactory)? = nil, clock: any PipelineClock = SystemPipelineClock()
    ) throws {
        self.clock = clock
        self.metricsFactory = metricsFactory ?? MetricsSystem.factory
        self.config = config
        board = StatusBoard(workerID: workerID)
        self.registry = registry
        self.logger = logger
        broker = MemoryBroker(partitions: config.topicPartitions, retention: config.topicRetentionRecords)
        if !config.bootstrapServers.isEmpty {
            logger.warning("bootstrap.servers is set (\(config.bootstrapServers.joined(separator: ","))) but this build has no Kafka transport yet: topics are in memory")
        }
        // The worker's converters are the worker file's: their errors are the worker's, not a connector's.
        do { _ = try RecordCodec(worker: config.originals, connector: [:], registry: registry) } catch {
            throw ConfigError(error.problems, context: "worker")
        }
        for unused in UnusedConfig.worker(config.originals, registry: registry) { logger.warning("\(unused)") }
        router = Router(partitions: config.topicPartitions)
        let (router, broker, pauseChanged) = (router, broker, pauseChanged)
        clock.onAdvance {
            router.wakeSinks()
            broker.wakeConsumers()
            pauseChanged.signal()
        }
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

    /// Validates a connector configuration — the common keys, the connector class, its
    /// transformations and converters, and the connector's own keys — and adds it. Every problem is
    /// reported at once; nothing is added then. Added while the worker runs, it starts at once.
    public func add(_ config: [String: String]) throws(ConfigError) {
        var problems: [ConfigProblem] = []
        let name = config["name"] ?? ""
        let className = config["connector.class"] ?? ""
        let entry = registry.connector(className)
        if !className.isEmpty, entry == nil {
            problems.append(ConfigProblem(key: "connector.class", message: "Failed to find any class that implements Connector and which name matches \(className)"))
        }
        let isSink = entry.map { !$0.plugin.isSource } ?? false
        let common = entry == nil ? ConnectorConfigKeys.common : isSink ? ConnectorConfigKeys.sink : ConnectorConfigKeys.source
        problems += common.validate(config).error?.problems ?? []
        if isSink {
            // Kafka's SinkConnectorConfig.validate: exactly one of the two, both keys named.
            let hasTopics = !(config["topics"] ?? "").trimmingWhitespace().isEmpty
            let hasRegex = !(config["topics.regex"] ?? "").trimmingWhitespace().isEmpty
            let message = hasTopics && hasRegex ? "topics and topics.regex are mutually exclusive options, but both are set."
                : !hasTopics && !hasRegex ? "Must configure one of topics or topics.regex" : nil
            if let message { problems += ["topics", "topics.regex"].map { ConfigProblem(key: $0, message: message) } }
        }
        if isSink { problems += deadLetterQueueProblems(config) }
        if let entry {
            let instance = entry.plugin.instantiate()
            problems += instance.validate(config).error?.problems ?? []
            do { _ = try TransformChain(config: config, registry: registry) } catch { problems += error.problems }
            do { _ = try RecordCodec(worker: self.config.originals, connector: config, registry: registry) } catch { problems += error.problems }
        }
        if connectors.withLock({ $0.byName[name] != nil }) {
            problems.append(ConfigProblem(key: "name", message: "Connector \(name) already exists"))
        }
        if !problems.isEmpty { throw ConfigError(problems, context: name.isEmpty ? nil : name) }
        let log = logger.with("connector", name)
        for unused in unusedKeys(connector: config) { log.warning("\(unused)") }
        // Like Kafka's "ConnectorConfig values:" at start; secrets print [hidden].
        log.debug("connector configuration:\n\(ParsedConfig.masked(config, definition: entry?.plugin.instantiate().configDef).sorted { $0.key < $1.key }.map { "\t\($0.key) = \($0.value)" }.joined(separator: "\n"))")
        let runner = ConnectorRunner(name: name, config: config, plugin: entry!.plugin)
        connectors.withLock {
            $0.byName[name] = runner
            $0.order.append(name)
        }
        board.register(name, type: entry!.plugin.isSource ? "source" : "sink")
        if running.load(ordering: .acquiring) && !isStopping {
            Task { await self.startConnector(runner) }
        }
    }

    /// The keys of a connector configuration that nothing uses (logged when it is added): typos,
    /// and Kafka Connect keys this build does not use yet. Empty for an unknown connector class.
    public func unusedKeys(connector config: [String: String]) -> [UnusedConfigKey] {
        guard let entry = registry.connector(config["connector.class"] ?? "") else { return [] }
        return UnusedConfig.connector(
            config, definition: entry.plugin.instantiate().configDef, isSink: !entry.plugin.isSource, worker: self.config.originals, registry: registry)
    }

    /// The keys of this worker's configuration that nothing uses (logged when the worker is created).
    public var unusedWorkerKeys: [UnusedConfigKey] { UnusedConfig.worker(config.originals, registry: registry) }

    /// The durable local topic logs (created on first use), where dead-letter queues go without Kafka.
    /// - Throws: ``LocalTopicLogError`` when the directory cannot be created; ``ConfigError`` when
    ///   offsets are kept in memory and no `local.topics.dir` is set.
    public func localTopics() throws -> LocalTopicLogs {
        try localTopicLogs.withLock { logs in
            if let logs { return logs }
            guard let dir = config.localTopicsDirectory else {
                throw ConfigError([ConfigProblem(key: "local.topics.dir", message: "no directory for durable local topics: set local.topics.dir or offset.storage.file.filename")], context: "worker")
            }
            let created = try LocalTopicLogs(directory: dir)
            logs = created
            return created
        }
    }

    /// The dead-letter queue checks of a sink connector: Kafka's (`SinkConnectorConfig.validate`, a
    /// legal topic name) and ConnectKit's (without Kafka the records need a durable directory).
    private func deadLetterQueueProblems(_ config: [String: String]) -> [ConfigProblem] {
        let key = "errors.deadletterqueue.topic.name"
        let dlq = (config[key] ?? "").trimmingWhitespace()
        guard !dlq.isEmpty else { return [] }
        var problems: [ConfigProblem] = []
        if let message = LocalTopicLogs.invalidTopicMessage(dlq) { problems.append(ConfigProblem(key: key, message: message)) }
        let topicsList = (config["topics"] ?? "").split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        if topicsList.contains(dlq) {
            problems.append(ConfigProblem(key: "topics", message:
                "The DLQ topic '\(dlq)' may not be included in the list of topics ('topics=[\(topicsList.joined(separator: ", "))]') consumed by the connector"))
        }
        if let pattern = config["topics.regex"], !pattern.trimmingWhitespace().isEmpty, let regex = try? Regex(pattern), (try? regex.wholeMatch(in: dlq)) != nil {
            problems.append(ConfigProblem(key: "topics.regex", message:
                "The DLQ topic '\(dlq)' may not be matched by the regex for the topics ('topics.regex=\(pattern)') consumed by the connector"))
        }
        if self.config.localTopicsDirectory == nil {
            problems.append(ConfigProblem(key: key, message:
                "without Kafka, dead-letter records are kept in a durable local topic log, and this worker has no directory for one: set local.topics.dir (or offset.storage.file.filename) in the worker configuration"))
        } else if problems.isEmpty {
            do { _ = try localTopics() } catch { problems.append(ConfigProblem(key: key, message: "\(error)")) }
        }
        return problems
    }

    /// `dump(worker)` shows its (masked) configuration and connector names, never a connector's
    /// configuration values (they may hold secrets).
    public var customMirror: Mirror {
        Mirror(self, children: ["config": config, "connectors": connectorNames], displayStyle: .class)
    }

    func runner(_ name: String) -> ConnectorRunner? { connectors.withLock { $0.byName[name] } }
    var allRunnersInOrder: [ConnectorRunner] { connectors.withLock { c in c.order.compactMap { c.byName[$0] } } }

    // MARK: Commit requests

    /// Asks every sink to flush now (a source is under pressure).
    func requestFlush() {
        flushRequests.add(1, ordering: .relaxed)
        wakeSinks()
    }

    /// A task runner served commit request `round`.
    func served(_ runner: TaskRunner, _ round: UInt64) {
        commitsServed.withLock { $0[ObjectIdentifier(runner)] = round }
        commitServed.signal()
    }

    /// Flushes every sink task and then commits every source task's offsets now — what
    /// `offset.flush.interval.ms` does on a timer — and returns once each running task has done so
    /// (or after `timeout`; then false). Tests use it instead of waiting for the interval.
    @discardableResult
    public func commitOffsets(timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        var done = true
        for sinks in [true, false] {
            let round = commitRequests.add(1, ordering: .acquiringAndReleasing).newValue
            wakeSinks()
            pauseChanged.signal()
            let runners = allRunnersInOrder.filter { $0.plugin.isSource != sinks }.flatMap(\.tasks)
            done = await commitServed.wait(until: deadline) {
                runners.allSatisfy { r in
                    let state = board.status(r.connector)?.tasks.first { $0.id == r.index }?.state
                    guard r.isRunning, state == .running || state == .paused else { return true }
                    return commitsServed.withLock { ($0[ObjectIdentifier(r)] ?? 0) >= round }
                }
            } && done
        }
        return done
    }

    // MARK: Status and control

    /// The status of a connector and its tasks, as Kafka Connect reports it.
    public func status(_ connector: String) -> ConnectorStatus? { board.status(connector) }

    /// Every connector's status, in the order they were added.
    public var statuses: [ConnectorStatus] { board.all }

    /// Names of the connectors, in the order they were added.
    public var connectorNames: [String] { connectors.withLock { $0.order } }

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

    /// Resumes a paused or stopped connector (a stopped one starts again with fresh task configurations).
    @discardableResult
    public func resume(_ connector: String) -> Bool {
        guard let s = board.status(connector), let runner = runner(connector) else { return false }
        pausedConnectors.withLock { _ = $0.remove(connector) }
        if s.state == .paused { board.connector(connector, .running) }
        for t in s.tasks where t.state == .paused { board.task(connector, t.id, .running) }
        pauseChanged.signal()
        if runner.isStopped && running.load(ordering: .acquiring) && !isStopping {
            Task { await self.lifecycle(runner) { await self.startConnectorLocked(runner) } }
        }
        return true
    }

    func isPaused(_ connector: String) -> Bool { pausedConnectors.withLock { $0.contains(connector) } }

    /// Waits while a connector is paused (and the run is not ending); `during` runs between waits.
    func waitWhilePaused(_ connector: String, runner: TaskRunner, during: () async -> Void) async {
        while isPaused(connector) && !shouldEnd(runner) {
            let g = pauseChanged.generation
            await during()
            if !isPaused(connector) || shouldEnd(runner) { return }
            await pauseChanged.wait(after: g, timeout: .milliseconds(200))
        }
    }

    /// Whether a source run should stop polling: the worker stops or the task is stopped/restarted.
    func shouldEnd(_ runner: TaskRunner) -> Bool { isStopping || runner.abort.load(ordering: .acquiring) }

    func runningState(_ connector: String) -> ConnectorState { isPaused(connector) ? .paused : .running }

    /// Asks the worker to stop gracefully (what a SIGTERM does).
    public func stop() {
        stopping.store(true, ordering: .releasing)
        stopSignal.signal()
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Whether connectors and tasks may be started: the worker runs and is not stopping.
    var isAcceptingWork: Bool { running.load(ordering: .acquiring) && !isStopping }

    // MARK: Running

    /// Runs every connector — and those added later — until graceful shutdown or `stop()`.
    ///
    /// Shutdown: sources stop polling (within `task.shutdown.graceful.timeout.ms`), the sink streams
    /// end so that sinks drain, flush and acknowledge, sources commit their final offsets (waiting at
    /// most `offset.flush.timeout.ms`), and tasks still running after that are cancelled.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await runUntilStopped()
            } onCancel: {
                self.stop()
            }
        } onGracefulShutdown: {
            self.stop()
        }
    }

    private func runUntilStopped() async throws {
        running.store(true, ordering: .releasing)
        // Every connector first (so sinks are known before any source sends), then every task.
        let initial = allRunnersInOrder
        for runner in initial { await lifecycle(runner) { await self.prepareConnectorLocked(runner) } }
        for runner in initial { for t in runner.tasks { t.start(self) } }
        while !isStopping {
            let g = stopSignal.generation
            if isStopping { break }
            await stopSignal.wait(after: g, timeout: .seconds(1))
        }

        let runners = allRunnersInOrder
        let tasks = runners.flatMap(\.tasks)
        // Kafka's task.shutdown.graceful.timeout.ms is the total for every task, not per task.
        let shutdownTimeout = Duration.milliseconds(config.taskShutdownTimeoutMs)
        let deadline = ContinuousClock.now + shutdownTimeout
        for t in tasks where await !t.waitUntilNotPolling(deadline) {
            logger.warning("source task \(t.connector)-\(t.index) did not stop polling within \(config.taskShutdownTimeoutMs) ms")
        }
        // End the sink streams: sinks drain, flush and acknowledge, then sources commit.
        for r in runners { for q in r.queues { q.close() } }
        broker.close()
        let finalDeadline = deadline + .milliseconds(config.offsetFlushTimeoutMs)
        var abandoned: [String] = []
        for t in tasks where await !t.finish(until: finalDeadline) { abandoned.append("\(t.connector)-\(t.index)") }
        for r in runners {
            await lifecycle(r) {
                if await !self.stopInstanceOnly(r, until: finalDeadline + .milliseconds(500)) { abandoned.append(r.name) }
                if self.board.status(r.name)?.state != .failed && !r.isStopped { self.board.connector(r.name, .unassigned) }
            }
        }
        if !abandoned.isEmpty {
            logger.warning("Graceful stop of \(abandoned.joined(separator: ", ")) failed: still running after task.shutdown.graceful.timeout.ms + offset.flush.timeout.ms (\(config.taskShutdownTimeoutMs + config.offsetFlushTimeoutMs) ms), abandoned; records they had not flushed are not acknowledged and will be delivered again")
        }
        abandonedAtShutdown.withLock { $0 = abandoned }
        running.store(false, ordering: .releasing)
    }

    /// Runs a life-cycle operation of a connector, one at a time per connector.
    func lifecycle<T: Sendable>(_ runner: ConnectorRunner, _ body: () async -> T) async -> T {
        await runner.lock.withLock { await body() }
    }

    private func startConnector(_ runner: ConnectorRunner) async {
        await lifecycle(runner) { await self.startConnectorLocked(runner) }
    }
}

/// An error carried across tasks (errors thrown by connectors need not be Sendable).
struct ErrorBox: Error, @unchecked Sendable {
    let error: any Error
    init(_ error: any Error) { self.error = error }
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

