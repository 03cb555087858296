import ConnectKit
import Foundation
import Logging
import Synchronization
import Testing

@testable import ConnectRuntime

/// The in-memory broker's consumer groups (members join and leave, partitions move) and the sink
/// task's handling of them, Kafka's `WorkerSinkTask` order.
@Suite("Transport SPI and consumer groups")
struct TransportTests {
    func poll(_ c: any TransportConsumer, _ timeout: Duration = .milliseconds(50)) async throws -> ConsumerEvent {
        try await c.poll(max: 100, timeout: timeout)
    }

    func tps(_ topic: String, _ partitions: [Int32]) -> [TopicPartition] { partitions.map { TopicPartition(topic: topic, partition: $0) } }

    @Test func membersSharePartitionsByRangeAndRebalanceWhenTheyJoinAndLeave() async throws {
        let broker = MemoryBroker(partitions: 4)
        broker.createTopic("t")
        for p in 0..<4 { broker.produce(topic: "t", partition: Int32(p), TopicRecord(key: nil, value: [UInt8(p)])) }
        let a = try broker.makeConsumer(group: "g", clientID: "a")
        a.subscribe(.topics(["t"]))
        #expect(try await poll(a) == .assigned(tps("t", [0, 1, 2, 3])))
        guard case .records(let first) = try await poll(a) else { Issue.record("no records"); return }
        #expect(first.count == 4)
        try await a.commit([TopicPartition(topic: "t", partition: 2): 1])

        // b joins: a gives up everything first (it commits and closes), then both get their range.
        let b = try broker.makeConsumer(group: "g", clientID: "b")
        b.subscribe(.topics(["t"]))
        #expect(try await poll(a) == .revoked(tps("t", [0, 1, 2, 3])))
        #expect(try await poll(a) == .records([]), "a waits for b to rejoin")
        #expect(try await poll(b) == .assigned(tps("t", [2, 3])))
        #expect(try await poll(a) == .assigned(tps("t", [0, 1])))
        #expect(broker.assignments(group: "g") == ["a": Set(tps("t", [0, 1])), "b": Set(tps("t", [2, 3]))])
        // b reads from the group's committed offsets: partition 2 was committed past its record.
        guard case .records(let bRecords) = try await poll(b) else { Issue.record("no records"); return }
        #expect(bRecords.map(\.partition) == [3])

        // b leaves: its partitions go back to a.
        b.close()
        #expect(try await poll(a) == .revoked(tps("t", [0, 1])))
        #expect(try await poll(a) == .assigned(tps("t", [0, 1, 2, 3])))
    }

    @Test func aNewTopicMatchingAPatternIsAssignedAfterARebalance() async throws {
        let broker = MemoryBroker(partitions: 1)
        broker.createTopic("orders-eu")
        let c = try broker.makeConsumer(group: "g", clientID: "c")
        c.subscribe(.pattern("orders-.*"))
        #expect(try await poll(c) == .assigned(tps("orders-eu", [0])))
        broker.produce(topic: "orders-us", TopicRecord(key: nil, value: [1]))
        broker.produce(topic: "payments", TopicRecord(key: nil, value: [2]))
        #expect(try await poll(c) == .revoked(tps("orders-eu", [0])))
        #expect(try await poll(c) == .assigned(tps("orders-eu", [0]) + tps("orders-us", [0])))
        guard case .records(let r) = try await poll(c) else { Issue.record("no records"); return }
        #expect(r.map(\.topic) == ["orders-us"])
    }

