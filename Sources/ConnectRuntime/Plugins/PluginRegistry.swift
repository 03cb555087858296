public import ConnectKit
import ConnectTransforms

/// A connector type known to the runtime.
public enum ConnectorPlugin: Sendable {
    /// A source connector type.
    case source(any SourceConnector.Type)
    /// A sink connector type.
    case sink(any SinkConnector.Type)

    /// Whether it is a source connector.
    public var isSource: Bool { if case .source = self { return true }; return false }

    /// A fresh, unconfigured instance (to read its `configDef` or `version`).
    public func instantiate() -> any Connector {
        switch self {
        case .source(let t): t.init()
        case .sink(let t): t.init()
        }
    }
}

/// A converter type and the settings its class name implies (e.g. `IntegerConverter` is a
/// ``NumberConverter`` with `number.kind=Integer`).
public struct ConverterPlugin: Sendable {
    /// The converter type.
    public var type: any Converter.Type
    /// Settings the class name implies, applied over the configuration (e.g. `number.kind=Integer`).
    public var presets: [String: String]

    /// A converter type with the settings its class name implies.
    public init(_ type: any Converter.Type, presets: [String: String] = [:]) {
        self.type = type
        self.presets = presets
    }

    /// A converter configured from `configuration` (the prefix already removed).
    public func make(_ configuration: [String: String], isKey: Bool) throws(ConfigError) -> any Converter {
        try type.init(configuration: configuration.merging(presets) { _, preset in preset }, isKey: isKey)
    }
}

/// A header converter type and the settings its class name implies.
public struct HeaderConverterPlugin: Sendable {
    /// The header converter type.
    public var type: any HeaderConverter.Type
    /// Settings the class name implies, applied over the configuration.
    public var presets: [String: String]

    /// A header converter type with the settings its class name implies.
    public init(_ type: any HeaderConverter.Type, presets: [String: String] = [:]) {
        self.type = type
        self.presets = presets
    }

    /// A header converter configured from `configuration` (the `header.converter.` prefix removed).
    /// - Throws: ``ConfigError`` for a bad setting.
    public func make(_ configuration: [String: String]) throws(ConfigError) -> any HeaderConverter {
        try type.init(configuration: configuration.merging(presets) { _, preset in preset })
    }
}

/// Maps class names — short names and Kafka/Confluent/Debezium class names — to connector,
/// converter, transformation and predicate types. Host applications register their own.
///
/// A lookup tries the exact name, then an alias, then the simple name after the last `.`, so
/// `org.apache.kafka.connect.transforms.InsertField$Value` finds a type registered as `InsertField$Value`.
public struct PluginRegistry: Sendable {
    /// One registered type under a canonical name and its aliases.
    public struct Entry<Plugin: Sendable>: Sendable {
        /// The canonical (short) name.
        public var name: String
        /// Other names it is found under: Kafka/Confluent/Debezium class names, short names.
        public var aliases: [String]
        /// The registered type.
        public var plugin: Plugin

        /// The Java class name a Kafka worker would report for this plugin (in dead-letter headers,
        /// logs and traces): the first of its names that is a qualified class name, else its name.
        public var javaClassName: String { ([name] + aliases).first { $0.contains(".") } ?? name }

        /// For connectors: the Java class of their tasks when it is not the connector's class with
        /// `Connector` replaced by `Task` (Confluent's JDBC tasks live in `….jdbc.sink` and `….jdbc.source`).
        public var javaTaskClassName: String?
    }

    /// The registered types of one kind, in registration order.
    public struct Catalog<Plugin: Sendable>: Sendable {
        /// The entries in registration order.
        public private(set) var entries: [Entry<Plugin>] = []
        private var byName: [String: Int] = [:]

        mutating func register(_ plugin: Plugin, name: String, aliases: [String], javaTaskClassName: String? = nil) {
            let i = entries.count
            entries.append(Entry(name: name, aliases: aliases, plugin: plugin, javaTaskClassName: javaTaskClassName))
            for n in [name] + aliases { byName[n] = i }
        }

