import ConnectKit
import Synchronization

/// Delivers source records to the sink tasks subscribed to their topics — in-process, without a
/// broker and without serialization (the embedded "direct" mode).
///
/// Each in-memory topic has `partitions` partitions; a record goes to the partition it names, else
/// to its key's hash, else round-robin. Within a sink connector, partition `p` of every topic goes
/// to task `p % tasks`.
///
/// A record for a topic that no sink connector reads is *held* (as Kafka would keep it in the
/// topic): it stays unacknowledged, so its source offset is not committed and the source's
/// in-flight limit bounds how many wait; a sink connector added later for that topic receives them.
final class Router: Sendable {
    struct SinkTarget: Sendable {
        let connector: String
        let subscription: Subscription
        let queues: [DeliveryQueue]
    }

    private struct State {
        var targets: [SinkTarget] = []
        /// Receivers per topic-partition, computed once per set of targets.
        var receivers: [TopicPartition: [DeliveryQueue]] = [:]
        /// Records of topics no target reads, in the order they came, by topic.
        var held: [String: [Delivery]] = [:]
    }

    let partitions: Int32
    private let state = Mutex(State())
    private let roundRobin = Atomic<Int>(0)
    /// What is held, per source task and topic.
    let held: HeldRecords

    init(partitions: Int, held: HeldRecords = HeldRecords()) {
        self.partitions = Int32(max(1, partitions))
        self.held = held
    }

    /// Adds a sink connector's queues, or replaces them (a restart with a new number of tasks).
    /// Records held for topics it reads are handed to it.
    func setTarget(_ target: SinkTarget) {
        let released = state.withLock { s -> [Delivery] in
            s.targets.removeAll { $0.connector == target.connector }
            s.targets.append(target)
            s.receivers = [:]
            var out: [Delivery] = []
            for topic in s.held.keys.sorted() where Self.reads(target, topic) {
                for d in s.held.removeValue(forKey: topic) ?? [] {
                    held.release(d.tracker, topic: topic)
                    out.append(d)
                }
            }
            return out
        }
        if !released.isEmpty { deliver(released, to: [target]) }
    }

    /// Stops routing to a sink connector (it was deleted).
    func removeTarget(_ connector: String) {
        state.withLock { s in
            s.targets.removeAll { $0.connector == connector }
            s.receivers = [:]
        }
    }

    private static func reads(_ t: SinkTarget, _ topic: String) -> Bool { t.subscription.matches(topic) }

    /// Picks the record's partition (written into the record) and the queues that must receive it;
    /// none when no sink connector reads the topic (then ``hold(_:)`` the record).
    func route(_ record: inout SourceRecord) -> [DeliveryQueue] {
        let p: Int32
        if let explicit = record.kafkaPartition {
            p = ((explicit % partitions) + partitions) % partitions
        } else if partitions == 1 {
            p = 0
        } else if !record.key.isNull {
            p = Int32(truncatingIfNeeded: abs(record.key.hashValue % Int(partitions)))
        } else {
            p = Int32(roundRobin.add(1, ordering: .relaxed).newValue % Int(partitions))
        }
        record.kafkaPartition = p
        return receivers(TopicPartition(topic: record.topic, partition: p))
    }

    private func receivers(_ tp: TopicPartition) -> [DeliveryQueue] {
        state.withLock { s in
            if let cached = s.receivers[tp] { return cached }
            var out: [DeliveryQueue] = []
            for t in s.targets where Self.reads(t, tp.topic) { out.append(t.queues[Int(tp.partition) % t.queues.count]) }
            s.receivers[tp] = out
            return out
        }
    }

    /// Keeps records (submitted with one placeholder receiver) of topics that no sink connector
    /// reads until one does. A target that appeared meanwhile gets them at once.
    func hold(_ deliveries: [Delivery]) {
        let (late, targets) = state.withLock { s -> ([Delivery], [SinkTarget]) in
            var late: [Delivery] = []
            for d in deliveries {
                if s.targets.contains(where: { Self.reads($0, d.record.topic) }) {
                    late.append(d)
                } else {
                    s.held[d.record.topic, default: []].append(d)
                    held.add(d.tracker, topic: d.record.topic)
                }
            }
            return (late, s.targets)
        }
        if !late.isEmpty { deliver(late, to: targets) }
    }

