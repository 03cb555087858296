import ConnectKit
import Foundation
import Synchronization
import Testing

import ConnectRuntime

// Everything in this file is written against the runtime's public API only (no @testable): a
// transport and a connector family a third party could ship, plugged into a worker.

/// A transport that keeps every record (like Kafka: acknowledged once stored, never drained at
/// shutdown), with one-member groups.
final class LoopbackTransport: Transport {
    struct State {
        var topics: [String: [TopicRecord]] = [:]
        var committed: [String: [TopicPartition: Int64]] = [:]
        var produced = 0
    }
    let state = Mutex(State())

    func makeProducer(clientID: String, connectorConfig: [String: String]) throws -> any TransportProducer { LoopbackProducer(transport: self) }
    func makeConsumer(group: String, clientID: String, connectorConfig: [String: String]) throws -> any TransportConsumer { LoopbackConsumer(transport: self, group: group) }
    func expectGroup(_ group: String, subscription: Subscription) {}
    func committedOffsets(group: String) async throws -> [TopicPartition: Int64] { state.withLock { $0.committed[group] ?? [:] } }
    func alterCommittedOffsets(group: String, _ offsets: [TopicPartition: Int64?]) async throws {
        state.withLock { s in for (tp, o) in offsets { s.committed[group, default: [:]][tp] = o } }
    }
    func deleteGroup(_ group: String) async throws { _ = state.withLock { $0.committed.removeValue(forKey: group) } }
    func shutdown() {}
}

final class LoopbackProducer: TransportProducer {
    let transport: LoopbackTransport
    init(transport: LoopbackTransport) { self.transport = transport }
    func send(_ records: [OutgoingRecord]) throws {
        transport.state.withLock { s in
            for r in records { s.topics[r.topic, default: []].append(r.record) }
            s.produced += records.count
        }
        RecordDelivery.succeeded(records.map(\.delivery))  // stored: acknowledged at once
    }
    func flush(until deadline: ContinuousClock.Instant) async -> Bool { true }
    func close() {}
}

final class LoopbackConsumer: TransportConsumer {
    let transport: LoopbackTransport
    let group: String
    private let state = Mutex<(subscription: Subscription?, assigned: Bool, positions: [TopicPartition: Int64], woken: Bool)>((nil, false, [:], false))

    init(transport: LoopbackTransport, group: String) {
        self.transport = transport
        self.group = group
    }

    func subscribe(_ subscription: Subscription) { state.withLock { $0.subscription = subscription } }

    func poll(max: Int, timeout: Duration) async throws -> ConsumerEvent {
        guard let subscription = state.withLock({ $0.subscription }) else { throw TransportError(.other, "not subscribed") }
        let topics = transport.state.withLock { s in s.topics.keys.filter { subscription.matches($0) }.sorted() }
        if !state.withLock({ $0.assigned }) {
            state.withLock { $0.assigned = true }
            return .assigned(topics.map { TopicPartition(topic: $0, partition: 0) })
        }
        let group = group
        let records = transport.state.withLock { s -> [ConsumedRecord] in
            var out: [ConsumedRecord] = []
            for t in topics {
                let tp = TopicPartition(topic: t, partition: 0)
                var pos = state.withLock { $0.positions[tp] } ?? s.committed[group]?[tp] ?? 0
                let log = s.topics[t] ?? []
                while pos < Int64(log.count) && out.count < max {
                    out.append(ConsumedRecord(topic: t, partition: 0, offset: pos, record: log[Int(pos)]))
                    pos += 1
                }
                state.withLock { $0.positions[tp] = pos }
            }
            return out
        }
        if records.isEmpty { try await Task.sleep(for: min(timeout, .milliseconds(10))) }
        return .records(records)
    }

    var assignment: Set<TopicPartition> { [] }
    func pause(_ partitions: Set<TopicPartition>) {}
    func resume(_ partitions: Set<TopicPartition>) {}
    func seek(_ positions: [TopicPartition: Int64]) { state.withLock { $0.positions.merge(positions) { $1 } } }
    func commit(_ positions: [TopicPartition: Int64]) async throws {
        let group = group
        transport.state.withLock { s in s.committed[group, default: [:]].merge(positions) { $1 } }
    }
    func wakeup() {}
    func close() {}
}

