import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The names of the threads that ThreadExecutors run, by thread.
private let executorThreads = Mutex<[UInt: String]>([:])

/// A `TaskExecutor` backed by one dedicated thread.
///
/// Every connector and task runs its loop with this executor as its task-executor preference, so
/// the `nonisolated async` methods of connectors run on their own thread. A connector may therefore
/// block in a C call (sqlite3, libpq, librdkafka, curl) without taking a thread of Swift's
/// cooperative pool, which has only as many threads as cores.
public final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    /// The thread's name (`task-<connector>-<n>`, `connector-<name>`, …).
    public let name: String
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var shuttingDown = false
    private var thread: Thread?

    /// Starts the thread.
    public init(name: String) {
        self.name = name
        let t = Thread { self.runLoop() }  // the thread keeps the executor alive until shutdown()
        t.name = name
        t.stackSize = 1 << 20
        thread = t
        t.start()
    }

    /// Runs the job on this executor's thread, after the jobs before it.
    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    /// The name of the ThreadExecutor whose thread runs the caller, or nil on any other thread
    /// (Swift's cooperative pool, the main thread) — for diagnostics and tests.
    public static var currentName: String? {
        let id = UInt(pthread_self())
        return executorThreads.withLock { $0[id] }
    }

    private func runLoop() {
        let id = UInt(pthread_self())
        executorThreads.withLock { $0[id] = name }
        defer { executorThreads.withLock { _ = $0.removeValue(forKey: id) } }
        while true {
            condition.lock()
            while head == jobs.count && !shuttingDown { condition.wait() }
            if head == jobs.count && shuttingDown {
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head > 1024 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    /// Lets the thread finish the jobs already queued, then exit.
    public func shutdown() {
        condition.lock()
        shuttingDown = true
        condition.signal()
        condition.unlock()
    }
}

extension ThreadExecutor {
    /// Runs `body` in a new task whose code runs on this executor's thread.
    @discardableResult
    public func spawn<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Task<T, any Error> {
        Task(executorPreference: self) { try await body() }
    }
}
