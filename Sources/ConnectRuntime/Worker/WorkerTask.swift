import ConnectKit
import Synchronization

/// One task of a connector (Kafka's `WorkerTask`): its ``TaskMachine`` and the runs it decides
/// on, each on a thread of its own. A restart of a running task ends the current run gracefully
/// (sinks flush, sources wait for acknowledgements and commit) and then starts a fresh instance.
final class WorkerTask: Sendable {
    enum Kind: Sendable {
        case source(Worker.SourceTaskPlan)
        case sink(Worker.SinkTaskPlan)
    }

    let connector: String
    let index: Int
    let kind: Kind
    private let state = Mutex<(machine: TaskMachine, control: RunControl?, handle: Task<Void, Never>?)>((TaskMachine(), nil, nil))
    /// Signalled whenever the machine changes (a run started, failed or ended).
    let changed = AsyncSignal()
    /// Topic mode: the consumer that joined the group when the task was created, for its first run
    /// (so that every task of a connector is a member before the group's first assignment).
    private let preparedConsumer = Mutex<(any TransportConsumer)?>(nil)

    func prepare(_ consumer: any TransportConsumer) { preparedConsumer.withLock { $0 = consumer } }

    /// The prepared consumer, once.
    func takePreparedConsumer() -> (any TransportConsumer)? { preparedConsumer.withLock { c in defer { c = nil }; return c } }

    init(connector: String, index: Int, kind: Kind) {
        self.connector = connector
        self.index = index
        self.kind = kind
    }

    var machine: TaskMachine { state.withLock { $0.machine } }
    var isSource: Bool { if case .source = kind { return true }; return false }

    /// Applies a transition and performs the action it returns. A launch's control is created in
    /// the same critical section, so that a stop right after it reaches the new run.
    func transition(_ worker: Worker, _ body: (inout TaskMachine) -> TaskMachine.Action?) {
        let kind = kind
        let (action, control) = state.withLock { s -> (TaskMachine.Action?, RunControl?) in
            let action = body(&s.machine)
            if case .launch(let run)? = action {
                s.control = RunControl(run: run, wake: {
                    if case .sink(let plan) = kind { plan.direct?.queue.wake() }
                    worker.wakeSinks()
                })
            }
            return (action, s.control)
        }
        changed.signal()
        switch action {
        case .launch?: if let control { launch(worker, control: control) }
        case .signalStop?: control?.requestStop()
        case nil: break
        }
    }

    /// The current run's task started.
    func started(run: Int) {
        state.withLock { $0.machine.started(run: run) }
        changed.signal()
    }

    /// The current run failed with `trace`.
    func failed(run: Int, trace: String) {
        state.withLock { $0.machine.failed(run: run, trace: trace) }
        changed.signal()
    }

    /// Sets (or clears) one thing the task waits on (shown in its status).
    func setWaiting(_ subject: String, _ message: String?) {
        state.withLock { $0.machine.setWaiting(subject, message) }
    }

    private func launch(_ worker: Worker, control: RunControl) {
        let executor = ThreadExecutor(name: "task-\(connector)-\(index)")
        let run = control.run
        let handle = Task(executorPreference: executor) {
            switch self.kind {
            case .source(let plan): await worker.runSourceTask(plan, task: self, control: control)
            case .sink(let plan): await worker.runSinkTask(plan, task: self, control: control)
            }
            executor.shutdown()
            // A consumer prepared for a run that failed before taking it leaves the group.
            self.takePreparedConsumer()?.close()
            self.transition(worker) { $0.runEnded(run: run, accepting: worker.isAcceptingWork) }
        }
        state.withLock { if $0.control === control { $0.handle = handle } }
    }

    /// Waits until no run is active, at most until `deadline`; then cancels the run and gives up on
    /// it (a task stuck in a blocking call cannot be stopped). Returns false when it was abandoned.
    func awaitEnd(until deadline: ContinuousClock.Instant) async -> Bool {
        if await changed.wait(until: deadline, for: { !machine.isActive }) { return true }
        state.withLock { $0.handle }?.cancel()
        // A task that notices cancellation gets a moment to end.
        return await changed.wait(until: ContinuousClock.now + .milliseconds(100), for: { !machine.isActive })
    }

    /// Asks the current run to end gracefully, without waiting.
    func requestStop(_ worker: Worker) {
        takePreparedConsumer()?.close()
        transition(worker) { $0.stop() }
    }

    /// Asks the current run to end gracefully and waits for it until `deadline`.
    @discardableResult
    func stop(_ worker: Worker, until deadline: ContinuousClock.Instant) async -> Bool {
        takePreparedConsumer()?.close()
        transition(worker) { $0.stop() }
        return await awaitEnd(until: deadline)
    }

    /// Removes the task for good (its connector stopped or was reconfigured): the current run ends
    /// gracefully, nothing restarts it; waits until `deadline`.
    @discardableResult
    func remove(_ worker: Worker, until deadline: ContinuousClock.Instant) async -> Bool {
        takePreparedConsumer()?.close()
        transition(worker) { $0.remove() }
        return await awaitEnd(until: deadline)
    }

    /// The current run's control (nil before the first run).
    var control: RunControl? { state.withLock { $0.control } }
}

/// What a task's run checks to know it should end: a stop was requested (stop or restart).
final class RunControl: Sendable {
    let run: Int
    private let stopRequested = Atomic<Bool>(false)
    private let wake: @Sendable () -> Void
    /// Whether the run is still polling (a source run; the worker's shutdown waits for it).
    let polling = Atomic<Bool>(true)
    let pollingEnded = AsyncSignal()

    init(run: Int, wake: @escaping @Sendable () -> Void) {
        self.run = run
        self.wake = wake
    }

    var isStopRequested: Bool { stopRequested.load(ordering: .acquiring) }

    func requestStop() {
        stopRequested.store(true, ordering: .releasing)
        wake()
    }

    func stoppedPolling() {
        polling.store(false, ordering: .releasing)
        pollingEnded.signal()
    }
}
