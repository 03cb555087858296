// The Swift side of `make bench-ratio` and `make bench-instructions`: the same work as
// scripts/bench/JavaEqualWork.java does with Kafka's own classes — the same 4096 `shop.orders.Value`
// records (DataGen's), reused round-robin, outputs dropped, deserialized values checked the same
// cheap way.
//
//   EqualWork pool <file>                       writes the pool (JsonConverter, schemas.enable=true) for Java
//   EqualWork time <workload> <seconds>          records/s of a workload for about that long
//   EqualWork count <workload> <records>         exactly that many records (for instruction counts)
//
// Workloads: serialize-schemas, serialize-schemaless, deserialize-schemas, deserialize-schemaless,
// chain-fused, chain-staged, avro-serialize, avro-deserialize (Confluent's AvroConverter wire format,
// registry cached), pipeline-direct, pipeline-topic, and the parts of topic mode that the
// converter workloads do not cover: generate (DataGen's records), convert-key (the int64 key out and
// in), transport (serialized records through the in-memory topic and a consumer group member).
import ConnectAvro
import ConnectKit
import ConnectRuntime
import Foundation
import Logging
import Synchronization

let schema = DataGen.ordersSchema
let pool: [Value] = (0..<4096).map { DataGen.order(Int64($0)) }

/// The chain of the performance issue, configured as a connector configuration would.
let chainConfig: [String: String] = [
    "transforms": "insert,replace,mask,cast,route,key",
    "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.insert.static.field": "source", "transforms.insert.static.value": "shop", "transforms.insert.topic.field": "topic",
    "transforms.replace.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "transforms.replace.exclude": "note", "transforms.replace.renames": "customer:customer_name",
    "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskField$Value", "transforms.mask.fields": "email",
    "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value", "transforms.cast.spec": "quantity:int64,paid:string",
    "transforms.route.type": "org.apache.kafka.connect.transforms.TimestampRouter",
    "transforms.route.topic.format": "${topic}-${timestamp}", "transforms.route.timestamp.format": "yyyyMMdd",
    "transforms.key.type": "org.apache.kafka.connect.transforms.ValueToKey", "transforms.key.fields": "id",
]

let records: [SourceRecord] = (0..<4096).map { i in
    SourceRecord(
        sourcePartition: ["datagen": "0"], sourceOffset: ["iteration": .int64(Int64(i))], topic: "orders",
        valueSchema: schema, value: pool[i], timestamp: 1_700_000_000_000 + Int64(i) * 1000)
}

/// Runs `body(i)` for record indexes 0, 1, 2, … until `limit` records or `seconds` passed; returns
/// records done and seconds taken.
func loop(records limit: Int?, seconds: Double?, _ body: (Int) throws -> Int) rethrows -> (Int, Double, Int) {
    var sink = 0
    let start = ContinuousClock.now
    var i = 0
    let deadline = seconds.map { start + .milliseconds(Int64($0 * 1000)) }
    while true {
        // Check the time every 1024 records.
        for _ in 0..<1024 {
            if let limit, i >= limit { break }
            sink &+= try body(i)
            i += 1
        }
        if let limit, i >= limit { break }
        if let deadline, ContinuousClock.now >= deadline { break }
    }
    let elapsed = ContinuousClock.now - start
    return (i, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, sink)
}

/// ``loop(records:seconds:_:)`` for async work (the runtime's converter entry points).
@inline(__always)
func asyncLoop(records limit: Int?, seconds: Double?, _ body: (Int) async throws -> Int) async rethrows -> (Int, Double, Int) {
    var sink = 0
    let start = ContinuousClock.now
    var i = 0
    let deadline = seconds.map { start + .milliseconds(Int64($0 * 1000)) }
    while true {
        for _ in 0..<1024 {
            if let limit, i >= limit { break }
            sink &+= try await body(i)
            i += 1
        }
        if let limit, i >= limit { break }
        if let deadline, ContinuousClock.now >= deadline { break }
    }
    let elapsed = ContinuousClock.now - start
    return (i, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, sink)
}

