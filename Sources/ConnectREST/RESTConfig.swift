#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import ConnectKit

/// The REST API's settings, from Kafka Connect's worker keys (and ConnectKit's for what Kafka
/// configures with Java-only means):
///
/// | key | default | meaning |
/// | --- | --- | --- |
/// | `listeners` | `http://:8083` | where the API listens: `http://host:port` or `https://host:port`, comma-separated; an empty host is every interface |
/// | `ssl.keystore.type`, `ssl.keystore.location`, `ssl.keystore.password`, `ssl.key.password`, `ssl.keystore.certificate.chain`, `ssl.keystore.key`, `ssl.truststore.location`, `ssl.truststore.certificates`, `ssl.client.auth`, `ssl.enabled.protocols` (each also as `listeners.https.ssl.*`) | Kafka's | an https listener's TLS (``TLSSettings``) |
/// | `rest.advertised.host.name`, `rest.advertised.port` | the listener's | the `worker_id` statuses show (`host:port`) |
/// | `access.control.allow.origin` | empty (no CORS) | origins allowed cross-origin requests, comma-separated, or `*` |
/// | `access.control.allow.methods` | `GET,POST,HEAD` | methods allowed cross-origin |
/// | `rest.extension.classes` | empty | `org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension` turns on HTTP Basic auth |
/// | `rest.basic.auth.credentials.file` | none | its users: `user: password` per line (Kafka's `PropertyFileLoginModule` file; Kafka names it in a JAAS file) |
/// | `rest.request.max.bytes` | 16 MiB | larger request bodies are answered 413 |
/// | `topic.tracking.enable`, `topic.tracking.allow.reset` | true | `GET /connectors/{c}/topics` and its reset |
public struct RESTConfig: Sendable {
    /// One listener: `http://host:port` or `https://host:port`.
    public struct Listener: Sendable, Hashable, CustomStringConvertible {
        /// `http` or `https`.
        public var scheme: String
        /// The address to bind; empty for every interface.
        public var host: String
        /// The port; 0 picks a free one.
        public var port: Int
        /// The TLS settings of an `https` listener.
        public var tls: TLSSettings?

        public var description: String { "\(scheme)://\(host):\(port)" }
    }

    /// An `https` listener's TLS settings: Kafka's `ssl.*` keys, each read first as
    /// `listeners.https.ssl.*` (Kafka's per-listener prefix). Key stores are `PKCS12` or `PEM`
    /// (Java's `JKS` is refused with how to convert it).
    public struct TLSSettings: Sendable, Hashable {
        /// `ssl.keystore.type`: `PKCS12` or `PEM`.
        public var keystoreType: String
        /// `ssl.keystore.location`: a PKCS12 file, or a PEM file with the private key and the certificate chain.
        public var keystoreLocation: String?
        /// `ssl.keystore.password` (PKCS12's passphrase).
        public var keystorePassword: Password?
        /// `ssl.key.password`: an encrypted PEM key's passphrase.
        public var keyPassword: Password?
        /// `ssl.keystore.certificate.chain`: the chain as PEM text (type PEM, instead of a location).
        public var certificateChain: String?
        /// `ssl.keystore.key`: the private key as PEM text (type PEM, instead of a location).
        public var privateKey: Password?
        /// `ssl.truststore.location`: PEM certificates client certificates are checked against.
        public var truststoreLocation: String?
        /// `ssl.truststore.certificates`: the same as PEM text.
        public var truststoreCertificates: String?
        /// `ssl.client.auth`: `none`, `requested` or `required`.
        public var clientAuth: String
        /// `ssl.enabled.protocols`: `TLSv1.2`, `TLSv1.3`.
        public var enabledProtocols: [String]
    }

    /// Where the API listens.
    public var listeners: [Listener]
    /// `rest.advertised.host.name`.
    public var advertisedHost: String?
    /// `rest.advertised.port`.
    public var advertisedPort: Int?
    /// `rest.advertised.listener`: whose listener's (`http` or `https`) host and port are advertised.
    public var advertisedListener: String?
    /// Origins allowed cross-origin requests (empty: CORS off; `*`: any).
    public var allowedOrigins: [String]
    /// Methods allowed in cross-origin requests.
    public var allowedMethods: [String]
    /// Users of HTTP Basic authentication; nil when it is off.
    public var basicAuthUsers: [String: Password]?
    /// The largest request body read.
    public var maxRequestBytes: Int
    /// `topic.tracking.enable`.
    public var topicTracking: Bool
    /// `topic.tracking.allow.reset`.
    public var topicTrackingReset: Bool

    /// The Basic-auth extension's class name.
    public static let basicAuthExtension = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"

