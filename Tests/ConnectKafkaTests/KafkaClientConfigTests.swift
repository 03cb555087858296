import ConnectKit
import ConnectRuntime
import Foundation
import Logging
import Testing

@testable import ConnectKafka

@Suite("Kafka Connect's client keys → librdkafka")
struct KafkaClientConfigTests {
    let worker = [
        "bootstrap.servers": "127.0.0.1:9092", "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
        "sasl.jaas.config": #"org.apache.kafka.common.security.plain.PlainLoginModule required username="connect" password="s3cret";"#,
        "producer.linger.ms": "7", "producer.buffer.memory": "33554432", "producer.max.request.size": "2097152",
        "producer.key.serializer": "org.apache.kafka.common.serialization.ByteArraySerializer",
        "consumer.fetch.max.wait.ms": "250", "consumer.auto.offset.reset": "none", "consumer.max.poll.records": "100",
        "consumer.partition.assignment.strategy": "org.apache.kafka.clients.consumer.RoundRobinAssignor",
        "admin.request.timeout.ms": "9000", "offset.flush.interval.ms": "100",
    ]

    @Test("shared keys reach every client, prefixed keys their own, Java names and values translated")
    func translation() throws {
        let p = try KafkaClientConfig.properties(worker: worker, role: .producer)
        #expect(p["bootstrap.servers"] == "127.0.0.1:9092")
        #expect(p["sasl.username"] == "connect" && p["sasl.password"] == "s3cret" && p["sasl.jaas.config"] == nil)
        #expect(p["linger.ms"] == "7")
        #expect(p["queue.buffering.max.kbytes"] == "32768" && p["buffer.memory"] == nil)
        #expect(p["message.max.bytes"] == "2097152")
        #expect(p["key.serializer"] == nil)  // Kafka Connect sets its own
        #expect(p["fetch.wait.max.ms"] == nil && p["request.timeout.ms"] == nil && p["offset.flush.interval.ms"] == nil)
        let c = try KafkaClientConfig.properties(worker: worker, role: .consumer)
        #expect(c["fetch.wait.max.ms"] == "250" && c["auto.offset.reset"] == "error" && c["max.poll.records"] == nil)
        #expect(c["partition.assignment.strategy"] == "roundrobin" && c["linger.ms"] == nil)
        let a = try KafkaClientConfig.properties(worker: worker, role: .admin)
        #expect(a["request.timeout.ms"] == "9000")
    }

    @Test("a connector's override wins over the worker's prefixed key, which wins over the shared one")
    func layering() throws {
        let p = try KafkaClientConfig.properties(
            worker: worker.merging(["producer.security.protocol": "PLAINTEXT"]) { $1 }, role: .producer, overrides: ["linger.ms": "50"])
        #expect(p["linger.ms"] == "50" && p["security.protocol"] == "PLAINTEXT")
    }

