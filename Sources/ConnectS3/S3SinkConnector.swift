public import ConnectKit
public import ConnectRuntime
public import ConnectParquet

/// Confluent's `io.confluent.connect.s3.S3SinkConnector` — first slice: the local storage backend
/// (`store.url=file:///path`), the object keys, the `DefaultPartitioner`, rotation by `flush.size`
/// and on a schema change, and the JSON and Parquet formats. The S3 client, the other
/// partitioners, time-based rotation and the Avro/ByteArray formats are not built yet; asking for
/// them is a configuration error that says so.
///
/// Objects are written as Confluent names them,
/// `<topics.dir>/<topic>/partition=<p>/<topic>+<p>+<startOffset, 10 digits>.<ext>`, under
/// `<store.url path>/<s3.bucket.name>/`. A file is written (crash-safe: temporary file, fsync,
/// rename) once it holds `flush.size` records of one partition; `preCommit` reports only offsets
/// whose records are in written files, so a restart re-reads what no written file holds. (Exactly
/// once under `kill -9` also needs the topic to keep every record the sink read; the standalone
/// in-memory topic's log does not yet — see Docs/ConnectS3.md.)
public final class S3SinkConnector: SinkConnector {
    private var config: [String: String] = [:]
    public required init() {}
    public var version: String { ConnectKitVersion.current }
    public var taskType: any SinkTask.Type { S3SinkTask.self }
    public var configDef: ConfigDef { S3SinkConfig.configDef }

    public func start(_ config: [String: String]) async throws {
        _ = try S3SinkConfig(config)
        self.config = config
    }

    public func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { Array(repeating: config, count: max(1, maxTasks)) }
    public func stop() async throws {}
}

/// The connector's keys (the ones this slice implements; Confluent's names, types and defaults).
public struct S3SinkConfig: Sendable {
    /// The object formats of this slice.
    public enum Format: String, Sendable {
        /// `io.confluent.connect.s3.format.json.JsonFormat`: one JSON value per line (`.json`).
        case json = "io.confluent.connect.s3.format.json.JsonFormat"
        /// `io.confluent.connect.s3.format.parquet.ParquetFormat` (`.snappy.parquet`, …).
        case parquet = "io.confluent.connect.s3.format.parquet.ParquetFormat"
    }

    /// The directory standing in for the store (from `store.url=file:///…`).
    public var root: String
    /// `s3.bucket.name`.
    public var bucket: String
    /// `format.class`.
    public var format: Format
    /// `flush.size`.
    public var flushSize: Int
    /// `topics.dir`.
    public var topicsDir: String
    /// `directory.delim`.
    public var directoryDelimiter: String
    /// `file.delim`.
    public var fileDelimiter: String
    /// `filename.offset.zero.pad.width`.
    public var offsetPadWidth: Int
    /// `parquet.codec`.
    public var parquetCodec: ParquetCodec
    /// `behavior.on.null.values`: `fail` or `ignore`.
    public var ignoreNullValues: Bool
    /// `partition.field.name` when `partitioner.class` is the FieldPartitioner (else empty).
    public var partitionFields: [String]

    static let defaultPartitioner = "io.confluent.connect.storage.partitioner.DefaultPartitioner"
    static let fieldPartitioner = "io.confluent.connect.storage.partitioner.FieldPartitioner"

