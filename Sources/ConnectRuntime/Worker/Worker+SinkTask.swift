import ConnectKit
import Logging
import Synchronization

extension Worker {
    /// One run of a sink task (Kafka's `WorkerSinkTask`): take records (direct, or from its
    /// consumer group in topic mode), transform, put, and flush on `offset.flush.interval.ms`, on
    /// request and under pressure; a flush acknowledges what was put. In topic mode partitions are
    /// opened when the group assigns them and flushed, committed and closed when it takes them away,
    /// in Kafka's order.
    func runSinkTask(_ plan: SinkTaskPlan, task: WorkerTask, control: RunControl) async {
        let log = logger.with("connector", plan.connector).with("task", "\(plan.index)")
        var started = false
        let sinkTask = plan.type.init()
        var opened: [TopicPartition] = []
        var openedSet: Set<TopicPartition> = []
        var failed = false
        var lastFlush = clock.now
        let interval = Duration.milliseconds(config.offsetFlushIntervalMs)
        var chain = TransformChain.empty
        let activeTopics = connector(plan.connector)?.activeTopics
        var input: (any SinkInput)? = nil
        // A connector's consumer.override.max.poll.records (its policy allowing) wins over the worker's.
        let maxPollRecords = plan.connectorConfig["consumer.override.max.poll.records"].flatMap { Int($0.trimmingWhitespace()) }
            .flatMap { $0 > 0 ? $0 : nil } ?? config.maxPollRecords
        var consumer: (any TransportConsumer)? = nil
        var outerErrors: RetryWithTolerance? = nil
        let metrics = taskMetrics(plan.connector, plan.index)

        /// A dead-letter record that could not be stored: the task fails at its next turn (Kafka:
        /// "Could not produce message to dead letter queue"), its offsets never passing the record.
        var deadLetterFailure: DeadLetterQueueError? = nil

        /// Flushes what was put (`preCommit`), then commits the positions: the records are acknowledged.
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
                // Kafka commits what preCommit returns: a sink that writes asynchronously may return
                // less than it was given, and only that much is acknowledged.
                let flushed = try await sinkTask.preCommit(offsets)
                try await outerErrors?.syncDeadLetters(until: .now + .milliseconds(config.offsetFlushTimeoutMs))  // dead-letter records are durable before offsets pass them
                // Without Kafka the offsets are kept where a restart numbers on from them, before
                // the commit acknowledges the records (Worker+SinkOffsets.swift).
                try persistSinkOffsets(connector: plan.connector, flushed.mapValues(\.offset))
                try await input.commit(upTo: flushed.mapValues(\.offset))
                metrics.recordCommit(ContinuousClock.now - started)
                lastFlush = clock.now
            } catch {
                // Not acknowledged: the sources will deliver these records again after a restart.
                log.error("flush failed; records since the last flush stay unacknowledged: \(error)")
                lastFlush = clock.now
                if let e = error as? DeadLetterQueueError { deadLetterFailure = e }
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
                served(task, round)
            }
        }

        func open(_ partitions: [TopicPartition]) async throws {
            let new = partitions.filter { openedSet.insert($0).inserted }
            opened += new
            if !new.isEmpty { try await sinkTask.open(new) }
        }

        do {
            let codec = try RecordCodec(worker: config.originals, connector: plan.connectorConfig, registry: registry)
            let errors = try errorHandler(connector: plan.connector, config: plan.connectorConfig, task: plan.index, codec: codec, logger: log)
            outerErrors = errors
            let reporter = RuntimeErrantRecordReporter(errors: errors, taskClass: plan.taskClassName)
            let context = RuntimeSinkTaskContext(
                config: plan.config, logger: log, reporter: reporter, waiting: WaitingReporter(logger: log, task: task))
            if let direct = plan.direct {
                // Records are numbered on from the offsets the last run committed (not from 0).
                direct.seed(storedSinkNumbering())
                input = direct
            } else if let group = plan.group {
                let c: any TransportConsumer
                if let prepared = task.takePreparedConsumer() {
                    c = prepared
                } else {
                    c = try transport.makeConsumer(group: group, clientID: "connector-consumer-\(plan.connector)-\(plan.index)", connectorConfig: plan.connectorConfig)
                    c.subscribe(plan.subscription)
                }
                consumer = c
                context.assignmentSource = { [weak c] in c?.assignment ?? [] }
                input = TopicSinkInput(consumer: c, codec: codec, errors: errors, reporter: reporter)
            }
            guard let input else { return }
            input.rewind()  // a new instance gets again what an earlier one took and did not flush
            chain = try TransformChain(config: plan.connectorConfig, registry: registry)
            sinkTask.initialize(context: context)
            try await sinkTask.start(plan.config)
            task.started(run: control.run)
            started = true
            log.info("sink task started")
            loop: while !control.isStopRequested && !Task.isCancelled {
                let paused = isPaused(plan.connector) && !input.isClosed
                if paused && consumer == nil {
                    // Paused (direct mode): take no new records, but keep flushing what was taken.
                    let c = connector(plan.connector)
                    let g = c?.targetChanged.generation ?? 0
                    await flushIfDue(requested: false)
                    let due = max(Duration.milliseconds(1), interval - (clock.now - lastFlush))
                    await c?.targetChanged.wait(after: g, timeout: due)
                    continue
                }
                metrics.wakeUps.add(1, ordering: .relaxed)
                let wait = max(Duration.milliseconds(1), min(.milliseconds(500), interval - (clock.now - lastFlush)))
                // Paused in topic mode: keep polling with every partition paused, as Kafka's worker
                // does, so that the task stays in its group and sees rebalances.
                let pausedPartitions = paused ? (consumer?.assignment ?? []).union(context.paused) : context.paused
                switch try await input.poll(max: maxPollRecords, timeout: wait, paused: pausedPartitions) {
                case .end:
                    break loop
                case .assigned(let partitions):
                    // Kafka's onPartitionsAssigned: open them (reading starts at the committed offsets).
                    try await open(partitions)
                case .revoked(let partitions):
                    // Kafka's onPartitionsRevoked: flush and commit, then close them.
                    await flush()
                    (input as? TopicSinkInput)?.forget(partitions)
                    let closing = partitions.filter { openedSet.remove($0) != nil }
                    opened.removeAll { closing.contains($0) }
                    if !closing.isEmpty { try await sinkTask.close(closing) }
                case .records(let polled):
                    if !polled.isEmpty {
                        activeTopics?.note(polled) { $0.originalTopic }
                        // Direct mode has no assignment: a partition opens when its first record arrives.
                        if consumer == nil { try await open(polled.map(\.originalTopicPartition)) }
                        var records = polled
                        if !chain.isEmpty {
                            records = []
                            records.reserveCapacity(polled.count)
                            for r in polled {
                                if let t = try await transform(r, chain: chain, errors: errors, failed: { FailedRecord(sink: $0) }) { records.append(t) }
                            }
                        }
                        let started = ContinuousClock.now
                        if !records.isEmpty { try await put(records, task: sinkTask, context: context, control: control, log: log) }
                        metrics.recordPut(polled.count, sent: records.count, ContinuousClock.now - started)
                    }
                }
                let rewinds = context.takeRewinds()
                if !rewinds.isEmpty && !input.seek(rewinds) {
                    log.warning("offset rewind requested for \(rewinds.keys.map(\.description).sorted()) but direct mode has no log to replay from")
                }
                await flushIfDue(requested: context.takeCommitRequest())
                if let e = deadLetterFailure { throw e }
            }
        } catch {
            failed = true
            log.error("sink task failed: \(error)")
            task.failed(run: control.run, trace: failureTrace(error))
            // Nothing taken since the last flush is acknowledged: a restarted task gets it again.
        }
        await flush()
        do {
            if !opened.isEmpty { try await sinkTask.close(opened) }
            try await sinkTask.stop()
        } catch {
            log.warning("sink task stop failed: \(error)")
        }
        consumer?.close()
        outerErrors?.close()
        chain.close()
        if !started && !failed { task.started(run: control.run) }
        log.info("sink task stopped")
    }

    /// `put`, retried after a ``RetriableError`` (waiting what the task asked with `timeout(ms:)`,
    /// else 100 ms doubling up to 10 s) until it succeeds or the task is asked to stop (then the
    /// error ends the run; the records are not acknowledged); any other error fails the task.
    private func put(_ records: [SinkRecord], task: any SinkTask, context: RuntimeSinkTaskContext, control: RunControl, log: Logger) async throws {
        var backoff = Duration.milliseconds(100)
        while true {
            do {
                try await task.put(records)
                return
            } catch let e as RetriableError {
                if control.isStopRequested || isStopping || Task.isCancelled { throw e }
                let wait = context.takeRetryTimeout().map { Duration.milliseconds($0) } ?? backoff
                log.warning("put failed, retrying in \(wait): \(e)")
                try await clock.sleep(for: wait)
                backoff = min(backoff * 2, .seconds(10))
            }
        }
    }
}
