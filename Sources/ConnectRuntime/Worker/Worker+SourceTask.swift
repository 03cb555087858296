import ConnectKit
import Logging

extension Worker {
    /// One source task's loop: poll, transform (and in topic mode convert), hand the records on,
    /// and commit the offsets of what every receiver acknowledged.
    func runSourceTask(_ plan: SourceTaskPlan, runner: TaskRunner) async {
        let log = logger.with("connector", plan.connector).with("task", "\(plan.index)")
        let limiter = InFlightLimiter(maxRecords: config.maxInFlightRecords, maxBytes: config.maxInFlightBytes)
        let tracker = SubmittedRecords(limiter: limiter)
        let task = plan.type.init()
        var pendingOffsets: SourceOffsets = [:]
        var lastCommit = clock.now
        let interval = Duration.milliseconds(config.offsetFlushIntervalMs)
        var chain = TransformChain.empty
        let transport: (any RecordTransport)? = config.mode == .topic ? broker : nil
        let metrics = taskMetrics(plan.connector, plan.index)

        func drainAcks() async {
            let (records, offsets) = tracker.drainCommittable()
            pendingOffsets.merge(offsets) { $1 }
            metrics.setActive(tracker.outstanding)
            for p in records {
                // Kafka passes the record as polled, and no metadata for one that was dropped.
                let metadata = p.dropped ? nil : RecordMetadata(topic: p.record.topic, partition: p.record.kafkaPartition ?? 0, offset: -1)
                do { try await task.commitRecord(p.original ?? p.record, metadata: metadata) } catch {
                    log.warning("commitRecord failed: \(error)")
                }
            }
        }

        func commitOffsets() async {
            await drainAcks()
            lastCommit = clock.now
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

        do {
            let codec = try RecordCodec(worker: config.originals, connector: plan.connectorConfig, registry: registry)
            let errors = try errorHandler(connector: plan.connector, config: plan.connectorConfig, task: plan.index, codec: codec, logger: log)
            chain = try TransformChain(config: plan.connectorConfig, registry: registry)
            task.initialize(context: RuntimeSourceTaskContext(
                config: plan.config, offsetStorageReader: StoreOffsetReader(store: offsetStore, connector: plan.connector)))
            try await task.start(plan.config)
            board.task(plan.connector, plan.index, runningState(plan.connector))
            log.info("source task started")
            var backoff = Duration.milliseconds(100)
            while !shouldEnd(runner) {
                await waitWhilePaused(plan.connector, runner: runner) {
                    await drainAcks()
                    if clock.now - lastCommit >= interval { await commitOffsets() }
                }
                if shouldEnd(runner) { break }
                await drainAcks()
                if clock.now - lastCommit >= interval { await commitOffsets() }
                var records: [SourceRecord]
                do {
                    let started = ContinuousClock.now
                    records = try await task.poll()
                    if !records.isEmpty { metrics.recordPoll(records.count, ContinuousClock.now - started) }
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
                let admitted = await limiter.acquire(records: records.count, bytes: total, abandon: { self.shouldEnd(runner) }) {
                    self.flushRequested.store(true, ordering: .relaxed)
                    self.wakeSinks()
                }
                if !admitted { break }
                // Ask the sinks to flush before the source has to wait, so both keep moving.
                if limiter.isUnderPressure { flushRequested.store(true, ordering: .relaxed) }
                if let transport {
                    metrics.written.increment(by: try await sendToTopics(records, sizes: sizes, chain: chain, codec: codec, errors: errors, tracker: tracker, transport: transport))
                } else if chain.isEmpty {
                    let count = records.count
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
                    sendDirect(&records, sizes: sizes, dropped: dropped, originals: originals, tracker: tracker, router: router)
                    metrics.written.increment(by: dropped.count { !$0 })
                }
            }
        } catch {
            log.error("source task failed: \(error)")
            board.task(plan.connector, plan.index, .failed, trace: failureTrace(error))
        }
        runner.polling.store(false, ordering: .releasing)

        // Wait for the sinks to acknowledge what is in flight, then commit the final offsets.
        let deadline = ContinuousClock.now + .milliseconds(config.offsetFlushTimeoutMs)
        while tracker.outstanding > 0 && ContinuousClock.now < deadline && !Task.isCancelled {
            let g = tracker.acknowledged.generation
            await drainAcks()
            if tracker.outstanding == 0 { break }
            await tracker.acknowledged.wait(after: g, timeout: .milliseconds(50))
        }
        await commitOffsets()
        if tracker.outstanding > 0 { log.warning("\(tracker.outstanding) record(s) were not acknowledged before shutdown; they will be delivered again") }
        tracker.reset()
        chain.close()
        do { try await task.stop() } catch { log.warning("source task stop failed: \(error)") }
        if board.status(plan.connector)?.tasks.first(where: { $0.id == plan.index })?.state != .failed {
            board.task(plan.connector, plan.index, .unassigned)
        }
        log.info("source task stopped")
    }

    /// Direct mode: routes records to the sink queues subscribed to their topics. Dropped records
    /// (filtered by a transformation or failed and tolerated) are acknowledged at once.
    private func sendDirect(
        _ records: inout [SourceRecord], sizes: [Int], dropped: [Bool], originals: [SourceRecord]?, tracker: SubmittedRecords, router: Router
    ) {
        // The common case: one topic, one partition, nothing dropped — one route for the whole batch.
        if dropped.isEmpty, router.partitions == 1, let first = records.first?.topic,
            records.allSatisfy({ $0.kafkaPartition == nil && $0.topic == first })
        {
            let queues = router.route(&records[0])
            for i in records.indices.dropFirst() { records[i].kafkaPartition = 0 }
            let pending = tracker.submit(records, sizes: sizes, receivers: Array(repeating: queues.count, count: records.count), originals: originals)
            records = []
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
        let pending = tracker.submit(records, sizes: sizes, receivers: receivers.map(\.count), originals: originals, dropped: dropped.isEmpty ? nil : dropped)
        records = []
        var byQueue: [ObjectIdentifier: (DeliveryQueue, [Delivery])] = [:]
        for (i, queues) in receivers.enumerated() {
            for q in queues { byQueue[ObjectIdentifier(q), default: (q, [])].1.append(pending[i]) }
        }
        for (_, (q, deliveries)) in byQueue { q.send(deliveries) }
    }

    /// Topic mode: transforms, converts (headers, key, value — Kafka's order) and produces each
    /// record; the topic acknowledges it once every sink reading the topic flushed it.
    private func sendToTopics(
        _ records: [SourceRecord], sizes: [Int], chain: TransformChain, codec: RecordCodec, errors: RetryWithTolerance,
        tracker: SubmittedRecords, transport: any RecordTransport
    ) async throws -> Int {
        var out = records
        var encoded: [TopicRecord?] = Array(repeating: nil, count: records.count)
        for i in records.indices {
            guard let r = chain.isEmpty ? records[i] : try await transform(records[i], chain: chain, errors: errors, failed: { FailedRecord(source: $0) })
            else { continue }
            out[i] = r
            encoded[i] = try await encode(r, codec: codec, errors: errors)
        }
        let pending = tracker.submit(records, sizes: sizes, receivers: encoded.map { $0 == nil ? 0 : 1 }, dropped: encoded.map { $0 == nil })
        var batch: [OutgoingRecord] = []
        batch.reserveCapacity(records.count)
        for i in out.indices {
            guard let e = encoded[i] else { continue }
            batch.append(OutgoingRecord(topic: out[i].topic, partition: out[i].kafkaPartition, record: e, acknowledgement: pending[i]))
        }
        transport.produce(batch)
        return batch.count
    }

    /// A record's bytes; `nil` when a converter failed and the failure is tolerated. The error
    /// handler is only entered when a converter throws.
    func encode(_ r: SourceRecord, codec: RecordCodec, errors: RetryWithTolerance) async throws -> TopicRecord? {
        // Each operation is written out twice (direct, then inside the recovery closure) so that the
        // common path allocates no closure context.
        func encodeHeaders() throws -> [TopicRecord.Header] {
            try r.headers.map { h in
                TopicRecord.Header(key: h.key, value: try codec.header.fromConnectHeader(topic: r.topic, headerKey: h.key, schema: h.schema, value: h.value))
            }
        }
        var headers: [TopicRecord.Header] = []
        if !r.headers.isEmpty {
            do { headers = try encodeHeaders() } catch {
                guard let h = try await errors.recover(.headerConverter, codec.headerClass, FailedRecord(source: r), encodeHeaders, after: error) else { return nil }
                headers = h
            }
        }
        let key: [UInt8]?
        do { key = try codec.key.fromConnectData(topic: r.topic, headers: r.headers, schema: r.keySchema, value: r.key) } catch {
            guard let k = try await errors.recover(.keyConverter, codec.keyClass, FailedRecord(source: r), {
                try codec.key.fromConnectData(topic: r.topic, headers: r.headers, schema: r.keySchema, value: r.key)
            }, after: error) else { return nil }
            key = k
        }
        let value: [UInt8]?
        do { value = try codec.value.fromConnectData(topic: r.topic, headers: r.headers, schema: r.valueSchema, value: r.value) } catch {
            guard let v = try await errors.recover(.valueConverter, codec.valueClass, FailedRecord(source: r), {
                try codec.value.fromConnectData(topic: r.topic, headers: r.headers, schema: r.valueSchema, value: r.value)
            }, after: error) else { return nil }
            value = v
        }
        return TopicRecord(key: key, value: value, headers: headers, timestamp: r.timestamp)
    }
}
