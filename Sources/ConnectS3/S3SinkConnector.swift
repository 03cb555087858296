#if canImport(Glibc)
import Glibc
#endif
public import ConnectAvro
import ConnectHTTP
public import ConnectKit
import ConnectZlib
public import ConnectRuntime
public import ConnectParquet

/// Confluent's `io.confluent.connect.s3.S3SinkConnector`: S3 or an S3-compatible store
/// (`store.url=http(s)://…`, or AWS when unset; ``S3Client``) or local storage
/// (`store.url=file:///path`); the object keys, the `DefaultPartitioner` and `FieldPartitioner`,
/// rotation by `flush.size` and on a schema change, and the JSON and Parquet formats. The time-based
/// partitioners, time-based rotation and the Avro/ByteArray formats are not built yet; asking for
/// them is a configuration error that says so.
///
/// Objects are written as Confluent names them,
/// `<topics.dir>/<topic>/partition=<p>/<topic>+<p>+<startOffset, 10 digits>.<ext>`, in the bucket
/// (locally under `<store.url path>/<s3.bucket.name>/`). An object is written once its file holds
/// `flush.size` records of one partition (locally crash-safe: temporary file, fsync, rename; on S3
/// one PutObject or a multipart upload, both atomic); `preCommit` reports only offsets whose records
/// are in written objects, so a restart re-reads what no object holds. (Exactly once under `kill -9`
/// also needs the topic to keep every record the sink read; the standalone in-memory topic's log
/// does not yet — see Docs/ConnectS3.md.)
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
    /// The object formats (Confluent's classes).
    public enum Format: String, Sendable, CaseIterable {
        /// `io.confluent.connect.s3.format.json.JsonFormat`: one JSON value per line (`.json`, `.json.gz`).
        case json = "io.confluent.connect.s3.format.json.JsonFormat"
        /// `io.confluent.connect.s3.format.parquet.ParquetFormat` (`.snappy.parquet`, …).
        case parquet = "io.confluent.connect.s3.format.parquet.ParquetFormat"
        /// `io.confluent.connect.s3.format.avro.AvroFormat`: an Avro object container file with the
        /// schema Confluent's AvroData gives the value schema (`.avro`; `avro.codec`).
        case avro = "io.confluent.connect.s3.format.avro.AvroFormat"
        /// `io.confluent.connect.s3.format.bytearray.ByteArrayFormat`: the values' bytes, each
        /// followed by `format.bytearray.separator` (`.bin`, `.bin.gz`).
        case byteArray = "io.confluent.connect.s3.format.bytearray.ByteArrayFormat"
    }

    /// `avro.codec`.
    public var avroCodec: AvroCodec
    /// `s3.compression.type=gzip` (JSON and ByteArray).
    public var gzip: Bool
    /// `format.bytearray.extension`.
    public var byteArrayExtension: String
    /// `format.bytearray.separator`.
    public var byteArraySeparator: [UInt8]

    /// Where objects go.
    public enum Store: Sendable {
        /// `store.url=file:///path`: files under `<path>/<bucket>/`.
        case local(root: String)
        /// S3 or an S3-compatible store (`store.url=http(s)://…`, or AWS's endpoint when unset).
        case s3(S3Client.Configuration)
    }

    /// Where objects go.
    public var store: Store
    /// `s3.object.tagging`: tag each object with `startOffset`, `endOffset`, `recordCount`.
    public var objectTagging: Bool
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
                documentation: "Store's connection URL: an S3-compatible endpoint (http://host:port), file:///path for local storage; unset: AWS S3 in s3.region.")
        .define("s3.path.style.access.enabled", .boolean, default: true, importance: .low,
                documentation: "Specifies whether or not to enable path style access to the bucket used by the connector")
        .define("s3.part.size", .int, default: 26_214_400, importance: .high,
                documentation: "The Part Size in S3 Multi-part Uploads.", validator: .between(5_242_880, Double(Int32.max)))
        .define("s3.part.retries", .int, default: 3, importance: .medium,
                documentation: "Maximum number of retry attempts for failed requests.", validator: .atLeast(0))
        .define("s3.retry.backoff.ms", .long, default: 200, importance: .low,
                documentation: "How long to wait in milliseconds before attempting the first retry of a failed S3 request.", validator: .atLeast(0))
        .define("aws.access.key.id", .string, default: "", importance: .high, documentation: "The AWS access key ID used to authenticate personal AWS credentials.")
        .define("aws.secret.access.key", .password, default: .null, importance: .high, documentation: "The secret access key used to authenticate personal AWS credentials.")
        .define("s3.credentials.provider.class", .class, default: "com.amazonaws.auth.DefaultAWSCredentialsProviderChain", importance: .low,
                documentation: "Credentials provider: AWS's default chain (the connector's keys, the environment, ~/.aws/credentials).",
                validator: .validString(["com.amazonaws.auth.DefaultAWSCredentialsProviderChain", "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider"]))
        .define("s3.ssea.name", .string, default: "", importance: .low, documentation: "The S3 Server Side Encryption Algorithm.",
                validator: .validString(["", "AES256", "aws:kms", "aws:kms:dsse"]))
        .define("s3.sse.kms.key.id", .string, default: "", importance: .low, documentation: "The name of the AWS Key Management Service key to be used for server side encryption.")
        .define("s3.sse.customer.key", .password, default: .null, importance: .low, documentation: "The S3 Server Side Encryption Customer-Provided Key (SSE-C): not supported by this build.")
        .define("s3.acl.canned", .string, default: .null, importance: .low, documentation: "An S3 canned ACL header value to apply when writing objects.",
                validator: .nullOr(.validString(["private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write"])))
        .define("s3.object.tagging", .boolean, default: false, importance: .low,
                documentation: "Tag S3 objects with start and end offsets, as well as record count.")
        .define("format.class", .string, importance: .high, documentation: "The format class to use when writing data to the store.",
                validator: .validString(Format.allCases.map(\.rawValue)))
        .define("avro.codec", .string, default: "null", importance: .low, documentation: "The Avro compression codec to be used for output files.",
                validator: .validString(["null", "deflate", "snappy", "zstandard"]))
        .define("s3.compression.type", .string, default: "none", importance: .low, documentation: "Compression type for files written to S3 (JsonFormat and ByteArrayFormat).",
                validator: .validString(["none", "gzip"]))
        .define("s3.compression.level", .int, default: -1, importance: .low, documentation: "Compression level for gzip (accepted; zlib's default level is used).",
                validator: .between(-1, 9))
        .define("format.bytearray.extension", .string, default: ".bin", importance: .low, documentation: "Output file extension for ByteArrayFormat.")
        .define("format.bytearray.separator", .string, default: .null, importance: .low,
                documentation: "String inserted between records for ByteArrayFormat (default: a line separator).")
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
    /// - Throws: `ConfigError` naming each bad key.
    public init(_ properties: [String: String], environment: [String: String] = S3SinkConfig.processEnvironment()) throws(ConfigError) {
        let c = try Self.configDef.parse(properties)
        let url = (c.string("store.url") ?? "").trimmingWhitespace()
        let region = c.string("s3.region") ?? "us-west-2"
        if url.hasPrefix("file://") {
            store = .local(root: String(url.dropFirst("file://".count)))
        } else {
            guard url.isEmpty || url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ConfigError(key: "store.url", message: "Invalid value \(url) for configuration store.url: http(s)://host[:port] for an S3-compatible store, or file:///path", context: "S3SinkConnector")
            }
            if c.password("s3.sse.customer.key") != nil {
                throw ConfigError(key: "s3.sse.customer.key", message: "SSE-C (customer-provided keys) is not supported by this build; use s3.ssea.name=AES256 or aws:kms", context: "S3SinkConnector")
            }
            let credentials: S3Credentials?
            do throws(S3Error) {
                credentials = try S3Credentials.resolve(accessKeyID: c.string("aws.access.key.id"), secretAccessKey: c.password("aws.secret.access.key"), environment: environment)
            } catch { throw ConfigError(key: "aws.access.key.id", message: error.message, context: "S3SinkConnector") }
            var headers: [HTTPHeader] = []
            let ssea = c.string("s3.ssea.name") ?? ""
            if !ssea.isEmpty { headers.append(HTTPHeader("x-amz-server-side-encryption", ssea)) }
            if let kms = c.string("s3.sse.kms.key.id"), !kms.isEmpty, ssea.hasPrefix("aws:kms") { headers.append(HTTPHeader("x-amz-server-side-encryption-aws-kms-key-id", kms)) }
            if let acl = c.string("s3.acl.canned") { headers.append(HTTPHeader("x-amz-acl", acl)) }
            store = .s3(S3Client.Configuration(
                endpoint: url.isEmpty ? nil : (url.hasSuffix("/") ? String(url.dropLast()) : url), region: region,
                pathStyle: c.bool("s3.path.style.access.enabled") ?? true, credentials: credentials, retries: Int(c.int("s3.part.retries") ?? 3),
                retryBackoff: .milliseconds(c.long("s3.retry.backoff.ms") ?? 200), partSize: Int(c.int("s3.part.size") ?? 26_214_400), uploadHeaders: headers))
        }
        objectTagging = c.bool("s3.object.tagging") ?? false
        avroCodec = AvroCodec(rawValue: c.string("avro.codec") ?? "null") ?? .null
        gzip = c.string("s3.compression.type") == "gzip"
        byteArrayExtension = c.string("format.bytearray.extension") ?? ".bin"
        // Confluent uses the value as given (not trimmed).
        byteArraySeparator = Array((properties["format.bytearray.separator"] ?? "\n").utf8)
        bucket = c.string("s3.bucket.name") ?? ""
        format = Format(rawValue: c.string("format.class") ?? "") ?? .json
        if c.string("s3.compression.type") == "gzip", format == .avro || format == .parquet {
            throw ConfigError(key: "s3.compression.type", message: "Invalid value gzip for configuration s3.compression.type: only JsonFormat and ByteArrayFormat are compressed this way (Avro and Parquet have their own codecs)", context: "S3SinkConnector")
        }
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

    /// This process's environment (for AWS credentials).
    public static func processEnvironment() -> [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") { out[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
            p += 1
        }
        return out
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
        case .json: gzip ? ".json.gz" : ".json"
        case .parquet: parquetCodec == .none ? ".parquet" : ".\(parquetCodec == .gzip ? "gz" : parquetCodec.rawValue).parquet"
        case .avro: ".avro"
        case .byteArray: byteArrayExtension + (gzip ? ".gz" : "")
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
    private let avroData = AvroData()

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

    private var client: S3Client?

    /// Checks the configuration and, for S3, that the bucket exists and the credentials may use it
    /// (Confluent's task fails to start when `bucketExists()` is false).
    public func start(_ properties: [String: String]) async throws {
        let config = try S3SinkConfig(properties)
        self.config = config
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
        for r in records {
            // Files and commits per consumed partition; named after the record's topic and partition.
            let tp = r.originalTopicPartition
            // A flush that failed (a retriable upload error) is tried again first, with the same
            // records: the same keys get the same contents.
            if let pending = open[tp], pending.count >= config.flushSize {
                try await commit(tp, pending, config)
                open[tp] = nil
            }
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
                try await commit(tp, writer, config)
                writer = PartitionWriter()
            }
            var file = writer.files[encoded]
                ?? OpenFile(topic: r.topic, partition: r.kafkaPartition ?? 0, encodedPartition: encoded, startOffset: r.kafkaOffset, schema: r.valueSchema)
            if writer.files[encoded] == nil { writer.order.append(encoded) }
            file.records.append(r)
            writer.files[encoded] = file
            writer.count += 1
            writer.lastOffset = r.originalKafkaOffset
            // Buffered: a batch handed again skips it, and a failed flush below keeps it.
            open[tp] = writer
            seen[tp] = r.originalKafkaOffset
            if writer.count >= config.flushSize {
                // flush.size counts the partition's records over all its open files, which are committed together.
                try await commit(tp, writer, config)
                open[tp] = nil
            }
        }
        // Flushes that failed earlier and got no new record in this batch.
        for (tp, pending) in open where pending.count >= config.flushSize {
            try await commit(tp, pending, config)
            open[tp] = nil
        }
    }

    func commit(_ tp: TopicPartition, _ writer: PartitionWriter, _ config: S3SinkConfig) async throws {
        for encoded in writer.order {
            if let file = writer.files[encoded] { try await write(file, config) }
        }
        committed[tp] = writer.lastOffset + 1
    }

    func write(_ file: OpenFile, _ config: S3SinkConfig) async throws {
        var bytes: [UInt8]
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
        case .avro:
            // Confluent's AvroRecordWriterProvider: the container's schema is AvroData's for the
            // file's value schema; each value encoded by AvroData.
            let node = try avroData.fromConnectSchema(file.schema)
            var writer = try AvroContainerWriter(schemaJSON: try node.javaString(), codec: config.avroCodec)
            for r in file.records {
                var datum: [UInt8] = []
                try avroData.encode(r.value, schema: r.valueSchema, avro: writer.schema, into: &datum)
                try writer.appendEncoded(datum)
            }
            bytes = try writer.finish()
        case .byteArray:
            var out: [UInt8] = []
            for r in file.records {
                guard case .bytes(let b) = r.value else {
                    throw DataError("ByteArrayFormat needs byte array values (ByteArrayConverter); \(r.topic)-\(r.kafkaPartition ?? 0) at offset \(r.kafkaOffset) holds \(r.value.kindName)", topic: r.topic)
                }
                out += b
                out += config.byteArraySeparator
            }
            bytes = out
        }
        if config.gzip {
            do { bytes = try Zlib.deflate(bytes, format: .gzip) } catch { throw ConnectError("gzip failed: \(error)") }
        }
        let key = config.key(topic: file.topic, partition: file.partition, startOffset: file.startOffset, encodedPartition: file.encodedPartition)
        switch config.store {
        case .local(let root):
            let path = root + "/" + config.bucket + "/" + key
            do { try DurableFile.replace(path, with: bytes, createDirectories: true) } catch {
                throw RetriableError("Couldn't write \(path): \(error)")
            }
        case .s3:
            guard let client else { throw ConnectError("the S3 client is not started") }
            var headers: [HTTPHeader] = []
            if config.objectTagging, let last = file.records.last {
                // Confluent's tags: startOffset, endOffset, recordCount.
                headers.append(HTTPHeader("x-amz-tagging", "startOffset=\(file.startOffset)&endOffset=\(last.kafkaOffset)&recordCount=\(file.records.count)"))
            }
            do { try await client.upload(bucket: config.bucket, key: key, body: bytes, headers: headers) } catch {
                // The same key with the same contents is written again when the batch is retried.
                if error.isRetriable { throw RetriableError("\(error)") }
                throw ConnectError("\(error)")
            }
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
        client?.shutdown()
        client = nil
    }
}

/// The S3 sink's plugin (`io.confluent.connect.s3.S3SinkConnector`).
public enum S3Plugins: PluginProvider {
    public static func register(in r: inout PluginRegistry) {
        r.register(.sink(S3SinkConnector.self), name: "S3Sink", aliases: ["S3SinkConnector", "io.confluent.connect.s3.S3SinkConnector"])
    }
}
