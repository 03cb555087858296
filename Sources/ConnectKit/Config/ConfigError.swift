/// One problem with one configuration key.
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    /// The key (for transforms and predicates, the full key such as `transforms.route.regex`).
    public var key: String
    /// Why the value is not acceptable.
    public var message: String

    /// A problem with `key`; `message` says why its value is not acceptable.
    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "\(key): \(message)" }
}

/// An invalid configuration: **every** bad key with its reason, found in one pass, like the list
/// Kafka Connect's validate endpoint returns. Values of password keys never appear in the text.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Every problem found, one per bad key and reason, in the order found.
    public var problems: [ConfigProblem]
    /// What was being configured (a connector name, `JsonConverter`, a transform alias), if known.
    public var context: String?

    /// An error listing `problems`; `context` names what was being configured.
    public init(_ problems: [ConfigProblem], context: String? = nil) {
        self.problems = problems
        self.context = context
    }

    /// An error with a single problem: `key`'s value is not acceptable because of `message`.
    public init(key: String, message: String, context: String? = nil) {
        self.init([ConfigProblem(key: key, message: message)], context: context)
    }

    /// Keys that have at least one problem, in order of first appearance.
    public var keys: [String] {
        var seen = Set<String>()
        return problems.map(\.key).filter { seen.insert($0).inserted }
    }

    public var description: String {
        let head = (context.map { "Invalid configuration for \($0)" } ?? "Invalid configuration")
            + " (\(problems.count) error\(problems.count == 1 ? "" : "s")):"
        return ([head] + problems.map { "  - \($0)" }).joined(separator: "\n")
    }
}
