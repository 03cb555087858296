public import ConnectKit

/// Kafka's `connector.client.config.override.policy`: which `producer.override.*`,
/// `consumer.override.*` and `admin.override.*` keys a connector may set. `All` (Kafka's default
/// since 3.0), `None`, or `Principal` (`security.protocol`, `sasl.jaas.config` and
/// `sasl.mechanism` only). A key the policy refuses is a validation error of the connector, with
/// Kafka's message.
public enum ClientOverridePolicy: String, Sendable, CaseIterable {
    /// Every key.
    case all = "All"
    /// No key.
    case none = "None"
    /// The principal's keys only.
    case principal = "Principal"

    /// The prefixes of a connector's client overrides.
    public static let prefixes = ["producer.override.", "consumer.override.", "admin.override."]

    /// Parses the worker key's value: Kafka's short names or its class names
    /// (`org.apache.kafka.connect.connector.policy.AllConnectorClientConfigOverridePolicy`).
    public init?(workerValue: String) {
        let short = workerValue.split(separator: ".").last.map(String.init) ?? workerValue
        guard let policy = Self.allCases.first(where: { short == $0.rawValue || short == "\($0.rawValue)ConnectorClientConfigOverridePolicy" }) else {
            return nil
        }
        self = policy
    }

    /// Whether a connector may override `key` (the client key, prefix removed).
    public func allows(_ key: String) -> Bool {
        switch self {
        case .all: true
        case .none: false
        case .principal: ["security.protocol", "sasl.jaas.config", "sasl.mechanism"].contains(key)
        }
    }

    /// One problem per override key of `config` this policy refuses (key with its prefix; Kafka's
    /// message names the client key).
    public func problems(_ config: [String: String]) -> [ConfigProblem] {
        var out: [ConfigProblem] = []
        for key in config.keys.sorted() {
            guard let prefix = Self.prefixes.first(where: key.hasPrefix) else { continue }
            let client = String(key.dropFirst(prefix.count))
            if !allows(client) {
                out.append(ConfigProblem(key: key, message: "The '\(rawValue)' policy does not allow '\(client)' to be overridden in the connector configuration."))
            }
        }
        return out
    }
}