    @Test func aMemberThatStopsPollingIsRemoved() async throws {
        let broker = MemoryBroker(partitions: 2, maxPollInterval: .milliseconds(300))
        broker.createTopic("t")
        let a = try broker.makeConsumer(group: "g", clientID: "a")
        a.subscribe(.topics(["t"]))
        #expect(try await poll(a) == .assigned(tps("t", [0, 1])))
        // b joins and never polls: a gives up its partitions and waits for b to rejoin, until
        // max.poll.interval.ms passes and the group removes b.
        let b = try broker.makeConsumer(group: "g", clientID: "b")
        b.subscribe(.topics(["t"]))
        #expect(try await poll(a) == .revoked(tps("t", [0, 1])))
        var event = ConsumerEvent.records([])
        let deadline = ContinuousClock.now + .seconds(10)
        while event == .records([]) && ContinuousClock.now < deadline { event = try await poll(a) }
        #expect(event == .assigned(tps("t", [0, 1])))
        // A removed member that polls again rejoins (as Kafka's consumer does): a rebalance.
        #expect(try await b.poll(max: 1, timeout: .zero) == .records([]))
        #expect(try await poll(a) == .revoked(tps("t", [0, 1])))
        // It was removed: its commit is refused.
        a.close()
        let refused = await #expect(throws: TransportError.self) { try await a.commit([TopicPartition(topic: "t", partition: 0): 1]) }
        #expect(refused?.kind == .closed)
    }

    @Test func aMemberCommitsOnlyWhatItOwnsOrIsGivingUp() async throws {
        let broker = MemoryBroker(partitions: 2)
        broker.createTopic("t")
        let a = try broker.makeConsumer(group: "g", clientID: "a")
        let b = try broker.makeConsumer(group: "g", clientID: "b")
        a.subscribe(.topics(["t"]))
        b.subscribe(.topics(["t"]))
        _ = try await poll(a)
        #expect(try await poll(b) == .assigned(tps("t", [1])))
        #expect(try await poll(a) == .assigned(tps("t", [0])))
        try await a.commit([TopicPartition(topic: "t", partition: 0): 3, TopicPartition(topic: "t", partition: 1): 9])
        #expect(broker.committed(group: "g") == [TopicPartition(topic: "t", partition: 0): 3], "b's partition is not a's to commit")
        // While giving a partition up (Kafka's onPartitionsRevoked) it may still commit it.
        b.close()
        #expect(try await poll(a) == .revoked(tps("t", [0])))
        try await a.commit([TopicPartition(topic: "t", partition: 0): 5])
        #expect(broker.committed(group: "g")[TopicPartition(topic: "t", partition: 0)] == 5)
    }

    @Test func groupOffsetsCanOnlyBeAlteredWithoutMembers() async throws {
        let broker = MemoryBroker()
        let c = try broker.makeConsumer(group: "g", clientID: "c")
        c.subscribe(.topics(["t"]))
        let tp = TopicPartition(topic: "t", partition: 0)
        let error = await #expect(throws: TransportError.self) { try await broker.alterCommittedOffsets(group: "g", [tp: 5]) }
        #expect(error?.kind == .groupNotEmpty)
        c.close()
        try await broker.alterCommittedOffsets(group: "g", [tp: 5])
        #expect(try await broker.committedOffsets(group: "g") == [tp: 5])
    }

