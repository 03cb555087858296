public import ConnectKit
public import ConnectRuntime

/// Kafka Connect's REST API over a ``Worker``'s ``Herder``: every endpoint of Kafka Connect 4.x
/// with the same paths, status codes, entity JSON (field order, omitted fields) and error envelope
/// `{"error_code":…,"message":…}`, as a function from a request to a response — no server here.
/// ``ConnectRESTServer`` serves it over HTTP; a host service mounts it in its own Hummingbird router
/// with `ConnectRESTMiddleware` (both with the package trait `REST`, on by default).
///
/// ```swift
/// let api = try ConnectRESTAPI(worker: worker)
/// let response = await api.respond(to: RESTRequest(method: "GET", target: "/connectors?expand=status"))
/// response.status       // 200
/// response.bodyText     // {"orders-file":{"status":{"name":"orders-file","connector":{…},…}}}
/// ```
///
/// Where Kafka's standalone mode has known bugs (500 for an unknown connector's restart, phantom
/// tasks) the API answers as Kafka's distributed mode does. Malformed bodies are answered 500, as
/// Kafka's (Jackson's errors go through its generic exception mapper), with ConnectKit's message.
///
/// Secrets: configuration values of `PASSWORD` keys (the connector's `ConfigDef`), of keys whose
/// names look secret and passwords inside URLs are shown as `[hidden]` in connector infos,
/// configurations, task configurations and validation results; a `PUT` or `PATCH` that sends a
/// masked value back keeps the stored secret. Config provider references
/// (`${file:/etc/secrets.properties:password}`) are shown as written — in task configurations
/// and validation messages too — and resolved only for running and validating.
public struct ConnectRESTAPI: Sendable {
    /// The worker whose herder the routes drive.
    public let worker: Worker
    /// The API's settings (CORS, Basic auth, topic tracking, body limit).
    public let config: RESTConfig
    /// The levels `/admin/loggers` reads and sets.
    public let logLevels: LogLevels
    /// A path prefix the API is mounted under (`""` at the root; `/connect` puts `GET /connectors`
    /// at `/connect/connectors`).
    public let basePath: String
    /// `GET /`'s `kafka_cluster_id`.
    public let clusterID: String

    /// The Kafka Connect version whose REST API this one answers as (`GET /`'s `version`: tools such
    /// as kcctl decide by it which endpoints exist).
    public static let kafkaVersion = "4.3.0"

    /// An API over `worker`.
    /// - Parameters:
    ///   - config: the REST settings; by default read from the worker's properties.
    ///   - logLevels: the logger levels `/admin/loggers` reads and sets.
    ///   - basePath: the prefix the routes live under, e.g. `/connect` (no trailing slash).
    ///   - clusterID: `GET /`'s `kafka_cluster_id`; by default `connectkit-standalone` (in-memory
    ///     topics) or `kafka` (a Kafka transport: pass the cluster's id to show it).
    /// - Throws: ``ConfigError`` for bad REST keys in the worker's properties.
    public init(worker: Worker, config: RESTConfig? = nil, logLevels: LogLevels = LogLevels(), basePath: String = "", clusterID: String? = nil)
        throws(ConfigError)
    {
        self.worker = worker
        if let config { self.config = config } else { self.config = try RESTConfig(worker: worker.config.originals) }
        self.logLevels = logLevels
        self.basePath = basePath.hasSuffix("/") ? String(basePath.dropLast()) : basePath
        self.clusterID = clusterID ?? (worker.config.bootstrapServers.isEmpty ? "connectkit-standalone" : "kafka")
    }

    /// Answers one request (never throws: every failure is a response with Kafka's status).
    public func respond(to request: RESTRequest) async -> RESTResponse {
        switch screen(request) {
        case .answer(let response): return response
        case .serve(let route, let method, let cors):
            if request.body.count > config.maxRequestBytes { return withHeaders(.error(413, "HTTP 413 Payload Too Large"), cors) }
            var response = await handle(route, method: method, request: request)
            if request.method == "HEAD" { response.body = [] }
            return withHeaders(response, cors)
        }
    }

    /// What ``screen(_:)`` decided before any body is read.
    enum Screening {
        /// Answered already (CORS preflight, 401, 404, 405, 415, 406, 413 by `Content-Length`).
        case answer(RESTResponse)
        /// To be served by `route` with `method`; `cors` go on the response.
        case serve(Route, method: String, cors: [(name: String, value: String)])
    }

