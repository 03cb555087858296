#if canImport(Glibc)
import Glibc
#endif
import ConnectAvro
import ConnectHTTP
public import ConnectKit
import Logging

/// The connector's task: per consumed partition, Confluent's `TopicPartitionWriter` — open files by
/// encoded partition, rotated by `flush.size`, `rotate.interval.ms` (record time),
/// `rotate.schedule.interval.ms` (wall clock; idle partitions too, at the runtime's offset commits)
/// and value schema changes; offsets committed only past written objects.
///
/// Records are encoded as they arrive (``S3RecordWriter``); when the open files hold more than
/// `s3.buffer.max.bytes`, the largest hand their closed parts to unlinked temporary files, so memory
/// stays bounded with many open partitions. A record that cannot be partitioned or written (a
/// `DataError`) goes to the runtime's errant record reporter (dead-letter queue, `errors.tolerance`),
/// and without one fails the task.
public final class S3SinkTask: SinkTask {
    private var config: S3SinkConfig?
    private var context: (any SinkTaskContext)?
    private var client: S3Client?
    private let logger = Logger(label: "io.confluent.connect.s3.S3SinkTask")
    /// Per consumed partition: Confluent's `TopicPartitionWriter` state.
    private var writers: [TopicPartition: PartitionWriter] = [:]
    /// Files of a rotation whose upload failed (retriable): tried again first, with the same bytes.
    private var pending: [TopicPartition: PendingCommit] = [:]
    private var committed: [TopicPartition: Int64] = [:]
    /// The highest offset taken per consumed partition (buffered, written or skipped): a batch the
    /// runtime hands again after a retriable failure is not buffered twice.
    private var seen: [TopicPartition: Int64] = [:]
    /// The consumed partition whose records are named after each (topic, partition) after
    /// transformations: two may not share one, or their objects would have the same keys.
    private var namedBy: [TopicPartition: TopicPartition] = [:]
    /// Bytes the open files hold in memory (their encoders).
    private var buffered = 0
    private let json = JSONConverter(schemasEnabled: false)
    private let avroData = AvroData()

    /// The wall clock in epoch milliseconds (the Wallclock extractor's time and the scheduled
    /// rotation's); tests set their own.
    package var clock: @Sendable () -> Int64 = S3SinkTask.wallClockMillis

    /// The system's time in epoch milliseconds.
    public static func wallClockMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// One view's file of an open file set (values, keys or headers).
    struct ViewFile {
        var view: S3RecordView
        var key: String
        var writer: S3RecordWriter
        var spill: SpillFile?
        /// The writer's `bufferedBytes` as last counted in the task's total.
        var counted = 0
    }

    struct OpenFile {
        /// The topic and partition the file is named after (the record's, after transformations).
        var topic: String
        var partition: Int32
        var encodedPartition: String
        var startOffset: Int64
        var endOffset: Int64
        var count = 0
        var schema: Schema?
        /// Tombstones only (`behavior.on.null.values=write`): keys and headers, no values.
        var tombstones: Bool
        /// Values first, then keys and headers (Confluent's commit order).
        var views: [ViewFile]
        var counted: Int { views.reduce(0) { $0 + $1.counted } }
    }

    struct PartitionWriter {
        var files: [String: OpenFile] = [:]
        var order: [String] = []
        var recordCount = 0
        var lastOffset: Int64 = -1
        var baseRecordTimestamp: Int64?
        var currentEncodedPartition: String?
        var nextScheduledRotation: Int64?
    }

    struct PendingCommit {
        var objects: [FinishedObject]
        var offset: Int64
    }

    public required init() {}
    public var version: String { ConnectKitVersion.current }

    public func initialize(context: any SinkTaskContext) { self.context = context }

