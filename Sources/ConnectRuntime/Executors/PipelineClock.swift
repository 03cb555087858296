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

    public init() {}

    public var now: Duration { ContinuousClock.now - origin }

    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }

    public func onAdvance(_ body: @escaping @Sendable () -> Void) {}
}
