import CRdKafka

extension KafkaProducer {
    /// Runs a transactional librdkafka call and turns its `rd_kafka_error_t` into a ``KafkaError``
    /// (which says whether the transaction must be aborted or the producer is fenced).
    private func transactional(_ what: String, _ call: () -> OpaquePointer?) throws(KafkaError) {
        guard let error = call() else { return }
        defer { rd_kafka_error_destroy(error) }
        var message = "\(what): \(String(cString: rd_kafka_error_string(error)))"
        if rd_kafka_error_is_fatal(error) != 0 { message += " (fatal: this producer is fenced or broken)" }
        else if rd_kafka_error_txn_requires_abort(error) != 0 { message += " (the transaction must be aborted)" }
        throw KafkaError(code: rd_kafka_error_code(error).rawValue, message: message)
    }

    /// Registers the producer's `transactional.id` with the cluster, fencing an earlier producer
    /// with the same id and aborting the transaction it left open (a killed worker's). Blocks at
    /// most `timeout`.
    public func initTransactions(timeout: Duration = .seconds(60)) throws(KafkaError) {
        try transactional("Initializing transactions") { rd_kafka_init_transactions(rawHandle, timeout.kafkaMilliseconds) }
    }

    /// Starts a transaction: the records sent until ``commitTransaction(timeout:)`` are committed
    /// or aborted together.
    public func beginTransaction() throws(KafkaError) {
        try transactional("Beginning a transaction") { rd_kafka_begin_transaction(rawHandle) }
    }

    /// Flushes the transaction's records and commits them: `read_committed` consumers see all of
    /// them or (after an abort) none. Blocks at most `timeout`.
    public func commitTransaction(timeout: Duration = .seconds(60)) throws(KafkaError) {
        try transactional("Committing the transaction") { rd_kafka_commit_transaction(rawHandle, timeout.kafkaMilliseconds) }
    }

    /// Aborts the transaction: its records stay in the log, marked aborted. Blocks at most `timeout`.
    public func abortTransaction(timeout: Duration = .seconds(60)) throws(KafkaError) {
        try transactional("Aborting the transaction") { rd_kafka_abort_transaction(rawHandle, timeout.kafkaMilliseconds) }
    }
}