    /// Checks the configuration and, for S3, that the bucket exists and the credentials may use it
    /// (Confluent's task fails to start when `bucketExists()` is false).
    public func start(_ properties: [String: String]) async throws {
        let config = try S3SinkConfig(properties)
        self.config = config
        for w in config.warnings { logger.warning("\(w)") }
        if case .s3(let c) = config.store {
            let client = S3Client(c)
            self.client = client
            do { try await client.headBucket(config.bucket) } catch {
                client.shutdown()
                self.client = nil
                throw ConnectError("\(error)")
            }
        }
    }

    public func put(_ records: [SinkRecord]) async throws {
        guard let config else { return }
        // Rotations whose upload failed are tried again first, with the same bytes.
        for tp in pending.keys.sorted(by: { $0.description < $1.description }) { try await upload(tp, config) }
        let now = clock()
        for r in records {
            // Files and commits per consumed partition; named after the record's topic and partition.
            let tp = r.originalTopicPartition
            if let last = seen[tp], r.originalKafkaOffset <= last { continue }
            if r.value.isNull && !config.writeNullValues {
                if config.ignoreNullValues {
                    seen[tp] = r.originalKafkaOffset
                    continue
                }
                throw DataError("Null valued records are not writeable with current behavior.on.null.values 'settings'.", topic: r.topic)
            }
            try await write(r, tp, now: now, config)
            seen[tp] = r.originalKafkaOffset
        }
    }

