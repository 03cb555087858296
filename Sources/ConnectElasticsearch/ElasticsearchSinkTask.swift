public import ConnectKit
import ConnectHTTP
import ConnectRuntime
import Logging
import Synchronization

/// The task of ``ElasticsearchSinkConnector``: records become bulk actions, batched by
/// `batch.size`/`bulk.size.bytes`/`linger.ms`, at most `max.in.flight.requests` bulks outstanding,
/// at most `max.buffered.records` records taken and not yet answered (then `put` waits: a slow
/// cluster slows the pipeline and memory stays bounded).
///
/// Offsets: `preCommit` returns, per partition, the offset after the highest *contiguous* record
/// whose bulk item succeeded or was tolerated (Confluent's `AsyncOffsetTracker`); with
/// `flush.synchronously=true` it waits until everything taken is answered and returns the
/// runtime's offsets. Records are tracked by the partition and offset they were read at, so
/// topic-renaming transformations work in both modes.
///
/// Failures: whole requests are retried (`max.retries`, `retry.backoff.ms`); per-item `429`/`503`
/// (`es_rejected_execution_exception`, `unavailable_shards_exception`) are retried as a new bulk of
/// those items (Confluent fails the task); version conflicts of externally versioned writes are
/// successes (a replay); malformed documents follow `behavior.on.malformed.documents` and are
/// reported to the dead letter queue; anything else reports the record and fails the task at the
/// next `put` or `preCommit`.
public final class ElasticsearchSinkTask: SinkTask, @unchecked Sendable {
    private var config: ElasticsearchSinkConfig!
    private var client: ElasticsearchClient!
    private var converter: DocumentConverter!
    private var context: (any SinkTaskContext)?
    private var readyResources: Set<String> = []
    private let log = Logger(label: "ConnectElasticsearch")
    private let state = Mutex(State())
    private let changed = AsyncSignal()

    struct State {
        var batch: [BulkAction] = []
        var batchBytes = 0
        var batchGeneration = 0
        var buffered = 0
        var inFlight = 0
        var failure: String?
        var tracks: [TopicPartition: OffsetTrack] = [:]
    }

    /// Offsets of one partition, taken in order; `committable` is one past the highest offset below
    /// which everything is done.
    struct OffsetTrack {
        var pending: [Int64] = []
        var head = 0
        var done: Set<Int64> = []
        var committable: Int64?

        mutating func add(_ offset: Int64) { pending.append(offset) }
        mutating func finish(_ offset: Int64) {
            done.insert(offset)
            while head < pending.count, done.remove(pending[head]) != nil {
                committable = pending[head] + 1
                head += 1
            }
            if head > 1024 && head * 2 > pending.count {
                pending.removeFirst(head)
                head = 0
            }
        }
    }

    public required init() {}
    /// ConnectKit's version.
    public var version: String { ConnectKitVersion.current }

    public func initialize(context: any SinkTaskContext) { self.context = context }

    /// Parses the keys, builds the HTTP client and reads the server's version (`GET /`); a refused
    /// credential fails the start with the URL and user named (never the password).
    public func start(_ config: [String: String]) async throws {
        let c = try ElasticsearchSinkConfig(config)
        self.config = c
        client = ElasticsearchClient(config: c)
        converter = DocumentConverter(config: c)
        do {
            let v = try await client.version()
            log.info("Connected to Elasticsearch \(v ?? "of unknown version") at \(c.urls.map(HTTPError.redacted).joined(separator: ","))")
        } catch let e as ConnectError where e.message.contains("connection.password") || e.message.contains("connection.username") {
            client.shutdown()
            throw e
        } catch {
            log.warning("Could not read the Elasticsearch version: \(error)")
        }
    }

    public func open(_ partitions: [TopicPartition]) async throws {
        state.withLock { s in for p in partitions where s.tracks[p] == nil { s.tracks[p] = OffsetTrack() } }
    }

    public func close(_ partitions: [TopicPartition]) async throws {
        state.withLock { s in for p in partitions { s.tracks[p] = nil } }
    }

    private func throwIfFailed() throws {
        if let f = state.withLock({ $0.failure }) { throw ConnectError(f) }
    }

