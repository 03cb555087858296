import ConnectKit
import Synchronization

/// One sink task's member of a consumer group on the in-memory topics (see ``MemoryBroker`` for
/// the group protocol). All its state lives in the broker's lock.
final class MemoryConsumer: TransportConsumer {
    let broker: MemoryBroker
    let group: String
    let clientID: String
    /// The member it is in the group, its subscription and what it was last told it owns (to say
    /// what it lost when the group removed it); `closed` once it left for good.
    private let membership = Mutex<(id: Int?, subscription: Subscription?, owned: Set<TopicPartition>, closed: Bool)>((nil, nil, [], false))
    private var memberID: Int? { membership.withLock { $0.id } }

    init(broker: MemoryBroker, group: String, clientID: String) {
        self.broker = broker
        self.group = group
        self.clientID = clientID
    }

    func subscribe(_ subscription: Subscription) {
        membership.withLock { $0.subscription = subscription }
        join(subscription)
    }

    /// Joins the group (again, after the group removed it): a new member, a rebalance.
    private func join(_ subscription: Subscription) {
        let (group, clientID, held) = (group, clientID, broker.held)
        let id = broker.state.withLock { s -> Int in
            MemoryBroker.addInterest(&s, group, subscription, held: held)
            let id = s.nextMemberID
            s.nextMemberID += 1
            s.groups[group]!.members[id] = MemoryBroker.Member(
                clientID: clientID, subscription: subscription, joinedGeneration: -1, lastPoll: .now)
            s.groups[group]!.generation += 1
            s.groups[group]!.assignment = nil
            return id
        }
        membership.withLock { $0.id = id }
        broker.changed.signal()
    }

    private enum Step {
        case event(ConsumerEvent)
        case wait
        /// The group removed this member (it did not poll for `maxPollInterval`).
        case evicted
    }

    func poll(max: Int, timeout: Duration) async throws -> ConsumerEvent {
        let (known, subscription, closed) = membership.withLock { ($0.id, $0.subscription, $0.closed) }
        guard !closed else { throw TransportError(.closed, "The consumer was closed") }
        guard var id = known, let subscription else { throw TransportError(.other, "poll before subscribe") }
        let deadline = ContinuousClock.now + timeout
        while true {
            let g = broker.changed.generation
            let (step, rebalanced) = broker.state.withLock { s in Self.step(&s, group: group, member: id, max: max, interval: broker.maxPollInterval) }
            if rebalanced { broker.changed.signal() }
            switch step {
            case .event(let e):
                membership.withLock { m in
                    if case .assigned(let parts) = e { m.owned = Set(parts) }
                    if case .revoked = e { m.owned = [] }
                }
                return e
            case .evicted:
                // As Kafka's consumer does after it was removed: the partitions are lost, and it
                // joins again.
                let lost = membership.withLock { m in defer { m.owned = [] }; return m.owned }
                join(subscription)
                id = memberID ?? id
                if !lost.isEmpty { return .revoked(lost.sorted()) }
                continue
            case .wait:
                break
            }
            let now = ContinuousClock.now
            if now >= deadline || Task.isCancelled { return .records([]) }
            await broker.changed.wait(after: g, timeout: deadline - now)
        }
    }

