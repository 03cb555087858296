import ConnectKit
import Foundation
import Logging
import Testing

@testable import ConnectRuntime

/// The paths by which a pipeline could lose records without a word: a topic nobody reads, a
/// dead-letter queue in memory. Each must hold the records (no source offset committed past them)
/// and say so.
@Suite("Nothing lost, nothing silent", .serialized)
struct NothingLostTests {
    /// Source `topic=t`, sink `topics=T` (a typo): the records wait, unacknowledged, the source's
    /// offsets do not advance, the worker warns and the status says why; after the typo is fixed the
    /// data arrives. Also with a source alone.
    @Test(arguments: [PipelineMode.direct, .topic])
    func recordsOfATopicNobodyReadsAreHeldNotCommitted(mode: PipelineMode) async throws {
        let dir = try temporaryDirectory("unread-\(mode)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.txt").path
        let output = dir.appendingPathComponent("out.txt").path
        let offsetsFile = dir.appendingPathComponent("offsets.json").path
        try (0..<50).map { "line \($0)" }.joined(separator: "\n").appending("\n").write(toFile: input, atomically: true, encoding: .utf8)
        let config = try WorkerConfig(["offset.storage.file.filename": offsetsFile, "offset.flush.interval.ms": "20",
                                       "offset.flush.timeout.ms": "3000", "pipeline.mode": mode.rawValue])
        let source = ["name": "src", "connector.class": "FileStreamSource", "file": input, "topic": "t"]
        @Sendable func lines() -> [String] { ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }

        for withSink in [true, false] {
            let log = LogBox()
            let worker = try Worker(config: config, logger: log.logger(.warning))
            try worker.add(source)
            if withSink { try worker.add(["name": "dst", "connector.class": "FileStreamSink", "file": output, "topics": "T"]) }
            let started = ContinuousClock.now
            try await runWorker(worker) { worker.status("src")?.tasks.first?.waiting.isEmpty == false }
            #expect(ContinuousClock.now - started < .seconds(3), "shutdown does not wait for records nobody will acknowledge")
            let waiting = try #require(worker.status("src")?.tasks.first).waiting
            // At the end the task stopped and waits on nothing; the message was in the status while it ran.
            #expect(waiting.isEmpty)
            let warning = try #require(log.all.first { $0.contains("has no reader in this worker") })
            #expect(warning.contains("topic 't' has no reader in this worker: the records of connector 'src' for it are held"))
            #expect(warning.contains(withSink ? "(sink connectors here read: 'T' (dst))" : "(no sink connector runs here)"))
            #expect(log.all.contains { $0.contains("50 record(s) were not acknowledged before shutdown (50 of them for topics no sink connector reads: t)") })
            #expect(lines().isEmpty)
            #expect(try FileOffsetStore(path: offsetsFile).offsets(connector: "src").isEmpty, "no offset committed past records nobody took")
        }

        // The typo fixed: every line arrives, and only now the offsets advance.
        let worker = try Worker(config: config, logger: quiet)
        try worker.add(source)
        try worker.add(["name": "dst", "connector.class": "FileStreamSink", "file": output, "topics": "t"])
        try await runWorker(worker) { lines().count >= 50 }
        #expect(lines() == (0..<50).map { "line \($0)" })
        let committed = try FileOffsetStore(path: offsetsFile).offsets(connector: "src")
        #expect(committed[["filename": .string(input)]]?["position"] == .int64(Int64(try Data(contentsOf: URL(fileURLWithPath: input)).count)))
    }

    /// While it runs, the status of the waiting source task names the topic; once a sink connector
    /// for the topic is added, the held records go to it and the wait ends.
    @Test(arguments: [PipelineMode.direct, .topic])
    func aSinkAddedLaterTakesTheHeldRecords(mode: PipelineMode) async throws {
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20", "pipeline.mode": mode.rawValue,
                                                          "value.converter.schemas.enable": "false"]),
                                registry: testRegistry(), logger: quiet)
        let id = "late-\(mode)"
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": id + "-src", "count": "40"])
        let run = Task { try await worker.run() }
        try await eventually("the source to wait") { worker.status("count")?.tasks.first?.waiting.count == 1 }
        #expect(worker.status("count")?.tasks.first?.waiting.first?.hasPrefix("topic 'numbers' has no reader in this worker") == true)
        #expect(Hub.shared.get(id + "-src").committedRecords.isEmpty)
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": id, "topics": "numbers"])
        try await eventually("the late sink to flush every record") { Hub.shared.get(id).flushed.count >= 40 }
        #expect(Hub.shared.get(id).flushed == Array(0..<40))
        try await eventually("every offset committed") { Hub.shared.get(id + "-src").committedRecords.count >= 40 }
        try await eventually("the wait to end") { worker.status("count")?.tasks.first?.waiting == [] }
        worker.stop()
        try await run.value
    }
}

extension NothingLostTests {
    /// A sink stuck in `put` (a blocking call that ignores cancellation) cannot hold shutdown
    /// forever: after `task.shutdown.graceful.timeout.ms` + `offset.flush.timeout.ms` the worker
    /// gives up on it, says which task it abandoned, and returns; nothing it took is acknowledged.
    @Test func shutdownIsBoundedAndSaysWhatItAbandoned() async throws {
        let log = LogBox()
        let store = MemoryOffsetStore()
        let worker = try Worker(config: try WorkerConfig(["task.shutdown.graceful.timeout.ms": "300", "offset.flush.timeout.ms": "200",
                                                          "offset.flush.interval.ms": "20"]),
                                registry: testRegistry(), offsetStore: store, logger: log.logger(.warning))
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "hang-src", "count": "10"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "hang-sink", "mode": "hang", "topics": "numbers"])
        let run = Task { try await worker.run() }
        try await eventually("the sink to hang in put") { Hub.shared.get("hang-sink").putCalls >= 1 }
        let stopping = ContinuousClock.now
        worker.stop()
        try await run.value
        let took = ContinuousClock.now - stopping
        Hub.shared.update("hang-sink") { $0.failures = 1 }  // let the stuck thread go
        #expect(took < .seconds(2), "shutdown took \(took)")
        #expect(worker.abandoned == ["rec-0"])
        #expect(log.all.contains { $0.contains("Graceful stop of rec-0 failed") && $0.contains("abandoned") })
        #expect(try store.offsets(connector: "count").isEmpty)
    }
}
