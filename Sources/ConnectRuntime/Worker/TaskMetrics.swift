import CoreMetrics
import Synchronization

/// A counter kept both in-process (for status, progress and tests) and in swift-metrics.
final class CountedMetric: Sendable {
    private let total = Atomic<Int>(0)
    private let counter: Counter

    init(_ label: String, _ dimensions: [(String, String)], _ factory: any MetricsFactory) {
        counter = Counter(label: label, dimensions: dimensions, factory: factory)
    }

    func increment(by n: Int = 1) {
        guard n > 0 else { return }
        // Releasing (and `value` acquiring): a reader that sees the count sees what was stored before
        // it (the source task counts polled records active before it counts them polled).
        total.add(n, ordering: .releasing)
        counter.increment(by: Int64(n))
    }

    var value: Int { total.load(ordering: .acquiring) }
}

/// One task's metrics, with Kafka Connect's metric names as swift-metrics labels and `connector`
/// and `task` dimensions:
///
/// | label | kind | Kafka group |
/// | --- | --- | --- |
/// | `source-record-poll-total` | counter | source-task-metrics |
/// | `source-record-write-total` | counter | source-task-metrics |
/// | `poll-batch-time` | timer (Kafka: `poll-batch-avg-time-ms`/`-max-`) | source-task-metrics |
/// | `source-record-active-count` | gauge | source-task-metrics |
/// | `sink-record-read-total` | counter | sink-task-metrics |
/// | `sink-record-send-total` | counter | sink-task-metrics |
/// | `put-batch-time` | timer (Kafka: `put-batch-avg-time-ms`/`-max-`) | sink-task-metrics |
/// | `offset-commit-completion-total`, `offset-commit-skip-total` | counter | sink-task-metrics |
/// | `offset-commit-time` | timer (Kafka: `offset-commit-avg-time-ms`/`-max-`) | connector-task-metrics |
/// | `batch-size` | recorder (Kafka: `batch-size-avg`/`-max`) | connector-task-metrics |
/// | `total-record-failures`, `total-record-errors`, `total-records-skipped`, `total-retries`, `total-errors-logged`, `deadletterqueue-produce-requests`, `deadletterqueue-produce-failures` | counter | task-error-metrics |
///
/// Rates (`source-record-poll-rate`, records/s) are what a metrics backend derives from the totals.
final class TaskMetrics: Sendable {
    let polled: CountedMetric
    let written: CountedMetric
    let read: CountedMetric
    let sent: CountedMetric
    let commitsCompleted: CountedMetric
    let commitsSkipped: CountedMetric
    let errors: ErrorCounters
    private let pollTime: CoreMetrics.Timer
    private let putTime: CoreMetrics.Timer
    private let commitTime: CoreMetrics.Timer
    private let batchSize: Recorder
    private let active: Gauge
    private let activeCount = Atomic<Int>(0)
    /// Turns of the task's loop (each poll of its input or source): what an idle task costs.
    let wakeUps = Atomic<Int>(0)

    init(connector: String, task: Int, factory: any MetricsFactory) {
        let d = [("connector", connector), ("task", String(task))]
        polled = CountedMetric("source-record-poll-total", d, factory)
        written = CountedMetric("source-record-write-total", d, factory)
        read = CountedMetric("sink-record-read-total", d, factory)
        sent = CountedMetric("sink-record-send-total", d, factory)
        commitsCompleted = CountedMetric("offset-commit-completion-total", d, factory)
        commitsSkipped = CountedMetric("offset-commit-skip-total", d, factory)
        errors = ErrorCounters(dimensions: d, factory: factory)
        pollTime = CoreMetrics.Timer(label: "poll-batch-time", dimensions: d, factory: factory)
        putTime = CoreMetrics.Timer(label: "put-batch-time", dimensions: d, factory: factory)
        commitTime = CoreMetrics.Timer(label: "offset-commit-time", dimensions: d, factory: factory)
        batchSize = Recorder(label: "batch-size", dimensions: d, aggregate: true, factory: factory)
        active = Gauge(label: "source-record-active-count", dimensions: d, factory: factory)
    }

    func recordPoll(_ count: Int, _ duration: Duration) {
        polled.increment(by: count)
        pollTime.recordNanoseconds(duration.nanoseconds)
        batchSize.record(count)
    }

    func recordPut(_ read: Int, sent: Int, _ duration: Duration) {
        self.read.increment(by: read)
        self.sent.increment(by: sent)
        putTime.recordNanoseconds(duration.nanoseconds)
        batchSize.record(sent)
    }

    func recordCommit(_ duration: Duration) {
        commitsCompleted.increment()
        commitTime.recordNanoseconds(duration.nanoseconds)
    }

    func setActive(_ count: Int) {
        activeCount.store(count, ordering: .relaxed)
        active.record(count)
    }

    /// Adds records just polled to the active count (Kafka's `recordPoll`); the next `setActive` recounts.
    func addActive(_ count: Int) {
        active.record(activeCount.add(count, ordering: .relaxed).newValue)
    }

    var snapshot: TaskMetricsSnapshot {
        TaskMetricsSnapshot(
            sourceRecordPollTotal: polled.value, sourceRecordWriteTotal: written.value, sourceRecordActiveCount: activeCount.load(ordering: .relaxed),
            sinkRecordReadTotal: read.value, sinkRecordSendTotal: sent.value, offsetCommitCompletionTotal: commitsCompleted.value,
            offsetCommitSkipTotal: commitsSkipped.value, errors: errors.snapshot)
    }
}

/// A task's counters at one moment (the in-process view of ``TaskMetrics``'s swift-metrics).
public struct TaskMetricsSnapshot: Sendable, Hashable {
    /// `source-record-poll-total`: records the source task polled.
    public var sourceRecordPollTotal: Int
    /// `source-record-write-total`: records it handed on (after transformations).
    public var sourceRecordWriteTotal: Int
    /// Records polled and not yet acknowledged.
    public var sourceRecordActiveCount: Int
    /// `sink-record-read-total`: records the sink task read.
    public var sinkRecordReadTotal: Int
    /// `sink-record-send-total`: records given to its `put` (after transformations).
    public var sinkRecordSendTotal: Int
    /// `offset-commit-completion-total`: commits done.
    public var offsetCommitCompletionTotal: Int
    /// `offset-commit-skip-total`: commits skipped (nothing new to commit).
    public var offsetCommitSkipTotal: Int
    /// The task's error counters (task-error-metrics).
    public var errors: TaskErrorMetrics
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
