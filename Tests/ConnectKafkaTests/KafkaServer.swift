import ConnectKit
import Foundation
import Testing

@testable import ConnectKafka

/// The suites that start servers, processes and clusters run one at a time (each is serialized
/// too): on two cores, several at once starve each other and every other suite's timing.
@Suite("Kafka servers, clusters and processes", .serialized)
struct KafkaIntegrationTests {}

/// The Kafka-protocol server `make test` starts (noida-db, through scripts/with-test-servers.sh):
/// `CONNECTKIT_KAFKA_BOOTSTRAP`. Without it the tests that need it are left out — unless
/// `CONNECTKIT_REQUIRE_SERVERS=1`, when they fail instead.
enum KafkaServer {
    static let bootstrap: String? = ProcessInfo.processInfo.environment["CONNECTKIT_KAFKA_BOOTSTRAP"]
    static let required = ProcessInfo.processInfo.environment["CONNECTKIT_REQUIRE_SERVERS"] == "1"
    static let available = bootstrap != nil || required

    /// The server's address, or a failure saying how to get one.
    static func address() throws -> String {
        guard let bootstrap else {
            throw KafkaError(code: -1, message: "No Kafka server: run the tests through `make test` (scripts/with-test-servers.sh starts noida-db)")
        }
        return bootstrap
    }

    /// A topic name no other test (or earlier run) uses.
    static func topic(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }


    /// The repository's root and its debug build of `connect`.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let connect = root.appendingPathComponent(".build/debug/connect")
}

/// Runs a program to its end on a thread of its own (never Swift's cooperative pool), its
/// standard input, output and error in files — not pipes, whose write ends other processes
/// started meanwhile would inherit and keep open. Returns the exit status and the output.
func run(_ executable: String, _ arguments: [String], input: String? = nil) async throws -> (status: Int32, output: String, errors: String) {
    try await offThread {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let inFile = dir.appendingPathComponent("in"), outFile = dir.appendingPathComponent("out"), errFile = dir.appendingPathComponent("err")
        try (input ?? "").write(to: inFile, atomically: false, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let stdin = try FileHandle(forReadingFrom: inFile), stdout = try FileHandle(forWritingTo: outFile), stderr = try FileHandle(forWritingTo: errFile)
        defer { try? stdin.close(); try? stdout.close(); try? stderr.close() }
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = stderr
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, try String(contentsOf: outFile, encoding: .utf8), try String(contentsOf: errFile, encoding: .utf8))
    }
}

/// Runs kcat (a Kafka client we did not write) against the test server and returns its standard output.
@discardableResult
func kcat(_ arguments: [String], input: String? = nil) async throws -> String {
    let r = try await run("/usr/bin/kcat", ["-b", try KafkaServer.address()] + arguments, input: input)
    guard r.status == 0 else { throw KafkaError(code: -1, message: "kcat \(arguments.joined(separator: " ")) failed: \(r.errors)") }
    return r.output
}

/// Waits for a child process to end, on a thread of its own.
func waitForExit(_ p: Process) async throws {
    try await offThread { p.waitUntilExit() }
}

/// A scratch directory removed at the end of a test.
final class ScratchDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-kafka-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit {
        // CONNECTKIT_KEEP_SCRATCH=1 keeps it (and says where) to look at the processes' logs.
        if ProcessInfo.processInfo.environment["CONNECTKIT_KEEP_SCRATCH"] == "1" { print("kept \(url.path)") } else { try? FileManager.default.removeItem(at: url) }
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    /// Writes a file and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }
    func lines(_ name: String) -> [String] {
        (try? String(contentsOfFile: path(name), encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    }
}

/// `connect standalone` in a child process.
func startConnect(_ arguments: [String], log: String? = nil) throws -> Process {
    let p = Process()
    p.executableURL = KafkaServer.connect
    p.arguments = ["standalone"] + arguments + ["--log-level", ProcessInfo.processInfo.environment["CONNECTKIT_TEST_LOG_LEVEL"] ?? "warning"]
    p.standardOutput = FileHandle.nullDevice
    if let log {
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: log)
    } else {
        p.standardError = FileHandle.nullDevice
    }
    try p.run()
    return p
}

/// Polls `condition` every 100 ms until it holds or `timeout` passes; returns whether it held.
func eventually(_ timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}

/// `connect mock-broker` (librdkafka's mock cluster) in a child process, with these topics
/// (`name:partitions`); returns the process and its bootstrap servers.
func startMockBroker(brokers: Int, topics: [String], port: Int? = nil) async throws -> (Process, String) {
    let broker = Process()
    broker.executableURL = KafkaServer.connect
    broker.arguments = ["mock-broker", "--brokers", "\(brokers)"] + topics.flatMap { ["--topic", $0] } + (port.map { ["--port", "\($0)"] } ?? [])
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-mock-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: out) }
    broker.standardOutput = try FileHandle(forWritingTo: out)
    try broker.run()
    var bootstrap = ""
    _ = await eventually(.seconds(10)) {
        bootstrap = ((try? String(contentsOf: out, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return !bootstrap.isEmpty
    }
    return (broker, bootstrap)
}
