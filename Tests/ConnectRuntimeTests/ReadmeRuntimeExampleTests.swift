import ConnectKit
import ConnectFile
import ConnectPlugins
import ConnectRuntime
import Foundation
import Logging
import ServiceLifecycle
import Testing
import UnixSignals

/// The README's embedding example, run for real (with temporary paths) under a ServiceGroup.
@Test func readmeEmbeddingExampleRuns() async throws {
    let dir = try temporaryDirectory("readme")
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = dir.appendingPathComponent("orders.txt").path
    let copy = dir.appendingPathComponent("copy.txt").path
    try "a\nb\nc\n".write(toFile: input, atomically: true, encoding: .utf8)
    let logger = quiet

    let worker = try Worker(config: WorkerConfig(["offset.storage.file.filename": dir.appendingPathComponent("offsets.json").path, "offset.flush.interval.ms": "50"]), registry: .standard, logger: logger)
    try worker.add(["name": "orders-in", "connector.class": "FileStreamSource", "file": input, "topic": "orders"])
    try worker.add(["name": "orders-out", "connector.class": "FileStreamSink", "file": copy, "topics": "orders"])
    let group = ServiceGroup(services: [worker], gracefulShutdownSignals: [.sigterm], logger: logger)

    let run = Task { try await group.run() }
    // An upper bound only (a loaded 2-core CI machine can starve the start for seconds).
    let deadline = ContinuousClock.now + .seconds(30)
    while (try? String(contentsOfFile: copy, encoding: .utf8)) != "a\nb\nc\n", ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(20))
    }
    await group.triggerGracefulShutdown()
    try await run.value
    #expect(try String(contentsOfFile: copy, encoding: .utf8) == "a\nb\nc\n")
    let offsets = try FileOffsetStore(path: dir.appendingPathComponent("offsets.json").path).offsets(connector: "orders-in")
    #expect(offsets[["filename": .string(input)]] == ["position": .int64(6)])
}
