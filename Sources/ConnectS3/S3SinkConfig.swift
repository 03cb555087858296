#if canImport(Glibc)
import Glibc
#endif
public import ConnectAvro
import ConnectHTTP
public import ConnectKit
import ConnectRuntime
public import ConnectParquet

/// What a file holds of each record (Confluent's `RecordView`s).
public enum S3RecordView: Sendable, CaseIterable {
    /// The values (`<name><ext>`).
    case value
    /// The keys (`<name>.keys<ext>`, `store.kafka.keys`).
    case keys
    /// The headers as a list of `{key, value}` structs, values as Kafka's `Values.convertToString`
    /// prints them (`<name>.headers<ext>`, `store.kafka.headers`).
    case headers

    var extensionName: String {
        switch self {
        case .value: ""
        case .keys: ".keys"
        case .headers: ".headers"
        }
    }
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
    /// `s3.compression.level`: the gzip level, -1 (zlib's default) or 0…9.
    public var gzipLevel: Int
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
    /// `behavior.on.null.values=ignore`.
    public var ignoreNullValues: Bool
    /// `behavior.on.null.values=write`: tombstones go to `tombstone.encoded.partition`, their keys
    /// (and headers) written there, no value file.
    public var writeNullValues: Bool
    /// `tombstone.encoded.partition`.
    public var tombstoneEncodedPartition: String
    /// `store.kafka.keys`: also write `<name>.keys<ext>` files with the records' keys in `keys.format.class`.
    public var storeKafkaKeys: Bool
    /// `store.kafka.headers`: also write `<name>.headers<ext>` files with the records' headers in `headers.format.class`.
    public var storeKafkaHeaders: Bool
    /// `keys.format.class`.
    public var keysFormat: Format
    /// `headers.format.class`.
    public var headersFormat: Format
    /// `partitioner.class` and its keys.
    public var partitioner: S3Partitioner
    /// `rotate.interval.ms` (record time; -1: off; only with a time-based partitioner).
    public var rotateIntervalMs: Int64
    /// `rotate.schedule.interval.ms` (wall clock, aligned to the local day in `timezone`; -1: off).
    public var rotateScheduleIntervalMs: Int64
    /// The zone of the scheduled rotation (`timezone`).
    let scheduleZone: JodaZone?
    /// `rotate.file.on.partition.change`.
    public var rotateOnPartitionChange: Bool
    /// `schema.compatibility` (storage-common's `StorageSchemaCompatibility`).
    public enum SchemaCompatibility: String, Sendable {
        /// Every value schema change rotates the files.
        case none = "NONE"
        /// A newer schema version (or one the file's schema cannot take) rotates; older records are
        /// projected onto the file's schema.
        case backward = "BACKWARD"
        /// An older schema version (or one the file's schema cannot take) rotates; newer records
        /// are projected onto the file's schema.
        case forward = "FORWARD"
        /// As BACKWARD.
        case full = "FULL"
    }

