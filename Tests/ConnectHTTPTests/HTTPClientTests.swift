import ConnectHTTP
import ConnectKitTesting
import Foundation
import Testing

/// The repository's root (for scripts/test-servers).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// scripts/test-servers/http_test_server.py on 127.0.0.1 (HTTPS too when `tls` files are given).
func startTestServer(tls: (cert: String, key: String, clientCA: String?)? = nil) async throws -> LocalServerProcess {
    var args = [repositoryRoot.appendingPathComponent("scripts/test-servers/http_test_server.py").path]
    if let tls {
        args += ["--tls-cert", tls.cert, "--tls-key", tls.key]
        if let ca = tls.clientCA { args += ["--client-ca", ca] }
    }
    return try await LocalServerProcess("/usr/bin/env", ["python3"] + args)
}

func json(_ r: HTTPResponse) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
}

/// Runs a tool to its end on a Dispatch thread (never the cooperative pool).
func runTool(_ executable: String, _ arguments: [String], in dir: URL) async throws {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
        DispatchQueue.global().async {
            do {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: executable)
                p.arguments = arguments
                p.currentDirectoryURL = dir
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                p.waitUntilExit()
                if p.terminationStatus != 0 { throw LocalServerProcess.Failure(message: "\(executable) \(arguments) exited \(p.terminationStatus)") }
                c.resume()
            } catch { c.resume(throwing: error) }
        }
    }
}

@Suite("HTTP client against a local server")
struct HTTPClientTests {
    @Test("requests carry method, headers and body; no Expect: 100-continue; statuses are responses")
    func echo() async throws {
        let server = try await startTestServer()
        let client = HTTPClient()
        let base = "http://127.0.0.1:\(server.port()!)"
        let body = Array(String(repeating: "x", count: 5000).utf8)
        let r = try await client.execute(HTTPRequest(.post, base + "/echo?a=1", headers: [HTTPHeader("Content-Type", "application/x-ndjson")], body: body))
        #expect(r.status == 200)
        #expect(r.header("content-type") == "application/json")
        let echo = try json(r)
        #expect(echo["method"] as? String == "POST")
        #expect(echo["path"] as? String == "/echo?a=1")
        let headers = try #require(echo["headers"] as? [String: String])
        #expect(headers["content-type"] == "application/x-ndjson")
        #expect(headers["expect"] == nil)
        #expect(echo["body"] as? String == String(repeating: "x", count: 5000))

        for method in [HTTPMethod.put, .delete, .patch, .get] {
            let m = try json(try await client.execute(HTTPRequest(method, base + "/echo", body: method == .get ? nil : Array("{}".utf8))))
            #expect(m["method"] as? String == method.rawValue)
        }
        let head = try await client.execute(HTTPRequest(.head, base + "/echo"))
        #expect(head.status == 200 && head.body.isEmpty)
        let missing = try await client.execute(HTTPRequest(.get, base + "/status/404"))
        #expect(missing.status == 404 && !missing.isSuccess)
    }

    @Test("gzip request bodies (Content-Encoding: gzip) and compressed responses decoded")
    func gzip() async throws {
        let server = try await startTestServer()
        let client = HTTPClient()
        let base = "http://127.0.0.1:\(server.port()!)"
        let text = String(repeating: "{\"index\":{}}\n{\"a\":1}\n", count: 500)
        let r = try json(try await client.execute(HTTPRequest(.post, base + "/echo", body: Array(text.utf8), compressBody: true)))
        #expect(r["gzipped"] as? Bool == true)
        #expect(r["body"] as? String == text)
        #expect((r["bodyLength"] as? Int ?? .max) < text.utf8.count / 10)
        let g = try json(try await client.execute(HTTPRequest(.get, base + "/gzip")))
        #expect(g["compressed"] as? Bool == true)
    }

