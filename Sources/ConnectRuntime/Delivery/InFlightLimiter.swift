import Synchronization

/// Bounds the records (and their approximate bytes) that are submitted but not yet acknowledged.
///
/// Sources acquire room before handing records to the runtime and wait while the pipeline is full;
/// acknowledgements release room. A slow sink therefore slows its sources and memory stays bounded.
/// A single batch larger than the limits is admitted when nothing else is in flight, so an
/// oversized record can never deadlock a pipeline.
final class InFlightLimiter: Sendable {
    let maxRecords: Int
    let maxBytes: Int
    private let state = Mutex<(records: Int, bytes: Int)>((0, 0))
    private let released = AsyncSignal()

    init(maxRecords: Int, maxBytes: Int) {
        self.maxRecords = max(1, maxRecords)
        self.maxBytes = max(1, maxBytes)
    }

    var inFlight: (records: Int, bytes: Int) { state.withLock { $0 } }

    /// `true` from half the limit on: time for the sinks to flush early.
    var isUnderPressure: Bool {
        state.withLock { $0.records * 2 >= maxRecords || $0.bytes * 2 >= maxBytes }
    }

    private func tryAcquire(_ records: Int, _ bytes: Int) -> Bool {
        state.withLock { s in
            let empty = s.records == 0
            if empty || (s.records + records <= maxRecords && s.bytes + bytes <= maxBytes) {
                s.records += records
                s.bytes += bytes
                return true
            }
            return false
        }
    }

    /// Waits until there is room; returns false instead when the task is cancelled or `abandon`
    /// becomes true (the worker is stopping).
    func acquire(records: Int, bytes: Int, abandon: @Sendable () -> Bool = { false }, onWait: @Sendable () -> Void = {}) async -> Bool {
        while true {
            let g = released.generation
            if tryAcquire(records, bytes) { return true }
            if Task.isCancelled || abandon() { return false }
            onWait()
            await released.wait(after: g, timeout: .milliseconds(100))
        }
    }

    func release(records: Int, bytes: Int) {
        state.withLock { s in
            s.records -= records
            s.bytes -= bytes
        }
        released.signal()
    }
}
