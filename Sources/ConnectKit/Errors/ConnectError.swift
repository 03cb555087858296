/// A failure of a connector or of the runtime that is not about one record's data — Kafka
/// Connect's `ConnectException`. Connectors throw it with Kafka's message where Kafka's connector
/// would (e.g. FileStreamSource's offset checks); the runtime reports it under that Java class.
public struct ConnectError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The message, as Kafka's exception would carry it.
    public var message: String
    /// What caused it, when another error did (kept out of ``message``).
    public var cause: String?

    /// An error carrying Kafka's `message`, and the text of what caused it if another error did.
    public init(_ message: String, cause: String? = nil) {
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message): \($0)" } ?? message }
}

/// An error as a Kafka Connect worker would report it: the Java exception class and the message it
/// carries. Dead-letter headers (`__connect.errors.exception.class.name`/`.message`), status traces
/// and REST error messages use these, so that tools and Java workers reading them see Kafka's
/// values; ConnectKit's richer context (byte offsets, fields) stays in the error's `description`
/// and in the logs.
public protocol JavaException: Error {
    /// The Java class a Kafka worker reports, e.g. `org.apache.kafka.connect.errors.DataException`.
    var javaClassName: String { get }
    /// The exception's message (`getMessage()`), without ConnectKit's extra context.
    var javaMessage: String { get }
}

extension ConnectError: JavaException {
    public var javaClassName: String { "org.apache.kafka.connect.errors.ConnectException" }
    public var javaMessage: String { message }
}

extension DataError: JavaException {
    public var javaClassName: String { "org.apache.kafka.connect.errors.DataException" }
    public var javaMessage: String { message }
}

extension RetriableError: JavaException {
    public var javaClassName: String { "org.apache.kafka.connect.errors.RetriableException" }
    public var javaMessage: String { message }
}

extension ConfigError: JavaException {
    public var javaClassName: String { "org.apache.kafka.common.config.ConfigException" }
    /// Kafka's `ConfigException` message of the first problem.
    public var javaMessage: String { problems.first?.message ?? "Invalid configuration" }
}

/// The Java class and message Kafka would report for any error: a ``JavaException``'s own, else
/// `org.apache.kafka.connect.errors.ConnectException` with the error's text.
public func javaException(of error: any Error) -> (className: String, message: String) {
    if let e = error as? any JavaException { return (e.javaClassName, e.javaMessage) }
    return ("org.apache.kafka.connect.errors.ConnectException", "\(error)")
}
