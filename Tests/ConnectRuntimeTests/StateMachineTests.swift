import ConnectKit
import Testing

@testable import ConnectRuntime

/// Every transition of the connector and task state machines, on their own (no threads, no tasks).
@Suite("Connector and task state machines")
struct StateMachineTests {
    typealias A = ConnectorMachine.Action

    func running(target: TargetState = .started) -> ConnectorMachine {
        var m = ConnectorMachine(target: target)
        _ = m.workerStarted()
        _ = m.instanceStarted(generation: 1, taskConfigs: [["t": "0"]])
        return m
    }

    @Test func theWorkerStartingStartsAnInstanceOnce() {
        var m = ConnectorMachine()
        #expect(m.state == .unassigned)
        #expect(m.workerStarted() == [.startInstance(generation: 1)])
        #expect(m.state == .running)  // starting counts as running, as Kafka reports it
        #expect(m.workerStarted() == [], "a second start while running does nothing")
        #expect(m.instanceStarted(generation: 1, taskConfigs: [["a": "1"], ["a": "2"]]) == [.stopTasks, .startTasks([["a": "1"], ["a": "2"]])])
        #expect(m.liveInstances == [1])
        #expect(m.taskConfigs.count == 2)
    }

    @Test func aStartDecidedAfterTheWorkerBeganToStopStartsNothing() {
        var m = ConnectorMachine()
        #expect(m.workerStarted(workerAccepts: false) == [])
        #expect(m.state == .unassigned && m.liveInstances.isEmpty)
    }

    @Test func anErrorRaisedDuringARestartEndsTheRestartingState() throws {
        var m = running()
        _ = try m.restart(onlyFailed: false, includeTasks: false, tasks: [], failedTasks: [])
        #expect(m.state == .restarting)
        m.raisedError(trace: "boom")
        #expect(m.state == .failed)
        #expect(m.instanceStarted(generation: 2, taskConfigs: [[:]]) == [.stopInstance(generation: 2)])
        #expect(m.state == .failed)
    }

    @Test func aStoppedTargetStaysStoppedWhenTheWorkerStarts() {
        var m = ConnectorMachine(target: .stopped)
        #expect(m.workerStarted() == [])
        #expect(m.state == .stopped)
    }

    @Test func aFailedStartIsFailedWithItsTrace() {
        var m = ConnectorMachine()
        _ = m.workerStarted()
        #expect(m.instanceFailed(generation: 1, trace: "boom") == [])
        #expect(m.state == .failed && m.trace == "boom")
        #expect(m.instanceFailed(generation: 7, trace: "stale") == [], "an old generation changes nothing")
        #expect(m.trace == "boom")
    }

    @Test func aStaleInstanceIsStoppedNotUsed() {
        var m = ConnectorMachine()
        _ = m.workerStarted()
        // Stopped while the instance was starting: when it finishes, it is stopped at once.
        _ = try? m.stop()
        #expect(m.instanceStarted(generation: 1, taskConfigs: [[:]]) == [.stopInstance(generation: 1)])
        m.instanceStopped(generation: 1)
        #expect(m.liveInstances.isEmpty)
        #expect(m.state == .stopped)
    }

    @Test func theWorkerStoppingStopsTasksAndEveryLiveInstance() {
        var m = running()
        #expect(m.workerStopping() == [.stopTasks, .stopInstance(generation: 1)])
        #expect(m.state == .unassigned)
        // A restart that began earlier and finishes now starts nothing: its instance is stopped.
        #expect(m.instanceStarted(generation: 1, taskConfigs: [[:]]) == [.stopInstance(generation: 1)])
        #expect(throws: ConnectorMachine.Refusal.notRunning) { try m.restart(onlyFailed: false, includeTasks: true, tasks: [0], failedTasks: []) }
        #expect(m.reconfigurationRequested() == [])
    }

