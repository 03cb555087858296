public import ConnectKit
public import CoreMetrics
public import Logging
public import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs connectors in this process, like Kafka Connect's standalone worker: source tasks, sink
/// tasks and the topics between them, each task on its own thread.
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
/// Control while it runs goes through ``herder`` (Kafka's `Herder`: create, reconfigure, pause,
/// resume, stop, restart, delete, status, offsets, validate — every call async).
///
/// Delivery: a source offset is committed only after every sink that received the record has
/// flushed it (end-to-end acknowledgement), so a crash at any moment loses nothing; records after
/// the last committed offset are delivered again on restart (at-least-once). At graceful shutdown
/// sources stop polling, sinks drain and flush, then the final offsets are committed.
public final class Worker: Service, Sendable, CustomReflectable {
    /// The worker properties.
    public let config: WorkerConfig
    /// The plugins connector configurations may name.
    public let registry: PluginRegistry
    /// Where source offsets are kept.
    public let offsetStore: any OffsetStore
    /// How topic mode moves records between connectors (the in-memory ``MemoryBroker`` unless one
    /// was injected).
    public let transport: any Transport
    let logger: Logger
    let connectors = Mutex<(byName: [String: WorkerConnector], order: [String])>(([:], []))
    /// Serializes creating, replacing and deleting connectors (the herder's).
    let connectorSetLock = AsyncLock()
    /// The worker's own life cycle: created → running → stopping → stopped.
    private let phase = Mutex<Phase>(.created)
    private let stopRequested = Latch()
    /// Direct mode: routes source records to sink queues.
    let router: Router
    /// Sinks flush when this changes (a source under pressure asks them to, before it has to wait).
    let flushRequests = Atomic<UInt64>(0)
    /// Every task flushes (sinks) or commits (sources) when this changes: ``commitOffsets(timeout:)``.
    let commitRequests = Atomic<UInt64>(0)
    /// The last commit request each task served.
    let commitsServed = Mutex<[ObjectIdentifier: UInt64]>([:])
    let commitServed = AsyncSignal()
    let metrics = Mutex<[TaskID: TaskMetrics]>([:])
    let metricsFactory: any MetricsFactory
    private let localTopicLogs = Mutex<LocalTopicLogs?>(nil)
    /// Sink offsets written to the offset store, by store name (see `Worker+SinkOffsets.swift`).
    let persistedSinkOffsets = Mutex<[String: [TopicPartition: Int64]]>([:])
    private let abandonedAtShutdown = Mutex<[String]>([])
    /// The worker's ID in statuses.
    public let workerID: String
    /// Where connectors given to the control API are kept across restarts (nil: nowhere).
    public let configStore: (any ConnectorConfigStore)?
    /// Resolves `${provider:path:key}` references in connector configurations before they are
    /// validated and run; the unresolved form is what the control API shows and the store keeps.
    public let configTransformer: ConfigTransformer
    /// The control API over this worker.
    public var herder: StandaloneHerder { StandaloneHerder(worker: self) }

    enum Phase { case created, running, stopping, stopped }

    /// The in-memory broker, when that is the transport.
    public var broker: MemoryBroker? { transport as? MemoryBroker }

    /// The tasks (`connector-task`) and connectors that did not stop within the shutdown timeouts
    /// at the last shutdown and were left behind.
    public var abandoned: [String] { abandonedAtShutdown.withLock { $0 } }
    /// Decides flush intervals and retry back-off.
    public let clock: any PipelineClock

    struct TaskID: Hashable {
        let connector: String
        let task: Int
    }