    @Test("retries on the statuses the caller names, with backoff; the last response when retries run out")
    func retriesStatuses() async throws {
        let server = try await startTestServer()
        let client = HTTPClient()
        let base = "http://127.0.0.1:\(server.port()!)"
        let policy = HTTPRetryPolicy(maxRetries: 3, initialBackoff: .milliseconds(10), retryStatuses: [429, 503])
        let ok = try await client.execute(HTTPRequest(.get, base + "/flaky/a/2/503"), retry: policy)
        #expect(ok.status == 200 && ok.attempts == 3)
        let short = HTTPRetryPolicy(maxRetries: 1, initialBackoff: .milliseconds(10), retryStatuses: [429])
        let last = try await client.execute(HTTPRequest(.get, base + "/flaky/b/5/429"), retry: short)
        #expect(last.status == 429 && last.attempts == 2)
        // A status the caller did not name is returned at once.
        let notNamed = try await client.execute(HTTPRequest(.get, base + "/flaky/c/5/500"), retry: policy)
        #expect(notNamed.status == 500 && notNamed.attempts == 1)
    }

    @Test("backoff: random below min(cap, base × 2^n)")
    func backoff() {
        let p = HTTPRetryPolicy(maxRetries: 5, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1))
        #expect(p.backoffBound(attempt: 1) == .milliseconds(200))
        #expect(p.backoffBound(attempt: 3) == .milliseconds(800))
        #expect(p.backoffBound(attempt: 4) == .seconds(1))
        #expect(p.backoffBound(attempt: 60) == .seconds(1))
        for _ in 0..<200 { #expect(p.backoff(attempt: 2) < .milliseconds(400)) }
        #expect(HTTPRetryPolicy(maxRetries: 1, initialBackoff: .zero).backoff(attempt: 3) == .zero)
    }

