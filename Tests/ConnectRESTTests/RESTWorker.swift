import ConnectHTTP
import ConnectKit
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func temporaryDirectory(_ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-rest-\(name)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// `connect standalone` as a child process with its REST API on a free port of 127.0.0.1; its
/// standard error goes to a file. Stopped (SIGTERM, then SIGKILL) by ``stop()`` or when released.
final class RESTWorker: @unchecked Sendable {
    let process = Process()
    let dir: URL
    let errFile: URL
    private(set) var port = 0
    let client = HTTPClient(configuration: .init(connectTimeout: .seconds(10), readTimeout: .seconds(120), maxConnectionsPerHost: 64))
    var base: String { "http://127.0.0.1:\(port)" }
    var log: String { (try? String(contentsOf: errFile, encoding: .utf8)) ?? "" }

    /// Starts a worker in `dir` with `worker.properties` made of `properties` (offsets file and
    /// listener added unless given), and the connector files given.
    init(dir: URL, properties: [String: String] = [:], connectorFiles: [String] = [], logLevel: String = "info") async throws {
        self.dir = dir
        var props = ["offset.storage.file.filename": dir.appendingPathComponent("offsets.json").path, "listeners": "http://127.0.0.1:0",
                     "offset.flush.interval.ms": "200"]
        for (k, v) in properties { props[k] = v }
        let worker = dir.appendingPathComponent("worker.properties")
        try props.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n").write(to: worker, atomically: true, encoding: .utf8)
        errFile = dir.appendingPathComponent("worker-\(UUID().uuidString.prefix(6)).log")
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        process.executableURL = repositoryRoot.appendingPathComponent(".build/debug/connect")
        process.arguments = ["standalone", worker.path] + connectorFiles + ["--log-level", logLevel]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let range = log.range(of: #"REST API listening on https?://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(log[range].split(separator: ":").last!)!
                return
            }
            if !process.isRunning { throw Failure(message: "connect standalone exited (\(process.terminationStatus)):\n\(log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        stop()
        throw Failure(message: "connect standalone did not start its REST API within 60 s:\n\(log)")
    }

    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// One request; the response (status, headers, body).
    func call(_ method: HTTPMethod, _ path: String, json: String? = nil, headers: [HTTPHeader] = []) async throws -> HTTPResponse {
        var h = headers
        if json != nil, !h.contains(where: { $0.name.lowercased() == "content-type" }) { h.append(HTTPHeader("Content-Type", "application/json")) }
        return try await client.send(HTTPRequest(method, base + path, headers: h, body: json.map { Array($0.utf8) }))
    }

    /// The body of a request that must answer `status`.
    @discardableResult
    func expect(_ status: Int, _ method: HTTPMethod, _ path: String, json: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let r = try await call(method, path, json: json)
        let text = String(decoding: r.body, as: UTF8.self)
        #expect(r.status == status, "\(method.rawValue) \(path) → \(r.status) \(text)", sourceLocation: sourceLocation)
        return text
    }

    /// Waits until `check` holds for the body of `GET path` (at most 30 s).
    func eventually(_ path: String, sourceLocation: SourceLocation = #_sourceLocation, _ check: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = ContinuousClock.now + .seconds(30)
        var last = JSONValue.null
        while ContinuousClock.now < deadline {
            last = try JSONValue.parse(try await expect(200, .get, path, sourceLocation: sourceLocation))
            if check(last) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("GET \(path) never matched; last: \(last)", sourceLocation: sourceLocation)
        return last
    }

    /// The worker's resident set size in KiB (`/proc/<pid>/status` VmRSS).
    var rssKiB: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    /// SIGTERM, then waits (SIGKILL after 30 s); returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        client.shutdown()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

extension JSONValue {
    /// The member names of an object, in order.
    var keys: [String] { if case .object(let m) = self { return m.map(\.key) }; return [] }
    /// The elements of an array.
    var items: [JSONValue] { if case .array(let a) = self { return a }; return [] }
}

/// Runs curl (no proxy) with `arguments`; returns what it printed.
func curl(_ arguments: [String], in directory: URL? = nil) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    p.arguments = ["-s", "--noproxy", "*"] + arguments
    if let directory { p.currentDirectoryURL = directory }
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return out
}
