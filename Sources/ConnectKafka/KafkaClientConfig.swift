import ConnectKit
import CRdKafka

/// Which of a worker's Kafka clients a configuration is for: the `producer.`, `consumer.` and
/// `admin.` prefixes of Kafka Connect's worker keys, and the `producer.override.`,
/// `consumer.override.` and `admin.override.` prefixes of its connector keys.
public enum KafkaClientRole: String, Sendable, CaseIterable {
    /// Source tasks' producers (and the dead-letter queue's).
    case producer
    /// Sink tasks' consumers.
    case consumer
    /// Admin clients (topic creation, group offsets).
    case admin
}

/// Kafka Connect's client keys turned into librdkafka's.
///
/// A worker's clients are configured as Kafka Connect's are: `bootstrap.servers` and the security
/// keys (`security.protocol`, `sasl.*`, `ssl.*`) at the top of the worker file, then every key
/// under the client's prefix (`producer.linger.ms=5` → `linger.ms=5` for producers), then a
/// connector's `producer.override.*`/`consumer.override.*`/`admin.override.*` as
/// `connector.client.config.override.policy` allows. (Kafka's own workers give the top-level
/// security keys only to their internal clients; ConnectKit gives them to every client, so a
/// worker file that sets them once works — a prefixed key still wins.)
///
/// Most Java client names are librdkafka's too (`linger.ms`, `batch.size`, `acks`,
/// `compression.type`, `session.timeout.ms`, `isolation.level`, …) and pass unchanged. Where the
/// names or values differ they are translated:
///
/// | Java | librdkafka |
/// |------|------------|
/// | `fetch.max.wait.ms` | `fetch.wait.max.ms` |
/// | `max.request.size` | `message.max.bytes` |
/// | `receive.buffer.bytes` / `send.buffer.bytes` | `socket.receive.buffer.bytes` / `socket.send.buffer.bytes` |
/// | `buffer.memory` (bytes) | `queue.buffering.max.kbytes` (KiB) |
/// | `auto.offset.reset=none` | `auto.offset.reset=error` |
/// | `ssl.endpoint.identification.algorithm=` (empty) | `none` |
/// | `ssl.truststore.location` with `ssl.truststore.type=PEM` | `ssl.ca.location` |
/// | `sasl.jaas.config` with `PlainLoginModule`/`ScramLoginModule` | `sasl.username`, `sasl.password` |
/// | `partition.assignment.strategy=…RangeAssignor`/`…RoundRobinAssignor` | `range`/`roundrobin` |
///
/// Keys Kafka Connect sets itself (the serializers and deserializers, `enable.auto.commit`) are
/// ignored as Kafka Connect ignores them; `max.poll.records` is the runtime's (the largest batch
/// given to `SinkTask.put`). Any other name librdkafka does not know — a Java-only one such as
/// `interceptor.classes`, or a typo — is a ``KafkaError`` naming the key as the user wrote it
/// (`producer.interceptor.classes`), never the value.
public enum KafkaClientConfig {
    /// Top-level worker keys every client gets.
    static func isSharedKey(_ key: String) -> Bool {
        key == "bootstrap.servers" || key == "security.protocol" || key == "client.dns.lookup"
            || key.hasPrefix("sasl.") || key.hasPrefix("ssl.")
    }

    /// Java client keys Kafka Connect sets itself, whatever the user gives.
    static let setByConnect: Set<String> = [
        "key.serializer", "value.serializer", "key.deserializer", "value.deserializer", "enable.auto.commit",
    ]

    /// Java client keys the runtime reads itself.
    static let readByRuntime: Set<String> = ["max.poll.records"]

    /// Java-only TLS settings librdkafka has no equivalent of (it negotiates with OpenSSL's
    /// defaults); at the top of a worker file they may also be the REST listener's. Not passed.
    static let javaOnlyTLS: Set<String> = [
        "ssl.client.auth", "ssl.enabled.protocols", "ssl.protocol", "ssl.keymanager.algorithm", "ssl.trustmanager.algorithm",
        "ssl.secure.random.implementation", "ssl.engine.factory.class", "ssl.provider",
    ]

    /// Worker keys with a client prefix that are not client settings (Kafka's REST `admin.listeners`).
    static let notClientKeys: Set<String> = ["admin.listeners"]

    static let renames: [String: String] = [
        "fetch.max.wait.ms": "fetch.wait.max.ms",
        "max.request.size": "message.max.bytes",
        "receive.buffer.bytes": "socket.receive.buffer.bytes",
        "send.buffer.bytes": "socket.send.buffer.bytes",
    ]

    /// The librdkafka properties of one client role: the worker's shared keys, its `<role>.` keys,
    /// then `overrides` (a connector's `<role>.override.*` with the prefix removed), translated.
    /// - Parameters:
    ///   - worker: the worker's properties as given.
    ///   - role: which client.
    ///   - overrides: the connector's overrides for this role, prefix removed.
    /// - Throws: ``KafkaError`` naming the first key (as written, with its prefix) that librdkafka
    ///   cannot take, with the reason.
    public static func properties(
        worker: [String: String], role: KafkaClientRole, overrides: [String: String] = [:]
    ) throws(KafkaError) -> [String: String] {
        // (source key as written, Java name, value), later layers win.
        var layers: [String: (written: String, value: String)] = [:]
        for (k, v) in worker where isSharedKey(k) { layers[k] = (k, v) }
        let prefix = role.rawValue + "."
        for (k, v) in worker where k.hasPrefix(prefix) && !notClientKeys.contains(k) { layers[String(k.dropFirst(prefix.count))] = (k, v) }
        for (k, v) in overrides { layers[k] = ("\(role.rawValue).override.\(k)", v) }
        var out: [String: String] = [:]
        for (name, entry) in layers.sorted(by: { $0.key < $1.key }) {
            for (k, v) in try translate(name, entry.value, written: entry.written, all: layers.mapValues(\.value)) { out[k] = v }
        }
        try check(out, written: { librdkafkaName in
            layers.first { translatedNames($0.key).contains(librdkafkaName) }?.value.written ?? librdkafkaName
        })
        return out
    }

