import ConnectKit
import ConnectRuntime
import Logging
import Foundation
import Synchronization
import Testing

@testable import ConnectKafka

@Suite("Offsets in a Kafka topic", .serialized)
struct KafkaOffsetStoreTests {

    @Test("commits survive a new store; tombstones remove; a partition written by Java is rewritten under its own key bytes")
    func roundTripAndJavaKeys() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("connect-offsets", partitions: 25)
        let properties = ["bootstrap.servers": cluster.bootstrapServers]
        // A Java worker's record: the same partition with its entries in another order.
        let javaKey = Array(#"["jdbc",{"table":"orders","protocol":"1"}]"#.utf8)
        let javaPartition = JavaPartitioner.partition(forKey: javaKey, partitions: 25)
        try await offThread {
            let p = try KafkaProducer(properties: properties)
            try p.send(topic: "connect-offsets", partition: javaPartition, key: javaKey, value: Array(#"{"incrementing":41}"#.utf8)) { _ in }
            try p.flush(timeout: .seconds(10))
            p.close()
        }
        let first = try await offThread { try KafkaOffsetStore(properties: properties) }
        let orders: [String: Value] = ["protocol": .string("1"), "table": .string("orders")]
        #expect(try first.offset(connector: "jdbc", partition: orders) == ["incrementing": .int64(41)])
        try await offThread {
            try first.commit(connector: "jdbc", offsets: [orders: ["incrementing": .int64(42)], ["table": .string("customers"), "protocol": .string("1")]: ["incrementing": .int64(7)]])
            try first.commit(connector: "file", offsets: [["filename": .string("/tmp/a")]: ["position": .int64(99)]])
            try first.commit(connector: "file", offsets: [["filename": .string("/tmp/a")]: nil])
        }
        let second = try await offThread { try KafkaOffsetStore(properties: properties) }
        #expect(try second.offsets(connector: "jdbc") == [
            orders: ["incrementing": .int64(42)], ["table": .string("customers"), "protocol": .string("1")]: ["incrementing": .int64(7)],
        ])
        #expect(try second.offsets(connector: "file").isEmpty)
        // The newest record of the Java partition carries the Java key bytes, in the Java partition.
        let records = try await offThread { () throws -> [KafkaRecord] in
            let c = try KafkaConsumer(properties: properties, requireGroup: false)
            defer { c.close() }
            try c.assign([KafkaPartition(topic: "connect-offsets", partition: javaPartition): -2])
            var out: [KafkaRecord] = []
            let deadline = Date().addingTimeInterval(10)
            while out.count < 2 && Date() < deadline { out += try c.poll(max: 10, timeout: .milliseconds(200)).records }
            return out
        }
        #expect(records.filter { $0.key == javaKey }.map { $0.value.map { String(decoding: $0, as: UTF8.self) } } == [#"{"incrementing":41}"#, #"{"incrementing":42}"#])
    }

    @Test("a record that is not Kafka Connect's offset form is named by partition and offset")
    func foreignRecord() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("connect-offsets", partitions: 1)
        let properties = ["bootstrap.servers": cluster.bootstrapServers]
        try await offThread {
            let p = try KafkaProducer(properties: properties)
            try p.send(topic: "connect-offsets", partition: 0, key: Array(#"{"not":"an array"}"#.utf8), value: Array("{}".utf8)) { _ in }
            try p.flush(timeout: .seconds(10))
            p.close()
        }
        await #expect {
            _ = try await offThread { try KafkaOffsetStore(properties: properties) }
        } throws: { error in
            "\(error)".contains("connect-offsets-0 offset 0")
        }
    }
}