    /// One record through the partition's state machine (Confluent's `executeState`, in its order):
    /// the time and encoded partition; rotation on record time, partition change or schedule; on a
    /// schema change; then the write and the size check.
    private func write(_ r: SinkRecord, _ tp: TopicPartition, now: Int64, _ config: S3SinkConfig) async throws {
        let named = TopicPartition(topic: r.topic, partition: r.kafkaPartition ?? 0)
        if let owner = namedBy[named], owner != tp {
            // Confluent's task fails too ("No writer found for topic partition").
            throw ConnectError("records of \(tp) and of \(owner) are both named \(named) after the transformations: their objects would have the same keys and overwrite each other")
        }
        namedBy[named] = tp
        let timeBased = config.partitioner.timeBased
        let tombstone = r.value.isNull && config.writeNullValues
        let timestamp: Int64?
        let encoded: String
        do {
            // Keys and headers are checked first: a record missing one would misalign the files.
            if config.storeKafkaKeys && r.key.isNull {
                throw DataError("Key cannot be null for SinkRecord: \(r.topic)-\(r.kafkaPartition ?? 0)@\(r.kafkaOffset) (store.kafka.keys=true)", topic: r.topic)
            }
            if config.storeKafkaHeaders && r.headers.all.isEmpty {
                throw DataError("Headers cannot be null for SinkRecord: \(r.topic)-\(r.kafkaPartition ?? 0)@\(r.kafkaOffset) (store.kafka.headers=true)", topic: r.topic)
            }
            if tombstone {
                // Confluent's TombstoneSupportedPartitioner: tombstones go to their own directory; their
                // time (for rotation) is the record's.
                timestamp = timeBased == nil ? nil : (r.timestamp ?? now)
                encoded = config.tombstoneEncodedPartition
            } else {
                timestamp = try timeBased?.timestamp(of: r, now: now)
                encoded = try config.partitioner.encode(r, timestamp: timestamp, delimiter: config.directoryDelimiter)
                if config.writeNullValues && encoded == config.tombstoneEncodedPartition {
                    throw DataError("\(r.topic)-\(r.kafkaPartition ?? 0)@\(r.kafkaOffset) is not a tombstone but its encoded partition is tombstone.encoded.partition (\(encoded)), whose files hold no values", topic: r.topic)
                }
            }
        } catch {
            try await reportOrThrow(r, error)
            return
        }
        // Taken out of the dictionaries while changed: a copy left behind would make every append
        // copy the file's buffers.
        var state = writers.removeValue(forKey: tp) ?? newWriter(now: now, config)
        /// The value projected onto the open file's schema (schema.compatibility other than NONE).
        var projected: (Schema?, Value)?
        if state.recordCount > 0 {
            var rotate = false
            if config.rotateIntervalMs > 0, timeBased != nil, let ts = timestamp, let base = state.baseRecordTimestamp {
                // Moving into or out of the tombstone directory is not a partition change (Confluent's).
                let current = state.currentEncodedPartition
                let changed = current != nil && current != encoded
                    && !(config.writeNullValues && (current == config.tombstoneEncodedPartition || encoded == config.tombstoneEncodedPartition))
                rotate = ts - base >= config.rotateIntervalMs || (config.rotateOnPartitionChange && changed)
            }
            if !rotate, let next = state.nextScheduledRotation, now >= next { rotate = true }
            if rotate {
                writers[tp] = state
                try await rotateFiles(tp, config)
                state = writers[tp] ?? newWriter(now: now, config)
            } else if let open = state.files[encoded], !open.tombstones, open.schema != r.valueSchema {
                let change: SchemaChange
                do { change = try Self.schemaChange(r, fileSchema: open.schema, config.schemaCompatibility) } catch {
                    writers[tp] = state
                    try await reportOrThrow(r, error)
                    return
                }
                if case .project(let v) = change {
                    projected = v
                } else {
                    // A schema change rotates every file of the partition, as Confluent's TopicPartitionWriter.
                    writers[tp] = state
                    try await rotateFiles(tp, config)
                    state = writers[tp] ?? newWriter(now: now, config)
                }
            }
        }
        if state.baseRecordTimestamp == nil { state.baseRecordTimestamp = timestamp }
        if state.files[encoded] == nil {
            do {
                state.files[encoded] = try openFile(r, encoded: encoded, tombstones: tombstone, config)
                state.order.append(encoded)
            } catch {
                writers[tp] = state
                try await reportOrThrow(r, error)
                return
            }
        }
        var file = state.files.removeValue(forKey: encoded)!
        do {
            // The value first: its encoders undo a failed append, so nothing is half written; the
            // keys and headers (checked above, their schemas fixed) follow.
            // Every view is made before anything is appended (a bad header or key fails first).
            var views: [(Schema?, Value)] = []
            for v in file.views {
                views.append(v.view == .value && projected != nil ? projected! : try Self.view(v.view, of: r, format: config.format(of: v.view)))
            }
            for i in file.views.indices { try file.views[i].writer.append(r, schema: views[i].0, value: views[i].1) }
        } catch {
            state.files[encoded] = file
            writers[tp] = state
            try await reportOrThrow(r, error)
            return
        }
        file.count += 1
        file.endOffset = r.kafkaOffset
        for i in file.views.indices {
            let bytes = file.views[i].writer.bufferedBytes
            buffered += bytes - file.views[i].counted
            file.views[i].counted = bytes
        }
        state.files[encoded] = file
        state.recordCount += 1
        state.lastOffset = r.originalKafkaOffset
        state.currentEncodedPartition = encoded
        writers[tp] = state
        // In a file now: a batch handed again after a failed upload below does not take it twice.
        seen[tp] = r.originalKafkaOffset
        if state.recordCount >= config.flushSize {
            // flush.size counts the partition's records over all its open files, which are committed together.
            try await rotateFiles(tp, config)
        } else if buffered > config.bufferMaxBytes {
            try spill(config)
        }
    }

