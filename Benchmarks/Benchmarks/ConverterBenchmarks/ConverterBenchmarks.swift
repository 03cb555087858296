import Benchmark
import ConnectKit
import ConnectRuntime

/// The record shape of the foundation issue (`shop.orders.Value`), from the DataGen connector.
enum Orders {
    static let schema = DataGen.ordersSchema
    /// A pool of distinct records, reused round-robin so that building them is not measured.
    static let pool: [Value] = (0..<4096).map { DataGen.order(Int64($0)) }
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
