import Foundation

/// A server a test starts as a child process: it listens on 127.0.0.1, prints one JSON line (its
/// ports, e.g. `{"port": 40123}`) on standard output when ready, and is stopped by ``stop()`` (also
/// from `deinit`).
///
/// The child's output goes to files, not pipes (whose write ends other children would inherit);
/// waiting for the ready line polls that file with `Task.sleep`, so nothing blocks Swift's
/// cooperative pool. The child gets `--parent <pid>` appended to its arguments when
/// `passParentPID` is `true`, so it can exit when the test process dies.
public final class LocalServerProcess: @unchecked Sendable {
    /// The parsed ready line.
    public let ready: [String: Any]
    /// Everything the server wrote on standard error so far (its log), for failure messages.
    public var log: String { (try? String(contentsOf: errFile, encoding: .utf8)) ?? "" }
    private let process: Process
    private let dir: URL
    private let errFile: URL

    /// Starts `executable arguments…` and waits up to `timeout` for its ready line.
    ///
    /// - Throws: `LocalServerProcess.Failure` naming the command and quoting its standard error when
    ///   it exits or prints nothing in time.
    public init(_ executable: String, _ arguments: [String], passParentPID: Bool = true, timeout: Duration = .seconds(30)) async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let outFile = dir.appendingPathComponent("out")
        errFile = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments + (passParentPID ? ["--parent", "\(ProcessInfo.processInfo.processIdentifier)"] : [])
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = try FileHandle(forWritingTo: outFile)
        p.standardError = try FileHandle(forWritingTo: errFile)
        try p.run()
        process = p
        let command = ([executable] + arguments).joined(separator: " ")
        let deadline = ContinuousClock.now + timeout
        while true {
            let text = (try? String(contentsOf: outFile, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("{") }),
               let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
                ready = object
                return
            }
            if !p.isRunning || ContinuousClock.now > deadline {
                let err = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
                if p.isRunning { p.terminate() }
                try? FileManager.default.removeItem(at: dir)
                throw Failure(message: "\(command) did not become ready: \(err)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    deinit { stop() }

    /// The integer member `key` of the ready line (e.g. `port`).
    public func port(_ key: String = "port") -> Int? {
        (ready[key] as? NSNumber)?.intValue
    }

    /// Terminates the server (SIGTERM, then SIGKILL after half a second, on a Dispatch thread: the
    /// caller is never blocked) and removes its files.
    public func stop() {
        let process = self.process, dir = self.dir
        if process.isRunning { process.terminate() }
        DispatchQueue.global().async {
            let deadline = Date().addingTimeInterval(0.5)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(at: dir)
        }
    }

    /// A server that did not start.
    public struct Failure: Error, CustomStringConvertible {
        /// The command and what it printed on standard error.
        public var message: String
        /// A failure with this message.
        public init(message: String) { self.message = message }
        /// The message.
        public var description: String { message }
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on at the moment of the call (the kernel's pick for
/// a socket bound and closed at once) — for a server a test starts with a chosen port, or for a
/// connection that must be refused.
public func freeLocalPort() -> Int {
    let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(s) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Runs a program to its end on a Dispatch thread (never Swift's cooperative pool), its output in
/// a file (not a pipe, whose write end other children would inherit); returns the exit status and
/// the output (standard error included). `environment` is added to this process's.
public func runProgram(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<(Int32, String), any Error>) in
        DispatchQueue.global().async {
            do {
                let out = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-run-\(UUID().uuidString)")
                _ = FileManager.default.createFile(atPath: out.path, contents: nil)
                defer { try? FileManager.default.removeItem(at: out) }
                let handle = try FileHandle(forWritingTo: out)
                defer { try? handle.close() }
                let p = Process()
                p.executableURL = URL(fileURLWithPath: executable)
                p.arguments = arguments
                p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
                p.standardInput = FileHandle.nullDevice
                p.standardOutput = handle
                p.standardError = handle
                try p.run()
                p.waitUntilExit()
                c.resume(returning: (p.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? ""))
            } catch { c.resume(throwing: error) }
        }
    }
}
