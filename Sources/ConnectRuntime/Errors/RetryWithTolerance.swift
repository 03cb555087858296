import ConnectKit
import CoreMetrics
import Logging

/// The record an operation failed on, for logs and the dead-letter queue.
struct FailedRecord: Sendable {
    var consumed: ConsumedRecord? = nil
    var source: SourceRecord? = nil
    var sink: SinkRecord? = nil

    func describe(includeMessages: Bool) -> String {
        if let c = consumed {
            var s = "consumed record {topic='\(c.topic)', partition=\(c.partition), offset=\(c.offset)"
            if includeMessages {
                s += ", timestamp=\(c.record.timestamp.map(String.init) ?? "null")"
                s += ", key=\(c.record.key.map { String(decoding: $0, as: UTF8.self) } ?? "null")"
                s += ", value=\(c.record.value.map { String(decoding: $0, as: UTF8.self) } ?? "null")"
            }
            return s + "}"
        }
        if let r = sink {
            let base = "sink record {topic='\(r.topic)', partition=\(r.kafkaPartition ?? 0), offset=\(r.kafkaOffset)"
            return includeMessages ? "\(base), record=\(r)}" : base + "}"
        }
        if let r = source {
            let base = "source record {topic='\(r.topic)', partition=\(r.sourcePartition), offset=\(r.sourceOffset)"
            return includeMessages ? "\(base), record=\(r)}" : base + "}"
        }
        return "record"
    }
}

/// Counters of Kafka Connect's task-error-metrics group.
final class ErrorCounters: Sendable {
    let recordFailures: CountedMetric
    let recordErrors: CountedMetric
    let recordsSkipped: CountedMetric
    let retries: CountedMetric
    let errorsLogged: CountedMetric
    let deadLetterRequests: CountedMetric
    let deadLetterFailures: CountedMetric

    init(dimensions d: [(String, String)] = [], factory: any MetricsFactory = MetricsSystem.factory) {
        recordFailures = CountedMetric("total-record-failures", d, factory)
        recordErrors = CountedMetric("total-record-errors", d, factory)
        recordsSkipped = CountedMetric("total-records-skipped", d, factory)
        retries = CountedMetric("total-retries", d, factory)
        errorsLogged = CountedMetric("total-errors-logged", d, factory)
        deadLetterRequests = CountedMetric("deadletterqueue-produce-requests", d, factory)
        deadLetterFailures = CountedMetric("deadletterqueue-produce-failures", d, factory)
    }
}

/// Runs the operations of one task the way Kafka's `RetryWithToleranceOperator` does: a
/// ``RetriableError`` is retried for `errors.retry.timeout` ms (300 ms, doubling, capped at
/// `errors.retry.delay.max.ms`, then a random delay below the cap); a failure then fails the task
/// (`errors.tolerance=none`) or is logged, sent to the dead-letter queue and skipped (`all`).
final class RetryWithTolerance: Sendable {
    let policy: ErrorPolicy
    let connector: String
    let taskID: Int
    let logger: Logger
    let counters: ErrorCounters
    /// Where sink connectors' dead-letter records go, and how to serialize a record that has no
    /// consumed bytes (direct mode).
    let deadLetter: (queue: DeadLetterQueue, codec: RecordCodec)?
    let sleep: @Sendable (Duration) async throws -> Void

    static let minimumDelayMs: Int64 = 300

    init(
        policy: ErrorPolicy, connector: String, taskID: Int, logger: Logger, deadLetter: (DeadLetterQueue, RecordCodec)? = nil,
        counters: ErrorCounters = ErrorCounters(),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.policy = policy
        self.connector = connector
        self.taskID = taskID
        self.logger = logger
        self.deadLetter = policy.deadLetterTopic == nil ? nil : deadLetter
        self.counters = counters
        self.sleep = sleep
    }

    /// Runs `operation`; returns its result, or `nil` when it failed and the failure is tolerated.
    /// Throws ``ToleranceExceededError`` when it is not. (Hot paths call the operation themselves and
    /// come here through ``recover(_:_:_:_:after:)`` only when it failed, to stay synchronous.)
    func execute<T>(
        _ stage: ErrorStage, _ className: String, _ record: @autoclosure () -> FailedRecord, _ operation: () throws -> T
    ) async throws -> T? {
        do { return try operation() } catch { counters.recordFailures.increment() ; return try await retry(stage, className, record(), operation, firstError: error) }
    }

    /// The slow path of ``execute(_:_:_:_:)`` once `operation` has thrown `error`.
    func recover<T>(
        _ stage: ErrorStage, _ className: String, _ record: FailedRecord, _ operation: () async throws -> T, after error: any Error
    ) async throws -> T? {
        counters.recordFailures.increment()
        return try await retry(stage, className, record, operation, firstError: error)
    }

