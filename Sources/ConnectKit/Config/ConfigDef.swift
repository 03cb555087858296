/// The definition of a component's configuration keys (`org.apache.kafka.common.config.ConfigDef`).
///
/// ```swift
/// let def = ConfigDef()
///     .define("topic", .string, importance: .high, documentation: "Topic to write to.",
///             validator: .nonEmptyString)
///     .define("batch.size", .int, default: 2000, importance: .low, documentation: "Records per poll.",
///             validator: .atLeast(1))
///     .define("connection.password", .password, default: .null, importance: .high, documentation: "Password.")
/// let config = try def.parse(["topic": "orders"])
/// config.int("batch.size")   // 2000
/// ```
///
/// ``parse(_:)`` reports **every** bad key at once in a ``ConfigError``; keys that are not defined are
/// kept in ``ParsedConfig/originals`` so connectors can pass them through.
public struct ConfigDef: Sendable {
    /// The type of a key's value, as Kafka's `ConfigDef.Type`.
    public enum ValueType: String, Sendable, Hashable, CaseIterable {
        /// `true` or `false`, ignoring case (Kafka's `BOOLEAN`).
        case boolean = "BOOLEAN"
        /// A string, trimmed of surrounding whitespace (Kafka's `STRING`).
        case string = "STRING"
        /// A 32-bit signed integer (Kafka's `INT`).
        case int = "INT"
        /// A 16-bit signed integer (Kafka's `SHORT`).
        case short = "SHORT"
        /// A 64-bit signed integer (Kafka's `LONG`).
        case long = "LONG"
        /// A 64-bit floating-point number (Kafka's `DOUBLE`).
        case double = "DOUBLE"
        /// A comma-separated list of strings, each trimmed; an empty value is the empty list (Kafka's `LIST`).
        case list = "LIST"
        /// A class name: non-empty, without blanks (Kafka's `CLASS`).
        case `class` = "CLASS"
        /// A secret string, kept as given and printed `[hidden]` (Kafka's `PASSWORD`).
        case password = "PASSWORD"
    }

    /// Importance of a key (Kafka's `ConfigDef.Importance`).
    public enum Importance: String, Sendable, Hashable {
        /// Kafka's `Importance.HIGH`.
        case high = "HIGH"
        /// Kafka's `Importance.MEDIUM`.
        case medium = "MEDIUM"
        /// Kafka's `Importance.LOW`.
        case low = "LOW"
    }

    /// Display width hint for UIs (Kafka's `ConfigDef.Width`).
    public enum Width: String, Sendable, Hashable {
        /// No width hint (Kafka's `Width.NONE`, the default).
        case none = "NONE"
        /// A short field (Kafka's `Width.SHORT`).
        case short = "SHORT"
        /// A medium field (Kafka's `Width.MEDIUM`).
        case medium = "MEDIUM"
        /// A long field (Kafka's `Width.LONG`).
        case long = "LONG"
    }

    /// One defined key.
    public struct Key: Sendable {
        /// The key, e.g. `topic.prefix`.
        public var name: String
        /// How the string value is parsed.
        public var type: ValueType
        /// The default, or `.required`.
        public var defaultValue: ConfigDefault
        /// Checks the parsed value.
        public var validator: ConfigValidator?
        /// How important the key is (for documentation and UIs).
        public var importance: Importance
        /// What the key does.
        public var documentation: String
        /// The group the key is shown in.
        public var group: String?
        /// Position within the group.
        public var orderInGroup: Int
        /// Display width hint.
        public var width: Width
        /// Name shown in UIs.
        public var displayName: String
        /// Keys whose validity depends on this one.
        public var dependents: [String]
        /// Suggests values and visibility.
        public var recommender: ConfigRecommender?
        /// Internal keys are accepted but left out of generated documentation.
        public var isInternal: Bool
        /// The parsed default, or `nil` for a required key.
        public let parsedDefault: ConfigValue?

        /// `true` when the key has no default and must be given.
        public var isRequired: Bool { parsedDefault == nil }
    }

    /// The defined keys in definition order.
    public private(set) var keys: [Key] = []
    private var index: [String: Int] = [:]

    /// An empty definition; add keys with `define`.
    public init() {}

    /// The key with this name.
    public subscript(name: String) -> Key? { index[name].map { keys[$0] } }

    /// All key names, in definition order.
    public var names: [String] { keys.map(\.name) }

