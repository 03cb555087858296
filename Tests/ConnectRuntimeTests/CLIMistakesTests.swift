#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// Runs `connect` with stdout and stderr apart.
func runConnectSeparately(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = connectBinary()
    p.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    // Read both pipes while the process runs, so neither fills up.
    let errData = Mutex2<Data>(Data())
    let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
    reader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    while !errData.done { usleep(1000) }
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData.value, as: UTF8.self))
}

/// A value set once by another thread.
final class Mutex2<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    private var isSet = false
    init(_ value: T) { stored = value }
    func set(_ v: T) { lock.withLock { stored = v; isSet = true } }
    var done: Bool { lock.withLock { isSet } }
    var value: T { lock.withLock { stored } }
}

@Suite("connect CLI: mistakes are loud", .serialized)
struct CLIMistakesTests {
    /// Offsets in Kafka beside an offsets file: one would be ignored, so neither is chosen silently.
    @Test func offsetsTopicBesideAnOffsetsFileIsRefused() throws {
        let dir = try temporaryDirectory("cli-offsets-both")
        defer { try? FileManager.default.removeItem(at: dir) }
        let worker = dir.appendingPathComponent("worker.properties").path
        try "bootstrap.servers=127.0.0.1:1\noffset.storage.file.filename=\(dir.path)/offsets\noffset.storage.topic=connect-offsets\n"
            .write(toFile: worker, atomically: true, encoding: .utf8)
        let r = try runConnectSeparately(["standalone", worker])
        #expect(r.status == 1)
        #expect(r.stderr.contains("offset.storage.topic") && r.stderr.contains("not both"))
    }

    /// Every file is checked; each problem names its file, on stderr, without Foundation dumps; a
    /// bad converter in the worker file is the worker file's; a typo in the offsets key is an error
    /// (standalone needs an offset store) and is warned about with a suggestion.
    @Test func everyFileIsCheckedAndEveryProblemNamesItsFile() throws {
        let dir = try temporaryDirectory("cli-mistakes")
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try "offset.storage.file.filname=\(path("offsets"))\nkey.converter=com.example.Nope\nplugin.path=/usr/share/java\n"
            .write(toFile: path("worker.properties"), atomically: true, encoding: .utf8)
        try #"{"name": "src", "config": {"connector.class": "FileStreamSource", "file": "/tmp/x", "topic": "t", "tpoic": "u"}}"#
            .write(toFile: path("src.json"), atomically: true, encoding: .utf8)
        try #"{"name": "dst", "config": {"connector.class": "FileStreamSink", "topics": "t", "errors.deadletterqueue.topic.name": "t"}}"#
            .write(toFile: path("dst.json"), atomically: true, encoding: .utf8)
        try #"{"name": "dst2", "config": {"connector.class": "FileStreamSink", "topics.regex": "t.*", "errors.deadletterqueue.topic.name": "t-dlq"}}"#
            .write(toFile: path("dst2.json"), atomically: true, encoding: .utf8)
        let r = try runConnectSeparately(["standalone", path("worker.properties"), path("src.json"), path("missing.json"), path("dst.json"), path("dst2.json")])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        let err = r.stderr
        #expect(err.contains("\(path("worker.properties")): Missing required configuration \"offset.storage.file.filename\" which has no default value."))
        #expect(err.contains("\(path("worker.properties")): Invalid configuration for worker"))
        #expect(err.contains("key.converter: Invalid value com.example.Nope for configuration key.converter: Class com.example.Nope could not be found."))
        #expect(err.contains("\(path("missing.json")): cannot read: No such file or directory"))
        #expect(err.contains("\(path("dst.json")): Invalid configuration for dst"))
        #expect(err.contains("The DLQ topic 't' may not be included in the list of topics ('topics=[t]') consumed by the connector"))
        #expect(err.contains("The DLQ topic 't-dlq' may not be included in the regex matching the topics ('topics.regex=t.*') consumed by the connector"))
        #expect(err.contains("The configuration 'offset.storage.file.filname' was supplied but isn't a known config. Did you mean 'offset.storage.file.filename'?"))
        #expect(err.contains("The configuration 'plugin.path' was supplied but isn't a known config. ConnectKit's plugins are compiled in"))
        #expect(err.contains("The configuration 'tpoic' was supplied but isn't a known config. Did you mean 'topic'?"))
        #expect(!err.contains("NSCocoaErrorDomain") && !err.contains("Error Domain"))
    }

