public import ConnectKit
public import ConnectRuntime

/// Runs a transformation chain configured exactly as in a connector configuration (`transforms`,
/// `transforms.<alias>.*`, `predicates`), so a transformation or a whole chain can be tested on
/// records without a pipeline.
///
/// ```swift
/// var registry = PluginRegistry.standard
/// registry.register(transformation: MaskSecrets.self, name: "MaskSecrets")
/// let chain = try TransformHarness(["transforms": "mask", "transforms.mask.type": "MaskSecrets"], registry: registry)
/// let out = try chain.apply(SourceRecord(...))
/// ```
public struct TransformHarness: Sendable {
    /// The configured chain.
    public let chain: TransformChain

    /// Builds the chain; configuration problems throw a `ConfigError` naming each full key.
    public init(_ config: [String: String], registry: PluginRegistry = .core) throws(ConfigError) {
        chain = try TransformChain(config: config, registry: registry)
    }

    /// One record through the chain; `nil` when a stage dropped it.
    public func apply<R: ConnectRecord>(_ record: R) throws -> R? { try chain.apply(record) }

    /// Every record through the chain, dropped ones left out.
    public func apply<R: ConnectRecord>(_ records: [R]) throws -> [R] { try records.compactMap { try chain.apply($0) } }
}
