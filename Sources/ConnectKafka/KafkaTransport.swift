#if canImport(Glibc)
import Glibc
#endif
import CRdKafka
public import ConnectKit
public import ConnectRuntime
import Foundation
import Synchronization

/// The runtime's transport over a real Kafka cluster (librdkafka): connectors joined by topics
/// meet in Kafka topics, sink tasks consume in Kafka consumer groups (`connect-<name>`), and the
/// group coordinator — not ConnectKit — decides which member reads which partition. Pass it to the
/// worker: `Worker(config:registry:transport: try KafkaTransport(worker: workerProperties))`.
///
/// Clients are configured from the worker's keys as Kafka Connect's are (``KafkaClientConfig``:
/// `bootstrap.servers`, security keys, `producer.*`, `consumer.*`, `admin.*`, a connector's
/// `*.override.*`). Source tasks' topics are created as `topic.creation.*` says (``TopicCreation``);
/// sink connectors' dead-letter records are produced to their dead-letter topic; with
/// `offset.storage.topic`, ``makeOffsetStore()`` keeps source offsets in Kafka as Java workers do.
///
/// Keyed records go to the partition Java's producer would choose (``JavaPartitioner``); records
/// without a key to the one librdkafka chooses. Every producer call and every consumer call blocks
/// the calling task's own thread (the runtime runs each task on one), never Swift's cooperative pool.
public final class KafkaTransport: Transport, CustomReflectable {
    /// `dump` shows the worker's properties with secrets masked.
    public var customMirror: Mirror { Mirror(self, children: ["worker": ParsedConfig.masked(worker)], displayStyle: .class) }

    /// The worker's properties as given (never shown: they may hold secrets).
    private let worker: [String: String]
    /// The librdkafka properties of the worker's own clients (the offset store, group offsets):
    /// the shared keys only, translated.
    private let internalProperties: [String: String]
    private let topicCreationEnabled: Bool
    /// The offset store ``makeOffsetStore()`` made: exactly-once producers write offsets into it.
    private let offsetStore = Mutex<KafkaOffsetStore?>(nil)

    /// A transport over the cluster the worker properties name.
    /// - Throws: ``KafkaError`` naming the first worker key (`producer.interceptor.classes`, …)
    ///   librdkafka cannot take; ``ConfigError`` when `bootstrap.servers` is missing.
    public init(worker: [String: String]) throws {
        guard !(worker["bootstrap.servers"] ?? "").trimmingWhitespace().isEmpty else {
            throw ConfigError(key: "bootstrap.servers", message: "Missing required configuration \"bootstrap.servers\" which has no default value.", context: "worker")
        }
        self.worker = worker
        for role in KafkaClientRole.allCases { _ = try KafkaClientConfig.properties(worker: worker, role: role) }
        internalProperties = try KafkaClientConfig.properties(worker: worker.filter { KafkaClientConfig.isSharedKey($0.key) }, role: .admin)
        topicCreationEnabled = (worker["topic.creation.enable"] ?? "true").trimmingWhitespace().lowercased() != "false"
    }