    @Test("a refused connection is a connect error naming the URL, retried when asked")
    func refused() async throws {
        let port = freeLocalPort()  // nothing listens there
        let client = HTTPClient()
        let url = "http://user:s3cret@127.0.0.1:\(port)/x"
        do {
            _ = try await client.execute(HTTPRequest(.get, url), retry: HTTPRetryPolicy(maxRetries: 2, initialBackoff: .milliseconds(5)))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .connect)
            #expect(error.attempts == 3)
            #expect(error.url == "http://127.0.0.1:\(port)/x")
            #expect(!error.description.contains("s3cret"))
            #expect(error.description.contains("127.0.0.1:\(port)"))
        }
    }

    @Test("a server that hangs: the read timeout ends the request; a stalled body too")
    func readTimeout() async throws {
        let server = try await startTestServer()
        let client = HTTPClient(configuration: .init(readTimeout: .milliseconds(400)))
        let base = "http://127.0.0.1:\(server.port()!)"
        for path in ["/hang", "/stall-body"] {
            let start = ContinuousClock.now
            do {
                _ = try await client.execute(HTTPRequest(.get, base + path))
                Issue.record("expected a timeout on \(path)")
            } catch {
                #expect(error.code == .timeout, "\(path): \(error)")
                #expect(error.message.contains("400 ms"))
            }
            let took = ContinuousClock.now - start
            #expect(took >= .milliseconds(350) && took < .seconds(10), "\(path) took \(took)")
        }
        // The client still works afterwards.
        #expect(try await client.execute(HTTPRequest(.get, base + "/echo")).status == 200)
    }

    @Test("the read timeout starts once a request is connected: requests queued for a connection are not idle")
    func queuedRequestsDoNotTimeOut() async throws {
        let server = try await startTestServer()
        let client = HTTPClient(configuration: .init(readTimeout: .milliseconds(1500), maxConnectionsPerHost: 1))
        let url = "http://127.0.0.1:\(server.port()!)/delay/700"
        // One connection: the third request waits about 1.4 s for it, then 0.7 s for its answer —
        // 2.1 s in all, but never 1.5 s without a byte once connected.
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<3 { group.addTask { try await client.execute(HTTPRequest(.get, url)).status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == [200, 200, 200])
    }

    @Test("a server that closes the connection mid-response: connectionClosed, and a retry succeeds")
    func closedMidResponse() async throws {
        let server = try await startTestServer()
        let client = HTTPClient()
        let base = "http://127.0.0.1:\(server.port()!)"
        for path in ["/drop", "/nothing"] {
            do {
                _ = try await client.execute(HTTPRequest(.get, base + path))
                Issue.record("expected an error on \(path)")
            } catch {
                #expect(error.code == .connectionClosed, "\(path): \(error)")
                #expect(error.isRetriable)
            }
        }
        let r = try await client.execute(HTTPRequest(.post, base + "/drop-once/k", body: Array("{}".utf8)), retry: HTTPRetryPolicy(maxRetries: 2, initialBackoff: .milliseconds(5)))
        #expect(r.status == 200 && r.attempts == 2)
    }

    @Test("cancelling the task ends its transfer at once; shutdown ends the rest")
    func cancellation() async throws {
        let server = try await startTestServer()
        let client = HTTPClient(configuration: .init(readTimeout: nil))
        let url = "http://127.0.0.1:\(server.port()!)/hang"
        let task = Task { () throws -> HTTPResponse in try await client.execute(HTTPRequest(.get, url)) }
        try await Task.sleep(for: .milliseconds(200))
        let start = ContinuousClock.now
        task.cancel()
        let result = await task.result
        // The server never answers: only the cancellation ends it (30 s: a hang detector — on a loaded
        // machine the cancellation took 3.5 s once).
        #expect(ContinuousClock.now - start < .seconds(30))
        guard case .failure(let e) = result else { Issue.record("expected cancellation"); return }
        #expect((e as? HTTPError)?.code == .cancelled, "\(e)")

        // A retry wait is cancellable too.
        let waiting = Task { () throws -> HTTPResponse in
            try await client.execute(HTTPRequest(.get, "http://127.0.0.1:\(server.port()!)/status/503"),
                                     retry: HTTPRetryPolicy(maxRetries: 5, initialBackoff: .seconds(30), maxBackoff: .seconds(60), retryStatuses: [503]))
        }
        try await Task.sleep(for: .milliseconds(300))
        waiting.cancel()
        guard case .failure(let w) = await waiting.result else { Issue.record("expected cancellation"); return }
        #expect((w as? HTTPError)?.code == .cancelled, "\(w)")

        let inFlight = Task { () throws -> HTTPResponse in try await client.execute(HTTPRequest(.get, url)) }
        try await Task.sleep(for: .milliseconds(200))
        client.shutdown()
        guard case .failure(let s) = await inFlight.result else { Issue.record("expected shutdown to end it"); return }
        #expect((s as? HTTPError)?.code == .cancelled, "\(s)")
        do {
            _ = try await client.execute(HTTPRequest(.get, url))
            Issue.record("a shut-down client must refuse")
        } catch { #expect(error.code == .cancelled) }
    }

    @Test("keep-alive connections are reused; concurrent requests all complete")
    func reuse() async throws {
        let server = try await startTestServer()
        let client = HTTPClient(configuration: .init(maxConnectionsPerHost: 4))
        let base = "http://127.0.0.1:\(server.port()!)"
        for _ in 0..<30 { _ = try await client.execute(HTTPRequest(.post, base + "/echo", body: Array("{}".utf8))) }
        let seen = try json(try await client.execute(HTTPRequest(.get, base + "/connections")))
        #expect((seen["connections"] as? Int ?? 99) <= 2)

        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<64 {
                group.addTask { try await client.execute(HTTPRequest(.post, base + "/echo", body: Array("\(i)".utf8))).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.count == 64 && statuses.allSatisfy { $0 == 200 })
        let after = try json(try await client.execute(HTTPRequest(.get, base + "/connections")))
        #expect((after["connections"] as? Int ?? 99) <= 6)
    }

    @Test("Basic and bearer credentials, per client and per request; never in descriptions")
    func credentials() async throws {
        let server = try await startTestServer()
        let base = "http://127.0.0.1:\(server.port()!)"
        let anonymous = HTTPClient()
        #expect(try await anonymous.execute(HTTPRequest(.get, base + "/auth/basic")).status == 401)
        let basic = HTTPAuthorization.basic(username: "u", password: HTTPSecret("p:ss"))
        let client = HTTPClient(configuration: .init(authorization: basic))
        #expect(try await client.execute(HTTPRequest(.get, base + "/auth/basic")).status == 200)
        let bearer = HTTPAuthorization.bearer(HTTPSecret("t0ken"))
        #expect(try await client.execute(HTTPRequest(.get, base + "/auth/bearer", authorization: bearer)).status == 200)
        #expect(try await client.execute(HTTPRequest(.get, base + "/auth/bearer")).status == 401)

        var dumped = ""
        dump(client.configuration, to: &dumped)
        for text in [dumped, String(describing: client.configuration), String(reflecting: basic), "\(bearer)"] {
            #expect(!text.contains("p:ss") && !text.contains("t0ken"), "\(text)")
        }
    }

    @Test("through an HTTP proxy, with and without proxy credentials")
    func proxy() async throws {
        let server = try await startTestServer()
        let proxyURL = "http://127.0.0.1:\(server.port()!)"
        let plain = HTTPClient(configuration: .init(proxy: HTTPProxy(url: proxyURL)))
        let r = try json(try await plain.execute(HTTPRequest(.get, "http://upstream.invalid/x")))
        #expect(r["proxied"] as? Bool == true)
        #expect(r["path"] as? String == "http://upstream.invalid/x")
        #expect(try await plain.execute(HTTPRequest(.get, "http://upstream.invalid/needs-proxy-auth")).status == 407)
        let authed = HTTPClient(configuration: .init(proxy: HTTPProxy(url: proxyURL, username: "pu", password: HTTPSecret("pp"))))
        #expect(try await authed.execute(HTTPRequest(.get, "http://upstream.invalid/needs-proxy-auth")).status == 200)
    }

    @Test("TLS with a CA file and a client certificate; an untrusted server is a tls error")
    func tls() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ssl = "/usr/bin/openssl"
        try await runTool(ssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=ConnectKit test CA"], in: dir)
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(to: dir.appendingPathComponent("san.ext"), atomically: true, encoding: .utf8)
        try await runTool(ssl, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], in: dir)
        try await runTool(ssl, ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext"], in: dir)
        try await runTool(ssl, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=client"], in: dir)
        try await runTool(ssl, ["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "2"], in: dir)
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

        let server = try await startTestServer(tls: (path("server.pem"), path("server.key"), path("ca.pem")))
        let url = "https://127.0.0.1:\(server.port("tlsPort")!)/echo"
        let trusted = HTTPClient(configuration: .init(tls: HTTPTLSConfiguration(caFile: path("ca.pem"), certificateFile: path("client.pem"), keyFile: path("client.key"))))
        #expect(try await trusted.execute(HTTPRequest(.get, url)).status == 200)

        let untrusted = HTTPClient(configuration: .init(tls: HTTPTLSConfiguration(certificateFile: path("client.pem"), keyFile: path("client.key"))))
        do {
            _ = try await untrusted.execute(HTTPRequest(.get, url))
            Issue.record("an unknown CA must be refused")
        } catch { #expect(error.code == .tls, "\(error)") }

        let noClientCert = HTTPClient(configuration: .init(tls: HTTPTLSConfiguration(caFile: path("ca.pem"))))
        do {
            let r = try await noClientCert.execute(HTTPRequest(.get, url))
            Issue.record("the server requires a client certificate, got \(r.status)")
        } catch { #expect([HTTPError.Code.tls, .connectionClosed, .send].contains(error.code), "\(error)") }
    }
}