    /// Adds a key. Defining a name twice is a programming error (as in Kafka) and traps.
    public func define(
        _ name: String, _ type: ValueType, default defaultValue: ConfigDefault = .required,
        importance: Importance, documentation: String, validator: ConfigValidator? = nil, group: String? = nil,
        orderInGroup: Int = -1, width: Width = .none, displayName: String? = nil, dependents: [String] = [],
        recommender: ConfigRecommender? = nil, isInternal: Bool = false
    ) -> ConfigDef {
        precondition(index[name] == nil, "Configuration \(name) is defined twice.")
        let parsed: ConfigValue?
        switch defaultValue {
        case .required: parsed = nil
        case .null: parsed = .null
        case .value(let text):
            do {
                parsed = try ConfigDef.parseType(name, text, type)
            } catch {
                preconditionFailure("Invalid default for \(name): \(error.message)")
            }
        }
        var def = self
        def.index[name] = keys.count
        def.keys.append(
            Key(
                name: name, type: type, defaultValue: defaultValue, validator: validator, importance: importance,
                documentation: documentation, group: group, orderInGroup: orderInGroup, width: width,
                displayName: displayName ?? name, dependents: dependents, recommender: recommender,
                isInternal: isInternal, parsedDefault: parsed))
        return def
    }

    /// This definition plus every key of `other` that is not defined here.
    public func merging(_ other: ConfigDef) -> ConfigDef {
        var def = self
        for k in other.keys where def.index[k.name] == nil {
            def.index[k.name] = def.keys.count
            def.keys.append(k)
        }
        return def
    }

    /// This definition with every key renamed `prefix + name` (how `transforms.<alias>.` keys are checked).
    public func withPrefix(_ prefix: String) -> ConfigDef {
        var def = ConfigDef()
        for var k in keys {
            k.name = prefix + k.name
            def.index[k.name] = def.keys.count
            def.keys.append(k)
        }
        return def
    }

    // MARK: Parsing

    /// Parses and validates `properties`; throws one ``ConfigError`` with every bad key.
    public func parse(_ properties: [String: String]) throws(ConfigError) -> ParsedConfig {
        let (values, problems) = parseAll(properties)
        if !problems.isEmpty { throw ConfigError(problems) }
        return ParsedConfig(definition: self, values: values, originals: properties)
    }

    private func parseAll(_ properties: [String: String]) -> ([String: ConfigValue], [ConfigProblem]) {
        var values: [String: ConfigValue] = [:]
        var problems: [ConfigProblem] = []
        for key in keys {
            let value: ConfigValue
            if let text = properties[key.name] {
                do {
                    value = try ConfigDef.parseType(key.name, text, key.type)
                } catch {
                    problems.append(ConfigProblem(key: key.name, message: error.message))
                    continue
                }
            } else if let d = key.parsedDefault {
                value = d
            } else {
                problems.append(
                    ConfigProblem(key: key.name, message: "Missing required configuration \"\(key.name)\" which has no default value."))
                continue
            }
            if let validator = key.validator, let reason = validator.check(key.name, value) {
                problems.append(ConfigProblem(key: key.name, message: ConfigDef.invalidValue(key.name, value, reason)))
                continue
            }
            values[key.name] = value
        }
        return (values, problems)
    }

    /// Validates without throwing, per key, like Kafka's `ConfigDef.validate` (used by connector
    /// `validate` and the REST validate endpoint): every key's value, recommended values and errors.
    public func validate(_ properties: [String: String]) -> ConfigValidation {
        let (values, problems) = parseAll(properties)
        var byKey: [String: [String]] = [:]
        for p in problems { byKey[p.key, default: []].append(p.message) }
        var infos: [ConfigValueInfo] = []
        for key in keys {
            var info = ConfigValueInfo(name: key.name, value: values[key.name], errors: byKey[key.name] ?? [])
            if let r = key.recommender {
                info.recommendedValues = r.validValues(key.name, values)
                info.visible = r.visible(key.name, values)
                if let v = values[key.name], !info.recommendedValues.isEmpty, !v.isNull, !info.recommendedValues.contains(v) {
                    info.errors.append(ConfigDef.invalidValue(key.name, v, "Invalid value \(v) for configuration \(key.name)"))
                }
            }
            infos.append(info)
        }
        return ConfigValidation(values: infos)
    }

    struct ParseFailure: Error { var message: String }

    /// Kafka's `ConfigException(name, value, message)` text; passwords print `[hidden]`.
    static func invalidValue(_ name: String, _ value: ConfigValue, _ reason: String) -> String {
        "Invalid value \(value.javaText) for configuration \(name): \(reason)"
    }

