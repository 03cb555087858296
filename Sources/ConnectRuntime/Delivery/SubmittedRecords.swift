import ConnectKit
import Synchronization

/// One source record on its way through the pipeline: the record itself, how many sinks still have
/// to flush it, and whether it is acknowledged. A single object per record is shared by the source's
/// tracker and every sink queue it sits in (no copies of the record).
final class PendingRecord: @unchecked Sendable {
    /// The record as delivered (after the source's transformations).
    let record: SourceRecord
    /// The record as the task polled it, when a transformation changed it (for `commitRecord`).
    let original: SourceRecord?
    /// A transformation dropped it or the error handler skipped it (`commitRecord` gets no metadata).
    let dropped: Bool
    let size: Int
    /// When the runtime took the record (ms since the epoch): its timestamp on the way to sinks
    /// when the source gave none, as Kafka's producer stamps `CreateTime`.
    let producedAt: Int64
    let tracker: SubmittedRecords
    private let remaining: Atomic<Int>
    /// Some receiver flushed the record (a sink, or the transport that stored it).
    private let flushedOnce = Atomic<Bool>(false)
    /// Guarded by the tracker's lock.
    fileprivate var acked = false
    /// The task gave the record up (its delivery failed, or the transport never took it): nobody
    /// waits for it any more. Guarded by the tracker's lock.
    fileprivate var givenUp = false
    /// Where the transport stored it (Kafka: the delivery report's partition and offset; -1 when
    /// unknown). Written before the acknowledgement, read after the drain: both under the tracker's lock.
    var storedPartition: Int32 = -1
    var storedOffset: Int64 = -1

    init(
        record: SourceRecord, original: SourceRecord? = nil, dropped: Bool = false, size: Int, receivers: Int, producedAt: Int64 = 0,
        tracker: SubmittedRecords
    ) {
        self.record = record
        self.original = original
        self.dropped = dropped
        self.size = size
        self.producedAt = producedAt
        self.tracker = tracker
        remaining = Atomic(receivers)
    }

    /// The record as the task polled it: its source partition and offset are what gets committed
    /// (Kafka's `SubmittedRecords` keeps the pre-transformation record), and what error reports name.
    var polled: SourceRecord { original ?? record }

    /// One receiver has flushed the record; `true` when it was the last.
    func receiverDone() -> Bool {
        flushedOnce.store(true, ordering: .relaxed)  // published by the decrement's release
        return remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0
    }

    /// Whether a receiver flushed the record (read after ``receiverLeavesUnlessLast()``, whose
    /// acquiring load makes an earlier receiver's flush visible).
    var wasFlushed: Bool { flushedOnce.load(ordering: .relaxed) }

    var isUnreceived: Bool { remaining.load(ordering: .relaxed) == 0 }