func workload(_ name: String, limit: Int?, seconds: Double?) async throws -> (Int, Double) {
    switch name {
    case "serialize-schemas", "serialize-schemaless":
        let c = JSONConverter(schemasEnabled: name == "serialize-schemas")
        let (n, t, sink) = try loop(records: limit, seconds: seconds) { i in try c.fromConnectData(topic: "orders", schema: schema, value: pool[i & 4095])!.count }
        precondition(sink > 0)
        return (n, t)
    case "deserialize-schemas", "deserialize-schemaless":
        let c = JSONConverter(schemasEnabled: name == "deserialize-schemas")
        let encoded = try pool.map { try c.fromConnectData(topic: "orders", schema: schema, value: $0)! }
        let (n, t, sink) = try loop(records: limit, seconds: seconds) { i in
            switch try c.toConnectData(topic: "orders", value: encoded[i & 4095]).value {
            case .struct, .map: return 1
            default: return 0
            }
        }
        precondition(sink == n)
        return (n, t)
    case "avro-serialize":
        // Confluent's wire format through AvroConverter, registry cached (the runtime's async entry point).
        let c = AvroConverter(registry: MockSchemaRegistryClient())
        _ = try await c.serialize(topic: "orders", headers: nil, schema: schema, value: pool[0])
        let (n, t, sink) = try await asyncLoop(records: limit, seconds: seconds) { i in
            try await c.serialize(topic: "orders", headers: nil, schema: schema, value: pool[i & 4095])!.count
        }
        precondition(sink > 0)
        return (n, t)
    case "avro-serialize-sync":
        // The same through the synchronous Converter API (the call Confluent's converter offers).
        let c = AvroConverter(registry: MockSchemaRegistryClient())
        _ = try await c.serialize(topic: "orders", headers: nil, schema: schema, value: pool[0])
        let (n, t, sink) = try loop(records: limit, seconds: seconds) { i in
            try c.fromConnectData(topic: "orders", schema: schema, value: pool[i & 4095])!.count
        }
        precondition(sink > 0)
        return (n, t)
    case "avro-deserialize-sync":
        let c = AvroConverter(registry: MockSchemaRegistryClient())
        var encoded: [[UInt8]] = []
        for v in pool { encoded.append(try await c.serialize(topic: "orders", headers: nil, schema: schema, value: v)!) }
        _ = try await c.deserialize(topic: "orders", headers: nil, value: encoded[0])
        let (n, t, sink) = try loop(records: limit, seconds: seconds) { i in
            if case .struct = try c.toConnectData(topic: "orders", value: encoded[i & 4095]).value { return 1 }
            return 0
        }
        precondition(sink == n)
        return (n, t)
    case "avro-deserialize":
        let c = AvroConverter(registry: MockSchemaRegistryClient())
        var encoded: [[UInt8]] = []
        for v in pool { encoded.append(try await c.serialize(topic: "orders", headers: nil, schema: schema, value: v)!) }
        let (n, t, sink) = try await asyncLoop(records: limit, seconds: seconds) { i in
            if case .struct = try await c.deserialize(topic: "orders", headers: nil, value: encoded[i & 4095]).value { return 1 }
            return 0
        }
        precondition(sink == n)
        return (n, t)
    case "chain-fused", "chain-staged":
        let chain = try TransformChain(config: chainConfig, registry: .core)
        let staged = name == "chain-staged"
        precondition(chain.isFused)
        let (n, t, sink) = try loop(records: limit, seconds: seconds) { i in
            let r = staged ? try chain.applyStageByStage(records[i & 4095]) : try chain.apply(records[i & 4095])
            return r?.topic.utf8.count ?? 0
        }
        precondition(sink > 0)
        return (n, t)
    case "generate":
        // What DataGen's task does per record (the source's own cost, a part of both pipelines).
        let partition: [String: Value] = ["datagen": "0"]
        let (n, t, sink) = loop(records: limit, seconds: seconds) { i in
            let k = Int64(i)
            let r = SourceRecord(
                sourcePartition: partition, sourceOffset: ["iteration": .int64(k)], topic: "orders",
                keySchema: .int64, key: .int64(k), valueSchema: schema, value: DataGen.order(k),
                timestamp: 1_700_000_000_000 + k * 1000)
            return r.topic.utf8.count
        }
        precondition(sink > 0)
        return (n, t)
    case "convert-key":
        // The record key (int64) through JsonConverter out and in, as topic mode converts it.
        let c = JSONConverter(schemasEnabled: true)
        let (n, t, sink) = try loop(records: limit, seconds: seconds) { i in
            let bytes = try c.fromConnectData(topic: "orders", schema: .int64, value: .int64(Int64(i)))
            if case .int64 = try c.toConnectData(topic: "orders", value: bytes).value { return 1 }
            return 0
        }
        precondition(sink == n)
        return (n, t)
    case "transport":
        // Serialized records through the in-memory transport: produced in batches of 2000 with
        // their deliveries completed, polled by a consumer group member, offsets committed.
        let c = JSONConverter(schemasEnabled: true)
        let encoded = try pool.map { try c.fromConnectData(topic: "orders", schema: schema, value: $0)! }
        let key = try c.fromConnectData(topic: "orders", schema: .int64, value: .int64(0))!
        let broker = MemoryBroker(retention: 1_000_000)
        broker.createTopic("orders")
        let producer = try broker.makeProducer(clientID: "bench")
        let consumer = try broker.makeConsumer(group: "bench", clientID: "bench-1")
        consumer.subscribe(.topics(["orders"]))
        let total = limit ?? Int((seconds ?? 3) * 2_000_000)
        let start = ContinuousClock.now
        var produced = 0, consumed = 0, bytes = 0
        let deadline = seconds.map { start + .milliseconds(Int64($0 * 1000)) }
        while consumed < total {
            if let deadline, ContinuousClock.now >= deadline { break }
            let batch = min(2000, total - produced)
            if batch > 0 {
                let records = (0..<batch).map { k in
                    OutgoingRecord(
                        topic: "orders", partition: nil,
                        record: TopicRecord(key: key, value: encoded[(produced + k) & 4095], timestamp: 1_700_000_000_000),
                        delivery: .unobserved)
                }
                try producer.send(records)
                produced += batch
            }
            var positions: [TopicPartition: Int64] = [:]
            while consumed < produced {
                guard case .records(let got) = try await consumer.poll(max: 2000, timeout: .milliseconds(100)) else { continue }
                for r in got {
                    bytes &+= r.record.value?.count ?? 0
                    positions[r.topicPartition] = r.offset + 1
                }
                consumed += got.count
            }
            try await consumer.commit(positions)
        }
        let elapsed = ContinuousClock.now - start
        precondition(bytes > 0)
        return (consumed, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    case "pipeline-direct", "pipeline-topic":
        let count = limit ?? Int((seconds ?? 3) * 1_000_000)
        let start = ContinuousClock.now
        try await runPipeline(count: count, mode: name == "pipeline-topic" ? "topic" : "direct")
        let elapsed = ContinuousClock.now - start
        return (count, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    default:
        throw NSError(domain: "EqualWork", code: 1, userInfo: [NSLocalizedDescriptionKey: "unknown workload \(name)"])
    }
}

// MARK: Pipelines

final class DiscardSink: SinkConnector {
    required init() {}
    var version: String { "bench" }
    var configDef: ConfigDef { ConfigDef() }
    var taskType: any SinkTask.Type { DiscardSinkTask.self }
    func start(_ config: [String: String]) async throws {}
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [[:]] }
    func stop() async throws {}
}

let discarded = Atomic<Int>(0)
let allDiscarded = Mutex<(target: Int, done: CheckedContinuation<Void, Never>?)>((0, nil))

final class DiscardSinkTask: SinkTask {
    required init() {}
    var version: String { "bench" }
    func start(_ config: [String: String]) async throws {}
    func put(_ records: [SinkRecord]) async throws {
        let total = discarded.add(records.count, ordering: .relaxed).newValue
        let done = allDiscarded.withLock { s -> CheckedContinuation<Void, Never>? in
            guard total >= s.target, let c = s.done else { return nil }
            s.done = nil
            return c
        }
        done?.resume()
    }
    func stop() async throws {}
}

func runPipeline(count: Int, mode: String) async throws {
    var registry = PluginRegistry.core
    registry.register(.sink(DiscardSink.self), name: "Discard")
    discarded.store(0, ordering: .relaxed)
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    let worker = try Worker(
        config: try WorkerConfig(["offset.flush.interval.ms": "1000", "pipeline.mode": mode, "consumer.max.poll.records": "2000"]),
        registry: registry, logger: logger)
    try worker.add(["name": "gen", "connector.class": "DataGen", "iterations": String(count), "batch.size": "2000"])
    try worker.add(["name": "discard", "connector.class": "Discard", "topics": "orders"])
    let run = Task { try await worker.run() }
    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        let now = allDiscarded.withLock { s -> Bool in
            s.target = count
            if discarded.load(ordering: .relaxed) >= count { return true }
            s.done = c
            return false
        }
        if now { c.resume() }
    }
    worker.stop()
    try await run.value
}

