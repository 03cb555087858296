public import ConnectKit
public import ConnectRuntime

/// Confluent's `io.confluent.connect.elasticsearch.ElasticsearchSinkConnector`: writes records to
/// Elasticsearch (7, 8, 9) or OpenSearch indices or data streams with the `_bulk` API.
///
/// Keys, defaults and meaning are Confluent's (``ElasticsearchSinkConfig`` lists them; the
/// repository's `Docs/ConnectElasticsearch.md` has the reference, the document and mapping
/// conversion tables and the retry rules). Index names are the lowercased topic; document ids the
/// key, or `topic+partition+offset` when keys are ignored; writes are externally versioned with
/// the Kafka offset, so a replay after a crash is a no-op; tombstones delete with
/// `behavior.on.null.values=delete`.
public final class ElasticsearchSinkConnector: SinkConnector {
    private var config: [String: String] = [:]
    public required init() {}
    /// ConnectKit's version.
    public var version: String { ConnectKitVersion.current }
    /// ``ElasticsearchSinkTask``.
    public var taskType: any SinkTask.Type { ElasticsearchSinkTask.self }
    /// ``ElasticsearchSinkConfig/configDef``.
    public var configDef: ConfigDef { ElasticsearchSinkConfig.configDef }

    /// Every key's own check, then Confluent's checks between keys, each error on its key.
    public func validate(_ config: [String: String]) -> ConfigValidation {
        var validation = configDef.validate(config)
        guard validation.errorCount == 0, let parsed = try? configDef.parse(config) else { return validation }
        for problem in ElasticsearchSinkConfig.crossChecks(parsed, config) {
            if let i = validation.values.firstIndex(where: { $0.name == problem.key }) { validation.values[i].errors.append(problem.message) }
        }
        return validation
    }

    public func start(_ config: [String: String]) async throws {
        _ = try ElasticsearchSinkConfig(config)
        self.config = config
    }

    public func taskConfigs(maxTasks: Int) async throws -> [[String: String]] {
        Array(repeating: config, count: max(1, maxTasks))
    }

    public func stop() async throws {}
}

/// Registers the Elasticsearch sink under `ElasticsearchSink`, `ElasticsearchSinkConnector` and
/// Confluent's class name.
public enum ElasticsearchPlugins: PluginProvider {
    public static func register(in r: inout PluginRegistry) {
        r.register(
            .sink(ElasticsearchSinkConnector.self), name: "ElasticsearchSink",
            aliases: ["ElasticsearchSinkConnector", "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector"])
    }
}