/// A connector family of its own: a source of greetings and a sink that keeps them.
enum GreetingPlugins: PluginProvider {
    static func register(in registry: inout PluginRegistry) {
        registry.register(.source(GreetingSource.self), name: "Greetings", aliases: ["com.example.GreetingSourceConnector"])
        registry.register(.sink(GreetingSink.self), name: "GreetingSink", aliases: ["com.example.GreetingSinkConnector"])
    }
}

final class GreetingSource: SourceConnector {
    var config: [String: String] = [:]
    init() {}
    var version: String { "1.0" }
    var configDef: ConfigDef { ConfigDef().define("count", .int, default: 100, importance: .high, documentation: "How many greetings.") }
    var taskType: any SourceTask.Type { GreetingSourceTask.self }
    func start(_ config: [String: String]) async throws { self.config = config }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [config] }
    func stop() async throws {}
}

final class GreetingSourceTask: SourceTask {
    var next = 0
    var count = 0
    var context: (any SourceTaskContext)?
    init() {}
    var version: String { "1.0" }
    func initialize(context: any SourceTaskContext) { self.context = context }
    func start(_ config: [String: String]) async throws {
        count = Int(config["count"] ?? "100") ?? 100
        if let o = try await context?.offsetStorageReader.offset(for: ["greeter": "g"]), let n = o["n"]?.int64Value { next = Int(n) + 1 }
    }
    func poll() async throws -> [SourceRecord] {
        guard next < count else {
            try await Task.sleep(for: .milliseconds(10))
            return []
        }
        defer { next += 1 }
        return [SourceRecord(sourcePartition: ["greeter": "g"], sourceOffset: ["n": .int64(Int64(next))], topic: "greetings",
                             valueSchema: .string, value: .string("hello \(next)"))]
    }
    func stop() async throws {}
}

final class GreetingSink: SinkConnector {
    var config: [String: String] = [:]
    init() {}
    var version: String { "1.0" }
    var configDef: ConfigDef { ConfigDef() }
    var taskType: any SinkTask.Type { GreetingSinkTask.self }
    func start(_ config: [String: String]) async throws { self.config = config }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [config] }
    func stop() async throws {}
}

final class GreetingSinkTask: SinkTask {
    static let received = Mutex<[String]>([])
    init() {}
    var version: String { "1.0" }
    func start(_ config: [String: String]) async throws {}
    func put(_ records: [SinkRecord]) async throws {
        let values = records.compactMap(\.value.stringValue)
        GreetingSinkTask.received.withLock { $0 += values }
    }
    func stop() async throws {}
}

@Suite("Plugging a transport and a connector family in")
struct PluggingTests {
    @Test func aWorkerRunsATransportAndConnectorsItDoesNotKnow() async throws {
        GreetingSinkTask.received.withLock { $0 = [] }
        let transport = LoopbackTransport()
        let offsets = MemoryOffsetStore()
        let worker = try Worker(
            config: try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20"]),
            registry: .core.including(GreetingPlugins.self), offsetStore: offsets, transport: transport)
        #expect(worker.broker == nil)
        try worker.add(["name": "greeter", "connector.class": "com.example.GreetingSourceConnector", "count": "50"])
        try worker.add(["name": "keeper", "connector.class": "GreetingSink", "topics": "greetings"])
        let run = Task { try await worker.run() }
        let deadline = ContinuousClock.now + .seconds(60)  // ends as soon as done; generous under make test's load
        while GreetingSinkTask.received.withLock({ $0.count }) < 50 || (try? offsets.offset(connector: "greeter", partition: ["greeter": "g"])) == nil {
            guard ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await worker.commitOffsets())
        worker.stop()
        try await run.value
        #expect(GreetingSinkTask.received.withLock { $0 } == (0..<50).map { "hello \($0)" })
        #expect(transport.state.withLock { $0.produced } == 50)
        // The source's offsets advanced on the transport's acknowledgements; the sink's group
        // committed what it flushed.
        #expect(try offsets.offset(connector: "greeter", partition: ["greeter": "g"]) == ["n": .int64(49)])
        #expect(try await worker.herder.connectorOffsets("keeper").byPartition
            == [["kafka_topic": "greetings", "kafka_partition": .int32(0)]: ["kafka_offset": .int64(50)]])
        #expect(worker.status("keeper")?.state == .unassigned)
    }
}
