import Benchmark
import ConnectKit
import ConnectRuntime

/// Source records of the foundation issue's shape (`shop.orders.Value`), with timestamps, reused
/// round-robin so that building them is not measured.
let records: [SourceRecord] = (0..<4096).map { i in
    SourceRecord(
        sourcePartition: ["datagen": "0"], sourceOffset: ["iteration": .int64(Int64(i))], topic: "orders",
        valueSchema: DataGen.ordersSchema, value: DataGen.order(Int64(i)), timestamp: 1_700_000_000_000 + Int64(i) * 1000)
}

/// The chain, configured exactly as a connector configuration would.
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

func single(_ alias: String) -> [String: String] {
    var c = chainConfig.filter { $0.key.hasPrefix("transforms.\(alias).") }
    c["transforms"] = alias
    return c
}

func config() -> Benchmark.Configuration {
    .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 1_000_000)
}

func run(_ chain: TransformChain, _ benchmark: Benchmark) throws {
    var n = 0
    for i in benchmark.scaledIterations {
        if let r = try chain.apply(records[i & 4095]) { n &+= r.topic.utf8.count }
    }
    blackHole(n)
}

/// A record as a source task would hand it over: just made, held by nobody else.
@inline(never) func fresh(_ i: Int) -> SourceRecord {
    SourceRecord(
        sourcePartition: ["datagen": "0"], sourceOffset: ["iteration": .int64(Int64(i))], topic: "orders",
        valueSchema: DataGen.ordersSchema, value: DataGen.order(Int64(i)), timestamp: 1_700_000_000_000 + Int64(i) * 1000)
}

let benchmarks: @Sendable () -> Void = {
    let chain = try! TransformChain(config: chainConfig, registry: .core)
    // The chain on records that nobody else holds (changed in place), reported as its cost on top of
    // making the records: each iteration makes a record, the custom metric subtracts making alone.
    Benchmark(
        "Transform chain on fresh records (marginal: chain ns/record)",
        configuration: .init(metrics: [.wallClock, .custom("chain ns/record", polarity: .prefersSmaller, useScalingFactor: false)],
                             scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 1_000_000)
    ) { benchmark in
        var n = 0
        let a = ContinuousClock.now
        for i in benchmark.scaledIterations { n &+= fresh(i).topic.utf8.count }
        let making = ContinuousClock.now - a
        let b = ContinuousClock.now
        for i in benchmark.scaledIterations { if let r = try chain.apply(fresh(i)) { n &+= r.topic.utf8.count } }
        let both = ContinuousClock.now - b
        blackHole(n)
        let ns = Double((both - making).components.attoseconds) / 1e9 + Double((both - making).components.seconds) * 1e9
        benchmark.measurement(.custom("chain ns/record", polarity: .prefersSmaller, useScalingFactor: false),
                              Int((ns / Double(benchmark.scaledIterations.count)).rounded()))
    }
    Benchmark("Transform chain: InsertField, ReplaceField, MaskField, Cast, TimestampRouter, ValueToKey", configuration: config()) { benchmark in
        try run(chain, benchmark)
    }
    for (alias, name) in [("insert", "InsertField$Value"), ("replace", "ReplaceField$Value"), ("mask", "MaskField$Value"),
                          ("cast", "Cast$Value"), ("route", "TimestampRouter"), ("key", "ValueToKey")] {
        let one = try! TransformChain(config: single(alias), registry: .core)
        Benchmark("Transform alone: \(name)", configuration: config()) { benchmark in try run(one, benchmark) }
    }
}
