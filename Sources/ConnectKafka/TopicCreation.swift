import ConnectKit
import Foundation

/// Kafka Connect's topic creation for source connectors (KIP-158): with the worker's
/// `topic.creation.enable` (default true) and a connector that sets
/// `topic.creation.default.replication.factor` and `topic.creation.default.partitions`, a topic a
/// source task produces to is created (if it does not exist) before its first record, with the
/// settings of the first group in `topic.creation.groups` whose `include` regexes match the topic
/// name and whose `exclude` regexes do not — else of the `default` group.
///
/// | connector key | meaning |
/// |---|---|
/// | `topic.creation.groups` | the groups besides `default`, in order |
/// | `topic.creation.<group>.include` / `.exclude` | lists of regexes matched against whole topic names (`default` includes all) |
/// | `topic.creation.<group>.replication.factor` | replicas; -1 for the broker's default; groups inherit `default`'s |
/// | `topic.creation.<group>.partitions` | partitions; -1 for the broker's default; groups inherit `default`'s |
/// | `topic.creation.<group>.<topic config>` | topic configurations (`cleanup.policy=compact`, …) |
struct TopicCreation: Sendable {
    struct Group: Sendable {
        var name: String
        var include: [NSRegularExpression]
        var exclude: [NSRegularExpression]
        var partitions: Int32
        var replicationFactor: Int32
        var configs: [String: String]

        /// Whole-name matches, as Java's `Pattern.matches` (each regex is compiled as `^(?:…)$`, so
        /// alternatives and lazy quantifiers are tried until one spans the name).
        func matches(_ topic: String) -> Bool {
            func whole(_ r: NSRegularExpression) -> Bool {
                r.firstMatch(in: topic, range: NSRange(topic.startIndex..., in: topic)) != nil
            }
            return include.contains(where: whole) && !exclude.contains(where: whole)
        }
    }

    /// Groups in matching order, `default` last.
    var groups: [Group]

    /// The settings a topic is created with.
    func newTopic(_ topic: String) -> KafkaNewTopic {
        let g = groups.first { $0.matches(topic) } ?? groups[groups.count - 1]
        return KafkaNewTopic(name: topic, partitions: g.partitions, replicationFactor: g.replicationFactor, configs: g.configs)
    }

    /// The connector's topic creation, nil when it creates no topics (worker disabled, or the
    /// connector sets no `topic.creation.default.*`).
    /// - Throws: ``ConfigError`` naming every bad key.
    static func parse(connector config: [String: String], workerEnabled: Bool) throws(ConfigError) -> TopicCreation? {
        let p = "topic.creation."
        guard workerEnabled, config.keys.contains(where: { $0.hasPrefix(p) }) else { return nil }
        var problems: [ConfigProblem] = []
        let groupNames = (config[p + "groups"] ?? "").split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        func number(_ key: String, fallback: Int32?, message: String) -> Int32 {
            guard let raw = config[key] else {
                if let fallback { return fallback }
                problems.append(ConfigProblem(key: key, message: "Missing required configuration \"\(key)\" which has no default value."))
                return -1
            }
            guard let n = Int32(raw.trimmingWhitespace()), n == -1 || n >= 1 else {
                problems.append(ConfigProblem(key: key, message: "Invalid value \(raw) for configuration \(key): \(message)"))
                return -1
            }
            return n
        }
        let partitionsMessage = "Number of partitions must be positive, or -1 to use the broker's default"
        let replicationMessage = "Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default"
        let defaultPartitions = number(p + "default.partitions", fallback: nil, message: partitionsMessage)
        let defaultReplication = number(p + "default.replication.factor", fallback: nil, message: replicationMessage)
        func regexes(_ key: String) -> [NSRegularExpression] {
            (config[key] ?? "").split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }.compactMap { pattern in
                do { return try NSRegularExpression(pattern: "^(?:" + pattern + ")$") } catch {
                    problems.append(ConfigProblem(key: key, message: "Invalid value \(pattern) for configuration \(key): not a valid regex"))
                    return nil
                }
            }
        }
        func configs(_ group: String) -> [String: String] {
            let gp = p + group + "."
            var out: [String: String] = [:]
            for (k, v) in config where k.hasPrefix(gp) {
                let name = String(k.dropFirst(gp.count))
                if !["include", "exclude", "partitions", "replication.factor"].contains(name) { out[name] = v }
            }
            return out
        }
        var groups: [Group] = []
        for name in groupNames where name != "default" {
            let include = regexes(p + name + ".include")
            if config[p + name + ".include"] == nil {
                problems.append(ConfigProblem(key: p + name + ".include", message: "Missing required configuration \"\(p + name).include\" which has no default value."))
            }
            groups.append(Group(
                name: name, include: include, exclude: regexes(p + name + ".exclude"),
                partitions: number(p + name + ".partitions", fallback: defaultPartitions, message: partitionsMessage),
                replicationFactor: number(p + name + ".replication.factor", fallback: defaultReplication, message: replicationMessage),
                configs: configs(name)))
        }
        groups.append(Group(
            name: "default", include: [try! NSRegularExpression(pattern: ".*")], exclude: regexes(p + "default.exclude"),
            partitions: defaultPartitions, replicationFactor: defaultReplication, configs: configs("default")))
        if !problems.isEmpty { throw ConfigError(problems) }
        return TopicCreation(groups: groups)
    }
}
