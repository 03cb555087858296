import ConnectKit

/// A configuration key that nothing reads: a typo, or a Kafka Connect key this build does not
/// use. Kafka logs such keys at start ("The configuration '…' was supplied but isn't a known
/// config."); the worker logs each once, with a suggestion when it looks like a typo of a known key.
public struct UnusedConfigKey: Sendable, Hashable, CustomStringConvertible {
    /// The key as given.
    public var key: String
    /// A known key it is probably a typo of.
    public var suggestion: String?
    /// Why it is not used, when there is more to say than "unknown".
    public var note: String?

    public var description: String {
        var s = "The configuration '\(key)' was supplied but isn't a known config."
        if let note { s += " " + note }
        if let suggestion { s += " Did you mean '\(suggestion)'?" }
        return s
    }
}

/// Finds the keys of worker and connector configurations that nothing uses.
enum UnusedConfig {
    /// Kafka Connect worker keys this build accepts but does not use yet.
    static let kafkaWorkerKeys: Set<String> = [
        "group.id", "rest.host.name", "rest.port",
        "config.storage.topic", "offset.storage.topic", "status.storage.topic", "config.storage.replication.factor",
        "offset.storage.replication.factor", "status.storage.replication.factor", "offset.storage.partitions", "status.storage.partitions",
        "admin.listeners", "client.id", "security.protocol", "metrics.recording.level",
    ]

    /// Kafka Connect connector keys this build accepts but does not use yet.
    static let kafkaConnectorKeys: Set<String> = []
    static let kafkaConnectorPrefixes = ClientOverridePolicy.prefixes + ["topic.creation."]

    /// The unused keys of a worker configuration.
    static func worker(_ config: [String: String], registry: PluginRegistry, transport: any Transport) -> [UnusedConfigKey] {
        let known = Set(WorkerConfig.configDef.keys.map(\.name))
        var out: [UnusedConfigKey] = []
        for key in config.keys.sorted() where !known.contains(key) && !transport.readsWorkerKey(key) {
            if let sub = converterSubkey(key, config: config, fallback: [:], registry: registry) {
                if let unused = sub { out.append(unused) }
                continue
            }
            if key == "plugin.path" {
                out.append(UnusedConfigKey(key: key, note: "ConnectKit's plugins are compiled in (`connect plugins` lists them); plugin.path is ignored."))
            } else if key == "config.providers" || key.hasPrefix("config.providers.") {
                continue  // ${file:…}, ${directory:…} and ${env:…} are always resolved
            } else if (key.hasPrefix("ssl.") || key.hasPrefix("listeners.https.ssl.")), (config["listeners"] ?? "").lowercased().contains("https://") {
                continue  // an https listener's TLS (the REST API reads them)
            } else if kafkaWorkerKeys.contains(key) || ["producer.", "consumer.", "admin."].contains(where: key.hasPrefix) {
                out.append(UnusedConfigKey(key: key, note: transport is MemoryBroker
                    ? "It is a Kafka Connect worker key, read only with Kafka (bootstrap.servers and ConnectKafka's transport); topics are in memory here."
                    : "It is a Kafka Connect worker key that this build does not use yet."))
            } else {
                out.append(UnusedConfigKey(key: key, suggestion: suggestion(for: key, among: known)))
            }
        }
        return out
    }

