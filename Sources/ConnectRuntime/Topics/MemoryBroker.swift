public import ConnectKit
import Synchronization

/// Partitioned, ordered, in-memory topics with consumer groups: what topic mode uses when no Kafka
/// is configured.
///
/// Not durable — so it never acknowledges a record to its source before every consumer group that
/// reads the topic has committed past it (each sink flushed it). A source's committed offset therefore
/// never runs ahead of what its sinks flushed, across the topic, and a crash loses nothing.
/// Records are dropped from memory once every group is past them. A record of a topic that no group
/// reads is held, unacknowledged, until a group that reads the topic appears (the source's in-flight
/// limit bounds how many wait); records produced without an acknowledgement (``produce(topic:partition:_:)``)
/// to such a topic are kept up to `retention` records.
public final class MemoryBroker: RecordTransport, Sendable {
    private struct Log {
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

    private struct Group {
        var topics: Set<String>
        var pattern: String?
        var committed: [TopicPartition: Int64] = [:]

        func reads(_ topic: String) -> Bool {
            if topics.contains(topic) { return true }
            guard let pattern, !pattern.isEmpty, let regex = try? Regex(pattern) else { return false }
            return (try? regex.wholeMatch(in: topic)) != nil
        }
    }

    private struct State {
        var topics: [String: [Log]] = [:]
        var topicOrder: [String] = []
        var groups: [String: Group] = [:]
        /// Which groups read a topic (computed when the topic or group appears).
        var readers: [String: [String]] = [:]
        var roundRobin = 0
        var closed = false
        var woken: UInt64 = 0
    }

    private let state = Mutex(State())
    private let appended = AsyncSignal()
    public let defaultPartitions: Int
    public let retention: Int
    /// What is held for topics no group reads, per source task and topic.
    let held = HeldRecords()

    /// - Parameters:
    ///   - partitions: partitions of a topic created on first use.
    ///   - retention: records kept for a topic no group reads.
    public init(partitions: Int = 1, retention: Int = 10_000) {
        defaultPartitions = max(1, partitions)
        self.retention = max(0, retention)
    }

    /// Creates a topic with a number of partitions (no effect if it exists).
    public func createTopic(_ name: String, partitions: Int? = nil) {
        state.withLock { s in Self.ensure(&s, name, partitions ?? defaultPartitions) }
    }

    private static func ensure(_ s: inout State, _ topic: String, _ partitions: Int) {
        guard s.topics[topic] == nil else { return }
        s.topics[topic] = Array(repeating: Log(), count: max(1, partitions))
        s.topicOrder.append(topic)
        s.readers[topic] = s.groups.filter { $0.value.reads(topic) }.map(\.key).sorted()
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

    /// A group's committed position for a partition.
    public func committed(group: String, topic: String, partition: Int32 = 0) -> Int64? {
        state.withLock { $0.groups[group]?.committed[TopicPartition(topic: topic, partition: partition)] }
    }

    func declareGroup(_ group: String, topics: Set<String>, pattern: String?) {
        state.withLock { s in
            if s.groups[group] == nil { s.groups[group] = Group(topics: topics, pattern: pattern) }
            for t in s.topicOrder where s.groups[group]!.reads(t) && !(s.readers[t] ?? []).contains(group) {
                if (s.readers[t] ?? []).isEmpty { held.releaseAll(topic: t) }
                s.readers[t, default: []].append(group)
            }
        }
    }

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


    /// Appends records to their topics (created on first use); records of topics nobody reads are
    /// acknowledged at once.
    public func produce(topic: String, partition: Int32? = nil, _ record: TopicRecord) {
        produce([OutgoingRecord(topic: topic, partition: partition, record: record, acknowledgement: nil)])
    }

    func produce(_ batch: [OutgoingRecord]) {
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
                s.topics[r.topic]![p].acks.append(r.acknowledgement)
                if unread {
                    if let a = r.acknowledgement { held.add(a.tracker, topic: r.topic) }
                    s.topics[r.topic]![p].dropUnacknowledged(over: retention)
                }
            }
        }
        appended.signal()
    }

    /// Completes acknowledgements, one lock per source task.
    private static func complete(_ acked: [PendingRecord]) {
        guard !acked.isEmpty else { return }
        PendingRecord.acknowledgeAll(acked.filter { $0.receiverDone() })
    }

