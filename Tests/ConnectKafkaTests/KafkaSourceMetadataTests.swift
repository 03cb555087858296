import ConnectKit
import ConnectRuntime
import Foundation
import Logging
import Synchronization
import Testing

@testable import ConnectKafka

/// A source of `count` numbered records to `topic`; every `commitRecord` call is noted.
final class MetadataRecordingSource: SourceTask {
    static let committed = Mutex<[(value: String, metadata: RecordMetadata?)]>([])
    private var next = 0
    private var count = 0
    private var topic = ""
    required init() {}
    var version: String { "test" }
    func start(_ config: [String: String]) async throws {
        topic = config["topic"] ?? ""
        count = Int(config["count"] ?? "0") ?? 0
    }
    func poll() async throws -> [SourceRecord] {
        guard next < count else {
            try await Task.sleep(for: .milliseconds(20))
            return []
        }
        defer { next = min(count, next + 7) }
        return (next..<min(count, next + 7)).map {
            SourceRecord(sourcePartition: ["p": "0"], sourceOffset: ["n": .int64(Int64($0))], topic: topic, valueSchema: .string, value: .string("r\($0)"))
        }
    }
    func commitRecord(_ record: SourceRecord, metadata: RecordMetadata?) async throws {
        Self.committed.withLock { $0.append((record.value.stringValue ?? "", metadata)) }
    }
    func stop() async throws {}
}

extension MetadataRecordingSource: SourceConnector {
    var configDef: ConfigDef { ConfigDef() }
    var taskType: any SourceTask.Type { MetadataRecordingSource.self }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [["topic": topic, "count": String(count)]] }
}

@Suite("Source tasks over Kafka (mock cluster)")
struct KafkaSourceMetadataTests {
    @Test("commitRecord's metadata is where Kafka stored each record: its partition and offset from the delivery report")
    func commitRecordGetsTheBrokersOffsets() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("numbers", partitions: 1)
        var registry = PluginRegistry.core
        registry.register(.source(MetadataRecordingSource.self), name: "MetadataRecordingSource")
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let props = ["bootstrap.servers": cluster.bootstrapServers, "offset.flush.interval.ms": "50",
                     "value.converter": "org.apache.kafka.connect.storage.StringConverter"]
        let worker = try Worker(config: try WorkerConfig(props), registry: registry, transport: try KafkaTransport(worker: props), logger: logger)
        try worker.add(["name": "meta", "connector.class": "MetadataRecordingSource", "topic": "numbers", "count": "40"])
        let run = Task { try await worker.run() }
        let deadline = ContinuousClock.now + .seconds(30)
        while MetadataRecordingSource.committed.withLock({ $0.count }) < 40 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        worker.stop()
        try await run.value
        let committed = MetadataRecordingSource.committed.withLock { $0 }
        #expect(committed.map(\.value) == (0..<40).map { "r\($0)" })
        #expect(committed.map { $0.metadata?.offset } == (0..<40).map { Int64($0) })
        #expect(committed.allSatisfy { $0.metadata?.topic == "numbers" && $0.metadata?.partition == 0 })
    }
}