    static func parseType(_ name: String, _ text: String, _ type: ValueType) throws(ParseFailure) -> ConfigValue {
        let trimmed = text.trimmingWhitespace()
        func fail(_ reason: String) -> ParseFailure {
            let shown = type == .password ? Password.hidden : trimmed
            return ParseFailure(message: "Invalid value \(shown) for configuration \(name): \(reason)")
        }
        switch type {
        case .boolean:
            switch trimmed.lowercased() {
            case "true": return .boolean(true)
            case "false": return .boolean(false)
            default: throw fail("Expected value to be either true or false")
            }
        case .password: return .password(Password(text))
        case .string: return .string(trimmed)
        case .int:
            guard let v = Int32(trimmed) else { throw fail("Not a number of type INT") }
            return .int(v)
        case .short:
            guard let v = Int16(trimmed) else { throw fail("Not a number of type SHORT") }
            return .short(v)
        case .long:
            guard let v = Int64(trimmed) else { throw fail("Not a number of type LONG") }
            return .long(v)
        case .double:
            guard let v = Double(trimmed) else { throw fail("Not a number of type DOUBLE") }
            return .double(v)
        case .list:
            if trimmed.isEmpty { return .list([]) }
            return .list(trimmed.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() })
        case .class:
            guard !trimmed.isEmpty, !trimmed.contains(where: { $0 == " " || $0 == "\t" }) else { throw fail("Class \(trimmed) could not be found.") }
            return .className(trimmed)
        }
    }
}

/// The default of a key: none (the key is required), `null`, or a value given as text and parsed
/// by the key's type. Integer, boolean and string literals work directly: `default: 100`.
public enum ConfigDefault: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByFloatLiteral
{
    /// No default: the key must be given (Kafka's `NO_DEFAULT_VALUE`); parsing without it reports
    /// "Missing required configuration".
    case required
    /// The default is ``ConfigValue/null``.
    case null
    /// A default as text, parsed by the key's type when the key is defined; an invalid default traps.
    case value(String)

    public init(stringLiteral value: String) { self = .value(value) }
    public init(integerLiteral value: Int64) { self = .value(String(value)) }
    public init(booleanLiteral value: Bool) { self = .value(String(value)) }
    public init(floatLiteral value: Double) { self = .value(String(value)) }
}

/// A typed configuration value.
public enum ConfigValue: Sendable, Hashable, CustomStringConvertible {
    /// No value (a key whose default is `null`).
    case null
    /// A ``ConfigDef/ValueType/boolean`` value.
    case boolean(Bool)
    /// A ``ConfigDef/ValueType/string`` value, trimmed.
    case string(String)
    /// A ``ConfigDef/ValueType/int`` value (32-bit).
    case int(Int32)
    /// A ``ConfigDef/ValueType/short`` value (16-bit).
    case short(Int16)
    /// A ``ConfigDef/ValueType/long`` value (64-bit).
    case long(Int64)
    /// A ``ConfigDef/ValueType/double`` value.
    case double(Double)
    /// A ``ConfigDef/ValueType/list`` value: the comma-separated items, each trimmed.
    case list([String])
    /// A ``ConfigDef/ValueType/class`` value: the class name, trimmed.
    case className(String)
    /// A ``ConfigDef/ValueType/password`` value; it prints `[hidden]`.
    case password(Password)

    /// `true` for ``null``.
    public var isNull: Bool { if case .null = self { return true }; return false }

    /// The value as Kafka prints it; passwords print `[hidden]`, lists comma-separated.
    public var description: String {
        switch self {
        case .null: "null"
        case .boolean(let b): String(b)
        case .string(let s): s
        case .int(let i): String(i)
        case .short(let s): String(s)
        case .long(let l): String(l)
        case .double(let d): JavaNumberFormat.string(d)
        case .list(let l): l.joined(separator: ",")
        case .className(let c): c
        case .password: Password.hidden
        }
    }

    /// The value as Java's `toString` prints it in Kafka's `ConfigException` messages (a list as
    /// `[a, b]`); passwords print `[hidden]`.
    public var javaText: String {
        if case .list(let l) = self { return "[" + l.joined(separator: ", ") + "]" }
        return description
    }
}

/// The result of validating a configuration key by key (Kafka's `ConfigValue` list in `Config`).
public struct ConfigValidation: Sendable {
    /// One entry per defined key, in definition order.
    public var values: [ConfigValueInfo]

