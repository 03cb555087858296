import ConnectKit
import Foundation
import Synchronization
import Testing

@testable import ConnectRuntime

@Suite("Pending records")
struct PendingRecordTests {
    func submitted(_ n: Int, receivers: Int) -> [PendingRecord] {
        let tracker = SubmittedRecords(limiter: InFlightLimiter(maxRecords: 1_000_000, maxBytes: 1 << 40))
        let records = (0..<n).map {
            SourceRecord(sourcePartition: ["p": .string("x")], sourceOffset: ["o": .int64(Int64($0))], topic: "t", valueSchema: .int64, value: .int64(Int64($0)))
        }
        return tracker.submit(records, sizes: Array(repeating: 1, count: n), receivers: Array(repeating: receivers, count: n))
    }

    /// A sink connector is removed (its queue leaves each record unless it is the last receiver)
    /// while another sink flushes the same records: for every record exactly one of them ends up
    /// owning it — the flushing sink acknowledges it, or the removed one hands it on. Never neither
    /// (the record would wait forever) nor both.
    @Test func aLeavingReceiverAndAFinishingOneNeverBothLetGo() {
        // In order: the leaver first (2 → 1, it left), then the last flush (1 → 0, done) …
        let a = submitted(1, receivers: 2)[0]
        #expect(a.receiverLeavesUnlessLast())
        #expect(a.receiverDone())
        // … or the flush first (2 → 1), then the leaver, now the last receiver, keeps the record.
        let b = submitted(1, receivers: 2)[0]
        #expect(!b.receiverDone())
        #expect(!b.receiverLeavesUnlessLast())
        // Concurrently, record by record.
        let n = 500_000
        let pending = submitted(n, receivers: 2)
        let done = Mutex<[Bool]>([])
        let kept = Mutex<[Bool]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { side in
            var results = [Bool](repeating: false, count: n)
            if side == 0 {
                for i in 0..<n { results[i] = pending[i].receiverDone() }
                done.withLock { $0 = results }
            } else {
                for i in 0..<n { results[i] = !pending[i].receiverLeavesUnlessLast() }
                kept.withLock { $0 = results }
            }
        }
        let (d, k) = (done.withLock { $0 }, kept.withLock { $0 })
        let lost = (0..<n).filter { !d[$0] && !k[$0] }
        let twice = (0..<n).filter { d[$0] && k[$0] }
        #expect(lost.isEmpty, "records neither acknowledged nor handed on: \(lost.count)")
        #expect(twice.isEmpty, "records both acknowledged and handed on: \(twice.count)")
    }
}
