import ConnectKit
import Synchronization

/// Tracks the records a source task handed to the runtime until they are acknowledged, and which
/// source offsets may be committed (Kafka's `SubmittedRecords`).
///
/// Records are acknowledged in any order (several sinks, several sink tasks), but an offset is
/// committable only when every earlier record of the same source partition is acknowledged too.
final class SubmittedRecords: Sendable {
    final class Entry: Sendable {
        let record: SourceRecord
        let partition: [String: Value]
        let seq: UInt64
        init(record: SourceRecord, seq: UInt64) {
            self.record = record
            self.partition = record.sourcePartition
            self.seq = seq
        }
    }

    private struct State {
        var nextSeq: UInt64 = 0
        var pending: [[String: Value]: [Entry]] = [:]  // per partition, in submission order
        var heads: [[String: Value]: Int] = [:]
        var acked: Set<UInt64> = []
        var outstanding = 0
    }

    private let state = Mutex(State())
    /// Signalled whenever a record is acknowledged.
    let acknowledged = AsyncSignal()

    /// Registers a record; returns its entry to acknowledge later.
    func submit(_ record: SourceRecord) -> Entry {
        state.withLock { s in
            let e = Entry(record: record, seq: s.nextSeq)
            s.nextSeq &+= 1
            s.pending[e.partition, default: []].append(e)
            s.outstanding += 1
            return e
        }
    }

    func ack(_ entry: Entry) {
        state.withLock { _ = $0.acked.insert(entry.seq) }
        acknowledged.signal()
    }

    /// Records not yet acknowledged.
    var outstanding: Int { state.withLock { $0.outstanding } }

    /// Removes the acknowledged prefix of every partition: the records in submission order (for
    /// `commitRecord`) and, per partition, the offset that is now committable.
    func drainCommittable() -> (records: [SourceRecord], offsets: [[String: Value]: [String: Value]]) {
        state.withLock { s in
            var records: [SourceRecord] = []
            var offsets: [[String: Value]: [String: Value]] = [:]
            for (partition, entries) in s.pending {
                var head = s.heads[partition] ?? 0
                while head < entries.count, s.acked.remove(entries[head].seq) != nil {
                    records.append(entries[head].record)
                    offsets[partition] = entries[head].record.sourceOffset
                    head += 1
                }
                s.outstanding -= head - (s.heads[partition] ?? 0)
                if head == entries.count {
                    s.pending[partition] = nil
                    s.heads[partition] = nil
                } else if head > 256 {
                    s.pending[partition] = Array(entries[head...])
                    s.heads[partition] = 0
                } else {
                    s.heads[partition] = head
                }
            }
            return (records, offsets)
        }
    }
}