    /// A result made of these per-key entries.
    public init(values: [ConfigValueInfo]) { self.values = values }

    /// Number of keys with at least one error.
    public var errorCount: Int { values.filter { !$0.errors.isEmpty }.count }

    /// All problems as one error, or `nil` when the configuration is valid.
    public var error: ConfigError? {
        let problems = values.flatMap { v in v.errors.map { ConfigProblem(key: v.name, message: $0) } }
        return problems.isEmpty ? nil : ConfigError(problems)
    }

    /// The entry for the key with this name.
    public subscript(name: String) -> ConfigValueInfo? { values.first(where: { $0.name == name }) }
}

/// Validation result for one key.
public struct ConfigValueInfo: Sendable, Hashable {
    /// The key.
    public var name: String
    /// The parsed value (or the default), or `nil` when the key is missing or its value is invalid.
    public var value: ConfigValue?
    /// Values the key's recommender suggests; empty without a recommender.
    public var recommendedValues: [ConfigValue] = []
    /// The key's error messages, in Kafka's `ConfigException` wording; empty when the value is valid.
    public var errors: [String]
    /// Whether UIs should show the key, as its recommender says; `true` without one.
    public var visible = true

    /// An entry with no recommended values, visible.
    public init(name: String, value: ConfigValue?, errors: [String]) {
        self.name = name
        self.value = value
        self.errors = errors
    }
}

/// Checks a parsed value; returns the reason it is invalid, or `nil`.
public struct ConfigValidator: Sendable, CustomStringConvertible {
    /// Returns why `value` of the key `name` is invalid, or `nil` when it is valid.
    public let check: @Sendable (_ name: String, _ value: ConfigValue) -> String?
    /// Shown as "Valid Values" in generated documentation.
    public let description: String

    /// A validator shown as `description` whose `check` returns the reason a value is invalid, or `nil`.
    public init(description: String, check: @escaping @Sendable (_ name: String, _ value: ConfigValue) -> String?) {
        self.description = description
        self.check = check
    }

    /// A custom validator.
    public static func custom(_ description: String, _ check: @escaping @Sendable (_ name: String, _ value: ConfigValue) -> String?) -> ConfigValidator {
        ConfigValidator(description: description, check: check)
    }

    /// The text of a string-like value — a string, a class name or a password (validators see a
    /// password's real value; their messages never include it).
    public static func text(_ v: ConfigValue) -> String? {
        switch v {
        case .string(let s), .className(let s): s
        case .password(let p): p.value
        default: nil
        }
    }

    private static func number(_ v: ConfigValue) -> Double? {
        switch v {
        case .int(let i): Double(i)
        case .short(let s): Double(s)
        case .long(let l): Double(l)
        case .double(let d): d
        default: nil
        }
    }

    private static func format(_ n: Double) -> String {
        n == n.rounded() && abs(n) < 1e18 ? String(Int64(n)) : JavaNumberFormat.string(n)
    }

    /// `min ≤ value ≤ max` (either bound optional), Kafka's `Range`.
    public static func range(min: Double? = nil, max: Double? = nil) -> ConfigValidator {
        let desc: String
        switch (min, max) {
        case (let lo?, nil): desc = "[\(format(lo)),...]"
        case (nil, let hi?): desc = "[...,\(format(hi))]"
        case (let lo?, let hi?): desc = "[\(format(lo)),...,\(format(hi))]"
        default: desc = "[...]"
        }
        return ConfigValidator(description: desc) { _, v in
            if v.isNull { return "Value must be non-null" }
            guard let n = number(v) else { return "Value must be a number" }
            if let min, n < min { return "Value must be at least \(format(min))" }
            if let max, n > max { return "Value must be no more than \(format(max))" }
            return nil
        }
    }

    /// `value ≥ min`.
    public static func atLeast(_ min: Double) -> ConfigValidator { range(min: min) }
    /// `min ≤ value ≤ max`.
    public static func between(_ min: Double, _ max: Double) -> ConfigValidator { range(min: min, max: max) }

    /// One of the given strings (case-sensitive), Kafka's `ValidString`.
    public static func validString(_ allowed: [String]) -> ConfigValidator {
        ConfigValidator(description: "[" + allowed.joined(separator: ", ") + "]") { _, v in
            if let s = text(v), allowed.contains(s) { return nil }
            return "String must be one of: " + allowed.joined(separator: ", ")
        }
    }

