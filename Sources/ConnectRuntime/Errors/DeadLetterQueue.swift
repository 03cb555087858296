import ConnectKit
import Synchronization

/// Where the dead-letter records of a worker's sink connectors go.
///
/// - With a transport that keeps them (Kafka): produced to the dead-letter topic; ``sync(until:)``
///   waits for their delivery reports before the sink commits offsets past them, and a failed
///   delivery fails that commit (Kafka: "Could not produce message to dead letter queue").
/// - Otherwise: a durable local topic log (``LocalTopicLogs``), and also the in-memory topic when
///   a sink connector of this worker reads that topic. A record is written (and survives
///   `kill -9`) before the error handler returns; ``sync(until:)`` makes it survive a power loss too.
final class DeadLetterQueue: Sendable {
    enum Destination: Sendable {
        case local(LocalTopicLogs, MemoryBroker?)
        case transport(any TransportProducer)
    }
    let destination: Destination
    /// The first failed delivery of a produced dead-letter record.
    private let failure = Mutex<String?>(nil)

    init(_ destination: Destination) {
        self.destination = destination
    }

    /// Writes (or produces) a dead-letter record.
    /// - Throws: ``LocalTopicLogError`` when the log cannot be written; the producer's error (a
    ///   ``PartialSendError`` from the Kafka transport, naming librdkafka's refusal), or an earlier
    ///   record's failed delivery, when producing.
    func send(_ record: TopicRecord, topic: String) throws {
        switch destination {
        case .local(let logs, let broker):
            try logs.append(record, topic: topic)
            if let broker, broker.hasReaders(topic) { broker.produce(topic: topic, record) }
        case .transport(let producer):
            if let earlier = failure.withLock({ $0 }) { throw DeadLetterDeliveryError(cause: earlier) }
            let delivery = RecordDelivery(nil) { [self] error in failure.withLock { $0 = $0 ?? "\(error)" } }
            try producer.send([OutgoingRecord(topic: topic, partition: nil, record: record, delivery: delivery)])
        }
    }

    /// Makes the records written so far durable (fsync, or every delivery report in by `deadline`).
    /// - Throws: when one is not.
    func sync(until deadline: ContinuousClock.Instant) async throws {
        switch destination {
        case .local(let logs, _):
            try logs.sync()
        case .transport(let producer):
            if await !producer.flush(until: deadline) {
                throw DeadLetterDeliveryError(cause: "delivery reports still outstanding at the flush timeout")
            }
            if let failed = failure.withLock({ $0 }) { throw DeadLetterDeliveryError(cause: failed) }
        }
    }

    /// Frees the producer (a transport destination).
    func close() {
        if case .transport(let producer) = destination { producer.close() }
    }
}

/// A produced dead-letter record was not delivered.
struct DeadLetterDeliveryError: Error, CustomStringConvertible {
    var cause: String
    var description: String { cause }
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
