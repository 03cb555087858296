public import ConnectKit
import Synchronization

/// Partitioned, ordered, in-memory topics with consumer groups — the ``Transport`` topic mode uses
/// when no Kafka is configured.
///
/// Consumer groups work as Kafka's do: members join when they subscribe and leave when they close
/// (or stop polling for `maxPollInterval`); every change starts a rebalance in which each member
/// first gives up its partitions (``ConsumerEvent/revoked(_:)``: it commits and closes them), and
/// once every member has rejoined, partitions are assigned anew — by Kafka's range assignor — and
/// each member is told (``ConsumerEvent/assigned(_:)``). A topic created later that a member's
/// pattern matches starts a rebalance too. Positions start at the committed offset, else at the
/// oldest record kept (`auto.offset.reset=earliest`).
///
/// Not durable — so it never acknowledges a record to its source before every consumer group that
/// reads the topic has committed past it (each sink flushed it). A source's committed offset therefore
/// never runs ahead of what its sinks flushed, across the topic, and a crash loses nothing.
/// Records are dropped from memory once every group is past them. A record of a topic that no group
/// reads is held, unacknowledged, until a group that reads the topic appears (the source's in-flight
/// limit bounds how many wait); records produced without an acknowledgement (``produce(topic:partition:_:)``)
/// to such a topic are kept up to `retention` records.
public final class MemoryBroker: Transport, Sendable {
    struct Log {
        /// Offset of `records[head]`.
        var start: Int64 = 0
        var records: [TopicRecord] = []
        var acks: [PendingRecord?] = []
        var head = 0
        var end: Int64 { start + Int64(records.count - head) }

        mutating func drop(below offset: Int64, into acked: inout [PendingRecord]) {
            let n = Int(min(offset, end) - start)
            guard n > 0 else { return }
            for i in head..<(head + n) { if let a = acks[i] { acked.append(a) } }
            head += n
            start += Int64(n)
            if head == records.count {
                records.removeAll(keepingCapacity: true)
                acks.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 4096 {
                records.removeFirst(head)
                acks.removeFirst(head)
                head = 0
            }
        }

        /// Nobody reads this log: drops its oldest records beyond `limit` while they carry no
        /// acknowledgement (records that a source waits for are never dropped).
        mutating func dropUnacknowledged(over limit: Int) {
            var n = 0
            while end - start - Int64(n) > Int64(limit), acks[head + n] == nil { n += 1 }
            if n > 0 {
                var none: [PendingRecord] = []
                drop(below: start + Int64(n), into: &none)
            }
        }
    }

    struct Member {
        let clientID: String
        var subscription: Subscription
        /// The generation this member rejoined in (after giving up its partitions).
        var joinedGeneration: Int
        /// The generation whose assignment this member was told about.
        var assignedGeneration: Int = -1
        /// What the member owns now (told and not yet revoked).
        var owned: Set<TopicPartition> = []
        /// What it was just told to give up: it may still commit them until its next poll (Kafka's
        /// `onPartitionsRevoked` commits them).
        var revoking: Set<TopicPartition> = []
        /// Next offset to read, for owned partitions.
        var positions: [TopicPartition: Int64] = [:]
        var paused: Set<TopicPartition> = []
        var lastPoll: ContinuousClock.Instant
        var woken: Bool = false
    }

    struct Group {
        /// What the group reads (declared by ``expectGroup(_:subscription:)`` and by its members).
        var interests: Set<Subscription> = []
        var committed: [TopicPartition: Int64] = [:]
        var members: [Int: Member] = [:]
        /// Bumped by every change of members or of the topics they read.
        var generation = 0
        /// The assignment of `generation`, once every member rejoined.
        var assignment: [Int: Set<TopicPartition>]?

        func reads(_ topic: String) -> Bool { interests.contains { $0.matches(topic) } }
    }

    struct State {
        var topics: [String: [Log]] = [:]
        var topicOrder: [String] = []
        var groups: [String: Group] = [:]
        /// Which groups read a topic (computed when the topic or a group's interest appears).
        var readers: [String: [String]] = [:]
        var roundRobin = 0
        var closed = false
        var nextMemberID = 0
    }

