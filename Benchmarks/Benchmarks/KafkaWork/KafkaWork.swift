// The ConnectKit side of `make bench-kafka` (scripts/bench-kafka.sh runs kcat on the same records,
// against the same librdkafka mock cluster, in the same run, interleaved).
//
//   KafkaWork lines <file> <n>                  n records of the benchmark shape (DataGen's order), as
//                                               JsonConverter (schemas.enable=false) writes them, one per line
//   KafkaWork produce <bootstrap> <topic> <file> <n>
//                                               FileStreamSource (StringConverter) → Kafka, until every record's
//                                               delivery report is in (beside `kcat -P -l file`)
//   KafkaWork send <bootstrap> <topic> <file> <n>
//                                               the same lines' bytes through ConnectKit's KafkaProducer (the
//                                               librdkafka wrapper under the runtime), every delivery report
//                                               counted: kcat's own work (`kcat -P -l file`), nothing more
//   KafkaWork consume <bootstrap> <topic> <n>   Kafka → a sink that discards (ByteArrayConverter), until n
//                                               records were put (beside `kcat -C -e`; its group commits every
//                                               5 s, as kcat -G's auto-commit); also prints the seconds
//                                               until the first records were put and from them to the last
//   KafkaWork e2e <bootstrap> <topic> <n> [rate] DataGen's records (JsonConverter) → Kafka → a discarding sink;
//                                               also the p50/p99 latency from poll to the sink's flush, after
//                                               which its offsets are committed (offset.flush.interval.ms=100);
//                                               with a rate (records/s) the source is held to it
//
// Prints "<n>\t<seconds>\t<records/s>\t<peak RSS MiB>" (e2e: then "\t<p50 ms>\t<p99 ms>"; consume: then
// "\t<seconds to the first records put>\t<seconds from them to the last>").
import ConnectKafka
import ConnectKit
import ConnectPlugins
import ConnectRuntime
import Foundation
import Logging
import Synchronization

let benchStart = ContinuousClock.now

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Counts what it is given; with `latency`, notes each record's age (now − its timestamp, set at
/// poll) when the runtime flushes it, just before its offsets are committed.
final class DiscardSink: SinkTask {
    static let put = Atomic<Int>(0)
    /// When the first records were put (nanoseconds of the continuous clock since `benchStart`; 0: none yet).
    static let firstPut = Atomic<Int64>(0)
    /// When the last records were put (as `firstPut`).
    static let lastPut = Atomic<Int64>(0)
    static let ages = Mutex<[Int64]>([])
    private var timestamps: [Int64] = []
    private var latency = false
    required init() {}
    var version: String { "bench" }
    func start(_ config: [String: String]) async throws { latency = config["latency"] == "true" }
    func put(_ records: [SinkRecord]) async throws {
        if latency { for r in records { timestamps.append(r.timestamp ?? 0) } }
        if !records.isEmpty {
            let d = ContinuousClock.now - benchStart
            let nanoseconds = d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
            if Self.firstPut.load(ordering: .relaxed) == 0 { Self.firstPut.store(nanoseconds, ordering: .relaxed) }
            Self.lastPut.store(nanoseconds, ordering: .relaxed)
        }
        Self.put.add(records.count, ordering: .relaxed)
    }
    func flush(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws {
        guard latency, !timestamps.isEmpty else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let batch = timestamps.map { now - $0 }
        timestamps = []
        Self.ages.withLock { $0 += batch }
    }
    func stop() async throws {}
}

extension DiscardSink: SinkConnector {
    var configDef: ConfigDef { ConfigDef().define("latency", .boolean, default: false, importance: .low, documentation: "Measure ages at flush.") }
    var taskType: any SinkTask.Type { DiscardSink.self }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [[:]] }
}

