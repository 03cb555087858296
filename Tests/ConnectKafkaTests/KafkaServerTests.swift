import ConnectKit
import ConnectRuntime
import Foundation
import Logging
import Synchronization
import Testing

@testable import ConnectKafka

extension KafkaIntegrationTests {
    /// Against noida-db (an independent Kafka-protocol server) and kcat (a client we did not write).
    @Suite("The worker on a Kafka server, with kcat", .serialized, .enabled(if: KafkaServer.available))
    struct KafkaServerTests {
        static func quietLogger() -> Logger {
            var logger = Logger(label: "test")
            logger.logLevel = ProcessInfo.processInfo.environment["CONNECTKIT_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
            return logger
        }

        static func worker(_ extra: [String: String] = [:], registry: PluginRegistry = .core) throws -> Worker {
            let props = ["bootstrap.servers": try KafkaServer.address(), "consumer.session.timeout.ms": "6000", "consumer.heartbeat.interval.ms": "500"]
                .merging(extra) { $1 }
                .merging(ProcessInfo.processInfo.environment["CONNECTKIT_TEST_RDKAFKA_DEBUG"].map { ["producer.debug": $0, "consumer.debug": $0] } ?? [:]) { $1 }
            return try Worker(
                config: try WorkerConfig(["offset.flush.interval.ms": "100", "pipeline.mode": "topic"].merging(extra) { $1 }), registry: registry,
                transport: try KafkaTransport(worker: props), logger: quietLogger())
        }

        @Test("kcat's keys, values and headers reach a sink byte for byte; a source's records read back with kcat are the converters' bytes")
        func kcatInterop() async throws {
            let into = KafkaServer.topic("from-kcat")
            let out = KafkaServer.topic("to-kcat")
            let lines = (0..<300).map { "key-\($0)|value \($0) ünïcode" }
            try await kcat(["-P", "-t", into, "-K", "|", "-H", "trace=abc", "-H", "origin=kcat"], input: lines.joined(separator: "\n") + "\n")
            let sink = ServerTestSink.named("kcat-in")
            var registry = PluginRegistry.core
            registry.register(.sink(ServerTestSink.self), name: "ServerTestSink")
            let worker = try Self.worker(registry: registry)
            let strings = [
                "key.converter": "org.apache.kafka.connect.storage.StringConverter", "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            ]
            try worker.add(["name": "kcat-in", "connector.class": "ServerTestSink", "topics": into].merging(strings) { $1 })
            try worker.add([
                "name": "gen", "connector.class": "DataGen", "kafka.topic": out, "iterations": "200", "batch.size": "50",
                "key.converter": "org.apache.kafka.connect.storage.StringConverter",
                "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
                "transforms": "h", "transforms.h.type": "org.apache.kafka.connect.transforms.InsertHeader",
                "transforms.h.header": "origin", "transforms.h.value.literal": "datagen",
                // DataGen's timestamps are from 2023: without this the server's retention deletes them.
                "topic.creation.default.partitions": "1", "topic.creation.default.replication.factor": "1", "topic.creation.default.retention.ms": "-1",
            ])
            let run = Task { try await worker.run() }
            #expect(await eventually { sink.count() >= 300 })
            var read: [Substring] = []
            #expect(await eventually {
                read = Array((try? await kcat(["-C", "-t", out, "-e", "-q", "-f", "%k\t%s\t%h\n"]))?.split(separator: "\n", omittingEmptySubsequences: false).dropLast() ?? [])
                return read.count >= 200
            })
            worker.stop()
            try await run.value
            let got = sink.all()
            #expect(got.count == 300)
            for (i, r) in got.sorted(by: { $0.kafkaOffset < $1.kafkaOffset }).enumerated() {
                #expect(r.key == .string("key-\(i)") && r.value == .string("value \(i) ünïcode"))
                #expect(r.headers.map(\.key) == ["trace", "origin"] && Array(r.headers).first?.value == .string("abc"))
            }
            // The source's records, as kcat reads them: StringConverter keys, JsonConverter values.
            #expect(read.count == 200)
            let json = JSONConverter(schemasEnabled: false)
            for (k, line) in read.enumerated() {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                let value = try json.fromConnectData(topic: out, schema: DataGen.ordersSchema, value: DataGen.order(Int64(k)))!
                #expect(fields.count == 3 && fields[0] == "\(k)" && Array(fields[1].utf8) == value && fields[2] == "origin=datagen", "record \(k)")
            }
        }

        @Test("topic.creation.*: a source's topic is created with the matching group's partitions before its first record")
        func topicCreation() async throws {
            let plain = KafkaServer.topic("created")
            let big = KafkaServer.topic("big")
            let worker = try Self.worker()
            let creation = [
                "topic.creation.groups": "big", "topic.creation.big.include": "big-.*", "topic.creation.big.partitions": "5",
                "topic.creation.default.partitions": "3", "topic.creation.default.replication.factor": "1",
                // DataGen's timestamps are from 2023: without these the server's retention deletes them.
                "topic.creation.default.retention.ms": "-1", "topic.creation.big.retention.ms": "-1",
            ]
            try worker.add(["name": "a", "connector.class": "DataGen", "kafka.topic": plain, "iterations": "10"].merging(creation) { $1 })
            try worker.add(["name": "b", "connector.class": "DataGen", "kafka.topic": big, "iterations": "10"].merging(creation) { $1 })
            let run = Task { try await worker.run() }
            let p = try KafkaProducer(properties: ["bootstrap.servers": try KafkaServer.address()])
            defer { p.close() }
            #expect(await eventually { (try? await kcat(["-C", "-t", big, "-e", "-q", "-f", "%o\n"]).split(separator: "\n").count) == 10 })
            worker.stop()
            try await run.value
            #expect(try p.partitionCount(plain) == 3)
            #expect(try p.partitionCount(big) == 5)
        }

