/// What a user asked of a connector — Kafka's `TargetState`: run, pause (keep the tasks, stop
/// moving records) or stop (no tasks, no instance; offsets may then be changed).
public enum TargetState: String, Sendable, Hashable {
    /// Run: records move.
    case started = "STARTED"
    /// Keep the tasks; records do not move.
    case paused = "PAUSED"
    /// No instance and no tasks.
    case stopped = "STOPPED"
}

/// One connector's life cycle, decided in one place: every event goes through a `mutating`
/// transition (called inside the connector's lock) that returns the actions to perform (outside
/// it) — the shape of swift-kafka-client's consumer state machine, with Kafka's target and status
/// states as the vocabulary. It holds no resources and does nothing itself, so every transition is
/// tested on its own (`StateMachineTests`).
///
/// An instance is identified by a generation: an event about an instance that is no longer the
/// current one (it was replaced or the connector was stopped meanwhile) is answered with stopping
/// it, never with using it — which is how a restart racing the worker's shutdown cannot leave an
/// instance running.
struct ConnectorMachine: Sendable, Equatable {
    enum Phase: Sendable, Equatable {
        /// Not started (the worker does not run yet), or stopped by the worker's shutdown.
        case unassigned
        /// The instance `generation` is being started.
        case starting
        /// The instance runs and its tasks were created.
        case running
        /// The instance failed (`trace`); its tasks may still run.
        case failed(String)
        /// The connector is stopped (target STOPPED): no instance, no tasks.
        case stopped
        /// The connector was deleted.
        case removed
    }

    enum Action: Sendable, Equatable {
        /// Start instance `generation` (on its own thread), then ask it for task configurations.
        case startInstance(generation: Int)
        /// Stop instance `generation` (it may be a stale one that just finished starting).
        case stopInstance(generation: Int)
        /// Create and start tasks from the instance's task configurations.
        case startTasks([[String: String]])
        /// Stop every task gracefully and forget them.
        case stopTasks
        /// Restart these tasks (stop a running one gracefully first).
        case restartTasks([Int])
        /// Ask the instance for task configurations again; restart the tasks when they changed.
        case reconfigure(generation: Int)
    }

    /// Why a control request cannot be carried out.
    enum Refusal: Error, Equatable {
        case notRunning
        case removed
        /// The connector's other control operation did not end in time (Kafka: "Request timed out").
        case timedOut
    }

    private(set) var target: TargetState
    private(set) var phase: Phase = .unassigned
    /// The current instance's generation (0: none yet).
    private(set) var generation = 0
    /// Whether the worker runs and is not stopping: only then are instances and tasks started.
    private(set) var accepting = false
    /// Instances started and not yet stopped: at most one once everything settled.
    private(set) var liveInstances: Set<Int> = []
    /// The task configurations of the running instance.
    private(set) var taskConfigs: [[String: String]] = []
    /// A restart of the connector is under way (its status says RESTARTING).
    private(set) var restarting = false

    init(target: TargetState = .started) { self.target = target }

    // MARK: Worker

    /// The worker runs (`workerAccepts`: it runs and is not stopping, as the worker says now):
    /// start the connector unless it is to stay stopped. A no-op when it already started, or when
    /// the worker has begun to stop meanwhile.
    mutating func workerStarted(workerAccepts: Bool = true) -> [Action] {
        guard !accepting, workerAccepts, phase != .removed else { return [] }
        accepting = true
        guard target != .stopped, phase != .removed else {
            if target == .stopped { phase = .stopped }
            return []
        }
        return startInstance()
    }

    /// The worker is stopping: stop the tasks and the instance, start nothing more.
    mutating func workerStopping() -> [Action] {
        accepting = false
        restarting = false
        var actions: [Action] = [.stopTasks]
        for g in liveInstances.sorted() { actions.append(.stopInstance(generation: g)) }
        if phase != .removed && phase != .stopped { phase = .unassigned }
        taskConfigs = []
        return actions
    }

    // MARK: Instance events

    private mutating func startInstance() -> [Action] {
        generation += 1
        phase = .starting
        return [.startInstance(generation: generation)]
    }

    /// Instance `generation` started and gave its task configurations.
    mutating func instanceStarted(generation g: Int, taskConfigs configs: [[String: String]]) -> [Action] {
        liveInstances.insert(g)
        // A stale instance (replaced, stopped or the worker stopping meanwhile) is stopped at once.
        guard g == generation, accepting, phase == .starting, target != .stopped else {
            if g == generation { restarting = false }
            return [.stopInstance(generation: g)]
        }
        phase = .running
        restarting = false
        let unchanged = configs == taskConfigs
        taskConfigs = configs
        return unchanged ? [] : [.stopTasks, .startTasks(configs)]
    }