    /// Records that a deleted sink connector was the last to have to receive: routed to the sink
    /// connectors that read their topics now, else held.
    func rehome(_ deliveries: [Delivery]) {
        hold(deliveries)
    }

    /// Deliveries that reached a retired queue of `connector`: to its current queue for their
    /// partition. When the connector is gone it leaves them (the other sinks that receive them
    /// acknowledge them); where it was their last receiver, a record another sink already flushed is
    /// acknowledged (handing it on would give that sink a duplicate — in Kafka each sink connector's
    /// group reads on alone), and one nobody flushed is rehomed (held for the next reader of its topic).
    func redeliver(_ deliveries: [Delivery], connector: String) {
        if let target = state.withLock({ s in s.targets.first { $0.connector == connector } }) {
            var byQueue: [ObjectIdentifier: (DeliveryQueue, [Delivery])] = [:]
            for d in deliveries {
                let q = target.queues[Int(d.record.kafkaPartition ?? 0) % target.queues.count]
                byQueue[ObjectIdentifier(q), default: (q, [])].1.append(d)
            }
            for (_, (q, ds)) in byQueue { q.send(ds) }
            return
        }
        var flushedElsewhere: [Delivery] = []
        var unread: [Delivery] = []
        for d in deliveries where !d.receiverLeavesUnlessLast() {
            if d.wasFlushed {
                if d.receiverDone() { flushedElsewhere.append(d) }
            } else {
                unread.append(d)
            }
        }
        PendingRecord.acknowledgeAll(flushedElsewhere)
        rehome(unread)
    }

    /// Whether a sink connector reads the topic.
    func hasReaders(_ topic: String) -> Bool {
        state.withLock { s in s.targets.contains { Self.reads($0, topic) } }
    }

    /// Hands held records (one placeholder receiver each) to the targets that read their topics.
    private func deliver(_ deliveries: [Delivery], to targets: [SinkTarget]) {
        var byQueue: [ObjectIdentifier: (DeliveryQueue, [Delivery])] = [:]
        var orphans: [Delivery] = []
        for d in deliveries {
            let p = Int(d.record.kafkaPartition ?? 0)
            let queues = targets.filter { Self.reads($0, d.record.topic) }.map { $0.queues[p % $0.queues.count] }
            guard !queues.isEmpty else {
                orphans.append(d)
                continue
            }
            d.handOver(to: queues.count)
            for q in queues { byQueue[ObjectIdentifier(q), default: (q, [])].1.append(d) }
        }
        for (_, (q, ds)) in byQueue { q.send(ds) }
        if !orphans.isEmpty { hold(orphans) }
    }

    /// Wakes every sink so that it notices a flush request.
    func wakeSinks() {
        let targets = state.withLock { $0.targets }
        for t in targets { for q in t.queues { q.wake() } }
    }
}

extension Value {
    /// A rough size in bytes, for in-flight byte limits.
    var approximateSize: Int {
        switch self {
        case .null, .boolean, .int8: 1
        case .int16: 2
        case .int32, .float32, .date, .time: 4
        case .int64, .float64, .timestamp: 8
        case .string(let s): s.utf8.count + 16
        case .bytes(let b): b.count + 16
        case .decimal: 24
        case .array(let a): a.withUnsafeBufferPointer { Value.approximateSize(of: $0) } + 16
        case .map(let m): m.entries.reduce(16) { $0 + $1.key.approximateSize + $1.value.approximateSize }
        case .struct(let s): s.values.withUnsafeBufferPointer { Value.approximateSize(of: $0) } + 16
        }
    }

    private static func approximateSize(of values: UnsafeBufferPointer<Value>) -> Int {
        var n = 0
        for i in values.indices { n += values[i].approximateSize }
        return n
    }
}

extension SourceRecord {
    var approximateSize: Int { key.approximateSize + value.approximateSize + topic.utf8.count + 64 }
}
