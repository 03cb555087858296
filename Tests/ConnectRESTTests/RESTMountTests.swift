#if REST
import ConnectHTTP
import ConnectKit
import ConnectPlugins
import ConnectREST
import ConnectRuntime
import Foundation
import Hummingbird
import Synchronization
import Testing

/// A host service mounts the API in its own Hummingbird router, under a prefix, beside its routes.
@Suite("REST API mounted in a host's router")
struct RESTMountTests {
    @Test func hostRoutesAndConnectRoutesSideBySide() async throws {
        let dir = try temporaryDirectory("mount")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.txt").path
        try "a\n".write(toFile: input, atomically: true, encoding: .utf8)
        let worker = try Worker(config: try WorkerConfig(["offset.storage.file.filename": dir.appendingPathComponent("offsets.json").path]), registry: .standard)
        let api = try ConnectRESTAPI(worker: worker, basePath: "/connect")

        let router = Router()
        router.add(middleware: ConnectRESTMiddleware(api: api))
        router.get("/hello") { _, _ in "hello from the host" }
        let port = Mutex<Int?>(nil)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), onServerRunning: { channel in
            port.withLock { $0 = channel.localAddress?.port }
        })
        let running = Task { try await app.run() }
        let workerRun = Task { try await worker.run() }
        defer {
            running.cancel()
            worker.stop()
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while port.withLock({ $0 }) == nil && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let base = "http://127.0.0.1:\(try #require(port.withLock { $0 }))"
        let client = HTTPClient()
        defer { client.shutdown() }

        #expect(String(decoding: try await client.send(ConnectHTTP.HTTPRequest(.get, base + "/hello")).body, as: UTF8.self) == "hello from the host")
        let create = #"{"name":"src","config":{"connector.class":"FileStreamSource","file":"\#(input)","topic":"t"}}"#
        let created = try await client.send(ConnectHTTP.HTTPRequest(.post, base + "/connect/connectors", headers: [HTTPHeader("Content-Type", "application/json")], body: Array(create.utf8)))
        #expect(created.status == 201)
        #expect(created.header("Location") == base + "/connect/connectors/src")
        #expect(String(decoding: try await client.send(ConnectHTTP.HTTPRequest(.get, base + "/connect/connectors")).body, as: UTF8.self) == #"["src"]"#)
        // Not the API's: the host's router answers (its own 404).
        #expect(try await client.send(ConnectHTTP.HTTPRequest(.get, base + "/connectors")).status == 404)
        #expect(try await client.send(ConnectHTTP.HTTPRequest(.get, base + "/connect/nope")).status == 404)
        #expect(await worker.herder.connectors() == ["src"])
        worker.stop()
        try await workerRun.value
    }
}
#endif