    private static func overrides(_ connectorConfig: [String: String], _ role: KafkaClientRole) -> [String: String] {
        let prefix = role.rawValue + ".override."
        var out: [String: String] = [:]
        for (k, v) in connectorConfig where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = v }
        return out
    }

    public func makeProducer(clientID: String, connectorConfig: [String: String]) throws -> any TransportProducer {
        try transportProducer(clientID: clientID, connectorConfig: connectorConfig)
    }

    /// A connector's producer: the worker's producer keys, its overrides and topic creation, plus `extra`.
    private func transportProducer(clientID: String, connectorConfig: [String: String], extra: [String: String] = [:]) throws -> KafkaTransportProducer {
        var p = try KafkaClientConfig.properties(worker: worker, role: .producer, overrides: Self.overrides(connectorConfig, .producer))
        p["client.id"] = p["client.id"] ?? clientID
        p.merge(extra) { $1 }
        let creation = try TopicCreation.parse(connector: connectorConfig, workerEnabled: topicCreationEnabled)
        return try KafkaTransportProducer(properties: p, topicCreation: creation)
    }

    public func makeConsumer(group: String, clientID: String, connectorConfig: [String: String]) throws -> any TransportConsumer {
        // Faster failover than Java's 45 s session by default; the worker file may say otherwise.
        var p = ["session.timeout.ms": "10000", "heartbeat.interval.ms": "1000", "auto.offset.reset": "earliest"]
        p.merge(try KafkaClientConfig.properties(worker: worker, role: .consumer, overrides: Self.overrides(connectorConfig, .consumer))) { $1 }
        p["group.id"] = group
        p["client.id"] = p["client.id"] ?? clientID
        return try KafkaTransportConsumer(properties: p)
    }

    /// Kafka Connect's `offset.storage.topic`, when the worker names one: source offsets kept in
    /// that compacted topic, in the bytes Java workers write. The topic is created when missing
    /// (`offset.storage.partitions`, default 25; `offset.storage.replication.factor`, default 3;
    /// `cleanup.policy=compact`), as Kafka's workers do. Nil when the worker names none.
    /// - Throws: ``KafkaError`` (unreachable cluster, a replication factor the cluster cannot meet).
    public func makeOffsetStore() throws -> KafkaOffsetStore? {
        guard let topic = worker["offset.storage.topic"]?.trimmingWhitespace(), !topic.isEmpty else { return nil }
        let partitions = Int32(worker["offset.storage.partitions"] ?? "25") ?? 25
        let replication = Int32(worker["offset.storage.replication.factor"] ?? "3") ?? 3
        // Created only when missing (asked without auto-creation, which would make it uncompacted).
        let reader = try KafkaConsumer(properties: internalProperties.merging(["allow.auto.create.topics": "false"]) { $1 }, requireGroup: false)
        let exists = (try? reader.partitionCount(topic, timeout: .seconds(10))) != nil
        reader.close()
        if !exists {
            let admin = try KafkaProducer(properties: try KafkaClientConfig.properties(worker: worker, role: .admin))
            defer { admin.close() }
            _ = try admin.createTopic(KafkaNewTopic(name: topic, partitions: partitions, replicationFactor: replication, configs: ["cleanup.policy": "compact"]))
        }
        let store = try KafkaOffsetStore(topic: topic, properties: internalProperties)
        offsetStore.withLock { $0 = store }
        return store
    }

    /// A transactional producer (`transactional.id` as given, `init_transactions` done: a killed
    /// predecessor's open transaction is aborted) whose commits also write the task's source
    /// offsets to the offsets topic of ``makeOffsetStore()``.
    /// - Throws: ``ConfigError`` when the worker keeps no offsets in Kafka (`offset.storage.topic`);
    ///   ``KafkaError`` from the cluster.
    public func makeTransactionalProducer(clientID: String, transactionalID: String, connectorConfig: [String: String]) throws -> (any TransactionalProducer)? {
        guard let store = offsetStore.withLock({ $0 }) else {
            throw ConfigError(key: "exactly.once.source.support", message: "exactly-once source tasks write their offsets in their transactions: set offset.storage.topic (offsets in Kafka)", context: "worker")
        }
        let producer = try transportProducer(clientID: clientID, connectorConfig: connectorConfig, extra: ["transactional.id": transactionalID])
        do { try producer.producer.initTransactions() } catch {
            producer.close()
            throw error
        }
        return KafkaTransactionalProducer(base: producer, store: store)
    }

    /// Override keys librdkafka does not take, and bad `topic.creation.*` values.
    public func connectorConfigProblems(_ config: [String: String]) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        for role in KafkaClientRole.allCases {
            let o = Self.overrides(config, role)
            guard !o.isEmpty else { continue }
            do { _ = try KafkaClientConfig.properties(worker: worker, role: role, overrides: o) } catch {
                problems.append(ConfigProblem(key: error.key ?? "\(role.rawValue).override.", message: error.message))
            }
        }
        do { _ = try TopicCreation.parse(connector: config, workerEnabled: topicCreationEnabled) } catch { problems += error.problems }
        if let topic = config["offsets.storage.topic"], !topic.trimmingWhitespace().isEmpty {
            problems.append(ConfigProblem(key: "offsets.storage.topic", message:
                "per-connector offsets topics are not supported: this connector's offsets go to the worker's offset.storage.topic"))
        }
        return problems
    }

    public func readsWorkerKey(_ key: String) -> Bool {
        KafkaClientConfig.isSharedKey(key) || ["producer.", "consumer.", "admin."].contains(where: key.hasPrefix)
            || ["topic.creation.enable", "offset.storage.topic", "offset.storage.partitions", "offset.storage.replication.factor", "group.id"].contains(key)
    }

    public func readsConnectorKey(_ key: String) -> Bool {
        (ClientOverridePolicy.prefixes + ["topic.creation."]).contains(where: key.hasPrefix)
    }

    /// Dead-letter records are produced to their topic.
    public var keepsDeadLetters: Bool { true }

    /// Kafka's groups live on the cluster: nothing to prepare.
    public func expectGroup(_ group: String, subscription: Subscription) {}

    /// The group's committed positions on every topic the cluster has (what Kafka Connect's
    /// `GET /connectors/{name}/offsets` shows for a sink).
    public func committedOffsets(group: String) async throws -> [TopicPartition: Int64] {
        let properties = internalProperties
        return try await offThread {
            let consumer = try KafkaConsumer(properties: properties.merging(["group.id": group]) { $1 })
            defer { consumer.close() }
            let all = try consumer.allPartitions()
            let committed = try consumer.committed(all)
            var out: [TopicPartition: Int64] = [:]
            for (p, offset) in committed where offset >= 0 { out[TopicPartition(topic: p.topic, partition: p.partition)] = offset }
            return out
        }
    }

    /// Sets (a position) or deletes (nil) the group's committed offsets; the group must have no
    /// active member, as Kafka requires.
    public func alterCommittedOffsets(group: String, _ offsets: [TopicPartition: Int64?]) async throws {
        let properties = internalProperties
        try await offThread {
            let consumer = try KafkaConsumer(properties: properties.merging(["group.id": group]) { $1 })
            defer { consumer.close() }
            var set: [KafkaPartition: Int64] = [:]
            var delete: [KafkaPartition] = []
            for (tp, offset) in offsets {
                let p = KafkaPartition(topic: tp.topic, partition: tp.partition)
                if let offset { set[p] = offset } else { delete.append(p) }
            }
            try consumer.commit(set)
            if !delete.isEmpty { try consumer.deleteCommittedOffsets(group: group, delete) }
        }
    }

    public func deleteGroup(_ group: String) async throws {
        let properties = internalProperties
        try await offThread {
            let consumer = try KafkaConsumer(properties: properties, requireGroup: false)
            defer { consumer.close() }
            try consumer.deleteGroup(group)
        }
    }

    public func shutdown() {}
}

