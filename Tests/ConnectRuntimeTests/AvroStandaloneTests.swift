import ConnectKit
import ConnectKitTesting
import Foundation
import Testing

/// Starts scripts/test-servers/schema_registry_server.py (ours, from Confluent's API reference).
func startSchemaRegistry(_ arguments: [String] = []) async throws -> (LocalServerProcess, String) {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let script = root.appendingPathComponent("scripts/test-servers/schema_registry_server.py").path
    let server = try await LocalServerProcess("/usr/bin/env", ["python3", script] + arguments)
    return (server, "http://127.0.0.1:\(server.port()!)")
}

/// Runs `connect standalone worker.properties <connector files>` in `dir` until `output.txt` has
/// `lines` lines or `log` contains `logNeedle` (or 30 s), then SIGINT; returns status, lines and log.
func runStandalone(in dir: URL, connectors: [String], lines count: Int, until logNeedle: String? = nil) async throws -> (status: Int32, lines: [String], log: String) {
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    let p = Process()
    p.executableURL = connectBinary()
    p.arguments = ["standalone", path("worker.properties")] + connectors.map(path) + ["--log-level", "info"]
    _ = FileManager.default.createFile(atPath: path("log.txt"), contents: nil)
    let log = try FileHandle(forWritingTo: URL(fileURLWithPath: path("log.txt")))
    p.standardOutput = log
    p.standardError = log
    try p.run()
    let deadline = ContinuousClock.now + .seconds(30)
    func lines() -> [String] { ((try? String(contentsOfFile: path("output.txt"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
    func logText() -> String { (try? String(contentsOfFile: path("log.txt"), encoding: .utf8)) ?? "" }
    while ContinuousClock.now < deadline {
        if lines().count >= count, logNeedle.map({ logText().contains($0) }) ?? true { break }
        try await Task.sleep(for: .milliseconds(50))
    }
    let stillRunning = p.isRunning
    p.interrupt()
    while p.isRunning && ContinuousClock.now < deadline + .seconds(10) { try await Task.sleep(for: .milliseconds(10)) }
    try? log.close()
    return (stillRunning ? (p.isRunning ? -1 : p.terminationStatus) : -2, lines(), logText())
}

@Suite("AvroConverter in connect standalone", .serialized)
struct AvroStandaloneTests {
    @Test("value.converter=io.confluent.connect.avro.AvroConverter with a registry: Avro on the topic, registered under <topic>-value, read back by the sink; the registry password is in no log line")
    func avroThroughStandalone() async throws {
        let (registry, url) = try await startSchemaRegistry(["--user", "connect", "--password", "reg-Secret-42"])
        defer { registry.stop() }
        let dir = try temporaryDirectory("avro")
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try "alpha\nbeta\ngamma\n".write(toFile: path("input.txt"), atomically: true, encoding: .utf8)
        try """
            offset.storage.file.filename=\(path("offsets"))
            offset.flush.interval.ms=100
            key.converter=org.apache.kafka.connect.storage.StringConverter
            value.converter=io.confluent.connect.avro.AvroConverter
            value.converter.schema.registry.url=\(url)
            value.converter.basic.auth.credentials.source=USER_INFO
            value.converter.basic.auth.user.info=connect:reg-Secret-42
            """.write(toFile: path("worker.properties"), atomically: true, encoding: .utf8)
        try """
            {"name": "lines", "config": {"connector.class": "FileStreamSource", "file": "\(path("input.txt"))", "topic": "lines",
              "transforms": "wrap", "transforms.wrap.type": "org.apache.kafka.connect.transforms.HoistField$Value", "transforms.wrap.field": "line"}}
            """.write(toFile: path("source.json"), atomically: true, encoding: .utf8)
        try #"{"name": "out", "config": {"connector.class": "FileStreamSink", "file": "\#(path("output.txt"))", "topics": "lines"}}"#
            .write(toFile: path("sink.json"), atomically: true, encoding: .utf8)
        let run = try await runStandalone(in: dir, connectors: ["source.json", "sink.json"], lines: 3)
        #expect(run.status == 0, "\(run.log)")
        #expect(run.lines == ["Struct{line=alpha}", "Struct{line=beta}", "Struct{line=gamma}"])
        #expect(!run.log.contains("reg-Secret-42"))
        let latest = try await runProgram("/usr/bin/curl", ["-s", "-u", "connect:reg-Secret-42", url + "/subjects/lines-value/versions/latest"])
        let body = try JSONValue.parse(latest.output)
        #expect(body["version"] == .number("1"))
        #expect(body["schema"]?.stringValue == #"{"type":"record","name":"ConnectDefault","namespace":"io.confluent.connect.avro","fields":[{"name":"line","type":"string"}]}"#)
    }

    @Test("a sink whose registry cannot be reached, or does not know the schema id, reports a DataError under errors.tolerance=all and keeps running")
    func unreachableRegistryAndUnknownID() async throws {
        let (registry, url) = try await startSchemaRegistry()
        defer { registry.stop() }
        let (other, otherURL) = try await startSchemaRegistry()
        defer { other.stop() }
        let dir = try temporaryDirectory("avro-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try "one\ntwo\n".write(toFile: path("input.txt"), atomically: true, encoding: .utf8)
        try """
            offset.storage.file.filename=\(path("offsets"))
            offset.flush.interval.ms=100
            value.converter=io.confluent.connect.avro.AvroConverter
            value.converter.schema.registry.url=\(url)
            """.write(toFile: path("worker.properties"), atomically: true, encoding: .utf8)
        try #"{"name": "src", "config": {"connector.class": "FileStreamSource", "file": "\#(path("input.txt"))", "topic": "words"}}"#
            .write(toFile: path("source.json"), atomically: true, encoding: .utf8)
        // Reads with another registry (it never saw schema 1), tolerating and logging errors.
        try """
            {"name": "unknown-id", "config": {"connector.class": "FileStreamSink", "file": "\(path("output.txt"))", "topics": "words",
              "value.converter": "io.confluent.connect.avro.AvroConverter", "value.converter.schema.registry.url": "\(otherURL)",
              "errors.tolerance": "all", "errors.log.enable": "true",
              "errors.deadletterqueue.topic.name": "words-dlq", "errors.deadletterqueue.context.headers.enable": "true"}}
            """.write(toFile: path("sink.json"), atomically: true, encoding: .utf8)
        let dead = "http://127.0.0.1:\(freeLocalPort())"
        try """
            {"name": "no-registry", "config": {"connector.class": "FileStreamSink", "file": "\(path("output2.txt"))", "topics": "words",
              "value.converter": "io.confluent.connect.avro.AvroConverter", "value.converter.schema.registry.url": "\(dead)",
              "errors.tolerance": "all", "errors.log.enable": "true"}}
            """.write(toFile: path("sink2.json"), atomically: true, encoding: .utf8)
        let run = try await runStandalone(in: dir, connectors: ["source.json", "sink.json", "sink2.json"], lines: 0, until: "Schema 1 not found; error code: 40403")
        #expect(run.status == 0, "\(run.log)")
        #expect(run.lines.isEmpty)
        #expect(run.log.contains("Failed to deserialize data for topic words to Avro"))
        #expect(run.log.contains("Schema 1 not found; error code: 40403"))
        #expect(run.log.contains(dead))
        // The records the unknown id failed went to the dead-letter topic, as written, with Kafka's headers.
        let printed = try runConnectSeparately(["topics", "print", path("worker.properties"), "words-dlq"])
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.contains("__connect.errors.stage=VALUE_CONVERTER"))
        #expect(printed.stdout.contains("__connect.errors.class.name=io.confluent.connect.avro.AvroConverter"))
        #expect(printed.stdout.contains("__connect.errors.exception.message=Failed to deserialize data for topic words to Avro: "))
        #expect(printed.stdout.contains("Caused by: Error retrieving Avro value schema for id 1: Schema 1 not found; error code: 40403"))
    }
}
