import Synchronization

/// Counts, per source task (its tracker) and topic, the records held unacknowledged because no
/// sink connector of this worker reads their topic — by the router in direct mode, by the
/// in-memory broker in topic mode. Source tasks read it to say what they wait on.
final class HeldRecords: Sendable {
    private let counts = Mutex<[ObjectIdentifier: [String: Int]]>([:])

    /// Records of `topic` from `tracker` are now held.
    func add(_ tracker: SubmittedRecords, topic: String, count: Int = 1) {
        guard count > 0 else { return }
        counts.withLock { $0[ObjectIdentifier(tracker), default: [:]][topic, default: 0] += count }
    }

    /// Records of `topic` are no longer held (a reader took them).
    func release(_ tracker: SubmittedRecords, topic: String, count: Int = 1) {
        counts.withLock { c in
            let id = ObjectIdentifier(tracker)
            guard let n = c[id]?[topic] else { return }
            c[id]![topic] = n > count ? n - count : nil
            if c[id]!.isEmpty { c[id] = nil }
        }
    }

    /// Every record of `topic` is no longer held.
    func releaseAll(topic: String) {
        counts.withLock { c in
            for id in Array(c.keys) {
                c[id]![topic] = nil
                if c[id]!.isEmpty { c[id] = nil }
            }
        }
    }

    /// The topics whose records from `tracker` are held, with how many.
    func topics(of tracker: SubmittedRecords) -> [String: Int] {
        counts.withLock { $0[ObjectIdentifier(tracker)] ?? [:] }
    }

    /// Forgets a source task (it ended).
    func forget(_ tracker: SubmittedRecords) {
        counts.withLock { $0[ObjectIdentifier(tracker)] = nil }
    }
}
