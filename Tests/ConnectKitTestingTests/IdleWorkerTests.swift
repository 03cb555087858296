import ConnectKit
import ConnectKitTesting
import Foundation
import Logging
import Synchronization
import Testing

@testable import ConnectRuntime
import ConnectPlugins

/// An idle pipeline costs ~0 CPU: once the flush interval has passed with nothing to commit, the
/// sink waits an interval (at most 500 ms at a time) again instead of waking up every millisecond.
@Test(arguments: [PipelineMode.direct, .topic])
func anIdleSinkDoesNotBusyPoll(mode: PipelineMode) async throws {
    let clock = ManualClock()
    var logger = Logger(label: "idle")
    logger.logLevel = .critical
    let worker = try Worker(config: try WorkerConfig(["pipeline.mode": mode.rawValue]), registry: .standard, logger: logger, clock: clock)
    try worker.add(["name": "idle", "connector.class": "FileStreamSink", "topics": "nothing-arrives"])
    let run = Task { try await worker.run() }
    defer { worker.stop() }
    let deadline = ContinuousClock.now + .seconds(10)
    while worker.status("idle")?.tasks.first?.state != .running && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    clock.advance(by: .seconds(61))  // past offset.flush.interval.ms (60 s): a commit with nothing to commit
    try await Task.sleep(for: .milliseconds(100))
    let before = worker.taskMetrics("idle", 0).wakeUps.load(ordering: .relaxed)
    try await Task.sleep(for: .seconds(1))
    let wakeUps = worker.taskMetrics("idle", 0).wakeUps.load(ordering: .relaxed) - before
    #expect(wakeUps <= 4, "an idle sink woke up \(wakeUps) times in one second")
    worker.stop()
    try await run.value
}