    /// `validate` resolves `${file:…}` and `${env:…}` exactly as `standalone` does, and checks the
    /// worker file's converters when given one.
    @Test func validateResolvesConfigProvidersAsStandaloneDoes() throws {
        let dir = try temporaryDirectory("cli-validate")
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try "tasks=0\ngood=2\n".write(toFile: path("secrets.properties"), atomically: true, encoding: .utf8)
        try #"{"name": "out", "config": {"connector.class": "FileStreamSink", "topics": "t", "tasks.max": "${file:\#(path("secrets.properties")):tasks}"}}"#
            .write(toFile: path("bad.json"), atomically: true, encoding: .utf8)
        try #"{"name": "ok", "config": {"connector.class": "FileStreamSink", "topics": "t", "tasks.max": "${file:\#(path("secrets.properties")):good}"}}"#
            .write(toFile: path("good.json"), atomically: true, encoding: .utf8)
        let r = try runConnectSeparately(["validate", path("bad.json"), path("good.json")])
        #expect(r.status == 1)
        #expect(r.stdout.contains("\(path("good.json")): ok is valid"))
        #expect(r.stderr.contains("\(path("bad.json")): Invalid configuration for out"))
        #expect(r.stderr.contains("tasks.max: Invalid value 0 for configuration tasks.max: Value must be at least 1"))
        try "value.converter=com.example.Gone\n".write(toFile: path("worker.properties"), atomically: true, encoding: .utf8)
        let w = try runConnectSeparately(["validate", "--worker", path("worker.properties"), path("good.json")])
        #expect(w.status == 1)
        #expect(w.stderr.contains("\(path("worker.properties")): Invalid configuration for worker"))

        // A sink with a dead-letter queue is valid with or without a worker file, as standalone
        // accepts it, and validating creates nothing (no local topics directory).
        try #"{"name": "dlq", "config": {"connector.class": "FileStreamSink", "topics": "t", "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "t-dlq"}}"#
            .write(toFile: path("dlq.json"), atomically: true, encoding: .utf8)
        let d = try runConnectSeparately(["validate", path("dlq.json")])
        #expect(d.status == 0, "\(d.stderr)")
        try "offset.storage.file.filename=\(path("state/offsets"))\n".write(toFile: path("ok-worker.properties"), atomically: true, encoding: .utf8)
        let dw = try runConnectSeparately(["validate", "--worker", path("ok-worker.properties"), path("dlq.json")])
        #expect(dw.status == 0, "\(dw.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path("state")))
    }

