public import ConnectRuntime
import Synchronization

/// A clock that moves only when the test says so. Give it to a ``PipelineHarness`` (or a `Worker`)
/// and `advance(by:)` past `offset.flush.interval.ms` to make sinks flush and sources commit — no
/// real waiting, no timing-dependent tests. Retry back-offs sleep on this clock too.
///
/// ```swift
/// let clock = ManualClock()
/// let pipeline = PipelineHarness(clock: clock)
/// ...
/// clock.advance(by: .seconds(60))   // one flush interval later
/// ```
public final class ManualClock: PipelineClock {
    private let state = Mutex<(now: Duration, callbacks: [@Sendable () -> Void])>((.zero, []))
    private let moved = AsyncSignalForTests()

    /// A clock at zero that moves only by ``advance(by:)``.
    public init() {}

    public var now: Duration { state.withLock { $0.now } }

    /// Moves time forward and wakes everything waiting on it.
    public func advance(by duration: Duration) {
        let callbacks = state.withLock { s in
            s.now += duration
            return s.callbacks
        }
        moved.signal()
        for c in callbacks { c() }
    }

    public func sleep(for duration: Duration) async throws {
        let deadline = now + duration
        while now < deadline {
            try Task.checkCancellation()
            await moved.wait(timeout: .milliseconds(50))
        }
    }

    public func onAdvance(_ body: @escaping @Sendable () -> Void) {
        state.withLock { $0.callbacks.append(body) }
    }
}

/// Wakes waiters on `signal()`; each wait is capped by a real-time timeout.
final class AsyncSignalForTests: Sendable {
    private let waiters = Mutex<[UInt64: CheckedContinuation<Void, Never>]>([:])
    private let nextID = Atomic<UInt64>(0)

    func signal() {
        let all = waiters.withLock { w in
            defer { w.removeAll() }
            return Array(w.values)
        }
        for c in all { c.resume() }
    }

    func wait(timeout: Duration) async {
        let id = nextID.add(1, ordering: .relaxed).newValue
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            waiters.withLock { $0[id] = c }
            Task {
                try? await Task.sleep(for: timeout)
                if let c = self.waiters.withLock({ $0.removeValue(forKey: id) }) { c.resume() }
            }
        }
    }
}