    public func put(_ records: [SinkRecord]) async throws {
        try throwIfFailed()
        for r in records {
            let key = (r.originalTopicPartition, r.originalKafkaOffset)
            let resource = try converter.resourceName(r.topic)
            if case .null = r.value, config.nullValues == .ignore {
                await report(r, "Cannot write null valued record.", tolerated: true)
                settle(key)
                continue
            }
            let action: BulkAction?
            do {
                try await prepare(resource, for: r)
                action = try converter.action(for: r, resource: resource)
            } catch let e as DataError where config.dropInvalidMessage {
                log.warning("Dropping invalid \(DocumentConverter.describe(r)): \(e.message)")
                await report(r, e.message, tolerated: true)
                settle(key)
                continue
            }
            guard let action else {
                settle(key)
                continue
            }
            try await add(action, key)
        }
    }

    /// A record that needs no request (skipped, dropped): done at once, in its place among the
    /// partition's offsets.
    private func settle(_ key: (TopicPartition, Int64)) {
        guard !config.flushSynchronously else { return }
        state.withLock { s in
            s.tracks[key.0, default: OffsetTrack()].add(key.1)
            s.tracks[key.0]?.finish(key.1)
        }
    }

    /// Creates the index or data stream and its mapping the first time a resource is written to.
    private func prepare(_ resource: String, for r: SinkRecord) async throws {
        guard !readyResources.contains(resource) else { return }
        if config.externalResourceUsage == .disabled {
            if try await !client.exists(resource) {
                try await client.create(resource, dataStream: config.isDataStream)
            }
            if !config.ignoresSchema(r.topic) {
                guard let schema = r.valueSchema else {
                    throw ConnectError("Cannot infer mapping without schema.")
                }
                if try await !client.hasMapping(resource) {
                    try await client.putMapping(resource, MappingBuilder.mapping(schema))
                }
            }
        }
        readyResources.insert(resource)
    }

    /// Buffers `action` (and registers its offset), waiting for room under `max.buffered.records`;
    /// sends the batch when full.
    private func add(_ action: BulkAction, _ key: (TopicPartition, Int64)) async throws {
        enum Outcome { case added(full: Bool, startLinger: Bool, generation: Int), noRoom, failed(String) }
        let limit = config.maxBufferedRecords
        var deadline: ContinuousClock.Instant?
        while true {
            let outcome = state.withLock { s -> Outcome in
                if let f = s.failure { return .failed(f) }
                guard s.buffered < limit else { return .noRoom }
                if !config.flushSynchronously { s.tracks[key.0, default: OffsetTrack()].add(key.1) }
                s.batch.append(action)
                s.batchBytes += action.estimatedSize
                s.buffered += 1
                let full = s.batch.count >= config.batchSize || (config.bulkSizeBytes >= 0 && Int64(s.batchBytes) >= config.bulkSizeBytes)
                return .added(full: full, startLinger: s.batch.count == 1, generation: s.batchGeneration)
            }
            switch outcome {
            case .failed(let f):
                throw ConnectError(f)
            case .added(let full, let startLinger, let generation):
                if full {
                    try await send(waitForSlot: true)
                } else if startLinger {
                    scheduleLinger(generation)
                }
                return
            case .noRoom:
                let d = deadline ?? ContinuousClock.now + .milliseconds(config.flushTimeoutMillis)
                deadline = d
                let room = await changed.wait(until: d) { state.withLock { $0.buffered < limit || $0.failure != nil } }
                if !room {
                    throw ConnectError("Could not make space in the internal buffer fast enough. Consider increasing flush.timeout.ms or max.buffered.records.")
                }
            }
        }
    }

    /// `linger.ms` after a batch got its first action, it is sent if it is still waiting (no timer
    /// runs while nothing is buffered: an idle task costs nothing).
    private func scheduleLinger(_ generation: Int) {
        let delay = Duration.milliseconds(config.lingerMillis)
        Task { [weak self] in
            try? await Task.sleep(for: delay)
            guard let self else { return }
            var current = generation
            while true {
                let (sameBatch, hasSlot) = self.state.withLock { ($0.batchGeneration == current && !$0.batch.isEmpty, $0.inFlight < self.config.maxInFlightRequests) }
                guard sameBatch else { return }
                if hasSlot {
                    _ = try? await self.send(waitForSlot: false)
                    return
                }
                // Every request slot is busy: try again when one frees up.
                let g = self.changed.generation
                await self.changed.wait(after: g, timeout: .seconds(1))
                current = self.state.withLock { $0.batchGeneration }
            }
        }
    }