// MARK: Main

/// Runs an async body to completion from synchronous code (the main thread stays an ordinary
/// thread: valgrind cannot follow libdispatch's parking of the main thread under an async main).
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        do {
            let value = try await body()
            result.withLock { $0 = .success(value) }
        } catch {
            result.withLock { $0 = .failure(error) }
        }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}

@main
struct EqualWork {
    static func main() throws {
        let args = CommandLine.arguments
        guard args.count >= 3 else {
            print("usage: EqualWork pool <file> | time <workload> <seconds> | count <workload> <records>")
            exit(2)
        }
        switch args[1] {
        case "pool":
            let c = JSONConverter(schemasEnabled: true)
            var out = Data()
            for v in pool {
                out.append(contentsOf: try c.fromConnectData(topic: "orders", schema: schema, value: v)!)
                out.append(0x0A)
            }
            try out.write(to: URL(fileURLWithPath: args[2]))
        case "time":
            let seconds = Double(args[3]) ?? 3
            let name = args[2]
            _ = try blocking { try await workload(name, limit: nil, seconds: min(1, seconds / 3)) }  // warm-up
            let (n, t) = try blocking { try await workload(name, limit: nil, seconds: seconds) }
            print("\(args[2])\t\(Int(Double(n) / t))")
        case "count":
            let (name, limit) = (args[2], Int(args[3]) ?? 1000)
            let (n, _) = try blocking { try await workload(name, limit: limit, seconds: nil) }
            print("\(args[2])\t\(n)")
        default:
            exit(2)
        }
    }
}
