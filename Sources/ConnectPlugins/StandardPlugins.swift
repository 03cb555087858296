public import ConnectRuntime
import ConnectFile
import ConnectSQL
import ConnectElasticsearch
import ConnectAvro
import ConnectS3

/// Every plugin that ships with ConnectKit, assembled from the modules that contribute them — what
/// the `connect` executable knows. A host that embeds only some modules assembles its own registry
/// from their providers instead (``PluginRegistry/core`` `.including(...)`).
public enum StandardPlugins {
    /// The providers, in registration order.
    public static var providers: [any PluginProvider.Type] { [FileStreamPlugins.self, SQLPlugins.self, ElasticsearchPlugins.self, AvroPlugins.self, S3Plugins.self, RuntimePlugins.self] }
}

extension PluginRegistry {
    /// Every connector, converter, transformation and predicate of every ConnectKit module.
    public static var standard: PluginRegistry { PluginRegistry(providers: StandardPlugins.providers) }
}

/// ConnectAvro's plugins: Confluent's `io.confluent.connect.avro.AvroConverter`.
public enum AvroPlugins: PluginProvider {
    public static func register(in registry: inout PluginRegistry) {
        registry.register(converter: ConverterPlugin(AvroConverter.self), name: "AvroConverter", aliases: ["io.confluent.connect.avro.AvroConverter"])
    }
}