    /// A failed record goes to the dead-letter queue on disk before the source's offsets pass it: a
    /// `kill -9` right after loses nothing, and `connect topics` lists and prints it.
    @Test func deadLetterRecordsSurviveKillNine() async throws {
        let dir = try temporaryDirectory("dlq-kill")
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let input = ["1", "2", "oops", "4", "{bad", "6"]
        try input.joined(separator: "\n").appending("\n").write(toFile: path("input.txt"), atomically: true, encoding: .utf8)
        try """
            offset.storage.file.filename=\(path("connect.offsets"))
            offset.flush.interval.ms=50
            value.converter=org.apache.kafka.connect.storage.StringConverter
            """.write(toFile: path("worker.properties"), atomically: true, encoding: .utf8)
        try #"{"name": "src", "config": {"connector.class": "FileStreamSource", "file": "\#(path("input.txt"))", "topic": "numbers"}}"#
            .write(toFile: path("source.json"), atomically: true, encoding: .utf8)
        try """
            {"name": "dst", "config": {"connector.class": "FileStreamSink", "file": "\(path("output.txt"))", "topics": "numbers",
             "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
             "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "numbers-dlq",
             "errors.deadletterqueue.context.headers.enable": "true"}}
            """.write(toFile: path("sink.json"), atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = connectBinary()
        p.arguments = ["standalone", path("worker.properties"), path("source.json"), path("sink.json"), "--log-level", "error"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let size = Int64(try Data(contentsOf: URL(fileURLWithPath: path("input.txt"))).count)
        func committedPosition() -> Int64? {
            guard let text = try? String(contentsOfFile: path("connect.offsets"), encoding: .utf8),
                let range = text.range(of: #""position":"#)
            else { return nil }
            return Int64(text[range.upperBound...].prefix { $0.isNumber })
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while committedPosition() != size && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(committedPosition() == size, "the source committed past every line")
        let out = try String(contentsOfFile: path("output.txt"), encoding: .utf8)
        #expect(out == "1\n2\n4\n6\n")

        let list = try runConnectSeparately(["topics", "list", path("worker.properties")])
        #expect(list.status == 0)
        #expect(list.stdout.contains("numbers-dlq\t2 record(s)\t\(path("connect.offsets.topics"))/numbers-dlq.log"))
        let printed = try runConnectSeparately(["topics", "print", path("worker.properties"), "numbers-dlq"])
        #expect(printed.status == 0)
        #expect(printed.stdout.contains("offset=0 timestamp="))
        #expect(printed.stdout.contains("value=oops"))
        #expect(printed.stdout.contains("value={bad"))
        #expect(printed.stdout.contains("  __connect.errors.topic=numbers"))
        #expect(printed.stdout.contains("  __connect.errors.offset=2"))
        #expect(printed.stdout.contains("  __connect.errors.stage=VALUE_CONVERTER"))
        let json = try runConnectSeparately(["topics", "print", path("worker.properties"), "numbers-dlq", "--json", "--from-offset", "1"])
        #expect(json.stdout.hasPrefix(#"{"topic":"numbers-dlq","partition":0,"offset":1,"timestamp":"#))
        #expect(json.stdout.contains(#""value":"{bad""#))
        let missing = try runConnectSeparately(["topics", "print", path("worker.properties"), "nope"])
        #expect(missing.status == 1 && missing.stderr.contains("no local topic 'nope' in \(path("connect.offsets.topics")): nothing was written to it (yet)"))
        #expect(!missing.stderr.contains("Usage:"))
    }

    /// The first SIGINT stops gracefully within the shutdown timeouts — a source stuck in a blocking
    /// open is abandoned and named; a second signal exits at once; two signals within 300 ms (as
    /// `timeout` sends them, to the process and then its group) count as one.
    @Test func shutdownIsBoundedAndASecondSignalExitsAtOnce() async throws {
        let dir = try temporaryDirectory("signals")
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        // Opening a FIFO for reading blocks until a writer comes: a source stuck in a blocking call.
        #expect(mkfifo(path("fifo"), 0o644) == 0)
        try #"{"name": "stuck", "config": {"connector.class": "FileStreamSource", "file": "\#(path("fifo"))", "topic": "t"}}"#
            .write(toFile: path("source.json"), atomically: true, encoding: .utf8)
        for (timeout, signals) in [(300, 1), (60_000, 2), (300, -2)] {
            try "offset.storage.file.filename=\(path("offsets"))\ntask.shutdown.graceful.timeout.ms=\(timeout)\noffset.flush.timeout.ms=100\n"
                .write(toFile: path("worker.properties"), atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = connectBinary()
            p.arguments = ["standalone", path("worker.properties"), path("source.json"), "--log-level", "warning"]
            let err = Pipe()
            p.standardOutput = FileHandle.nullDevice
            p.standardError = err
            try p.run()
            try await Task.sleep(for: .milliseconds(800))
            let started = ContinuousClock.now
            if signals < 0 {
                p.interrupt()
                p.interrupt()  // right after: the same stop request
            }
            for i in 0..<max(0, signals) {
                p.interrupt()
                // A second Ctrl-C comes later than 300 ms (signals closer than that count as one).
                if i + 1 < signals { try await Task.sleep(for: .milliseconds(500)) }
            }
            while p.isRunning && ContinuousClock.now - started < .seconds(10) { try await Task.sleep(for: .milliseconds(10)) }
            let took = ContinuousClock.now - started
            #expect(!p.isRunning)
            if p.isRunning { p.terminate() }
            p.waitUntilExit()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(took < .seconds(3), "stopped after \(took)")
            if signals != 2 {
                #expect(p.terminationStatus == 0)
                #expect(text.contains("abandoned at shutdown (still running after the timeouts): stuck-0"), "\(text)")
            } else {
                #expect(p.terminationStatus == 130)
                #expect(text.contains("second signal: exiting now"), "\(text)")
            }
        }
    }
}
