import ConnectKit
import Synchronization

/// One record on its way to a sink, with what it takes to acknowledge it.
struct Delivery: Sendable {
    let record: SourceRecord
    let ack: AckHandle
}

/// Acknowledges a source record once every sink that received it has flushed it.
final class AckHandle: Sendable {
    private let remaining: Atomic<Int>
    private let entry: SubmittedRecords.Entry
    private let tracker: SubmittedRecords
    private let limiter: InFlightLimiter
    let size: Int

    init(entry: SubmittedRecords.Entry, tracker: SubmittedRecords, limiter: InFlightLimiter, size: Int, receivers: Int) {
        self.entry = entry
        self.tracker = tracker
        self.limiter = limiter
        self.size = size
        remaining = Atomic(receivers)
        if receivers == 0 { complete() }
    }

    /// One receiver is done with the record.
    func done() {
        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { complete() }
    }

    private func complete() {
        tracker.ack(entry)
        limiter.release(records: 1, bytes: size)
    }
}

/// The queue of deliveries in front of one sink task. Unbounded by itself: the pipeline's
/// `InFlightLimiter` bounds what can be in it.
final class DeliveryQueue: Sendable {
    private let state = Mutex<(items: [Delivery], head: Int, closed: Bool)>(([], 0, false))
    private let arrived = AsyncSignal()

    func send(_ items: [Delivery]) {
        guard !items.isEmpty else { return }
        state.withLock { $0.items.append(contentsOf: items) }
        arrived.signal()
    }

    /// Wakes a waiting receiver without data (so it re-checks flush requests).
    func wake() { arrived.signal() }

    /// Ends the stream: receivers drain what is queued and then get `nil`.
    func close() {
        state.withLock { $0.closed = true }
        arrived.signal()
    }

    /// Up to `max` deliveries; waits at most `timeout` for the first one. `nil` once closed and empty.
    func receive(max: Int, timeout: Duration) async -> [Delivery]? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let g = arrived.generation
            let (batch, finished) = state.withLock { s -> ([Delivery], Bool) in
                let n = min(max, s.items.count - s.head)
                if n == 0 { return ([], s.closed) }
                let batch = Array(s.items[s.head..<(s.head + n)])
                s.head += n
                if s.head == s.items.count {
                    s.items.removeAll(keepingCapacity: true)
                    s.head = 0
                } else if s.head > 4096 {
                    s.items.removeFirst(s.head)
                    s.head = 0
                }
                return (batch, false)
            }
            if !batch.isEmpty { return batch }
            if finished { return nil }
            let now = ContinuousClock.now
            if now >= deadline || Task.isCancelled { return [] }
            await arrived.wait(after: g, timeout: deadline - now)
        }
    }
}