/// Runs blocking librdkafka work on a thread of its own (admin calls come from the herder, which
/// may be on Swift's cooperative pool).
func offThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// A worker's producer over ``KafkaProducer``: acknowledges each record's `RecordDelivery` from
/// its delivery report.
final class KafkaTransportProducer: TransportProducer {
    let producer: KafkaProducer
    private let partitionCounts = Mutex<[String: Int32]>([:])

    private let topicCreation: TopicCreation?
    /// Topics this producer created or found (Kafka Connect's `TopicCreation` cache).
    private let knownTopics = Mutex<Set<String>>([])

    init(properties: [String: String], topicCreation: TopicCreation?) throws {
        // Delivery reports come a produce response at a time: acknowledged as one batch.
        producer = try KafkaProducer(properties: properties) { reports in
            RecordDelivery.succeeded(tokens: reports.succeeded, positions: reports.positions)
            for (token, error) in reports.failed { RecordDelivery.failed(token: token, error) }
        }
        self.topicCreation = topicCreation
    }

    /// Before a topic's first record: creates it when the connector asks for topic creation, and
    /// reads its metadata (and caches its partition count) — without that, librdkafka learns of a
    /// new topic only at its next periodic metadata scan, up to a second later.
    private func ensureTopic(_ topic: String) throws {
        guard !knownTopics.withLock({ $0.contains(topic) }) else { return }
        if let topicCreation { _ = try producer.createTopic(topicCreation.newTopic(topic)) }
        if let n = try? producer.partitionCount(topic) { partitionCounts.withLock { $0[topic] = n } }
        knownTopics.withLock { _ = $0.insert(topic) }
    }

    private func partitions(_ topic: String) throws -> Int32 {
        if let n = partitionCounts.withLock({ $0[topic] }) { return n }
        let n = try producer.partitionCount(topic)
        partitionCounts.withLock { $0[topic] = n }
        return n
    }

