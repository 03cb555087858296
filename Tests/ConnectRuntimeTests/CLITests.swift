import Foundation
import Testing

/// Runs the built `connect` executable; returns its exit status and output.
func runConnect(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = connectBinary()
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite("connect CLI")
struct CLITests {
    @Test func pluginsListsConnectorsConvertersAndVersions() throws {
        let (status, out) = try runConnect(["plugins"])
        #expect(status == 0)
        #expect(out.contains("FileStreamSource\tsource\t"))
        #expect(out.contains("org.apache.kafka.connect.file.FileStreamSinkConnector"))
        #expect(out.contains("JsonConverter\tconverter\t"))
        #expect(out.contains("org.apache.kafka.connect.converters.IntegerConverter"))
        #expect(out.contains("SimpleHeaderConverter\theader_converter\t"))
    }

    @Test func validatePrintsEveryErrorAndFails() throws {
        let dir = try temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.json").path
        try #"{"name": "out", "config": {"connector.class": "FileStreamSink", "tasks.max": "0", "transforms": "t", "value.converter": "com.example.Nope"}}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let good = dir.appendingPathComponent("good.properties").path
        try "name=in\nconnector.class=FileStreamSource\nfile=/tmp/x\ntopic=t\n".write(toFile: good, atomically: true, encoding: .utf8)
        let (status, out) = try runConnect(["validate", good, bad])
        #expect(status == 1)
        #expect(out.contains("in is valid"))
        for key in ["tasks.max", "topics", "transforms.t.type", "value.converter"] { #expect(out.contains(key), "\(key) in \(out)") }
        let (helpStatus, help) = try runConnect(["standalone", "--help"])
        #expect(helpStatus == 0 && help.contains("worker-properties"))
    }
}

extension CLITests {
    /// The README's CLI quick start, run for real: converters from worker.properties, a DLQ on the
    /// sink, SIGINT ends it cleanly with the offsets committed.
    @Test func readmeQuickStartRunsAndStopsCleanlyOnSIGINT() async throws {
        let dir = try temporaryDirectory("quickstart")
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try (0..<1000).map { "line \($0)" }.joined(separator: "\n").appending("\n").write(toFile: path("input.txt"), atomically: true, encoding: .utf8)
        try """
            offset.storage.file.filename=\(path("connect.offsets"))
            offset.flush.interval.ms=1000
            key.converter=org.apache.kafka.connect.storage.StringConverter
            value.converter=org.apache.kafka.connect.json.JsonConverter
            value.converter.schemas.enable=false
            """.write(toFile: path("worker.properties"), atomically: true, encoding: .utf8)
        try """
            {"name": "file-source", "config": {"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
             "file": "\(path("input.txt"))", "topic": "lines"}}
            """.write(toFile: path("source.json"), atomically: true, encoding: .utf8)
        try """
            {"name": "file-sink", "config": {"connector.class": "FileStreamSink", "file": "\(path("output.txt"))", "topics": "lines",
             "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "lines-dlq"}}
            """.write(toFile: path("sink.json"), atomically: true, encoding: .utf8)
        let (status, lines) = try await runStandaloneUntil(in: dir, lines: 1000)
        #expect(status == 0)
        #expect(lines == (0..<1000).map { "line \($0)" })
        let offsets = try String(contentsOfFile: path("connect.offsets"), encoding: .utf8)
        #expect(offsets.contains(#""position":"#) && offsets.contains("file-source"))
    }
}

extension CLITests {
    /// The README's transform chain, run for real by `connect standalone`: lines are wrapped in a
    /// struct, a field is added, tombstones would be dropped, and the topic renamed.
    @Test func readmeTransformChainRunsThroughConnectStandalone() async throws {
        let dir = try temporaryDirectory("chain")
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try "alpha\nbeta\ngamma\n".write(toFile: path("input.txt"), atomically: true, encoding: .utf8)
        try "offset.storage.file.filename=\(path("offsets"))\noffset.flush.interval.ms=100\n".write(toFile: path("worker.properties"), atomically: true, encoding: .utf8)
        // (Below, also with the README quick start's worker: values without schemas.)
        try """
            {"name": "lines", "config": {
              "connector.class": "FileStreamSource", "file": "\(path("input.txt"))", "topic": "lines",
              "transforms": "wrap,stamp,route",
              "transforms.wrap.type": "org.apache.kafka.connect.transforms.HoistField$Value",
              "transforms.wrap.field": "line",
              "transforms.stamp.type": "org.apache.kafka.connect.transforms.InsertField$Value",
              "transforms.stamp.static.field": "origin", "transforms.stamp.static.value": "file",
              "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
              "transforms.route.regex": "(.*)", "transforms.route.replacement": "shop.$1",
              "transforms.route.predicate": "notTombstone", "transforms.route.negate": "true",
              "predicates": "notTombstone",
              "predicates.notTombstone.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"}}
            """.write(toFile: path("source.json"), atomically: true, encoding: .utf8)
        try #"{"name": "out", "config": {"connector.class": "FileStreamSink", "file": "\#(path("output.txt"))", "topics": "shop.lines"}}"#
            .write(toFile: path("sink.json"), atomically: true, encoding: .utf8)
        let (status, lines) = try await runStandaloneUntil(in: dir, lines: 3)
        #expect(status == 0)
        #expect(lines == ["Struct{line=alpha,origin=file}", "Struct{line=beta,origin=file}", "Struct{line=gamma,origin=file}"])

        try FileManager.default.removeItem(atPath: path("output.txt"))
        try FileManager.default.removeItem(atPath: path("offsets"))
        try """
            offset.storage.file.filename=\(path("offsets"))
            offset.flush.interval.ms=1000
            key.converter=org.apache.kafka.connect.storage.StringConverter
            value.converter=org.apache.kafka.connect.json.JsonConverter
            value.converter.schemas.enable=false
            """.write(toFile: path("worker.properties"), atomically: true, encoding: .utf8)
        let (status2, schemaless) = try await runStandaloneUntil(in: dir, lines: 3)
        #expect(status2 == 0)
        #expect(schemaless == ["{line=alpha, origin=file}", "{line=beta, origin=file}", "{line=gamma, origin=file}"])
    }
}

/// Runs `connect standalone worker.properties source.json sink.json` in `dir` until `output.txt` has
/// `lines` lines (or 20 s), then sends SIGINT; returns the exit status and the output lines.
func runStandaloneUntil(in dir: URL, lines count: Int) async throws -> (status: Int32, lines: [String]) {
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    let p = Process()
    p.executableURL = connectBinary()
    p.arguments = ["standalone", path("worker.properties"), path("source.json"), path("sink.json"), "--log-level", "error"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    let deadline = ContinuousClock.now + .seconds(20)
    func lines() -> [String] { ((try? String(contentsOfFile: path("output.txt"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
    while lines().count < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    p.interrupt()  // SIGINT: a clean stop with offsets committed
    while p.isRunning && ContinuousClock.now < deadline + .seconds(10) { try await Task.sleep(for: .milliseconds(10)) }
    return (p.isRunning ? -1 : p.terminationStatus, lines())
}
