public import ConnectKit

/// A connector type known to the runtime.
public enum ConnectorPlugin: Sendable {
    case source(any SourceConnector.Type)
    case sink(any SinkConnector.Type)

    public var isSource: Bool { if case .source = self { return true }; return false }

    /// A fresh, unconfigured instance.
    func instantiate() -> any Connector {
        switch self {
        case .source(let t): t.init()
        case .sink(let t): t.init()
        }
    }
}

/// Maps `connector.class` values — short names and Kafka/Confluent/Debezium class names — to
/// connector types. Host applications register their own.
public struct PluginRegistry: Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var aliases: [String]
        public var plugin: ConnectorPlugin
    }

    public private(set) var entries: [Entry] = []
    private var byName: [String: Int] = [:]

    public init() {}

    /// Registers a connector under a canonical name and aliases (class names, short names).
    public mutating func register(_ plugin: ConnectorPlugin, name: String, aliases: [String] = []) {
        let i = entries.count
        entries.append(Entry(name: name, aliases: aliases, plugin: plugin))
        for n in [name] + aliases { byName[n] = i }
    }

    /// Looks a `connector.class` value up (exact name, alias, or the simple name of a class name).
    public func connector(_ className: String) -> Entry? {
        if let i = byName[className] { return entries[i] }
        if let simple = className.split(separator: ".").last, let i = byName[String(simple)] { return entries[i] }
        return nil
    }

    /// The version a connector type reports.
    public static func version(of plugin: ConnectorPlugin) -> String {
        plugin.instantiate().version
    }

    /// The connectors that ship with ConnectKit.
    public static var standard: PluginRegistry {
        var r = PluginRegistry()
        r.register(
            .source(FileStreamSourceConnector.self), name: "FileStreamSource",
            aliases: ["FileStreamSourceConnector", "org.apache.kafka.connect.file.FileStreamSourceConnector"])
        r.register(
            .sink(FileStreamSinkConnector.self), name: "FileStreamSink",
            aliases: ["FileStreamSinkConnector", "org.apache.kafka.connect.file.FileStreamSinkConnector"])
        r.register(
            .source(DataGenConnector.self), name: "DataGen",
            aliases: ["DatagenConnector", "DataGenConnector", "io.confluent.kafka.connect.datagen.DatagenConnector"])
        return r
    }
}

/// The keys every connector configuration has (Kafka's `ConnectorConfig`, `SinkConnectorConfig`).
public enum ConnectorConfigKeys {
    public static let common = ConfigDef()
        .define("name", .string, importance: .high, documentation: "Globally unique name of the connector.", validator: .nonEmptyString)
        .define("connector.class", .string, importance: .high, documentation: "Class or short name of the connector.", validator: .nonEmptyString)
        .define("tasks.max", .int, default: 1, importance: .high, documentation: "Maximum number of tasks.", validator: .atLeast(1))

    public static let sink = common
        .define("topics", .list, default: "", importance: .high, documentation: "Topics to consume.")
        .define("topics.regex", .string, default: "", importance: .high, documentation: "Regular expression of topics to consume.")
}