    /// `schema.compatibility`.
    public var schemaCompatibility: SchemaCompatibility
    /// `s3.buffer.max.bytes`: the most bytes the task's open files hold in memory before the largest
    /// spill to temporary files in `s3.spill.dir`.
    public var bufferMaxBytes: Int
    /// `s3.spill.dir`.
    public var spillDirectory: String
    /// Warnings about keys that have no effect (logged by the task at start).
    public var warnings: [String] = []

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
        .define("s3.sse.customer.key", .password, default: .null, importance: .low, documentation: "The S3 Server Side Encryption Customer-Provided Key (SSE-C), base64; used when s3.ssea.name=AES256.")
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
        .define("s3.compression.level", .int, default: -1, importance: .low, documentation: "Compression level for gzip: -1 (the default level) or 0 (none) to 9 (best).",
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
        .define("partitioner.class", .string, default: .value(S3Partitioner.defaultClass), importance: .high,
                documentation: "The partitioner to use when writing data to the store: DefaultPartitioner, FieldPartitioner, TimeBasedPartitioner, DailyPartitioner, HourlyPartitioner (io.confluent.connect.storage.partitioner).",
                validator: .validString(S3Partitioner.classes))
        .define("partition.field.name", .list, default: "", importance: .medium,
                documentation: "The name of the partitioning field when FieldPartitioner is used.")
        .define("partition.duration.ms", .long, default: -1, importance: .medium,
                documentation: "The duration of a partition milliseconds used by ``TimeBasedPartitioner``. The default value -1 means that we are not using ``TimeBasedPartitioner``.")
        .define("path.format", .string, default: "", importance: .medium,
                documentation: "This configuration is used to set the format of the data directories when partitioning with ``TimeBasedPartitioner``. The format set in this configuration converts the Unix timestamp to proper directories strings. For example, if you set ``path.format='year'=YYYY/'month'=MM/'day'=dd/'hour'=HH``, the data directories will have the format ``/year=2015/month=12/day=07/hour=15/``.")
        .define("locale", .string, default: "", importance: .medium,
                documentation: "The locale to use when partitioning with ``TimeBasedPartitioner``. Used to format dates and times. For example, use ``en-US`` for US English.")
        .define("timezone", .string, default: "", importance: .medium,
                documentation: "The timezone to use when partitioning with ``TimeBasedPartitioner``. Used to format and compute dates and times. All timezone IDs must be specified in the long format, such as ``America/Los_Angeles``, ``America/New_York``, and ``Europe/Paris``, or ``UTC``.")
        .define("timestamp.extractor", .string, default: "Wallclock", importance: .medium,
                documentation: "The extractor that gets the timestamp for records when partitioning with ``TimeBasedPartitioner``. It can be set to ``Wallclock``, ``Record`` or ``RecordField`` in order to use one of the built-in timestamp extractors.")
        .define("timestamp.field", .string, default: "timestamp", importance: .medium,
                documentation: "The record field to be used as timestamp by the timestamp extractor.")
        .define("rotate.interval.ms", .long, default: -1, importance: .high,
                documentation: "The time interval in milliseconds to invoke file commits. You can configure this parameter so that the time interval is determined by using a timestamp extractor (for example, Kafka Record Time, Record Field, or Wall Clock extractor). When a first record is processed, a timestamp is set as the base time. This is useful in cases where you require a commit every ``rotate.interval.ms``. The default value -1 indicates that this feature is disabled.")
        .define("rotate.schedule.interval.ms", .long, default: -1, importance: .medium,
                documentation: "The time interval in milliseconds to periodically invoke file commits. This configuration ensures that file commits are invoked every configured interval. Time of commit will be adjusted to 00:00 of selected timezone. The commit will be performed at the scheduled time, regardless of the previous commit time or number of messages. This configuration is useful when you have to commit your data based on current server time, for example at the beginning of every hour. The default value -1 means that this feature is disabled.")
        .define("rotate.file.on.partition.change", .boolean, default: true, importance: .low,
                documentation: "With rotate.interval.ms and a time-based partitioner: rotate when a record's encoded partition differs from the previous record's.")
        .define("schema.compatibility", .string, default: "NONE", importance: .high,
                documentation: "The schema compatibility rule to use when the connector is observing schema changes. The supported configurations are NONE, BACKWARD, FORWARD and FULL.",
                validator: .caseInsensitiveValidString(["NONE", "BACKWARD", "FORWARD", "FULL"]))
        .define("s3.buffer.max.bytes", .long, default: 67_108_864, importance: .medium,
                documentation: "ConnectKit: the most bytes the task's open files hold in memory; above it the largest spill their closed parts (Parquet row groups, Avro blocks, JSON lines) to temporary files.",
                validator: .atLeast(1))
        .define("s3.spill.dir", .string, default: "", importance: .low,
                documentation: "ConnectKit: the directory of the temporary spill files (unlinked at once; default TMPDIR or /tmp).")
        .define("parquet.codec", .string, default: "snappy", importance: .low, documentation: "The Parquet compression codec to be used for output files.",
                validator: .validString(["none", "snappy", "gzip", "zstd"]))
        .define("behavior.on.null.values", .string, default: "fail", importance: .low,
                documentation: "How to handle records with a null value (i.e. Kafka tombstone records). Valid options are 'ignore', 'fail' and 'write'. 'write' needs store.kafka.keys=true: the keys of tombstones are written under tombstone.encoded.partition.",
                validator: .caseInsensitiveValidString(["ignore", "fail", "write"]))
        .define("tombstone.encoded.partition", .string, default: "tombstone", importance: .low,
                documentation: "Output s3 folder to write the tombstone records to. The configured partitioner would map tombstone records to this output folder.")
        .define("store.kafka.keys", .boolean, default: false, importance: .low,
                documentation: "Enable or disable writing keys to storage. This config is mandatory when the writing of tombstone records is enabled.")
        .define("store.kafka.headers", .boolean, default: false, importance: .low, documentation: "Enable or disable writing headers to storage.")
        .define("keys.format.class", .string, default: .value(Format.avro.rawValue), importance: .low,
                documentation: "The format class to use when writing keys to the store.", validator: .validString(Format.allCases.map(\.rawValue)))
        .define("headers.format.class", .string, default: .value(Format.avro.rawValue), importance: .low,
                documentation: "The format class to use when writing headers to the store.", validator: .validString(Format.allCases.map(\.rawValue)))
        .define("storage.class", .string, default: "io.confluent.connect.s3.storage.S3Storage", importance: .high, documentation: "The underlying storage layer (only Confluent's S3Storage: store.url chooses S3 or local storage).",
                validator: .validString(["io.confluent.connect.s3.storage.S3Storage"]))

    /// Whether `url` (`http://host[:port]`) names this machine's loopback (`localhost`, `127.x.y.z`, `::1`).
    static func isLoopback(_ url: String) -> Bool {
        let parts = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0].hasSuffix(":"), parts[1].isEmpty else { return false }
        let authority = parts[2]
        let hostAndPort = authority.split(separator: "@").last ?? ""
        let host = hostAndPort.hasPrefix("[") ? hostAndPort.prefix { $0 != "]" }.dropFirst() : hostAndPort.prefix { $0 != ":" }
        return host == "localhost" || host.hasPrefix("127.") || host == "::1"
    }

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
            let credentials: S3Credentials?
            do throws(S3Error) {
                credentials = try S3Credentials.resolve(accessKeyID: c.string("aws.access.key.id"), secretAccessKey: c.password("aws.secret.access.key"), environment: environment)
            } catch { throw ConfigError(key: "aws.access.key.id", message: error.message, context: "S3SinkConnector") }
            var headers: [HTTPHeader] = []
            let ssea = c.string("s3.ssea.name") ?? ""
            // As Confluent's S3OutputStream: a customer key with AES256 is SSE-C (and then no
            // x-amz-server-side-encryption header); otherwise the algorithm header.
            var customerKey: S3CustomerKey? = nil
            if let key = c.password("s3.sse.customer.key"), !key.value.trimmingWhitespace().isEmpty {
                if ssea.uppercased() == "AES256" {
                    // As the AWS SDK: a customer key is sent only over HTTPS (here also to a store on
                    // this machine's loopback, where it never crosses a network).
                    guard !url.hasPrefix("http://") || Self.isLoopback(url) else {
                        throw ConfigError(key: "s3.sse.customer.key", message: "HTTPS must be used when sending customer encryption keys (SSE-C) to S3: store.url \(url) is plain HTTP", context: "S3SinkConnector")
                    }
                    do throws(S3Error) { customerKey = try S3CustomerKey(base64: key) } catch {
                        throw ConfigError(key: "s3.sse.customer.key", message: "Invalid value \(Password.hidden) for configuration s3.sse.customer.key: \(error.message)", context: "S3SinkConnector")
                    }
                } else {
                    warnings.append("s3.sse.customer.key has no effect: SSE-C needs s3.ssea.name=AES256 (it is \(ssea.isEmpty ? "not set" : ssea))")
                }
            }
            if !ssea.isEmpty && customerKey == nil { headers.append(HTTPHeader("x-amz-server-side-encryption", ssea)) }
            if let kms = c.string("s3.sse.kms.key.id"), !kms.isEmpty, ssea.hasPrefix("aws:kms") { headers.append(HTTPHeader("x-amz-server-side-encryption-aws-kms-key-id", kms)) }
            if let acl = c.string("s3.acl.canned") { headers.append(HTTPHeader("x-amz-acl", acl)) }
            store = .s3(S3Client.Configuration(
                endpoint: url.isEmpty ? nil : (url.hasSuffix("/") ? String(url.dropLast()) : url), region: region,
                pathStyle: c.bool("s3.path.style.access.enabled") ?? true, credentials: credentials, retries: Int(c.int("s3.part.retries") ?? 3),
                retryBackoff: .milliseconds(c.long("s3.retry.backoff.ms") ?? 200), partSize: Int(c.int("s3.part.size") ?? 26_214_400), uploadHeaders: headers,
                customerKey: customerKey))
        }
        objectTagging = c.bool("s3.object.tagging") ?? false
        avroCodec = AvroCodec(rawValue: c.string("avro.codec") ?? "null") ?? .null
        gzip = c.string("s3.compression.type") == "gzip"
        gzipLevel = Int(c.int("s3.compression.level") ?? -1)
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
        writeNullValues = c.string("behavior.on.null.values")?.lowercased() == "write"
        tombstoneEncodedPartition = c.string("tombstone.encoded.partition") ?? "tombstone"
        storeKafkaKeys = c.bool("store.kafka.keys") ?? false
        storeKafkaHeaders = c.bool("store.kafka.headers") ?? false
        keysFormat = Format(rawValue: c.string("keys.format.class") ?? "") ?? .avro
        headersFormat = Format(rawValue: c.string("headers.format.class") ?? "") ?? .avro
        if writeNullValues && !storeKafkaKeys {
            throw ConfigError(key: "behavior.on.null.values", message: "Invalid value write for configuration behavior.on.null.values: writing tombstones needs store.kafka.keys=true (their keys are what is written)", context: "S3SinkConnector")
        }
        if writeNullValues && tombstoneEncodedPartition.trimmingWhitespace().isEmpty {
            throw ConfigError(key: "tombstone.encoded.partition", message: "Invalid value for configuration tombstone.encoded.partition: a directory name is needed", context: "S3SinkConnector")
        }
        partitioner = try S3Partitioner.parse(c, directoryDelimiter: directoryDelimiter)
        rotateIntervalMs = c.long("rotate.interval.ms") ?? -1
        rotateScheduleIntervalMs = c.long("rotate.schedule.interval.ms") ?? -1
        rotateOnPartitionChange = c.bool("rotate.file.on.partition.change") ?? true
        if rotateIntervalMs > 0, partitioner.timeBased == nil {
            // Confluent ignores it with a warning: it needs the time-based partitioner's timestamp extractor.
            warnings.append("rotate.interval.ms=\(rotateIntervalMs) has no effect: it needs a time-based partitioner (TimeBasedPartitioner, DailyPartitioner, HourlyPartitioner) for record times")
        }
        if rotateScheduleIntervalMs > 0 {
            let tz = (c.string("timezone") ?? "").trimmingWhitespace()
            guard !tz.isEmpty else {
                throw ConfigError(key: "timezone", message: "Invalid value  for configuration timezone: Timezone cannot be empty when using scheduled file rotation (rotate.schedule.interval.ms).", context: "S3SinkConnector")
            }
            guard let zone = JodaZone(id: tz) else {
                throw ConfigError(key: "timezone", message: "Invalid value \(tz) for configuration timezone: The datetime zone id '\(tz)' is not recognised", context: "S3SinkConnector")
            }
            scheduleZone = zone
        } else {
            scheduleZone = nil
        }
        schemaCompatibility = SchemaCompatibility(rawValue: (c.string("schema.compatibility") ?? "NONE").uppercased()) ?? .none
        bufferMaxBytes = Int(c.long("s3.buffer.max.bytes") ?? 67_108_864)
        let spill = (c.string("s3.spill.dir") ?? "").trimmingWhitespace()
        spillDirectory = spill.isEmpty ? (environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp") : spill
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
    /// FieldPartitioner; the start of the record's time bucket printed with `path.format` for the
    /// time-based ones (`now`, in epoch milliseconds, is the Wallclock extractor's time).
    ///
    /// - Throws: `DataError` naming the field or record (Confluent's `PartitionException`).
    public func encodedPartition(_ r: SinkRecord, now: Int64 = S3SinkTask.wallClockMillis()) throws(DataError) -> String {
        let ts = try partitioner.timeBased?.timestamp(of: r, now: now)
        return try partitioner.encode(r, timestamp: ts, delimiter: directoryDelimiter)
    }

    /// The file extension of the format (Confluent's `getExtension()`).
    public var extensionName: String { extensionName(of: format) }

    /// The file extension of a format (Confluent's `getExtension()`).
    public func extensionName(of format: Format) -> String {
        switch format {
        case .json: gzip ? ".json.gz" : ".json"
        case .parquet: parquetCodec == .none ? ".parquet" : ".\(parquetCodec == .gzip ? "gz" : parquetCodec.rawValue).parquet"
        case .avro: ".avro"
        case .byteArray: byteArrayExtension + (gzip ? ".gz" : "")
        }
    }

    /// The next scheduled rotation after `now` (`rotate.schedule.interval.ms` in `timezone`), nil
    /// without one.
    func nextScheduledRotation(after now: Int64) -> Int64? {
        scheduleZone.map { S3TimeBasedPartitioning.nextScheduledRotation(now: now, interval: rotateScheduleIntervalMs, zone: $0) }
    }

    /// The format of a view's files.
    public func format(of view: S3RecordView) -> Format {
        switch view {
        case .value: format
        case .keys: keysFormat
        case .headers: headersFormat
        }
    }

    /// The object key of a file: `<topics.dir>/<topic>/<encodedPartition>/<topic>+<p>+<start><view><ext>`
    /// (`<view>` is `.keys` or `.headers` for the side files, with their format's extension).
    public func key(topic: String, partition: Int32, startOffset: Int64, encodedPartition: String? = nil, view: S3RecordView = .value) -> String {
        var digits = String(startOffset)
        if digits.count < offsetPadWidth { digits = String(repeating: "0", count: offsetPadWidth - digits.count) + digits }
        let name = topic + fileDelimiter + String(partition) + fileDelimiter + digits + view.extensionName + extensionName(of: format(of: view))
        let prefix = topic + directoryDelimiter + (encodedPartition ?? "partition=" + String(partition))
        return (topicsDir.isEmpty ? "" : topicsDir + directoryDelimiter) + prefix + directoryDelimiter + name
    }
}