    /// The keys this slice reads.
    public static let configDef = ConfigDef()
        .define("s3.bucket.name", .string, importance: .high, documentation: "The S3 Bucket.")
        .define("s3.region", .string, default: "us-west-2", importance: .medium, documentation: "The AWS region to be used the connector.")
        .define("store.url", .string, default: .null, importance: .high,
                documentation: "Store's connection URL. This slice writes to local storage only: file:///path.")
        .define("format.class", .string, importance: .high, documentation: "The format class to use when writing data to the store.",
                validator: .validString([Format.json.rawValue, Format.parquet.rawValue]))
        .define("flush.size", .int, importance: .high, documentation: "Number of records written to store before invoking file commits.",
                validator: .atLeast(1))
        .define("topics.dir", .string, default: "topics", importance: .high, documentation: "Top level directory to store the data ingested from Kafka.")
        .define("directory.delim", .string, default: "/", importance: .medium, documentation: "Directory delimiter pattern")
        .define("file.delim", .string, default: "+", importance: .medium, documentation: "File delimiter pattern")
        .define("filename.offset.zero.pad.width", .int, default: 10, importance: .low,
                documentation: "Width to zero-pad offsets in store's filenames if offsets are too short in order to provide fixed-width filenames that can be ordered by simple lexicographic sorting.",
                validator: .atLeast(0))
        .define("partitioner.class", .string, default: .value(defaultPartitioner), importance: .high,
                documentation: "The partitioner to use when writing data to the store (this slice: DefaultPartitioner, FieldPartitioner).",
                validator: .validString([defaultPartitioner, fieldPartitioner]))
        .define("partition.field.name", .list, default: "", importance: .medium,
                documentation: "The name of the partitioning field when FieldPartitioner is used.")
        .define("parquet.codec", .string, default: "snappy", importance: .low, documentation: "The Parquet compression codec to be used for output files.",
                validator: .validString(["none", "snappy", "gzip", "zstd"]))
        .define("behavior.on.null.values", .string, default: "fail", importance: .low,
                documentation: "How to handle records with a null value (i.e. Kafka tombstone records). Valid options are 'ignore' and 'fail'.",
                validator: .caseInsensitiveValidString(["ignore", "fail"]))
        .define("storage.class", .string, default: "io.confluent.connect.s3.storage.S3Storage", importance: .high, documentation: "The underlying storage layer.")

    /// Parses and checks the keys.
    ///
    /// - Throws: `ConfigError` naming each bad key (an S3 endpoint: the S3 client is not built yet).
    public init(_ properties: [String: String]) throws(ConfigError) {
        let c = try Self.configDef.parse(properties)
        let url = c.string("store.url") ?? ""
        guard url.hasPrefix("file://") else {
            throw ConfigError(key: "store.url", message: "Invalid value \(url.isEmpty ? "null" : url) for configuration store.url: this ConnectKit build writes to local storage only (store.url=file:///path); the S3 client is not built yet",
                              context: "S3SinkConnector")
        }
        root = String(url.dropFirst("file://".count))
        bucket = c.string("s3.bucket.name") ?? ""
        format = Format(rawValue: c.string("format.class") ?? "") ?? .json
        flushSize = Int(c.int("flush.size") ?? 1)
        topicsDir = c.string("topics.dir") ?? "topics"
        directoryDelimiter = c.string("directory.delim") ?? "/"
        fileDelimiter = c.string("file.delim") ?? "+"
        offsetPadWidth = Int(c.int("filename.offset.zero.pad.width") ?? 10)
        parquetCodec = ParquetCodec(rawValue: c.string("parquet.codec") ?? "snappy") ?? .snappy
        ignoreNullValues = c.string("behavior.on.null.values")?.lowercased() == "ignore"
        partitionFields = []
        if c.string("partitioner.class") == Self.fieldPartitioner {
            partitionFields = (c.list("partition.field.name") ?? []).filter { !$0.isEmpty }
            guard !partitionFields.isEmpty else {
                throw ConfigError(key: "partition.field.name", message: "Invalid value for configuration partition.field.name: FieldPartitioner needs at least one field",
                                  context: "S3SinkConnector")
            }
            if let bad = partitionFields.first(where: { $0.split(separator: ".", omittingEmptySubsequences: false).contains { $0.isEmpty } }) {
                throw ConfigError(key: "partition.field.name", message: "Invalid value \(bad) for configuration partition.field.name: empty field name segment",
                                  context: "S3SinkConnector")
            }
        }
    }

