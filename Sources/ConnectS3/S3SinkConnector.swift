#if canImport(Glibc)
import Glibc
#endif
public import ConnectKit
public import ConnectRuntime

/// Confluent's `io.confluent.connect.s3.S3SinkConnector`: S3 or an S3-compatible store
/// (`store.url=http(s)://…`, or AWS when unset; ``S3Client``) or local storage
/// (`store.url=file:///path`); Confluent's object keys, partitioners (Default, Field, TimeBased,
/// Daily, Hourly), rotation (`flush.size`, `rotate.interval.ms`, `rotate.schedule.interval.ms`, a
/// value schema change) and formats (JSON, Parquet, Avro, ByteArray).
///
/// Objects are written as Confluent names them,
/// `<topics.dir>/<topic>/<encoded partition>/<topic>+<p>+<startOffset, 10 digits>.<ext>`, in the
/// bucket (locally under `<store.url path>/<s3.bucket.name>/`, crash-safe: temporary file, fsync,
/// rename; on S3 one PutObject or a multipart upload, both atomic); `preCommit` reports only offsets
/// whose records are in written objects, so a restart re-reads what no object holds. (Exactly once
/// under `kill -9` also needs the topic to keep every record the sink read; the standalone in-memory
/// topic's log does not yet — see Docs/ConnectS3.md.)
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

/// The S3 sink's plugin (`io.confluent.connect.s3.S3SinkConnector`).
public enum S3Plugins: PluginProvider {
    public static func register(in r: inout PluginRegistry) {
        r.register(.sink(S3SinkConnector.self), name: "S3Sink", aliases: ["S3SinkConnector", "io.confluent.connect.s3.S3SinkConnector"])
    }
}
