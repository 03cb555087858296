/// A secret configuration value (`org.apache.kafka.common.config.types.Password`).
///
/// Its `description`, `debugDescription` and any interpolation print `[hidden]`; read the secret
/// explicitly with ``value``. Config errors about a password key never include the value.
public struct Password: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// What every printed form of a password shows.
    public static let hidden = "[hidden]"

    /// The secret itself. Never log it.
    public let value: String

    /// Wraps the secret `value`.
    public init(_ value: String) { self.value = value }

    public var description: String { Password.hidden }
    public var debugDescription: String { Password.hidden }
    public var customMirror: Mirror { Mirror(self, children: ["value": Password.hidden]) }
}