    /// The encoded partition of a record (Confluent's `encodePartition`): `partition=<p>` for the
    /// DefaultPartitioner; `<field>=<value>` per field, joined with `directory.delim`, for the
    /// FieldPartitioner (integers and booleans as text, strings as they are, `null`).
    ///
    /// - Throws: `DataError` naming the field for a value that is not a struct, a missing field, or a
    ///   field of another type (Confluent's `PartitionException`).
    public func encodedPartition(_ r: SinkRecord) throws(DataError) -> String {
        guard !partitionFields.isEmpty else { return "partition=" + String(r.kafkaPartition ?? 0) }
        guard case .struct(let s) = r.value else {
            throw DataError("Error encoding partition: FieldPartitioner needs a struct value, not \(r.value.kindName)", topic: r.topic)
        }
        var parts: [String] = []
        for name in partitionFields {
            var current = Value.struct(s)
            for segment in name.split(separator: ".") {
                guard case .struct(let inner) = current else {
                    throw DataError("Error encoding partition: \(name) is not a field of a struct", topic: r.topic)
                }
                guard let v = inner[String(segment)] else { throw DataError("\(segment) is not a valid field name", topic: r.topic) }
                current = v
            }
            let text: String
            switch current {
            case .null: text = "null"
            case .int8(let v): text = String(v)
            case .int16(let v): text = String(v)
            case .int32(let v): text = String(v)
            case .int64(let v): text = String(v)
            case .string(let v): text = v
            case .boolean(let v): text = String(v)
            default: throw DataError("Error encoding partition: field \(name) of type \(current.kindName) is not supported", topic: r.topic)
            }
            parts.append(name + "=" + text)
        }
        return parts.joined(separator: directoryDelimiter)
    }

    /// The file extension of the format (Confluent's `getExtension()`).
    public var extensionName: String {
        switch format {
        case .json: ".json"
        case .parquet: parquetCodec == .none ? ".parquet" : ".\(parquetCodec == .gzip ? "gz" : parquetCodec.rawValue).parquet"
        }
    }

    /// The object key of a file: `<topics.dir>/<topic>/<encodedPartition>/<topic>+<p>+<start>.<ext>`.
    public func key(topic: String, partition: Int32, startOffset: Int64, encodedPartition: String? = nil) -> String {
        var digits = String(startOffset)
        if digits.count < offsetPadWidth { digits = String(repeating: "0", count: offsetPadWidth - digits.count) + digits }
        let name = topic + fileDelimiter + String(partition) + fileDelimiter + digits + extensionName
        let prefix = topic + directoryDelimiter + (encodedPartition ?? "partition=" + String(partition))
        return (topicsDir.isEmpty ? "" : topicsDir + directoryDelimiter) + prefix + directoryDelimiter + name
    }
}

/// The connector's task: one open file per topic partition, written when it holds `flush.size`
/// records (or when the value schema changes), offsets committed only past written files.
public final class S3SinkTask: SinkTask {
    private var config: S3SinkConfig?
    /// Per consumed partition: its open files by encoded partition, and how many records they hold.
    private var open: [TopicPartition: PartitionWriter] = [:]
    private var committed: [TopicPartition: Int64] = [:]
    /// The highest offset taken per consumed partition (buffered, written or skipped): a batch the
    /// runtime hands again after a retriable failure is not buffered twice.
    private var seen: [TopicPartition: Int64] = [:]
    private let json = JSONConverter(schemasEnabled: false)

    struct OpenFile {
        /// The topic and partition the file is named after (the record's, after transformations).
        var topic: String
        var partition: Int32
        var encodedPartition: String
        var startOffset: Int64
        var schema: Schema?
        var records: [SinkRecord] = []
    }

    struct PartitionWriter {
        var files: [String: OpenFile] = [:]
        var order: [String] = []
        var count = 0
        var lastOffset: Int64 = -1
    }

    public required init() {}
    public var version: String { ConnectKitVersion.current }

    public func start(_ properties: [String: String]) async throws { config = try S3SinkConfig(properties) }

