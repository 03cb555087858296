/// A task's error counters, named after Kafka Connect's `task-error-metrics` group.
public struct TaskErrorMetrics: Sendable, Hashable {
    /// `total-record-failures`: failed attempts, retries included.
    public var totalRecordFailures: Int
    /// `total-record-errors`: records whose operation finally failed.
    public var totalRecordErrors: Int
    /// `total-records-skipped`: records skipped because the failure was tolerated.
    public var totalRecordsSkipped: Int
    /// `total-retries`.
    public var totalRetries: Int
    /// `total-errors-logged`.
    public var totalErrorsLogged: Int
    /// `deadletterqueue-produce-requests`.
    public var deadLetterQueueProduceRequests: Int
    /// `deadletterqueue-produce-failures`.
    public var deadLetterQueueProduceFailures: Int
}

extension ErrorCounters {
    var snapshot: TaskErrorMetrics {
        TaskErrorMetrics(
            totalRecordFailures: recordFailures.value, totalRecordErrors: recordErrors.value, totalRecordsSkipped: recordsSkipped.value,
            totalRetries: retries.value, totalErrorsLogged: errorsLogged.value, deadLetterQueueProduceRequests: deadLetterRequests.value,
            deadLetterQueueProduceFailures: deadLetterFailures.value)
    }
}
