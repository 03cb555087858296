import Synchronization

/// Runs one task of a connector on its own thread: the task loop, again after a restart, until the
/// task is stopped. A restart of a running task stops the current instance gracefully (sinks flush,
/// sources wait for acknowledgements and commit) and then starts a fresh one.
final class TaskRunner: Sendable {
    enum Kind: Sendable {
        case source(Worker.SourceTaskPlan)
        case sink(Worker.SinkTaskPlan)
    }

    let connector: String
    let index: Int
    let kind: Kind
    /// Set to end the current run (stop or restart); the loops check it.
    let abort = Atomic<Bool>(false)
    /// A source run that has not yet stopped polling.
    let polling = Atomic<Bool>(false)
    /// Signalled when `polling`, the running state or `runsStarted` changes.
    let changed = AsyncSignal()
    /// Runs that got through `start` (or failed in it).
    let runsStarted = Atomic<UInt64>(0)

    /// The current run's task started (or failed to).
    func didStart() {
        runsStarted.add(1, ordering: .acquiringAndReleasing)
        changed.signal()
    }
    private struct State {
        var running = false
        var restartPending = false
        var handle: Task<Void, Never>?
    }
    private let state = Mutex(State())

    init(connector: String, index: Int, kind: Kind) {
        self.connector = connector
        self.index = index
        self.kind = kind
    }

    var isRunning: Bool { state.withLock { $0.running } }

    /// Starts the task if it is not running.
    func start(_ worker: Worker) {
        let launch = state.withLock { s -> Bool in
            if s.running { return false }
            s.running = true
            return true
        }
        if launch { self.launch(worker) }
    }

    /// Restarts the task: a running one is stopped first; a failed or stopped one starts again.
    func restart(_ worker: Worker) {
        guard worker.isAcceptingWork else { return }
        let launch = state.withLock { s -> Bool in
            if s.running {
                s.restartPending = true
                abort.store(true, ordering: .releasing)
                return false
            }
            s.running = true
            return true
        }
        if launch { self.launch(worker) } else { wake(worker) }
    }

    private func launch(_ worker: Worker) {
        let executor = ThreadExecutor(name: "task-\(connector)-\(index)")
        let handle = Task(executorPreference: executor) {
            repeat {
                self.abort.store(false, ordering: .releasing)
                switch self.kind {
                case .source(let plan):
                    self.polling.store(true, ordering: .releasing)
                    await worker.runSourceTask(plan, runner: self)
                    self.polling.store(false, ordering: .releasing)
                    self.changed.signal()
                case .sink(let plan):
                    await worker.runSinkTask(plan, runner: self)
                }
            } while self.continueAfterRun(worker)
            executor.shutdown()
            self.changed.signal()
        }
        state.withLock { $0.handle = handle }
    }

    private func continueAfterRun(_ worker: Worker) -> Bool {
        state.withLock { s in
            if s.restartPending && !worker.isStopping && !Task.isCancelled {
                s.restartPending = false
                return true
            }
            s.restartPending = false
            s.running = false
            return false
        }
    }

    /// Asks the current run to end (gracefully) and waits for it until `deadline`; after that the
    /// run is cancelled and abandoned. Returns false when it was abandoned.
    @discardableResult
    func stop(_ worker: Worker, until deadline: ContinuousClock.Instant) async -> Bool {
        state.withLock { $0.restartPending = false }
        abort.store(true, ordering: .releasing)
        wake(worker)
        return await finish(until: deadline)
    }

    /// Waits for the current run to end until `deadline`; then cancels it and gives up on it (a task
    /// stuck in a blocking call cannot be stopped). Returns false when it was abandoned.
    func finish(until deadline: ContinuousClock.Instant) async -> Bool {
        if await changed.wait(until: deadline, for: { !isRunning }) { return true }
        state.withLock { $0.handle }?.cancel()
        // A task that notices cancellation gets a moment to end.
        return await changed.wait(until: ContinuousClock.now + .milliseconds(100), for: { !isRunning })
    }

    /// Waits until the source run stopped polling, at most until `deadline`.
    func waitUntilNotPolling(_ deadline: ContinuousClock.Instant) async -> Bool {
        await changed.wait(until: deadline) { !polling.load(ordering: .acquiring) }
    }

    private func wake(_ worker: Worker) {
        if case .sink(let plan) = kind { plan.queue?.wake() }
        worker.pauseChanged.signal()
        worker.broker.wakeConsumers()
    }
}
