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
    let logger: Logger
    private let connectors = Mutex<[(name: String, config: [String: String], plugin: ConnectorPlugin)]>([])
    private let stopping = Atomic<Bool>(false)
    private let stopSignal = AsyncSignal()
    private let flushRequested = Atomic<Bool>(false)
    private let board: StatusBoard
    private let pausedConnectors = Mutex<Set<String>>([])
    private let pauseChanged = AsyncSignal()

    public init(
        config: WorkerConfig = try! WorkerConfig(), registry: PluginRegistry = .standard, offsetStore: (any OffsetStore)? = nil,
        logger: Logger = Logger(label: "connectkit.worker"), workerID: String = "connectkit-standalone"
    ) throws {
        self.config = config
        board = StatusBoard(workerID: workerID)
        self.registry = registry
        self.logger = logger
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
    private func waitWhilePaused(_ connector: String, during: () async -> Void) async {
        while isPaused(connector) && !isStopping {
            let g = pauseChanged.generation
            await during()
            if !isPaused(connector) || isStopping { return }
            await pauseChanged.wait(after: g, timeout: .milliseconds(200))
        }
    }

    private func runningState(_ connector: String) -> ConnectorState { isPaused(connector) ? .paused : .running }

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

    private struct SourceTaskPlan: Sendable {
        let connector: String
        let index: Int
        let type: any SourceTask.Type
        let config: [String: String]
    }

    private struct SinkTaskPlan: Sendable {
        let connector: String
        let index: Int
        let type: any SinkTask.Type
        let config: [String: String]
        let queue: DeliveryQueue
    }

    private func runConnectors() async throws {
        let configured = connectors.withLock { $0 }
        var sourcePlans: [SourceTaskPlan] = []
        var sinkPlans: [SinkTaskPlan] = []
        var targets: [Router.SinkTarget] = []
        var started: [(String, any Connector, ThreadExecutor)] = []

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
                    for (i, tc) in taskConfigs.enumerated() { sourcePlans.append(SourceTaskPlan(connector: name, index: i, type: taskType, config: tc)) }
                case .sink(let type):
                    let (instance, configs) = try await startConnector(type, name: name, config: config, tasksMax: tasksMax, executor: executor, logger: connectorLogger)
                    started.append((name, instance, executor))
                    taskConfigs = configs
                    let taskType = instance.taskType
                    var queues: [DeliveryQueue] = []
                    for (i, tc) in taskConfigs.enumerated() {
                        let q = DeliveryQueue()
                        queues.append(q)
                        sinkPlans.append(SinkTaskPlan(connector: name, index: i, type: taskType, config: tc.merging(config) { a, _ in a }, queue: q))
                    }
                    let topics = Set((config["topics"] ?? "").split(separator: ",").map { String($0).trimmingCharacters() }.filter { !$0.isEmpty })
                    targets.append(Router.SinkTarget(connector: name, topics: topics, pattern: config["topics.regex"], queues: queues))
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

        let router = Router(targets: targets, partitions: config.topicPartitions)
        let polling = Countdown(sourcePlans.count)
        let sinkQueues = sinkPlans.map(\.queue)

        let taskCount = sinkPlans.count + sourcePlans.count
        let shutdownTimeout = Duration.milliseconds(config.taskShutdownTimeoutMs)
        let ackTimeout = Duration.milliseconds(config.offsetFlushTimeoutMs)
        await withTaskGroup(of: Bool.self) { group in  // true: the shutdown deadline passed
            for plan in sinkPlans {
                let executor = ThreadExecutor(name: "task-\(plan.connector)-\(plan.index)")
                group.addTask(executorPreference: executor) {
                    await self.runSinkTask(plan, router: router)
                    executor.shutdown()
                    return false
                }
            }
            for plan in sourcePlans {
                let executor = ThreadExecutor(name: "task-\(plan.connector)-\(plan.index)")
                group.addTask(executorPreference: executor) {
                    await self.runSourceTask(plan, router: router) { polling.countDown() }
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

    // MARK: Source tasks

    private func runSourceTask(_ plan: SourceTaskPlan, router: Router, stoppedPolling: @Sendable () -> Void) async {
        let log = logger.with("connector", plan.connector).with("task", "\(plan.index)")
        let limiter = InFlightLimiter(maxRecords: config.maxInFlightRecords, maxBytes: config.maxInFlightBytes)
        let tracker = SubmittedRecords(limiter: limiter)
        let task = plan.type.init()
        var pendingOffsets: SourceOffsets = [:]
        var lastCommit = ContinuousClock.now
        let interval = Duration.milliseconds(config.offsetFlushIntervalMs)
        var polling = true
        func stopPolling() {
            if polling {
                polling = false
                stoppedPolling()
            }
        }

        func drainAcks() async {
            let (records, offsets) = tracker.drainCommittable()
            pendingOffsets.merge(offsets) { $1 }
            for r in records {
                do { try await task.commitRecord(r, metadata: RecordMetadata(topic: r.topic, partition: r.kafkaPartition ?? 0, offset: -1)) } catch {
                    log.warning("commitRecord failed: \(error)")
                }
            }
        }

        func commitOffsets() async {
            await drainAcks()
            lastCommit = ContinuousClock.now
            guard !pendingOffsets.isEmpty else { return }
            do {
                try offsetStore.commit(connector: plan.connector, offsets: pendingOffsets)
                log.debug("committed offsets for \(pendingOffsets.count) partition(s)")
                pendingOffsets = [:]
                try await task.commit()
            } catch {
                log.error("offset commit failed: \(error)")
            }
        }

        do {
            task.initialize(context: RuntimeSourceTaskContext(
                config: plan.config, offsetStorageReader: StoreOffsetReader(store: offsetStore, connector: plan.connector)))
            try await task.start(plan.config)
            board.task(plan.connector, plan.index, runningState(plan.connector))
            log.info("source task started")
            var backoff = Duration.milliseconds(100)
            while !isStopping {
                await waitWhilePaused(plan.connector) {
                    await drainAcks()
                    if ContinuousClock.now - lastCommit >= interval { await commitOffsets() }
                }
                if isStopping { break }
                await drainAcks()
                if ContinuousClock.now - lastCommit >= interval { await commitOffsets() }
                var records: [SourceRecord]
                do {
                    records = try await task.poll()
                    backoff = .milliseconds(100)
                } catch let e as RetriableError {
                    log.warning("poll failed, retrying in \(backoff): \(e)")
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(10))
                    continue
                }
                if records.isEmpty { continue }
                let sizes = records.map(\.approximateSize)
                let total = sizes.reduce(0, +)
                let admitted = await limiter.acquire(records: records.count, bytes: total, abandon: { self.isStopping }) {
                    self.flushRequested.store(true, ordering: .relaxed)
                    router.wakeSinks()
                }
                if !admitted { break }
                // Ask the sinks to flush before the source has to wait, so both keep moving.
                if limiter.isUnderPressure { flushRequested.store(true, ordering: .relaxed) }
                var receivers: [[DeliveryQueue]] = []
                receivers.reserveCapacity(records.count)
                var lastTopic: String? = nil
                var lastReceivers: [DeliveryQueue] = []
                for i in records.indices {
                    // Consecutive records for the same single-partition topic share their route.
                    if router.partitions == 1, records[i].kafkaPartition == nil, records[i].topic == lastTopic {
                        records[i].kafkaPartition = 0
                        receivers.append(lastReceivers)
                        continue
                    }
                    lastReceivers = router.route(&records[i])
                    lastTopic = records[i].topic
                    receivers.append(lastReceivers)
                }
                let pending = tracker.submit(records, sizes: sizes, receivers: receivers.map(\.count))
                var byQueue: [ObjectIdentifier: (DeliveryQueue, [Delivery])] = [:]
                for (i, queues) in receivers.enumerated() {
                    for q in queues { byQueue[ObjectIdentifier(q), default: (q, [])].1.append(pending[i]) }
                }
                for (_, (q, deliveries)) in byQueue { q.send(deliveries) }
            }
        } catch {
            log.error("source task failed: \(error)")
            board.task(plan.connector, plan.index, .failed, trace: failureTrace(error))
        }
        stopPolling()

        // Wait for the sinks to acknowledge what is in flight, then commit the final offsets.
        let deadline = ContinuousClock.now + .milliseconds(config.offsetFlushTimeoutMs)
        while tracker.outstanding > 0 && ContinuousClock.now < deadline && !Task.isCancelled {
            let g = tracker.acknowledged.generation
            await drainAcks()
            if tracker.outstanding == 0 { break }
            await tracker.acknowledged.wait(after: g, timeout: .milliseconds(50))
        }
        await commitOffsets()
        if tracker.outstanding > 0 { log.warning("\(tracker.outstanding) record(s) were not acknowledged before shutdown; they will be delivered again") }
        tracker.reset()
        do { try await task.stop() } catch { log.warning("source task stop failed: \(error)") }
        if board.status(plan.connector)?.tasks.first(where: { $0.id == plan.index })?.state != .failed {
            board.task(plan.connector, plan.index, .unassigned)
        }
        log.info("source task stopped")
    }

    // MARK: Sink tasks

    private func runSinkTask(_ plan: SinkTaskPlan, router: Router) async {
        let log = logger.with("connector", plan.connector).with("task", "\(plan.index)")
        let task = plan.type.init()
        let context = RuntimeSinkTaskContext(config: plan.config, assigned: [], logger: log)
        var opened: [TopicPartition] = []
        var openedSet: Set<TopicPartition> = []
        var nextOffset: [TopicPartition: Int64] = [:]
        var pending: [PendingRecord] = []
        var held: [Delivery] = []
        var failed = false
        var lastFlush = ContinuousClock.now
        let interval = Duration.milliseconds(config.offsetFlushIntervalMs)

        func flush() async {
            guard !pending.isEmpty, !failed else { return }
            let offsets = nextOffset.mapValues { OffsetAndMetadata(offset: $0) }
            do {
                _ = try await task.preCommit(offsets)
                // Acknowledge, grouped by source task: one lock per group, not per record.
                var complete: [(tracker: SubmittedRecords, records: [PendingRecord])] = []
                for p in pending where p.receiverDone() {
                    if let i = complete.firstIndex(where: { $0.tracker === p.tracker }) {
                        complete[i].records.append(p)
                    } else {
                        complete.append((p.tracker, [p]))
                    }
                }
                for group in complete { group.tracker.acknowledge(group.records) }
                pending.removeAll(keepingCapacity: true)
                lastFlush = ContinuousClock.now
            } catch {
                // Not acknowledged: the sources will deliver these records again after a restart.
                log.error("flush failed; \(pending.count) record(s) stay unacknowledged: \(error)")
                lastFlush = ContinuousClock.now
            }
        }

        do {
            task.initialize(context: context)
            try await task.start(plan.config)
            board.task(plan.connector, plan.index, runningState(plan.connector))
            log.info("sink task started")
            while true {
                if isPaused(plan.connector) && !plan.queue.isClosed {
                    // Paused: take no new records, but keep flushing what was taken.
                    let g = pauseChanged.generation
                    if ContinuousClock.now - lastFlush >= interval || flushRequested.exchange(false, ordering: .relaxed) { await flush() }
                    await pauseChanged.wait(after: g, timeout: .milliseconds(200))
                    continue
                }
                let wait = max(Duration.milliseconds(1), min(.milliseconds(500), interval - (ContinuousClock.now - lastFlush)))
                guard var batch = await plan.queue.receive(max: config.maxPollRecords, timeout: wait) else { break }
                let paused = context.paused
                if !held.isEmpty || !paused.isEmpty {
                    batch = held + batch
                    held = []
                    if !paused.isEmpty {
                        held = batch.filter { paused.contains(TopicPartition(topic: $0.record.topic, partition: $0.record.kafkaPartition ?? 0)) }
                        batch.removeAll { paused.contains(TopicPartition(topic: $0.record.topic, partition: $0.record.kafkaPartition ?? 0)) }
                    }
                }
                if !batch.isEmpty && !failed {
                    var records: [SinkRecord] = []
                    records.reserveCapacity(batch.count)
                    var newPartitions: [TopicPartition] = []
                    for d in batch {
                        let r = d.record
                        let tp = TopicPartition(topic: r.topic, partition: r.kafkaPartition ?? 0)
                        if !openedSet.contains(tp) {
                            openedSet.insert(tp)
                            opened.append(tp)
                            newPartitions.append(tp)
                        }
                        let offset = nextOffset[tp, default: 0]
                        nextOffset[tp] = offset + 1
                        records.append(SinkRecord(
                            topic: r.topic, partition: tp.partition, keySchema: r.keySchema, key: r.key, valueSchema: r.valueSchema,
                            value: r.value, offset: offset, timestamp: r.timestamp, timestampType: .createTime, headers: r.headers))
                    }
                    if !newPartitions.isEmpty { try await task.open(newPartitions) }
                    var backoff = Duration.milliseconds(100)
                    while true {
                        do {
                            try await task.put(records)
                            pending.append(contentsOf: batch)
                            break
                        } catch let e as RetriableError {
                            let wait = context.takeRetryTimeout().map { Duration.milliseconds($0) } ?? backoff
                            log.warning("put failed, retrying in \(wait): \(e)")
                            try await Task.sleep(for: wait)
                            backoff = min(backoff * 2, .seconds(10))
                        }
                    }
                }
                let due = ContinuousClock.now - lastFlush >= interval
                let pressure = flushRequested.exchange(false, ordering: .relaxed)
                if due || pressure || context.takeCommitRequest() { await flush() }
            }
        } catch {
            failed = true
            log.error("sink task failed: \(error)")
            board.task(plan.connector, plan.index, .failed, trace: failureTrace(error))
            // Keep consuming so that the stream can end, but never acknowledge: nothing is lost.
            while await plan.queue.receive(max: config.maxPollRecords, timeout: .milliseconds(500)) != nil {}
        }
        await flush()
        do {
            if !opened.isEmpty { try await task.close(opened) }
            try await task.stop()
        } catch {
            log.warning("sink task stop failed: \(error)")
        }
        if !failed { board.task(plan.connector, plan.index, .unassigned) }
        log.info("sink task stopped")
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
