import ConnectKit

/// Where the dead-letter records of a worker's sink connectors go when no Kafka is configured: a
/// durable local topic log (``LocalTopicLogs``), and also the in-memory topic when a sink
/// connector of this worker reads that topic.
///
/// A record is written (and survives `kill -9`) before the error handler returns; ``sync()``
/// makes it survive a power loss too and runs before the sink commits offsets past it.
final class DeadLetterQueue: Sendable {
    let logs: LocalTopicLogs
    let broker: MemoryBroker?

    init(logs: LocalTopicLogs, broker: MemoryBroker?) {
        self.logs = logs
        self.broker = broker
    }

    /// Writes a dead-letter record.
    /// - Throws: ``LocalTopicLogError`` when the log cannot be written.
    func send(_ record: TopicRecord, topic: String) throws(LocalTopicLogError) {
        try logs.append(record, topic: topic)
        if let broker, broker.hasReaders(topic) { broker.produce(topic: topic, record) }
    }

    /// Makes the records written so far durable.
    func sync() throws(LocalTopicLogError) { try logs.sync() }
}

/// A dead-letter record could not be written: the task fails, and the record it failed on is not
/// acknowledged (Kafka: "Could not produce message to dead letter queue").
public struct DeadLetterQueueError: Error, Sendable, CustomStringConvertible {
    /// The dead-letter topic.
    public var topic: String
    /// Why the write failed.
    public var cause: String
    public var description: String { "Could not produce message to dead letter queue. topic=\(topic): \(cause)" }
}
