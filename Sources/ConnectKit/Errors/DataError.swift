/// A problem with Connect data: a value that does not match its schema, a schema that cannot be
/// built, or bytes a converter cannot decode. Mirrors Kafka Connect's `DataException`.
///
/// The message names what is wrong (the field, the expected and actual type); converters add the
/// topic and, for malformed input, the byte offset at which decoding failed.
public struct DataError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, in words — Kafka's `DataException` message where Kafka has one.
    public var message: String
    /// The underlying problem, when `message` is Kafka's general text (e.g. the JSON syntax error
    /// behind "Converting byte[] to Kafka Connect data failed due to serialization error: ").
    public var cause: String?
    /// The topic whose record failed, when a converter raised the error.
    public var topic: String?
    /// Offset of the offending byte in the input, for decoding errors.
    public var byteOffset: Int?
    /// Whether trying again may succeed: the data was fine but something it needs was not reachable
    /// (a schema registry, a network). The runtime retries such errors for `errors.retry.timeout`,
    /// as it retries a ``RetriableError``; converters, whose methods throw only `DataError`, report
    /// such failures this way.
    public var isRetriable: Bool

    /// A data error saying `message`; `cause`, `topic` and `byteOffset` add context when known, and
    /// `isRetriable` marks a failure of something the data needs rather than of the data.
    public init(_ message: String, cause: String? = nil, topic: String? = nil, byteOffset: Int? = nil, isRetriable: Bool = false) {
        self.message = message
        self.cause = cause
        self.topic = topic
        self.byteOffset = byteOffset
        self.isRetriable = isRetriable
    }

    public var description: String {
        var s = message
        if let cause { s += (s.hasSuffix(" ") ? "" : ": ") + cause }
        if let topic { s += " (topic \"\(topic)\"" + (byteOffset.map { ", byte offset \($0))" } ?? ")") }
        else if let byteOffset { s += " (byte offset \(byteOffset))" }
        return s
    }

    func with(topic: String) -> DataError {
        var e = self
        if e.topic == nil { e.topic = topic }
        return e
    }
}