    /// A worker; nothing runs until ``run()``.
    /// - Parameters:
    ///   - config: the worker properties.
    ///   - registry: the plugins connector configurations may name (``PluginRegistry/core`` by
    ///     default; `ConnectPlugins`'s `PluginRegistry.standard` has every module's).
    ///   - offsetStore: where source offsets are kept; by default the one the configuration names
    ///     (`offset.storage.sqlite.filename`, `offset.storage.file.filename`), else in memory.
    ///   - transport: how topic mode moves records; by default in-memory topics (``MemoryBroker``). Any
    ///     other transport (Kafka) implies `pipeline.mode=topic`; an explicit `direct` is refused.
    ///   - configStore: where connectors created, changed or deleted through ``herder`` are written
    ///     before the call returns, so they survive a restart; nil keeps them in memory only
    ///     (``restoreStoredConnectors(except:)`` reads them back).
    ///   - configTransformer: resolves config provider references (`${file:…}`, `${env:…}`,
    ///     `${directory:…}` by default) in connector configurations.
    /// - Throws: ``ConfigError`` for the worker's own converters, ``OffsetStoreError``.
    public init(
        config: WorkerConfig = try! WorkerConfig(), registry: PluginRegistry = .core, offsetStore: (any OffsetStore)? = nil,
        transport: (any Transport)? = nil, logger: Logger = Logger(label: "connectkit.worker"), workerID: String = "connectkit-standalone",
        metricsFactory: (any MetricsFactory)? = nil, clock: any PipelineClock = SystemPipelineClock(),
        configStore: (any ConnectorConfigStore)? = nil, configTransformer: ConfigTransformer = .standard
    ) throws {
        self.clock = clock
        self.configStore = configStore
        self.configTransformer = configTransformer
        self.metricsFactory = metricsFactory ?? MetricsSystem.factory
        var config = config
        if let transport, !(transport is MemoryBroker) {
            // A transport of its own (Kafka) carries every record: pipeline.mode is topic.
            if config.originals["pipeline.mode"]?.lowercased() == "direct" {
                throw ConfigError(key: "pipeline.mode", message: "pipeline.mode=direct would bypass this worker's transport (Kafka): records go through topics", context: "worker")
            }
            config.mode = .topic
        }
        self.config = config
        self.workerID = workerID
        self.registry = registry
        self.logger = logger
        let transport = transport ?? MemoryBroker(
            partitions: config.topicPartitions, retention: config.topicRetentionRecords, maxPollInterval: .milliseconds(config.maxPollIntervalMs))
        self.transport = transport
        if config.exactlyOnceSourceSupport && transport is MemoryBroker {
            throw ConfigError(key: "exactly.once.source.support", message: "exactly-once source support needs Kafka (bootstrap.servers and offset.storage.topic); topics are in memory here", context: "worker")
        }
        if !config.bootstrapServers.isEmpty && transport is MemoryBroker {
            logger.warning("bootstrap.servers is set (\(config.bootstrapServers.joined(separator: ","))) but this worker has no Kafka transport: topics are in memory")
        }
        // The worker's converters are the worker file's: their errors are the worker's, not a connector's.
        do { _ = try RecordCodec(worker: config.originals, connector: [:], registry: registry) } catch {
            throw ConfigError(error.problems, context: "worker")
        }
        for unused in UnusedConfig.worker(config.originals, registry: registry, transport: transport) { logger.warning("\(unused)") }
        router = Router(partitions: config.topicPartitions)
        if let offsetStore {
            self.offsetStore = offsetStore
        } else if let db = config.offsetStorageSQLite {
            self.offsetStore = try SQLiteOffsetStore(path: db)
        } else if let file = config.offsetStorageFile {
            self.offsetStore = try FileOffsetStore(path: file)
        } else {
            self.offsetStore = MemoryOffsetStore()
        }
        // A moved clock (tests' ManualClock) wakes every loop that waits for an interval.
        clock.onAdvance { [weak self] in
            guard let self else { return }
            self.wakeSinks()
            for c in self.allConnectorsInOrder { c.targetChanged.signal() }
        }
    }

    /// Validates a connector configuration — the common keys, the connector class, its
    /// transformations and converters, and the connector's own keys — and adds it. Every problem is
    /// reported at once; nothing is added then. Added while the worker runs, it starts at once.
    /// (``StandaloneHerder/putConnectorConfig(_:_:allowReplace:)`` is the async form, which also
    /// replaces a configuration.)
    /// Config provider references (`${file:…}`) are resolved first (this call reads the files they
    /// name: it blocks); the connector runs with the resolved values and the control API shows the
    /// references. A connector added here — in code or from a connector file, as Kafka's standalone
    /// mode — is not written to the ``configStore``: only what the control API creates is.
    /// - Throws: ``ConfigError`` naming every bad key.
    public func add(_ config: [String: String]) throws(ConfigError) {
        try add(config, target: .started, stored: false)
    }