        @Test("a dead-letter record Kafka does not take fails the sink task, and its offsets never pass it")
        func deadLetterDeliveryFailure() async throws {
            let into = KafkaServer.topic("dlq-fail-in")
            try await kcat(["-P", "-t", into], input: "{\"n\":0}\nnot json\n{\"n\":2}\n")
            var registry = PluginRegistry.core
            registry.register(.sink(ServerTestSink.self), name: "ServerTestSink")
            _ = ServerTestSink.named("dlq-fail")
            let worker = try Self.worker(registry: registry)
            try worker.add([
                "name": "dlq-fail", "connector.class": "ServerTestSink", "topics": into,
                "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
                "errors.tolerance": "all", "errors.deadletterqueue.topic.name": KafkaServer.topic("dlq-nowhere"),
                // The dead-letter producer alone talks to a broker that is not there.
                "producer.override.bootstrap.servers": "127.0.0.1:1", "producer.override.message.timeout.ms": "500",
            ])
            let run = Task { try await worker.run() }
            #expect(await eventually(.seconds(30)) { worker.status("dlq-fail")?.tasks.first?.state == .failed })
            let trace = worker.status("dlq-fail")?.tasks.first?.trace ?? ""
            worker.stop()
            try await run.value
            #expect(trace.contains("Could not produce message to dead letter queue"))
            let committed = try await worker.transport.committedOffsets(group: "connect-dlq-fail")
            #expect((committed[TopicPartition(topic: into, partition: 0)] ?? 0) <= 1, "offsets passed the failed record: \(committed)")
        }

        @Test("dead-letter records go to a Kafka topic with the __connect.errors.* headers; the sink's offsets pass them only once delivered")
        func deadLetterQueueInKafka() async throws {
            let into = KafkaServer.topic("dlq-in")
            let dlq = KafkaServer.topic("dlq")
            let input = (0..<50).map { $0 % 10 == 3 ? "not json \($0)" : "{\"n\":\($0)}" }
            try await kcat(["-P", "-t", into], input: input.joined(separator: "\n") + "\n")
            let sink = ServerTestSink.named("dlq-sink")
            var registry = PluginRegistry.core
            registry.register(.sink(ServerTestSink.self), name: "ServerTestSink")
            let worker = try Self.worker(registry: registry)
            try worker.add([
                "name": "dlq-sink", "connector.class": "ServerTestSink", "topics": into,
                "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
                "key.converter": "org.apache.kafka.connect.storage.StringConverter",
                "errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq, "errors.deadletterqueue.context.headers.enable": "true",
            ])
            let run = Task { try await worker.run() }
            #expect(await eventually { sink.count() >= 45 })
            let transport = worker.transport
            var committed: [TopicPartition: Int64] = [:]
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                committed = try await transport.committedOffsets(group: "connect-dlq-sink")
                if committed[TopicPartition(topic: into, partition: 0)] == 50 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            worker.stop()
            try await run.value
            #expect(committed[TopicPartition(topic: into, partition: 0)] == 50)
            let dead = try await kcat(["-C", "-t", dlq, "-e", "-q", "-f", "%s\t%h\n"]).split(separator: "\n")
            #expect(dead.count == 5)
            for (i, line) in dead.enumerated() {
                let fields = line.split(separator: "\t", maxSplits: 1)
                #expect(fields.first.map(String.init) == "not json \(i * 10 + 3)")
                let headers = fields.count > 1 ? String(fields[1]) : ""
                #expect(headers.contains("__connect.errors.topic=\(into)") && headers.contains("__connect.errors.offset=\(i * 10 + 3)"))
                #expect(headers.contains("__connect.errors.stage=VALUE_CONVERTER"))
            }
        }
    }
}

/// A sink that keeps what it is given, per connector name.
final class ServerTestSink: SinkTask {
    static let stores = Mutex<[String: [SinkRecord]]>([:])
    struct Handle {
        let name: String
        func count() -> Int { ServerTestSink.stores.withLock { $0[name]?.count ?? 0 } }
        func all() -> [SinkRecord] { ServerTestSink.stores.withLock { $0[name] ?? [] } }
    }
    static func named(_ name: String) -> Handle {
        stores.withLock { $0[name] = [] }
        return Handle(name: name)
    }
    private var name = ""
    required init() {}
    var version: String { "test" }
    func start(_ config: [String: String]) async throws { name = config["name"] ?? "" }
    func put(_ records: [SinkRecord]) async throws { ServerTestSink.stores.withLock { $0[name, default: []] += records } }
    func stop() async throws {}
}

extension ServerTestSink: SinkConnector {
    var configDef: ConfigDef { ConfigDef() }
    var taskType: any SinkTask.Type { ServerTestSink.self }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [[:]] }
}