    /// Every check that needs no body: CORS, authentication, route, method, media types and a
    /// declared `Content-Length` over the limit — so a server reads a body only for a request that
    /// will be served.
    func screen(_ request: RESTRequest) -> Screening {
        var cors: [(name: String, value: String)] = []
        let route = route(request.path)
        if !config.allowedOrigins.isEmpty, let origin = request.header("Origin"), config.allowedOrigins.contains("*") || config.allowedOrigins.contains(origin) {
            cors = [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true"), ("Vary", "Origin")]
            if request.method == "OPTIONS", let wanted = request.header("Access-Control-Request-Method") {
                // A preflight request, answered as Jetty's CrossOriginFilter does (headers only
                // for an allowed method).
                guard config.allowedMethods.contains(wanted.uppercased()) else { return .answer(RESTResponse(status: 200)) }
                return .answer(RESTResponse(status: 200, headers: cors + [
                    ("Access-Control-Allow-Methods", config.allowedMethods.joined(separator: ",")),
                    ("Access-Control-Allow-Headers", "X-Requested-With,Content-Type,Accept,Origin"),
                    ("Access-Control-Max-Age", "1800"),
                ]))
            }
        }
        if let users = config.basicAuthUsers, !Self.authorized(request.header("Authorization"), users) {
            // Kafka's JaasBasicAuthFilter: 401 with a plain-text entity.
            return .answer(RESTResponse(status: 401, headers: [("Content-Type", "text/plain")], body: Array("User cannot access the resource.".utf8)))
        }
        var method = request.method
        if method == "HEAD" { method = "GET" }
        guard let route else { return .answer(withHeaders(.error(404, "HTTP 404 Not Found"), cors)) }
        if method == "OPTIONS" {
            // JAX-RS answers OPTIONS on a resource with the methods it has.
            return .answer(withHeaders(RESTResponse(status: 200, headers: [("Allow", (route.methods.union(["OPTIONS", "HEAD"])).sorted().joined(separator: ","))]), cors))
        }
        guard route.methods.contains(method) else { return .answer(withHeaders(.error(405, "HTTP 405 Method Not Allowed"), cors)) }
        // Jersey: @Consumes (415) before @Produces (406). Body-less requests (pause, restart, …) are
        // not checked: HTTP clients differ in the Content-Type they send with an empty PUT or POST.
        let type = request.header("Content-Type")?.split(separator: ";").first.map { String($0).trimmingWhitespace().lowercased() }
        if route.readsBody(method), type != "application/json" {
            return .answer(withHeaders(.error(415, "HTTP 415 Unsupported Media Type"), cors))
        }
        if let accept = request.header("Accept"), !Self.acceptsJSON(accept) { return .answer(withHeaders(.error(406, "HTTP 406 Not Acceptable"), cors)) }
        if let length = request.header("Content-Length").flatMap({ Int($0.trimmingWhitespace()) }), length > config.maxRequestBytes {
            return .answer(withHeaders(.error(413, "HTTP 413 Payload Too Large"), cors))
        }
        return .serve(route, method: method, cors: cors)
    }

    private func withHeaders(_ r: RESTResponse, _ extra: [(name: String, value: String)]) -> RESTResponse {
        var r = r
        r.headers += extra
        return r
    }

    /// Whether `path` (percent-encoded, without the query) is one of the API's routes under
    /// ``basePath`` — what ``ConnectRESTMiddleware`` answers and passes on.
    public func handles(path: String) -> Bool { route(path) != nil }

    func route(_ rawPath: String) -> Route? {
        var path = rawPath
        if !basePath.isEmpty {
            guard path == basePath || path.hasPrefix(basePath + "/") else { return nil }
            path = String(path.dropFirst(basePath.count))
        }
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).map { RESTRequest.percentDecoded(String($0)) }
        if segments.first == "" { segments.removeFirst() }
        if segments.last == "" { segments.removeLast() }  // a trailing slash is tolerated
        return Route(segments)
    }

