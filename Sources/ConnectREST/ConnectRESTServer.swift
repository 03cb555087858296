#if REST
public import ConnectKit
public import Hummingbird
import HummingbirdTLS
public import Logging
import NIOSSL
public import ServiceLifecycle
import Synchronization

/// Serves a ``ConnectRESTAPI`` over HTTP/1.1 on every listener of its ``RESTConfig`` (Kafka
/// Connect's `RestServer`; `listeners` default `http://:8083`), with Hummingbird on SwiftNIO's event
/// loops — the routes only await the herder, which does blocking work on threads of its own.
///
/// ```swift
/// let server = try ConnectRESTServer(api: try ConnectRESTAPI(worker: worker))
/// let group = ServiceGroup(services: [worker, server], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
///
/// A listener with port 0 binds a free port; ``boundPorts()`` waits for and returns the ports. An
/// `https` listener serves TLS with its ``RESTConfig/TLSSettings`` (PKCS12 or PEM key stores,
/// optional client certificates — `ssl.client.auth`), through swift-nio-ssl.
/// A request body is read only once the request passed every check that needs none
/// (authentication, route, method, media types), and at most `rest.request.max.bytes` of it:
/// larger ones are answered 413.
public final class ConnectRESTServer: Service, Sendable {
    /// The API served.
    public let api: ConnectRESTAPI
    private let logger: Logger
    private let bound = Mutex<[Int?]>([])
    private let finished = Mutex(false)

    private let tls: [TLSConfiguration?]

    /// A server for `api`; nothing listens until ``run()``. The key and trust stores of https
    /// listeners are read here.
    /// - Throws: ``ConfigError`` (context `worker`) naming the key whose file cannot be read as
    ///   what its type says (never the password).
    public init(api: ConnectRESTAPI, logger: Logger = Logger(label: "connectkit.rest")) throws(ConfigError) {
        self.api = api
        self.logger = logger
        var configurations: [TLSConfiguration?] = []
        for l in api.config.listeners { configurations.append(try l.tls.map(Self.tlsConfiguration)) }
        tls = configurations
        bound.withLock { $0 = Array(repeating: nil, count: api.config.listeners.count) }
    }

    /// NIOSSL's server configuration for Kafka's `ssl.*` settings.
    static func tlsConfiguration(_ t: RESTConfig.TLSSettings) throws(ConfigError) -> TLSConfiguration {
        func fail(_ key: String, _ what: String, _ error: any Error) -> ConfigError {
            ConfigError(key: key, message: "cannot read \(what): \(error)", context: "worker")
        }
        var chain: [NIOSSLCertificate] = []
        let key: NIOSSLPrivateKey
        if t.keystoreType == "PKCS12" {
            let location = t.keystoreLocation ?? ""
            do {
                let bundle = try NIOSSLPKCS12Bundle(file: location, passphrase: Array((t.keystorePassword?.value ?? "").utf8))
                chain = bundle.certificateChain
                key = bundle.privateKey
            } catch { throw fail("ssl.keystore.location", "\(location) as a PKCS12 key store (with ssl.keystore.password)", error) }
        } else {
            let pem: [UInt8]
            if let location = t.keystoreLocation {
                do { pem = Array(try TextFile.read(location).utf8) } catch { throw fail("ssl.keystore.location", location, error) }
            } else {
                pem = Array(((t.certificateChain ?? "") + "\n" + (t.privateKey?.value ?? "")).utf8)
            }
            do { chain = try NIOSSLCertificate.fromPEMBytes(pem) } catch { throw fail("ssl.keystore.location", "the PEM certificate chain", error) }
            do {
                if let passphrase = t.keyPassword?.value {
                    key = try NIOSSLPrivateKey(bytes: pem, format: .pem) { (set: (([UInt8]) -> Void)) in set(Array(passphrase.utf8)) }
                } else {
                    key = try NIOSSLPrivateKey(bytes: pem, format: .pem)
                }
            } catch { throw fail("ssl.keystore.location", "the PEM private key (an encrypted one needs ssl.key.password)", error) }
        }
        if chain.isEmpty { throw ConfigError(key: "ssl.keystore.location", message: "the key store holds no certificate", context: "worker") }
        var config = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        config.minimumTLSVersion = t.enabledProtocols == ["TLSv1.3"] ? .tlsv13 : .tlsv12
        config.maximumTLSVersion = t.enabledProtocols == ["TLSv1.2"] ? .tlsv12 : nil
        if t.clientAuth != "none" {
            var roots: [NIOSSLCertificate] = []
            do {
                if let location = t.truststoreLocation { roots = try NIOSSLCertificate.fromPEMFile(location) }
                if let text = t.truststoreCertificates { roots += try NIOSSLCertificate.fromPEMBytes(Array(text.utf8)) }
            } catch { throw fail("ssl.truststore.location", "the PEM trust store", error) }
            config.trustRoots = .certificates(roots)
            config.certificateVerification = t.clientAuth == "required" ? .noHostnameVerification : .optionalVerification
            config.sendCANameList = true
        }
        return config
    }