    /// Instance `generation` failed to start (or to give task configurations).
    mutating func instanceFailed(generation g: Int, trace: String) -> [Action] {
        guard g == generation else { return [] }
        restarting = false
        guard phase == .starting else { return [] }
        phase = .failed(trace)
        restarting = false
        return []
    }

    /// Instance `generation` stopped (or was abandoned after the timeout).
    mutating func instanceStopped(generation g: Int) { liveInstances.remove(g) }

    /// The running instance raised an error (`ConnectorContext.raiseError`).
    mutating func raisedError(trace: String) {
        guard phase == .running || phase == .starting else { return }
        phase = .failed(trace)
        restarting = false
    }

    /// The instance asked for its task configurations to be read again.
    mutating func reconfigurationRequested() -> [Action] {
        guard accepting, phase == .running, target != .stopped else { return [] }
        return [.reconfigure(generation: generation)]
    }

    /// New task configurations after a reconfiguration of instance `generation`.
    mutating func reconfigured(generation g: Int, taskConfigs configs: [[String: String]]) -> [Action] {
        guard g == generation, accepting, phase == .running, configs != taskConfigs else { return [] }
        taskConfigs = configs
        return [.stopTasks, .startTasks(configs)]
    }

    // MARK: Control requests

    /// `PUT /connectors/{c}/pause`: tasks stay, records stop moving.
    mutating func pause() throws(Refusal) {
        guard phase != .removed else { throw .removed }
        if target == .started { target = .paused }
    }

    /// `PUT /connectors/{c}/resume`: records move again; a stopped connector starts again.
    mutating func resume() throws(Refusal) -> [Action] {
        guard phase != .removed else { throw .removed }
        let wasStopped = target == .stopped
        target = .started
        guard wasStopped, accepting else { return [] }
        return startInstance()
    }

    /// `PUT /connectors/{c}/stop`: tasks stop and are removed, the instance stops.
    mutating func stop() throws(Refusal) -> [Action] {
        guard phase != .removed else { throw .removed }
        target = .stopped
        restarting = false
        phase = .stopped
        taskConfigs = []
        var actions: [Action] = [.stopTasks]
        for g in liveInstances.sorted() { actions.append(.stopInstance(generation: g)) }
        generation += 1  // an instance still starting is stale now
        return actions
    }

    /// `DELETE /connectors/{c}`.
    mutating func remove() throws(Refusal) -> [Action] {
        guard phase != .removed else { throw .removed }
        let actions = try stop()
        phase = .removed
        accepting = false
        return actions
    }

    /// Kafka's restart plan (`POST /connectors/{c}/restart?includeTasks=&onlyFailed=`): the
    /// connector restarts unless `onlyFailed` and it did not fail; a task restarts when
    /// `includeTasks` and (not `onlyFailed` or it failed). `failedTasks` are the ids of FAILED tasks,
    /// `tasks` every id. Returns the plan and its actions.
    mutating func restart(
        onlyFailed: Bool, includeTasks: Bool, tasks: [Int], failedTasks: Set<Int>
    ) throws(Refusal) -> (connector: Bool, tasks: [Int], actions: [Action]) {
        guard phase != .removed else { throw .removed }
        guard accepting else { throw .notRunning }
        let failed: Bool = if case .failed = phase { true } else { false }
        let restartConnector = !onlyFailed || failed
        let restartTasks = includeTasks ? tasks.filter { !onlyFailed || failedTasks.contains($0) } : []
        var actions: [Action] = []
        if restartConnector && target != .stopped {
            restarting = true
            for g in liveInstances.sorted() { actions.append(.stopInstance(generation: g)) }
            actions += startInstance()
        }
        if !restartTasks.isEmpty && target != .stopped { actions.append(.restartTasks(restartTasks)) }
        return (restartConnector, restartTasks, actions)
    }

    // MARK: Status

    /// The connector's state as Kafka's status reports it.
    var state: ConnectorState {
        if restarting { return .restarting }
        switch phase {
        case .unassigned, .removed: return .unassigned
        case .starting: return target == .paused ? .paused : .running
        case .running: return target == .paused ? .paused : .running
        case .failed: return .failed
        case .stopped: return .stopped
        }
    }