    @Test func pauseAndResumeChangeOnlyTheTarget() throws {
        var m = running()
        try m.pause()
        #expect(m.target == .paused && m.state == .paused)
        try m.pause()  // idempotent
        #expect(try m.resume() == [])
        #expect(m.target == .started && m.state == .running)
    }

    @Test func stopRemovesTasksAndResumeStartsAFreshInstance() throws {
        var m = running()
        #expect(try m.stop() == [.stopTasks, .stopInstance(generation: 1)])
        m.instanceStopped(generation: 1)
        #expect(m.state == .stopped && m.taskConfigs.isEmpty)
        #expect(try m.stop() == [.stopTasks], "stopping again stops nothing more")
        let resumed = try m.resume()
        #expect(resumed.count == 1)
        guard case .startInstance(let g)? = resumed.first else { Issue.record("no start"); return }
        #expect(g > 1)
        #expect(m.instanceStarted(generation: g, taskConfigs: [["t": "0"]]) == [.stopTasks, .startTasks([["t": "0"]])])
        #expect(m.state == .running)
    }

    @Test func restartFollowsKafkasPlan() throws {
        var m = running()
        // Connector not failed, onlyFailed: nothing restarts.
        var plan = try m.restart(onlyFailed: true, includeTasks: false, tasks: [0, 1], failedTasks: [1])
        #expect(!plan.connector && plan.tasks.isEmpty && plan.actions.isEmpty)
        // Only the failed task.
        plan = try m.restart(onlyFailed: true, includeTasks: true, tasks: [0, 1], failedTasks: [1])
        #expect(!plan.connector && plan.tasks == [1] && plan.actions == [.restartTasks([1])])
        // Everything: the instance is replaced, then the tasks restart.
        plan = try m.restart(onlyFailed: false, includeTasks: true, tasks: [0, 1], failedTasks: [])
        #expect(plan.connector && plan.tasks == [0, 1])
        #expect(plan.actions == [.stopInstance(generation: 1), .startInstance(generation: 2), .restartTasks([0, 1])])
        #expect(m.state == .restarting)
        m.instanceStopped(generation: 1)
        // Same task configurations: the tasks are not recreated.
        #expect(m.instanceStarted(generation: 2, taskConfigs: [["t": "0"]]) == [])
        #expect(m.state == .running)
    }

    @Test func aFailedConnectorRestartsWithOnlyFailed() throws {
        var m = ConnectorMachine()
        _ = m.workerStarted()
        _ = m.instanceFailed(generation: 1, trace: "x")
        let plan = try m.restart(onlyFailed: true, includeTasks: false, tasks: [], failedTasks: [])
        #expect(plan.connector && plan.actions == [.startInstance(generation: 2)])
    }

    @Test func raisedErrorsAndReconfiguration() {
        var m = running()
        #expect(m.reconfigurationRequested() == [.reconfigure(generation: 1)])
        #expect(m.reconfigured(generation: 1, taskConfigs: [["t": "0"]]) == [], "unchanged configurations restart nothing")
        #expect(m.reconfigured(generation: 1, taskConfigs: [["t": "0"], ["t": "1"]]) == [.stopTasks, .startTasks([["t": "0"], ["t": "1"]])])
        #expect(m.reconfigured(generation: 0, taskConfigs: [[:]]) == [], "a stale instance's answer is ignored")
        m.raisedError(trace: "registry down")
        #expect(m.state == .failed && m.trace == "registry down")
    }

    @Test func aRemovedConnectorRefusesEverything() throws {
        var m = running()
        #expect(try m.remove() == [.stopTasks, .stopInstance(generation: 1)])
        #expect(throws: ConnectorMachine.Refusal.removed) { try m.pause() }
        #expect(throws: ConnectorMachine.Refusal.removed) { try m.resume() }
        #expect(throws: ConnectorMachine.Refusal.removed) { try m.stop() }
        #expect(throws: ConnectorMachine.Refusal.removed) { try m.remove() }
        #expect(throws: ConnectorMachine.Refusal.removed) { try m.restart(onlyFailed: false, includeTasks: false, tasks: [], failedTasks: []) }
    }

