import ConnectKit
import ConnectFile
import ConnectPlugins
import Foundation
import Synchronization
import Testing

@testable import ConnectRuntime

/// Counts the start and stop calls of its instances, per connector name (tests run in parallel;
/// each uses its own name).
final class CountedSource: SourceConnector {
    private static let countsByName = Mutex<[String: (connectorStarts: Int, connectorStops: Int)]>([:])
    static func counts(_ name: String) -> (connectorStarts: Int, connectorStops: Int) {
        countsByName.withLock { $0[name] ?? (0, 0) }
    }
    var config: [String: String] = [:]
    var name: String { config["name"] ?? "" }
    required init() {}
    var version: String { "test" }
    var configDef: ConfigDef { ConfigDef() }
    var taskType: any SourceTask.Type { CountingSourceTask.self }
    func start(_ config: [String: String]) async throws {
        self.config = config.merging(["hub.id": "counted", "count": "5"]) { a, _ in a }
        let name = self.name
        Self.countsByName.withLock { $0[name, default: (0, 0)].connectorStarts += 1 }
    }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [config] }
    func stop() async throws {
        let name = self.name
        Self.countsByName.withLock { $0[name, default: (0, 0)].connectorStops += 1 }
    }
}

/// The checks Kafka's worker and connectors make (ConnectorConfig, SourceConnectorConfig,
/// SinkConnectorConfig, Worker.modifyConnectorOffsets, FileStreamSourceConnector.alterOffsets), with
/// Kafka 4.3's messages (taken from its classes).
@Suite("Kafka's validations", .serialized)
struct KafkaValidationTests {
    @Test func connectorConfigKeysAreCheckedAsKafkaDoes() throws {
        let worker = try Worker(registry: .standard, logger: quiet)
        let e = #expect(throws: ConfigError.self) {
            try worker.add(["name": "a\u{1}b", "connector.class": "FileStreamSource", "topic": "t", "config.action.reload": "maybe",
                            "exactly.once.support": "maybe", "transaction.boundary": "never", "transaction.boundary.interval.ms": "-1",
                            "tasks.max.enforce": "perhaps", "topic.creation.groups": "a,a", "offsets.storage.topic": ""])
        }
        let m = Dictionary(e!.problems.map { ($0.key, $0.message) }, uniquingKeysWith: { a, b in a + " | " + b })
        #expect(m["name"] == "Invalid value a\u{1}b for configuration name: String may not contain control sequences but had the following ASCII chars: 1")
        #expect(m["config.action.reload"] == "Invalid value maybe for configuration config.action.reload: String must be one of: none, restart")
        #expect(m["exactly.once.support"] == "Invalid value maybe for configuration exactly.once.support: String must be one of (case insensitive): REQUIRED, REQUESTED")
        #expect(m["transaction.boundary"] == "Invalid value never for configuration transaction.boundary: String must be one of (case insensitive): INTERVAL, POLL, CONNECTOR")
        #expect(m["transaction.boundary.interval.ms"] == "Invalid value -1 for configuration transaction.boundary.interval.ms: Value must be at least 0")
        #expect(m["tasks.max.enforce"] == "Invalid value perhaps for configuration tasks.max.enforce: Expected value to be either true or false")
        #expect(m["topic.creation.groups"] == "Invalid value [a, a] for configuration topic.creation.groups: Duplicate alias provided.")
        #expect(m["offsets.storage.topic"] == "Invalid value  for configuration offsets.storage.topic: String must be non-empty")
        let empty = #expect(throws: ConfigError.self) { try worker.add(["name": "", "connector.class": "FileStreamSink", "topics": "t"]) }
        #expect(empty?.problems.first { $0.key == "name" }?.message == "Invalid value  for configuration name: String may not be empty")
        let both = #expect(throws: ConfigError.self) {
            try worker.add(["name": "s", "connector.class": "FileStreamSink", "topics": "t", "topics.regex": "t.*"])
        }
        #expect(both?.problems.filter { $0.message == "topics and topics.regex are mutually exclusive options, but both are set." }.map(\.key) == ["topics", "topics.regex"])
        let negate = #expect(throws: ConfigError.self) {
            try worker.add(["name": "n", "connector.class": "FileStreamSink", "topics": "t", "transforms": "r",
                            "transforms.r.type": "RegexRouter", "transforms.r.regex": "a", "transforms.r.replacement": "b", "transforms.r.negate": "true"])
        }
        #expect(negate?.problems.map(\.description) == ["transforms.r.type: Config 'transforms.r.negate' was provided but there is no config 'transforms.r.predicate' defining a predicate to be negated."])
    }

    /// Offsets of a stopped FileStreamSource: the format is checked, then the connector's own
    /// `alterOffsets` is called (Kafka's messages), and only then are offsets written.
    @Test func offsetChangesAreValidatedByTheWorkerAndTheConnector() async throws {
        let dir = try temporaryDirectory("offsets")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("in.txt").path
        try "a\nb\n".write(toFile: file, atomically: true, encoding: .utf8)
        let store = MemoryOffsetStore()
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: .standard, offsetStore: store, logger: quiet)
        try worker.add(["name": "src", "connector.class": "FileStreamSource", "file": file, "topic": "t"])
        try worker.add(["name": "stdin", "connector.class": "FileStreamSource", "topic": "t"])
        try worker.add(["name": "dst", "connector.class": "FileStreamSink", "file": dir.appendingPathComponent("out.txt").path, "topics": "t"])
        let run = Task { try await worker.run() }
        try await eventually("the source to run") { worker.status("src")?.tasks.first?.state == .running }
        try await worker.herder.stopConnector("src")
        try await worker.herder.stopConnector("stdin")
        let before = try store.offsets(connector: "src")
        func message(_ name: String = "src", _ offsets: [[String: Value]: [String: Value]?]) async -> String {
            do { return try await worker.herder.alterConnectorOffsets(name, offsets) } catch { return "\(error)" }
        }
        func message(_ partition: [String: Value], _ offset: [String: Value]) async -> String { await message("src", [partition: offset]) }
        let partition: [String: Value] = ["filename": .string(file)]
        #expect(await message(partition, ["position": .string("4")]) == "The value for the 'position' key in the offset is expected to be a Long value")
        #expect(await message(partition, ["position": .int64(-5)]) == "The value for the 'position' key in the offset should be a non-negative value")
        #expect(await message(partition, ["offset": .int64(5)]) == "Offset objects should either be null or contain the key 'position'")
        #expect(await message(["file": .string(file)], ["position": .int64(5)]) == "Partition objects should contain the key 'filename'")
        #expect(await message(partition, ["position": .map(MapValue(["nested": .int64(1)] as [String: Value]))]) == "Offsets may only contain primitive types as values, but field position contains MAP")
        #expect(await message("src", [:]) == "Partitions / offsets need to be provided for an alter offsets request")
        #expect(await message("stdin", [partition: ["position": .int64(1)] as [String: Value]])
            == "Offsets cannot be modified if the 'file' configuration is unspecified. This is because stdin is used for input and offsets are not tracked.")
        #expect(try store.offsets(connector: "src") == before, "nothing written by a refused change")
        #expect(await message(partition, ["position": .int64(2)]) == "The offsets for this connector have been altered successfully")
        #expect(try store.offset(connector: "src", partition: partition) == ["position": .int64(2)])
        #expect(try await worker.herder.resetConnectorOffsets("src") == "The offsets for this connector have been reset successfully")
        worker.stop()
        try await run.value
    }

    /// Restarting a connector after the worker stopped starts nothing (no instance is left running
    /// that nobody stops): every start has its stop.
    @Test func restartingAfterTheWorkerStoppedStartsNothing() async throws {
        var registry = testRegistry()
        registry.register(.source(CountedSource.self), name: "Counted")
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: registry, logger: quiet)
        try worker.add(["name": "c", "connector.class": "Counted"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "counted-sink", "topics": "numbers"])
        let run = Task { try await worker.run() }
        try await eventually("the connector to run") { worker.status("c")?.tasks.first?.state == .running }
        worker.stop()
        try await run.value
        await #expect(throws: HerderError.notRunning) { try await worker.herder.restartConnector("c", includeTasks: true) }
        await #expect(throws: HerderError.notRunning) { try await worker.herder.restartTask("c", 0) }
        try await Task.sleep(for: .milliseconds(200))
        let counts = CountedSource.counts("c")
        #expect(counts.connectorStarts == 1 && counts.connectorStops == 1, "\(counts)")
    }
}
