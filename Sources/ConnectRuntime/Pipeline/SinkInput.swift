import ConnectKit
import Synchronization

/// What a sink task's input brings: records, or (topic mode) its consumer group's decisions.
enum SinkInputEvent {
    /// The next batch (before the sink's transformations); may be empty.
    case records([SinkRecord])
    /// Partitions taken away: flush and commit, then close them.
    case revoked([TopicPartition])
    /// Partitions given: open them.
    case assigned([TopicPartition])
    /// The stream ended (shutdown).
    case end
}

/// Where a sink task's records come from: straight from source tasks (direct mode) or from a topic
/// through a consumer and the connector's converters (topic mode).
protocol SinkInput: AnyObject {
    /// The next event. Records of `paused` partitions are held back.
    func poll(max: Int, timeout: Duration, paused: Set<TopicPartition>) async throws -> SinkInputEvent
    /// What `preCommit` returned was flushed: acknowledge (commit) the records before these offsets
    /// (the next offset to read per partition); records of partitions it left out, or at or after
    /// its offsets, stay unacknowledged.
    func commit(upTo offsets: [TopicPartition: Int64]) async throws
    /// The offsets `preCommit` is told about: the next offset per partition.
    var positions: [TopicPartition: Int64] { get }
    /// Whether anything was returned since the last commit.
    var hasUncommitted: Bool { get }
    var isClosed: Bool { get }
    /// A new task instance takes over: what was taken and not committed is delivered again, with
    /// the same offsets.
    func rewind()
    /// The task asked to continue from these offsets (`SinkTaskContext.offset`); false when this
    /// input cannot go back.
    func seek(_ offsets: [TopicPartition: Int64]) -> Bool
}

/// Direct mode: deliveries from the source tasks' router, numbered per topic-partition.
///
/// Used by one task run at a time; between runs (under the connector's life-cycle lock) it is
/// handed to the next instance, which is why it is `@unchecked Sendable`.
final class DirectSinkInput: SinkInput, @unchecked Sendable {
    let queue: DeliveryQueue
    private var held: [Delivery] = []
    private var pending: [PendingRecord] = []
    /// The sink offset each pending record was given.
    private var pendingOffsets: [Int64] = []
    private(set) var positions: [TopicPartition: Int64] = [:]

    init(queue: DeliveryQueue) { self.queue = queue }

    /// Numbers a topic-partition's records from `next` on, where this input has not numbered any yet
    /// (an earlier run of the worker used the offsets below it).
    func seed(_ next: [TopicPartition: Int64]) {
        for (tp, offset) in next where positions[tp] == nil { positions[tp] = offset }
    }

    var isClosed: Bool { queue.isClosed }
    var hasUncommitted: Bool { !pending.isEmpty }

    func poll(max: Int, timeout: Duration, paused: Set<TopicPartition>) async throws -> SinkInputEvent {
        // At the end of the stream, held-back records stay unacknowledged (delivered again later).
        guard var batch = await queue.receive(max: max, timeout: timeout) else { return .end }
        if !held.isEmpty || !paused.isEmpty {
            batch = held + batch
            held = []
            if !paused.isEmpty {
                held = batch.filter { paused.contains(TopicPartition(topic: $0.record.topic, partition: $0.record.kafkaPartition ?? 0)) }
                batch.removeAll { paused.contains(TopicPartition(topic: $0.record.topic, partition: $0.record.kafkaPartition ?? 0)) }
            }
        }
        var records: [SinkRecord] = []
        records.reserveCapacity(batch.count)
        // Consecutive records of one topic-partition share one position lookup.
        var current: TopicPartition? = nil
        var next: Int64 = 0
        for d in batch {
            let partition = d.record.kafkaPartition ?? 0
            if current?.partition != partition || current?.topic != d.record.topic {
                if let current { positions[current] = next }
                let tp = TopicPartition(topic: d.record.topic, partition: partition)
                current = tp
                next = positions[tp, default: 0]
            }
            let offset = next
            next += 1
            pendingOffsets.append(offset)
            records.append(SinkRecord(
                topic: d.record.topic, partition: partition, keySchema: d.record.keySchema, key: d.record.key, valueSchema: d.record.valueSchema,
                value: d.record.value, offset: offset, timestamp: d.record.timestamp ?? d.producedAt, timestampType: .createTime,
                headers: d.record.headers))
        }
        if let current { positions[current] = next }
        pending.append(contentsOf: batch)
        return .records(records)
    }

