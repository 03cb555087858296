import ConnectKit
import Logging

extension Worker {
    /// One sink task's loop: take records (direct or from a topic), transform, put, and flush on
    /// `offset.flush.interval.ms`, on request and under pressure; a flush acknowledges what was put.
    func runSinkTask(_ plan: SinkTaskPlan, runner: TaskRunner) async {
        let log = logger.with("connector", plan.connector).with("task", "\(plan.index)")
        var started = false
        let task = plan.type.init()
        var opened: [TopicPartition] = []
        var openedSet: Set<TopicPartition> = []
        var failed = false
        var lastFlush = clock.now
        let interval = Duration.milliseconds(config.offsetFlushIntervalMs)
        var chain = TransformChain.empty
        var input: (any SinkInput)? = nil
        var outerErrors: RetryWithTolerance? = nil
        let metrics = taskMetrics(plan.connector, plan.index)

        func flush() async {
            guard let input, !failed else { return }
            guard input.hasUncommitted else {
                // Nothing to commit is a commit done: the next one is due an interval from now (an
                // idle sink must not wake up every millisecond).
                metrics.commitsSkipped.increment()
                lastFlush = clock.now
                return
            }
            let offsets = input.positions.mapValues { OffsetAndMetadata(offset: $0) }
            do {
                let started = ContinuousClock.now
                _ = try await task.preCommit(offsets)
                try outerErrors?.syncDeadLetters()  // dead-letter records are durable before offsets pass them
                input.commit()
                metrics.recordCommit(ContinuousClock.now - started)
                lastFlush = clock.now
            } catch {
                // Not acknowledged: the sources will deliver these records again after a restart.
                log.error("flush failed; records since the last flush stay unacknowledged: \(error)")
                lastFlush = clock.now
            }
        }

        // Flushes on offset.flush.interval.ms, when a source is under pressure, when the task asks
        // (requestCommit), and when the worker is asked to (commitOffsets()).
        var servedFlush = flushRequests.load(ordering: .acquiring)
        var servedRound = commitRequests.load(ordering: .acquiring)
        func flushIfDue(requested: Bool) async {
            let pressure = flushRequests.load(ordering: .acquiring)
            let round = commitRequests.load(ordering: .acquiring)
            if requested || clock.now - lastFlush >= interval || pressure != servedFlush || round != servedRound { await flush() }
            servedFlush = pressure
            if round != servedRound {
                servedRound = round
                served(runner, round)
            }
        }

        do {
            let codec = try RecordCodec(worker: config.originals, connector: plan.connectorConfig, registry: registry)
            let errors = try errorHandler(connector: plan.connector, config: plan.connectorConfig, task: plan.index, codec: codec, logger: log)
            outerErrors = errors
            let reporter = RuntimeErrantRecordReporter(errors: errors, taskClass: plan.taskClassName)
            let context = RuntimeSinkTaskContext(
                config: plan.config, assigned: [], logger: log, reporter: reporter,
                waiting: WaitingReporter(logger: log, board: board, connector: plan.connector, task: plan.index))
            if let direct = plan.direct {
                input = direct
            } else if let consumer = plan.consumer {
                input = TopicSinkInput(consumer: consumer, codec: codec, errors: errors, reporter: reporter)
            }
            guard let input else { return }
            input.rewind()  // a new instance gets again what an earlier one took and did not flush
            chain = try TransformChain(config: plan.connectorConfig, registry: registry)
            task.initialize(context: context)
            try await task.start(plan.config)
            board.task(plan.connector, plan.index, runningState(plan.connector))
            started = true
            runner.didStart()
            log.info("sink task started")
            while !runner.abort.load(ordering: .acquiring) {
                if isPaused(plan.connector) && !input.isClosed {
                    // Paused: take no new records, but keep flushing what was taken.
                    let g = pauseChanged.generation
                    await flushIfDue(requested: false)
                    await pauseChanged.wait(after: g, timeout: .milliseconds(200))
                    continue
                }
                metrics.wakeUps.add(1, ordering: .relaxed)
                let wait = max(Duration.milliseconds(1), min(.milliseconds(500), interval - (clock.now - lastFlush)))
                guard let polled = try await input.poll(max: config.maxPollRecords, timeout: wait, paused: context.paused) else { break }
                if !polled.isEmpty {
                    var newPartitions: [TopicPartition] = []
                    for r in polled where !openedSet.contains(r.originalTopicPartition) {
                        openedSet.insert(r.originalTopicPartition)
                        opened.append(r.originalTopicPartition)
                        newPartitions.append(r.originalTopicPartition)
                    }
                    if !newPartitions.isEmpty { try await task.open(newPartitions) }
                    var records = polled
                    if !chain.isEmpty {
                        records = []
                        records.reserveCapacity(polled.count)
                        for r in polled {
                            if let t = try await transform(r, chain: chain, errors: errors, failed: { FailedRecord(sink: $0) }) { records.append(t) }
                        }
                    }
                    let started = ContinuousClock.now
                    if !records.isEmpty { try await put(records, task: task, context: context, log: log) }
                    metrics.recordPut(polled.count, sent: records.count, ContinuousClock.now - started)
                }
                let rewinds = context.takeRewinds()
                if !rewinds.isEmpty && !input.seek(rewinds) {
                    log.warning("offset rewind requested for \(rewinds.keys.map(\.description).sorted()) but direct mode has no log to replay from")
                }
                await flushIfDue(requested: context.takeCommitRequest())
            }
        } catch {
            failed = true
            log.error("sink task failed: \(error)")
            board.task(plan.connector, plan.index, .failed, trace: failureTrace(error))
            if !started { runner.didStart() }
            // Nothing taken since the last flush is acknowledged: a restarted task gets it again.
        }
        await flush()
        do {
            if !opened.isEmpty { try await task.close(opened) }
            try await task.stop()
        } catch {
            log.warning("sink task stop failed: \(error)")
        }
        chain.close()
        if !failed { board.task(plan.connector, plan.index, .unassigned) }
        log.info("sink task stopped")
    }

    /// `put`, retried after a ``RetriableError`` (waiting what the task asked with `timeout(ms:)`,
    /// else 100 ms doubling up to 10 s) until it succeeds or the worker stops; any other error
    /// fails the task.
    private func put(_ records: [SinkRecord], task: any SinkTask, context: RuntimeSinkTaskContext, log: Logger) async throws {
        var backoff = Duration.milliseconds(100)
        while true {
            do {
                try await task.put(records)
                return
            } catch let e as RetriableError {
                let wait = context.takeRetryTimeout().map { Duration.milliseconds($0) } ?? backoff
                log.warning("put failed, retrying in \(wait): \(e)")
                try await clock.sleep(for: wait)
                backoff = min(backoff * 2, .seconds(10))
            }
        }
    }
}
