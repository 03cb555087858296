// The ConnectKit side of `make bench-s3` (scripts/bench-s3.sh runs pyarrow on the same rows, in the
// same run, interleaved).
//
//   S3Work rows <file> <n>             n records of the benchmark shape (DataGen's order) as JSON lines for
//                                      pyarrow: created_at in epoch ms, amount as a decimal string
//   S3Work parquet <n>                 the same n records (built before the clock starts) into one Parquet
//                                      file with snappy, in memory (ParquetWriter append + finish)
//   S3Work partitions <dir> <p> <n> <buffer bytes>
//                                      n records spread over p consumed partitions through S3SinkTask
//                                      (local store, Parquet snappy, flush.size n/p: every file stays open to
//                                      the end), s3.buffer.max.bytes as given
//   S3Work e2e <store.url> <bucket> <n>
//                                      DataGen's records through S3SinkTask (Parquet snappy, flush.size 50000)
//                                      to an S3-compatible store, until every offset is committable
//
// Prints "<n>\t<seconds>\t<records/s>\t<peak RSS MiB>".
import ConnectKit
import ConnectParquet
import ConnectRuntime
import ConnectS3
import Foundation

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func report(_ n: Int, _ seconds: Double) {
    print("\(n)\t\(String(format: "%.3f", seconds))\t\(Int(Double(n) / seconds))\t\(String(format: "%.1f", peakRSSMiB()))")
}

func records(_ n: Int, partitions: Int = 1) -> [SinkRecord] {
    (0..<n).map { i in
        SinkRecord(topic: "orders", partition: Int32(i % partitions), valueSchema: DataGen.ordersSchema, value: DataGen.order(Int64(i)),
                   offset: Int64(i / partitions), timestamp: 1_700_000_000_000 + Int64(i))
    }
}

let args = CommandLine.arguments
switch args.count > 1 ? args[1] : "" {
case "rows":
    let n = Int(args[3])!
    var out = ""
    let json = JSONConverter(schemasEnabled: false)
    for i in 0..<n {
        guard case .struct(let s) = DataGen.order(Int64(i)) else { fatalError() }
        var fields: [String] = []
        for f in DataGen.ordersSchema.fields {
            let v = s[f.name] ?? .null
            switch v {
            case .decimal(let d): fields.append("\"\(f.name)\":\"\(d)\"")
            case .timestamp(let ms): fields.append("\"\(f.name)\":\(ms)")
            default:
                let bytes = try json.fromConnectData(topic: "orders", schema: f.schema, value: v) ?? Array("null".utf8)
                fields.append("\"\(f.name)\":" + String(decoding: bytes, as: UTF8.self))
            }
        }
        out += "{" + fields.joined(separator: ",") + "}\n"
    }
    try out.write(toFile: args[2], atomically: true, encoding: .utf8)
case "parquet":
    let n = Int(args[2])!
    let values = (0..<n).map { DataGen.order(Int64($0)) }
    let start = Date()
    var writer = try ParquetWriter(schema: DataGen.ordersSchema, codec: .snappy)
    for v in values { try writer.append(v) }
    let bytes = try writer.finish()
    let seconds = Date().timeIntervalSince(start)
    FileHandle.standardError.write(Data("parquet bytes: \(bytes.count)\n".utf8))
    report(n, seconds)
case "partitions":
    let dir = args[2], p = Int(args[3])!, n = Int(args[4])!, buffer = args[5]
    let task = S3SinkTask()
    try await task.start([
        "s3.bucket.name": "lake", "store.url": "file://" + dir, "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat",
        "flush.size": String(n / p), "s3.buffer.max.bytes": buffer,
    ])
    let start = Date()
    var i = 0
    while i < n {
        // Batches of 5000, built as they go (the records are not all held at once).
        let batch = (i..<min(n, i + 5000)).map { k in
            SinkRecord(topic: "orders", partition: Int32(k % p), valueSchema: DataGen.ordersSchema, value: DataGen.order(Int64(k)), offset: Int64(k / p))
        }
        try await task.put(batch)
        i += batch.count
    }
    let offsets = Dictionary(uniqueKeysWithValues: (0..<p).map { (TopicPartition(topic: "orders", partition: Int32($0)), OffsetAndMetadata(offset: Int64(n / p))) })
    let committed = try await task.preCommit(offsets)
    precondition(committed.count == p, "every partition's file is written")
    report(n, Date().timeIntervalSince(start))
    try await task.stop()
case "e2e":
    let url = args[2], bucket = args[3], n = Int(args[4])!
    let task = S3SinkTask()
    try await task.start([
        "s3.bucket.name": bucket, "store.url": url, "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat",
        "flush.size": "50000", "aws.access.key.id": "connectkit-key", "aws.secret.access.key": "connectkit-secret", "s3.region": "us-east-1",
    ])
    let start = Date()
    var i = 0
    while i < n {
        let batch = (i..<min(n, i + 5000)).map { k in
            SinkRecord(topic: "orders", partition: 0, valueSchema: DataGen.ordersSchema, value: DataGen.order(Int64(k)), offset: Int64(k))
        }
        try await task.put(batch)
        i += batch.count
    }
    let tp = TopicPartition(topic: "orders", partition: 0)
    let committed = try await task.preCommit([tp: OffsetAndMetadata(offset: Int64(n))])
    precondition(committed[tp]?.offset == Int64(n / 50000 * 50000), "every full file is written")
    report(n / 50000 * 50000, Date().timeIntervalSince(start))
    try await task.stop()
default:
    FileHandle.standardError.write(Data("usage: S3Work rows|parquet|partitions|e2e …\n".utf8))
    exit(2)
}
