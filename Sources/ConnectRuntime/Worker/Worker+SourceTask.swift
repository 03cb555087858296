import ConnectKit
import Logging
import Synchronization

extension Worker {
    /// One source task's loop: poll, transform (and in topic mode convert), hand the records on,
    /// and commit the offsets of what every receiver acknowledged.
    nonisolated(nonsending) func runSourceTask(_ plan: SourceTaskPlan, task workerTask: WorkerTask, control: RunControl) async {
        let log = logger.with("connector", plan.connector).with("task", "\(plan.index)")
        var started = false
        var failed = false
        let limiter = InFlightLimiter(maxRecords: config.maxInFlightRecords, maxBytes: config.maxInFlightBytes)
        let tracker = SubmittedRecords(limiter: limiter)
        let task = plan.type.init()
        var activeTopics: ActiveTopics? = nil
        var producer: (any TransportProducer)? = nil
        // Topic mode without transactions: batches are converted and produced on a thread of their own.
        var stage: SourceSendStage? = nil
        var pendingOffsets: SourceOffsets = [:]
        // Exactly-once (KIP-618): records and offsets in one producer transaction per boundary.
        var transactional: (any TransactionalProducer)? = nil
        var inTransaction = false
        var transactionOffsets: SourceOffsets = [:]
        var transactionStart = clock.now
        let boundaryIsPoll = (plan.connectorConfig["transaction.boundary"] ?? "poll").lowercased() == "poll"
        let transactionInterval = Duration.milliseconds(
            plan.connectorConfig["transaction.boundary.interval.ms"].flatMap { Int64($0.trimmingWhitespace()) } ?? config.offsetFlushIntervalMs)
        var lastCommit = clock.now
        let interval = Duration.milliseconds(config.offsetFlushIntervalMs)
        var chain = TransformChain.empty
        let metrics = taskMetrics(plan.connector, plan.index)
        var taskErrors: RetryWithTolerance? = nil

        // Topics this task produced to that no sink connector reads: their records are held, and the
        // task says so once (log and status) until a reader takes them.
        var unread: Set<String> = []
        func checkHeld() {
            let now = Set(heldTopics(of: tracker).keys)
            guard now != unread else { return }
            for topic in now.subtracting(unread).sorted() {
                let message = unreadTopicMessage(topic, connector: plan.connector)
                log.warning("\(message)")
                workerTask.setWaiting("topic:" + topic, message)
            }
            for topic in unread.subtracting(now).sorted() {
                log.info("topic '\(topic)' has a reader now: its held records are delivered")
                workerTask.setWaiting("topic:" + topic, nil)
            }
            unread = now
        }

        // Exactly-once: delivered records wait for their transaction's commit before commitRecord
        // (an aborted transaction's records are never committed).
        var awaitingTransaction: [PendingRecord] = []
        // nil until the first call says whether the task keeps the default, empty commitRecord: then
        // the records are not handed to it one by one (nothing would happen).
        var commitRecordIsDefault: Bool? = nil
        func commitRecords(_ records: [PendingRecord]) async {
            for p in records {
                if commitRecordIsDefault == true { return }
                // Kafka passes the record as polled, and no metadata for one that was dropped.
                let metadata = p.dropped ? nil : RecordMetadata(
                    topic: p.record.topic, partition: p.storedPartition >= 0 ? p.storedPartition : p.record.kafkaPartition ?? 0, offset: p.storedOffset)
                do {
                    if commitRecordIsDefault == nil {
                        let probe = DefaultCommitRecordProbe(task: ObjectIdentifier(task))
                        defer { commitRecordIsDefault = probe.isDefault }
                        try await DefaultCommitRecordProbe.$current.withValue(probe) {
                            try await task.commitRecord(p.original ?? p.record, metadata: metadata)
                        }
                    } else {
                        try await task.commitRecord(p.original ?? p.record, metadata: metadata)
                    }
                } catch {
                    log.warning("commitRecord failed: \(error)")
                }
            }
        }

        func drainAcks() async {
            checkHeld()
            let (records, offsets) = tracker.drainCommittable()
            pendingOffsets.merge(offsets) { $1 }
            // The stage's count first: it hands a batch to the tracker before it stops counting it.
            let waiting = stage?.waiting ?? 0
            metrics.setActive(waiting + tracker.outstanding)
            if transactional != nil {
                // Kept for commitRecord until their transaction commits — unless the task keeps the default.
                if commitRecordIsDefault != true { awaitingTransaction += records }
            } else {
                await commitRecords(records)
            }
        }

        // Commits on offset.flush.interval.ms, and when the worker is asked to (commitOffsets()).
        var servedRound = commitRequests.load(ordering: .acquiring)
        func commitIfDue() async {
            let round = commitRequests.load(ordering: .acquiring)
            if clock.now - lastCommit >= interval || round != servedRound {
                await commitOffsets()
            } else {
                await drainAcks()
            }
            if round != servedRound {
                servedRound = round
                served(workerTask, round)
            }
        }

        func commitOffsets() async {
            await drainAcks()
            lastCommit = clock.now
            // Exactly-once: offsets are written by the transactions, never outside them.
            if transactional != nil { pendingOffsets = [:] }
            guard !pendingOffsets.isEmpty else { return }
            do {
                let started = ContinuousClock.now
                try offsetStore.commit(connector: plan.connector, offsets: pendingOffsets)
                metrics.recordCommit(ContinuousClock.now - started)
                log.debug("committed offsets for \(pendingOffsets.count) partition(s)")
                pendingOffsets = [:]
                try await task.commit()
            } catch {
                log.error("offset commit failed: \(error)")
            }
        }

        func commitTransaction() async throws {
            guard let t = transactional, inTransaction else { return }
            let started = ContinuousClock.now
            inTransaction = false
            do { try t.commitTransaction(connector: plan.connector, offsets: transactionOffsets) } catch {
                awaitingTransaction = []
                throw error
            }
            metrics.recordCommit(ContinuousClock.now - started)
            // The commit flushed every record of the transaction: all their acknowledgements are in.
            await drainAcks()
            let committed = awaitingTransaction
            awaitingTransaction = []
            await commitRecords(committed)
            log.debug("committed a transaction with offsets for \(transactionOffsets.count) partition(s)")
            transactionOffsets = [:]
            try await task.commit()
        }

        do {
            let codec = try RecordCodec(worker: config.originals, connector: plan.connectorConfig, registry: registry)
            let errors = try errorHandler(connector: plan.connector, config: plan.connectorConfig, task: plan.index, codec: codec, logger: log)
            taskErrors = errors
            chain = try TransformChain(config: plan.connectorConfig, registry: registry)
            task.initialize(context: RuntimeSourceTaskContext(
                config: plan.config, offsetStorageReader: StoreOffsetReader(store: offsetStore, connector: plan.connector),
                onWaiting: WaitingReporter(logger: log, task: workerTask).report))
            if config.mode == .topic && config.exactlyOnceSourceSupport {
                let clientID = "connector-producer-\(plan.connector)-\(plan.index)"
                let transactionalID = "\(config.originals["group.id"] ?? "connect-cluster")-\(plan.connector)-\(plan.index)"
                guard let t = try transport.makeTransactionalProducer(clientID: clientID, transactionalID: transactionalID, connectorConfig: plan.connectorConfig) else {
                    throw ConfigError(key: "exactly.once.source.support", message: "this worker's transport has no transactions", context: "worker")
                }
                transactional = t
                producer = t
            } else if config.mode == .topic {
                producer = try transport.makeProducer(clientID: "connector-producer-\(plan.connector)-\(plan.index)", connectorConfig: plan.connectorConfig)
                stage = SourceSendStage(name: "send-\(plan.connector)-\(plan.index)", limiter: limiter)
            }
            try await task.start(plan.config)
            activeTopics = connector(plan.connector)?.activeTopics
            workerTask.started(run: control.run)
            started = true
            log.info("source task started")
            var backoff = Duration.milliseconds(100)
            let shouldEnd: @Sendable () -> Bool = { self.isStopping || control.isStopRequested || Task.isCancelled }
            let sendStage = stage
            while !shouldEnd() {
                // Paused: poll nothing, keep committing what is acknowledged.
                while isPaused(plan.connector) && !shouldEnd() {
                    try sendStage?.throwIfFailed()
                    let c = connector(plan.connector)
                    let g = c?.targetChanged.generation ?? 0
                    await commitIfDue()
                    if !isPaused(plan.connector) || shouldEnd() { break }
                    let due = max(Duration.milliseconds(1), interval - (clock.now - lastCommit))
                    await c?.targetChanged.wait(after: g, timeout: due)
                }
                if shouldEnd() { break }
                try sendStage?.throwIfFailed()
                try await handleDeliveryFailures(tracker, errors: errors, log: log)
                await commitIfDue()
                if inTransaction, clock.now - transactionStart >= transactionInterval { try await commitTransaction() }
                metrics.wakeUps.add(1, ordering: .relaxed)
                var records: [SourceRecord]
                do {
                    let started = ContinuousClock.now
                    records = try await task.poll()
                    if !records.isEmpty {
                        // Kafka's recordPoll: polled records are active until written (drainAcks recounts);
                        // counted active before polled, so that no reader sees them polled and not active.
                        metrics.addActive(records.count)
                        metrics.recordPoll(records.count, ContinuousClock.now - started)
                    }
                    backoff = .milliseconds(100)
                } catch let e as RetriableError {
                    log.warning("poll failed, retrying in \(backoff): \(e)")
                    try? await clock.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(10))
                    continue
                }
                if records.isEmpty { continue }
                let sizes = records.map(\.approximateSize)
                let total = sizes.reduce(0, +)
                // Room comes back as records are acknowledged. A failed send stage acknowledges nothing
                // more, and records whose delivery failed keep theirs until handled: either ends the wait
                // (the stage's error, or an intolerable delivery failure, fails the task; tolerated
                // failures are skipped, which gives their room back, and the wait goes on).
                var admitted = false
                while true {
                    admitted = await limiter.acquire(
                        records: records.count, bytes: total,
                        abandon: { shouldEnd() || sendStage?.hasFailed == true || tracker.hasDeliveryFailures }
                    ) { self.requestFlush() }
                    if admitted || shouldEnd() { break }
                    try sendStage?.throwIfFailed()
                    try await handleDeliveryFailures(tracker, errors: errors, log: log)
                }
                if !admitted {
                    try sendStage?.throwIfFailed()
                    break
                }
                // Ask the sinks to flush before the source has to wait, so both keep moving.
                if limiter.isUnderPressure { flushRequests.add(1, ordering: .relaxed) }
                if let t = transactional {
                    if !inTransaction {
                        try t.beginTransaction()
                        inTransaction = true
                        transactionStart = clock.now
                    }
                    for r in records where !r.sourcePartition.isEmpty || !r.sourceOffset.isEmpty { transactionOffsets[r.sourcePartition] = r.sourceOffset }
                    metrics.written.increment(by: try await sendToTopics(records, sizes: sizes, chain: chain, codec: codec, errors: errors, tracker: tracker, producer: t, activeTopics: activeTopics))
                    if boundaryIsPoll || clock.now - transactionStart >= transactionInterval { try await commitTransaction() }
                } else if let producer, let stage {
                    let (polled, chain, activeTopics) = (records, chain, activeTopics)
                    stage.submit(records: polled.count, bytes: total) {
                        metrics.written.increment(by: try await self.sendToTopics(
                            polled, sizes: sizes, chain: chain, codec: codec, errors: errors, tracker: tracker, producer: producer, activeTopics: activeTopics))
                    }
                } else if chain.isEmpty {
                    let count = records.count
                    activeTopics?.note(records) { $0.topic }
                    sendDirect(&records, sizes: sizes, dropped: [], originals: nil, tracker: tracker, router: router)
                    metrics.written.increment(by: count)
                } else {
                    var dropped = [Bool](repeating: false, count: records.count)
                    let originals = records
                    for i in records.indices {
                        if let t = try await transform(records[i], chain: chain, errors: errors, failed: { FailedRecord(source: $0) }) {
                            records[i] = t
                        } else {
                            dropped[i] = true
                        }
                    }
                    activeTopics?.note(records.indices.filter { !dropped[$0] }) { records[$0].topic }
                    sendDirect(&records, sizes: sizes, dropped: dropped, originals: originals, tracker: tracker, router: router)
                    metrics.written.increment(by: dropped.count { !$0 })
                }
                checkHeld()
            }
            // A graceful stop commits the open transaction (records and offsets), and sends what the stage holds.
            try await commitTransaction()
            try await stage?.finish()
        } catch {
            failed = true
            log.error("source task failed: \(error)")
            workerTask.failed(run: control.run, trace: failureTrace(error))
            await stage?.abandon()
            if inTransaction { try? transactional?.abortTransaction() }
            awaitingTransaction = []
        }
        control.stoppedPolling()

