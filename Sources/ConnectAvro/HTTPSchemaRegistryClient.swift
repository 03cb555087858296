public import ConnectHTTP
public import ConnectKit

/// Schema Registry's REST API over ConnectHTTP (Confluent's `RestService`): one or more base URLs
/// (`schema.registry.url`, comma-separated) tried in order — a URL that cannot be reached hands the
/// call to the next; HTTP Basic credentials (`basic.auth.credentials.source` `URL` or `USER_INFO`);
/// connect and read timeouts; connection failures and 5xx answers retried with backoff.
///
/// Requests and answers use `application/vnd.schemaregistry.v1+json`; an error answer
/// `{"error_code":…,"message":…}` becomes a ``SchemaRegistryError`` with that code. Credentials
/// never appear in errors or descriptions (URLs are shown without their user information).
public final class HTTPSchemaRegistryClient: SchemaRegistryClient, CustomStringConvertible {
    /// The base URLs without user information, e.g. `http://127.0.0.1:8081`.
    public let urls: [String]
    private let http: HTTPClient
    private let authorization: HTTPAuthorization?
    private let retry: HTTPRetryPolicy

    /// A client for `urls`.
    ///
    /// - Parameters:
    ///   - urls: base URLs; user information in them (`http://user:pass@host`) is used when
    ///     `authorization` is `nil` (Confluent's `basic.auth.credentials.source=URL`).
    ///   - authorization: HTTP Basic or bearer credentials for every request.
    ///   - configuration: timeouts, TLS and proxy of the underlying client.
    ///   - retry: how connection failures and 5xx answers are retried on each URL.
    /// - Throws: `ConfigError` (key `schema.registry.url`) for an empty list or a URL that is not
    ///   `http(s)://`.
    public init(
        urls: [String], authorization: HTTPAuthorization? = nil, configuration: HTTPClient.Configuration = .init(),
        retry: HTTPRetryPolicy = HTTPRetryPolicy(maxRetries: 2, retryStatuses: [500, 502, 503, 504])
    ) throws(ConfigError) {
        var bases: [String] = []
        var auth = authorization
        for raw in urls {
            let u = raw.trimmingWhitespace()
            guard u.hasPrefix("http://") || u.hasPrefix("https://") else {
                throw ConfigError(key: "schema.registry.url", message: "Invalid value \(Self.redacted(u)) for configuration schema.registry.url: not an http(s) URL")
            }
            let (base, user, password) = Self.splitUserInfo(u)
            if auth == nil, let user { auth = .basic(username: user, password: HTTPSecret(password ?? "")) }
            bases.append(base.hasSuffix("/") ? String(base.dropLast()) : base)
        }
        guard !bases.isEmpty else {
            throw ConfigError(key: "schema.registry.url", message: "Missing required configuration \"schema.registry.url\" which has no default value.")
        }
        self.urls = bases
        self.authorization = auth
        self.http = HTTPClient(configuration: configuration)
        self.retry = retry
    }

    deinit { http.shutdown() }

    /// `HTTPSchemaRegistryClient(<urls>)`, without credentials.
    public var description: String { "HTTPSchemaRegistryClient(\(urls.joined(separator: ",")))" }

    static func splitUserInfo(_ url: String) -> (String, String?, String?) {
        guard let schemeEnd = Self.afterScheme(url) else { return (url, nil, nil) }
        let rest = url[schemeEnd...]
        // The user information ends at the last "@" before any query (a password may hold a "/").
        let queryStart = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? rest.endIndex
        guard let at = rest[..<queryStart].lastIndex(of: "@") else { return (url, nil, nil) }
        let info = rest[..<at]
        let base = String(url[..<schemeEnd]) + rest[rest.index(after: at)...]
        if let colon = info.firstIndex(of: ":") {
            return (base, percentDecoded(info[..<colon]), percentDecoded(info[info.index(after: colon)...]))
        }
        return (base, percentDecoded(info), nil)
    }

    static func afterScheme(_ url: String) -> String.Index? {
        var i = url.startIndex
        while i < url.endIndex {
            if url[i...].hasPrefix("://") { return url.index(i, offsetBy: 3) }
            i = url.index(after: i)
        }
        return nil
    }

