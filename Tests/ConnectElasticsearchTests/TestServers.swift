import ConnectHTTP
import ConnectKit
import ConnectKitTesting
import Foundation
import Testing

@testable import ConnectElasticsearch

/// One of the two servers we did not write that `scripts/with-test-servers.sh` starts: noida-db's
/// Elasticsearch 8 API and osmem-server's OpenSearch 3 API. Without them (a bare `swift test`)
/// these cases are left out — unless `CONNECTKIT_REQUIRE_SERVERS=1` (as in `make test`), where a
/// missing server fails the test.
struct SearchServer: Sendable, CustomTestStringConvertible {
    let name: String
    let url: String
    var testDescription: String { name }

    static let all: [SearchServer] = {
        let env = ProcessInfo.processInfo.environment
        let require = env["CONNECTKIT_REQUIRE_SERVERS"] == "1"
        var list: [SearchServer] = []
        if let u = env["CONNECTKIT_ELASTICSEARCH_URL"] ?? (require ? "" : nil) { list.append(SearchServer(name: "noida-db (Elasticsearch 8)", url: u)) }
        if let u = env["CONNECTKIT_OPENSEARCH_URL"] ?? (require ? "" : nil) { list.append(SearchServer(name: "osmem-server (OpenSearch 3)", url: u)) }
        return list
    }()
}

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// scripts/test-servers/es_test_server.py: our fault-injecting server (written from the public API docs).
func startFaultServer(_ arguments: [String] = []) async throws -> (LocalServerProcess, String) {
    let script = repositoryRoot.appendingPathComponent("scripts/test-servers/es_test_server.py").path
    let server = try await LocalServerProcess("/usr/bin/env", ["python3", script] + arguments)
    return (server, "http://127.0.0.1:\(server.port()!)")
}

/// A unique, valid index/topic name for one test.
func uniqueTopic(_ base: String) -> String { "\(base)-\(UUID().uuidString.prefix(8).lowercased())" }

/// A small client for what tests read back.
struct SearchReader {
    let url: String
    let http = HTTPClient()

    func get(_ path: String) async throws -> (Int, JSONValue) {
        let r = try await http.execute(HTTPRequest(.get, url + path))
        return (r.status, (try? JSONValue.parse(r.body)) ?? .null)
    }

    func post(_ path: String, _ json: String) async throws -> Int {
        try await http.execute(HTTPRequest(.post, url + path, headers: [HTTPHeader("Content-Type", "application/json")], body: Array(json.utf8))).status
    }

    /// The `_source` of a document, or `nil` when it is not there.
    func source(_ index: String, _ id: String) async throws -> JSONValue? {
        let (status, body) = try await get("/\(index)/_doc/\(ElasticsearchClient.escape(id))")
        return status == 200 ? body["_source"] : nil
    }

    func version(_ index: String, _ id: String) async throws -> Int? {
        let (status, body) = try await get("/\(index)/_doc/\(ElasticsearchClient.escape(id))")
        guard status == 200, case .number(let n)? = body["_version"] else { return nil }
        return Int(n)
    }

    func mapping(_ index: String) async throws -> JSONValue? {
        let (status, body) = try await get("/\(index)/_mapping")
        guard status == 200, case .object(let m) = body else { return nil }
        return m.first?.value["mappings"]
    }

    /// The fault server's request journal.
    func journal() async throws -> [JSONValue] {
        let (_, body) = try await get("/_test/journal")
        if case .array(let a) = body { return a }
        return []
    }

    func stats() async throws -> JSONValue { try await get("/_test/stats").1 }
}

func sinkConfig(_ url: String, _ topic: String, _ extra: [String: String] = [:]) -> [String: String] {
    var c = ["connection.url": url, "topics": topic, "name": "es-test", "linger.ms": "1", "retry.backoff.ms": "10"]
    c.merge(extra) { $1 }
    return c
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes.
func eventually(_ timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// Calls preCommit until the committed offset of partition 0 of `topic` reaches `offset`.
func committed(_ harness: SinkTaskHarness<ElasticsearchSinkTask>, _ topic: String, reaches offset: Int64, timeout: Duration = .seconds(20)) async throws -> Bool {
    try await eventually(timeout) {
        let c = try await harness.flush()
        return (c[TopicPartition(topic: topic, partition: 0)]?.offset ?? -1) >= offset
    }
}

extension JSONValue {
    var int: Int? { if case .number(let n) = self { return Int(n) ?? Double(n).map { Int($0) } }; return nil }
    var double: Double? { if case .number(let n) = self { return Double(n) }; return nil }
}