        /// The entry for a class name, alias or simple class name (as Kafka's plugin lookup: a
        /// qualified name must be a registered one — `com.example.FileStreamSource` is not Kafka's).
        public func lookup(_ className: String) -> Entry<Plugin>? {
            let trimmed = className.trimmingWhitespace()
            if let i = byName[trimmed] { return entries[i] }
            // A simple name matches a registered qualified name's last component.
            if !trimmed.contains(".") {
                return entries.first { e in ([e.name] + e.aliases).contains { $0.split(separator: ".").last.map(String.init) == trimmed } }
            }
            return nil
        }
    }

    /// Connector types (`connector.class`).
    public private(set) var connectors = Catalog<ConnectorPlugin>()
    /// Converter types (`key.converter`, `value.converter`).
    public private(set) var converters = Catalog<ConverterPlugin>()
    /// Header converter types (`header.converter`).
    public private(set) var headerConverters = Catalog<HeaderConverterPlugin>()
    /// Transformation types (`transforms.<alias>.type`).
    public private(set) var transformations = Catalog<any Transformation.Type>()
    /// Predicate types (`predicates.<alias>.type`).
    public private(set) var predicates = Catalog<any Predicate.Type>()

    /// An empty registry.
    public init() {}

    /// The registered connectors.
    public var entries: [Entry<ConnectorPlugin>] { connectors.entries }

    /// Registers a connector under a canonical name and aliases (class names, short names), and the
    /// Java class of its tasks when Kafka's would not be found by replacing `Connector` with `Task`.
    public mutating func register(_ plugin: ConnectorPlugin, name: String, aliases: [String] = [], javaTaskClassName: String? = nil) {
        connectors.register(plugin, name: name, aliases: aliases, javaTaskClassName: javaTaskClassName)
    }

    /// Registers a converter for `key.converter` / `value.converter`.
    public mutating func register(converter: ConverterPlugin, name: String, aliases: [String] = []) {
        converters.register(converter, name: name, aliases: aliases)
    }

    /// Registers a header converter for `header.converter`.
    public mutating func register(headerConverter: HeaderConverterPlugin, name: String, aliases: [String] = []) {
        headerConverters.register(headerConverter, name: name, aliases: aliases)
    }

    /// Registers a transformation for `transforms.<alias>.type`.
    public mutating func register(transformation: any Transformation.Type, name: String, aliases: [String] = []) {
        transformations.register(transformation, name: name, aliases: aliases)
    }

    /// Registers a predicate for `predicates.<alias>.type`.
    public mutating func register(predicate: any Predicate.Type, name: String, aliases: [String] = []) {
        predicates.register(predicate, name: name, aliases: aliases)
    }

    /// Looks a `connector.class` value up.
    public func connector(_ className: String) -> Entry<ConnectorPlugin>? { connectors.lookup(className) }

    /// The version a connector type reports.
    public static func version(of plugin: ConnectorPlugin) -> String {
        plugin.instantiate().version
    }

    /// A registry of what `providers` contribute, in order (a later provider's name wins over an
    /// earlier one's).
    public init(providers: [any PluginProvider.Type]) {
        self.init()
        for p in providers { p.register(in: &self) }
    }

    /// This registry with what `providers` contribute added.
    public func including(_ providers: any PluginProvider.Type...) -> PluginRegistry {
        var r = self
        for p in providers { p.register(in: &r) }
        return r
    }

    /// The runtime's own plugins: Kafka's converters and header converters, the standard
    /// transformations and predicates (ConnectTransforms) and the DataGen demo source. Connector
    /// families live in their modules (FileStream in ConnectFile, …); `ConnectPlugins`'s
    /// `PluginRegistry.standard` assembles every module's.
    public static var core: PluginRegistry { PluginRegistry(providers: [RuntimePlugins.self]) }
}

/// What a module contributes to the plugins a worker knows: its connectors, converters,
/// transformations and predicates, each under a short name and the Kafka/Confluent/Debezium class
/// names a Kafka Connect configuration uses for it. Each connector family module has one; the
/// `connect` executable (and `ConnectPlugins`) assemble them:
///
/// ```swift
/// public enum MyPlugins: PluginProvider {
///     public static func register(in registry: inout PluginRegistry) {
///         registry.register(.sink(MySinkConnector.self), name: "MySink", aliases: ["com.example.MySinkConnector"])
///     }
/// }
/// let worker = try Worker(registry: .core.including(MyPlugins.self))
/// ```
public protocol PluginProvider {
    /// Registers the module's plugins in `registry`.
    static func register(in registry: inout PluginRegistry)
}

