import ConnectKit
import ConnectRuntime

/// Kafka Connect's REST entities as JSON, field for field in Kafka 4's order.
extension ConnectRESTAPI {
    /// `{"connector":…,"task":…}` (Kafka's `ConnectorTaskId`).
    func taskIDJSON(_ id: ConnectorTaskID) -> JSONValue {
        .object([("connector", .string(id.connector)), ("task", .number(String(id.task)))])
    }

    /// A configuration map (keys sorted: Kafka's order is its HashMap's, which clients do not rely on).
    func configJSON(_ config: [String: String]) -> JSONValue {
        .object(config.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    }

    /// `ConnectorInfo`: `name`, `config` (secrets hidden), `tasks`, `type`.
    func connectorInfoJSON(_ info: ConnectorInfo) -> JSONValue {
        .object([
            ("name", .string(info.name)), ("config", configJSON(masked(info.config))),
            ("tasks", .array(info.tasks.map(taskIDJSON))), ("type", .string(info.type)),
        ])
    }

    /// `ConnectorOffsets`: `{"offsets":[{"partition":{…},"offset":{…}|null}]}`.
    func offsetsJSON(_ offsets: [ConnectorOffset]) -> JSONValue {
        func map(_ m: [String: Value]) -> JSONValue { .object(m.sorted { $0.key < $1.key }.map { ($0.key, Self.json($0.value)) }) }
        return .object([("offsets", .array(offsets.map { o in .object([("partition", map(o.partition)), ("offset", o.offset.map(map) ?? .null)]) }))])
    }

    /// An offset value as Jackson writes the Java object.
    static func json(_ v: Value) -> JSONValue {
        switch v {
        case .null: .null
        case .boolean(let b): .bool(b)
        case .int8(let x): .number(String(x))
        case .int16(let x): .number(String(x))
        case .int32(let x): .number(String(x))
        case .int64(let x): .number(String(x))
        case .float32(let x): .number(JavaNumberFormat.string(x))
        case .float64(let x): .number(JavaNumberFormat.string(x))
        case .string(let s): .string(s)
        case .array(let a): .array(a.map(json))
        case .map(let m): .object(m.entries.map { ("\($0.key)", json($0.value)) })
        default: .string("\(v)")
        }
    }

    /// `LoggerLevel`: `{"level":"INFO","last_modified":null}`.
    func loggerLevelJSON(_ l: LogLevels.LoggerLevel) -> JSONValue {
        .object([("level", .string(l.level.rawValue)), ("last_modified", l.lastModified.map { .number(String($0)) } ?? .null)])
    }

    // MARK: Plugins

    /// `PluginInfo`s: sink connectors, source connectors (then, unless `connectorsOnly`,
    /// transformations, predicates, converters and header converters), each group by class name.
    func pluginInfos(connectorsOnly: Bool) -> [JSONValue] {
        let r = worker.registry
        func info(_ cls: String, _ type: String, _ version: String) -> JSONValue {
            .object([("class", .string(cls)), ("type", .string(type)), ("version", .string(version))])
        }
        let connectors = r.connectors.entries
        var out = connectors.filter { !$0.plugin.isSource }.sorted { $0.javaClassName < $1.javaClassName }
            .map { info($0.javaClassName, "sink", PluginRegistry.version(of: $0.plugin)) }
        out += connectors.filter(\.plugin.isSource).sorted { $0.javaClassName < $1.javaClassName }
            .map { info($0.javaClassName, "source", PluginRegistry.version(of: $0.plugin)) }
        guard !connectorsOnly else { return out }
        let v = ConnectKitVersion.current
        out += r.transformations.entries.map(\.javaClassName).sorted().map { info($0, "transformation", v) }
        out += r.predicates.entries.map(\.javaClassName).sorted().map { info($0, "predicate", v) }
        out += r.converters.entries.map(\.javaClassName).sorted().map { info($0, "converter", v) }
        out += r.headerConverters.entries.map(\.javaClassName).sorted().map { info($0, "header_converter", v) }
        return out
    }

    /// A plugin's keys (`GET /connector-plugins/{plugin}/config`): a connector's own, then the
    /// framework's source or sink keys it does not define; a transformation's, predicate's or
    /// converter's own.
    func pluginConfigKeys(_ plugin: String, version: String?) throws(RESTFailure) -> [ConfigDef.Key] {
        let r = worker.registry
        let className: String, pluginVersion: String, keys: [ConfigDef.Key]
        if let e = r.connector(plugin) {
            (className, pluginVersion) = (e.javaClassName, PluginRegistry.version(of: e.plugin))
            let own = e.plugin.instantiate().configDef
            keys = own.merging(e.plugin.isSource ? ConnectorConfigKeys.source : ConnectorConfigKeys.sink).keys
        } else if let e = r.transformations.lookup(plugin) {
            (className, pluginVersion, keys) = (e.javaClassName, ConnectKitVersion.current, e.plugin.configDef.keys)
        } else if let e = r.predicates.lookup(plugin) {
            (className, pluginVersion, keys) = (e.javaClassName, ConnectKitVersion.current, e.plugin.configDef.keys)
        } else if let e = r.converters.lookup(plugin) {
            (className, pluginVersion, keys) = (e.javaClassName, ConnectKitVersion.current, e.plugin.type.configDef.keys)
        } else if let e = r.headerConverters.lookup(plugin) {
            (className, pluginVersion, keys) = (e.javaClassName, ConnectKitVersion.current, e.plugin.type.configDef.keys)
        } else {
            throw RESTFailure(404, "Unknown plugin \(plugin).")
        }
        if let version, !version.isEmpty {
            guard let range = VersionRange(version) else { throw RESTFailure(400, "Invalid version specification: \(version)") }
            guard range.contains(pluginVersion) else {
                throw RESTFailure(400, "Plugin \(className) not found that matches the version range \(range), available versions: [\(pluginVersion)]")
            }
        }
        return keys.filter { !$0.isInternal }
    }

    /// `ConfigKeyInfo`, Kafka 4's order: `name`, `type`, `required`, `default_value`, `importance`,
    /// `documentation`, `group`, `order_in_group`, `width`, `display_name`, `dependents`.
    func configKeyJSON(_ k: ConfigDef.Key) -> JSONValue {
        let defaultValue: JSONValue = k.parsedDefault.map { $0.isNull ? .null : .string($0.description) } ?? .null
        return .object([
            ("name", .string(k.name)), ("type", .string(k.type.rawValue)), ("required", .bool(k.isRequired)),
            ("default_value", defaultValue), ("importance", .string(k.importance.rawValue)),
            ("documentation", .string(k.documentation)), ("group", k.group.map { .string($0) } ?? .null),
            ("order_in_group", .number(String(k.orderInGroup))), ("width", .string(k.width.rawValue)),
            ("display_name", .string(k.displayName)), ("dependents", .array(k.dependents.map { .string($0) })),
        ])
    }

    // MARK: Validation

    /// `PUT /connector-plugins/{plugin}/config/validate`: Kafka's checks and `ConfigInfos`. Values
    /// are shown as `GET …/config` shows them (secrets hidden, `${…}` references as written), and
    /// error messages never echo what a reference resolved to.
    func validate(_ plugin: String, _ raw: [String: String], nulls: [String] = []) async throws(RESTFailure) -> JSONValue {
        let given = raw["connector.class"]?.trimmingWhitespace() ?? ""
        // Kafka's check: the class as given ends with the plugin named in the path, each without a
        // trailing "Connector".
        func normalized(_ s: String) -> String {
            s.count > "Connector".count && s.hasSuffix("Connector") ? String(s.dropLast("Connector".count)) : s
        }
        if !given.isEmpty, !normalized(given).hasSuffix(normalized(plugin)) {
            throw RESTFailure(400, "Included connector type \(given) does not match request type \(plugin)")
        }
        // Kafka does not unwrap these here: a 500 naming the exception.
        if let message = worker.connectorTypeProblem(raw, className: given) {
            throw RESTFailure(500, "org.apache.kafka.connect.runtime.rest.errors.BadRequestException: \(message)")
        }
        guard let entry = worker.registry.connector(given) else { throw RESTFailure(500, "no connector \(given)") }
        let resolved: [String: String]
        do { resolved = try await worker.resolvedOffPool(raw) } catch { throw RESTFailure(400, "\(error)") }
        let infos = await worker.herder.validateConnectorConfig(resolved)
        let shown = ParsedConfig.masked(raw, definition: entry.plugin.instantiate().configDef)
        let references = raw.filter { $0.value.contains("${") && resolved[$0.key] != $0.value }
        // Entries without a definition first, as Kafka's.
        var ordered = infos.configs.filter { $0.definition == nil } + infos.configs.filter { $0.definition != nil }
        for key in nulls {
            if let i = ordered.firstIndex(where: { $0.value.name == key }) {
                ordered[i].value.errors.insert(Self.nullValueError, at: 0)
            } else {
                ordered.insert((nil, ConfigValueInfo(name: key, value: nil, errors: [Self.nullValueError])), at: 0)
            }
        }
        let errorCount = ordered.reduce(0) { $0 + $1.value.errors.count }
        let configs: [JSONValue] = ordered.map { entry in
            let v = entry.value
            var text: JSONValue = v.value.map { $0.isNull ? .null : .string($0.description) } ?? .null
            if let r = shown[v.name], r != raw[v.name] || r.contains("${") { text = .string(r) }  // masked or a reference
            if entry.definition == nil, ParsedConfig.looksSecret(v.name), !text.isNull { text = .string(Password.hidden) }
            let errors: [JSONValue] = v.errors.map { e in
                var e = e
                if let reference = references[v.name], let value = resolved[v.name], !value.isEmpty { e = e.replacingAll(value, with: reference) }
                return .string(e)
            }
            let value = JSONValue.object([
                ("name", .string(v.name)), ("value", text),
                ("recommended_values", .array(v.recommendedValues.map { .string($0.description) })),
                ("errors", .array(errors)), ("visible", .bool(v.visible)),
            ])
            return .object([("definition", entry.definition.map(configKeyJSON) ?? .null), ("value", value)])
        }
        return .object([
            ("name", .string(given)), ("error_count", .number(String(errorCount))),
            ("groups", .array(infos.groups.map { .string($0) })), ("configs", .array(configs)),
        ])
    }
}

/// A Maven-style version range as Kafka's `?version=` takes: `1.0` (that version), `[1.0,2.0)`,
/// `[1.0,]`, `(,2.0]`.
struct VersionRange: CustomStringConvertible {
    var lower: [Int]?, lowerInclusive = true
    var upper: [Int]?, upperInclusive = true
    let text: String

