import ConnectKit
import Foundation
import Synchronization
import Testing

@testable import ConnectRuntime

@Suite("Pending records")
struct PendingRecordTests {
    /// `n` tracked records (one shared record value) with `receivers` receivers each.
    func submitted(_ n: Int, receivers: Int) -> [PendingRecord] {
        let tracker = SubmittedRecords(limiter: InFlightLimiter(maxRecords: 1_000_000, maxBytes: 1 << 40))
        let record = SourceRecord(sourcePartition: ["p": .string("x")], sourceOffset: ["o": .int64(1)], topic: "t", valueSchema: .int64, value: .int64(1))
        return tracker.submit(Array(repeating: record, count: n), sizes: Array(repeating: 1, count: n), receivers: Array(repeating: receivers, count: n))
    }

    /// Runs `first` and `second` on two threads of their own that start together (a spin barrier),
    /// so that they work on the same records at the same time.
    func together(_ first: @escaping @Sendable () -> Void, _ second: @escaping @Sendable () -> Void) {
        let ready = Atomic<Int>(0)
        let finished = DispatchGroup()
        for body in [first, second] {
            finished.enter()
            Thread {
                ready.add(1, ordering: .acquiringAndReleasing)
                while ready.load(ordering: .acquiring) < 2 {}
                body()
                finished.leave()
            }.start()
        }
        finished.wait()
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
        // Concurrently, record by record, in rounds that start both sides together.
        var lost = 0
        var twice = 0
        for _ in 0..<10 {
            let n = 20_000
            let pending = submitted(n, receivers: 2)
            let done = Mutex<[Bool]>([])
            let kept = Mutex<[Bool]>([])
            together({
                let results = pending.map { $0.receiverDone() }
                done.withLock { $0 = results }
            }, {
                let results = pending.map { !$0.receiverLeavesUnlessLast() }
                kept.withLock { $0 = results }
            })
            let (d, k) = (done.withLock { $0 }, kept.withLock { $0 })
            lost += (0..<n).count { !d[$0] && !k[$0] }
            twice += (0..<n).count { d[$0] && k[$0] }
        }
        #expect(lost == 0, "records neither acknowledged nor handed on")
        #expect(twice == 0, "records both acknowledged and handed on")
    }
}
