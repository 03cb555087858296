#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The time a worker decides by: when to flush sinks and commit offsets
/// (`offset.flush.interval.ms`) and how long to back off before a retry.
///
/// The default is the system's monotonic clock. ConnectKitTesting's `ManualClock` lets a test move
/// time forward by hand, so "after the flush interval" needs no real waiting.
public protocol PipelineClock: Sendable {
    /// Time since a fixed point of this clock.
    var now: Duration { get }
    /// Sleeps for `duration` of this clock's time; throws `CancellationError` when cancelled.
    func sleep(for duration: Duration) async throws
    /// Registers a callback run whenever this clock's time jumps (a manual clock advanced), so
    /// that waiting loops re-check their deadlines at once. The system clock never jumps.
    func onAdvance(_ body: @escaping @Sendable () -> Void)
}

/// The system's monotonic clock.
public struct SystemPipelineClock: PipelineClock {
    private let origin = ContinuousClock.now

    /// The system's monotonic clock.
    public init() {}

    public var now: Duration { ContinuousClock.now - origin }

    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }

    public func onAdvance(_ body: @escaping @Sendable () -> Void) {}
}

/// Wall-clock time in milliseconds since the epoch (what Kafka's producer stamps on a record that
/// has no timestamp).
func wallClockMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