    /// The failure trace of a FAILED connector.
    var trace: String? { if case .failed(let t) = phase { return t }; return nil }
}

/// One task's life cycle (see ``ConnectorMachine``): runs are numbered; a run that ends is
/// followed by another only when a restart asked for it and the worker still accepts work.
struct TaskMachine: Sendable, Equatable {
    enum Phase: Sendable, Equatable {
        /// Created, not started.
        case unassigned
        /// Run `run` is starting (its task's `start` has not returned).
        case starting
        case running
        /// The task failed with this trace (its run may still be finishing: see ``isActive``).
        case failed(String)
        /// Its run is asked to end (`restartAfter`: a new run follows).
        case stopping(restartAfter: Bool)
        /// The run ended and nothing follows.
        case stopped
        /// The task was removed (its connector stopped, reconfigured or deleted): nothing starts it again.
        case removed
    }

    enum Action: Sendable, Equatable {
        /// Start run `run` on the task's thread.
        case launch(run: Int)
        /// Ask the current run to end (it flushes/commits first).
        case signalStop
    }

    private(set) var phase: Phase = .unassigned
    /// The current (or last) run's number (0: none yet).
    private(set) var run = 0
    /// Whether a run is under way: launched and its loop has not returned (it may have failed and
    /// still be flushing, committing, stopping its task).
    private(set) var isActive = false
    /// Runs that got through `start` (or failed in it): restarts wait on this.
    private(set) var runsStarted = 0
    /// What the task waits on, by subject (a file, a topic), while it runs.
    private(set) var waiting: [String: String] = [:]

    private mutating func launch() -> Action {
        run += 1
        phase = .starting
        isActive = true
        waiting = [:]
        return .launch(run: run)
    }

    /// Start the task (a no-op while a run is active).
    mutating func start(accepting: Bool) -> Action? {
        guard accepting, !isActive else { return nil }
        switch phase {
        case .unassigned, .stopped, .failed: return launch()
        case .starting, .running, .stopping, .removed: return nil
        }
    }

    /// Run `r`'s task started.
    mutating func started(run r: Int) {
        guard r == run else { return }
        runsStarted += 1
        if phase == .starting { phase = .running }
    }

    /// Run `r` failed (in `start` or later) with `trace`; the run stays active until it ends.
    mutating func failed(run r: Int, trace: String) {
        guard r == run else { return }
        if phase == .starting { runsStarted += 1 }
        switch phase {
        case .stopping(restartAfter: true), .removed: return  // a restart follows anyway / nothing will
        default:
            phase = .failed(trace)
            waiting = [:]
        }
    }

    /// Ask the task to stop for good.
    mutating func stop() -> Action? {
        guard isActive else { return nil }
        if phase != .removed { phase = .stopping(restartAfter: false) }
        return .signalStop
    }

    /// The task is removed: its run (if any) stops, and nothing starts it again.
    mutating func remove() -> Action? {
        let action: Action? = isActive ? .signalStop : nil
        phase = .removed
        return action
    }

    /// Restart: a running (or failed and still finishing) task stops gracefully and runs again; a
    /// failed or stopped one starts.
    mutating func restart(accepting: Bool) -> Action? {
        guard accepting, phase != .removed else { return nil }
        if isActive {
            phase = .stopping(restartAfter: true)
            waiting = [:]
            return .signalStop
        }
        return launch()
    }

    /// Run `r` ended (its loop returned): another follows when a restart asked for it.
    mutating func runEnded(run r: Int, accepting: Bool) -> Action? {
        guard r == run else { return nil }
        isActive = false
        waiting = [:]
        switch phase {
        case .stopping(restartAfter: true) where accepting:
            return launch()
        case .failed, .removed:
            return nil
        default:
            phase = .stopped
            return nil
        }
    }

    /// Sets (or clears) one thing the task waits on.
    mutating func setWaiting(_ subject: String, _ message: String?) {
        guard phase == .running || phase == .starting else { return }
        waiting[subject] = message
    }

    /// The task's state as Kafka's status reports it, under its connector's target state.
    func state(target: TargetState) -> ConnectorState {
        switch phase {
        case .unassigned, .stopped, .removed: return .unassigned
        case .starting, .running: return target == .paused ? .paused : .running
        case .failed: return .failed
        case .stopping(let restartAfter): return restartAfter ? .restarting : .unassigned
        }
    }

    var trace: String? { if case .failed(let t) = phase { return t }; return nil }
}
