import ConnectHTTP
import ConnectKit
import Logging
import Synchronization

/// The sink's client for Elasticsearch (7, 8, 9) and OpenSearch over ``HTTPClient``: plain JSON
/// media types (no `compatible-with`, no product check), requests spread round-robin over
/// `connection.url` with failover on connection errors and 502/503/504, and Confluent's retry rule
/// (`max.retries`, random backoff below `retry.backoff.ms × 2^n`) — except that statuses that
/// cannot improve (400, 401, 403, 404, 413) are not retried.
final class ElasticsearchClient: Sendable {
    let http: HTTPClient
    let urls: [String]
    let username: String?
    private let cursor = Atomic<Int>(0)
    /// Confluent's `RetryUtil`: `max.retries`, a random wait below `retry.backoff.ms × 2^n`, at most a day.
    private let retry: HTTPRetryPolicy
    private var maxRetries: Int { retry.maxRetries }
    private let compress: Bool

    init(config: ElasticsearchSinkConfig) {
        let auth = config.username.map { HTTPAuthorization.basic(username: $0, password: HTTPSecret(config.password?.value ?? "")) }
        http = HTTPClient(configuration: HTTPClient.Configuration(
            connectTimeout: config.connectionTimeoutMillis > 0 ? .milliseconds(config.connectionTimeoutMillis) : .seconds(86_400),  // 0: no limit
            readTimeout: config.readTimeoutMillis > 0 ? .milliseconds(config.readTimeoutMillis) : nil,
            tls: config.tls, proxy: config.proxy, authorization: auth, userAgent: "ConnectKit-Elasticsearch/\(ConnectKitVersion.current)",
            maxConnectionsPerHost: max(10, 2 * config.maxInFlightRequests),
            maxIdleTime: config.maxConnectionIdleMillis > 0 ? .milliseconds(config.maxConnectionIdleMillis) : nil))
        urls = config.urls
        username = config.username
        retry = HTTPRetryPolicy(maxRetries: config.maxRetries, initialBackoff: .milliseconds(config.retryBackoffMillis), maxBackoff: .seconds(86_400))
        compress = config.compression
    }

    func shutdown() { http.shutdown() }

    /// One operation, retried as Confluent's `RetryUtil` does. Returns the response for statuses
    /// the caller interprets (2xx, 404, other 4xx); throws a ``ConnectError`` naming the operation,
    /// the URL and the attempts otherwise, and a clear credentials error on 401/403.
    func perform(_ description: String, _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil,
                 contentType: String = "application/json") async throws -> HTTPResponse {
        var attempt = 0
        var lastProblem = ""
        while true {
            attempt += 1
            let start = cursor.add(1, ordering: .relaxed).oldValue
            var retriable = false
            for i in 0..<urls.count {
                let url = urls[(start + i) % urls.count]
                var headers: [HTTPHeader] = []
                if body != nil { headers.append(HTTPHeader("Content-Type", contentType)) }
                do {
                    let r = try await http.send(HTTPRequest(method, url + path, headers: headers, body: body, compressBody: compress && body != nil))
                    switch r.status {
                    case 401, 403:
                        throw ConnectError(authenticationMessage(r, url: url))
                    case 502, 503, 504:
                        lastProblem = "HTTP \(r.status) from \(HTTPError.redacted(url)): \(ElasticsearchClient.errorText(r))"
                        retriable = true
                        continue  // fail over to the next URL
                    case 429, 500:
                        lastProblem = "HTTP \(r.status) from \(HTTPError.redacted(url)): \(ElasticsearchClient.errorText(r))"
                        retriable = true
                    default:
                        return r
                    }
                } catch let e as HTTPError {
                    if e.code == .cancelled { throw ConnectError("\(description) was cancelled") }
                    lastProblem = e.description
                    retriable = e.isRetriable
                    if retriable { continue }
                }
                break
            }
            if !retriable || attempt > maxRetries {
                throw ConnectError("Failed to \(description) due to '\(lastProblem)' after \(attempt) attempt(s)")
            }
            try await backoff(attempt)
        }
    }

    /// Waits a random time below `retry.backoff.ms × 2^attempt` (at most a day), as `RetryUtil`.
    func backoff(_ attempt: Int) async throws {
        let wait = retry.backoff(attempt: attempt)
        if wait > .zero { try await Task.sleep(for: wait) }
    }

