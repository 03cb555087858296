import Synchronization

/// A wake-up signal for loops that wait for a condition: waiters sleep until the next `signal()`,
/// a deadline, or cancellation — whichever comes first. Every wait is capped, so a missed signal
/// costs at most one timeout, and cancellation always ends a wait.
package final class AsyncSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextID: UInt64 = 0
        /// Waits whose timeout or cancellation fired before they were registered.
        var firedEarly: Set<UInt64> = []
    }

    private let state = Mutex(State())

    /// A signal no one waits on yet.
    package init() {}

    /// The current generation; pass it to `wait(after:timeout:)` to not miss a signal that happens
    /// between checking a condition and waiting.
    package var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiter.
    package func signal() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.generation &+= 1
            let w = Array(s.waiters.values)
            s.waiters.removeAll()
            return w
        }
        for w in waiters { w.resume() }
    }

    /// Waits until a signal after `generation`, the timeout, or cancellation.
    package func wait(after generation: UInt64, timeout: Duration) async {
        if Task.isCancelled { return }
        let id = state.withLock { s -> UInt64? in
            if s.generation != generation { return nil }
            s.nextID &+= 1
            return s.nextID
        }
        guard let id else { return }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.resume(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.generation != generation || s.firedEarly.remove(id) != nil { return true }
                    s.waiters[id] = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            self.resume(id)
        }
        timer.cancel()
        await timer.value
        state.withLock { _ = $0.firedEarly.remove(id) }
    }

    private func resume(_ id: UInt64) {
        let c = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let c = s.waiters.removeValue(forKey: id) { return c }
            s.firedEarly.insert(id)
            return nil
        }
        c?.resume()
    }
}

extension AsyncSignal {
    /// Waits until `condition` holds, re-checking after every signal, at most until `deadline`.
    /// Returns whether the condition held.
    package func wait(until deadline: ContinuousClock.Instant, for condition: () -> Bool) async -> Bool {
        while true {
            let g = generation
            if condition() { return true }
            let now = ContinuousClock.now
            if now >= deadline || Task.isCancelled { return condition() }
            await wait(after: g, timeout: deadline - now)
        }
    }
}

/// Runs `body` in a new task (on `executor` when given) and waits for its result at most until
/// `deadline`: nil when it did not finish in time (the task is then cancelled and left behind).
func runBounded<T: Sendable>(
    until deadline: ContinuousClock.Instant, on executor: (any TaskExecutor)? = nil, _ body: @escaping @Sendable () async -> T
) async -> T? {
    let result = Mutex<T?>(nil)
    let done = AsyncSignal()
    let task = Task(executorPreference: executor) {
        let value = await body()
        result.withLock { $0 = value }
        done.signal()
    }
    if await done.wait(until: deadline, for: { result.withLock { $0 != nil } }) { return result.withLock { $0 } }
    task.cancel()
    return nil
}

/// A one-shot event: `wait()` returns once `open()` was called (at once if it was already),
/// without a timeout or periodic wake-ups.
final class Latch: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// Opens the latch: every waiter, and every later one, goes on.
    func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }

    var isOpen: Bool { state.withLock { $0.open } }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
}