/// DataGen's orders, stamped with the wall clock at poll; with `rate`, at most that many per second.
final class StampedOrders: SourceTask {
    private var next: Int64 = 0
    private var count: Int64 = 0
    private var rate: Double = 0
    private var started = ContinuousClock.now
    private var topic = ""
    required init() {}
    var version: String { "bench" }
    func initialize(context: any SourceTaskContext) {}
    func start(_ config: [String: String]) async throws {
        topic = config["topic"] ?? ""
        count = Int64(config["count"] ?? "0") ?? 0
        rate = Double(config["rate"] ?? "0") ?? 0
        started = ContinuousClock.now
    }
    func poll() async throws -> [SourceRecord] {
        guard next < count else {
            try await Task.sleep(for: .milliseconds(50))
            return []
        }
        var end = min(count, next + 1000)
        if rate > 0 {
            let elapsed = ContinuousClock.now - started
            let allowed = Int64((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * rate)
            if allowed <= next {
                try await Task.sleep(for: .milliseconds(2))
                return []
            }
            end = min(end, allowed)
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        defer { next = end }
        return (next..<end).map { i in
            SourceRecord(sourcePartition: ["bench": "0"], sourceOffset: ["i": .int64(i)], topic: topic, keySchema: .int64, key: .int64(i),
                         valueSchema: DataGen.ordersSchema, value: DataGen.order(i), timestamp: now)
        }
    }
    func stop() async throws {}
}

extension StampedOrders: SourceConnector {
    var configDef: ConfigDef { ConfigDef() }
    var taskType: any SourceTask.Type { StampedOrders.self }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [["topic": topic, "count": String(count), "rate": String(rate)]] }
}

func worker(_ bootstrap: String, _ extra: [String: String] = [:]) throws -> Worker {
    var registry = PluginRegistry.standard
    registry.register(.sink(DiscardSink.self), name: "DiscardSink")
    registry.register(.source(StampedOrders.self), name: "StampedOrders")
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    // noida-db answers a fetch with up to a whole partition (ignoring fetch.max.bytes): let it.
    var props = ["bootstrap.servers": bootstrap, "offset.flush.interval.ms": "100", "consumer.max.poll.records": "2000",
                 "consumer.receive.message.max.bytes": "1000000000"].merging(extra) { $1 }
    // BENCH_KAFKA_WORKER="key=value,…" adds worker keys (to try settings).
    for pair in (ProcessInfo.processInfo.environment["BENCH_KAFKA_WORKER"] ?? "").split(separator: ",") {
        let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
        if kv.count == 2 { props[kv[0]] = kv[1] }
    }
    return try Worker(config: try WorkerConfig(props), registry: registry, transport: try KafkaTransport(worker: props), logger: logger)
}

/// Runs the worker until `done` holds; returns the seconds from start to then. Exits the process after
/// 600 s without it (records missing from the server).
func timed(_ worker: Worker, until done: @escaping @Sendable () -> Bool) async throws -> Double {
    let started = ContinuousClock.now
    let run = Task { try await worker.run() }
    while !done() {
        if ContinuousClock.now - started > .seconds(600) {
            FileHandle.standardError.write(Data("KafkaWork: not done after 600 s (progress \(worker.progress))\n".utf8))
            exit(1)
        }
        try await Task.sleep(for: .milliseconds(5))
    }
    let elapsed = ContinuousClock.now - started
    worker.stop()
    try await run.value
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Produces one record; while librdkafka's queue is full (`_QUEUE_FULL`), waits for room as kcat does.
func sendWaiting(_ producer: KafkaProducer, _ topic: String, _ value: UnsafeRawBufferPointer) throws {
    while true {
        do throws(KafkaError) {
            try producer.send(topic: topic, partition: -1, keyBytes: nil, valueBytes: value, token: nil)
            return
        } catch {
            guard error.code == -184 else { throw error }
            usleep(1000)
        }
    }
}

func report(_ n: Int, _ seconds: Double, extra: String = "") {
    print(String(format: "%d\t%.3f\t%.0f\t%.1f", n, seconds, Double(n) / seconds, peakRSSMiB()) + extra)
}

let args = CommandLine.arguments
switch args.count > 1 ? args[1] : "" {
case "lines":
    let n = Int(args[3])!
    let json = JSONConverter(schemasEnabled: false)
    var out = Data()
    for i in 0..<Int64(n) {
        out.append(contentsOf: try json.fromConnectData(topic: "orders", schema: DataGen.ordersSchema, value: DataGen.order(i))!)
        out.append(0x0A)
    }
    try out.write(to: URL(fileURLWithPath: args[2]))
case "produce":
    let (bootstrap, topic, file, n) = (args[2], args[3], args[4], Int(args[5])!)
    let w = try worker(bootstrap, ["value.converter": "org.apache.kafka.connect.storage.StringConverter"])
    try w.add(["name": "produce", "connector.class": "FileStreamSource", "file": file, "topic": topic, "batch.size": "2000"])
    let seconds = try await timed(w) { let p = w.progress; return p.recordsPolled >= n && p.recordsInFlight == 0 }
    report(n, seconds)
case "send":
    let (bootstrap, topic, file, n) = (args[2], args[3], args[4], Int(args[5])!)
    let delivered = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    // Records without a token: each report is counted, as kcat's delivery callback counts them.
    let producer = try KafkaProducer(properties: ["bootstrap.servers": bootstrap]) { reports in
        delivered.add(reports.untrackedSucceeded, ordering: .relaxed)
        failed.add(reports.untrackedFailed.count, ordering: .relaxed)
    }
    let started = ContinuousClock.now
    // kcat -l reads the file through stdio and produces each line; so does this, from the read buffer.
    let fd = open(file, O_RDONLY)
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    var carry: [UInt8] = []
    var sent = 0
    while sent < n {
        let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if got <= 0 { break }
        try chunk.withUnsafeBytes { buffer in
            let base = buffer.baseAddress!
            var start = 0
            while start < got, let nl = memchr(base + start, 0x0A, got - start) {
                let end = base.distance(to: UnsafeRawPointer(nl))
                if carry.isEmpty {
                    try sendWaiting(producer, topic, UnsafeRawBufferPointer(start: base + start, count: end - start))
                } else {
                    carry += UnsafeRawBufferPointer(start: base + start, count: end - start)
                    try carry.withUnsafeBytes { try sendWaiting(producer, topic, $0) }
                    carry = []
                }
                sent += 1
                start = end + 1
            }
            carry += UnsafeRawBufferPointer(start: base + start, count: got - start)
        }
    }
    close(fd)
    try producer.flush(timeout: .seconds(60))
    let elapsed = ContinuousClock.now - started
    precondition(delivered.load(ordering: .relaxed) == sent && failed.load(ordering: .relaxed) == 0, "not every record was delivered")
    producer.close()
    report(sent, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
case "consume":
    let (bootstrap, topic, n) = (args[2], args[3], Int(args[4])!)
    // The sink group commits every 5 s, as kcat -G (librdkafka's auto.commit.interval.ms): on noida-db
    // every commit is a change it writes a snapshot of everything for, on the cores both share.
    let w = try worker(bootstrap, ["value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
                                   "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
                                   "offset.flush.interval.ms": "5000"])
    try w.add(["name": "consume-\(UUID().uuidString.prefix(8))", "connector.class": "DiscardSink", "topics": topic])
    let seconds = try await timed(w) { DiscardSink.put.load(ordering: .relaxed) >= n }
    // Also: seconds until the first records arrived (joining the consumer group, the first fetch).
    // And the seconds from the first records put to the last (after the group's join and first fetch).
    let (first, last) = (DiscardSink.firstPut.load(ordering: .relaxed), DiscardSink.lastPut.load(ordering: .relaxed))
    report(n, seconds, extra: String(format: "\t%.3f\t%.3f", Double(first) / 1e9, Double(last - first) / 1e9))
case "e2e":
    let (bootstrap, topic, n) = (args[2], args[3], Int(args[4])!)
    let rate = args.count > 5 ? args[5] : "0"
    let w = try worker(bootstrap, ["value.converter.schemas.enable": "false"])
    try w.add(["name": "e2e-source", "connector.class": "StampedOrders", "topic": topic, "count": String(n), "rate": rate])
    try w.add(["name": "e2e-sink", "connector.class": "DiscardSink", "topics": topic, "latency": "true"])
    let seconds = try await timed(w) { DiscardSink.ages.withLock { $0.count } >= n }
    let ages = DiscardSink.ages.withLock { $0 }.sorted()
    func percentile(_ p: Double) -> Int64 { ages.isEmpty ? 0 : ages[min(ages.count - 1, Int(Double(ages.count) * p))] }
    report(n, seconds, extra: "\t\(percentile(0.5))\t\(percentile(0.99))")
default:
    FileHandle.standardError.write(Data("usage: KafkaWork lines|produce|consume|e2e …\n".utf8))
    exit(2)
}