    /// A file set for a record's encoded partition: the value file (none for tombstones) and the
    /// keys and headers files asked for, named after the record.
    private func openFile(_ r: SinkRecord, encoded: String, tombstones: Bool, _ config: S3SinkConfig) throws(DataError) -> OpenFile {
        var views: [S3RecordView] = tombstones ? [] : [.value]
        if config.storeKafkaKeys { views.append(.keys) }
        if config.storeKafkaHeaders { views.append(.headers) }
        var files: [ViewFile] = []
        for view in views {
            let format = config.format(of: view)
            let key = config.key(topic: r.topic, partition: r.kafkaPartition ?? 0, startOffset: r.kafkaOffset, encodedPartition: encoded, view: view)
            let (schema, _) = try Self.view(view, of: r, format: format)
            let writer = try S3RecordWriter(config: config, format: format, schema: schema, key: key, json: json, avroData: avroData, topic: r.topic, offset: r.kafkaOffset)
            files.append(ViewFile(view: view, key: key, writer: writer))
        }
        return OpenFile(topic: r.topic, partition: r.kafkaPartition ?? 0, encodedPartition: encoded, startOffset: r.kafkaOffset,
                        endOffset: r.kafkaOffset, schema: r.valueSchema, tombstones: tombstones, views: files)
    }

    /// The header schema of Confluent's `HeaderRecordView`: a struct of two strings per header.
    static let headerSchema = try! SchemaBuilder.struct().field("key", Schema.string).field("value", Schema.string).build()
    static let headersSchema = try! SchemaBuilder.array(headerSchema).build()
    static let envelopedHeadersSchema = try! SchemaBuilder.struct().name("RecordHeaders").field("headers", headersSchema).build()

    /// What a view writes of a record (Confluent's `RecordView`s): the value; the key; the headers
    /// as `[{key, value}]` with values as `Values.convertToString` prints them. Parquet, which needs a
    /// struct, gets keys as `RecordKey{key}` and headers as `RecordHeaders{headers}` (Confluent's
    /// "enveloped" views).
    ///
    /// - Throws: `DataError` for a header without a value (a required field), naming it.
    static func view(_ view: S3RecordView, of r: SinkRecord, format: S3SinkConfig.Format) throws(DataError) -> (Schema?, Value) {
        switch view {
        case .value: return (r.valueSchema, r.value)
        case .keys:
            guard format == .parquet else { return (r.keySchema, r.key) }
            guard let keySchema = r.keySchema else {
                throw DataError("ParquetFormat cannot write the schemaless key of \(r.topic)-\(r.kafkaPartition ?? 0)@\(r.kafkaOffset) (keys.format.class): use a key converter with schemas", topic: r.topic)
            }
            let schema: Schema
            do { schema = try SchemaBuilder.struct().name("RecordKey").field("key", keySchema).build() } catch { throw DataError("\(error)", topic: r.topic) }
            do { return (schema, .struct(try Struct(schema, ["key": r.key]))) } catch { throw DataError("\(error)", topic: r.topic) }
        case .headers:
            var items: [Value] = []
            for h in r.headers {
                guard !h.value.isNull else {
                    throw DataError("Invalid value: null used for required field: \"value\" (header \(h.key) of \(r.topic)-\(r.kafkaPartition ?? 0)@\(r.kafkaOffset))", topic: r.topic)
                }
                items.append(.struct(Struct(unchecked: headerSchema, values: [.string(h.key), .string(ValueText.string(for: h.value))])))
            }
            guard format == .parquet else { return (headersSchema, .array(items)) }
            return (envelopedHeadersSchema, .struct(Struct(unchecked: envelopedHeadersSchema, values: [.array(items)])))
        }
    }

    enum SchemaChange {
        case rotate
        case project((Schema?, Value))
    }