    /// The unused keys of a connector configuration, given its connector's own definition.
    static func connector(
        _ config: [String: String], definition: ConfigDef, isSink: Bool, worker: [String: String], registry: PluginRegistry,
        transport: any Transport
    ) -> [UnusedConfigKey] {
        var known = Set((isSink ? ConnectorConfigKeys.sink : ConnectorConfigKeys.source).keys.map(\.name))
        known.formUnion(definition.keys.map(\.name))
        let transforms = aliases(config["transforms"])
        let predicates = aliases(config["predicates"])
        for alias in transforms {
            let prefix = "transforms.\(alias)."
            known.formUnion(["type", "predicate", "negate"].map { prefix + $0 })
            if let type = config[prefix + "type"], let entry = registry.transformations.lookup(type) {
                known.formUnion(entry.plugin.configDef.keys.map { prefix + $0.name })
            } else {
                known.formUnion(config.keys.filter { $0.hasPrefix(prefix) })  // its own error says what is wrong
            }
        }
        for alias in predicates {
            let prefix = "predicates.\(alias)."
            known.insert(prefix + "type")
            if let type = config[prefix + "type"], let entry = registry.predicates.lookup(type) {
                known.formUnion(entry.plugin.configDef.keys.map { prefix + $0.name })
            } else {
                known.formUnion(config.keys.filter { $0.hasPrefix(prefix) })
            }
        }
        var out: [UnusedConfigKey] = []
        for key in config.keys.sorted() where !known.contains(key) && !key.hasPrefix("connectkit.") && !transport.readsConnectorKey(key) {
            if let sub = converterSubkey(key, config: config, fallback: worker, registry: registry) {
                if let unused = sub { out.append(unused) }
            } else if kafkaConnectorKeys.contains(key) || kafkaConnectorPrefixes.contains(where: key.hasPrefix) {
                out.append(UnusedConfigKey(key: key, note: transport is MemoryBroker
                    ? "It is a Kafka Connect connector key, read only with Kafka (bootstrap.servers and ConnectKafka's transport); topics are in memory here."
                    : "It is a Kafka Connect connector key that this build does not use yet."))
            } else if let alias = key.split(separator: ".", maxSplits: 2).dropFirst().first,
                (key.hasPrefix("transforms.") && !transforms.contains(String(alias))) || (key.hasPrefix("predicates.") && !predicates.contains(String(alias)))
            {
                let list = key.hasPrefix("transforms.") ? "transforms" : "predicates"
                out.append(UnusedConfigKey(key: key, note: "'\(alias)' is not listed in \(list)."))
            } else {
                out.append(UnusedConfigKey(key: key, suggestion: suggestion(for: key, among: known)))
            }
        }
        return out
    }

    /// For `key.converter.x` / `value.converter.x` / `header.converter.x`: nil when the key is not such
    /// a key; `.some(nil)` when the converter in use defines `x`; else the unused key.
    private static func converterSubkey(
        _ key: String, config: [String: String], fallback: [String: String], registry: PluginRegistry
    ) -> UnusedConfigKey?? {
        for base in ["key.converter", "value.converter", "header.converter"] where key.hasPrefix(base + ".") {
            let sub = String(key.dropFirst(base.count + 1))
            let className = config[base] ?? fallback[base]
                ?? (base == "header.converter" ? "org.apache.kafka.connect.storage.SimpleHeaderConverter" : "org.apache.kafka.connect.json.JsonConverter")
            let definition: ConfigDef?
            if base == "header.converter" {
                definition = registry.headerConverters.lookup(className).map { $0.plugin.type.configDef }
            } else {
                definition = registry.converters.lookup(className).map { $0.plugin.type.configDef }
            }
            guard let definition else { return .some(nil) }  // an unknown converter class is its own error
            // Kafka passes `converter.type` to converters itself; connectors may set it too.
            if definition[sub] != nil || sub == "converter.type" { return .some(nil) }
            let suggested = suggestion(for: sub, among: Set(definition.keys.map(\.name))).map { base + "." + $0 }
            return .some(UnusedConfigKey(key: key, suggestion: suggested, note: "\(className) has no setting '\(sub)'."))
        }
        return nil
    }

    private static func aliases(_ list: String?) -> [String] {
        (list ?? "").split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    /// The known key closest to `key` (edit distance at most 2, or equal ignoring case).
    static func suggestion(for key: String, among known: Set<String>) -> String? {
        var best: (String, Int)? = nil
        for k in known.sorted() {
            if k.lowercased() == key.lowercased() { return k }
            let d = editDistance(Array(key.utf8), Array(k.utf8), limit: 2)
            if d <= 2, best == nil || d < best!.1 { best = (k, d) }
        }
        return best?.0
    }

    /// Levenshtein distance, giving up (returning `limit + 1`) once it exceeds `limit`.
    static func editDistance(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            var rowMin = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                rowMin = min(rowMin, current[j])
            }
            if rowMin > limit { return limit + 1 }
            previous = current
        }
        return previous[b.count]
    }
}