    public func put(_ records: [SinkRecord]) async throws {
        guard let config else { return }
        for r in records {
            // Files and commits per consumed partition; named after the record's topic and partition.
            let tp = r.originalTopicPartition
            if let last = seen[tp], r.originalKafkaOffset <= last { continue }
            if r.value.isNull {
                if config.ignoreNullValues {
                    seen[tp] = r.originalKafkaOffset
                    continue
                }
                throw DataError("Null valued records are not writeable with current behavior.on.null.values 'settings'.",
                                topic: r.topic)
            }
            var writer = open[tp] ?? PartitionWriter()
            let encoded = try config.encodedPartition(r)
            if let current = writer.files[encoded], current.schema != r.valueSchema {
                // A schema change (against the open file's) rotates every file of the partition
                // (schema.compatibility=NONE), as Confluent's TopicPartitionWriter.
                try commit(tp, writer, config)
                writer = PartitionWriter()
            }
            var file = writer.files[encoded]
                ?? OpenFile(topic: r.topic, partition: r.kafkaPartition ?? 0, encodedPartition: encoded, startOffset: r.kafkaOffset, schema: r.valueSchema)
            if writer.files[encoded] == nil { writer.order.append(encoded) }
            file.records.append(r)
            writer.files[encoded] = file
            writer.count += 1
            writer.lastOffset = r.originalKafkaOffset
            seen[tp] = r.originalKafkaOffset
            if writer.count >= config.flushSize {
                // flush.size counts the partition's records over all its open files, which are committed together.
                try commit(tp, writer, config)
                open[tp] = nil
            } else {
                open[tp] = writer
            }
        }
    }

    func commit(_ tp: TopicPartition, _ writer: PartitionWriter, _ config: S3SinkConfig) throws {
        for encoded in writer.order {
            if let file = writer.files[encoded] { try write(file, config) }
        }
        committed[tp] = writer.lastOffset + 1
    }

    func write(_ file: OpenFile, _ config: S3SinkConfig) throws {
        let bytes: [UInt8]
        switch config.format {
        case .json:
            var out: [UInt8] = []
            for r in file.records {
                out += try json.fromConnectData(topic: r.topic, schema: r.valueSchema, value: r.value) ?? Array("null".utf8)
                out.append(0x0A)
            }
            bytes = out
        case .parquet:
            guard let schema = file.schema else {
                throw DataError("Parquet needs records with a struct schema; \(file.topic)-\(file.partition) at offset \(file.startOffset) has none", topic: file.topic)
            }
            var writer = try ParquetWriter(schema: schema, codec: config.parquetCodec)
            for r in file.records { try writer.append(r.value) }
            bytes = try writer.finish()
        }
        let key = config.key(topic: file.topic, partition: file.partition, startOffset: file.startOffset, encodedPartition: file.encodedPartition)
        let path = config.root + "/" + config.bucket + "/" + key
        do { try DurableFile.replace(path, with: bytes, createDirectories: true) } catch {
            throw RetriableError("Couldn't write \(path): \(error)")
        }
    }

    /// Only offsets whose records are in written files.
    public func preCommit(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws -> [TopicPartition: OffsetAndMetadata] {
        var out: [TopicPartition: OffsetAndMetadata] = [:]
        for (tp, _) in offsets {
            if let c = committed[tp] { out[tp] = OffsetAndMetadata(offset: c) }
        }
        return out
    }

    public func close(_ partitions: [TopicPartition]) async throws {
        for tp in partitions {
            open[tp] = nil
            committed[tp] = nil
            seen[tp] = nil
        }
    }

    public func stop() async throws {
        open.removeAll()
    }
}

/// The S3 sink's plugin (`io.confluent.connect.s3.S3SinkConnector`).
public enum S3Plugins: PluginProvider {
    public static func register(in r: inout PluginRegistry) {
        r.register(.sink(S3SinkConnector.self), name: "S3Sink", aliases: ["S3SinkConnector", "io.confluent.connect.s3.S3SinkConnector"])
    }
}