    func commit(upTo offsets: [TopicPartition: Int64]) async throws {
        // The common case: everything taken was flushed.
        if positions.allSatisfy({ entry in (offsets[entry.key] ?? Int64.min) >= entry.value }) {
            PendingRecord.acknowledgeAll(pending.filter { $0.receiverDone() })
            pending.removeAll(keepingCapacity: true)
            pendingOffsets.removeAll(keepingCapacity: true)
            return
        }
        var done: [PendingRecord] = []
        var kept: [PendingRecord] = [], keptOffsets: [Int64] = []
        for (i, d) in pending.enumerated() {
            let tp = TopicPartition(topic: d.record.topic, partition: d.record.kafkaPartition ?? 0)
            if let limit = offsets[tp], pendingOffsets[i] < limit {
                done.append(d)
            } else {
                kept.append(d)
                keptOffsets.append(pendingOffsets[i])
            }
        }
        PendingRecord.acknowledgeAll(done.filter { $0.receiverDone() })
        pending = kept
        pendingOffsets = keptOffsets
    }

    func rewind() {
        for d in pending {
            let tp = TopicPartition(topic: d.record.topic, partition: d.record.kafkaPartition ?? 0)
            positions[tp, default: 1] -= 1
        }
        held = pending + held
        pending = []
        pendingOffsets = []
    }

    func seek(_ offsets: [TopicPartition: Int64]) -> Bool { false }

    /// Everything not yet acknowledged — taken, held back or still queued — removed from this input.
    func takeUnacknowledged() -> [Delivery] {
        let all = pending + held + queue.takeAll()
        pending = []
        pendingOffsets = []
        held = []
        return all
    }

    /// Puts deliveries back in front of the stream (after a change in the number of tasks).
    func requeue(_ deliveries: [Delivery]) { held += deliveries }
}

/// Topic mode: records read by the task's consumer of the connector's group and converted with
/// its converters; a conversion failure goes through the task's error handling.
final class TopicSinkInput: SinkInput {
    let consumer: any TransportConsumer
    let codec: RecordCodec
    let errors: RetryWithTolerance
    let reporter: RuntimeErrantRecordReporter
    private(set) var positions: [TopicPartition: Int64] = [:]
    private var uncommitted = false
    private var paused: Set<TopicPartition> = []
    private(set) var isClosed = false

    init(consumer: any TransportConsumer, codec: RecordCodec, errors: RetryWithTolerance, reporter: RuntimeErrantRecordReporter) {
        self.consumer = consumer
        self.codec = codec
        self.errors = errors
        self.reporter = reporter
    }

    var hasUncommitted: Bool { uncommitted }

    func poll(max: Int, timeout: Duration, paused wanted: Set<TopicPartition>) async throws -> SinkInputEvent {
        if wanted != paused {
            consumer.pause(wanted.subtracting(paused))
            consumer.resume(paused.subtracting(wanted))
            paused = wanted
        }
        let batch: [ConsumedRecord]
        switch try await consumer.poll(max: max, timeout: timeout) {
        case .records(let records): batch = records
        case .revoked(let partitions): return .revoked(partitions)
        case .assigned(let partitions): return .assigned(partitions)
        case .endOfStream:
            isClosed = true
            return .end
        }
        var records: [SinkRecord] = []
        records.reserveCapacity(batch.count)
        for c in batch {
            if let r = try await convert(c) { records.append(r) }
        }
        // Batches come partition by partition, in offset order: the last of each run is the position.
        var i = batch.startIndex
        while i < batch.endIndex {
            var j = i
            while j + 1 < batch.endIndex && batch[j + 1].partition == batch[i].partition && batch[j + 1].topic == batch[i].topic { j += 1 }
            positions[batch[j].topicPartition] = batch[j].offset + 1
            i = j + 1
        }
        uncommitted = uncommitted || !batch.isEmpty
        reporter.setBatch(batch)
        return .records(records)
    }

    /// The task no longer owns these partitions (after their offsets were committed).
    func forget(_ partitions: [TopicPartition]) {
        for p in partitions { positions[p] = nil }
    }

