public import ConnectKit

/// Kafka's `ReplaceField$Key` / `$Value`: drops (`exclude`), keeps (`include`) and renames
/// (`renames=old:new,...`) top-level fields. Like Kafka 4, the old `blacklist`/`whitelist` names
/// (removed in Kafka 4.0) are ignored.
public struct ReplaceField: Sendable {
    public static let configDef = ConfigDef()
        .define("exclude", .list, default: "", importance: .medium, documentation: "Fields to exclude. This takes precedence over the fields to include.")
        .define("include", .list, default: "", importance: .medium, documentation: "Fields to include. If specified, only these fields will be used.")
        .define("renames", .list, default: "", importance: .medium, documentation: "Field rename mappings.")
        .define("replace.null.with.default", .boolean, default: true, importance: .medium, documentation: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.")

    let side: RecordSide
    let exclude: Set<String>
    let include: Set<String>
    let renames: [String: String]
    let reverse: [String: String]
    let replaceNullWithDefault: Bool
    let cache = SchemaCache()
    static let purpose = "field replacement"

    init(side: RecordSide, configuration: [String: String]) throws(ConfigError) {
        self.side = side
        let c = try Self.configDef.parse(configuration)
        exclude = Set(c.list("exclude") ?? [])
        include = Set(c.list("include") ?? [])
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

    func apply<R: ConnectRecord>(_ record: R) throws -> R? {
        let value = side.value(record)
        if value.isNull { return record }
        guard side.schema(record) != nil else {
            let m = try Require.map(value, Self.purpose)
            var out = MapValue()
            for e in m.entries {
                guard case .string(let name) = e.key, keep(name) else { continue }
                out.put(.string(renames[name] ?? name), e.value)
            }
            return side.replace(record, schema: nil, value: .map(out))
        }
        let s = try Require.struct(value, Self.purpose)
        let updated = try cache.get(s.schema) { () throws(DataError) -> Schema in
            var b = copyBasics(s.schema, .struct())
            for f in s.schema.fields where keep(f.name) { b = b.field(renames[f.name] ?? f.name, f.schema) }
            return try b.build()
        }
        var values: [ConnectKit.Value] = []
        values.reserveCapacity(updated.fields.count)
        for f in updated.fields {
            let original = s.schema.field(reverse[f.name] ?? f.name)!
            values.append(replaceNullWithDefault ? s.get(original) : s.values[original.index])
        }
        return side.replace(record, schema: updated, value: .struct(makeStruct(updated, values)))
    }

    public struct Key: Transformation {
        let inner: ReplaceField
        public static var configDef: ConfigDef { ReplaceField.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try ReplaceField(side: .key, configuration: configuration) }
        public func apply<R: ConnectRecord>(_ record: R) throws -> R? { try inner.apply(record) }
    }

    public struct Value: Transformation {
        let inner: ReplaceField
        public static var configDef: ConfigDef { ReplaceField.configDef }
        public init(configuration: [String: String]) throws(ConfigError) { inner = try ReplaceField(side: .value, configuration: configuration) }
        public func apply<R: ConnectRecord>(_ record: R) throws -> R? { try inner.apply(record) }
    }
}
