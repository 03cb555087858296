import Benchmark
import ConnectKit

/// The record shape of the foundation issue: struct `shop.orders.Value`.
enum Orders {
    static let schema: Schema = try! SchemaBuilder.struct().name("shop.orders.Value")
        .field("id", .int64)
        .field("customer", .string)
        .field("email", .optionalString)
        .field("quantity", .int32)
        .field("price", .float64)
        .field("paid", .boolean)
        .field("created_at", .timestamp)
        .field("amount", .decimal(scale: 2))
        .field("tags", .array(.string))
        .field("note", .optionalString)
        .build()

    static func record(_ i: Int) -> Value {
        let s = try! Struct(schema, [
            "id": .int64(Int64(i)),
            "customer": .string("customer-\(i % 9973)"),
            "email": i % 3 == 0 ? .null : .string("user\(i)@example.com"),
            "quantity": .int32(Int32(i % 17)),
            "price": .float64(Double(i % 1000) * 1.25),
            "paid": .boolean(i % 2 == 0),
            "created_at": .timestamp(1_700_000_000_000 + Int64(i) * 1000),
            "amount": .decimal(BigDecimal(unscaled: Int64(i % 100_000), scale: 2)),
            "tags": .array(["a", .string("b\(i % 5)")]),
            "note": i % 10 == 0 ? .string("gift \"wrap\" é") : .null,
        ])
        return .struct(s)
    }

    /// A pool of distinct records, reused round-robin so that building them is not measured.
    static let pool: [Value] = (0..<4096).map(record)
}

let metrics: [BenchmarkMetric] = [
    .throughput, .wallClock, .mallocCountTotal, .peakMemoryResident,
    .custom("bytes/record", polarity: .prefersSmaller, useScalingFactor: false),
]

func converterBenchmarks(schemas: Bool) {
    let label = schemas ? "schemas" : "no schemas"
    let converter = JSONConverter(schemasEnabled: schemas)
    let pool = Orders.pool
    let encoded = pool.map { try! converter.fromConnectData(topic: "orders", schema: Orders.schema, value: $0)! }
    let bytesPerRecord = encoded.reduce(0) { $0 + $1.count } / encoded.count
    let config = Benchmark.Configuration(metrics: metrics, scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 1_000_000)

    Benchmark("JSON serialize (\(label))", configuration: config) { benchmark in
        var total = 0
        for i in benchmark.scaledIterations {
            let bytes = try converter.fromConnectData(topic: "orders", schema: Orders.schema, value: pool[i & 4095])
            total &+= bytes!.count
        }
        blackHole(total)
        benchmark.measurement(.custom("bytes/record", polarity: .prefersSmaller, useScalingFactor: false), bytesPerRecord)
    }

    Benchmark("JSON deserialize (\(label))", configuration: config) { benchmark in
        var n = 0
        for i in benchmark.scaledIterations {
            let v = try converter.toConnectData(topic: "orders", value: encoded[i & 4095])
            if case .struct = v.value { n &+= 1 } else if case .map = v.value { n &+= 1 }
        }
        precondition(n == benchmark.scaledIterations.count)
        blackHole(n)
        benchmark.measurement(.custom("bytes/record", polarity: .prefersSmaller, useScalingFactor: false), bytesPerRecord)
    }
}

let benchmarks: @Sendable () -> Void = {
    converterBenchmarks(schemas: true)
    converterBenchmarks(schemas: false)
}