extension KafkaIntegrationTests {
    @Suite("The worker over Kafka (mock cluster)", .serialized)
    struct KafkaTransportTests {
        @Test("DataGen → a Kafka topic → a sink in a consumer group: every record arrives once, keys in Java's partitions, offsets committed")
        func pipelineThroughKafka() async throws {
            let cluster = try KafkaMockCluster(brokers: 3)
            try cluster.createTopic("orders", partitions: 4)
            let transport = try KafkaTransport(worker: ["bootstrap.servers": cluster.bootstrapServers, "consumer.session.timeout.ms": "6000", "consumer.heartbeat.interval.ms": "500"])
            var registry = PluginRegistry.core
            registry.register(.sink(KafkaTestSink.self), name: "KafkaTestSink")
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let worker = try Worker(
                config: try WorkerConfig(["offset.flush.interval.ms": "100", "pipeline.mode": "topic"]), registry: registry, transport: transport, logger: logger)
            try worker.add(["name": "gen", "connector.class": "DataGen", "iterations": "2000", "batch.size": "200", "topic": "orders"])
            try worker.add(["name": "out", "connector.class": "KafkaTestSink", "topics": "orders"])
            let run = Task { try await worker.run() }
            let deadline = ContinuousClock.now + .seconds(60)
            while KafkaTestSink.count() < 2000 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            // Let the sink's offsets be committed, then stop.
            try await Task.sleep(for: .milliseconds(500))
            worker.stop()
            try await run.value
            let records = KafkaTestSink.all()
            #expect(records.count == 2000)
            #expect(Set(records.map { "\($0.kafkaPartition ?? -1)/\($0.kafkaOffset)" }).count == 2000)  // none twice
            for r in records.prefix(50) {
                if case .int64(let id) = r.key {
                    let keyBytes = try JSONConverter(schemasEnabled: true).fromConnectData(topic: "orders", schema: .int64, value: .int64(id))!
                    #expect(r.kafkaPartition == JavaPartitioner.partition(forKey: keyBytes, partitions: 4))
                }
            }
            let committed = try await transport.committedOffsets(group: "connect-out")
            #expect(committed.values.reduce(0, +) == 2000)
        }
    }
}

final class KafkaTestSink: SinkTask {
    static let store = Mutex<[SinkRecord]>([])
    static func count() -> Int { store.withLock { $0.count } }
    static func all() -> [SinkRecord] { store.withLock { $0 } }
    required init() {}
    var version: String { "test" }
    func start(_ config: [String: String]) async throws {}
    func put(_ records: [SinkRecord]) async throws { KafkaTestSink.store.withLock { $0 += records } }
    func stop() async throws {}
}

extension KafkaTestSink: SinkConnector {
    var configDef: ConfigDef { ConfigDef() }
    var taskType: any SinkTask.Type { KafkaTestSink.self }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [[:]] }
}

extension KafkaIntegrationTests {
    @Suite("connect standalone through Kafka", .serialized)
    struct StandaloneThroughKafkaTests {
        static let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/connect")

        @Test("with bootstrap.servers, connect standalone's topics are Kafka's: a file copied through a topic of `connect mock-broker`")
        func fileThroughKafka() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the package first")
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-kafka-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let (broker, bootstrap) = try await startMockBroker(brokers: 1, topics: ["lines:3"])
            defer { broker.terminate() }
            #expect(bootstrap.hasPrefix("127.0.0.1:"))
            let input = dir.appendingPathComponent("in.txt").path
            let output = dir.appendingPathComponent("out.txt").path
            let lines = (0..<500).map { "line \($0)" }
            try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
            let worker = dir.appendingPathComponent("worker.properties").path
            try "bootstrap.servers=\(bootstrap)\noffset.storage.file.filename=\(dir.appendingPathComponent("offsets").path)\noffset.flush.interval.ms=100\n"
                .write(toFile: worker, atomically: true, encoding: .utf8)
            let source = dir.appendingPathComponent("source.properties").path
            try "name=in\nconnector.class=FileStreamSource\nfile=\(input)\ntopic=lines\n".write(toFile: source, atomically: true, encoding: .utf8)
            let sink = dir.appendingPathComponent("sink.properties").path
            try "name=out\nconnector.class=FileStreamSink\nfile=\(output)\ntopics=lines\n".write(toFile: sink, atomically: true, encoding: .utf8)
            let connect = Process()
            connect.executableURL = Self.binary
            connect.arguments = ["standalone", worker, source, sink, "--log-level", "error"]
            connect.standardOutput = FileHandle.nullDevice
            connect.standardError = FileHandle.nullDevice
            try connect.run()
            let deadline = ContinuousClock.now + .seconds(60)
            var copied: [String] = []
            while ContinuousClock.now < deadline {
                copied = (try? String(contentsOfFile: output, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
                if copied.count >= lines.count { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            connect.terminate()
            try await waitForExit(connect)
            // Three partitions: the order across them is Kafka's; every line arrives, once.
            #expect(copied.sorted() == lines.sorted())
        }
    }
}