    func send(_ records: [OutgoingRecord]) throws {
        // The records are read in place (no copy of each); the topic's handle is looked up once per
        // run of records for it.
        try records.withUnsafeBufferPointer { batch in
            var topic: KafkaProducer.Topic?
            for i in batch.indices {
                do {
                    if topic?.name != batch[i].topic {
                        try ensureTopic(batch[i].topic)
                        topic = try producer.topic(batch[i].topic)
                    }
                    let partition: Int32
                    if let p = batch[i].partition {
                        partition = p
                    } else if let key = batch[i].record.key {
                        partition = JavaPartitioner.partition(forKey: key, partitions: try partitions(batch[i].topic))
                    } else {
                        partition = -1  // RD_KAFKA_PARTITION_UA: librdkafka's partitioner
                    }
                    let headers = batch[i].record.headers.isEmpty ? [] : batch[i].record.headers.map { ($0.key, $0.value) }
                    let (to, record, token) = (topic!, batch[i].record, batch[i].delivery.token)
                    // Only this task produces through this producer: its queue can only shrink meanwhile.
                    var queueWasEmpty = false
                    while let refused = Self.produce(producer, to, partition, record, headers, token) {
                        if refused.code == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue && !queueWasEmpty {
                            // librdkafka's buffer is full (`producer.buffer.memory`): wait for delivery reports
                            // to free it, as Kafka Connect's producer blocks (its `max.block.ms` is unbounded) —
                            // unless nothing is queued any more: then one more try, and a record refused by an
                            // empty queue is larger than the whole buffer. Runs on the calling task's own
                            // thread (its send stage, or the task's); a stop cancels the wait (at
                            // task.shutdown.graceful.timeout.ms).
                            if Task.isCancelled { throw refused }
                            queueWasEmpty = producer.outstanding == 0
                            if !queueWasEmpty { usleep(1000) }
                            continue
                        }
                        // What Java's producer hands to the record's callback (an ApiException) fails
                        // that record's delivery: the task fails on it, or skips it with
                        // errors.tolerance=all, and the batch goes on. Anything else fails the task.
                        guard let failure = Self.recordRefusal(refused, record) else { throw refused }
                        batch[i].delivery.failed(failure)
                        break
                    }
                } catch {
                    // This record was refused at once (librdkafka, topic creation): the ones before it are on their way.
                    throw PartialSendError(handedOver: i, cause: error)
                }
            }
        }
    }

    /// The error a refusal of this one record stands for, when it is about the record (as Java's
    /// producer reports through the record's callback): too large (`max.request.size`, or larger than
    /// the whole buffer — librdkafka says "queue full" with nothing queued), or a partition or topic
    /// the cluster does not have. Nil for a refusal of the producer itself.
    static func recordRefusal(_ refused: KafkaError, _ record: TopicRecord) -> KafkaError? {
        switch refused.code {
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION.rawValue, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC.rawValue:
            return refused
        case RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue:
            let size = (record.key?.count ?? 0) + (record.value?.count ?? 0)
            return KafkaError(code: refused.code, message: "The message is \(size) bytes which is larger than the total memory buffer you have configured with the buffer.memory configuration (\(refused.message))")
        default:
            return nil
        }
    }

    /// Produces one record; librdkafka's refusal, if it refused it.
    private static func produce(
        _ producer: KafkaProducer, _ topic: KafkaProducer.Topic, _ partition: Int32, _ record: TopicRecord, _ headers: [(String, [UInt8]?)],
        _ token: AnyObject?
    ) -> KafkaError? {
        do {
            try withOptionalBytes(record.key) { (k) throws(KafkaError) in
                try withOptionalBytes(record.value) { (v) throws(KafkaError) in
                    try producer.send(to: topic, partition: partition, keyBytes: k, valueBytes: v, headers: headers, timestamp: record.timestamp ?? 0, token: token)
                }
            }
            return nil
        } catch {
            return error
        }
    }

    func flush(until deadline: ContinuousClock.Instant) async -> Bool {
        let left = deadline - ContinuousClock.now
        return (try? producer.flush(timeout: max(left, .zero))) != nil
    }

    func close() { producer.close() }
}

/// A worker's group consumer over ``KafkaConsumer``: one event per poll — revocations, then
/// assignments, then records, in the order the coordinator and the broker gave them.
final class KafkaTransportConsumer: TransportConsumer, @unchecked Sendable {
    private let consumer: KafkaConsumer
    private struct State {
        var pending: [ConsumerEvent] = []
        var assignment: Set<TopicPartition> = []
        /// A subscription librdkafka refused, thrown by the next poll (the SPI's subscribe cannot throw).
        var subscribeError: KafkaError?
    }
    private let state = Mutex(State())

