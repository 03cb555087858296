public import ConnectKit

/// A connector's error handling settings — Kafka Connect's `errors.*` keys.
///
/// | key | default | meaning |
/// | --- | --- | --- |
/// | `errors.retry.timeout` | 0 | ms to keep retrying an operation that failed with a ``RetriableError``; -1 forever |
/// | `errors.retry.delay.max.ms` | 60000 | the longest wait between retries (300 ms, doubling; random below this cap once reached) |
/// | `errors.tolerance` | none | `none`: a failed record fails the task; `all`: it is skipped (logged, sent to the DLQ) |
/// | `errors.log.enable` | false | log each failure with the stage, class and record position |
/// | `errors.log.include.messages` | false | also log the record's key, value and headers |
/// | `errors.deadletterqueue.topic.name` | "" | sink connectors: topic for the records that failed |
/// | `errors.deadletterqueue.topic.replication.factor` | 3 | accepted for compatibility |
/// | `errors.deadletterqueue.context.headers.enable` | false | add the `__connect.errors.*` headers |
public struct ErrorPolicy: Sendable, Hashable {
    public var retryTimeoutMs: Int64
    public var retryDelayMaxMs: Int64
    public var toleratesAll: Bool
    public var logEnabled: Bool
    public var logIncludeMessages: Bool
    public var deadLetterTopic: String?
    public var deadLetterContextHeaders: Bool

    /// Kafka's defaults: no retries, no tolerance, no logging, no DLQ.
    public init(
        retryTimeoutMs: Int64 = 0, retryDelayMaxMs: Int64 = 60000, toleratesAll: Bool = false, logEnabled: Bool = false,
        logIncludeMessages: Bool = false, deadLetterTopic: String? = nil, deadLetterContextHeaders: Bool = false
    ) {
        self.retryTimeoutMs = retryTimeoutMs
        self.retryDelayMaxMs = retryDelayMaxMs
        self.toleratesAll = toleratesAll
        self.logEnabled = logEnabled
        self.logIncludeMessages = logIncludeMessages
        self.deadLetterTopic = deadLetterTopic
        self.deadLetterContextHeaders = deadLetterContextHeaders
    }

    /// Reads the `errors.*` keys of a connector configuration (validated with ``ConnectorConfigKeys``).
    public init(config: [String: String]) throws(ConfigError) {
        let isSink = config["topics"] != nil || config["topics.regex"] != nil
        let parsed: ParsedConfig
        do { parsed = try (isSink ? ConnectorConfigKeys.sink : ConnectorConfigKeys.common).parse(config) } catch {
            throw ConfigError(error.problems.filter { $0.key.hasPrefix("errors.") }, context: config["name"])
        }
        self.init(
            retryTimeoutMs: parsed.long("errors.retry.timeout") ?? 0,
            retryDelayMaxMs: parsed.long("errors.retry.delay.max.ms") ?? 60000,
            toleratesAll: parsed.string("errors.tolerance") == "all",
            logEnabled: parsed.bool("errors.log.enable") ?? false,
            logIncludeMessages: parsed.bool("errors.log.include.messages") ?? false,
            deadLetterTopic: isSink ? parsed.string("errors.deadletterqueue.topic.name").flatMap { $0.isEmpty ? nil : $0 } : nil,
            deadLetterContextHeaders: isSink ? parsed.bool("errors.deadletterqueue.context.headers.enable") ?? false : false)
    }
}

/// Where in the pipeline an operation failed (Kafka's `Stage`, same names).
public enum ErrorStage: String, Sendable, Hashable {
    case keyConverter = "KEY_CONVERTER"
    case valueConverter = "VALUE_CONVERTER"
    case headerConverter = "HEADER_CONVERTER"
    case transformation = "TRANSFORMATION"
    case taskPut = "TASK_PUT"
    case taskPoll = "TASK_POLL"
    case kafkaProduce = "KAFKA_PRODUCE"
    case kafkaConsume = "KAFKA_CONSUME"
}

/// A record failed and `errors.tolerance` is `none` (Kafka's `ConnectException` "Tolerance exceeded
/// in error handler", caused by the record's error). The task fails with this error; the record is
/// not acknowledged.
public struct ToleranceExceededError: Error, Sendable, CustomStringConvertible, JavaException {
    public let stage: ErrorStage
    public let className: String
    /// Where the record was: topic/partition/offset or the source record.
    public let record: String
    /// The record's error, as text.
    public let underlying: String
    /// The Java class and message of the record's error (Kafka's cause).
    public let cause: (className: String, message: String)

    public init(stage: ErrorStage, className: String, record: String, underlying: any Error) {
        self.stage = stage
        self.className = className
        self.record = record
        self.underlying = "\(underlying)"
        cause = javaException(of: underlying)
    }

    public var description: String {
        "Tolerance exceeded in error handler: executing stage '\(stage.rawValue)' with class '\(className)' on \(record) failed: \(underlying)"
    }

    public var javaClassName: String { "org.apache.kafka.connect.errors.ConnectException" }
    public var javaMessage: String { "Tolerance exceeded in error handler" }
}
