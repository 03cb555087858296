import ConnectKit
import ConnectKitTesting
import ConnectRuntime
import ExampleConnectors
import Foundation
import Testing

func exampleRegistry() -> PluginRegistry {
    var registry = PluginRegistry.core
    registry.register(.source(CSVDirectorySource.self), name: "CSVDirectorySource", aliases: ["com.example.CSVDirectorySource"])
    registry.register(.sink(JSONLinesSink.self), name: "JSONLinesSink", aliases: ["com.example.JSONLinesSink"])
    return registry
}

func scratchDirectory(_ name: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("example-\(name)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite("Example connectors")
struct ExampleConnectorsTests {
    /// Two CSV files read by two source tasks, written as JSON lines by the sink: every row once.
    @Test func csvFilesBecomeJSONLines() async throws {
        let input = try scratchDirectory("in")
        let output = try scratchDirectory("out")
        defer { for d in [input, output] { try? FileManager.default.removeItem(atPath: d) } }
        try "id,name\n1,ada\n2,grace\n".write(toFile: input + "/a.csv", atomically: true, encoding: .utf8)
        try "id,name\n3,edsger\n".write(toFile: input + "/b.csv", atomically: true, encoding: .utf8)
        let pipeline = PipelineHarness(registry: exampleRegistry())
        pipeline.add(["name": "csv-in", "connector.class": "CSVDirectorySource", "directory": input, "topic": "people", "tasks.max": "2"])
        pipeline.add(["name": "jsonl-out", "connector.class": "JSONLinesSink", "directory": output, "topics": "people"])
        @Sendable func lines() -> [String] {
            ((try? String(contentsOfFile: output + "/people-0.jsonl", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        let worker = try pipeline.start()
        try await pipeline.flush { lines().count >= 3 }
        #expect(worker.status("csv-in")?.tasks.count == 2)
        #expect(Set(lines()) == [#"{"id":"1","name":"ada"}"#, #"{"id":"2","name":"grace"}"#, #"{"id":"3","name":"edsger"}"#])
        try await pipeline.stop()
    }

    /// A restarted source task resumes after the last committed row; an empty directory is reported.
    @Test func theSourceResumesAfterTheCommittedRow() async throws {
        let input = try scratchDirectory("resume")
        defer { try? FileManager.default.removeItem(atPath: input) }
        let source = SourceTaskHarness(CSVDirectorySourceTask.self, config: ["directory": input, "topic": "t", "batch.size": "2"])
        try await source.start()
        #expect(try await source.poll().isEmpty)
        #expect(source.waiting == "no *.csv file in \(input) yet")
        try "n\n0\n1\n2\n3\n".write(toFile: input + "/n.csv", atomically: true, encoding: .utf8)
        let first = try await source.poll()
        #expect(first.map { $0.value.structValue?["n"] } == [.string("0"), .string("1")])
        #expect(source.waiting == nil)
        try await source.acknowledgeAll()
        try await source.restart()
        let next = try await source.poll()
        #expect(next.map { $0.value.structValue?["n"] } == [.string("2"), .string("3")])
        #expect(next.first?.sourceOffset == ["row": .int64(2)])
    }

    /// A record the sink cannot write goes to the errant record reporter; the rest is written on flush.
    @Test func theSinkReportsWhatItCannotWrite() async throws {
        let output = try scratchDirectory("sink")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let sink = SinkTaskHarness(JSONLinesSinkTask.self, config: ["directory": output])
        try await sink.start()
        try await sink.put(sink.records(topic: "t", values: [.string("a"), .null, .string("c")]))
        let beforeFlush = (try? String(contentsOfFile: output + "/t-0.jsonl", encoding: .utf8)) ?? ""
        #expect(beforeFlush.isEmpty, "written on flush, not on put")
        _ = try await sink.flush()
        #expect(try String(contentsOfFile: output + "/t-0.jsonl", encoding: .utf8) == "\"a\"\n\"c\"\n")
        #expect(sink.contextRequests.reported.map(\.record.kafkaOffset) == [1])
        try await sink.stop()
    }
}
