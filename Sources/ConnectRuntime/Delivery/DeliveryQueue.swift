import ConnectKit
import Synchronization

/// One record on its way to a sink.
typealias Delivery = PendingRecord

/// The queue of deliveries in front of one sink task. Unbounded by itself: the pipeline's
/// `InFlightLimiter` bounds what can be in it.
final class DeliveryQueue: Sendable {
    private let state = Mutex<(items: [Delivery], head: Int, closed: Bool, woken: Bool, forward: (@Sendable ([Delivery]) -> Void)?)>(
        ([], 0, false, false, nil))
    private let arrived = AsyncSignal()

    func send(_ items: [Delivery]) {
        guard !items.isEmpty else { return }
        let forward = state.withLock { s -> (@Sendable ([Delivery]) -> Void)? in
            if let f = s.forward { return f }
            s.items.append(contentsOf: items)
            return nil
        }
        if let forward { forward(items) } else { arrived.signal() }
    }

    /// The queue is replaced (its sink's tasks changed, or its connector was deleted): what is
    /// sent to it from now on goes to `forward` (a source may have routed a batch here just before).
    func retire(forward: @escaping @Sendable ([Delivery]) -> Void) {
        state.withLock { $0.forward = forward }
    }

    /// Makes a waiting (or the next) receive return at once, empty if need be, so that the sink
    /// re-checks flush requests.
    func wake() {
        state.withLock { $0.woken = true }
        arrived.signal()
    }

    /// Removes and returns everything queued (to move it to other queues).
    func takeAll() -> [Delivery] {
        state.withLock { s in
            let all = Array(s.items[s.head...])
            s.items.removeAll()
            s.head = 0
            return all
        }
    }

    /// Whether `close()` was called.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Ends the stream: receivers drain what is queued and then get `nil`.
    func close() {
        state.withLock { $0.closed = true }
        arrived.signal()
    }

    private enum Take {
        case batch([Delivery])
        case woken
        case finished
        case empty
    }

    /// Up to `max` deliveries; waits at most `timeout` for the first one, and returns an empty batch
    /// early when woken. `nil` once closed and empty.
    func receive(max: Int, timeout: Duration) async -> [Delivery]? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let g = arrived.generation
            let take = state.withLock { s -> Take in
                let n = min(max, s.items.count - s.head)
                if n == 0 {
                    if s.woken {
                        s.woken = false
                        return .woken
                    }
                    return s.closed ? .finished : .empty
                }
                s.woken = false
                let batch = Array(s.items[s.head..<(s.head + n)])
                s.head += n
                if s.head == s.items.count {
                    s.items.removeAll(keepingCapacity: true)
                    s.head = 0
                } else if s.head > 4096 {
                    s.items.removeFirst(s.head)
                    s.head = 0
                }
                return .batch(batch)
            }
            switch take {
            case .batch(let b): return b
            case .woken: return []
            case .finished: return nil
            case .empty: break
            }
            let now = ContinuousClock.now
            if now >= deadline || Task.isCancelled { return [] }
            await arrived.wait(after: g, timeout: deadline - now)
        }
    }
}