    /// One look at the group for member `id`: give up partitions, rejoin, take an assignment, or read.
    private static func step(
        _ s: inout MemoryBroker.State, group name: String, member id: Int, max: Int, interval: Duration
    ) -> (Step, rebalanced: Bool) {
        guard var group = s.groups[name], var m = group.members[id] else { return (.evicted, false) }
        let now = ContinuousClock.now
        m.lastPoll = now
        m.revoking = []
        var rebalanced = false
        defer {
            group.members[id] = m
            s.groups[name] = group
        }
        // Members that stopped polling are removed (Kafka's max.poll.interval.ms).
        for (other, member) in group.members where other != id && now - member.lastPoll > interval {
            group.members[other] = nil
            group.generation += 1
            group.assignment = nil
            rebalanced = true
        }
        if group.generation > m.joinedGeneration {
            if !m.owned.isEmpty {
                let revoked = m.owned.sorted()
                m.revoking = m.owned
                m.owned = []
                m.positions = [:]
                return (.event(.revoked(revoked)), rebalanced)
            }
            m.joinedGeneration = group.generation
            rebalanced = true
        }
        group.members[id] = m
        if group.assignment == nil, group.members.values.allSatisfy({ $0.joinedGeneration == group.generation }) {
            group.assignment = rangeAssignment(group, topics: s.topicOrder, logs: s.topics)
        }
        if let assignment = group.assignment, m.assignedGeneration < group.generation {
            m.assignedGeneration = group.generation
            m.owned = assignment[id] ?? []
            m.positions = [:]
            return (.event(.assigned(m.owned.sorted())), rebalanced)
        }
        if group.assignment == nil {
            // Waiting for the other members to rejoin.
            return (s.closed ? .event(.endOfStream) : .wait, rebalanced)
        }
        var records: [ConsumedRecord] = []
        var atEnd = true
        for topic in s.topicOrder {
            guard let logs = s.topics[topic] else { continue }
            for p in logs.indices {
                let tp = TopicPartition(topic: topic, partition: Int32(p))
                guard m.owned.contains(tp) else { continue }
                let log = logs[p]
                var pos = Swift.max(m.positions[tp] ?? group.committed[tp] ?? log.start, log.start)
                // A paused partition is not read: at shutdown it counts as read to its end (what is
                // left in it is not acknowledged and is delivered again after a restart).
                if m.paused.contains(tp) { continue }
                if pos < log.end { atEnd = false }
                while pos < log.end && records.count < max {
                    records.append(ConsumedRecord(topic: topic, partition: Int32(p), offset: pos, record: log.records[log.head + Int(pos - log.start)]))
                    pos += 1
                }
                m.positions[tp] = pos
            }
        }
        if !records.isEmpty { return (.event(.records(records)), rebalanced) }
        if s.closed && atEnd { return (.event(.endOfStream), rebalanced) }
        if m.woken {
            m.woken = false
            return (.event(.records([])), rebalanced)
        }
        return (.wait, rebalanced)
    }

    /// Kafka's range assignor: per topic, its partitions in contiguous ranges over the members
    /// that subscribe to it, ordered by client ID (the first ones get one more when it does not divide).
    static func rangeAssignment(_ group: MemoryBroker.Group, topics: [String], logs: [String: [MemoryBroker.Log]]) -> [Int: Set<TopicPartition>] {
        var out: [Int: Set<TopicPartition>] = [:]
        for id in group.members.keys { out[id] = [] }
        for topic in topics {
            let members = group.members.filter { $0.value.subscription.matches(topic) }
                .sorted { ($0.value.clientID, $0.key) < ($1.value.clientID, $1.key) }.map(\.key)
            guard !members.isEmpty, let n = logs[topic]?.count else { continue }
            let per = n / members.count, extra = n % members.count
            for (i, member) in members.enumerated() {
                let start = i * per + Swift.min(i, extra)
                let count = per + (i < extra ? 1 : 0)
                for p in start..<(start + count) { out[member]!.insert(TopicPartition(topic: topic, partition: Int32(p))) }
            }
        }
        return out
    }

    private func withMember(_ body: (inout MemoryBroker.Member) -> Void) {
        guard let id = memberID else { return }
        let group = group
        broker.state.withLock { s in
            if var m = s.groups[group]?.members[id] {
                body(&m)
                s.groups[group]!.members[id] = m
            }
        }
    }

    var assignment: Set<TopicPartition> {
        guard let id = memberID else { return [] }
        let group = group
        return broker.state.withLock { $0.groups[group]?.members[id]?.owned ?? [] }
    }

    func pause(_ partitions: Set<TopicPartition>) { withMember { $0.paused.formUnion(partitions) } }

    func resume(_ partitions: Set<TopicPartition>) {
        withMember { $0.paused.subtract(partitions) }
        broker.changed.signal()
    }

    func seek(_ positions: [TopicPartition: Int64]) {
        withMember { m in for (tp, p) in positions where m.owned.contains(tp) { m.positions[tp] = p } }
    }

    func commit(_ positions: [TopicPartition: Int64]) async throws {
        guard let id = memberID else { throw TransportError(.closed, "The consumer is not in a group") }
        try broker.commit(group: group, member: id, positions)
    }

    func wakeup() {
        withMember { $0.woken = true }
        broker.changed.signal()
    }

    func close() {
        guard let id = membership.withLock({ m -> Int? in defer { m.id = nil; m.closed = true }; return m.id }) else { return }
        let group = group
        broker.state.withLock { s in
            guard s.groups[group]?.members.removeValue(forKey: id) != nil else { return }
            s.groups[group]!.generation += 1
            s.groups[group]!.assignment = nil
        }
        broker.changed.signal()
    }
}