    /// One receiver leaves the record unless it is the last one: `true` when it left (others still
    /// have to flush it, so the record is not done), `false` when it is the last receiver (the
    /// record stays with it, to be handed on). One atomic step: a check followed by a separate
    /// decrement could see another receiver finish in between, and the record would then be neither
    /// acknowledged nor handed on.
    func receiverLeavesUnlessLast() -> Bool {
        var current = remaining.load(ordering: .acquiring)
        assert(current >= 1, "a receiver leaves a record it does not hold")
        while current > 1 {
            let (exchanged, original) = remaining.compareExchange(expected: current, desired: current - 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// A record held for a topic nobody read (one placeholder receiver) is handed to `count`
    /// receivers: the placeholder becomes the first of them.
    func handOver(to count: Int) {
        precondition(count > 0)
        if count > 1 { remaining.add(count - 1, ordering: .acquiringAndReleasing) }
    }

    /// Acknowledges records whose last receiver is done, grouped by source task: one lock per
    /// group, not per record.
    static func acknowledgeAll(_ records: [PendingRecord]) {
        guard let first = records.first else { return }
        if records.allSatisfy({ $0.tracker === first.tracker }) {
            first.tracker.acknowledge(records)
            return
        }
        var groups: [(tracker: SubmittedRecords, records: [PendingRecord])] = []
        for p in records {
            if let i = groups.firstIndex(where: { $0.tracker === p.tracker }) {
                groups[i].records.append(p)
            } else {
                groups.append((p.tracker, [p]))
            }
        }
        for g in groups { g.tracker.acknowledge(g.records) }
    }
}

/// Tracks the records a source task handed to the runtime until they are acknowledged, and which
/// source offsets may be committed (Kafka's `SubmittedRecords`).
///
/// Records are acknowledged in any order (several sinks, several sink tasks), but an offset is
/// committable only when every earlier record of the same source partition is acknowledged too.
/// Submission and acknowledgement work on batches: one lock per batch, not per record.
final class SubmittedRecords: Sendable {
    private struct Partition {
        let key: [String: Value]
        var records: [PendingRecord] = []
        var head = 0
    }

    private struct State {
        var partitions: [Partition] = []
        var index: [[String: Value]: Int] = [:]
        /// Records not yet drained (the acknowledged prefix of each partition leaves).
        var outstanding = 0
        /// Records neither acknowledged nor given up: what a stopping task waits for.
        var awaited = 0
        /// Records the transport could not store, with why (until the task takes them).
        var failures: [(PendingRecord, ErrorBox)] = []
    }

    private let state = Mutex(State())
    let limiter: InFlightLimiter
    /// Signalled whenever records are acknowledged.
    let acknowledged = AsyncSignal()

    init(limiter: InFlightLimiter) { self.limiter = limiter }

    /// Registers a batch of records (with their sizes and receiver counts) in order. The records
    /// move into the pending records (no copies).
    func submit(
        _ records: consuming [SourceRecord], sizes: [Int], receivers: [Int], originals: [SourceRecord]? = nil, dropped: [Bool]? = nil,
        producedAt: Int64 = wallClockMilliseconds()
    ) -> [PendingRecord] {
        var pending: [PendingRecord] = []
        pending.reserveCapacity(records.count)
        var i = 0
        for r in consume records {
            pending.append(PendingRecord(
                record: r, original: originals?[i], dropped: dropped?[i] ?? false, size: sizes[i], receivers: receivers[i],
                producedAt: producedAt, tracker: self))
            i += 1
        }
        state.withLock { s in
            var last = -1
            for p in pending {
                let key = p.polled.sourcePartition
                if last < 0 || !sameDictionary(s.partitions[last].key, key) {
                    if let i = s.index[key] {
                        last = i
                    } else {
                        last = s.partitions.count
                        s.index[key] = last
                        s.partitions.append(Partition(key: key))
                    }
                }
                s.partitions[last].records.append(p)
            }
            s.outstanding += pending.count
            s.awaited += pending.count
        }
        // Records that need no receiver (dropped by a transformation, or skipped by the error
        // handler) are acknowledged at once.
        let unreceived = pending.filter(\.isUnreceived)
        if !unreceived.isEmpty { acknowledge(unreceived) }
        return pending
    }

    /// Marks records acknowledged and frees their room in the in-flight limit.
    func acknowledge(_ records: [PendingRecord]) {
        guard !records.isEmpty else { return }
        var bytes = 0
        state.withLock { s in
            for r in records {
                if !r.acked && !r.givenUp { s.awaited -= 1 }
                r.acked = true
                bytes += r.size
            }
        }
        limiter.release(records: records.count, bytes: bytes)
        acknowledged.signal()
    }

    /// The transport could not store a record (Kafka: the producer's send callback failed).
    func deliveryFailed(_ record: PendingRecord, error: any Error) {
        state.withLock { $0.failures.append((record, ErrorBox(error))) }
        acknowledged.signal()
    }

    /// Whether delivery failures wait for the task (``takeDeliveryFailures()``).
    var hasDeliveryFailures: Bool { state.withLock { !$0.failures.isEmpty } }

    /// The delivery failures since the last call.
    func takeDeliveryFailures() -> [(record: PendingRecord, error: any Error)] {
        state.withLock { s in
            defer { s.failures = [] }
            return s.failures.map { ($0.0, $0.1.error) }
        }
    }

    /// Forgets every record (when the source task ends), releasing the references between the
    /// tracker and its pending records.
    func reset() {
        state.withLock { $0 = State() }
    }

    /// Records not yet acknowledged.
    var outstanding: Int { state.withLock { $0.outstanding } }

    /// Records neither acknowledged nor given up: what a stopping task waits for. (Acknowledged
    /// records behind an unacknowledged one stay ``outstanding`` but are not awaited.)
    var awaited: Int { state.withLock { $0.awaited } }

    /// Gives records up (their delivery failed and the task failed on them, or the transport never
    /// took them): a stopping task does not wait for them. They stay unacknowledged, so the offsets
    /// never pass them. Giving a record up twice, or after its acknowledgement, changes nothing.
    func abandon(_ records: some Sequence<PendingRecord>) {
        state.withLock { s in
            for r in records where !r.acked && !r.givenUp {
                r.givenUp = true
                s.awaited -= 1
            }
        }
        acknowledged.signal()
    }

    /// Removes the acknowledged prefix of every partition: the records in submission order (for
    /// `commitRecord`) and, per partition, the offset that is now committable.
    func drainCommittable() -> (records: [PendingRecord], offsets: SourceOffsets) {
        state.withLock { s in
            var records: [PendingRecord] = []
            var offsets: SourceOffsets = [:]
            for i in s.partitions.indices {
                var head = s.partitions[i].head
                let all = s.partitions[i].records
                while head < all.count, all[head].acked {
                    records.append(all[head])
                    head += 1
                }
                let drained = head - s.partitions[i].head
                guard drained > 0 else { continue }
                offsets[s.partitions[i].key] = all[head - 1].polled.sourceOffset
                s.outstanding -= drained
                if head == all.count {
                    s.partitions[i].records.removeAll(keepingCapacity: true)
                    s.partitions[i].head = 0
                } else if head > 1024 {
                    s.partitions[i].records.removeFirst(head)
                    s.partitions[i].head = 0
                } else {
                    s.partitions[i].head = head
                }
            }
            return (records, offsets)
        }
    }
}

/// Equal dictionaries, checking first whether both share storage (sources usually reuse one
/// partition dictionary for a whole batch) before comparing contents.
@inline(__always)
func sameDictionary(_ a: [String: Value], _ b: [String: Value]) -> Bool {
    let identical = withUnsafeBytes(of: a) { x in withUnsafeBytes(of: b) { y in x.elementsEqual(y) } }
    return identical || a == b
}