    init(properties: [String: String]) throws {
        consumer = try KafkaConsumer(properties: properties)
    }

    func subscribe(_ subscription: Subscription) {
        do {
            switch subscription {
            case .topics(let names): try consumer.subscribe(names.sorted())
            case .pattern(let regex): try consumer.subscribe(["^(" + regex + ")$"])  // whole-name match, as Java's
            }
        } catch {
            state.withLock { $0.subscribeError = error }
        }
    }

    func poll(max: Int, timeout: Duration) async throws -> ConsumerEvent {
        if let e = state.withLock({ $0.subscribeError }) { throw e }
        if let next = state.withLock({ $0.pending.isEmpty ? nil : $0.pending.removeFirst() }) { return next }
        let (records, rebalances) = try consumer.poll(max: max, timeout: timeout)
        var events: [ConsumerEvent] = []
        // Records read before a rebalance belong to the old assignment: they come first.
        if !records.isEmpty {
            events.append(.records(records.map { r in
                ConsumedRecord(
                    topic: r.topic, partition: r.partition, offset: r.offset,
                    record: TopicRecord(
                        key: r.key, value: r.value, headers: r.headers.map { TopicRecord.Header(key: $0.key, value: $0.value) },
                        timestamp: r.timestamp >= 0 ? r.timestamp : nil))
            }))
        }
        for r in rebalances {
            switch r {
            case .revoked(let ps): events.append(.revoked(ps.map { TopicPartition(topic: $0.topic, partition: $0.partition) }))
            case .assigned(let ps): events.append(.assigned(ps.map { TopicPartition(topic: $0.topic, partition: $0.partition) }))
            }
        }
        return state.withLock { s -> ConsumerEvent in
            for e in events {
                switch e {
                case .revoked(let ps): s.assignment.subtract(ps)
                case .assigned(let ps): s.assignment.formUnion(ps)
                default: break
                }
            }
            s.pending += events
            return s.pending.isEmpty ? .records([]) : s.pending.removeFirst()
        }
    }

    var assignment: Set<TopicPartition> { state.withLock { $0.assignment } }

    func pause(_ partitions: Set<TopicPartition>) { consumer.pause(partitions.map { KafkaPartition(topic: $0.topic, partition: $0.partition) }) }
    func resume(_ partitions: Set<TopicPartition>) { consumer.resume(partitions.map { KafkaPartition(topic: $0.topic, partition: $0.partition) }) }

    func seek(_ positions: [TopicPartition: Int64]) {
        var p: [KafkaPartition: Int64] = [:]
        for (tp, o) in positions { p[KafkaPartition(topic: tp.topic, partition: tp.partition)] = o }
        consumer.seek(p)
    }

    func commit(_ positions: [TopicPartition: Int64]) async throws {
        var p: [KafkaPartition: Int64] = [:]
        for (tp, o) in positions { p[KafkaPartition(topic: tp.topic, partition: tp.partition)] = o }
        try consumer.commit(p)
    }

    func wakeup() { consumer.wakeup() }

    func close() { consumer.close() }
}

/// An exactly-once source task's producer: a transactional ``KafkaTransportProducer`` whose
/// commits carry the task's offsets into the offsets topic (``KafkaOffsetStore``).
final class KafkaTransactionalProducer: TransactionalProducer {
    private let base: KafkaTransportProducer
    private let store: KafkaOffsetStore

    init(base: KafkaTransportProducer, store: KafkaOffsetStore) {
        self.base = base
        self.store = store
    }

    func send(_ records: [OutgoingRecord]) throws { try base.send(records) }
    func flush(until deadline: ContinuousClock.Instant) async -> Bool { await base.flush(until: deadline) }
    func close() { base.close() }
    func beginTransaction() throws { try base.producer.beginTransaction() }
    func abortTransaction() throws { try base.producer.abortTransaction() }

    func commitTransaction(connector: String, offsets: SourceOffsets) throws {
        do {
            try store.commitInTransaction(connector: connector, offsets: offsets, producer: base.producer) { try base.producer.commitTransaction() }
        } catch {
            try? base.producer.abortTransaction()
            throw error
        }
    }
}
