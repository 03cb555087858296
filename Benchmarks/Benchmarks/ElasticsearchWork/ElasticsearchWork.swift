// The ConnectKit side of `make bench-elasticsearch` (scripts/bench-elasticsearch.sh posts the same
// bulk bodies with curl beside it, against the same server, in the same run, interleaved).
//
//   ElasticsearchWork bodies <dir> <index> <n> <batch>
//       the bulk bodies the sink sends for n DataGen orders (key = the order id, external version =
//       the offset; Decimal written as a double, as Confluent's pre-processing does), <batch> actions
//       per file — what curl posts
//   ElasticsearchWork sink <url> <index> <n> <batch> <in-flight> [max-buffered]
//       n DataGen orders put into ElasticsearchSinkTask 500 at a time (as the runtime hands them over),
//       linger.ms=200 and preCommit every 200 ms (as offset.flush.interval.ms=200 would; each preCommit
//       sends the partial batch, as Confluent's does), until every offset is committable
//
// Prints "<n>\t<seconds>\t<records/s>\t<peak RSS MiB>\t<p50 ms>\t<p99 ms>" (sink; latency from put to
// the offset being seen committable, so up to 200 ms more than the sink's own) or "<files>" (bodies).
import ConnectElasticsearch
import ConnectKit
import ConnectRuntime
import Foundation
import Synchronization

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func nowNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// The sink context of a bare task: no assignment bookkeeping, no errant reporter.
final class BenchContext: SinkTaskContext {
    let config: [String: String]
    init(config: [String: String]) { self.config = config }
    func assignment() -> Set<TopicPartition> { [] }
    func offset(_ offsets: [TopicPartition: Int64]) {}
    func timeout(milliseconds: Int64) {}
    func pause(_ partitions: [TopicPartition]) {}
    func resume(_ partitions: [TopicPartition]) {}
    func requestCommit() {}
    var errantRecordReporter: (any ErrantRecordReporter)? { nil }
}

/// DataGen's order schema with `amount` as FLOAT64: what the sink's pre-processing makes of it.
let documentSchema: Schema = {
    var b = SchemaBuilder.struct().name("shop.orders.Value")
    for f in DataGen.ordersSchema.fields {
        b = b.field(f.name, f.name == "amount" ? Schema.float64 : f.schema)
    }
    return try! b.build()
}()

func document(_ i: Int64) -> Value {
    guard case .struct(let s) = DataGen.order(i) else { fatalError("DataGen.order is a struct") }
    var pairs: [(String, Value)] = []
    for f in DataGen.ordersSchema.fields {
        var v = s.get(f)
        if case .decimal(let d) = v { v = .float64(d.doubleValue) }
        pairs.append((f.name, v))
    }
    var out = try! Struct(documentSchema)
    for (k, v) in pairs { out = try! out.putting(k, v) }
    return .struct(out)
}

let args = CommandLine.arguments
switch args.count > 1 ? args[1] : "" {
case "bodies":
    let dir = args[2], index = args[3], n = Int64(args[4])!, batch = Int64(args[5])!
    let json = try JSONConverter(configuration: ["schemas.enable": "false"])
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var files = 0
    var i: Int64 = 0
    while i < n {
        var body: [UInt8] = []
        for j in i..<min(n, i + batch) {
            body += Array("{\"index\":{\"_index\":\"\(index)\",\"_id\":\"\(j)\",\"version\":\(j),\"version_type\":\"external\"}}\n".utf8)
            body += try json.fromConnectData(topic: index, headers: nil, schema: documentSchema, value: document(j))!
            body.append(UInt8(ascii: "\n"))
        }
        try Data(body).write(to: URL(fileURLWithPath: String(format: "%@/body-%06d.ndjson", dir, files)))
        files += 1
        i += batch
    }
    print(files)

case "sink":
    let url = args[2], index = args[3], n = Int64(args[4])!, batch = args[5], inFlight = args[6]
    let maxBuffered = args.count > 7 ? args[7] : String(max(20000, Int(batch)! * Int(inFlight)!))
    let config = ["connection.url": url, "topics": index, "batch.size": batch, "max.in.flight.requests": inFlight,
                  "max.buffered.records": maxBuffered, "read.timeout.ms": "60000", "linger.ms": "200", "name": "bench"]
    let task = ElasticsearchSinkTask()
    task.initialize(context: BenchContext(config: config))
    try await task.start(config)
    let tp = TopicPartition(topic: index, partition: 0)
    try await task.open([tp])
    var putAt = [UInt64](repeating: 0, count: Int(n))
    var latencies: [UInt64] = []
    latencies.reserveCapacity(Int(n))
    var acknowledged: Int64 = 0
    func collect(_ committed: [TopicPartition: OffsetAndMetadata]) {
        let c = committed[tp]?.offset ?? 0
        let now = nowNanos()
        while acknowledged < c {
            latencies.append(now - putAt[Int(acknowledged)])
            acknowledged += 1
        }
    }
    let start = nowNanos()
    var next: Int64 = 0
    var lastCommit = start
    while next < n {
        var records: [SinkRecord] = []
        let end = min(n, next + 500)
        for i in next..<end {
            records.append(SinkRecord(topic: index, partition: 0, key: .string(String(i)), valueSchema: DataGen.ordersSchema, value: DataGen.order(i), offset: i))
        }
        let t = nowNanos()
        for i in next..<end { putAt[Int(i)] = t }
        try await task.put(records)
        next = end
        if nowNanos() - lastCommit > 200_000_000 {
            collect(try await task.preCommit([:]))
            lastCommit = nowNanos()
        }
    }
    while acknowledged < n {
        try await Task.sleep(for: .milliseconds(2))
        collect(try await task.preCommit([:]))
    }
    let seconds = Double(nowNanos() - start) / 1e9
    try await task.stop()
    latencies.sort()
    func percentile(_ p: Double) -> Double { Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1e6 }
    print(String(format: "%lld\t%.3f\t%.0f\t%.1f\t%.1f\t%.1f", n, seconds, Double(n) / seconds, peakRSSMiB(), percentile(0.5), percentile(0.99)))

default:
    FileHandle.standardError.write(Data("usage: ElasticsearchWork bodies <dir> <index> <n> <batch> | sink <url> <index> <n> <batch> <in-flight> [max-buffered]\n".utf8))
    exit(2)
}