    func consumer(group: String, member: Int, members: Int) -> any TransportConsumer {
        MemoryConsumer(broker: self, group: group, member: member, members: max(1, members))
    }

    func wakeConsumers() {
        state.withLock { $0.woken &+= 1 }
        appended.signal()
    }

    func close() {
        state.withLock { $0.closed = true }
        appended.signal()
    }

    // MARK: Consumer side

    fileprivate struct Fetch {
        var records: [ConsumedRecord] = []
        var atEnd = true
        var closed = false
        var woken: UInt64 = 0
    }

    /// Reads up to `max` records from the group's partitions for this member, from `positions` (or
    /// the group's committed position, or the log start).
    fileprivate func fetch(group: String, member: Int, members: Int, positions: inout [TopicPartition: Int64], max: Int, paused: Set<TopicPartition>) -> Fetch {
        state.withLock { s in
            var out = Fetch(closed: s.closed, woken: s.woken)
            guard let g = s.groups[group] else { return out }
            for topic in s.topicOrder where (s.readers[topic] ?? []).contains(group) {
                let logs = s.topics[topic]!
                for p in logs.indices where p % members == member {
                    let tp = TopicPartition(topic: topic, partition: Int32(p))
                    let log = logs[p]
                    var pos = positions[tp] ?? g.committed[tp] ?? log.start
                    pos = Swift.max(pos, log.start)
                    if pos < log.end { out.atEnd = false }
                    if paused.contains(tp) { continue }
                    while pos < log.end && out.records.count < max {
                        let i = log.head + Int(pos - log.start)
                        out.records.append(ConsumedRecord(topic: topic, partition: Int32(p), offset: pos, record: log.records[i]))
                        pos += 1
                    }
                    positions[tp] = pos
                }
            }
            return out
        }
    }

    /// A group's committed positions (what a sink connector's offsets are).
    public func committed(group: String) -> [TopicPartition: Int64] {
        state.withLock { $0.groups[group]?.committed ?? [:] }
    }

    /// Sets (or, with nil, forgets) committed positions of a group — altering or resetting a stopped
    /// sink connector's offsets. Moving forward acknowledges what is skipped; records already
    /// dropped from memory cannot be read again.
    func setCommitted(group: String, _ positions: [TopicPartition: Int64?]) {
        var forward: [TopicPartition: Int64] = [:]
        state.withLock { s in
            guard s.groups[group] != nil else { return }
            for (tp, pos) in positions {
                if let pos { forward[tp] = pos } else { s.groups[group]!.committed[tp] = nil }
            }
        }
        if !forward.isEmpty { commit(group: group, forward) }
    }

    fileprivate func commit(group: String, _ positions: [TopicPartition: Int64]) {
        var acked: [PendingRecord] = []
        state.withLock { s in
            guard s.groups[group] != nil else { return }
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

    fileprivate var signal: AsyncSignal { appended }
}

/// One sink task's reader of a consumer group.
final class MemoryConsumer: TransportConsumer, Sendable {
    private let broker: MemoryBroker
    private let group: String
    private let member: Int
    private let members: Int
    private let positions = Mutex<[TopicPartition: Int64]>([:])
    private let lastWake = Atomic<UInt64>(0)

    fileprivate init(broker: MemoryBroker, group: String, member: Int, members: Int) {
        self.broker = broker
        self.group = group
        self.member = member
        self.members = members
    }

    func poll(max: Int, timeout: Duration, paused: Set<TopicPartition>) async -> [ConsumedRecord]? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let g = broker.signal.generation
            var pos = positions.withLock { $0 }
            let f = broker.fetch(group: group, member: member, members: members, positions: &pos, max: max, paused: paused)
            positions.withLock { $0 = pos }
            if !f.records.isEmpty { return f.records }
            if f.closed && f.atEnd { return nil }
            if lastWake.exchange(f.woken, ordering: .relaxed) != f.woken { return [] }
            let now = ContinuousClock.now
            if now >= deadline || Task.isCancelled { return [] }
            await broker.signal.wait(after: g, timeout: deadline - now)
        }
    }

    func commit(_ positions: [TopicPartition: Int64]) {
        broker.commit(group: group, positions)
    }

    func rewind() { positions.withLock { $0 = [:] } }

    func seek(_ to: [TopicPartition: Int64]) { positions.withLock { $0.merge(to) { $1 } } }
}