    private func authenticationMessage(_ r: HTTPResponse, url: String) -> String {
        let reason = ElasticsearchClient.errorText(r)
        if let username {
            return "Elasticsearch at \(HTTPError.redacted(url)) refused user '\(username)' (HTTP \(r.status): \(reason)). Check 'connection.username' and 'connection.password'."
        }
        return "Elasticsearch at \(HTTPError.redacted(url)) requires authentication (HTTP \(r.status): \(reason)). Set 'connection.username' and 'connection.password'."
    }

    /// `type: reason` of an Elasticsearch error body, or the body's text.
    static func errorText(_ r: HTTPResponse) -> String {
        if let v = try? JSONValue.parse(r.body), let e = v["error"] {
            if case .object = e { return ItemError(e).text }
            if let s = e.stringValue { return s }
        }
        let text = r.text
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    // MARK: - Operations

    /// The server's `version.number` (`GET /`), or `nil` when it cannot be read.
    func version() async throws -> String? {
        let r = try await perform("read the server version", .get, "/")
        guard r.isSuccess, let v = try? JSONValue.parse(r.body) else { return nil }
        return v["version"]?["number"]?.stringValue
    }

    /// Whether the index, data stream or alias exists (`HEAD /{name}`).
    func exists(_ name: String) async throws -> Bool {
        let r = try await perform("check if index \(name) exists", .head, "/" + Self.escape(name))
        if r.status == 404 { return false }
        guard r.isSuccess else { throw ConnectError("Could not check if index \(name) exists: HTTP \(r.status) \(Self.errorText(r))") }
        return true
    }

    /// Creates an index (`PUT /{name}`) or a data stream (`PUT /_data_stream/{name}`); an existing
    /// one is fine.
    func create(_ name: String, dataStream: Bool) async throws {
        let path = dataStream ? "/_data_stream/" + Self.escape(name) : "/" + Self.escape(name) + "?timeout=30s&master_timeout=30s"
        let body: [UInt8]? = dataStream ? nil : Array("{\"settings\":{},\"aliases\":{}}".utf8)
        let r = try await perform("create \(dataStream ? "data stream" : "index") \(name)", .put, path, body: body)
        if r.isSuccess { return }
        let text = Self.errorText(r)
        if text.contains("resource_already_exists_exception") || text.contains("already exists") { return }
        throw ConnectError("Could not create \(dataStream ? "data stream" : "index") \(name): HTTP \(r.status) \(text)")
    }

    /// Whether the resource has a non-empty mapping (`GET /{name}/_mapping`).
    func hasMapping(_ name: String) async throws -> Bool {
        let r = try await perform("get mapping for \(name)", .get, "/" + Self.escape(name) + "/_mapping")
        guard r.isSuccess else { throw ConnectError("Could not read the mapping of \(name): HTTP \(r.status) \(Self.errorText(r))") }
        guard case .object(let indices)? = try? JSONValue.parse(r.body) else { return false }
        for (_, index) in indices {
            if case .object(let m)? = index["mappings"], !m.isEmpty { return true }
        }
        return false
    }

    /// `PUT /{name}/_mapping`.
    func putMapping(_ name: String, _ mapping: JSONValue) async throws {
        let r = try await perform("put mapping for \(name)", .put, "/" + Self.escape(name) + "/_mapping?timeout=30s&master_timeout=30s", body: Array(mapping.description.utf8))
        guard r.isSuccess else { throw ConnectError("Could not create the mapping of \(name): HTTP \(r.status) \(Self.errorText(r))") }
    }

    /// `POST /_bulk` with the actions' NDJSON; returns each action's outcome, in order.
    func bulk(_ actions: [BulkAction]) async throws -> [ItemOutcome] {
        var body: [UInt8] = []
        body.reserveCapacity(actions.reduce(0) { $0 + $1.lines.count })
        for a in actions { body += a.lines }
        var attempt = 0
        while true {
            attempt += 1
            let r = try await perform("execute bulk request", .post, "/_bulk?timeout=1m", body: body, contentType: "application/x-ndjson")
            guard r.isSuccess else {
                throw ConnectError("Failed to execute bulk request due to 'HTTP \(r.status): \(Self.errorText(r))' after \(attempt) attempt(s)")
            }
            if let items = Self.items(r.body), items.count == actions.count { return items }
            // A 2xx that is not a bulk answer (not JSON, fewer items) is retried whole.
            if attempt > maxRetries {
                throw ConnectError("Failed to execute bulk request due to 'a response that does not answer every action' after \(attempt) attempt(s)")
            }
            try await backoff(attempt)
        }
    }

    /// The `items` of a bulk response, read in one pass (only a failed item's `error` is built as a
    /// tree); `nil` when the body is not a bulk response.
    static func items(_ body: [UInt8]) -> [ItemOutcome]? {
        body.withUnsafeBufferPointer { buf -> [ItemOutcome]? in
            var r = JSONReader(buf)
            do {
                var items: [ItemOutcome]?
                try r.expect(0x7B, "'{'")
                if r.consume(0x7D) { return nil }
                repeat {
                    let key = try r.readString()
                    try r.expect(0x3A, "':'")
                    if key == "items" {
                        var list: [ItemOutcome] = []
                        try r.expect(0x5B, "'['")
                        if !r.consume(0x5D) {
                            repeat { list.append(try item(&r)) } while r.consume(0x2C)
                            try r.expect(0x5D, "',' or ']'")
                        }
                        items = list
                    } else {
                        try r.skipValue()
                    }
                } while r.consume(0x2C)
                try r.expect(0x7D, "',' or '}'")
                try r.expectEnd()
                return items
            } catch {
                return nil
            }
        }
    }

    /// `{"<action>":{…,"status":N,…,"error":{…}}}`.
    private static func item(_ r: inout JSONReader) throws(DataError) -> ItemOutcome {
        try r.expect(0x7B, "'{'")
        _ = try r.readString()
        try r.expect(0x3A, "':'")
        try r.expect(0x7B, "'{'")
        var status = 0
        var error: ItemError?
        if !r.consume(0x7D) {
            repeat {
                let key = try r.readString()
                try r.expect(0x3A, "':'")
                switch key {
                case "status":
                    let n = try r.readNumber()
                    status = Int(r.int64(n) ?? 0)
                case "error":
                    let v = try r.readValue()
                    if !v.isNull { error = ItemError(v) }
                default:
                    try r.skipValue()
                }
            } while r.consume(0x2C)
            try r.expect(0x7D, "',' or '}'")
        }
        while r.consume(0x2C) {
            _ = try r.readString()
            try r.expect(0x3A, "':'")
            try r.skipValue()
        }
        try r.expect(0x7D, "',' or '}'")
        return error.map { .failed(status: status, error: $0) } ?? .succeeded(status: status)
    }

    static func escape(_ name: String) -> String {
        // Elasticsearch takes `+` in a path segment as it is.
        PercentEncoding.encode(name) { PercentEncoding.isUnreserved($0) && $0 != UInt8(ascii: "~") || $0 == UInt8(ascii: "+") }
    }
}

/// One bulk item's result.
enum ItemOutcome: Sendable {
    case succeeded(status: Int)
    case failed(status: Int, error: ItemError)
}

/// A bulk item's `error` object: its type, reason and the `caused_by` chain, rendered as the
/// Elasticsearch Java client renders it (`Elasticsearch exception [type=…, reason=…]`).
struct ItemError: Sendable, Hashable {
    var chain: [(type: String, reason: String)]

    init(_ json: JSONValue) {
        var chain: [(String, String)] = []
        var node: JSONValue? = json
        while let n = node, case .object = n, chain.count < 10 {
            chain.append((n["type"]?.stringValue ?? "unknown", n["reason"]?.stringValue ?? ""))
            node = n["caused_by"]
        }
        self.chain = chain
    }

    static func == (a: ItemError, b: ItemError) -> Bool { a.text == b.text }
    func hash(into h: inout Hasher) { h.combine(text) }

    var type: String { chain.first?.type ?? "unknown" }

    /// `Elasticsearch exception [type=t, reason=r]; nested: …` for each cause.
    var text: String {
        chain.enumerated().map { i, e in
            (i == 0 ? "" : "; nested: ") + "Elasticsearch exception [type=\(e.type), reason=\(e.reason)]"
        }.joined()
    }

    /// Confluent's malformed-document rule: any of these types anywhere in the chain.
    var isMalformed: Bool {
        let markers = ["strict_dynamic_mapping_exception", "mapper_parsing_exception", "illegal_argument_exception",
                       "action_request_validation_exception", "document_parsing_exception"]
        return markers.contains { m in text.contains(m) }
    }

    var isVersionConflict: Bool { text.contains("version_conflict_engine_exception") }
}