    /// Takes the current batch and sends it as one bulk request in the background; waits for a free
    /// request slot first when `waitForSlot` (else does nothing when all are busy).
    @discardableResult
    private func send(waitForSlot: Bool) async throws -> Bool {
        let maxInFlight = config.maxInFlightRequests
        if waitForSlot {
            let deadline = ContinuousClock.now + .milliseconds(config.flushTimeoutMillis)
            let ok = await changed.wait(until: deadline) { state.withLock { $0.inFlight < maxInFlight || $0.failure != nil } }
            try throwIfFailed()
            if !ok { throw ConnectError("Could not send a bulk request within flush.timeout.ms (\(config.flushTimeoutMillis) ms): \(maxInFlight) requests are outstanding.") }
        }
        let batch = state.withLock { s -> [BulkAction]? in
            guard !s.batch.isEmpty, s.inFlight < maxInFlight else { return nil }
            let b = s.batch
            s.batch = []
            s.batchBytes = 0
            s.batchGeneration += 1
            s.inFlight += 1
            return b
        }
        guard let batch else { return false }
        Task { [self] in
            await self.execute(batch)
            self.state.withLock { $0.inFlight -= 1 }
            self.changed.signal()
        }
        return true
    }

    /// Sends one batch, retrying items the cluster rejected for load, and settles every record.
    private func execute(_ batch: [BulkAction]) async {
        var remaining = batch
        var attempt = 0
        while !remaining.isEmpty {
            attempt += 1
            let outcomes: [ItemOutcome]
            do {
                outcomes = try await client.bulk(remaining)
            } catch {
                fail("\(error)", settling: remaining)
                return
            }
            var retry: [BulkAction] = []
            var retryReason = ""
            var finished: [(TopicPartition, Int64)] = []
            var fatal: String?
            for (action, outcome) in zip(remaining, outcomes) {
                let r = action.record
                let key = (r.originalTopicPartition, r.originalKafkaOffset)
                guard case .failed(let status, let error) = outcome else {
                    finished.append(key)
                    continue
                }
                if error.isMalformed {
                    let reported = await report(r, "Indexing record failed: \(error.text)", tolerated: config.malformedDocuments != .fail)
                    switch config.malformedDocuments {
                    case .ignore, .warn:
                        if config.malformedDocuments == .warn {
                            log.warning("Ignoring malformed document for \(DocumentConverter.describe(r)): \(error.text)")
                        } else {
                            log.debug("Ignoring malformed document for \(DocumentConverter.describe(r)): \(error.text)")
                        }
                        if reported { finished.append(key) }
                    case .fail:
                        fatal = fatal ?? "Indexing record failed for \(DocumentConverter.describe(r)): \(error.text). To ignore such documents set 'behavior.on.malformed.documents' to 'warn' or 'ignore'."
                    }
                } else if error.isVersionConflict {
                    var reported = true
                    if !action.externalVersion && action.kind != .create {
                        log.warning("Version conflict for \(DocumentConverter.describe(r)): \(error.text)")
                        reported = await report(r, "Indexing record failed: \(error.text)", tolerated: true)
                    }
                    if reported { finished.append(key) }
                } else if action.kind != .update, status == 429 || status == 503 || error.type == "es_rejected_execution_exception" || error.type == "unavailable_shards_exception" {
                    // Retried alone (an update is not: a later write of the same id may have landed meanwhile).
                    if retry.isEmpty { retryReason = error.text }
                    retry.append(action)
                } else {
                    _ = await report(r, "Indexing record failed: \(error.text)")
                    fatal = fatal ?? "Indexing record failed for \(DocumentConverter.describe(r)): \(error.text)"
                }
            }
            // Everything not retried is settled in one step with the failure, if any: a commit never
            // sees the buffer empty before it sees the failure.
            settle(done: finished, unsuccessful: remaining.count - retry.count - finished.count + (fatal == nil ? 0 : retry.count), failure: fatal)
            if fatal != nil { return }
            if retry.isEmpty { return }
            if attempt > config.maxRetries {
                fail("Failed to execute bulk request due to 'Elasticsearch rejected \(retry.count) item(s) for load: \(retryReason)' after \(attempt) attempt(s)", settling: retry)
                return
            }
            log.info("Retrying \(retry.count) of \(remaining.count) bulk items Elasticsearch rejected for load (attempt \(attempt + 1))")
            do { try await client.backoff(attempt) } catch {
                fail("Bulk request cancelled", settling: retry)
                return
            }
            remaining = retry
        }
    }

