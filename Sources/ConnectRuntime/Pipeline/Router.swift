import ConnectKit
import Synchronization

/// Delivers source records to the sink tasks subscribed to their topics — in-process, without a
/// broker and without serialization (the embedded "direct" mode).
///
/// Each in-memory topic has `partitions` partitions; a record goes to the partition it names, else
/// to its key's hash, else round-robin. Within a sink connector, partition `p` of every topic goes
/// to task `p % tasks`.
final class Router: Sendable {
    struct SinkTarget: Sendable {
        let connector: String
        let topics: Set<String>
        let pattern: String?
        let queues: [DeliveryQueue]
    }

    private struct State {
        var targets: [SinkTarget] = []
        /// Receivers per topic-partition, computed once per set of targets.
        var receivers: [TopicPartition: [DeliveryQueue]] = [:]
    }

    let partitions: Int32
    private let state = Mutex(State())
    private let roundRobin = Atomic<Int>(0)

    init(partitions: Int) {
        self.partitions = Int32(max(1, partitions))
    }

    /// Adds a sink connector's queues, or replaces them (a restart with a new number of tasks).
    func setTarget(_ target: SinkTarget) {
        state.withLock { s in
            s.targets.removeAll { $0.connector == target.connector }
            s.targets.append(target)
            s.receivers = [:]
        }
    }

    /// Stops routing to a sink connector (it was deleted).
    func removeTarget(_ connector: String) {
        state.withLock { s in
            s.targets.removeAll { $0.connector == connector }
            s.receivers = [:]
        }
    }

    private static func reads(_ t: SinkTarget, _ topic: String) -> Bool {
        if t.topics.contains(topic) { return true }
        guard let pattern = t.pattern, !pattern.isEmpty, let regex = try? Regex(pattern) else { return false }
        return (try? regex.wholeMatch(in: topic)) != nil
    }

    /// Picks the record's partition (written into the record) and the queues that must receive it.
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
        let tp = TopicPartition(topic: record.topic, partition: p)
        return state.withLock { s in
            if let cached = s.receivers[tp] { return cached }
            var out: [DeliveryQueue] = []
            for t in s.targets where Self.reads(t, tp.topic) { out.append(t.queues[Int(p) % t.queues.count]) }
            s.receivers[tp] = out
            return out
        }
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
        case .array(let a): a.reduce(16) { $0 + $1.approximateSize }
        case .map(let m): m.entries.reduce(16) { $0 + $1.key.approximateSize + $1.value.approximateSize }
        case .struct(let s): s.values.reduce(16) { $0 + $1.approximateSize }
        }
    }
}

extension SourceRecord {
    var approximateSize: Int { key.approximateSize + value.approximateSize + topic.utf8.count + 64 }
}
