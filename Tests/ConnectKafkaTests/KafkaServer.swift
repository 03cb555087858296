import ConnectKit
import Foundation
import Testing

@testable import ConnectKafka

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

    /// Creates a topic.
    static func createTopic(_ name: String, partitions: Int32) throws {
        let p = try KafkaProducer(properties: ["bootstrap.servers": try address()])
        defer { p.close() }
        _ = try p.createTopic(KafkaNewTopic(name: name, partitions: partitions, replicationFactor: 1))
    }

    /// The repository's root and its debug build of `connect`.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let connect = root.appendingPathComponent(".build/debug/connect")
}

/// Runs kcat (a Kafka client we did not write) and returns its standard output.
@discardableResult
func kcat(_ arguments: [String], input: String? = nil) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
    p.arguments = ["-b", try KafkaServer.address()] + arguments
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let inPipe = Pipe()
    p.standardInput = input == nil ? FileHandle.nullDevice : inPipe
    try p.run()
    if let input {
        inPipe.fileHandleForWriting.write(Data(input.utf8))
        try inPipe.fileHandleForWriting.close()
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw KafkaError(code: -1, message: "kcat \(arguments.joined(separator: " ")) failed: \(String(decoding: errors, as: UTF8.self))")
    }
    return String(decoding: data, as: UTF8.self)
}

/// A scratch directory removed at the end of a test.
final class ScratchDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-kafka-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
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
    p.arguments = ["standalone"] + arguments + ["--log-level", "warning"]
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
func eventually(_ timeout: Duration = .seconds(60), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return try condition()
}