    func retry<T>(
        _ stage: ErrorStage, _ className: String, _ record: FailedRecord, _ operation: () async throws -> T, firstError: any Error
    ) async throws -> T? {
        // A task being cancelled (stopped) does not tolerate a failure: the record is not skipped, so
        // no offset passes it (a registry call cut short by the stop is no reason to drop it).
        if Task.isCancelled { throw CancellationError() }
        var error = firstError
        let start = ContinuousClock.now
        var attempt = 1
        while error is RetriableError || (error as? DataError)?.isRetriable == true {
            let elapsedMs = (ContinuousClock.now - start).milliseconds
            guard policy.retryTimeoutMs == -1 || elapsedMs < policy.retryTimeoutMs else { break }
            var delay = Self.minimumDelayMs << min(attempt - 1, 40)
            if delay > policy.retryDelayMaxMs { delay = policy.retryDelayMaxMs > 0 ? Int64.random(in: 0..<policy.retryDelayMaxMs) : 0 }
            if policy.retryTimeoutMs != -1 { delay = max(0, min(delay, policy.retryTimeoutMs - elapsedMs)) }
            logger.debug("\(stage.rawValue) with \(className) failed (attempt \(attempt)), retrying in \(delay) ms: \(error)")
            try await sleep(.milliseconds(delay))
            counters.retries.increment()
            attempt += 1
            do { return try await operation() } catch let next {
                counters.recordFailures.increment()
                error = next
            }
        }
        try await failed(stage, className, record, error)
        return nil
    }

    /// Handles a failure that already happened (also the errant record reporter's path).
    func failed(_ stage: ErrorStage, _ className: String, _ record: FailedRecord, _ error: any Error) async throws {
        counters.recordErrors.increment()
        guard policy.toleratesAll else {
            throw ToleranceExceededError(stage: stage, className: className, record: record.describe(includeMessages: false), underlying: error)
        }
        if policy.logEnabled {
            counters.errorsLogged.increment()
            logger.error("Error encountered in task \(connector)-\(taskID). Executing stage '\(stage.rawValue)' with class '\(className)', where \(record.describe(includeMessages: policy.logIncludeMessages)): \(error)")
        }
        if let deadLetter, let topic = policy.deadLetterTopic {
            counters.deadLetterRequests.increment()
            var raw = record.consumed?.record ?? TopicRecord(key: nil, value: nil)
            if record.consumed == nil, let r = record.sink ?? record.source.map(Self.asSinkRecord) {
                raw = await Self.serialize(r, codec: deadLetter.codec)
            }
            if policy.deadLetterContextHeaders { raw.headers += contextHeaders(stage, className, record, error) }
            do { try deadLetter.queue.send(raw, topic: topic) } catch {
                counters.deadLetterFailures.increment()
                logger.error("Could not produce message to dead letter queue. topic=\(topic): \(error)")
                throw DeadLetterQueueError(topic: topic, cause: "\(error)")
            }
        }
        counters.recordsSkipped.increment()
    }

    /// Makes the dead-letter records written so far durable; called before offsets are committed
    /// past the records that failed.
    /// Frees what the dead-letter queue holds (a producer).
    func close() { deadLetter?.queue.close() }

    func syncDeadLetters(until deadline: ContinuousClock.Instant) async throws {
        guard let deadLetter else { return }
        do { try await deadLetter.queue.sync(until: deadline) } catch {
            counters.deadLetterFailures.increment()
            throw DeadLetterQueueError(topic: policy.deadLetterTopic ?? "", cause: "\(error)")
        }
    }

    private static func asSinkRecord(_ r: SourceRecord) -> SinkRecord {
        SinkRecord(topic: r.topic, partition: r.kafkaPartition ?? 0, keySchema: r.keySchema, key: r.key, valueSchema: r.valueSchema,
                   value: r.value, offset: -1, timestamp: r.timestamp, timestampType: .createTime, headers: r.headers)
    }

    /// The record's bytes as its connector's converters write them (null where they cannot).
    private static func serialize(_ r: SinkRecord, codec: RecordCodec) async -> TopicRecord {
        let key = (try? await codec.key.serialize(topic: r.topic, headers: r.headers, schema: r.keySchema, value: r.key)) ?? nil
        let value = (try? await codec.value.serialize(topic: r.topic, headers: r.headers, schema: r.valueSchema, value: r.value)) ?? nil
        let headers = r.headers.map { h in
            TopicRecord.Header(key: h.key, value: (try? codec.header.fromConnectHeader(topic: r.topic, headerKey: h.key, schema: h.schema, value: h.value)) ?? nil)
        }
        return TopicRecord(key: key, value: value, headers: headers, timestamp: r.timestamp)
    }

    /// Kafka's `DeadLetterQueueReporter` headers; numbers as decimal strings, all UTF-8.
    private func contextHeaders(_ stage: ErrorStage, _ className: String, _ record: FailedRecord, _ error: any Error) -> [TopicRecord.Header] {
        func h(_ k: String, _ v: String) -> TopicRecord.Header { TopicRecord.Header(key: "__connect.errors." + k, value: Array(v.utf8)) }
        var out: [TopicRecord.Header] = []
        if let c = record.consumed {
            out += [h("topic", c.topic), h("partition", String(c.partition)), h("offset", String(c.offset))]
        } else if let s = record.sink {
            out += [h("topic", s.originalTopic), h("partition", String(s.originalKafkaPartition)), h("offset", String(s.originalKafkaOffset))]
        }
        out += [h("connector.name", connector), h("task.id", String(taskID)), h("stage", stage.rawValue), h("class.name", className)]
        // In Kafka's terms: the Java exception a Kafka worker would have reported, and its message;
        // ConnectKit's extra context (byte offsets, fields) stays in the logs.
        let (javaClass, message) = javaException(of: error)
        out.append(h("exception.class.name", javaClass))
        out.append(h("exception.message", message))
        out.append(h("exception.stacktrace", javaStackTrace(error)))
        return out
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}