    /// Adds the connectors ``configStore`` holds (those created over the control API before a
    /// restart), each with its stored target state, skipping the names in `except` (connectors a
    /// file on the command line defines: the file wins, the stored entry stays). Returns each
    /// connector that could not be added, with why — it stays in the store (deleting it over the
    /// control API removes it), so fixing what it refers to and restarting brings it back. Blocks
    /// (reads the store and the files references name).
    /// - Throws: ``ConnectorConfigStoreError`` when the store cannot be read.
    public func restoreStoredConnectors(except: Set<String> = []) throws -> [(name: String, error: ConfigError)] {
        guard let configStore else { return [] }
        var failed: [(name: String, error: ConfigError)] = []
        for stored in try configStore.load() where !except.contains(stored.name) {
            do { try add(stored.config, target: stored.target, stored: true) } catch { failed.append((stored.name, error)) }
        }
        return failed
    }

    func add(_ raw: [String: String], target: TargetState, stored: Bool) throws(ConfigError) {
        let config = try resolved(raw)
        try validateForCreation(config)
        let name = config["name"] ?? ""
        guard register(config, raw: raw, target: target, stored: stored) != nil else {
            throw ConfigError([ConfigProblem(key: "name", message: "Connector \(name) already exists")], context: name)
        }
    }

    /// A connector configuration with its config provider references (`${file:…}`, `${env:…}`,
    /// `${directory:…}`) resolved by ``configTransformer``, on a thread of its own (the references
    /// name files).
    /// - Throws: ``ConfigError`` naming each key whose reference cannot be resolved.
    public func resolvedOffPool(_ raw: [String: String]) async throws(ConfigError) -> [String: String] {
        guard raw.values.contains(where: { $0.contains("${") }) else { return raw }
        let result = await offThread("config-providers") { [self] in Result { () throws(ConfigError) in try resolved(raw) } }
        return try result.get()
    }

    /// `raw` with its config provider references resolved.
    func resolved(_ raw: [String: String]) throws(ConfigError) -> [String: String] {
        guard raw.values.contains(where: { $0.contains("${") }) else { return raw }
        return try configTransformer.transform(raw)
    }

    /// The checks of ``add(_:)``.
    func validateForCreation(_ config: [String: String], replacing: Bool = false) throws(ConfigError) {
        let name = config["name"] ?? ""
        var problems = validationProblems(config)
        if !replacing, connectors.withLock({ $0.byName[name] != nil }) {
            problems.append(ConfigProblem(key: "name", message: "Connector \(name) already exists"))
        }
        if !problems.isEmpty { throw ConfigError(problems, context: name.isEmpty ? nil : name) }
    }

    /// Kafka's refusal of a configuration without a usable connector type — `Connector config {…}
    /// contains no connector type` (the map as Java prints it, secrets hidden) or `Failed to find
    /// any class that implements Connector and which name matches …` — or nil when `className`
    /// names a registered connector. The herder answers it 400; the validate endpoint wraps it.
    package func connectorTypeProblem(_ config: [String: String], className: String) -> String? {
        if className.isEmpty {
            let map = ParsedConfig.masked(config).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            return "Connector config {\(map)} contains no connector type"
        }
        guard registry.connector(className) == nil else { return nil }
        let available = registry.connectors.entries.map(\.javaClassName).sorted().joined(separator: ", ")
        return "Failed to find any class that implements Connector and which name matches \(className), available connectors are: \(available)"
    }