    static func authorized(_ header: String?, _ users: [String: Password]) -> Bool {
        guard let header, header.lowercased().hasPrefix("basic ") else { return false }
        let encoded = String(header.dropFirst(6)).trimmingWhitespace()
        guard let decoded = Base64.decode(Array(encoded.utf8)), let text = String(validating: decoded, as: UTF8.self),
            let colon = text.firstIndex(of: ":")
        else { return false }
        let user = String(text[..<colon])
        let password = String(text[text.index(after: colon)...])
        // Compared in time that depends on neither the user's existence nor where the bytes differ.
        let expected = Array((users[user]?.value ?? "").utf8), given = Array(password.utf8)
        var diff = UInt8(users[user] == nil ? 1 : 0) | UInt8(expected.count == given.count ? 0 : 1)
        for i in 0..<max(expected.count, given.count) {
            diff |= (i < expected.count ? expected[i] : 0) ^ (i < given.count ? given[i] : 0)
        }
        return diff == 0
    }

    static func acceptsJSON(_ accept: String) -> Bool {
        accept.split(separator: ",").contains { item in
            let type = item.split(separator: ";").first.map { String($0).trimmingWhitespace().lowercased() } ?? ""
            return type == "application/json" || type == "*/*" || type == "application/*" || type.isEmpty
        }
    }
}

/// The API's routes: which resource a path names and the methods it has.
enum Route {
    case root, health
    case connectors
    case connector(String)
    case config(String)
    case status(String)
    case restart(String)
    case pause(String), resume(String), stop(String)
    case tasks(String)
    case taskStatus(String, Int)
    case taskRestart(String, Int)
    case topics(String), topicsReset(String)
    case offsets(String)
    case plugins
    case pluginConfig(String)
    case validate(String)
    case loggers
    case logger(String)

    init?(_ s: [String]) {
        switch s.count {
        case 0: self = .root
        case 1:
            switch s[0] {
            case "health": self = .health
            case "connectors": self = .connectors
            case "connector-plugins": self = .plugins
            default: return nil
            }
        case 2:
            switch s[0] {
            case "connectors": self = .connector(s[1])
            case "admin" where s[1] == "loggers": self = .loggers
            default: return nil
            }
        case 3:
            switch (s[0], s[2]) {
            case ("connectors", "config"): self = .config(s[1])
            case ("connectors", "status"): self = .status(s[1])
            case ("connectors", "restart"): self = .restart(s[1])
            case ("connectors", "pause"): self = .pause(s[1])
            case ("connectors", "resume"): self = .resume(s[1])
            case ("connectors", "stop"): self = .stop(s[1])
            case ("connectors", "tasks"): self = .tasks(s[1])
            case ("connectors", "topics"): self = .topics(s[1])
            case ("connectors", "offsets"): self = .offsets(s[1])
            case ("connector-plugins", "config"): self = .pluginConfig(s[1])
            case ("admin", _) where s[1] == "loggers": self = .logger(s[2])
            default: return nil
            }
        case 4:
            switch (s[0], s[2], s[3]) {
            case ("connectors", "topics", "reset"): self = .topicsReset(s[1])
            case ("connector-plugins", "config", "validate"): self = .validate(s[1])
            default: return nil
            }
        case 5:
            // A task id that is not an integer is Jersey's plain 404.
            guard s[0] == "connectors", s[2] == "tasks", let t = Int(s[3]) else { return nil }
            switch s[4] {
            case "status": self = .taskStatus(s[1], t)
            case "restart": self = .taskRestart(s[1], t)
            default: return nil
            }
        default: return nil
        }
    }

    var methods: Set<String> {
        switch self {
        case .root, .health, .status, .tasks, .taskStatus, .topics, .plugins, .pluginConfig, .loggers: ["GET"]
        case .connectors: ["GET", "POST"]
        case .connector: ["GET", "DELETE"]
        case .config: ["GET", "PUT", "PATCH"]
        case .restart, .taskRestart: ["POST"]
        case .pause, .resume, .stop, .topicsReset, .validate: ["PUT"]
        case .offsets: ["GET", "PATCH", "DELETE"]
        case .logger: ["GET", "PUT"]
        }
    }

    /// Whether the method reads a JSON body here (then `Content-Type: application/json` is required).
    func readsBody(_ method: String) -> Bool {
        switch (self, method) {
        case (.connectors, "POST"), (.config, "PUT"), (.config, "PATCH"), (.offsets, "PATCH"), (.validate, "PUT"), (.logger, "PUT"): true
        default: false
        }
    }
}