    let state = Mutex(State())
    let changed = AsyncSignal()
    /// Partitions of a topic created on first use (`topic.partitions`).
    public let defaultPartitions: Int
    /// Records kept for a topic no group reads (`topic.memory.retention.records`).
    public let retention: Int
    /// How long a member may go without polling before the group removes it (Kafka's
    /// `max.poll.interval.ms`).
    public let maxPollInterval: Duration
    /// What is held for topics no group reads, per source task and topic.
    let held = HeldRecords()

    /// - Parameters:
    ///   - partitions: partitions of a topic created on first use.
    ///   - retention: records kept for a topic no group reads.
    ///   - maxPollInterval: how long a group member may go without polling before it is removed.
    public init(partitions: Int = 1, retention: Int = 10_000, maxPollInterval: Duration = .seconds(300)) {
        defaultPartitions = max(1, partitions)
        self.retention = max(0, retention)
        self.maxPollInterval = maxPollInterval
    }

    // MARK: Topics

    /// Creates a topic with a number of partitions (no effect if it exists).
    public func createTopic(_ name: String, partitions: Int? = nil) {
        state.withLock { s in Self.ensure(&s, name, partitions ?? defaultPartitions) }
        changed.signal()
    }

    static func ensure(_ s: inout State, _ topic: String, _ partitions: Int) {
        guard s.topics[topic] == nil else { return }
        s.topics[topic] = Array(repeating: Log(), count: max(1, partitions))
        s.topicOrder.append(topic)
        s.readers[topic] = s.groups.filter { $0.value.reads(topic) }.map(\.key).sorted()
        // Members whose subscription takes the new topic get its partitions: a rebalance.
        for (name, g) in s.groups where g.members.values.contains(where: { $0.subscription.matches(topic) }) {
            s.groups[name]!.generation += 1
            s.groups[name]!.assignment = nil
        }
    }

    /// Starts the numbering of topic partitions at these offsets (offsets an earlier run of the
    /// worker used, which a sink may have named files after): a partition that holds no record yet
    /// and starts below its offset starts at it (its topic is created when missing).
    public func continueNumbering(from next: [TopicPartition: Int64]) {
        state.withLock { s in
            for (tp, offset) in next where tp.partition >= 0 {
                Self.ensure(&s, tp.topic, max(defaultPartitions, Int(tp.partition) + 1))
                guard Int(tp.partition) < s.topics[tp.topic]!.count else { continue }
                var log = s.topics[tp.topic]![Int(tp.partition)]
                guard log.records.count == log.head, log.start < offset else { continue }
                log.start = offset
                s.topics[tp.topic]![Int(tp.partition)] = log
            }
        }
    }

    /// Topic names, in creation order.
    public var topics: [String] { state.withLock { $0.topicOrder } }

    /// Every record still held for a topic partition (for inspection and tests), with offsets.
    public func records(topic: String, partition: Int32 = 0) -> [ConsumedRecord] {
        state.withLock { s in
            guard let logs = s.topics[topic], Int(partition) < logs.count else { return [] }
            let log = logs[Int(partition)]
            return (log.head..<log.records.count).map {
                ConsumedRecord(topic: topic, partition: partition, offset: log.start + Int64($0 - log.head), record: log.records[$0])
            }
        }
    }

    /// The next offset to be written to a partition.
    public func endOffset(topic: String, partition: Int32 = 0) -> Int64 {
        state.withLock { s in s.topics[topic].flatMap { Int(partition) < $0.count ? $0[Int(partition)].end : nil } ?? 0 }
    }

    /// Whether a consumer group reads the topic.
    func hasReaders(_ topic: String) -> Bool {
        state.withLock { s in
            if let r = s.readers[topic] { return !r.isEmpty }
            return s.groups.values.contains { $0.reads(topic) }
        }
    }

    /// Topics that hold records no group reads, with how many they hold.
    public var unreadTopics: [String: Int] {
        state.withLock { s in
            var out: [String: Int] = [:]
            for t in s.topicOrder where (s.readers[t] ?? []).isEmpty {
                let n = s.topics[t]!.reduce(0) { $0 + Int($1.end - $1.start) }
                if n > 0 { out[t] = n }
            }
            return out
        }
    }