    /// The librdkafka names a Java name becomes.
    private static func translatedNames(_ name: String) -> [String] {
        switch name {
        case "buffer.memory": ["queue.buffering.max.kbytes"]
        case "ssl.truststore.location": ["ssl.ca.location"]
        case "sasl.jaas.config": ["sasl.username", "sasl.password"]
        default: [renames[name] ?? name]
        }
    }

    /// One Java key → librdkafka keys (none when Kafka Connect itself ignores it).
    private static func translate(_ name: String, _ value: String, written: String, all: [String: String]) throws(KafkaError) -> [(String, String)] {
        func refuse(_ why: String) -> KafkaError { KafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue, message: why, key: written) }
        if setByConnect.contains(name) || readByRuntime.contains(name) || javaOnlyTLS.contains(name) { return [] }
        switch name {
        case "delivery.report.only.error":
            // The runtime acknowledges each record (and commits source offsets) from its report.
            throw refuse("the worker needs every record's delivery report to commit source offsets; \(name) cannot be set")
        case "buffer.memory":
            guard let bytes = Int64(value.trimmingWhitespace()), bytes > 0 else { throw refuse("Invalid value \(value): a positive number of bytes") }
            return [("queue.buffering.max.kbytes", String(max(1, bytes / 1024)))]
        case "auto.offset.reset":
            return [(name, value == "none" ? "error" : value)]
        case "ssl.endpoint.identification.algorithm":
            return [(name, value.isEmpty ? "none" : value.lowercased())]
        case "ssl.truststore.type", "ssl.keystore.type":
            let type = value.uppercased()
            if name == "ssl.truststore.type", type != "PEM" {
                throw refuse("librdkafka reads PEM trust stores only (set ssl.truststore.type=PEM, or ssl.ca.location to a PEM file); \(value) is Java's format")
            }
            if name == "ssl.keystore.type", type != "PKCS12" && type != "PEM" {
                throw refuse("librdkafka reads PKCS12 key stores (or PEM files via ssl.certificate.location and ssl.key.location); \(value) is Java's format")
            }
            return []
        case "ssl.truststore.location":
            guard (all["ssl.truststore.type"] ?? "JKS").uppercased() == "PEM" else {
                throw refuse("librdkafka cannot read Java key stores: set ssl.truststore.type=PEM with a PEM file, or use ssl.ca.location")
            }
            return [("ssl.ca.location", value)]
        case "ssl.truststore.password":
            return []  // PEM trust stores have none
        case "sasl.jaas.config":
            return try jaasCredentials(value, refuse: refuse)
        case "partition.assignment.strategy":
            var strategies: [String] = []
            for s in value.split(separator: ",").map({ String($0).trimmingWhitespace() }) where !s.isEmpty {
                switch s.split(separator: ".").last.map(String.init) ?? s {
                case "RangeAssignor", "range": strategies.append("range")
                case "RoundRobinAssignor", "roundrobin": strategies.append("roundrobin")
                default:
                    throw refuse("\(s) is not supported: ConnectKit's consumers take part in eager rebalances (RangeAssignor or RoundRobinAssignor)")
                }
            }
            return [(name, strategies.joined(separator: ","))]
        default:
            return [(renames[name] ?? name, value)]
        }
    }

    /// `sasl.jaas.config` of the PLAIN and SCRAM login modules → librdkafka's username and password.
    private static func jaasCredentials(_ jaas: String, refuse: (String) -> KafkaError) throws(KafkaError) -> [(String, String)] {
        let module = jaas.split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
        guard module.hasSuffix("PlainLoginModule") || module.hasSuffix("ScramLoginModule") else {
            throw refuse("only PlainLoginModule and ScramLoginModule are translated for librdkafka (use sasl.oauthbearer.* or sasl.kerberos.* keys for the others)")
        }
        var options: [String: String] = [:]
        var rest = Substring(jaas.dropFirst(module.count))
        while let eq = rest.firstIndex(of: "=") {
            let key = rest[..<eq].split(whereSeparator: \.isWhitespace).last.map(String.init) ?? ""
            var after = rest[rest.index(after: eq)...].drop(while: \.isWhitespace)
            var value = ""
            if after.first == "\"" {
                after = after.dropFirst()
                guard let close = after.firstIndex(of: "\"") else { break }
                value = String(after[..<close])
                after = after[after.index(after: close)...]
            } else {
                let end = after.firstIndex { $0.isWhitespace || $0 == ";" } ?? after.endIndex
                value = String(after[..<end])
                after = after[end...]
            }
            options[key] = value
            rest = after
        }
        guard let user = options["username"], let password = options["password"] else {
            throw refuse("the login module gives no username and password")
        }
        return [("sasl.username", user), ("sasl.password", password)]
    }

    /// Asks librdkafka whether it takes every property (a throwaway configuration object).
    private static func check(_ properties: [String: String], written: (String) -> String) throws(KafkaError) {
        do {
            let conf = try makeConfiguration(properties)
            rd_kafka_conf_destroy(conf)
        } catch {
            let key = error.key.map(written)
            var message = error.message
            if let k = error.key, message.contains("No such configuration property") {
                message = "librdkafka has no property '\(k)' (a Java-only client setting, or a typo)"
            }
            throw KafkaError(code: error.code, message: message, key: key)
        }
    }
}