    /// One of the given strings ignoring case, Kafka's `CaseInsensitiveValidString`.
    public static func caseInsensitiveValidString(_ allowed: [String]) -> ConfigValidator {
        let lower = Set(allowed.map { $0.lowercased() })
        return ConfigValidator(description: "(case insensitive) [" + allowed.joined(separator: ", ") + "]") { _, v in
            if let s = text(v), lower.contains(s.lowercased()) { return nil }
            return "String must be one of (case insensitive): " + allowed.joined(separator: ", ")
        }
    }

    /// A non-empty string, Kafka's `NonEmptyString`.
    public static let nonEmptyString = ConfigValidator(description: "non-empty string") { _, v in
        if v.isNull { return nil }  // as Kafka's: only an empty string is refused
        if let s = text(v), !s.isEmpty { return nil }
        return "String must be non-empty"
    }

    /// A non-empty string without ISO control characters, Kafka's `NonEmptyStringWithoutControlChars`
    /// (connector names).
    public static let nonEmptyStringWithoutControlChars = ConfigValidator(description: "non-empty string without ISO control characters") { _, v in
        guard let s = text(v) else { return "String may not be empty" }
        if s.isEmpty { return "String may not be empty" }
        let controls = s.unicodeScalars.filter { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }.map { String($0.value) }
        return controls.isEmpty ? nil : "String may not contain control sequences but had the following ASCII chars: " + controls.joined(separator: ", ")
    }

    /// A list without repeated entries — Kafka's check of `transforms`, `predicates` and
    /// `topic.creation.groups` aliases ("Duplicate alias provided.").
    public static func uniqueAliases(_ what: String) -> ConfigValidator {
        ConfigValidator(description: "unique \(what)") { _, v in
            guard case .list(let items) = v else { return nil }
            return Set(items).count == items.count ? nil : "Duplicate alias provided."
        }
    }

    /// A list whose every element is one of `allowed`, Kafka's `ValidList`.
    public static func validList(_ allowed: [String], allowEmpty: Bool = true) -> ConfigValidator {
        ConfigValidator(description: "[" + allowed.joined(separator: ", ") + "]") { _, v in
            guard case .list(let items) = v else { return "Value must be a list" }
            if items.isEmpty && !allowEmpty { return "Value must not be empty" }
            if let bad = items.first(where: { !allowed.contains($0) }) {
                return "Invalid value \(bad): must be one of " + allowed.joined(separator: ", ")
            }
            return nil
        }
    }

    /// `validator`, or no value at all (a key whose default is null).
    public static func nullOr(_ validator: ConfigValidator) -> ConfigValidator {
        ConfigValidator(description: validator.description) { name, v in v.isNull ? nil : validator.check(name, v) }
    }

    /// Runs several validators; the first failure wins.
    public static func all(_ validators: ConfigValidator...) -> ConfigValidator {
        ConfigValidator(description: validators.map(\.description).joined(separator: ", ")) { name, v in
            for validator in validators { if let r = validator.check(name, v) { return r } }
            return nil
        }
    }
}

/// Suggests values and visibility for a key given the other parsed values (Kafka's `Recommender`).
public struct ConfigRecommender: Sendable {
    /// The values to suggest for the key `name` given the parsed values (Kafka's `Recommender.validValues`);
    /// when non-empty, ``ConfigDef/validate(_:)`` reports a value outside them as an error.
    public let validValues: @Sendable (_ name: String, _ parsed: [String: ConfigValue]) -> [ConfigValue]
    /// Whether the key `name` should be shown given the parsed values (Kafka's `Recommender.visible`).
    public let visible: @Sendable (_ name: String, _ parsed: [String: ConfigValue]) -> Bool

    /// A recommender; `visible` defaults to always visible.
    public init(
        validValues: @escaping @Sendable (_ name: String, _ parsed: [String: ConfigValue]) -> [ConfigValue],
        visible: @escaping @Sendable (_ name: String, _ parsed: [String: ConfigValue]) -> Bool = { _, _ in true }
    ) {
        self.validValues = validValues
        self.visible = visible
    }
}

extension String {
    /// The string without leading and trailing ASCII whitespace (Java's `trim()` for config values).
    package func trimmingWhitespace() -> String {
        let utf8 = self.utf8
        guard let start = utf8.firstIndex(where: { $0 > 0x20 }) else { return "" }
        let end = utf8.lastIndex(where: { $0 > 0x20 })!
        return String(self[start...end])
    }
}