    /// As Maven prints it: a plain version as `[v,v]`.
    var description: String { text }

    init?(_ text: String) {
        let t = text.trimmingWhitespace()
        guard let first = t.first else { return nil }
        if first != "[" && first != "(" {
            guard !t.contains(where: { ",[]()".contains($0) }) else { return nil }
            let comps = t.split(separator: ".").map { Int($0) }
            guard !comps.isEmpty, comps.allSatisfy({ $0 != nil }) else { return nil }
            lower = comps.map { $0! }
            upper = lower
            self.text = "[\(t),\(t)]"
            return
        }
        self.text = t
        guard let last = t.last, last == "]" || last == ")", t.count >= 2 else { return nil }
        let inner = t.dropFirst().dropLast()
        let parts = inner.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        func parse(_ s: Substring) -> [Int]?? {
            let s = String(s).trimmingWhitespace()
            if s.isEmpty { return .some(nil) }
            let comps = s.split(separator: ".").map { Int($0) }
            guard comps.allSatisfy({ $0 != nil }) else { return nil }
            return .some(comps.map { $0! })
        }
        guard let lo = parse(parts[0]) else { return nil }
        lower = lo
        lowerInclusive = first == "["
        if parts.count == 2 {
            guard let hi = parse(parts[1]) else { return nil }
            upper = hi
            upperInclusive = last == "]"
        } else {
            upper = lo
            upperInclusive = last == "]"
        }
    }

    func contains(_ version: String) -> Bool {
        let v = version.split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 }
        func compare(_ a: [Int], _ b: [Int]) -> Int {
            for i in 0..<max(a.count, b.count) {
                let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
                if x != y { return x < y ? -1 : 1 }
            }
            return 0
        }
        if let lower {
            let c = compare(v, lower)
            if c < 0 || (c == 0 && !lowerInclusive) { return false }
        }
        if let upper {
            let c = compare(v, upper)
            if c > 0 || (c == 0 && !upperInclusive) { return false }
        }
        return true
    }
}