    // MARK: Producing

    /// Appends a record that nobody waits for (created on first use); a topic nobody reads keeps
    /// up to `retention` such records.
    public func produce(topic: String, partition: Int32? = nil, _ record: TopicRecord) {
        append([OutgoingRecord(topic: topic, partition: partition, record: record, delivery: .unobserved)])
    }

    func append(_ batch: [OutgoingRecord]) {
        guard !batch.isEmpty else { return }
        state.withLock { s in
            for r in batch {
                Self.ensure(&s, r.topic, defaultPartitions)
                let count = s.topics[r.topic]!.count
                let p: Int
                if let explicit = r.partition {
                    p = ((Int(explicit) % count) + count) % count
                } else if count == 1 {
                    p = 0
                } else if let key = r.record.key {
                    p = Int(UInt(bitPattern: key.hashValue) % UInt(count))
                } else {
                    s.roundRobin &+= 1
                    p = s.roundRobin % count
                }
                let unread = s.readers[r.topic]?.isEmpty ?? true
                s.topics[r.topic]![p].records.append(r.record)
                s.topics[r.topic]![p].acks.append(r.delivery.pending)
                if unread {
                    if let a = r.delivery.pending { held.add(a.tracker, topic: r.topic) }
                    s.topics[r.topic]![p].dropUnacknowledged(over: retention)
                }
            }
        }
        changed.signal()
    }

    public func makeProducer(clientID: String, connectorConfig: [String: String]) throws -> any TransportProducer { MemoryProducer(broker: self) }

    // MARK: Groups

    public func makeConsumer(group: String, clientID: String, connectorConfig: [String: String]) throws -> any TransportConsumer {
        MemoryConsumer(broker: self, group: group, clientID: clientID)
    }

    public func expectGroup(_ group: String, subscription: Subscription) {
        state.withLock { s in Self.addInterest(&s, group, subscription, held: held) }
    }

    static func addInterest(_ s: inout State, _ group: String, _ subscription: Subscription, held: HeldRecords) {
        if s.groups[group] == nil { s.groups[group] = Group() }
        s.groups[group]!.interests.insert(subscription)
        for t in s.topicOrder where subscription.matches(t) && !(s.readers[t] ?? []).contains(group) {
            if (s.readers[t] ?? []).isEmpty { held.releaseAll(topic: t) }
            s.readers[t, default: []].append(group)
        }
    }

    public func committedOffsets(group: String) async throws -> [TopicPartition: Int64] { committed(group: group) }

    /// A group's committed positions (what a sink connector's offsets are).
    public func committed(group: String) -> [TopicPartition: Int64] {
        state.withLock { $0.groups[group]?.committed ?? [:] }
    }

    /// A group's committed position for a partition.
    public func committed(group: String, topic: String, partition: Int32 = 0) -> Int64? {
        state.withLock { $0.groups[group]?.committed[TopicPartition(topic: topic, partition: partition)] }
    }

    /// The partitions each member of a group owns now, by client ID (for inspection and tests).
    public func assignments(group: String) -> [String: Set<TopicPartition>] {
        state.withLock { s in
            var out: [String: Set<TopicPartition>] = [:]
            for m in s.groups[group]?.members.values ?? [:].values { out[m.clientID] = m.owned }
            return out
        }
    }

    public func alterCommittedOffsets(group: String, _ offsets: [TopicPartition: Int64?]) async throws {
        var forward: [TopicPartition: Int64] = [:]
        try state.withLock { s throws(TransportError) in
            guard let g = s.groups[group] else { return }
            guard g.members.isEmpty else {
                throw TransportError(.groupNotEmpty, "The consumer group \(group) has active members; offsets can only be altered for an empty group")
            }
            for (tp, pos) in offsets {
                if let pos { forward[tp] = pos } else { s.groups[group]!.committed[tp] = nil }
            }
        }
        if !forward.isEmpty { try commit(group: group, forward) }
    }

    public func deleteGroup(_ group: String) async throws { removeGroup(group) }

