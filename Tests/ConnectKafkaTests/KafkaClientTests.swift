import ConnectKit
import Foundation
import Synchronization
import Testing

@testable import ConnectKafka
@testable import ConnectRuntime

@Suite("Java's partitioner")
struct JavaPartitionerTests {
    /// scripts/gen-kafka-vectors.sh: kafka-clients' Utils.murmur2 and BuiltInPartitioner.partitionForKey
    /// on 2000 keys (every length up to 63, random bytes, Kafka Connect offset keys).
    @Test("murmur2 and the partition of every key agree with kafka-clients")
    func vectors() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/partitioner.jsonl")
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2000)
        for line in lines {
            let v = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let hex = v["key"] as! String
            let key = try #require(Hex.bytes(hex), "key \(hex)")
            #expect(JavaPartitioner.murmur2(key) == Int32(v["murmur2"] as! Int), "key \(hex)")
            for (count, partition) in v["partitions"] as! [String: Int] {
                #expect(JavaPartitioner.partition(forKey: key, partitions: Int32(count)!) == Int32(partition), "key \(hex), \(count) partitions")
            }
        }
    }
}

@Suite("librdkafka wrapper on the mock cluster", .serialized)
struct KafkaClientTests {
    @Test("a refused librdkafka property is an error naming the key, never the value")
    func badProperty() {
        #expect {
            _ = try KafkaProducer(properties: ["bootstrap.servers": "127.0.0.1:1", "no.such.property": "s3cret"])
        } throws: { error in
            let e = error as! KafkaError
            return e.key == "no.such.property" && !e.description.contains("s3cret")
        }
        #expect(throws: KafkaError.self) { _ = try KafkaConsumer(properties: ["bootstrap.servers": "127.0.0.1:1"]) }
    }

    @Test("produce keyed records to Java's partitions, consume them in a group, commit, and a new member resumes after the commit")
    func produceConsumeCommit() async throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        try cluster.createTopic("orders", partitions: 6)
        let producer = try KafkaProducer(properties: ["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "5"])
        #expect(try producer.partitionCount("orders") == 6)
        let delivered = Mutex<[KafkaDelivery]>([])
        let failed = Mutex<[KafkaError]>([])
        for i in 0..<600 {
            let key = Array("order-\(i)".utf8)
            try producer.send(
                topic: "orders", partition: JavaPartitioner.partition(forKey: key, partitions: 6), key: key, value: Array("{\"id\":\(i)}".utf8),
                headers: [("trace", Array("t\(i)".utf8)), ("empty", nil)], timestamp: 1_700_000_000_000 + Int64(i)
            ) { result in
                switch result {
                case .success(let d): delivered.withLock { $0.append(d) }
                case .failure(let e): failed.withLock { $0.append(e) }
                }
            }
        }
        try producer.flush(timeout: .seconds(30))
        #expect(delivered.withLock { $0.count } == 600)
        #expect(failed.withLock { $0.isEmpty })
        producer.close()

        let properties = [
            "bootstrap.servers": cluster.bootstrapServers, "group.id": "connect-sink", "session.timeout.ms": "6000", "heartbeat.interval.ms": "500",
        ]
        // Blocking calls on a thread of their own.
        let (first, assigned) = try await offThread { () throws -> ([KafkaRecord], Set<KafkaPartition>) in
            let consumer = try KafkaConsumer(properties: properties)
            defer { consumer.close() }
            try consumer.subscribe(["orders"])
            var records: [KafkaRecord] = []
            var assigned = Set<KafkaPartition>()
            let deadline = Date().addingTimeInterval(30)
            while records.count < 400 && Date() < deadline {
                let (batch, rebalances) = try consumer.poll(max: 100, timeout: .milliseconds(200))
                for r in rebalances { if case .assigned(let ps) = r { assigned.formUnion(ps) } }
                records += batch
            }
            // Commit exactly the first 400 records' positions.
            let taken = Array(records.prefix(400))
            var positions: [KafkaPartition: Int64] = [:]
            for r in taken { positions[KafkaPartition(topic: r.topic, partition: r.partition)] = max(positions[KafkaPartition(topic: r.topic, partition: r.partition)] ?? 0, r.offset + 1) }
            try consumer.commit(positions)
            return (taken, assigned)
        }
        #expect(assigned.count == 6)
        let sample = try #require(first.first)
        let n = Int(String(decoding: sample.key!, as: UTF8.self).dropFirst(6))!
        #expect(sample.partition == JavaPartitioner.partition(forKey: sample.key!, partitions: 6))
        #expect(sample.value == Array("{\"id\":\(n)}".utf8))
        #expect(sample.headers == [KafkaHeader(key: "trace", value: Array("t\(n)".utf8)), KafkaHeader(key: "empty", value: nil)])
        #expect(sample.timestamp == 1_700_000_000_000 + Int64(n))

        let rest = try await offThread { () throws -> [KafkaRecord] in
            let consumer = try KafkaConsumer(properties: properties)
            defer { consumer.close() }
            try consumer.subscribe(["orders"])
            var records: [KafkaRecord] = []
            let deadline = Date().addingTimeInterval(30)
            while records.count < 200 && Date() < deadline { records += try consumer.poll(max: 100, timeout: .milliseconds(200)).records }
            return records
        }
        // Every record once across the two members: the second starts where the first committed.
        let seen = (first + rest).map { String(decoding: $0.key!, as: UTF8.self) }
        #expect(seen.count == 600)
        #expect(Set(seen).count == 600)
    }

    @Test("a seek asked for right after an assignment (a sink's context.offset in open) is where reading starts")
    func seekOnAssignment() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("events", partitions: 1)
        let producer = try KafkaProducer(properties: ["bootstrap.servers": cluster.bootstrapServers])
        for i in 0..<50 { try producer.send(topic: "events", partition: 0, key: nil, value: Array("e\(i)".utf8)) { _ in } }
        try producer.flush(timeout: .seconds(10))
        producer.close()
        let offsets = try await offThread { () throws -> [Int64] in
            let consumer = try KafkaConsumer(properties: [
                "bootstrap.servers": cluster.bootstrapServers, "group.id": "seekers", "session.timeout.ms": "6000", "heartbeat.interval.ms": "500",
            ])
            defer { consumer.close() }
            try consumer.subscribe(["events"])
            var seen: [Int64] = []
            let deadline = Date().addingTimeInterval(30)
            while seen.count < 10 && Date() < deadline {
                let (records, rebalances) = try consumer.poll(max: 100, timeout: .milliseconds(200))
                seen += records.map(\.offset)
                for r in rebalances {
                    if case .assigned(let ps) = r { consumer.seek(Dictionary(uniqueKeysWithValues: ps.map { ($0, Int64(40)) })) }
                }
            }
            return seen
        }
        #expect(offsets == Array(40..<50))
    }


    /// A record's token in the delivery-report tests.
    final class Token: @unchecked Sendable {
        let id: Int
        init(_ id: Int) { self.id = id }
    }

    /// Every batch a producer's `deliveries` handler was given.
    final class Reports: Sendable {
        let batches = Atomic<Int>(0)
        let succeeded = Mutex<[Int]>([])
        let failed = Mutex<[(Int, KafkaError)]>([])
        let untracked = Atomic<Int>(0)
        let untrackedFailed = Mutex<[KafkaError]>([])

        func take(_ r: KafkaDeliveryReports) {
            batches.add(1, ordering: .relaxed)
            succeeded.withLock { $0 += r.succeeded.map { ($0 as! Token).id } }
            failed.withLock { $0 += r.failed.map { (($0.token as! Token).id, $0.error) } }
            untracked.add(r.untrackedSucceeded, ordering: .relaxed)
            untrackedFailed.withLock { $0 += r.untrackedFailed }
        }
    }

    @Test("delivery reports come a produce response at a time: each token once, untracked records counted, tokens released; borrowed bytes keep an empty key empty")
    func batchedDeliveryReports() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("batched", partitions: 1)
        let reports = Reports()
        let producer = try KafkaProducer(properties: ["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "50"]) { reports.take($0) }
        _ = try producer.partitionCount("batched")
        weak var released: Token?
        do {
            let token = Token(0)
            released = token
            try producer.send(topic: "batched", partition: 0, key: Array("k0".utf8), value: Array("v0".utf8), token: token)
        }
        for i in 1..<300 { try producer.send(topic: "batched", partition: 0, key: Array("k\(i)".utf8), value: Array("v\(i)".utf8), token: Token(i)) }
        for i in 0..<100 { try producer.send(topic: "batched", partition: 0, key: nil, value: Array("u\(i)".utf8), token: nil) }
        // Borrowed bytes: an empty key is empty, a nil key is null (Kafka tells them apart).
        try [UInt8]().withUnsafeBytes { empty in
            try producer.send(topic: "batched", partition: 0, keyBytes: empty, valueBytes: UnsafeRawBufferPointer(start: nil, count: 0), token: Token(300))
            try producer.send(topic: "batched", partition: 0, keyBytes: nil, valueBytes: nil, token: Token(301))
        }
        // A partition the topic does not have is refused at once; the token is not kept.
        weak var refused: Token?
        do {
            let token = Token(999)
            refused = token
            #expect(throws: KafkaError.self) { try producer.send(topic: "batched", partition: 7, key: nil, value: Array("x".utf8), token: token) }
        }
        try producer.flush(timeout: .seconds(30))
        producer.close()
        #expect(reports.succeeded.withLock { $0.sorted() } == Array(0..<302))
        #expect(reports.failed.withLock { $0.isEmpty })
        #expect(reports.untracked.load(ordering: .relaxed) == 100)
        // 402 records in a few produce responses, not one report each.
        #expect(reports.batches.load(ordering: .relaxed) < 50)
        #expect(released == nil, "a token is released once its report is handed over")
        #expect(refused == nil, "a refused record's token is released at once")

        let records = try await offThread { () throws -> [KafkaRecord] in
            let consumer = try KafkaConsumer(properties: ["bootstrap.servers": cluster.bootstrapServers], requireGroup: false)
            defer { consumer.close() }
            try consumer.assign([KafkaPartition(topic: "batched", partition: 0): -2])
            var out: [KafkaRecord] = []
            let deadline = Date().addingTimeInterval(30)
            while out.count < 402 && Date() < deadline { out += try consumer.poll(max: 500, timeout: .milliseconds(200)).records }
            return out
        }
        #expect(records.count == 402)
        #expect(records.first?.key == Array("k0".utf8))
        let emptyKey = try #require(records.dropLast().last)
        #expect(emptyKey.key == [] && emptyKey.value == [])
        #expect(records.last?.key == nil && records.last?.value == nil)
    }

    @Test("a topic name librdkafka refuses (over 512 bytes) is an error, not a crash; the record's token is released")
    func refusedTopicName() throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let reports = Reports()
        let producer = try KafkaProducer(properties: ["bootstrap.servers": cluster.bootstrapServers]) { reports.take($0) }
        defer { producer.close() }
        let name = String(repeating: "t", count: 600)
        weak var released: Token?
        do {
            let token = Token(1)
            released = token
            #expect(throws: KafkaError.self) { try producer.send(topic: name, partition: 0, key: nil, value: Array("v".utf8), token: token) }
        }
        #expect(released == nil)
        #expect(throws: KafkaError.self) { _ = try producer.partitionCount(name, timeout: .seconds(5)) }
    }

    @Test("a record refused for itself (a partition the topic lacks, larger than the whole buffer) fails its delivery, as Java's producer reports it to the record's callback; the batch goes on; a refusal of the producer throws PartialSendError naming how many records were taken")
    func refusedRecords() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("partway", partitions: 1)
        // A 1 KiB buffer (Java's buffer.memory): a 4 KiB record can never fit.
        let transport = try KafkaTransport(worker: ["bootstrap.servers": cluster.bootstrapServers, "producer.buffer.memory": "1024"])
        defer { transport.shutdown() }
        let producer = try transport.makeProducer(clientID: "partway", connectorConfig: [:])
        defer { producer.close() }
        let failures = Mutex<[String]>([])
        func record(_ value: String, topic: String = "partway", partition: Int32?) -> OutgoingRecord {
            OutgoingRecord(topic: topic, partition: partition, record: TopicRecord(key: nil, value: Array(value.utf8)),
                           delivery: RecordDelivery(nil) { error in failures.withLock { $0.append("\(value.prefix(1)): \(error)") } })
        }
        try producer.send([record("a", partition: 0), record("b", partition: 7), record(String(repeating: "c", count: 4096), partition: 0), record("d", partition: nil)])
        #expect(await producer.flush(until: .now + .seconds(30)))
        let seen = failures.withLock { $0 }
        #expect(seen.count == 2, "\(seen)")
        #expect(seen.contains { $0.hasPrefix("b: ") && $0.contains("partway-7") && $0.contains("_UNKNOWN_PARTITION") }, "\(seen)")
        #expect(seen.contains { $0.hasPrefix("c: ") && $0.contains("larger than the total memory buffer") }, "\(seen)")
        // A topic name librdkafka refuses is the producer's refusal: the batch stops there.
        #expect {
            try producer.send([record("e", partition: 0), record("f", topic: String(repeating: "t", count: 600), partition: 0), record("g", partition: 0)])
        } throws: { error in
            guard let partial = error as? PartialSendError else { return false }
            return partial.handedOver == 1 && partial.cause is KafkaError
        }
        #expect(await producer.flush(until: .now + .seconds(30)))
        let consumer = try KafkaConsumer(properties: ["bootstrap.servers": cluster.bootstrapServers, "group.id": "partway-check"])
        defer { consumer.close() }
        #expect(try consumer.watermarks(KafkaPartition(topic: "partway", partition: 0)).high == 3, "a, d and e; nothing after the refused topic")
    }

    @Test("a full librdkafka buffer makes a batch wait for room, as Kafka Connect's producer blocks, rather than fail the task")
    func fullBufferWaits() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("full", partitions: 1)
        // Room for 10 records in librdkafka's queue; the batch holds 500.
        let transport = try KafkaTransport(worker: ["bootstrap.servers": cluster.bootstrapServers, "producer.queue.buffering.max.messages": "10"])
        defer { transport.shutdown() }
        let producer = try transport.makeProducer(clientID: "full", connectorConfig: [:])
        defer { producer.close() }
        let failures = Mutex<[String]>([])
        let batch = (0..<500).map {
            OutgoingRecord(topic: "full", partition: 0, record: TopicRecord(key: nil, value: Array("v\($0)".utf8)),
                           delivery: RecordDelivery(nil) { error in failures.withLock { $0.append("\(error)") } })
        }
        try producer.send(batch)
        #expect(await producer.flush(until: .now + .seconds(30)))
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 }.prefix(3))")
        let consumer = try KafkaConsumer(properties: ["bootstrap.servers": cluster.bootstrapServers, "group.id": "full-check"])
        defer { consumer.close() }
        #expect(try consumer.watermarks(KafkaPartition(topic: "full", partition: 0)).high == 500)
    }

    @Test("close() hands over a report for every record still undelivered (purged: failed, with its token)")
    func closeReportsWhatIsUndelivered() throws {
        let reports = Reports()
        // Nothing listens on port 1 and the records would wait 5 minutes: close() flushes for 10 s, then purges.
        let producer = try KafkaProducer(properties: ["bootstrap.servers": "127.0.0.1:1", "enable.idempotence": "false", "acks": "1"]) {
            reports.take($0)
        }
        for i in 0..<3 { try producer.send(topic: "nowhere", partition: 0, key: nil, value: Array("p\(i)".utf8), token: Token(i)) }
        producer.close()
        #expect(reports.failed.withLock { $0.map(\.0).sorted() } == [0, 1, 2])
        #expect(reports.failed.withLock { $0.allSatisfy { $0.1.message.contains("urge") } }, "librdkafka's purge error")
        #expect(reports.succeeded.withLock { $0.isEmpty })
    }

    @Test("records that cannot be delivered come back failed with their tokens (and untracked ones as errors)")
    func failedDeliveryReports() throws {
        let reports = Reports()
        // Nothing listens on port 1: the records time out in the producer's queue.
        let producer = try KafkaProducer(properties: ["bootstrap.servers": "127.0.0.1:1", "message.timeout.ms": "300", "enable.idempotence": "false", "acks": "1"]) {
            reports.take($0)
        }
        for i in 0..<5 { try producer.send(topic: "nowhere", partition: 0, key: nil, value: Array("f\(i)".utf8), token: Token(i)) }
        try producer.send(topic: "nowhere", partition: 0, key: nil, value: Array("g".utf8), token: nil)
        try producer.flush(timeout: .seconds(30))
        producer.close()
        #expect(reports.failed.withLock { $0.map(\.0).sorted() } == Array(0..<5))
        #expect(reports.failed.withLock { $0.allSatisfy { $0.1.message.contains("Delivery to nowhere-0 failed") } })
        #expect(reports.untrackedFailed.withLock { $0.count } == 1)
        #expect(reports.succeeded.withLock { $0.isEmpty })
    }

    @Test("a consumer prefetches past librdkafka's 100,000-record threshold, up to its own bound of 300,000 — null values included")
    func prefetchIsBounded() throws {
        // librdkafka 2.0.2 stops fetching once 100,000 records wait in the consumer queue (its
        // queued.min.messages default, counted over all partitions) and fetches again only up to a
        // second later: a consumer reading faster stalled. Ours fetches on to 300,000 records; null
        // values (tombstones), which the byte bound does not count, stop there too.
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("tombstones", partitions: 8)  // the mock keeps at most 100,000 record sets a partition
        let producer = try KafkaProducer(properties: ["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "20"])
        let total = 480_000
        for chunk in 0..<(total / 80_000) {
            for i in 0..<80_000 {
                try producer.send(topic: "tombstones", partition: Int32((chunk * 80_000 + i) % 8), key: nil, value: nil, token: nil)
            }
            try producer.flush(timeout: .seconds(30))
        }
        producer.close()
        let consumer = try KafkaConsumer(properties: ["bootstrap.servers": cluster.bootstrapServers], requireGroup: false)
        defer { consumer.close() }
        try consumer.assign(Dictionary(uniqueKeysWithValues: (0..<8).map { (KafkaPartition(topic: "tombstones", partition: $0), Int64(0)) }))
        // Nothing is polled: the queue fills to the bound (30 s: a hang detector, not a timing).
        let deadline = ContinuousClock.now + .seconds(30)
        while consumer.prefetched < 300_000 && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(consumer.prefetched >= 300_000, "stuck at \(consumer.prefetched) prefetched records")
        // Two of librdkafka's wake-ups later it has not fetched everything: the bound holds (one
        // fetch answer may overshoot it).
        Thread.sleep(forTimeInterval: 2.5)
        #expect(consumer.prefetched < total, "\(consumer.prefetched) records prefetched: no bound")
        var read = 0
        var nulls = 0
        var perPartition: [Int32: Int] = [:]
        while read < total && ContinuousClock.now < deadline + .seconds(30) {
            for r in try consumer.poll(max: 10_000, timeout: .milliseconds(100)).records {
                if r.value == nil { nulls += 1 }
                read += 1
                perPartition[r.partition, default: 0] += 1
            }
        }
        #expect(read == total)
        #expect(nulls == total)
        #expect(perPartition == Dictionary(uniqueKeysWithValues: (0..<8).map { (Int32($0), 60_000) }))
    }
}
