import ConnectKit
import Foundation
import Testing

@testable import ConnectFile
import ConnectRuntime

/// Kafka 4.3's FileStreamSourceTask on random files (Tests/ConnectKitTests/Vectors/java-text.jsonl,
/// kind "fileSource"): the same lines — `\n`, `\r` and `\r\n` end a line, a trailing `\r` or an
/// unterminated last line waits for more data, malformed UTF-8 becomes U+FFFD as Java's decoder
/// delimits it. Positions: Kafka counts decoded UTF-16 units from a stored byte offset (so its
/// resume position is wrong after non-ASCII text); ConnectKit counts bytes, so positions are
/// compared where the two agree — files of ASCII bytes.
@Test func fileStreamSourceSplitsLinesAsKafka() async throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ConnectKitTests/Vectors/java-text.jsonl")
    let vectors = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").compactMap { line -> [String: Any]? in
        let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        return obj["kind"] as? String == "fileSource" ? obj : nil
    }
    #expect(vectors.count >= 300)
    let dir = try temporaryDirectory("file-vectors")
    defer { try? FileManager.default.removeItem(at: dir) }
    // Each file is read by its own task, concurrently (a poll that finds no complete line sleeps).
    let failures = try await withThrowingTaskGroup(of: String?.self) { group in
        for (i, v) in vectors.enumerated() {
            let hex = v["hex"] as! String
            let expected = (v["lines"] as! [[String: Any]]).map { ($0["line"] as! String, ($0["position"] as! NSNumber).int64Value) }
            let file = dir.appendingPathComponent("f\(i).txt").path
            group.addTask {
                let bytes = Hex.bytes(hex)!
                _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
                let task = FileStreamSourceTask()
                task.initialize(context: RuntimeSourceTaskContext(config: [:], offsetStorageReader: StoreOffsetReader(store: MemoryOffsetStore(), connector: "v")))
                try await task.start(["file": file, "topic": "t", "batch.size": "10000"])
                let records = try await task.poll()
                try await task.stop()
                let lines = records.map { $0.value.stringValue ?? "" }
                if lines != expected.map(\.0) { return "\(hex): Kafka \(expected.map(\.0)), ours \(lines)" }
                if bytes.allSatisfy({ $0 < 0x80 }) {
                    let positions = records.map { $0.sourceOffset["position"]?.int64Value ?? -1 }
                    if positions != expected.map(\.1) { return "\(hex): positions Kafka \(expected.map(\.1)), ours \(positions)" }
                }
                return nil
            }
        }
        var out: [String] = []
        for try await f in group { if let f { out.append(f) } }
        return out
    }
    #expect(failures.isEmpty, "\(failures.count) of \(vectors.count) differ:\n\(failures.prefix(10).joined(separator: "\n"))")
}

/// The same Java vectors with the bytes arriving a few at a time (as a file that grows while it is
/// read, or reads that end inside a `\r\n`): the line splitter must give Kafka's lines whatever the
/// chunking — 1 to 5 bytes per read, chosen by a seeded generator, plus one byte per read.
@Test func lineSplitterGivesKafkasLinesWhateverTheReads() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ConnectKitTests/Vectors/java-text.jsonl")
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    func random(_ n: Int) -> Int {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((seed >> 33) % UInt64(n))
    }
    var failures: [String] = []
    var checked = 0
    for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
        let v = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        guard v["kind"] as? String == "fileSource" else { continue }
        let hex = v["hex"] as! String
        let bytes = Hex.bytes(hex)!
        let expected = (v["lines"] as! [[String: Any]]).map { $0["line"] as! String }
        for oneByte in [false, true] {
            var splitter = LineSplitter()
            var lines: [String] = []
            var consumed = 0
            var at = 0
            while at < bytes.count {
                let n = min(bytes.count - at, oneByte ? 1 : 1 + random(5))
                splitter.append(bytes[at..<at + n])
                at += n
                while let (l, c) = splitter.next() {
                    lines.append(JavaUTF8.decode(l))
                    consumed += c
                }
            }
            checked += 1
            if lines != expected { failures.append("\(hex) (\(oneByte ? "1 byte" : "1–5 bytes") per read): Kafka \(expected), ours \(lines)") }
            if lines.isEmpty ? consumed != 0 : consumed > bytes.count { failures.append("\(hex): consumed \(consumed) of \(bytes.count) bytes") }
        }
    }
    #expect(checked >= 600)
    #expect(failures.isEmpty, "\(failures.count) differ:\n\(failures.prefix(10).joined(separator: "\n"))")
}