    /// Every problem of a connector configuration (Kafka's `AbstractHerder.validateConnectorConfig`).
    func validationProblems(_ config: [String: String]) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
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
            problems += deadLetterQueueProblems(config)
            if let raw = config["consumer.override.max.poll.records"], (Int(raw.trimmingWhitespace()) ?? 0) < 1 {
                problems.append(ConfigProblem(key: "consumer.override.max.poll.records", message: "Invalid value \(raw) for configuration max.poll.records: Value must be at least 1"))
            }
        }
        problems += self.config.clientOverridePolicy.problems(config)
        if self.config.exactlyOnceSourceSupport, let entry, let source = entry.plugin.instantiate() as? any SourceConnector {
            // Kafka's checks of exactly-once source connectors (KIP-618).
            if (config["exactly.once.support"] ?? "").lowercased() == "required", source.exactlyOnceSupport(config) != .supported {
                problems.append(ConfigProblem(key: "exactly.once.support", message: "The connector does not support exactly-once semantics with the provided configuration."))
            }
            if (config["transaction.boundary"] ?? "").lowercased() == "connector" {
                problems.append(ConfigProblem(key: "transaction.boundary", message: "The connector does not support connector-defined transaction boundaries with the given configuration."))
            }
        }
        problems += transport.connectorConfigProblems(config)
        if let entry {
            let instance = entry.plugin.instantiate()
            problems += instance.validate(config).error?.problems ?? []
            do { _ = try TransformChain(config: config, registry: registry) } catch { problems += error.problems }
            do { _ = try RecordCodec(worker: self.config.originals, connector: config, registry: registry) } catch { problems += error.problems }
        }
        return problems
    }

    /// Registers a validated configuration; starts it when the worker runs. Nil when a connector of
    /// that name exists (checked and taken at once).
    @discardableResult
    func register(_ config: [String: String], raw: [String: String]? = nil, target: TargetState, start: Bool = true, stored: Bool = false) -> WorkerConnector? {
        let name = config["name"] ?? ""
        let entry = registry.connector(config["connector.class"] ?? "")!
        let log = logger.with("connector", name)
        for unused in unusedKeys(connector: config) { log.warning("\(unused)") }
        // Like Kafka's "ConnectorConfig values:" at start; secrets print [hidden].
        log.debug("connector configuration:\n\(ParsedConfig.masked(raw ?? config, definition: entry.plugin.instantiate().configDef).sorted { $0.key < $1.key }.map { "\t\($0.key) = \($0.value)" }.joined(separator: "\n"))")
        let c = WorkerConnector(name: name, config: config, rawConfig: raw, plugin: entry.plugin, target: target, stored: stored)
        let taken = connectors.withLock { s -> Bool in
            guard s.byName[name] == nil else { return false }
            s.byName[name] = c
            s.order.append(name)
            return true
        }
        guard taken else { return nil }
        if start && isAcceptingWork {
            Task { await self.control(c) { $0.workerStarted(workerAccepts: self.isAcceptingWork) } }
        }
        return c
    }

    /// The keys of a connector configuration that nothing uses (logged when it is added): typos,
    /// and Kafka Connect keys this build does not use yet. Empty for an unknown connector class.
    public func unusedKeys(connector config: [String: String]) -> [UnusedConfigKey] {
        guard let entry = registry.connector(config["connector.class"] ?? "") else { return [] }
        return UnusedConfig.connector(
            config, definition: entry.plugin.instantiate().configDef, isSink: !entry.plugin.isSource, worker: self.config.originals, registry: registry,
            transport: transport)
    }

    /// The keys of this worker's configuration that nothing uses (logged when the worker is created).
    public var unusedWorkerKeys: [UnusedConfigKey] { UnusedConfig.worker(config.originals, registry: registry, transport: transport) }

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
        if let pattern = config["topics.regex"], !pattern.trimmingWhitespace().isEmpty, Subscription.pattern(pattern).matches(dlq) {
            problems.append(ConfigProblem(key: "topics.regex", message:
                "The DLQ topic '\(dlq)' may not be included in the regex matching the topics ('topics.regex=\(pattern)') consumed by the connector"))
        }
        if transport.keepsDeadLetters {
            // The transport keeps them (Kafka: the dead-letter topic).
        } else if self.config.localTopicsDirectory == nil {
            problems.append(ConfigProblem(key: key, message:
                "without Kafka, dead-letter records are kept in a durable local topic log, and this worker has no directory for one: set local.topics.dir (or offset.storage.file.filename) in the worker configuration"))
        } else if problems.isEmpty, let dir = self.config.localTopicsDirectory, let why = Self.cannotCreateDirectory(dir) {
            // Checked without creating anything (`connect validate` must leave no trace); the logs
            // are created on first use.
            problems.append(ConfigProblem(key: key, message: "dead-letter records need the directory \(dir): \(why)"))
        }
        return problems
    }

    /// Why `dir` cannot be used or created (nil when it can): an existing directory must be writable,
    /// a missing one needs a writable existing ancestor.
    static func cannotCreateDirectory(_ dir: String) -> String? {
        var path = dir
        while true {
            var st = stat()
            if stat(path, &st) == 0 {
                if (st.st_mode & S_IFMT) != S_IFDIR { return "\(path) is not a directory" }
                return access(path, W_OK | X_OK) == 0 ? nil : "\(path): \(String(cString: strerror(errno)))"
            }
            guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else {
                return path.hasPrefix("/") && access("/", W_OK) == 0 ? nil : "no writable directory above it"
            }
            path = String(path[..<slash])
        }
    }

    /// `dump(worker)` shows its (masked) configuration and connector names, never a connector's
    /// configuration values (they may hold secrets).
    public var customMirror: Mirror {
        Mirror(self, children: ["config": config, "connectors": connectorNames], displayStyle: .class)
    }

    func connector(_ name: String) -> WorkerConnector? { connectors.withLock { $0.byName[name] } }
    var allConnectorsInOrder: [WorkerConnector] { connectors.withLock { c in c.order.compactMap { c.byName[$0] } } }

    // MARK: Commit requests

    /// Asks every sink to flush now (a source is under pressure).
    func requestFlush() {
        flushRequests.add(1, ordering: .relaxed)
        wakeSinks()
    }

    /// Wakes every sink so that it notices a flush request.
    func wakeSinks() {
        router.wakeSinks()
        broker?.wakeConsumers()
    }

    /// A task served commit request `round`.
    func served(_ task: WorkerTask, _ round: UInt64) {
        commitsServed.withLock { $0[ObjectIdentifier(task)] = round }
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
            for c in allConnectorsInOrder { c.targetChanged.signal() }
            let tasks = allConnectorsInOrder.filter { $0.plugin.isSource != sinks }.flatMap(\.tasks)
            done = await commitServed.wait(until: deadline) {
                tasks.allSatisfy { t in
                    guard t.machine.phase == .running else { return true }
                    return commitsServed.withLock { ($0[ObjectIdentifier(t)] ?? 0) >= round }
                }
            } && done
        }
        return done
    }

    // MARK: Status

    /// The status of a connector and its tasks, as Kafka Connect reports it.
    public func status(_ connector: String) -> ConnectorStatus? { self.connector(connector)?.status(workerID: workerID) }

    /// Every connector's status, in the order they were added.
    public var statuses: [ConnectorStatus] { allConnectorsInOrder.map { $0.status(workerID: workerID) } }

    /// Names of the connectors, in the order they were added.
    public var connectorNames: [String] { connectors.withLock { $0.order } }

    /// Whether a connector is paused.
    func isPaused(_ connector: String) -> Bool { self.connector(connector)?.isPaused ?? false }

    /// Asks the worker to stop gracefully (what a SIGTERM does).
    public func stop() {
        phase.withLock { if $0 == .running || $0 == .created { $0 = .stopping } }
        stopRequested.open()
    }

    var isStopping: Bool { phase.withLock { $0 == .stopping || $0 == .stopped } }

    /// Whether connectors and tasks may be started: the worker runs and is not stopping (Kafka's
    /// health check says healthy then).
    public var isAcceptingWork: Bool { phase.withLock { $0 == .running } }

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
        let started = phase.withLock { p -> Bool in
            guard p == .created else { return false }
            p = .running
            return true
        }
        if started {
            // Records are numbered on from what the last run's sinks committed (read off the caller's
            // thread, before any task runs).
            // (An in-memory store is read in place: nothing blocks, and tasks start without a thread hop.)
            let restored = transport is MemoryBroker
                ? (offsetStore is MemoryOffsetStore ? Result { try restoreMemoryTopicNumbering() }
                    : await offThread("offsets-restore") { [self] in Result { try restoreMemoryTopicNumbering() } })
                : .success(())
            if case .failure(let e) = restored {
                logger.error("the sink offsets of the last run could not be read: \(e)")
                phase.withLock { $0 = .created }
                throw e
            }
            // Every connector first (so sinks are known before any source sends), then every task —
            // in a task of their own: a connector whose start blocks (a database that does not
            // answer) must not hold off a stop; shutdown then abandons it, bounded.
            let initial = allConnectorsInOrder
            Task {
                for c in initial { await self.control(c, deferTaskStart: true) { $0.workerStarted(workerAccepts: self.isAcceptingWork) } }
                for c in initial { self.startTasks(c) }
            }
            await stopRequested.wait()
        }
        // Graceful even when run() was cancelled: the shutdown runs in a task of its own, which a
        // cancellation of this one does not reach.
        await Task { await self.shutdown() }.value
    }

    /// Stops everything: sources stop polling, sinks drain and flush, sources commit, instances stop.
    private func shutdown() async {
        phase.withLock { $0 = .stopping }
        let all = allConnectorsInOrder
        // Nothing starts from now on; the stops the machines ask for are ordered below.
        for c in all { _ = try? c.transition { $0.workerStopping() } }
        let tasks = all.flatMap(\.tasks)
        // Kafka's task.shutdown.graceful.timeout.ms is the total for every task, not per task.
        let deadline = ContinuousClock.now + .milliseconds(config.taskShutdownTimeoutMs)
        for t in tasks where t.isSource {
            guard let control = t.control else { continue }
            if await !control.pollingEnded.wait(until: deadline, for: { !control.polling.load(ordering: .acquiring) || !t.machine.isActive }) {
                logger.warning("source task \(t.connector)-\(t.index) did not stop polling within \(config.taskShutdownTimeoutMs) ms")
            }
        }
        // End the sink streams: sinks drain, flush and acknowledge, then sources commit. A transport
        // that keeps records (Kafka) does not drain, and a paused sink reads nothing more: those
        // sinks stop now (what they did not read is delivered again after a restart).
        for c in all { for q in c.queues { q.close() } }
        transport.shutdown()
        let drains = transport is MemoryBroker
        for t in tasks where !t.isSource && (!drains || isPaused(t.connector)) { t.requestStop(self) }
        let finalDeadline = deadline + .milliseconds(config.offsetFlushTimeoutMs)
        var abandoned: [String] = []
        for t in tasks where await !t.awaitEnd(until: finalDeadline) { abandoned.append("\(t.connector)-\(t.index)") }
        for c in all {
            // Under the connector's control lock, so that an operation still under way ends first;
            // then every instance the machine knows is live is stopped.
            let stopped = await runBounded(until: finalDeadline + .milliseconds(500)) {
                await c.control.withLock {
                    var all = true
                    for g in c.machine.liveInstances.sorted() {
                        all = await self.stopInstance(c, generation: g, until: finalDeadline + .milliseconds(500)) && all
                    }
                    return all
                }
            }
            if stopped != true { abandoned.append(c.name) }
        }
        if !abandoned.isEmpty {
            logger.warning("Graceful stop of \(abandoned.joined(separator: ", ")) failed: still running after task.shutdown.graceful.timeout.ms + offset.flush.timeout.ms (\(config.taskShutdownTimeoutMs + config.offsetFlushTimeoutMs) ms), abandoned; records they had not flushed are not acknowledged and will be delivered again")
        }
        abandonedAtShutdown.withLock { $0 = abandoned }
        phase.withLock { $0 = .stopped }
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
