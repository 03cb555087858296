import ConnectKit
import ConnectRuntime
import ConnectS3
import Foundation
import Logging
import Testing

/// A worker run that stops once `done` holds (at most 20 s).
func runUntil(_ worker: Worker, _ done: @escaping @Sendable () -> Bool) async throws {
    let run = Task { try await worker.run() }
    let deadline = ContinuousClock.now + .seconds(20)
    while !done() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    worker.stop()
    try await run.value
}

@Suite("S3 sink across worker restarts without Kafka", .serialized)
struct S3RestartTests {
    /// The ids in every JSON object of the lake, by key.
    static func lake(_ root: URL) throws -> [String: [Int64]] {
        var out: [String: [Int64]] = [:]
        for f in files(under: root) where f.hasSuffix(".json") {
            out[f] = try String(contentsOf: root.appendingPathComponent(f), encoding: .utf8).split(separator: "\n").map { line in
                let v = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                return (v["id"] as! NSNumber).int64Value
            }
        }
        return out
    }

    @Test("a restarted worker numbers records on from the offsets its sinks committed (direct and topic mode): the objects of the first run are never overwritten by other records, no id is lost", arguments: ["direct", "topic"])
    func restartContinuesNumbering(mode: String) async throws {
        let dir = try temporaryDirectory("connectkit-s3restart")
        defer { try? FileManager.default.removeItem(at: dir) }
        var registry = PluginRegistry.core
        S3Plugins.register(in: &registry)
        let offsets = dir.appendingPathComponent("offsets.json").path
        let lakeRoot = dir.appendingPathComponent("lake")
        let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        func worker(_ iterations: Int) throws -> Worker {
            let w = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20", "pipeline.mode": mode, "offset.storage.file.filename": offsets]),
                               registry: registry, offsetStore: try FileOffsetStore(path: offsets), logger: quiet)
            try w.add(["name": "gen", "connector.class": "DataGen", "iterations": String(iterations), "kafka.topic": "orders"])
            try w.add([
                "name": "lake", "connector.class": "io.confluent.connect.s3.S3SinkConnector", "topics": "orders", "s3.bucket.name": "b",
                "store.url": "file://" + lakeRoot.path, "format.class": "io.confluent.connect.s3.format.json.JsonFormat", "flush.size": "100",
            ])
            return w
        }
        // First run: 350 records; objects at 0, 100, 200; the last 50 stay in an open file, unwritten.
        try await runUntil(try worker(350)) { ((try? Self.lake(lakeRoot)) ?? [:]).count >= 3 }
        let first = try Self.lake(lakeRoot)
        #expect(first.count == 3)
        // Second run: the source resumes after what the sink acknowledged; the records get offsets
        // after the ones the sink committed, so new objects start at 300 and none of the first
        // run's is written again.
        try await runUntil(try worker(700)) { ((try? Self.lake(lakeRoot)) ?? [:]).count >= 7 }
        let second = try Self.lake(lakeRoot)
        for (key, ids) in first { #expect(second[key] == ids, "\(key) was rewritten") }
        let starts = second.keys.map { String($0.split(separator: "+").last!.prefix(10)) }.sorted()
        #expect(starts == ["0000000000", "0000000100", "0000000200", "0000000300", "0000000400", "0000000500", "0000000600"])
        let ids = second.values.flatMap { $0 }
        #expect(Set(ids) == Set(0..<700), "ids lost: \(Set(0..<700).subtracting(ids).sorted().prefix(10))")
        // A third run (offsets read back from the file once more) numbers on again.
        try await runUntil(try worker(1000)) { ((try? Self.lake(lakeRoot)) ?? [:]).count >= 10 }
        let third = try Self.lake(lakeRoot)
        for (key, ids) in second { #expect(third[key] == ids, "\(key) was rewritten in the third run") }
        #expect(Set(third.values.flatMap { $0 }) == Set(0..<1000))
    }
}
