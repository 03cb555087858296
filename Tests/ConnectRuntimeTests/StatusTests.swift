import ConnectKit
import ConnectFile
import ConnectPlugins
import Foundation
import Testing

@testable import ConnectRuntime

final class BrokenSource: SourceConnector {
    required init() {}
    var version: String { "test" }
    var configDef: ConfigDef { ConfigDef().define("connection.password", .password, default: .null, importance: .high, documentation: "") }
    var taskType: any SourceTask.Type { FailingPollTask.self }
    func start(_ config: [String: String]) async throws {
        if config["fail.start"] == "true" { throw DataError("cannot reach the database") }
        if let id = config["fail.first.start"] {
            Hub.shared.update(id) { $0.starts += 1 }
            if Hub.shared.get(id).starts == 1 { throw DataError("cannot reach the database yet") }
        }
    }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [[:]] }
    func stop() async throws {}
}

final class FailingPollTask: SourceTask {
    required init() {}
    var version: String { "test" }
    func start(_ config: [String: String]) async throws {}
    func poll() async throws -> [SourceRecord] { throw DataError("table orders was dropped") }
    func stop() async throws {}
}

func statusRegistry() -> PluginRegistry {
    var r = testRegistry()
    r.register(.source(BrokenSource.self), name: "Broken")
    return r
}

@Suite("Status, pause and resume", .serialized)
struct StatusTests {
    @Test func pauseStopsTheSourceAndResumeContinues() async throws {
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: statusRegistry(), logger: quiet, workerID: "127.0.0.1:8083")
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "pause-src"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "pause-sink", "topics": "numbers"])
        #expect(worker.status("count")?.state == .unassigned)
        let run = Task { try await worker.run() }
        while Hub.shared.get("pause-sink").flushed.count < 500 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(worker.status("count")?.state == .running)
        #expect(worker.status("count")?.tasks.map(\.state) == [.running])

        try await worker.herder.pauseConnector("count")
        #expect(worker.status("count")?.state == .paused)
        #expect(worker.status("count")?.tasks.map(\.state) == [.paused])
        try await Task.sleep(for: .milliseconds(200))
        let polled = Hub.shared.get("pause-src").polled
        try await Task.sleep(for: .milliseconds(300))
        #expect(Hub.shared.get("pause-src").polled == polled)  // nothing polled while paused
        // What was taken before the pause is still flushed and acknowledged (the sink catches up; on
        // a loaded machine it may take longer than the pause has lasted — 10 s is a hang detector).
        let caughtUp = ContinuousClock.now + .seconds(10)
        while Hub.shared.get("pause-sink").flushed.count < polled && ContinuousClock.now < caughtUp { try await Task.sleep(for: .milliseconds(10)) }
        #expect(Hub.shared.get("pause-sink").flushed.count == polled)
        #expect(Hub.shared.get("pause-src").polled == polled)

        try await worker.herder.resumeConnector("count")
        #expect(worker.status("count")?.state == .running)
        while Hub.shared.get("pause-src").polled < polled + 500 { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: HerderError.self) { try await worker.herder.pauseConnector("nope") }

        let json = worker.status("rec")!.json.description
        #expect(json == #"{"name":"rec","connector":{"state":"RUNNING","worker_id":"127.0.0.1:8083","version":"test"},"tasks":[{"id":0,"state":"RUNNING","worker_id":"127.0.0.1:8083","version":"test"}],"type":"sink"}"#)
        worker.stop()
        try await run.value
        #expect(worker.status("count")?.state == .unassigned)
        #expect(worker.status("count")?.tasks.map(\.state) == [.unassigned])
    }

    @Test func failuresAreVisibleWithTheirTrace() async throws {
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: statusRegistry(), logger: quiet)
        try worker.add(["name": "bad-start", "connector.class": "Broken", "fail.start": "true", "connection.password": "s3cret"])
        try worker.add(["name": "bad-poll", "connector.class": "Broken", "connection.password": "s3cret"])
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "fail-src", "count": "10"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "fail-sink", "topics": "numbers"])
        let run = Task { try await worker.run() }
        let deadline = ContinuousClock.now + .seconds(10)
        while worker.status("bad-poll")?.tasks.first?.state != .failed && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        while Hub.shared.get("fail-sink").flushed.count < 10 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }

        let start = worker.status("bad-start")!
        #expect(start.state == .failed)
        #expect(start.trace == "org.apache.kafka.connect.errors.DataException: cannot reach the database")
        #expect(start.tasks.isEmpty)
        let poll = worker.status("bad-poll")!
        #expect(poll.state == .running)
        #expect(poll.tasks.first?.state == .failed)
        #expect(poll.tasks.first?.trace == "org.apache.kafka.connect.errors.DataException: table orders was dropped")
        // The other pipeline is unaffected.
        #expect(Hub.shared.get("fail-sink").flushed == Array(0..<10))
        #expect(!worker.statuses.map { $0.json.description }.joined().contains("s3cret"))
        worker.stop()
        try await run.value
        #expect(worker.status("bad-poll")?.tasks.first?.state == .failed)
    }
}