    /// Listens on every listener until the task is cancelled or a graceful shutdown is triggered.
    /// - Throws: the bind error of a listener (address in use, …).
    public func run() async throws {
        let api = api
        let listeners = api.config.listeners
        let tls = tls
        // Hummingbird's own logger: its service group logs the CancellationError of an ordinary
        // stop as an error; what matters (a bind failure) is thrown to the caller instead.
        var applicationLogger = logger
        applicationLogger.logLevel = .critical
        defer { finished.withLock { $0 = true } }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                for (i, l) in listeners.enumerated() {
                    let app = Application(
                        responder: Responder(api: api, scheme: l.scheme),
                        server: try tls[i].map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
                        configuration: ApplicationConfiguration(address: .hostname(l.host.isEmpty ? "0.0.0.0" : l.host, port: l.port), serverName: nil),
                        onServerRunning: { [self] channel in
                            let port = channel.localAddress?.port
                            bound.withLock { $0[i] = port }
                            logger.debug("REST API listening on \(l.scheme)://\(l.host.isEmpty ? "0.0.0.0" : l.host):\(port ?? l.port)")
                        },
                        logger: applicationLogger)
                    group.addTask { try await app.run() }
                }
            }
        } onGracefulShutdown: {}
    }

    /// The ports the listeners bound, in `listeners` order, once all listen (returns early, nil for
    /// the others, when the server stopped or the task is cancelled). Any number of callers.
    public func boundPorts() async -> [Int?] {
        while !Task.isCancelled {
            let (ports, done) = (bound.withLock { $0 }, finished.withLock { $0 })
            if done || ports.allSatisfy({ $0 != nil }) { return ports }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return bound.withLock { $0 }
    }

    /// The HTTP responder: every request through the API.
    struct Responder: HTTPResponder {
        typealias Context = BasicRequestContext
        let api: ConnectRESTAPI
        let scheme: String

        func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
            await api.hummingbirdResponse(request, scheme: scheme)
        }
    }
}

/// Mounts Kafka Connect's REST API in a host service's own Hummingbird router: requests whose path
/// is one of the API's (under ``ConnectRESTAPI/basePath``) are answered by the API, every other
/// request goes on to the host's routes.
///
/// ```swift
/// let router = Router()
/// router.get("/hello") { _, _ in "hello" }
/// router.add(middleware: ConnectRESTMiddleware(api: try ConnectRESTAPI(worker: worker, basePath: "/connect")))
/// // GET /connect/connectors, POST /connect/connectors, … alongside GET /hello
/// ```
public struct ConnectRESTMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The API answered.
    public let api: ConnectRESTAPI

    /// A middleware answering `api`'s routes.
    public init(api: ConnectRESTAPI) { self.api = api }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let target = request.head.path ?? "/"
        let path = target.firstIndex(of: "?").map { String(target[..<$0]) } ?? target
        guard api.handles(path: path) else { return try await next(request, context) }
        return await api.hummingbirdResponse(request, scheme: request.head.scheme ?? "http")
    }
}

extension ConnectRESTAPI {
    /// A Hummingbird request through ``respond(to:)``. The body is read — up to
    /// `rest.request.max.bytes` — only once the request passed every check that needs none
    /// (authentication, route, method, media types, a declared length).
    func hummingbirdResponse(_ request: Request, scheme: String) async -> Response {
        // HTTP/1.1's Host header is the request's authority in swift-http-types.
        var headers: [(name: String, value: String)] = request.head.authority.map { [("Host", $0)] } ?? []
        for field in request.headers { headers.append((field.name.rawName, field.value)) }
        var rest = RESTRequest(method: request.method.rawValue, target: request.head.path ?? "/", headers: headers, scheme: scheme)
        switch screen(rest) {
        case .answer(let response): return Self.hummingbird(response)
        case .serve(let route, let method, _):
            if route.readsBody(method) {
                var request = request
                do { rest.body = Array(buffer: try await request.collectBody(upTo: config.maxRequestBytes)) } catch {
                    return Self.hummingbird(.error(413, "HTTP 413 Payload Too Large"))
                }
            }
            return Self.hummingbird(await respond(to: rest))
        }
    }

    static func hummingbird(_ r: RESTResponse) -> Response {
        var fields = HTTPFields()
        for h in r.headers {
            if let name = HTTPFields.Element.Name(h.name) { fields.append(HTTPFields.Element(name: name, value: h.value)) }
        }
        if r.status == 202 && r.body.isEmpty { fields[.contentLength] = "0" }
        let body = r.body.isEmpty ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: r.body))
        return Response(status: HTTPResponse.Status(code: r.status, reasonPhrase: Self.reason(r.status)), headers: fields, body: body)
    }

    /// Jetty's reason phrases, as Kafka's worker sends them.
    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 409: "Conflict"
        case 413: "Payload Too Large"
        case 415: "Unsupported Media Type"
        case 500: "Server Error"
        case 503: "Service Unavailable"
        default: ""
        }
    }
}
#endif
