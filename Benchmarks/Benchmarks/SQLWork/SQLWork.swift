// The ConnectKit side of `make bench-sql` (scripts/bench-sql.sh runs the databases' own CLIs on the
// same table in the same run): the JDBC source reading a table into nothing, and the JDBC sink
// writing records of the benchmark shape (DataGen's order, without its array) into a table.
//
//   SQLWork source <jdbc-url> <table> <rows>            incrementing mode, batch.max.rows=1000 → discard
//   SQLWork sink <jdbc-url> <table> <rows> insert|upsert  records in batches of 5000 → JdbcSinkTask
//
// Prints "<rows>\t<seconds>\t<rows/s>\t<peak RSS MiB>". The sink's seconds are those spent in
// `put` (making the records is the harness's work, as reading the CSV file is the CLI's). Every database call runs on a task thread
// (ThreadExecutor), as in the runtime.
import ConnectKit
import ConnectRuntime
import ConnectSQL
import Foundation
import Synchronization

struct NoOffsets: OffsetStorageReader {
    func offset(for partition: [String: Value]) async throws -> [String: Value]? { nil }
}

struct BenchSourceContext: SourceTaskContext {
    var config: [String: String]
    var offsetStorageReader: any OffsetStorageReader { NoOffsets() }
    var transactionContext: (any TransactionContext)? { nil }
}

/// The benchmark shape: DataGen's order without `tags` (arrays have no SQL column).
let shape = try! SchemaBuilder.struct().name("bench")
    .field("id", .int64).field("customer", .string).field("email", .optionalString).field("quantity", .int32)
    .field("price", .float64).field("paid", .boolean).field("created_at", Schema.timestamp)
    .field("amount", Schema.decimal(scale: 2)).field("note", .optionalString).build()

/// DataGen's values, made once; each row is one of them with its own id (built by field position,
/// so the benchmark measures the sink, not record construction).
let orders: [[Value]] = (0..<4096).map { i in
    let order = DataGen.order(Int64(i)).structValue!
    return shape.fields.map { f in (try? order.get(f.name)) ?? .null }
}

func row(_ i: Int64) -> Value {
    var s = try! Struct(shape)
    let values = orders[Int(i % 4096)]
    for f in shape.fields { try! s.put(f, f.index == 0 ? .int64(i) : values[f.index]) }
    return .struct(s)
}

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func source(url: String, table: String, rows: Int) async throws -> Int {
    let config = [
        "connection.url": url, "mode": "incrementing", "incrementing.column.name": "id", "tables": table,
        "batch.max.rows": "1000", "poll.interval.ms": "60000",
    ]
    let task = JdbcSourceTask()
    task.initialize(context: BenchSourceContext(config: config))
    try await task.start(config)
    var n = 0
    while n < rows {
        let batch = try await task.poll()
        if batch.isEmpty { break }
        n += batch.count
    }
    try await task.stop()
    return n
}

/// Seconds spent in the sink's `put`.
let putSeconds = Mutex<Double>(0)

func sink(url: String, table: String, rows: Int, mode: String) async throws -> Int {
    var config = ["connection.url": url, "table.name.format": table, "insert.mode": mode]
    if mode != "insert" { config.merge(["pk.mode": "record_value", "pk.fields": "id"]) { $1 } }
    let task = JdbcSinkTask()
    try await task.start(config)
    var written = 0
    while written < rows {
        let count = min(5000, rows - written)
        let batch = (0..<count).map { k in
            let i = Int64(written + k)
            return SinkRecord(topic: "bench", partition: 0, valueSchema: shape, value: row(i), offset: i)
        }
        let started = ContinuousClock.now
        try await task.put(batch)
        let d = ContinuousClock.now - started
        putSeconds.withLock { $0 += Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        written += count
    }
    try await task.stop()
    return written
}

@main
struct SQLWork {
    static func main() throws {
        let args = CommandLine.arguments
        guard args.count >= 5, let rows = Int(args[4]) else {
            print("usage: SQLWork source <url> <table> <rows> | sink <url> <table> <rows> insert|upsert")
            exit(2)
        }
        let executor = ThreadExecutor(name: "sqlwork")
        defer { executor.shutdown() }
        let result = Mutex<Result<Int, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let started = ContinuousClock.now
        _ = executor.spawn {
            do {
                let n = args[1] == "source"
                    ? try await source(url: args[2], table: args[3], rows: rows)
                    : try await sink(url: args[2], table: args[3], rows: rows, mode: args.count > 5 ? args[5] : "insert")
                result.withLock { $0 = .success(n) }
            } catch {
                result.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        let elapsed = ContinuousClock.now - started
        var seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if args[1] == "sink" { seconds = putSeconds.withLock { $0 } }
        switch result.withLock({ $0! }) {
        case .success(let n):
            print("\(n)\t\(String(format: "%.3f", seconds))\t\(Int(Double(n) / seconds))\t\(String(format: "%.0f", peakRSSMiB()))")
        case .failure(let error):
            print("error: \(error)")
            exit(1)
        }
    }
}