    /// Settings from worker properties.
    /// - Throws: ``ConfigError`` (context `worker`) naming every bad key: a listener that is not
    ///   `http://host:port`, an unknown REST extension, a credentials file that cannot be read.
    public init(worker properties: [String: String] = [:]) throws(ConfigError) {
        var problems: [ConfigProblem] = []
        func value(_ key: String) -> String? {
            guard let v = properties[key]?.trimmingWhitespace(), !v.isEmpty else { return nil }
            return v
        }
        func int(_ key: String) -> Int? {
            guard let v = value(key) else { return nil }
            guard let i = Int(v) else {
                problems.append(ConfigProblem(key: key, message: "Invalid value \(v) for configuration \(key): Not a number of type INT"))
                return nil
            }
            return i
        }
        listeners = []
        for item in (value("listeners") ?? "http://:8083").split(separator: ",").map({ String($0).trimmingWhitespace() }) where !item.isEmpty {
            if var l = Self.parseListener(item) {
                if l.scheme == "https" { l.tls = Self.tlsSettings(properties, into: &problems) }
                listeners.append(l)
            } else {
                problems.append(ConfigProblem(key: "listeners", message: "Invalid value \(item) for configuration listeners: expected http://host:port (host may be empty)"))
            }
        }
        advertisedHost = value("rest.advertised.host.name")
        advertisedPort = int("rest.advertised.port")
        advertisedListener = value("rest.advertised.listener")?.lowercased()
        let origins = value("access.control.allow.origin") ?? ""
        allowedOrigins = origins.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        allowedMethods = (value("access.control.allow.methods") ?? "GET,POST,HEAD").split(separator: ",").map { String($0).trimmingWhitespace().uppercased() }
            .filter { !$0.isEmpty }
        maxRequestBytes = int("rest.request.max.bytes") ?? 16_777_216
        topicTracking = value("topic.tracking.enable")?.lowercased() != "false"
        topicTrackingReset = value("topic.tracking.allow.reset")?.lowercased() != "false"
        basicAuthUsers = nil
        let extensions = (value("rest.extension.classes") ?? "").split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        for e in extensions where e != Self.basicAuthExtension && e != "BasicAuthSecurityRestExtension" {
            problems.append(ConfigProblem(key: "rest.extension.classes", message: "Unknown REST extension \(e): this build has \(Self.basicAuthExtension)"))
        }
        if !extensions.isEmpty && extensions.allSatisfy({ $0.hasSuffix("BasicAuthSecurityRestExtension") }) {
            if let file = value("rest.basic.auth.credentials.file") {
                do { basicAuthUsers = try Self.readCredentials(file) } catch { problems.append(ConfigProblem(key: "rest.basic.auth.credentials.file", message: error.description)) }
            } else {
                problems.append(ConfigProblem(key: "rest.basic.auth.credentials.file", message: "Missing required configuration \"rest.basic.auth.credentials.file\" which has no default value. (\(Self.basicAuthExtension) needs its users)"))
            }
        }
        if !problems.isEmpty { throw ConfigError(problems, context: "worker") }
    }

    /// The TLS keys of an https listener (`listeners.https.ssl.*` first, then `ssl.*`), checked.
    static func tlsSettings(_ p: [String: String], into problems: inout [ConfigProblem]) -> TLSSettings {
        func value(_ key: String) -> (key: String, value: String)? {
            for k in ["listeners.https." + key, key] {
                if let v = p[k]?.trimmingWhitespace(), !v.isEmpty { return (k, v) }
            }
            return nil
        }
        let type = value("ssl.keystore.type")?.value.uppercased() ?? "JKS"
        var tls = TLSSettings(
            keystoreType: type, keystoreLocation: value("ssl.keystore.location")?.value, keystorePassword: value("ssl.keystore.password").map { Password($0.value) },
            keyPassword: value("ssl.key.password").map { Password($0.value) }, certificateChain: value("ssl.keystore.certificate.chain")?.value,
            privateKey: value("ssl.keystore.key").map { Password($0.value) }, truststoreLocation: value("ssl.truststore.location")?.value,
            truststoreCertificates: value("ssl.truststore.certificates")?.value, clientAuth: value("ssl.client.auth")?.value.lowercased() ?? "none",
            enabledProtocols: (value("ssl.enabled.protocols")?.value ?? "TLSv1.2,TLSv1.3").split(separator: ",").map { String($0).trimmingWhitespace() })
        let typeKey = value("ssl.keystore.type")?.key ?? "ssl.keystore.type"
        switch type {
        case "PKCS12":
            if tls.keystoreLocation == nil {
                problems.append(ConfigProblem(key: "ssl.keystore.location", message: "Missing required configuration \"ssl.keystore.location\" which has no default value. (an https listener needs its key store)"))
            }
        case "PEM":
            if tls.keystoreLocation == nil && (tls.certificateChain == nil || tls.privateKey == nil) {
                problems.append(ConfigProblem(key: "ssl.keystore.location", message: "Missing required configuration \"ssl.keystore.location\" which has no default value. (an https listener needs a PEM file with its key and certificate chain, or ssl.keystore.certificate.chain and ssl.keystore.key)"))
            }
        case "JKS" where value("ssl.keystore.type") == nil && tls.keystoreLocation == nil:
            problems.append(ConfigProblem(key: "ssl.keystore.location", message: "an https listener needs a key store: ssl.keystore.type=PKCS12 or PEM and ssl.keystore.location (each also as listeners.https.ssl.*)"))
        case "JKS":
            problems.append(ConfigProblem(key: typeKey, message: "Invalid value JKS for configuration ssl.keystore.type: JKS is Java's own key store format; set ssl.keystore.type=PKCS12 (convert with keytool -importkeystore -srckeystore <file>.jks -destkeystore <file>.p12 -deststoretype PKCS12) or PEM"))
        default:
            problems.append(ConfigProblem(key: typeKey, message: "Invalid value \(type) for configuration ssl.keystore.type: PKCS12 or PEM"))
        }
        if !["none", "requested", "required"].contains(tls.clientAuth) {
            problems.append(ConfigProblem(key: value("ssl.client.auth")?.key ?? "ssl.client.auth", message: "Invalid value \(tls.clientAuth) for configuration ssl.client.auth: String must be one of: required, requested, none"))
        } else if tls.clientAuth != "none" && tls.truststoreLocation == nil && tls.truststoreCertificates == nil {
            problems.append(ConfigProblem(key: "ssl.truststore.location", message: "ssl.client.auth=\(tls.clientAuth) needs the certificates client certificates are checked against: ssl.truststore.location (PEM) or ssl.truststore.certificates"))
        }
        if let t = value("ssl.truststore.type"), t.value.uppercased() != "PEM" {
            problems.append(ConfigProblem(key: t.key, message: "Invalid value \(t.value) for configuration ssl.truststore.type: this build reads PEM trust stores"))
        }
        tls.enabledProtocols = tls.enabledProtocols.filter { !$0.isEmpty }
        for proto in tls.enabledProtocols where proto != "TLSv1.2" && proto != "TLSv1.3" {
            problems.append(ConfigProblem(key: "ssl.enabled.protocols", message: "Invalid value \(proto) for configuration ssl.enabled.protocols: TLSv1.2 or TLSv1.3"))
        }
        return tls
    }