    // MARK: Tasks

    @Test func aTaskRunsStopsAndReportsItsState() {
        var t = TaskMachine()
        #expect(t.state(target: .started) == .unassigned)
        #expect(t.start(accepting: false) == nil, "nothing starts while the worker does not accept work")
        #expect(t.start(accepting: true) == .launch(run: 1))
        #expect(t.start(accepting: true) == nil, "already running")
        #expect(t.state(target: .started) == .running)
        t.started(run: 1)
        #expect(t.runsStarted == 1 && t.state(target: .paused) == .paused)
        t.setWaiting("file", "waiting for in.txt")
        #expect(t.waiting == ["file": "waiting for in.txt"])
        #expect(t.stop() == .signalStop)
        #expect(t.state(target: .started) == .unassigned)
        #expect(t.runEnded(run: 1, accepting: true) == nil)
        #expect(t.phase == .stopped && t.waiting.isEmpty)
        #expect(t.stop() == nil)
    }

    @Test func aRestartOfARunningTaskStopsItAndRunsAgain() {
        var t = TaskMachine()
        _ = t.start(accepting: true)
        t.started(run: 1)
        #expect(t.restart(accepting: true) == .signalStop)
        #expect(t.state(target: .started) == .restarting)
        #expect(t.runEnded(run: 1, accepting: true) == .launch(run: 2))
        t.started(run: 2)
        #expect(t.runsStarted == 2 && t.phase == .running)
        // A restart requested while the worker stops ends without a new run.
        #expect(t.restart(accepting: true) == .signalStop)
        #expect(t.runEnded(run: 2, accepting: false) == nil)
        #expect(t.phase == .stopped)
    }

    @Test func aFailedTaskStaysFailedUntilRestarted() {
        var t = TaskMachine()
        _ = t.start(accepting: true)
        t.failed(run: 1, trace: "put failed")
        #expect(t.runsStarted == 1, "a failure in start counts as the run having started")
        #expect(t.state(target: .started) == .failed && t.trace == "put failed")
        #expect(t.isActive, "the failed run still flushes and stops its task")
        #expect(t.start(accepting: true) == nil, "no second run beside it")
        #expect(t.runEnded(run: 1, accepting: true) == nil)
        #expect(t.state(target: .started) == .failed && !t.isActive)
        #expect(t.restart(accepting: false) == nil)
        #expect(t.restart(accepting: true) == .launch(run: 2))
        #expect(t.trace == nil)
        t.failed(run: 1, trace: "late report of the old run")
        #expect(t.trace == nil, "events of an old run are ignored")
    }

    @Test func aRestartOfAFailedRunStillFinishingWaitsForItsEnd() {
        var t = TaskMachine()
        _ = t.start(accepting: true)
        t.failed(run: 1, trace: "x")
        #expect(t.restart(accepting: true) == .signalStop)
        #expect(t.runEnded(run: 1, accepting: true) == .launch(run: 2))
    }

    @Test func aRemovedTaskNeverRunsAgain() {
        var t = TaskMachine()
        _ = t.start(accepting: true)
        t.started(run: 1)
        _ = t.restart(accepting: true)
        #expect(t.remove() == .signalStop, "a removal overrides a pending restart")
        #expect(t.runEnded(run: 1, accepting: true) == nil)
        #expect(t.restart(accepting: true) == nil)
        #expect(t.start(accepting: true) == nil)
        #expect(t.state(target: .started) == .unassigned)
    }

    @Test func aRunFailingWhileItsRestartIsPendingRunsAgain() {
        var t = TaskMachine()
        _ = t.start(accepting: true)
        t.started(run: 1)
        _ = t.restart(accepting: true)
        t.failed(run: 1, trace: "failed while stopping")
        #expect(t.runEnded(run: 1, accepting: true) == .launch(run: 2))
    }
}
