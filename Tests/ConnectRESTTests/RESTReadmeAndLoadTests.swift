import ConnectHTTP
import ConnectKit
import ConnectKitTesting
import Foundation
import Testing

@Suite("REST API: README quick start, load")
struct RESTReadmeAndLoadTests {
    /// The README's quick start, run as written by /bin/sh — only `/tmp/` is the test's directory,
    /// port 8083 a free one and the binary this build's.
    @Test func readmeQuickStartRuns() async throws {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## Quick start: connectors over Kafka Connect's REST API"))
        let rest = readme[section.upperBound...]
        let open = try #require(rest.range(of: "```sh\n"))
        let close = try #require(rest[open.upperBound...].range(of: "```"))
        var script = String(rest[open.upperBound..<close.lowerBound])
        #expect(script.contains("curl -X POST http://localhost:8083/connectors -H 'Content-Type: application/json' -d @connector-config.json"))
        let dir = try temporaryDirectory("readme")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = freeLocalPort()
        // (The binary's path last: the repository itself may live under /tmp/.)
        script = script.replacingOccurrences(of: "swift build --product connect\n", with: "")
            .replacingOccurrences(of: "/tmp/", with: dir.path + "/")
            .replacingOccurrences(of: "8083", with: String(port))
            .replacingOccurrences(of: ".build/debug/connect", with: repositoryRoot.appendingPathComponent(".build/debug/connect").path)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-e", "-c", script]
        p.currentDirectoryURL = dir
        p.environment = ProcessInfo.processInfo.environment.merging(["NO_PROXY": "*", "no_proxy": "*"]) { $1 }
        // Output to a file, not a pipe: the worker the script starts in the background inherits it.
        let outFile = dir.appendingPathComponent("script.out")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: outFile)
        p.standardError = FileHandle.nullDevice
        try p.run()
        // The script waits for the worker in a loop: bounded here.
        let deadline = ContinuousClock.now + .seconds(60)
        while p.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        let text = (try? String(contentsOf: outFile, encoding: .utf8)) ?? ""
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains(#"{"name":"file-source","config":{"connector.class":"FileStreamSource","file":"\#(dir.path)/input.txt","name":"file-source","topic":"lines"}"#))
        #expect(text.contains(#"{"name":"file-source","connector":{"state":"#))
        #expect(text.contains(#"{"file-source":{"status":{"name":"file-source","connector":{"state":"PAUSED""#))
        // The connector was stored, and the README's DELETE removed it from the store again.
        #expect(try String(contentsOfFile: dir.appendingPathComponent("connect.offsets.connectors.json").path, encoding: .utf8) == #"{"connectors":[]}"#)
    }

    /// 200 clients poll statuses while connectors are created and deleted: every request answered
    /// (no error), and the worker's memory flat.
    @Test func twoHundredClientsPollWhileConnectorsComeAndGo() async throws {
        let dir = try temporaryDirectory("load")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.txt").path
        try "x\n".write(toFile: input, atomically: true, encoding: .utf8)
        let w = try await RESTWorker(dir: dir, logLevel: "warning")
        defer { w.stop() }
        let client = HTTPClient(configuration: .init(connectTimeout: .seconds(20), readTimeout: .seconds(60), maxConnectionsPerHost: 200))
        defer { client.shutdown() }
        try await w.expect(201, .post, "/connectors", json: #"{"name":"steady","config":{"connector.class":"FileStreamSource","file":"\#(input)","topic":"t"}}"#)

        /// One round: 200 clients × `polls` status requests while one client creates and deletes
        /// `churn` connectors. Returns the failures.
        func round(polls: Int, churn: Int) async -> [String] {
            await withTaskGroup(of: [String].self) { group in
                for c in 0..<200 {
                    group.addTask {
                        var failures: [String] = []
                        for i in 0..<polls {
                            let path = ["/connectors/steady/status", "/connectors?expand=status", "/connectors?expand=info"][i % 3]
                            do {
                                let r = try await client.send(HTTPRequest(.get, w.base + path))
                                if r.status != 200 { failures.append("client \(c): \(path) → \(r.status)") }
                            } catch {
                                failures.append("client \(c): \(path) → \(error)")
                            }
                        }
                        return failures
                    }
                }
                group.addTask {
                    var failures: [String] = []
                    for i in 0..<churn {
                        let name = "churn-\(i)"
                        let body = #"{"name":"\#(name)","config":{"connector.class":"FileStreamSource","file":"\#(input)","topic":"c\#(i)"}}"#
                        do {
                            let created = try await client.send(HTTPRequest(.post, w.base + "/connectors", headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8)))
                            if created.status != 201 { failures.append("create \(name) → \(created.status)") }
                            let deleted = try await client.send(HTTPRequest(.delete, w.base + "/connectors/\(name)"))
                            if deleted.status != 204 { failures.append("delete \(name) → \(deleted.status)") }
                        } catch {
                            failures.append("\(name): \(error)")
                        }
                    }
                    return failures
                }
                var all: [String] = []
                for await f in group { all += f }
                return all
            }
        }
        // Warm up (buffers, caches, connection pools: two rounds), then measure over three more,
        // each 1200 requests and 20 connectors created and deleted.
        for _ in 0..<2 { #expect(await round(polls: 6, churn: 20).isEmpty) }
        let before = w.rssKiB
        for _ in 0..<3 {
            let failures = await round(polls: 6, churn: 20)
            #expect(failures.isEmpty, "\(failures.prefix(5))")
        }
        let after = w.rssKiB
        #expect(before > 0 && after > 0)
        // Flat: 3600 requests and 60 connectors later, under 4 MiB more (a leak of 1 KiB per request
        // or 64 KiB per connector would exceed it).
        #expect(after - before < 4 * 1024, "RSS grew from \(before) KiB to \(after) KiB")
        print("REST load: RSS \(before) KiB before, \(after) KiB after 3600 requests and 60 connectors")
        #expect(try JSONValue.parse(try await w.expect(200, .get, "/connectors")).items.compactMap(\.stringValue) == ["steady"])
    }
}