    /// Key, value and headers through the converters, each stage under the error handler (which is
    /// only entered when a converter throws).
    private func convert(_ c: ConsumedRecord) async throws -> SinkRecord? {
        let codec = codec
        // The operations are written out twice (direct, then inside the recovery closure) so that the
        // common path allocates no closure context.
        let key: SchemaAndValue
        do {
            // A converter that never waits is called synchronously: no executor check after an await per record.
            key = codec.keyIsSynchronous
                ? try codec.key.toConnectData(topic: c.topic, headers: nil, value: c.record.key)
                : try await codec.key.deserialize(topic: c.topic, headers: nil, value: c.record.key)
        } catch {
            guard let k = try await errors.recover(.keyConverter, codec.keyClass, FailedRecord(consumed: c), {
                try await codec.key.deserialize(topic: c.topic, headers: nil, value: c.record.key)
            }, after: error) else { return nil }
            key = k
        }
        let value: SchemaAndValue
        do {
            value = codec.valueIsSynchronous
                ? try codec.value.toConnectData(topic: c.topic, headers: nil, value: c.record.value)
                : try await codec.value.deserialize(topic: c.topic, headers: nil, value: c.record.value)
        } catch {
            guard let v = try await errors.recover(.valueConverter, codec.valueClass, FailedRecord(consumed: c), {
                try await codec.value.deserialize(topic: c.topic, headers: nil, value: c.record.value)
            }, after: error) else { return nil }
            value = v
        }
        var headers = Headers()
        if !c.record.headers.isEmpty {
            do { headers = try Self.convertHeaders(c, codec) } catch {
                guard let h = try await errors.recover(.headerConverter, codec.headerClass, FailedRecord(consumed: c), {
                    try Self.convertHeaders(c, codec)
                }, after: error) else { return nil }
                headers = h
            }
        }
        return SinkRecord(
            topic: c.topic, partition: c.partition, keySchema: key.schema, key: key.value, valueSchema: value.schema, value: value.value,
            offset: c.offset, timestamp: c.record.timestamp, timestampType: .createTime, headers: headers)
    }

    private static func convertHeaders(_ c: ConsumedRecord, _ codec: RecordCodec) throws -> Headers {
        var h = Headers()
        for raw in c.record.headers {
            let sv = try codec.header.toConnectHeader(topic: c.topic, headerKey: raw.key, value: raw.value)
            h.add(Header(key: raw.key, value: sv.value, schema: sv.schema))
        }
        return h
    }

    func commit(upTo offsets: [TopicPartition: Int64]) async throws {
        guard uncommitted else { return }
        var committing: [TopicPartition: Int64] = [:]
        for (tp, position) in positions {
            if let limit = offsets[tp] { committing[tp] = min(limit, position) }
        }
        if !committing.isEmpty { try await consumer.commit(committing) }
        uncommitted = positions.contains { committing[$0.key] != $0.value }
    }

    func rewind() {
        positions = [:]
        uncommitted = false
    }

    func seek(_ offsets: [TopicPartition: Int64]) -> Bool {
        // Only partitions this task owns: another task's are not its to move.
        let owned = consumer.assignment
        let mine = offsets.filter { owned.contains($0.key) }
        consumer.seek(mine)
        positions.merge(mine) { $1 }
        uncommitted = uncommitted || !mine.isEmpty
        return true
    }
}

/// The sink task's `errantRecordReporter`: a record the task could not write goes through the error
/// handler (stage `TASK_PUT`) — with `errors.tolerance=none` the task fails, with `all` it is logged
/// and sent to the dead-letter queue with the bytes it was read as.
final class RuntimeErrantRecordReporter: ErrantRecordReporter {
    let errors: RetryWithTolerance
    let taskClass: String
    /// The consumed records of the batch being put (searched only when a record is reported).
    private let batch = Mutex<[ConsumedRecord]>([])

    init(errors: RetryWithTolerance, taskClass: String) {
        self.errors = errors
        self.taskClass = taskClass
    }

    func setBatch(_ raw: [ConsumedRecord]) { batch.withLock { $0 = raw } }

    func report(_ record: SinkRecord, error: any Error) async throws {
        let consumed = batch.withLock { b in
            b.first { $0.offset == record.originalKafkaOffset && $0.partition == record.originalKafkaPartition && $0.topic == record.originalTopic }
        }
        try await errors.failed(.taskPut, taskClass, FailedRecord(consumed: consumed, sink: record), error)
    }
}