/// The runtime's plugins (see ``PluginRegistry/core``).
public enum RuntimePlugins: PluginProvider {
    public static func register(in r: inout PluginRegistry) {
        r.register(
            .source(DataGenConnector.self), name: "DataGen",
            aliases: ["DatagenConnector", "DataGenConnector", "io.confluent.kafka.connect.datagen.DatagenConnector"])

        r.register(converter: ConverterPlugin(JSONConverter.self), name: "JsonConverter", aliases: ["org.apache.kafka.connect.json.JsonConverter"])
        r.register(converter: ConverterPlugin(StringConverter.self), name: "StringConverter", aliases: ["org.apache.kafka.connect.storage.StringConverter"])
        r.register(
            converter: ConverterPlugin(ByteArrayConverter.self), name: "ByteArrayConverter",
            aliases: ["org.apache.kafka.connect.converters.ByteArrayConverter"])
        r.register(headerConverter: HeaderConverterPlugin(SimpleHeaderConverter.self), name: "SimpleHeaderConverter",
                   aliases: ["org.apache.kafka.connect.storage.SimpleHeaderConverter"])
        r.register(headerConverter: HeaderConverterPlugin(JSONConverter.self), name: "JsonConverter", aliases: ["org.apache.kafka.connect.json.JsonConverter"])
        r.register(headerConverter: HeaderConverterPlugin(StringConverter.self), name: "StringConverter",
                   aliases: ["org.apache.kafka.connect.storage.StringConverter"])
        r.register(headerConverter: HeaderConverterPlugin(ByteArrayConverter.self), name: "ByteArrayConverter",
                   aliases: ["org.apache.kafka.connect.converters.ByteArrayConverter"])
        for t in StandardTransforms.transformations { r.register(transformation: t.type, name: t.name, aliases: [t.className]) }
        for p in StandardTransforms.predicates { r.register(predicate: p.type, name: p.name, aliases: [p.className]) }
        for kind in NumberConverter.Kind.allCases {
            let name = "\(kind.rawValue)Converter"
            r.register(converter: ConverterPlugin(NumberConverter.self, presets: ["number.kind": kind.rawValue]), name: name,
                       aliases: ["org.apache.kafka.connect.converters.\(name)"])
            r.register(headerConverter: HeaderConverterPlugin(NumberConverter.self, presets: ["number.kind": kind.rawValue]), name: name,
                       aliases: ["org.apache.kafka.connect.converters.\(name)"])
        }
    }
}

/// The keys every connector configuration has (Kafka's `ConnectorConfig`, `SinkConnectorConfig`).
public enum ConnectorConfigKeys {
    /// Kafka's `ConnectorConfig` keys, which every connector has.
    public static let common = ConfigDef()
        .define("name", .string, importance: .high, documentation: "Globally unique name of the connector.",
                validator: .nonEmptyStringWithoutControlChars, group: "Common", orderInGroup: 1)
        .define("connector.class", .string, importance: .high, documentation: "Class or short name of the connector.", validator: .nonEmptyString, group: "Common", orderInGroup: 2)
        .define("connector.plugin.version", .string, default: .null, importance: .low,
                documentation: "Version of the connector (accepted; one version of each plugin is compiled in).", group: "Common", orderInGroup: 3)
        .define("tasks.max", .int, default: 1, importance: .high, documentation: "Maximum number of tasks.", validator: .atLeast(1), group: "Common", orderInGroup: 4)
        .define("tasks.max.enforce", .boolean, default: true, importance: .low,
                documentation: "(Deprecated in Kafka) Whether to enforce that the tasks.max property is respected by the connector.", group: "Common", orderInGroup: 5)
        .define("key.converter", .class, default: .null, importance: .low,
                documentation: "Converter for record keys in topic mode; overrides the worker's key.converter.", group: "Common", orderInGroup: 6)
        .define("value.converter", .class, default: .null, importance: .low,
                documentation: "Converter for record values in topic mode; overrides the worker's value.converter.", group: "Common", orderInGroup: 7)
        .define("header.converter", .class, default: .null, importance: .low,
                documentation: "Converter for header values in topic mode; overrides the worker's header.converter.", group: "Common", orderInGroup: 8)
        .define("key.converter.plugin.version", .string, default: .null, importance: .low, documentation: "Version of the key converter (accepted).", group: "Common", orderInGroup: 9)
        .define("value.converter.plugin.version", .string, default: .null, importance: .low, documentation: "Version of the value converter (accepted).", group: "Common", orderInGroup: 10)
        .define("header.converter.plugin.version", .string, default: .null, importance: .low, documentation: "Version of the header converter (accepted).", group: "Common", orderInGroup: 11)
        .define("config.action.reload", .string, default: "restart", importance: .low,
                documentation: "The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties.",
                validator: .validString(["none", "restart"]), group: "Common", orderInGroup: 12)
        .define("transforms", .list, default: "", importance: .low, documentation: "Aliases of the transformations to apply to records, in order.", group: "Transforms", orderInGroup: 1)
        .define("predicates", .list, default: "", importance: .low, documentation: "Aliases of the predicates used by the transformations.", group: "Predicates", orderInGroup: 1)
        .define("errors.retry.timeout", .long, default: 0, importance: .medium,
                documentation: "The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries.", group: "Error Handling", orderInGroup: 1)
        .define("errors.retry.delay.max.ms", .long, default: 60000, importance: .medium,
                documentation: "The maximum duration in milliseconds between consecutive retry attempts. Jitter will be added to the delay once this limit is reached to prevent thundering herd issues.", group: "Error Handling", orderInGroup: 2)
        .define("errors.tolerance", .string, default: "none", importance: .medium,
                documentation: "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records.",
                validator: .validString(["none", "all"]), group: "Error Handling", orderInGroup: 3)
        .define("errors.log.enable", .boolean, default: false, importance: .medium,
                documentation: "If true, write each error and the details of the failed operation and problematic record to the Connect application log.", group: "Error Handling", orderInGroup: 4)
        .define("errors.log.include.messages", .boolean, default: false, importance: .medium,
                documentation: "Whether to include in the log the Connect record that resulted in a failure.", group: "Error Handling", orderInGroup: 5)