    static func percentDecoded(_ s: Substring) -> String {
        var out: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == 37, it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                it = it.dropFirst(2)
            } else {
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `url` without its user information (also when it has no scheme: `user:password@host`).
    static func redacted(_ url: String) -> String {
        let (base, user, _) = splitUserInfo(url)
        if user != nil { return base }
        guard let at = url.lastIndex(of: "@") else { return url }
        return String(url[url.index(after: at)...])
    }

    static func percentEncoded(_ s: String) -> String { PercentEncoding.encode(s, keeping: PercentEncoding.isUnreserved) }

    /// Sends one call, trying each URL in turn while the failure is a connection failure.
    func call(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws(SchemaRegistryError) -> JSONValue {
        var bodyBytes: [UInt8]? = nil
        if let body {
            var w = JSONWriter(capacity: 256)
            w.write(body)
            bodyBytes = w.bytes
        }
        var lastError = SchemaRegistryError(errorCode: nil, status: nil, message: "no Schema Registry URL")
        for base in urls {
            let request = HTTPRequest(
                method, base + path,
                headers: [
                    HTTPHeader("Accept", "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5"),
                    HTTPHeader("Content-Type", "application/vnd.schemaregistry.v1+json"),
                ],
                body: bodyBytes, authorization: authorization)
            let response: HTTPResponse
            do {
                response = try await http.execute(request, retry: retry)
            } catch {
                lastError = SchemaRegistryError(
                    errorCode: nil, status: nil, message: "\(method.rawValue) \(base)\(path) failed: \(error.message)", isTimeout: error.code == .timeout,
                    isCancelled: error.code == .cancelled)
                if error.code == .cancelled { throw lastError }
                continue
            }
            let json = try? JSONValue.parse(response.text)
            if response.isSuccess {
                guard let json else {
                    throw SchemaRegistryError(errorCode: 50005, status: response.status, message: "Invalid JSON from \(base)\(path): \(response.text.prefix(200))")
                }
                return json
            }
            var code = response.status * 100
            var message = response.text.isEmpty ? "HTTP \(response.status)" : String(response.text.prefix(500))
            if let json, case .number(let n)? = json["error_code"], let c = Int(n) { code = c }
            if let m = json?["message"]?.stringValue { message = m }
            // Confluent's RestService: 408 and 5xx gateway/availability answers are timeouts, tried on the next URL.
            lastError = SchemaRegistryError(
                errorCode: code, status: response.status, message: message, isTimeout: [408, 503, 504].contains(response.status))
            if [408, 429, 502, 503, 504].contains(response.status) { continue }
            throw lastError
        }
        throw lastError
    }

    static func registered(_ j: JSONValue, subject: String) throws(SchemaRegistryError) -> RegisteredSchema {
        guard case .number(let id)? = j["id"], let i = Int32(id) else {
            throw SchemaRegistryError(errorCode: 50005, status: nil, message: "Schema Registry answer without id: \(j)")
        }
        var version: Int32 = 0
        if case .number(let v)? = j["version"] { version = Int32(v) ?? 0 }
        return RegisteredSchema(subject: j["subject"]?.stringValue ?? subject, id: i, version: version, schema: j["schema"]?.stringValue ?? "")
    }

    static func subjectPath(_ s: String) -> String { "/subjects/" + percentEncoded(s) }

    public func register(subject: String, schema: String) async throws(SchemaRegistryError) -> Int32 {
        let j = try await call(.post, Self.subjectPath(subject) + "/versions", body: .object([("schema", .string(schema))]))
        return try Self.registered(j, subject: subject).id
    }

    public func lookup(subject: String, schema: String) async throws(SchemaRegistryError) -> RegisteredSchema {
        try Self.registered(try await call(.post, Self.subjectPath(subject), body: .object([("schema", .string(schema))])), subject: subject)
    }

    public func schema(id: Int32) async throws(SchemaRegistryError) -> String {
        let j = try await call(.get, "/schemas/ids/\(id)")
        guard let s = j["schema"]?.stringValue else { throw SchemaRegistryError(errorCode: 50005, status: nil, message: "Schema Registry answer without schema: \(j)") }
        return s
    }

    public func latestVersion(subject: String) async throws(SchemaRegistryError) -> RegisteredSchema {
        try Self.registered(try await call(.get, Self.subjectPath(subject) + "/versions/latest"), subject: subject)
    }

    public func version(subject: String, version: Int32) async throws(SchemaRegistryError) -> RegisteredSchema {
        try Self.registered(try await call(.get, Self.subjectPath(subject) + "/versions/\(version)"), subject: subject)
    }

    public func subjects() async throws(SchemaRegistryError) -> [String] {
        guard case .array(let xs) = try await call(.get, "/subjects") else { return [] }
        return xs.compactMap(\.stringValue)
    }

    static func numbers(_ j: JSONValue) -> [Int32] {
        guard case .array(let xs) = j else { return [] }
        return xs.compactMap { if case .number(let n) = $0 { Int32(n) } else { nil } }
    }

    public func versions(subject: String) async throws(SchemaRegistryError) -> [Int32] {
        Self.numbers(try await call(.get, Self.subjectPath(subject) + "/versions"))
    }

    public func deleteSubject(_ subject: String) async throws(SchemaRegistryError) -> [Int32] {
        Self.numbers(try await call(.delete, Self.subjectPath(subject)))
    }

    public func testCompatibility(subject: String, schema: String) async throws(SchemaRegistryError) -> Bool {
        let j = try await call(.post, "/compatibility" + Self.subjectPath(subject) + "/versions/latest", body: .object([("schema", .string(schema))]))
        if case .bool(let b)? = j["is_compatible"] { return b }
        return false
    }

    public func compatibility(subject: String?) async throws(SchemaRegistryError) -> String {
        let j = try await call(.get, "/config" + (subject.map { "/" + Self.percentEncoded($0) } ?? ""))
        return j["compatibilityLevel"]?.stringValue ?? j["compatibility"]?.stringValue ?? ""
    }

    public func setCompatibility(_ level: String, subject: String?) async throws(SchemaRegistryError) {
        _ = try await call(.put, "/config" + (subject.map { "/" + Self.percentEncoded($0) } ?? ""), body: .object([("compatibility", .string(level))]))
    }
}
