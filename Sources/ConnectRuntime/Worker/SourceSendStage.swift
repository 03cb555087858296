import Synchronization

/// Topic mode: where a source task's polled batches are transformed, converted and produced — on a
/// thread of their own, while the task's thread polls the next batch and commits offsets.
///
/// Kafka's `WorkerSourceTask` does both on one thread; splitting them lets a second core overlap the
/// connector's `poll` with the runtime's per-record work. Batches are sent one at a time, in the
/// order submitted; the records waiting here were already admitted by the task's
/// ``InFlightLimiter``, so the queue is bounded in records and bytes by it. The first batch that
/// throws (a converter failure errors.tolerance does not cover, a record the producer refuses)
/// stops the stage: later batches are dropped unsent — their offsets are never committed — and
/// ``throwIfFailed()`` hands the error to the task's loop, which fails the task.
final class SourceSendStage: Sendable {
    private struct State {
        /// Records submitted and not yet handed to the producer (counted in the task's active records).
        var waiting = 0
        var failure: (any Error)?
    }

    /// The state, shared with the stage's task.
    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    private let executor: ThreadExecutor
    private let continuation: AsyncStream<Batch>.Continuation
    private let task: Task<Void, Never>
    private let shared: Shared

    private struct Batch: Sendable {
        let records: Int
        let send: @Sendable () async throws -> Void
    }

    /// Starts the stage's thread (named `name`).
    init(name: String) {
        let (stream, continuation) = AsyncStream.makeStream(of: Batch.self)
        let executor = ThreadExecutor(name: name)
        let shared = Shared()
        self.shared = shared
        self.executor = executor
        self.continuation = continuation
        task = Task(executorPreference: executor) {
            for await batch in stream {
                if shared.state.withLock({ $0.failure == nil }) {
                    do { try await batch.send() } catch { shared.state.withLock { $0.failure = $0.failure ?? error } }
                }
                shared.state.withLock { $0.waiting -= batch.records }
            }
        }
    }

    /// Queues one batch of `records` records; `send` transforms, converts and produces them.
    func submit(records: Int, _ send: @escaping @Sendable () async throws -> Void) {
        shared.state.withLock { $0.waiting += records }
        continuation.yield(Batch(records: records, send: send))
    }

    /// Records submitted and not yet handed to the producer.
    var waiting: Int { shared.state.withLock { $0.waiting } }

    /// Throws the error that stopped the stage, if one did.
    func throwIfFailed() throws {
        if let error = shared.state.withLock({ $0.failure }) { throw error }
    }

    /// Sends what is queued, then stops the thread; throws the error that stopped the stage, if any.
    func finish() async throws {
        continuation.finish()
        await task.value
        executor.shutdown()
        try throwIfFailed()
    }

    /// Drops what is queued (its offsets are never committed), waits for the batch being sent, and
    /// stops the thread — after the task failed.
    func abandon() async {
        shared.state.withLock { $0.failure = $0.failure ?? CancellationError() }
        continuation.finish()
        await task.value
        executor.shutdown()
    }
}