    /// Kafka's `SourceConnectorConfig` keys on top of the common ones.
    public static let source = common
        .define("topic.creation.groups", .list, default: "", importance: .low,
                documentation: "Groups of configurations for topics created by source connectors.", validator: .uniqueAliases("topic creation groups"), group: "Topic Creation", orderInGroup: 1)
        .define("exactly.once.support", .string, default: "requested", importance: .medium,
                documentation: "Whether the connector must provide exactly-once semantics (required) or only should (requested).",
                validator: .caseInsensitiveValidString(["REQUIRED", "REQUESTED"]), group: "Exactly Once Support", orderInGroup: 1)
        .define("transaction.boundary", .string, default: "poll", importance: .medium,
                documentation: "Where producer transactions of exactly-once sources begin and end.",
                validator: .caseInsensitiveValidString(["INTERVAL", "POLL", "CONNECTOR"]), group: "Exactly Once Support", orderInGroup: 2)
        .define("transaction.boundary.interval.ms", .long, default: .null, importance: .low,
                documentation: "With transaction.boundary=interval, how often transactions are committed.", validator: .nullOr(.atLeast(0)), group: "Exactly Once Support", orderInGroup: 3)
        .define("offsets.storage.topic", .string, default: .null, importance: .low,
                documentation: "A separate offsets topic for this connector.", validator: .nonEmptyString, group: "offsets.topic", orderInGroup: 1)

    /// Kafka's `SinkConnectorConfig` keys on top of the common ones.
    public static let sink = common
        .define("topics", .list, default: "", importance: .high, documentation: "Topics to consume.", group: "Common", orderInGroup: 13)
        .define("topics.regex", .string, default: "", importance: .high, documentation: "Regular expression of topics to consume.", group: "Common", orderInGroup: 14)
        .define("errors.deadletterqueue.topic.name", .string, default: "", importance: .medium,
                documentation: "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ.", group: "Error Handling", orderInGroup: 6)
        .define("errors.deadletterqueue.topic.replication.factor", .short, default: 3, importance: .medium,
                documentation: "Replication factor used to create the dead letter queue topic when it doesn't already exist (accepted; in-memory topics are not replicated).", group: "Error Handling", orderInGroup: 7)
        .define("errors.deadletterqueue.context.headers.enable", .boolean, default: false, importance: .medium,
                documentation: "If true, add headers containing error context to the messages written to the dead letter queue.", group: "Error Handling", orderInGroup: 8)
}
