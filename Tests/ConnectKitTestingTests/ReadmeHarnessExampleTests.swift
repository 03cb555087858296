import ConnectKit
import ConnectKitTesting
import ConnectPlugins
import Foundation
import Testing
import ConnectRuntime

// The README's "Testing a pipeline" example, verbatim (DocsTests checks that README shows exactly this).
@Test func aCrashedSinkTaskLosesNothing() async throws {
    let input = FileManager.default.temporaryDirectory.appendingPathComponent("in-\(UUID()).txt").path
    try (1...1000).map { "line \($0)" }.joined(separator: "\n").appending("\n").write(toFile: input, atomically: true, encoding: .utf8)

    let pipeline = PipelineHarness(registry: .standard)  // the real worker, in-memory topics, JSON converter
    pipeline.add(["name": "in", "connector.class": "FileStreamSource", "file": input, "topic": "lines"])
    pipeline.add(["name": "out", "connector.class": "CollectingSink", "topics": "lines"],
                 faults: [.throwOnPut(record: 700, error: InjectedFault("disk"))])  // the put holding record 700 throws
    let worker = try pipeline.start()
    try await pipeline.waitUntil("out", task: 0, is: .failed)
    try await worker.herder.restartTask("out", 0)  // returns once the new instance runs
    try await pipeline.flush { pipeline.flushed("out").count >= 1000 }  // sinks flush, sources commit
    #expect(pipeline.flushed("out").map(\.value) == (1...1000).map { .string("line \($0)") })  // every line, once
    try await pipeline.stop()
}
