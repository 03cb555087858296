import Benchmark
import ConnectKit
import ConnectRuntime
import Logging
import Synchronization

/// Counts what it is given and keeps nothing.
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

/// Discards; with `max.records.per.second` it takes at most that many records per second (a slow
/// sink, to show that the source is slowed down and memory stays flat).
final class DiscardSinkTask: SinkTask {
    var limit: Double = 0
    var started = ContinuousClock.now
    var taken = 0
    required init() {}
    var version: String { "bench" }
    func start(_ config: [String: String]) async throws {
        limit = Double(config["max.records.per.second"] ?? "0") ?? 0
        started = ContinuousClock.now
    }
    func put(_ records: [SinkRecord]) async throws {
        taken += records.count
        if limit > 0 {
            let due = started + .milliseconds(Int64(Double(taken) / limit * 1000))
            let now = ContinuousClock.now
            if due > now { try await Task.sleep(for: due - now) }
        }
        discarded.add(records.count, ordering: .relaxed)
    }
    func stop() async throws {}
}

func quietLogger() -> Logger {
    var l = Logger(label: "bench")
    l.logLevel = .critical
    return l
}

/// Runs DataGen → discard sink until `count` records were delivered: directly (no serialization) or
/// through an in-memory topic with the JSON converter (schemas enabled) on the way in and out.
func runPipeline(count: Int, mode: String = "direct", sinkRate: Int = 0) async throws {
    var registry = PluginRegistry.core
    registry.register(.sink(DiscardSink.self), name: "Discard")
    discarded.store(0, ordering: .relaxed)
    let worker = try Worker(
        config: try WorkerConfig(["offset.flush.interval.ms": "1000", "pipeline.mode": mode, "consumer.max.poll.records": "2000"]),
        registry: registry, logger: quietLogger())
    try worker.add(["name": "gen", "connector.class": "DataGen", "iterations": String(count), "batch.size": "2000"])
    try worker.add(["name": "discard", "connector.class": "Discard", "topics": "orders", "max.records.per.second": String(sinkRate)])
    let run = Task { try await worker.run() }
    while discarded.load(ordering: .relaxed) < count { try await Task.sleep(for: .milliseconds(1)) }
    worker.stop()
    try await run.value
}

let benchmarks: @Sendable () -> Void = {
    generatorOnly()
    Benchmark(
        "Direct pipeline DataGen → discard (1M records)",
        configuration: .init(
            metrics: [.throughput, .wallClock, .peakMemoryResident, .mallocCountTotal], scalingFactor: .mega,
            maxDuration: .seconds(20), maxIterations: 3)
    ) { benchmark in
        try await runPipeline(count: benchmark.scaledIterations.count)
    }

    Benchmark(
        "Direct pipeline DataGen → slow sink (500k rec/s), RSS over 10M records",
        configuration: .init(
            metrics: [.throughput, .peakMemoryResident], scalingFactor: .mega, maxDuration: .seconds(60), maxIterations: 1)
    ) { benchmark in
        try await runPipeline(count: 10 * benchmark.scaledIterations.count, sinkRate: 500_000)
    }

    Benchmark(
        "Topic mode DataGen → JsonConverter → in-memory topic → JsonConverter → discard (1M records)",
        configuration: .init(
            metrics: [.throughput, .wallClock, .peakMemoryResident, .mallocCountTotal], scalingFactor: .mega,
            maxDuration: .seconds(30), maxIterations: 3)
    ) { benchmark in
        try await runPipeline(count: benchmark.scaledIterations.count, mode: "topic")
    }
}

let generatorOnly: @Sendable () -> Void = {
    Benchmark(
        "DataGen.order alone (the source's own cost)",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(3))
    ) { benchmark in
        for i in benchmark.scaledIterations { blackHole(DataGen.order(Int64(i))) }
    }
}