    /// `http://host:port` → its parts (host may be empty; IPv6 in brackets).
    static func parseListener(_ text: String) -> Listener? {
        let lower = text.lowercased()
        let scheme = lower.hasPrefix("http://") ? "http" : lower.hasPrefix("https://") ? "https" : ""
        guard !scheme.isEmpty else { return nil }
        let rest = text.dropFirst(scheme.count + 3)
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(rest[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return Listener(scheme: scheme, host: host, port: port)
    }

    /// Reads a `PropertyFileLoginModule` credentials file: `user: password` or `user=password`.
    static func readCredentials(_ path: String) throws(ConfigError) -> [String: Password] {
        let text: String
        do { text = try TextFile.read(path) } catch { throw ConfigError(key: "rest.basic.auth.credentials.file", message: "cannot read \(path): \(error)") }
        let users: [String: String]
        do { users = try JavaProperties.parseDictionary(text) } catch { throw ConfigError(key: "rest.basic.auth.credentials.file", message: "\(path): \(error)") }
        if users.isEmpty { throw ConfigError(key: "rest.basic.auth.credentials.file", message: "\(path) has no users") }
        return users.mapValues { Password($0) }
    }

    /// These settings with every port-0 listener given a concrete free port (picked by binding a
    /// socket to port 0 and closing it), so that the `worker_id` statuses show and the port the
    /// server binds are the same. An IPv4 host (or an empty one) only; others keep port 0.
    public func withFreePorts() -> RESTConfig {
        var out = self
        for i in out.listeners.indices where out.listeners[i].port == 0 {
            if let port = Self.freePort(host: out.listeners[i].host) { out.listeners[i].port = port }
        }
        return out
    }

    static func freePort(host: String) -> Int? {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        if host.isEmpty || host == "0.0.0.0" {
            addr.sin_addr.s_addr = INADDR_ANY
        } else if inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &addr.sin_addr) != 1 {
            return nil
        }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0 else { return nil }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        guard named == 0 else { return nil }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// The `worker_id` statuses show: `host:port` of the advertised address (Kafka's
    /// `RestServer.advertisedUrl`): the advertised host, else the first listener's host, else this
    /// machine's name; the advertised port, else `boundPort`, else the listener's port — the
    /// listener being the first of `rest.advertised.listener`'s scheme, else the first.
    public func workerID(boundPort: Int? = nil) -> String {
        let listener = advertisedListener.flatMap { scheme in listeners.first { $0.scheme == scheme } } ?? listeners.first
        var host = advertisedHost ?? listener?.host ?? ""
        if host.isEmpty || host == "0.0.0.0" || host == "::" {
            var name = [CChar](repeating: 0, count: 256)
            host = gethostname(&name, name.count) == 0 ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        }
        let port = advertisedPort ?? boundPort ?? listener?.port ?? 8083
        return "\(host):\(port)"
    }
}