    /// Reports `r` to the runtime's errant record reporter (the dead letter queue with
    /// `errors.tolerance=all`); returns whether the record may count as handled. For a record the
    /// connector tolerates anyway (`tolerated`), a reporter that refuses it under
    /// `errors.tolerance=none` is fine — Kafka gives such a task no reporter unless a dead letter
    /// queue or `errors.log.enable` is configured; a dead letter queue that cannot take the record
    /// fails the task, and the record is not handled.
    @discardableResult
    private func report(_ r: SinkRecord, _ message: String, tolerated: Bool = false) async -> Bool {
        do {
            try await context?.errantRecordReporter?.report(r, error: ConnectError(message))
            return true
        } catch is ToleranceExceededError {
            if tolerated { log.debug("Not reported (errors.tolerance=none): \(DocumentConverter.describe(r))") }
            return tolerated  // otherwise the task fails with the item's own error
        } catch {
            fail("Could not report \(DocumentConverter.describe(r)) to the dead letter queue: \(error)", settling: [])
            return false
        }
    }

    /// Settles records of a bulk in one step: `done` succeeded or were tolerated (their offsets may
    /// be committed), `unsuccessful` more left the buffer without (never committed), and `failure`
    /// fails the task.
    private func settle(done: [(TopicPartition, Int64)], unsuccessful: Int, failure: String?) {
        if let failure { log.error("\(failure)") }
        state.withLock { s in
            s.buffered -= done.count + unsuccessful
            if !config.flushSynchronously {
                for (tp, offset) in done { s.tracks[tp]?.finish(offset) }
            }
            if let failure, s.failure == nil { s.failure = failure }
        }
        changed.signal()
    }

    /// Fails the task; `actions` leave the buffer without being committed.
    private func fail(_ message: String, settling actions: [BulkAction]) {
        settle(done: [], unsuccessful: actions.count, failure: message)
    }

    public func flush(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws {
        _ = try await preCommit(offsets)
    }

    /// Sends what is buffered and returns the offsets that are safe to commit (see the type's
    /// documentation); throws the failure of an earlier bulk request.
    public func preCommit(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws -> [TopicPartition: OffsetAndMetadata] {
        try throwIfFailed()
        _ = try await send(waitForSlot: config.flushSynchronously)
        if config.flushSynchronously {
            let deadline = ContinuousClock.now + .milliseconds(config.flushTimeoutMillis)
            while true {
                let (batchWaiting, buffered) = state.withLock { (!$0.batch.isEmpty, $0.buffered) }
                if buffered == 0 { break }
                if batchWaiting { _ = try await send(waitForSlot: true) }
                let g = changed.generation
                try throwIfFailed()
                if ContinuousClock.now > deadline {
                    throw ConnectError("Flush timeout expired with \(buffered) unflushed records (flush.timeout.ms \(config.flushTimeoutMillis))")
                }
                await changed.wait(after: g, timeout: .milliseconds(100))
            }
            try throwIfFailed()
            return offsets
        }
        let (failure, out) = state.withLock { s -> (String?, [TopicPartition: OffsetAndMetadata]) in
            var out: [TopicPartition: OffsetAndMetadata] = [:]
            for (tp, track) in s.tracks { if let c = track.committable { out[tp] = OffsetAndMetadata(offset: c) } }
            return (s.failure, out)
        }
        if let failure { throw ConnectError(failure) }
        return out
    }

    /// Sends what is buffered and waits up to `flush.timeout.ms` for outstanding requests.
    public func stop() async throws {
        guard let client else { return }
        defer { client.shutdown() }
        _ = try? await send(waitForSlot: true)
        let deadline = ContinuousClock.now + .milliseconds(config.flushTimeoutMillis)
        let done = await changed.wait(until: deadline) { state.withLock { $0.inFlight == 0 && ($0.batch.isEmpty || $0.failure != nil) } }
        if !done { throw ConnectError("Failed to process outstanding requests in time while closing the ElasticsearchClient.") }
    }
}