    /// Forgets a group (its connector was deleted). Records it was the last to have to read are
    /// held again, unacknowledged, until another group reads their topic.
    func removeGroup(_ group: String) {
        var acked: [PendingRecord] = []
        state.withLock { s in
            guard s.groups.removeValue(forKey: group) != nil else { return }
            for t in s.topicOrder {
                guard var readers = s.readers[t], let i = readers.firstIndex(of: group) else { continue }
                readers.remove(at: i)
                s.readers[t] = readers
                guard !readers.isEmpty else {
                    // Nobody reads the topic now: what is left in it is held for its sources.
                    for log in s.topics[t]! { for case let a? in log.acks[log.head...] { held.add(a.tracker, topic: t) } }
                    continue
                }
                var logs = s.topics[t]!
                for p in logs.indices {
                    let tp = TopicPartition(topic: t, partition: Int32(p))
                    logs[p].drop(below: readers.map { s.groups[$0]?.committed[tp] ?? 0 }.min()!, into: &acked)
                }
                s.topics[t] = logs
            }
        }
        Self.complete(acked)
        changed.signal()
    }

    /// Ends every consumer's stream once it read what it owns (see ``Transport/shutdown()``). A
    /// broker serves one worker run: after this its consumers end at once.
    public func shutdown() {
        state.withLock { $0.closed = true }
        changed.signal()
    }

    /// Completes acknowledgements, one lock per source task.
    static func complete(_ acked: [PendingRecord]) {
        guard !acked.isEmpty else { return }
        PendingRecord.acknowledgeAll(acked.filter { $0.receiverDone() })
    }

    func commit(group: String, member: Int? = nil, _ positions: [TopicPartition: Int64]) throws(TransportError) {
        var acked: [PendingRecord] = []
        try state.withLock { s throws(TransportError) in
            guard s.groups[group] != nil else { return }
            var positions = positions
            if let member {
                // A member commits only what it owns (or is giving up): another member's partitions,
                // or a stale member's, are not its to move.
                guard let m = s.groups[group]!.members[member] else {
                    throw TransportError(.groupNotEmpty, "The consumer is no longer a member of group \(group): its commit was refused")
                }
                positions = positions.filter { m.owned.contains($0.key) || m.revoking.contains($0.key) }
            }
            for (tp, pos) in positions {
                s.groups[group]!.committed[tp] = pos
                guard let readers = s.readers[tp.topic], var logs = s.topics[tp.topic], Int(tp.partition) < logs.count else { continue }
                // Records every reader is past are delivered.
                var low = Int64.max
                for r in readers { low = Swift.min(low, s.groups[r]?.committed[tp] ?? 0) }
                logs[Int(tp.partition)].drop(below: low, into: &acked)
                s.topics[tp.topic] = logs
            }
        }
        Self.complete(acked)
    }

    /// Makes every consumer's current or next poll return early.
    func wakeConsumers() {
        state.withLock { s in
            for g in Array(s.groups.keys) { for id in Array(s.groups[g]!.members.keys) { s.groups[g]!.members[id]!.woken = true } }
        }
        changed.signal()
    }
}

/// A failure of a ``Transport``, with what kind it is.
public struct TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The consumer or producer was closed.
        case closed
        /// The operation needs a consumer group without members.
        case groupNotEmpty
        /// The transport cannot reach its servers (Kafka); trying again may help.
        case unavailable
        /// Anything else the client reports.
        case other
    }

    /// What went wrong.
    public var kind: Kind
    /// The client's message.
    public var message: String
    /// Whether trying again may succeed.
    public var isRetriable: Bool { kind == .unavailable }

    /// A failure of `kind` with `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// A source task's producer on the in-memory topics: records are appended at once and
/// acknowledged when every group reading their topic committed past them.
final class MemoryProducer: TransportProducer {
    let broker: MemoryBroker
    init(broker: MemoryBroker) { self.broker = broker }
    func send(_ records: [OutgoingRecord]) throws { broker.append(records) }
    func flush(until deadline: ContinuousClock.Instant) async -> Bool { true }
    func close() {}
}