    /// A sink task restarted while the other task runs: the other task's consumer gives up its
    /// partitions (flush and commit, then `close`) and takes the new assignment (`open`), in
    /// Kafka's order; every record arrives.
    @Test func sinkTasksCloseAndOpenPartitionsAsTheGroupRebalances() async throws {
        let id = "rebalance"
        OrderLog.shared.reset()
        var registry = testRegistry()
        registry.register(.sink(OrderSink.self), name: "OrderSink")
        let worker = try Worker(
            config: try WorkerConfig(["pipeline.mode": "topic", "topic.partitions": "4", "offset.flush.interval.ms": "50",
                                      "value.converter.schemas.enable": "false"]),
            registry: registry, logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": id + "-src", "count": "2000"])
        try worker.add(["name": "ord", "connector.class": "OrderSink", "topics": "numbers", "tasks.max": "2"])
        let run = Task { try await worker.run() }
        try await eventually("both tasks opened their range") {
            OrderLog.shared.events(0).first == "open numbers-0,numbers-1" && OrderLog.shared.events(1).first == "open numbers-2,numbers-3"
        }
        try await worker.herder.restartTask("ord", 1)
        // Task 1's consumer leaves and its new one joins: task 0 gives up its partitions (flushes,
        // closes them) and opens what the group assigns it next (everything, or its range again
        // when both changes fell into one rebalance).
        try await eventually("task 0 to close and reopen its partitions") {
            let e = OrderLog.shared.events(0)
            return e.contains { $0.hasPrefix("close") } && e.filter { $0.hasPrefix("open") }.count >= 2
        }
        try await eventually("every record") { OrderLog.shared.delivered.count >= 2000 }
        worker.stop()
        try await run.value
        let events = OrderLog.shared.events(0)
        // Every close follows a flush (preCommit) of what was put and closes exactly what was opened.
        var open: Set<String> = []
        for (i, e) in events.enumerated() {
            if e.hasPrefix("open ") {
                let parts = e.dropFirst(5).split(separator: ",").map(String.init)
                #expect(open.isDisjoint(with: parts), "\(events)")
                open.formUnion(parts)
            } else if e.hasPrefix("close ") {
                let parts = Set(e.dropFirst(6).split(separator: ",").map(String.init))
                #expect(parts == open, "\(events)")
                open = []
                // What was put before the close was flushed first.
                let lastPut = events[..<i].lastIndex(of: "put") ?? -1
                let lastFlush = events[..<i].lastIndex(of: "preCommit") ?? -1
                #expect(lastPut < lastFlush || lastPut == -1, "close after a flush: \(events)")
            }
        }
        #expect(Set(OrderLog.shared.delivered) == Set(0..<2000), "nothing lost (at least once)")
    }
}

/// What the order sink's tasks did, per task.
final class OrderLog: Sendable {
    static let shared = OrderLog()
    private let state = Mutex<(events: [Int: [String]], delivered: [Int64])>(([:], []))
    func reset() { state.withLock { $0 = ([:], []) } }
    func add(_ task: Int, _ event: String) { state.withLock { $0.events[task, default: []].append(event) } }
    func events(_ task: Int) -> [String] { state.withLock { $0.events[task] ?? [] } }
    func deliver(_ values: [Int64]) { state.withLock { $0.delivered += values } }
    var delivered: [Int64] { state.withLock { $0.delivered } }
}

final class OrderSink: SinkConnector {
    var config: [String: String] = [:]
    required init() {}
    var version: String { "test" }
    var configDef: ConfigDef { ConfigDef() }
    var taskType: any SinkTask.Type { OrderSinkTask.self }
    func start(_ config: [String: String]) async throws { self.config = config }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { (0..<maxTasks).map { config.merging(["task.index": String($0)]) { $1 } } }
    func stop() async throws {}
}

final class OrderSinkTask: SinkTask {
    var index = 0
    required init() {}
    var version: String { "test" }
    func start(_ config: [String: String]) async throws { index = Int(config["task.index"]!)! }
    func open(_ partitions: [TopicPartition]) async throws { OrderLog.shared.add(index, "open " + partitions.sorted().map(\.description).joined(separator: ",")) }
    func close(_ partitions: [TopicPartition]) async throws { OrderLog.shared.add(index, "close " + partitions.sorted().map(\.description).joined(separator: ",")) }
    func put(_ records: [SinkRecord]) async throws {
        if !records.isEmpty { OrderLog.shared.add(index, "put") }
        OrderLog.shared.deliver(records.map { $0.value.int64Value! })
    }
    func preCommit(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws -> [TopicPartition: OffsetAndMetadata] {
        OrderLog.shared.add(index, "preCommit")
        return offsets
    }
    func stop() async throws {}
}

/// The tokens a transport keeps with produced records (Kafka: the message's opaque) and the batch
/// acknowledgement of their delivery reports.
@Suite("Record delivery tokens")
struct RecordDeliveryTokenTests {
    private func submit(_ tracker: SubmittedRecords, partition: String, _ offsets: Range<Int64>) -> [PendingRecord] {
        let records = offsets.map {
            SourceRecord(sourcePartition: ["p": .string(partition)], sourceOffset: ["o": .int64($0)], topic: "t", valueSchema: .int64, value: .int64($0))
        }
        return tracker.submit(records, sizes: records.map { _ in 10 }, receivers: records.map { _ in 1 })
    }

