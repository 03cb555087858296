import ConnectKit
import ConnectRuntime
import Foundation
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import ConnectKafka

extension KafkaIntegrationTests {
    /// Exactly-once source tasks (KIP-618) on noida-db, whose `read_committed` readers skip aborted
    /// records (librdkafka's mock cluster does not).
    @Suite("Exactly-once sources on a Kafka server", .serialized, .enabled(if: KafkaServer.available))
    struct ExactlyOnceTests {
        /// Every committed and every written record of `topic`, as `read_committed` and
        /// `read_uncommitted` consumers (kcat) see them.
        static func read(_ topic: String) async throws -> (committed: [String], all: [String]) {
            let committed = try await kcat(["-C", "-t", topic, "-e", "-q", "-X", "isolation.level=read_committed", "-f", "%s\n"])
            let all = try await kcat(["-C", "-t", topic, "-e", "-q", "-X", "isolation.level=read_uncommitted", "-f", "%s\n"])
            return (committed.split(separator: "\n").map(String.init), all.split(separator: "\n").map(String.init))
        }

        @Test("a task that fails mid-transaction: read_committed readers see whole polls, no duplicate; the restarted task resumes from the committed offsets")
        func abortMidTransaction() async throws {
            let bootstrap = try KafkaServer.address()
            let topic = KafkaServer.topic("eos")
            let offsetsTopic = KafkaServer.topic("eos-offsets")
            var registry = PluginRegistry.core
            registry.register(.source(TransactionTestSource.self), name: "TransactionTestSource")
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            func worker() throws -> (Worker, KafkaTransport) {
                let props = [
                    "bootstrap.servers": bootstrap, "offset.storage.topic": offsetsTopic, "offset.storage.replication.factor": "1",
                    "offset.storage.partitions": "3", "exactly.once.source.support": "enabled", "group.id": "eos-test",
                    "pipeline.mode": "topic", "offset.flush.interval.ms": "100",
                    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
                ]
                let transport = try KafkaTransport(worker: props)
                let store = try transport.makeOffsetStore()
                return (try Worker(config: try WorkerConfig(props), registry: registry, offsetStore: store, transport: transport, logger: logger), transport)
            }
            func runUntilFailed(_ config: [String: String]) async throws {
                let (w, _) = try worker()
                try w.add(config)
                let run = Task { try await w.run() }
                #expect(await eventually { w.status("tx")?.tasks.first?.state == .failed })
                w.stop()
                try await run.value
            }
            let connector = ["name": "tx", "connector.class": "TransactionTestSource", "topic": topic]
            // 1: a transaction per poll; the task fails at its 8th poll, after 7 committed transactions.
            try await runUntilFailed(connector.merging(["transaction.boundary": "poll", "fail.at.poll": "8"]) { $1 })
            let first = try await Self.read(topic)
            #expect(first.committed == (0..<700).map { "rec-\($0)" })
            // 2: one long transaction (interval of an hour): 7 polls are produced into it, then the task
            // fails and the transaction is aborted. Its records are in the log, hidden from read_committed.
            try await runUntilFailed(connector.merging(["transaction.boundary": "interval", "transaction.boundary.interval.ms": "3600000", "fail.at.poll": "8"]) { $1 })
            let second = try await Self.read(topic)
            #expect(second.committed == first.committed, "nothing of the aborted transaction is visible")
            #expect(second.all.count > first.all.count, "the aborted transaction's records were written (\(second.all.count) in the log)")
            #expect(second.committed.count % 100 == 0, "whole polls only")

            // 3: resumes after the last committed record and ends at 2000, exactly once.
            let (third, _) = try worker()
            try third.add(connector.merging(["transaction.boundary": "poll"]) { $1 })
            let run3 = Task { try await third.run() }
            var final: (committed: [String], all: [String]) = ([], [])
            #expect(await eventually {
                final = (try? await Self.read(topic)) ?? ([], [])
                return final.committed.count >= 2000
            })
            third.stop()
            try await run3.value
            #expect(final.committed == (0..<2000).map { "rec-\($0)" }, "every record exactly once for read_committed readers")
        }

        @Test("exactly.once.source.support: Kafka's checks of the connector, and a worker without offsets in Kafka is refused")
        func validation() async throws {
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let props = ["bootstrap.servers": try KafkaServer.address(), "exactly.once.source.support": "enabled"]
            let worker = try Worker(config: try WorkerConfig(props), registry: .core, transport: try KafkaTransport(worker: props), logger: logger)
            #expect {
                try worker.add(["name": "g", "connector.class": "DataGen", "exactly.once.support": "required", "transaction.boundary": "connector"])
            } throws: { error in
                let problems = (error as! ConfigError).problems
                return problems.contains { $0.key == "exactly.once.support" && $0.message == "The connector does not support exactly-once semantics with the provided configuration." }
                    && problems.contains { $0.key == "transaction.boundary" && $0.message == "The connector does not support connector-defined transaction boundaries with the given configuration." }
            }
            #expect(throws: ConfigError.self) { _ = try Worker(config: try WorkerConfig(props), registry: .core, logger: logger) }
            // No offset.storage.topic: the task fails naming the key.
            try worker.add(["name": "g", "connector.class": "DataGen", "kafka.topic": KafkaServer.topic("eos-none"), "iterations": "5"])
            let run = Task { try await worker.run() }
            #expect(await eventually(.seconds(20)) { worker.status("g")?.tasks.first?.state == .failed })
            #expect(worker.status("g")?.tasks.first?.trace?.contains("offset.storage.topic") == true)
            worker.stop()
            try await run.value
        }
    }
}

/// A source that polls 100 numbered records at a time (offset: the last number) and fails at its
/// poll number `fail.at.poll` (0: never).
final class TransactionTestSource: SourceTask {
    private var next = 0
    private var polls = 0
    private var failAt = 0
    private var topic = ""
    private var context: (any SourceTaskContext)?
    required init() {}
    var version: String { "test" }
    func initialize(context: any SourceTaskContext) { self.context = context }
    func start(_ config: [String: String]) async throws {
        topic = config["topic"] ?? ""
        failAt = Int(config["fail.at.poll"] ?? "0") ?? 0
        if let o = try await context?.offsetStorageReader.offset(for: ["tx": "p"]), let n = o["n"]?.int64Value { next = Int(n) + 1 }
    }
    func poll() async throws -> [SourceRecord] {
        polls += 1
        if polls == failAt { throw DataError("failing on purpose at poll \(polls)") }
        guard next < 2000 else {
            try await Task.sleep(for: .milliseconds(50))
            return []
        }
        try await Task.sleep(for: .milliseconds(40))
        defer { next += 100 }
        return (next..<(next + 100)).map { i in
            SourceRecord(sourcePartition: ["tx": "p"], sourceOffset: ["n": .int64(Int64(i))], topic: topic, valueSchema: .string, value: .string("rec-\(i)"))
        }
    }
    func stop() async throws {}
}

extension TransactionTestSource: SourceConnector {
    var configDef: ConfigDef { ConfigDef() }
    var taskType: any SourceTask.Type { TransactionTestSource.self }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [["topic": topic, "fail.at.poll": String(failAt)]] }
}