    /// What a record whose value schema differs from its open file's does (storage-common's
    /// `StorageSchemaCompatibility`): NONE rotates; BACKWARD and FULL rotate on a newer version,
    /// FORWARD on an older one, and all three when the file's schema cannot take the record (a type
    /// that does not promote, another name, a required field it lacks); otherwise the value is
    /// projected onto the file's schema (Kafka's `SchemaProjector`).
    ///
    /// - Throws: `DataError` for a switch between schema-based and schemaless values, or a schema
    ///   without a version (Confluent's `SchemaProjectorException` messages).
    static func schemaChange(_ r: SinkRecord, fileSchema: Schema?, _ compatibility: S3SinkConfig.SchemaCompatibility) throws(DataError) -> SchemaChange {
        guard (fileSchema == nil) == (r.valueSchema == nil) else {
            throw DataError("Switch between schema-based and schema-less data is not supported (\(r.topic)-\(r.kafkaPartition ?? 0)@\(r.kafkaOffset))", topic: r.topic)
        }
        guard compatibility != .none else { return .rotate }
        guard let current = fileSchema, let schema = r.valueSchema else {
            throw DataError("Switch between schema-based and schema-less data is not supported (\(r.topic)-\(r.kafkaPartition ?? 0)@\(r.kafkaOffset))", topic: r.topic)
        }
        guard let version = schema.version, let currentVersion = current.version else {
            throw DataError("Schema version required for \(compatibility.rawValue) compatibility (\(r.topic)-\(r.kafkaPartition ?? 0)@\(r.kafkaOffset) has a value schema without a version)", topic: r.topic)
        }
        let newSchema = compatibility == .forward ? version < currentVersion : version > currentVersion
        if newSchema { return .rotate }
        do { return .project((current, try SchemaProjector.project(r.value, from: schema, to: current))) } catch { return .rotate }
    }

    private func newWriter(now: Int64, _ config: S3SinkConfig) -> PartitionWriter {
        var w = PartitionWriter()
        w.nextScheduledRotation = config.nextScheduledRotation(after: now)
        return w
    }

    /// A record that cannot be partitioned or written: to the errant record reporter (which throws
    /// when `errors.tolerance` does not allow it), else the task fails.
    private func reportOrThrow(_ r: SinkRecord, _ error: any Error) async throws {
        guard let reporter = context?.errantRecordReporter else { throw error }
        logger.warning("\(r.topic)-\(r.kafkaPartition ?? 0)@\(r.kafkaOffset) skipped (errant record reporter): \(error)")
        try await reporter.report(r, error: error)
    }

    /// Hands the largest open files' closed parts to temporary files until the open files hold at
    /// most half of `s3.buffer.max.bytes`.
    private func spill(_ config: S3SinkConfig) throws {
        var sizes: [(TopicPartition, String, Int, Int)] = []
        for (tp, w) in writers {
            for (encoded, f) in w.files {
                for (i, v) in f.views.enumerated() { sizes.append((tp, encoded, i, v.counted)) }
            }
        }
        sizes.sort { $0.3 > $1.3 }
        for (tp, encoded, i, _) in sizes {
            guard buffered > config.bufferMaxBytes / 2 else { break }
            // Changed in place (a copy would copy the buffers being drained).
            // The temporary file first: its failure leaves the open file whole.
            if writers[tp]?.files[encoded]?.views[i].spill == nil {
                writers[tp]?.files[encoded]?.views[i].spill = try SpillFile(directory: config.spillDirectory)
            }
            guard let bytes = try writers[tp]?.files[encoded]?.views[i].writer.drain() else { continue }
            try writers[tp]?.files[encoded]?.views[i].spill?.append(bytes)
            let now = writers[tp]?.files[encoded]?.views[i].writer.bufferedBytes ?? 0
            buffered += now - (writers[tp]?.files[encoded]?.views[i].counted ?? 0)
            writers[tp]?.files[encoded]?.views[i].counted = now
        }
    }

    /// Closes every open file of a partition and uploads them (Confluent's `commitFiles`); the
    /// partition's offset passes them only when all are written.
    private func rotateFiles(_ tp: TopicPartition, _ config: S3SinkConfig) async throws {
        guard let state = writers.removeValue(forKey: tp) else { return }
        guard state.recordCount > 0 else {
            writers[tp] = state
            return
        }
        var objects: [FinishedObject] = []
        var released = 0
        do {
            for encoded in state.order {
                guard let file = state.files[encoded] else { continue }
                let tags = config.objectTagging ? "startOffset=\(file.startOffset)&endOffset=\(file.endOffset)&recordCount=\(file.count)" : nil
                for v in file.views {
                    released += v.counted
                    let tail = try v.writer.finish()
                    objects.append(FinishedObject(key: v.key, spill: v.spill, tail: tail, tags: tags))
                }
            }
        } catch {
            // The open files stay (their records are taken): nothing passes them until they are written.
            writers[tp] = state
            throw error
        }
        buffered -= released
        writers[tp] = nil
        pending[tp] = PendingCommit(objects: objects, offset: state.lastOffset + 1)
        try await upload(tp, config)
    }

