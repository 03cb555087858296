public import ConnectKit

/// Kafka's `ReplaceField$Key` / `$Value`: drops (`exclude`), keeps (`include`) and renames
/// (`renames=old:new,...`) top-level fields. The old `blacklist`/`whitelist` names (Kafka before 4.0)
/// still work as `exclude`/`include` when those are not given — Kafka 4 silently ignores them, which
/// would quietly change what an old configuration does.
public final class ReplaceField: Sendable {
    /// The transformation's keys, as Kafka's `CONFIG_DEF` defines them.
    public static let configDef = ConfigDef()
        .define("exclude", .list, default: "", importance: .medium, documentation: "Fields to exclude. This takes precedence over the fields to include.")
        .define("include", .list, default: "", importance: .medium, documentation: "Fields to include. If specified, only these fields will be used.")
        .define("renames", .list, default: "", importance: .medium, documentation: "Field rename mappings.")
        .define("replace.null.with.default", .boolean, default: true, importance: .medium, documentation: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.")
        .define("blacklist", .list, default: .null, importance: .low, documentation: "Deprecated (Kafka before 4.0): use exclude.", isInternal: true)
        .define("whitelist", .list, default: .null, importance: .low, documentation: "Deprecated (Kafka before 4.0): use include.", isInternal: true)

    let side: RecordSide
    let exclude: Set<String>
    let include: Set<String>
    let renames: [String: String]
    let reverse: [String: String]
    let replaceNullWithDefault: Bool
    let steps = PlanCache<FusedStep>()
    static let purpose = "field replacement"

    init(side: RecordSide, configuration: [String: String]) throws(ConfigError) {
        self.side = side
        let c = try Self.configDef.parse(configuration)
        exclude = Set(configuration["exclude"] == nil ? (c.list("blacklist") ?? []) : (c.list("exclude") ?? []))
        include = Set(configuration["include"] == nil ? (c.list("whitelist") ?? []) : (c.list("include") ?? []))
        var r: [String: String] = [:]
        let mappings = c.list("renames") ?? []
        for m in mappings {
            let parts = m.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw ConfigError(key: "renames", message: "Invalid value [\(mappings.joined(separator: ", "))] for configuration renames: Invalid rename mapping: \(m)")
            }
            r[String(parts[0])] = String(parts[1])
        }
        renames = r
        reverse = Dictionary(r.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
        replaceNullWithDefault = c.bool("replace.null.with.default") ?? true
    }

    func keep(_ name: String) -> Bool { !exclude.contains(name) && (include.isEmpty || include.contains(name)) }

    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? {
        if side.value(record).isNull { return record }
        guard side.schema(record) != nil else {
            let m = try Require.map(side.value(record), Self.purpose)
            var out = MapValue()
            for e in m.entries {
                guard case .string(let name) = e.key, keep(name) else { continue }
                out.put(.string(renames[name] ?? name), e.value)
            }
            return side.replace(consume record, schema: nil, value: .map(out))
        }
        return try side.runStep(consume record, Self.purpose, cache: steps) { schema throws(DataError) in try step(schema) }
    }

    /// The transformation on record keys (Kafka\'s `$Key`).
    public struct Key: Transformation {
        let inner: ReplaceField
        public static var configDef: ConfigDef { ReplaceField.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try ReplaceField(side: .key, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }

    /// The transformation on record values (Kafka\'s `$Value`).
    public struct Value: Transformation {
        let inner: ReplaceField
        public static var configDef: ConfigDef { ReplaceField.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try ReplaceField(side: .value, configuration: configuration) }
    /// Transforms one record (Kafka's `apply`); nil drops it.
    /// - Throws: ``DataError`` with Kafka's message when the record does not fit the configuration.
    @_specialize(exported: false, where R == SourceRecord)
    @_specialize(exported: false, where R == SinkRecord)
    public func apply<R: ConnectRecord>(_ record: consuming R) throws -> R? { try inner.apply(consume record) }
    }
}
