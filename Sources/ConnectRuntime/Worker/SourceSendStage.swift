import Synchronization

/// Topic mode: where a source task's polled batches are transformed, converted and produced — on a
/// thread of their own, while the task's thread polls the next batch and commits offsets.
///
/// Kafka's `WorkerSourceTask` does both on one thread; splitting them lets a second core overlap the
/// connector's `poll` with the runtime's per-record work. Batches are sent one at a time, in the
/// order submitted; the records waiting here were already admitted by the task's
/// ``InFlightLimiter``, so the queue is bounded in records and bytes by it. The first batch that
/// throws (a converter failure errors.tolerance does not cover, a record the producer refuses)
/// stops the stage: later batches are dropped unsent — their offsets are never committed, their room
/// in the limiter is given back — and ``throwIfFailed()`` hands the error to the task's loop, which
/// fails the task.
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

    private struct Batch: Sendable {
        let records: Int
        let bytes: Int
        let send: @Sendable () async throws -> Void
    }

    private let executor: ThreadExecutor
    private let continuation: AsyncStream<Batch>.Continuation
    private let task: Task<Void, Never>
    private let shared: Shared

    /// Starts the stage's thread (named `name`); `limiter` is the task's, given back the room of
    /// batches dropped after a failure.
    init(name: String, limiter: InFlightLimiter) {
        let (stream, continuation) = AsyncStream.makeStream(of: Batch.self)
        let executor = ThreadExecutor(name: name)
        let shared = Shared()
        self.shared = shared
        self.executor = executor
        self.continuation = continuation
        task = Task(executorPreference: executor) {
            for await batch in stream {
                if shared.state.withLock({ $0.failure == nil }) && !Task.isCancelled {
                    do { try await batch.send() } catch { shared.state.withLock { $0.failure = $0.failure ?? error } }
                } else {
                    // Never handed to the tracker: nothing will acknowledge these records.
                    limiter.release(records: batch.records, bytes: batch.bytes)
                }
                shared.state.withLock { $0.waiting -= batch.records }
            }
        }
    }

    /// Queues one batch of `records` records (`bytes` as admitted by the limiter); `send`
    /// transforms, converts and produces them.
    func submit(records: Int, bytes: Int, _ send: @escaping @Sendable () async throws -> Void) {
        shared.state.withLock { $0.waiting += records }
        continuation.yield(Batch(records: records, bytes: bytes, send: send))
    }

    /// Records submitted and not yet handed to the producer.
    var waiting: Int { shared.state.withLock { $0.waiting } }

    /// Whether a batch failed (the stage sends nothing more).
    var hasFailed: Bool { shared.state.withLock { $0.failure != nil } }

    /// Throws the error that stopped the stage, if one did.
    func throwIfFailed() throws {
        if let error = shared.state.withLock({ $0.failure }) { throw error }
    }

    /// Sends what is queued, then stops the thread; throws the error that stopped the stage, if any.
    /// Cancelling the caller cancels the batch being sent (a retry's back-off ends) and drops the rest.
    func finish() async throws {
        continuation.finish()
        await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
        stopped()
        try throwIfFailed()
    }

    /// Drops what is queued (its offsets are never committed), cancels the batch being sent, waits for
    /// it, and stops the thread — after the task failed.
    func abandon() async {
        shared.state.withLock { $0.failure = $0.failure ?? CancellationError() }
        continuation.finish()
        task.cancel()
        await task.value
        stopped()
    }

    /// After the stage's task ended: nothing waits any more (batches left in the stream when it was
    /// cancelled are gone), and the thread goes.
    private func stopped() {
        shared.state.withLock { $0.waiting = 0 }
        executor.shutdown()
    }
}