    @Test("a name librdkafka does not know is an error naming the key as written, never the value", arguments: [
        ("producer.interceptor.classes", "com.example.Secret", nil as [String: String]?, "producer.interceptor.classes"),
        ("consumer.no.such.setting", "s3cret-value", nil, "consumer.no.such.setting"),
        ("consumer.partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor", nil, "consumer.partition.assignment.strategy"),
        ("ssl.truststore.location", "/etc/kafka/truststore.jks", nil, "ssl.truststore.location"),
        ("sasl.jaas.config", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required secret=\"s3cret\";", nil, "sasl.jaas.config"),
        ("producer.acks", "all", ["batch.sizes": "s3cret"], "producer.override.batch.sizes"),
        // librdkafka knows it, but the worker commits source offsets from every record's report.
        ("producer.delivery.report.only.error", "true", nil, "producer.delivery.report.only.error"),
    ])
    func unknownName(key: String, value: String, overrides: [String: String]?, named: String) {
        #expect {
            _ = try KafkaClientConfig.properties(worker: ["bootstrap.servers": "127.0.0.1:1", key: value], role: key.hasPrefix("consumer") ? .consumer : .producer, overrides: overrides ?? [:])
        } throws: { error in
            let e = error as! KafkaError
            return e.key == named && !e.description.contains("s3cret") && !e.description.contains("com.example.Secret")
        }
    }

    @Test("the Kafka transport refuses a bad worker key at once, naming it")
    func transportRefusesBadWorkerKey() {
        #expect {
            _ = try KafkaTransport(worker: ["bootstrap.servers": "127.0.0.1:1", "producer.interceptor.classes": "x"])
        } throws: { error in (error as? KafkaError)?.key == "producer.interceptor.classes" }
        #expect {
            _ = try KafkaTransport(worker: ["producer.linger.ms": "5"])
        } throws: { error in "\(error)".contains("bootstrap.servers") }
    }

    @Test("connector.client.config.override.policy: None and Principal refuse overrides with Kafka's message; the transport checks the names")
    func overridePolicy() throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let transport = try KafkaTransport(worker: ["bootstrap.servers": "127.0.0.1:1"])
        let connector = [
            "name": "gen", "connector.class": "DataGen", "topic": "t", "producer.override.linger.ms": "5",
            "producer.override.sasl.mechanism": "PLAIN", "consumer.override.no.such.key": "x",
        ]
        for (policy, refused) in [("None", ["producer.override.linger.ms", "producer.override.sasl.mechanism", "consumer.override.no.such.key"]),
                                  ("Principal", ["producer.override.linger.ms", "consumer.override.no.such.key"]),
                                  ("All", [])] {
            let worker = try Worker(
                config: try WorkerConfig(["connector.client.config.override.policy": policy]), registry: .core, transport: transport, logger: logger)
            #expect {
                try worker.add(connector)
            } throws: { error in
                let problems = (error as! ConfigError).problems
                let policyProblems = problems.filter { $0.message.contains("policy does not allow") }
                let names = problems.filter { $0.key == "consumer.override.no.such.key" && $0.message.contains("librdkafka has no property") }
                return Set(policyProblems.map(\.key)) == Set(refused)
                    && policyProblems.allSatisfy { p in p.message == "The '\(policy)' policy does not allow '\(p.key.split(separator: ".", maxSplits: 2)[2])' to be overridden in the connector configuration." }
                    && names.count == 1
            }
        }
        #expect(throws: ConfigError.self) { _ = try WorkerConfig(["connector.client.config.override.policy": "Some"]) }
    }

    @Test("topic.creation.*: groups match whole names in order, inherit default's numbers, and bad values are named")
    func topicCreation() throws {
        let c = try #require(try TopicCreation.parse(connector: [
            "topic.creation.groups": "compacted, big", "topic.creation.default.partitions": "3", "topic.creation.default.replication.factor": "-1",
            "topic.creation.compacted.include": "users.*,accounts", "topic.creation.compacted.exclude": "users-tmp", "topic.creation.compacted.cleanup.policy": "compact",
            "topic.creation.big.include": "orders.*", "topic.creation.big.partitions": "12",
        ], workerEnabled: true))
        #expect(c.newTopic("users") == KafkaNewTopic(name: "users", partitions: 3, replicationFactor: -1, configs: ["cleanup.policy": "compact"]))
        #expect(c.newTopic("users-tmp").partitions == 3 && c.newTopic("users-tmp").configs.isEmpty)
        #expect(c.newTopic("accounts2").configs.isEmpty)  // whole-name match
        #expect(c.newTopic("orders-eu").partitions == 12)
        #expect(try TopicCreation.parse(connector: ["topic.creation.default.partitions": "3"], workerEnabled: false) == nil)
        #expect(try TopicCreation.parse(connector: [:], workerEnabled: true) == nil)
        #expect {
            _ = try TopicCreation.parse(connector: ["topic.creation.default.partitions": "0", "topic.creation.groups": "g"], workerEnabled: true)
        } throws: { error in
            Set((error as! ConfigError).problems.map(\.key)) == ["topic.creation.default.partitions", "topic.creation.default.replication.factor", "topic.creation.g.include"]
        }
    }

    @Test("secrets never show: dump of the transport and of the worker configuration mask them; a per-connector offsets topic and a bad max.poll.records override are named")
    func secretsAndConnectorKeys() throws {
        let props = [
            "bootstrap.servers": "127.0.0.1:1", "sasl.mechanism": "PLAIN",
            "sasl.jaas.config": #"org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="s3cret-jaas";"#,
            "producer.ssl.key.password": "s3cret-key",
        ]
        let transport = try KafkaTransport(worker: props)
        var dumped = ""
        dump(transport, to: &dumped)
        dump(try WorkerConfig(props), to: &dumped)
        #expect(!dumped.contains("s3cret") && dumped.contains("127.0.0.1:1"))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let worker = try Worker(config: try WorkerConfig(props), registry: .core, transport: transport, logger: logger)
        #expect {
            try worker.add(["name": "g", "connector.class": "DataGen", "offsets.storage.topic": "my-offsets"])
        } throws: { error in
            (error as! ConfigError).problems.contains { $0.key == "offsets.storage.topic" && $0.message.contains("not supported") }
        }
        var registry = PluginRegistry.core
        registry.register(.sink(ServerTestSink.self), name: "ServerTestSink")
        let sinkWorker = try Worker(config: try WorkerConfig(["pipeline.mode": "topic"]), registry: registry, logger: logger)
        #expect {
            try sinkWorker.add(["name": "s", "connector.class": "ServerTestSink", "topics": "t", "consumer.override.max.poll.records": "0"])
        } throws: { error in
            (error as! ConfigError).problems.contains { $0.key == "consumer.override.max.poll.records" }
        }
    }

    @Test("REST and Java-only TLS keys are not handed to librdkafka; acks=1 turns idempotence off; topic.creation regexes match whole names with alternatives; PEM keys are masked")
    func reviewFixes() throws {
        let p = try KafkaClientConfig.properties(worker: [
            "bootstrap.servers": "127.0.0.1:1", "admin.listeners": "http://:8084", "ssl.client.auth": "required",
            "ssl.enabled.protocols": "TLSv1.2", "producer.ssl.protocol": "TLSv1.3",
        ], role: .admin)
        #expect(p["listeners"] == nil && p["ssl.client.auth"] == nil && p["ssl.enabled.protocols"] == nil)
        let producer = try KafkaProducer(properties: ["bootstrap.servers": "127.0.0.1:1", "acks": "1"])
        producer.close()
        let c = try #require(try TopicCreation.parse(connector: [
            "topic.creation.groups": "g", "topic.creation.g.include": "orders|orders-archive", "topic.creation.g.partitions": "7",
            "topic.creation.default.partitions": "1", "topic.creation.default.replication.factor": "1",
        ], workerEnabled: true))
        #expect(c.newTopic("orders-archive").partitions == 7 && c.newTopic("orders").partitions == 7 && c.newTopic("orders-x").partitions == 1)
        #expect(ParsedConfig.masked(["ssl.key.pem": "-----BEGIN PRIVATE KEY-----", "producer.ssl.keystore.key": "k"]).values.allSatisfy { $0 == Password.hidden })
    }
}