    @Test("a batch of tokens from two source tasks acknowledges each task's records; offsets follow acknowledged prefixes")
    func batchAcrossTrackers() {
        let a = SubmittedRecords(limiter: InFlightLimiter(maxRecords: 100, maxBytes: 10_000))
        let b = SubmittedRecords(limiter: InFlightLimiter(maxRecords: 100, maxBytes: 10_000))
        let pa = submit(a, partition: "a", 0..<5)
        let pb = submit(b, partition: "b", 0..<3)
        // The tracked record itself is the token: no allocation per record.
        #expect(RecordDelivery(pa[0]).token === pa[0])
        #expect(RecordDelivery.unobserved.token == nil)
        // Reports arrive interleaved and with a gap (a's record 2 not yet in).
        RecordDelivery.succeeded(tokens: [pb[2], pa[0], pb[0], pa[1], pa[3], pa[4], pb[1]].compactMap { RecordDelivery($0).token })
        #expect(a.outstanding == 5 && b.outstanding == 3)
        let (ra, oa) = a.drainCommittable()
        #expect(ra.count == 2 && oa == [["p": .string("a")]: ["o": .int64(1)]])
        let (rb, ob) = b.drainCommittable()
        #expect(rb.count == 3 && ob == [["p": .string("b")]: ["o": .int64(2)]])
        RecordDelivery.succeeded(tokens: [pa[2]])
        #expect(a.drainCommittable().offsets == [["p": .string("a")]: ["o": .int64(4)]])
        #expect(a.outstanding == 0 && b.outstanding == 0)
    }

    @Test("records given up are no longer awaited, once each — also when skipped or acknowledged records follow them; offsets never pass them")
    func givenUpRecords() {
        let tracker = SubmittedRecords(limiter: InFlightLimiter(maxRecords: 100, maxBytes: 10_000))
        let records = (0..<5).map { SourceRecord(sourcePartition: ["p": .string("a")], sourceOffset: ["o": .int64(Int64($0))], topic: "t", valueSchema: nil, value: .int64(Int64($0))) }
        // Record 3 was dropped (no receiver: acknowledged at once); 2 is refused, 4 never sent.
        let pending = tracker.submit(records, sizes: records.map { _ in 10 }, receivers: [1, 1, 1, 0, 1], dropped: [false, false, false, true, false])
        RecordDelivery.succeeded(tokens: [pending[0], pending[1]])
        #expect(tracker.awaited == 2)
        tracker.abandon([pending[2], pending[4]])
        #expect(tracker.awaited == 0, "the dropped record behind the refused one is not awaited")
        tracker.abandon([pending[2]])
        RecordDelivery.succeeded(tokens: [pending[4]])  // a report for a record given up changes nothing
        #expect(tracker.awaited == 0)
        #expect(tracker.drainCommittable().offsets == [["p": .string("a")]: ["o": .int64(1)]])
        #expect(tracker.outstanding == 3, "records from the refused one on stay unacknowledged")
    }

    @Test("a failed token reaches its source task's failures, or the delivery's own failure callback")
    func failures() throws {
        let tracker = SubmittedRecords(limiter: InFlightLimiter(maxRecords: 100, maxBytes: 10_000))
        let pending = submit(tracker, partition: "a", 0..<2)
        RecordDelivery.failed(token: RecordDelivery(pending[1]).token!, ConnectError("broker said no"))
        let failures = tracker.takeDeliveryFailures()
        #expect(failures.count == 1 && failures[0].record === pending[1] && "\(failures[0].error)".contains("broker said no"))
        // A delivery with a failure callback (a dead-letter copy) is boxed; its callback hears of it.
        let heard = Mutex<[String]>([])
        let observed = RecordDelivery(nil) { error in heard.withLock { $0.append("\(error)") } }
        let token = try #require(observed.token)
        RecordDelivery.failed(token: token, ConnectError("no room"))
        RecordDelivery.succeeded(tokens: [token])  // a boxed delivery without a tracked record: nothing to acknowledge
        #expect(heard.withLock { $0 }.count == 1 && heard.withLock { $0[0] }.contains("no room"))
        #expect(tracker.outstanding == 2)
    }
}
