public import ConnectKit

/// Kafka's `HasHeaderKey`: true when the record has at least one header named `name`.
public struct HasHeaderKey: ConnectKit.Predicate {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("name", .string, importance: .medium, documentation: "The header name.", validator: .nonEmptyString)
    let name: String
    public init(configuration: [String: String]) throws(ConfigError) { name = try Self.configDef.parse(configuration).string("name") ?? "" }
    public func test<R: ConnectRecord>(_ record: R) -> Bool { record.headers.contains { $0.key == name } }
}

/// Kafka's `RecordIsTombstone`: true when the value is null.
public struct RecordIsTombstone: ConnectKit.Predicate {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
    public init(configuration: [String: String]) throws(ConfigError) {}
    public func test<R: ConnectRecord>(_ record: R) -> Bool { record.value.isNull }
}

/// Kafka's `TopicNameMatches`: true when the whole topic name matches `pattern`.
public struct TopicNameMatches: ConnectKit.Predicate {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("pattern", .string, importance: .medium, documentation: "A Java regular expression for matching against the name of a record's topic.", validator: .nonEmptyString)
    let pattern: JavaRegex
    public init(configuration: [String: String]) throws(ConfigError) {
        pattern = try JavaRegex(try Self.configDef.parse(configuration).string("pattern") ?? "", key: "pattern")
    }
    public func test<R: ConnectRecord>(_ record: R) -> Bool { pattern.matchesWhole(record.topic) }
}
