import Synchronization

/// A lock held across suspension points: serializes the control operations of one connector
/// without blocking a thread while waiting. Waiters are served in order; a wait may give up at a
/// deadline.
final class AsyncLock: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Bool, Never>
    }

    private let state = Mutex<(locked: Bool, waiters: [Waiter], nextID: UInt64)>((false, [], 0))

    /// Waits for the lock.
    func lock() async { _ = await lock(until: nil) }

    /// Waits for the lock until `deadline` (forever when nil); false when it was not granted in time
    /// (then the caller does not hold it).
    func lock(until deadline: ContinuousClock.Instant?) async -> Bool {
        let id = state.withLock { s -> UInt64 in
            s.nextID &+= 1
            return s.nextID
        }
        let timer = deadline.map { d in
            Task { [weak self] in
                try? await Task.sleep(until: d, clock: .continuous)
                self?.giveUp(id)
            }
        }
        let granted = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            let now = state.withLock { s -> Bool in
                if !s.locked {
                    s.locked = true
                    return true
                }
                s.waiters.append(Waiter(id: id, continuation: c))
                return false
            }
            if now { c.resume(returning: true) }
        }
        timer?.cancel()
        return granted
    }

    private func giveUp(_ id: UInt64) {
        let waiter = state.withLock { s -> Waiter? in
            guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiters.remove(at: i)
        }
        waiter?.continuation.resume(returning: false)
    }

    func unlock() {
        let next = state.withLock { s -> Waiter? in
            if s.waiters.isEmpty {
                s.locked = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.continuation.resume(returning: true)
    }

    func withLock<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await lock()
        defer { unlock() }
        return try await body()
    }
}