        // Wait for the sinks to acknowledge what is in flight, then commit the final offsets.
        // Records held for a topic nobody reads will not be acknowledged: no need to wait for them.
        let deadline = ContinuousClock.now + .milliseconds(config.offsetFlushTimeoutMs)
        while tracker.awaited > heldTopics(of: tracker).values.reduce(0, +) && ContinuousClock.now < deadline && !Task.isCancelled {
            let g = tracker.acknowledged.generation
            // Records whose delivery failed are never acknowledged: tolerated ones are skipped (the
            // offsets may pass them); a failed task (or an intolerable failure) gives them up.
            if tracker.hasDeliveryFailures {
                if let errors = taskErrors, !failed {
                    do { try await handleDeliveryFailures(tracker, errors: errors, log: log) } catch {
                        log.error("records could not be produced while the task stopped: \(error)")
                    }
                } else {
                    tracker.abandon(tracker.takeDeliveryFailures().map(\.record))
                }
            }
            await drainAcks()
            if tracker.awaited == 0 { break }
            await tracker.acknowledged.wait(after: g, timeout: .milliseconds(50))
        }
        await commitOffsets()
        if tracker.outstanding > 0 {
            let heldCount = heldTopics(of: tracker).values.reduce(0, +)
            let reason = heldCount > 0 ? " (\(heldCount) of them for topics no sink connector reads: \(unread.sorted().joined(separator: ", ")))" : ""
            log.warning("\(tracker.outstanding) record(s) were not acknowledged before shutdown\(reason); their source offsets are not committed and they will be delivered again")
        }
        for topic in unread { workerTask.setWaiting("topic:" + topic, nil) }
        heldRecords?.forget(tracker)
        tracker.reset()
        metrics.setActive(0)
        chain.close()
        producer?.close()
        do { try await task.stop() } catch { log.warning("source task stop failed: \(error)") }
        if !started && !failed { workerTask.started(run: control.run) }
        log.info("source task stopped")
    }

    /// Where records held for topics nobody reads are counted: the router's in direct mode, the
    /// in-memory broker's in topic mode (a Kafka topic keeps its records: nothing is held).
    var heldRecords: HeldRecords? { config.mode == .topic ? broker?.held : router.held }

    /// The topics (with counts) whose records from a source task wait because no sink connector reads them.
    func heldTopics(of tracker: SubmittedRecords) -> [String: Int] { heldRecords?.topics(of: tracker) ?? [:] }

    /// Records the transport could not store (Kafka's producer send callback failed): the task fails
    /// ("Unrecoverable exception from producer send callback") unless errors are tolerated; then the
    /// record is logged, counted, skipped and its offset may be committed.
    func handleDeliveryFailures(_ tracker: SubmittedRecords, errors: RetryWithTolerance, log: Logger) async throws {
        let failures = tracker.takeDeliveryFailures()
        for (i, (record, error)) in failures.enumerated() {
            // The error handler sees the record as polled, as Kafka's does.
            do {
                try await errors.failed(.kafkaProduce, "org.apache.kafka.clients.producer.KafkaProducer", FailedRecord(source: record.polled),
                                        ConnectError("Unrecoverable exception from producer send callback", cause: "\(error)"))
            } catch {
                // The task fails: this record and the failed ones after it will never be acknowledged.
                tracker.abandon(failures[i...].map(\.record))
                throw error
            }
            log.warning("record of topic '\(record.record.topic)' could not be produced and is skipped (errors.tolerance=all): \(error)")
            PendingRecord.acknowledgeAll(record.receiverDone() ? [record] : [])
        }
    }

    /// What the worker says when a source connector's records go to a topic nobody reads here.
    func unreadTopicMessage(_ topic: String, connector: String) -> String {
        let read = sinkTopicsDescription
        return "topic '\(topic)' has no reader in this worker: the records of connector '\(connector)' for it are held in memory, "
            + "and its source offsets are not committed past them, until a sink connector reads '\(topic)' "
            + (read.isEmpty ? "(no sink connector runs here)" : "(sink connectors here read: \(read))")
    }

    /// The topics (and patterns) the sink connectors of this worker read, for messages.
    var sinkTopicsDescription: String {
        allConnectorsInOrder.compactMap { r -> String? in
            guard !r.plugin.isSource else { return nil }
            if let pattern = r.config["topics.regex"], !pattern.isEmpty { return "/\(pattern)/ (\(r.name))" }
            return r.topics.sorted().map { "'\($0)'" }.joined(separator: ", ") + " (\(r.name))"
        }.joined(separator: "; ")
    }

    /// Direct mode: routes records to the sink queues subscribed to their topics. Dropped records
    /// (filtered by a transformation, or failed and tolerated) are acknowledged at once; records of
    /// a topic no sink reads are held by the router, unacknowledged.
    private func sendDirect(
        _ records: inout [SourceRecord], sizes: [Int], dropped: [Bool], originals: [SourceRecord]?, tracker: SubmittedRecords, router: Router
    ) {
        // The common case: one topic, one partition, nothing dropped — one route for the whole batch.
        if dropped.isEmpty, router.partitions == 1, let first = records.first?.topic,
            records.allSatisfy({ $0.kafkaPartition == nil && $0.topic == first })
        {
            let queues = router.route(&records[0])
            for i in records.indices.dropFirst() { records[i].kafkaPartition = 0 }
            let receivers = Array(repeating: max(queues.count, 1), count: records.count)
            let pending = tracker.submit(records, sizes: sizes, receivers: receivers, originals: originals)
            records = []
            if queues.isEmpty { return router.hold(pending) }
            for q in queues { q.send(pending) }
            return
        }
        var receivers: [[DeliveryQueue]] = []
        receivers.reserveCapacity(records.count)
        var lastTopic: String? = nil
        var lastReceivers: [DeliveryQueue] = []
        for i in records.indices {
            if !dropped.isEmpty && dropped[i] {
                receivers.append([])
                continue
            }
            // Consecutive records for the same single-partition topic share their route.
            if router.partitions == 1, records[i].kafkaPartition == nil, records[i].topic == lastTopic {
                records[i].kafkaPartition = 0
                receivers.append(lastReceivers)
                continue
            }
            lastReceivers = router.route(&records[i])
            lastTopic = records[i].topic
            receivers.append(lastReceivers)
        }
        // A record nobody reads has one placeholder receiver: the router's hold.
        let counts = receivers.indices.map { i in (!dropped.isEmpty && dropped[i]) ? 0 : max(receivers[i].count, 1) }
        let pending = tracker.submit(records, sizes: sizes, receivers: counts, originals: originals, dropped: dropped.isEmpty ? nil : dropped)
        records = []
        var byQueue: [ObjectIdentifier: (DeliveryQueue, [Delivery])] = [:]
        var held: [Delivery] = []
        for (i, queues) in receivers.enumerated() {
            if queues.isEmpty {
                if counts[i] > 0 { held.append(pending[i]) }
                continue
            }
            for q in queues { byQueue[ObjectIdentifier(q), default: (q, [])].1.append(pending[i]) }
        }
        for (_, (q, deliveries)) in byQueue { q.send(deliveries) }
        if !held.isEmpty { router.hold(held) }
    }

    /// Topic mode: transforms, converts (headers, key, value — Kafka's order) and produces each
    /// record; the topic acknowledges it once every sink reading the topic flushed it.
    nonisolated(nonsending) private func sendToTopics(
        _ records: [SourceRecord], sizes: [Int], chain: TransformChain, codec: RecordCodec, errors: RetryWithTolerance,
        tracker: SubmittedRecords, producer: any TransportProducer, activeTopics: ActiveTopics?
    ) async throws -> Int {
        var out: [SourceRecord] = []
        var encoded: [TopicRecord?] = []
        encoded.reserveCapacity(records.count)
        var skipped = 0
        if chain.isEmpty {
            // Converters that never wait, a record without headers: converted in place, no await
            // per record. A converter's error goes to the error handler as it was thrown (the
            // converter is not called again).
            let direct = codec.keyIsSynchronous && codec.valueIsSynchronous
            for i in records.indices {
                var first: FirstAttempt?
                if direct && records[i].headers.isEmpty {
                    switch encodeDirectly(records[i], codec: codec) {
                    case .encoded(let e):
                        encoded.append(e)
                        continue
                    case .failed(let attempt):
                        first = attempt
                    }
                }
                let e = try await encode(records[i], codec: codec, errors: errors, first: first)
                if e == nil { skipped += 1 }
                encoded.append(e)
            }
        } else {
            out = records
            for i in records.indices {
                guard let r = try await transform(records[i], chain: chain, errors: errors, failed: { FailedRecord(source: $0) }) else {
                    encoded.append(nil)
                    skipped += 1
                    continue
                }
                out[i] = r
                let e = try await encode(r, codec: codec, errors: errors)
                if e == nil { skipped += 1 }
                encoded.append(e)
            }
        }
        let now = wallClockMilliseconds()
        let produced = chain.isEmpty ? records : out
        // The tracker keeps each record as produced (commitRecord's metadata names its topic) and,
        // when a transformation changed it, as polled (what commitRecord is given).
        let pending = skipped == 0 && chain.isEmpty
            ? tracker.submit(records, sizes: sizes, receivers: Array(repeating: 1, count: records.count), producedAt: now)
            : tracker.submit(
                produced, sizes: sizes, receivers: encoded.map { $0 == nil ? 0 : 1 }, originals: chain.isEmpty ? nil : records,
                dropped: encoded.map { $0 == nil }, producedAt: now)
        var batch: [OutgoingRecord] = []
        batch.reserveCapacity(records.count - skipped)
        for i in encoded.indices {
            guard var e = encoded[i].take() else { continue }
            // As Kafka's producer does, a record without a timestamp gets the time it is produced.
            if e.timestamp == nil { e.timestamp = now }
            batch.append(OutgoingRecord(topic: produced[i].topic, partition: produced[i].kafkaPartition, record: e, delivery: RecordDelivery(pending[i])))
        }
        do { try producer.send(batch) } catch {
            // The records the transport did not take will never be completed: the failing task does
            // not wait for them (they stay unacknowledged, so the offsets never pass them).
            let partial = error as? PartialSendError
            let taken = min(max(partial?.handedOver ?? 0, 0), batch.count)
            tracker.abandon(batch[taken...].lazy.compactMap(\.delivery.pending))
            activeTopics?.note(batch[..<taken]) { $0.topic }
            throw partial?.cause ?? error
        }
        activeTopics?.note(batch) { $0.topic }
        return batch.count
    }

    /// How far ``encodeDirectly(_:codec:)`` got before a converter threw: the error goes to the error
    /// handler (``encode(_:codec:errors:first:)``) without calling that converter again.
    enum FirstAttempt {
        case keyFailed(any Error)
        case valueFailed(key: [UInt8]?, any Error)
    }

    enum DirectEncoding {
        case encoded(TopicRecord)
        case failed(FirstAttempt)
    }

    /// A record's bytes from converters that never wait (``Converter/convertsSynchronously``), for a
    /// record without headers, in Kafka's order (key, then value); on a converter's error, how far it got.
    @inline(__always)
    func encodeDirectly(_ r: SourceRecord, codec: RecordCodec) -> DirectEncoding {
        let key: [UInt8]?
        do { key = try codec.key.fromConnectData(topic: r.topic, headers: r.headers, schema: r.keySchema, value: r.key) } catch {
            return .failed(.keyFailed(error))
        }
        do {
            let value = try codec.value.fromConnectData(topic: r.topic, headers: r.headers, schema: r.valueSchema, value: r.value)
            return .encoded(TopicRecord(key: key, value: value, timestamp: r.timestamp))
        } catch {
            return .failed(.valueFailed(key: key, error))
        }
    }

    /// A record's bytes; `nil` when a converter failed and the failure is tolerated. The error
    /// handler is only entered when a converter throws. `first`: what ``encodeDirectly(_:codec:)``
    /// already did (a record without headers): its key, and the error to hand to the handler.
    nonisolated(nonsending) func encode(_ r: SourceRecord, codec: RecordCodec, errors: RetryWithTolerance, first: FirstAttempt? = nil) async throws -> TopicRecord? {
        // Each operation is written out twice (direct, then inside the recovery closure) so that the
        // common path allocates no closure context.
        func encodeHeaders() throws -> [TopicRecord.Header] {
            try r.headers.map { h in
                TopicRecord.Header(key: h.key, value: try codec.header.fromConnectHeader(topic: r.topic, headerKey: h.key, schema: h.schema, value: h.value))
            }
        }
        assert(first == nil || r.headers.isEmpty, "the direct attempt is only for records without headers (Kafka converts headers first)")
        var headers: [TopicRecord.Header] = []
        if !r.headers.isEmpty {
            do { headers = try encodeHeaders() } catch {
                guard let h = try await errors.recover(.headerConverter, codec.headerClass, FailedRecord(source: r), encodeHeaders, after: error) else { return nil }
                headers = h
            }
        }
        let key: [UInt8]?
        do {
            switch first {
            case .keyFailed(let error)?: throw error
            case .valueFailed(let k, _)?: key = k
            case nil:
                // A converter that never waits is called synchronously: no executor check after an await per record.
                key = codec.keyIsSynchronous
                    ? try codec.key.fromConnectData(topic: r.topic, headers: r.headers, schema: r.keySchema, value: r.key)
                    : try await codec.key.serialize(topic: r.topic, headers: r.headers, schema: r.keySchema, value: r.key)
            }
        } catch {
            guard let k = try await errors.recover(.keyConverter, codec.keyClass, FailedRecord(source: r), {
                try await codec.key.serialize(topic: r.topic, headers: r.headers, schema: r.keySchema, value: r.key)
            }, after: error) else { return nil }
            key = k
        }
        let value: [UInt8]?
        do {
            if case .valueFailed(_, let error)? = first { throw error }
            value = codec.valueIsSynchronous
                ? try codec.value.fromConnectData(topic: r.topic, headers: r.headers, schema: r.valueSchema, value: r.value)
                : try await codec.value.serialize(topic: r.topic, headers: r.headers, schema: r.valueSchema, value: r.value)
        } catch {
            guard let v = try await errors.recover(.valueConverter, codec.valueClass, FailedRecord(source: r), {
                try await codec.value.serialize(topic: r.topic, headers: r.headers, schema: r.valueSchema, value: r.value)
            }, after: error) else { return nil }
            value = v
        }
        return TopicRecord(key: key, value: value, headers: headers, timestamp: r.timestamp)
    }
}