    /// Uploads a partition's finished files in order; a failure keeps the rest for the next try.
    private func upload(_ tp: TopicPartition, _ config: S3SinkConfig) async throws {
        guard var commit = pending[tp] else { return }
        while let object = commit.objects.first {
            try await store(object, config)
            commit.objects.removeFirst()
            pending[tp] = commit
        }
        pending[tp] = nil
        committed[tp] = commit.offset
    }

    private func store(_ object: FinishedObject, _ config: S3SinkConfig) async throws {
        switch config.store {
        case .local(let root):
            let path = root + "/" + config.bucket + "/" + object.key
            do { try DurableFile.replace(path, size: object.size, createDirectories: true, read: object.read) } catch {
                throw RetriableError("Couldn't write \(path): \(error)")
            }
        case .s3:
            guard let client else { throw ConnectError("the S3 client is not started") }
            var headers: [HTTPHeader] = []
            if let tags = object.tags { headers.append(HTTPHeader("x-amz-tagging", tags)) }
            do { try await client.upload(bucket: config.bucket, key: object.key, body: S3UploadBody(count: object.size, read: object.read), headers: headers) } catch {
                // The same key with the same contents is written again when the put is retried.
                if error.isRetriable { throw RetriableError("\(error)") }
                throw ConnectError("\(error)")
            }
        }
    }

    /// Only offsets whose records are in written objects. Partitions whose scheduled rotation is due
    /// are rotated first — idle ones too (Confluent's rotate at every put, empty ones included; this
    /// runtime calls put only with records, and preCommit at every offset commit).
    public func preCommit(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws -> [TopicPartition: OffsetAndMetadata] {
        // Uploads that failed are tried again here too: an idle partition gets no put.
        if let config {
            for tp in pending.keys.sorted(by: { $0.description < $1.description }) {
                do { try await upload(tp, config) } catch let e as RetriableError {
                    logger.warning("the upload of \(tp)'s files failed again; tried at the next put or commit: \(e)")
                }
            }
        }
        if let config, config.scheduleZone != nil {
            let now = clock()
            for tp in writers.keys.sorted(by: { $0.description < $1.description }) {
                guard let next = writers[tp]?.nextScheduledRotation, now >= next else { continue }
                if writers[tp]?.recordCount ?? 0 > 0 { try await rotateFiles(tp, config) }
                if writers[tp] == nil { writers[tp] = newWriter(now: now, config) } else {
                    writers[tp]?.nextScheduledRotation = config.nextScheduledRotation(after: now)
                }
            }
        }
        var out: [TopicPartition: OffsetAndMetadata] = [:]
        for (tp, _) in offsets {
            if let c = committed[tp] { out[tp] = OffsetAndMetadata(offset: c) }
        }
        return out
    }

    public func close(_ partitions: [TopicPartition]) async throws {
        for tp in partitions {
            if let w = writers[tp] { buffered -= w.files.values.reduce(0) { $0 + $1.counted } }
            writers[tp] = nil
            pending[tp] = nil
            committed[tp] = nil
            seen[tp] = nil
            namedBy = namedBy.filter { $0.value != tp }
        }
    }

    public func stop() async throws {
        writers.removeAll()
        pending.removeAll()
        buffered = 0
        client?.shutdown()
        client = nil
    }

    /// Bytes the open files hold in memory now (for tests and benchmarks).
    package var bufferedBytes: Int { buffered }
}
