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
    /// `errors.retry.timeout`: milliseconds to keep retrying a retriable failure; 0 never, -1 forever.
    public var retryTimeoutMs: Int64
    /// `errors.retry.delay.max.ms`: the longest wait between two retries, in milliseconds.
    public var retryDelayMaxMs: Int64
    /// `errors.tolerance=all`: a failed record is skipped (logged, dead-lettered) instead of failing the task.
    public var toleratesAll: Bool
    /// `errors.log.enable`: log each failure with its stage, class and record position.
    public var logEnabled: Bool
    /// `errors.log.include.messages`: also log the failed record's key, value and headers.
    public var logIncludeMessages: Bool
    /// `errors.deadletterqueue.topic.name`: where a sink connector's failed records go; nil for none.
    public var deadLetterTopic: String?
    /// `errors.deadletterqueue.context.headers.enable`: add the `__connect.errors.*` headers to dead-letter records.
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
    /// Converting a record's key (`KEY_CONVERTER`).
    case keyConverter = "KEY_CONVERTER"
    /// Converting a record's value (`VALUE_CONVERTER`).
    case valueConverter = "VALUE_CONVERTER"
    /// Converting a record's headers (`HEADER_CONVERTER`).
    case headerConverter = "HEADER_CONVERTER"
    /// A single message transformation (`TRANSFORMATION`).
    case transformation = "TRANSFORMATION"
    /// A sink task's `put`, or a record it reported (`TASK_PUT`).
    case taskPut = "TASK_PUT"
    /// A source task's `poll` (`TASK_POLL`).
    case taskPoll = "TASK_POLL"
    /// Producing a record to its topic (`KAFKA_PRODUCE`).
    case kafkaProduce = "KAFKA_PRODUCE"
    /// Consuming records from a topic (`KAFKA_CONSUME`).
    case kafkaConsume = "KAFKA_CONSUME"
}

/// A record failed and `errors.tolerance` is `none` (Kafka's `ConnectException` "Tolerance exceeded
/// in error handler", caused by the record's error). The task fails with this error; the record is
/// not acknowledged.
public struct ToleranceExceededError: Error, Sendable, CustomStringConvertible, JavaException {
    /// The stage that failed.
    public let stage: ErrorStage
    /// The Java class name of what failed there (converter, transformation, task).
    public let className: String
    /// Where the record was: topic/partition/offset or the source record.
    public let record: String
    /// The record's error, as text.
    public let underlying: String
    /// The Java class and message of the record's error (Kafka's cause).
    public let cause: (className: String, message: String)

    /// The failure of `record` (its position, as text) at `stage` in `className`, caused by `underlying`.
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
