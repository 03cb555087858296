/// A parsed, validated configuration (Kafka's `AbstractConfig`): typed values for every defined key
/// plus the original strings, unknown keys included.
///
/// Every printed and reflected form — `description`, `debugDescription`, `dump`, mirrors — shows
/// `[hidden]` for password keys (and unknown keys whose name suggests a secret); read a secret
/// with ``password(_:)``.
public struct ParsedConfig: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The definition the configuration was parsed with.
    public let definition: ConfigDef
    /// Typed values of the defined keys (defaults applied).
    public let values: [String: ConfigValue]
    /// Every key given, as given — including keys the definition does not know.
    public let originals: [String: String]

    /// A configuration from already parsed `values` and the `originals` they came from; it does not
    /// parse or validate. ``ConfigDef/parse(_:)`` is the usual way to get one.
    public init(definition: ConfigDef, values: [String: ConfigValue], originals: [String: String]) {
        self.definition = definition
        self.values = values
        self.originals = originals
    }

    /// The typed value of a defined key (defaults applied), or `nil` when it is not defined.
    public subscript(key: String) -> ConfigValue? { values[key] }

    /// The value as a string: a string or class name as is, a password's real value, any other type
    /// as it prints; `nil` when the key has no value or its value is `null`.
    public func string(_ key: String) -> String? {
        switch values[key] {
        case .string(let s)?, .className(let s)?: s
        case .password(let p)?: p.value
        case nil, .null?: nil
        case let v?: v.description
        }
    }

    /// The value of an ``ConfigDef/ValueType/int`` key; `nil` for any other type or no value.
    public func int(_ key: String) -> Int32? { if case .int(let v)? = values[key] { return v }; return nil }
    /// The value of a ``ConfigDef/ValueType/short`` key; `nil` for any other type or no value.
    public func short(_ key: String) -> Int16? { if case .short(let v)? = values[key] { return v }; return nil }
    /// The value of a ``ConfigDef/ValueType/long`` key, or of an `int` or `short` key widened to 64 bits;
    /// `nil` for any other type or no value.
    public func long(_ key: String) -> Int64? {
        switch values[key] {
        case .long(let v)?: v
        case .int(let v)?: Int64(v)
        case .short(let v)?: Int64(v)
        default: nil
        }
    }
    /// The value of a ``ConfigDef/ValueType/double`` key; `nil` for any other type or no value.
    public func double(_ key: String) -> Double? { if case .double(let v)? = values[key] { return v }; return nil }
    /// The value of a ``ConfigDef/ValueType/boolean`` key; `nil` for any other type or no value.
    public func bool(_ key: String) -> Bool? { if case .boolean(let v)? = values[key] { return v }; return nil }
    /// The items of a ``ConfigDef/ValueType/list`` key; `nil` for any other type or no value.
    public func list(_ key: String) -> [String]? { if case .list(let v)? = values[key] { return v }; return nil }
    /// The value of a ``ConfigDef/ValueType/password`` key; `nil` for any other type or no value.
    public func password(_ key: String) -> Password? { if case .password(let v)? = values[key] { return v }; return nil }
    /// The class name of a ``ConfigDef/ValueType/class`` key; `nil` for any other type or no value.
    public func className(_ key: String) -> String? { if case .className(let v)? = values[key] { return v }; return nil }

    /// Keys given that the definition does not define (passed through to connectors, as Kafka does).
    public var unknownKeys: [String: String] { originals.filter { definition[$0.key] == nil } }

    /// Original keys that start with `prefix`, with the prefix removed when `strip` is true
    /// (Kafka's `originalsWithPrefix`).
    public func originals(withPrefix prefix: String, strip: Bool = true) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in originals where k.hasPrefix(prefix) {
            out[strip ? String(k.dropFirst(prefix.count)) : k] = v
        }
        return out
    }

    /// Every value, sorted by key; passwords print `[hidden]` and unknown keys whose name
    /// suggests a secret are masked too.
    public var description: String {
        var lines: [String] = []
        for k in originals.keys.sorted() {
            if let v = values[k] {
                lines.append("\(k) = \(v)")
            } else if definition[k]?.type == .password || ParsedConfig.looksSecret(k) {
                lines.append("\(k) = \(Password.hidden)")
            } else {
                lines.append("\(k) = \(originals[k]!)")
            }
        }
        for key in definition.keys where originals[key.name] == nil {
            if let v = values[key.name] { lines.append("\(key.name) = \(v)") }
        }
        return lines.joined(separator: "\n")
    }

    public var debugDescription: String { "ParsedConfig(\n" + description + "\n)" }

    /// The originals with every secret masked.
    public var maskedOriginals: [String: String] { ParsedConfig.masked(originals, definition: definition) }

    public var customMirror: Mirror {
        Mirror(self, children: ["values": values, "originals": maskedOriginals], displayStyle: .struct)
    }

    /// Whether an undefined key's name suggests a secret: `password`, `secret`, `token`,
    /// `credential`, `jaas` (Kafka's `sasl.jaas.config`), `user.info` (Schema Registry's basic auth),
    /// an access key.
    public static func looksSecret(_ key: String) -> Bool {
        let k = key.lowercased()
        return ["password", "secret", "token", "credential", "jaas", "user.info", "ssl.key.pem", "keystore.key"].contains { k.contains($0) }
            || k.hasSuffix(".key") && k.contains("access")
    }

    /// A configuration with every value of a secret key (by `definition`'s password type or by its
    /// name) replaced by `[hidden]`.
    public static func masked(_ config: [String: String], definition: ConfigDef? = nil) -> [String: String] {
        var out = config
        for (k, v) in config {
            if definition?[k]?.type == .password || looksSecret(k) {
                out[k] = Password.hidden
            } else if v.contains("@") {
                out[k] = withoutURLCredentials(v)
            }
        }
        return out
    }

    /// `text` with the password of every URL in it (`scheme://user:password@host`, also without a
    /// scheme: `user:password@host`) replaced by `[hidden]`; comma-separated lists are handled item by
    /// item. Text without credentials is returned unchanged.
    public static func withoutURLCredentials(_ text: String) -> String {
        guard text.contains("@") else { return text }
        return text.split(separator: ",", omittingEmptySubsequences: false).map { item -> String in
            let s = String(item)
            guard let at = s.lastIndex(of: "@") else { return s }
            var start = s.startIndex
            var i = s.startIndex
            while i < at {
                if s[i...].hasPrefix("://") {
                    start = s.index(i, offsetBy: 3)
                    break
                }
                i = s.index(after: i)
            }
            let info = s[start..<at]
            guard let colon = info.firstIndex(of: ":") else { return s }
            return String(s[..<s.index(after: colon)]) + Password.hidden + String(s[at...])
        }.joined(separator: ",")
    }
}
