#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// The `connect` executable built next to the tests.
func connectBinary() -> URL {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/connect")
}

@Suite("Crash safety", .serialized)
struct CrashSafetyTests {
    /// `connect standalone` (topic mode: JsonConverter in, JsonConverter out) copies a 200k-line file
    /// through an in-memory topic into another file and
    /// is killed with SIGKILL at random moments, ten times, and restarted each time. In the end the
    /// output holds every input line in order, none torn; lines repeat only after a restart (the
    /// window whose offsets had not been committed yet).
    @Test(arguments: ["file", "sqlite"])
    func killNineTenTimesLosesNothing(offsetStore: String) async throws {
        let binary = connectBinary()
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the package first: \(binary.path)")
        let dir = try temporaryDirectory("crash")
        defer { try? FileManager.default.removeItem(at: dir) }
        let total = 200_000
        let input = dir.appendingPathComponent("input.txt").path
        let output = dir.appendingPathComponent("output.txt").path
        var text = ""
        text.reserveCapacity(total * 12)
        for i in 0..<total { text += "line-" + String(repeating: "0", count: 6 - String(i).count) + String(i) + "\n" }
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let worker = dir.appendingPathComponent("worker.properties").path
        try """
            \(offsetStore == "file" ? "offset.storage.file.filename" : "offset.storage.sqlite.filename")=\(dir.appendingPathComponent("offsets").path)
            offset.flush.interval.ms=50
            pipeline.max.in.flight.records=5000
            """.write(toFile: worker, atomically: true, encoding: .utf8)
        let source = dir.appendingPathComponent("source.properties").path
        try "name=file-source\nconnector.class=FileStreamSource\nfile=\(input)\ntopic=lines\nbatch.size=200\n"
            .write(toFile: source, atomically: true, encoding: .utf8)
        let sink = dir.appendingPathComponent("sink.json").path
        try #"{"name": "file-sink", "config": {"connector.class": "FileStreamSink", "file": "\#(output)", "topics": "lines"}}"#
            .write(toFile: sink, atomically: true, encoding: .utf8)

        func start() throws -> Process {
            let p = Process()
            p.executableURL = binary
            p.arguments = ["standalone", worker, source, sink, "--log-level", "error"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        func waitForExit(_ p: Process) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while p.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(!p.isRunning, "connect did not exit")
        }
        func outputLineCount() -> Int {
            guard let d = FileManager.default.contents(atPath: output) else { return 0 }
            return d.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }

        var generator = SystemRandomNumberGenerator()
        var restartBoundaries: [Int] = []
        var killedWhileCopying = 0
        for round in 0..<10 {
            let p = try start()
            if round == 0 {
                // The first kill lands while the copy is under way, as soon as output appears. A
                // thread of its own watches (the test's tasks share a pool that parallel tests keep busy).
                let pid = p.processIdentifier
                let outputPath = output
                let midCopy = await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
                    Thread.detachNewThread {
                        func lines() -> Int { FileManager.default.contents(atPath: outputPath)?.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } ?? 0 }
                        let deadline = Date().addingTimeInterval(30)
                        while lines() == 0 && Date() < deadline { usleep(500) }
                        let mid = lines() < total
                        kill(pid, SIGKILL)
                        done.resume(returning: mid)
                    }
                }
                if midCopy { killedWhileCopying += 1 }
            } else {
                try await Task.sleep(for: .milliseconds(Int.random(in: 150...600, using: &generator)))
                if outputLineCount() < total { killedWhileCopying += 1 }
                kill(p.processIdentifier, SIGKILL)
            }
            try await waitForExit(p)
            restartBoundaries.append(outputLineCount())
        }
        // A last, undisturbed run finishes the copy and shuts down cleanly on SIGTERM.
        let last = try start()
        try await Task.sleep(for: .seconds(1))  // let it install its signal handlers and resume
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let d = FileManager.default.contents(atPath: output), d.suffix(12) == Data("line-199999\n".utf8) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(last.processIdentifier, SIGTERM)
        try await waitForExit(last)
        #expect(last.terminationStatus == 0)
        #expect(killedWhileCopying >= 1, "boundaries \(restartBoundaries)")

        // Every line, in order; a repeat only where a restart began.
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var next = 0
        var rewinds: [Int] = []
        for (position, line) in lines.enumerated() {
            guard line.hasPrefix("line-"), line.count == 11, let n = Int(line.dropFirst(5)) else {
                Issue.record("corrupt line \(position): \(line)")
                return
            }
            if n == next {
                next += 1
            } else if n < next {
                rewinds.append(position)
                next = n + 1
            } else {
                Issue.record("line \(next) is missing (found \(n) at output line \(position))")
                return
            }
        }
        #expect(next == total)
        // A restart cuts what the sink wrote after its last flush, then the source repeats what it had
        // not committed: each repeat starts at or before the output length when a kill happened, and
        // each kill accounts for at most one repeat, in order.
        var kills = restartBoundaries.makeIterator()
        for r in rewinds {
            var matched = false
            while let b = kills.next() {
                if r <= b {
                    matched = true
                    break
                }
            }
            #expect(matched, "repeat at output line \(r) is not explained by a restart (\(restartBoundaries))")
        }
        print("crash test (\(offsetStore) offsets): \(lines.count - total) duplicate line(s) over \(rewinds.count) restart window(s); boundaries \(restartBoundaries)")
    }
}
