public import ConnectKit

/// Worker settings, read from Kafka Connect's `worker.properties` keys (unknown keys are kept).
///
/// | key | default | meaning |
/// | --- | --- | --- |
/// | `offset.storage.file.filename` | none (memory) | file where source offsets are kept |
/// | `offset.storage.sqlite.filename` | none | SQLite database where source offsets are kept (instead of a file) |
/// | `offset.flush.interval.ms` | 60000 | how often sinks flush and source offsets are committed |
/// | `offset.flush.timeout.ms` | 5000 | how long shutdown waits for outstanding records to be acknowledged |
/// | `task.shutdown.graceful.timeout.ms` | 5000 | how long shutdown waits for a task to return from `poll`/`put` |
/// | `pipeline.max.in.flight.records` | 10000 | records submitted by a source task and not yet acknowledged |
/// | `pipeline.max.in.flight.bytes` | 67108864 | approximate bytes of those records |
/// | `consumer.max.poll.records` | 500 | the largest batch given to `SinkTask.put` |
/// | `consumer.max.poll.interval.ms` | 300000 | how long a sink task may go without polling before its consumer group gives its partitions to the others |
/// | `topic.partitions` | 1 | partitions of each in-memory topic |
/// | `pipeline.mode` | direct | `direct`: sources hand records to sinks in-process, unconverted; `topic`: through in-memory topics with the converters |
/// | `key.converter`, `value.converter` | JsonConverter | converters of topic mode (and of dead-letter records), with their `key.converter.*` settings |
/// | `header.converter` | SimpleHeaderConverter | header converter of topic mode |
/// | `topic.memory.retention.records` | 10000 | records an in-memory topic that no sink reads keeps (e.g. a dead-letter queue) |
/// | `local.topics.dir` | `<offset file>.topics` | directory of the durable local topic logs that hold dead-letter queues when no Kafka is configured |
/// | `bootstrap.servers` | none | Kafka: with a Kafka transport (ConnectKafka's `KafkaTransport`) topics are Kafka's; without one the worker warns that topics are in memory |
/// | `exactly.once.source.support` | disabled | `enabled`: exactly-once source tasks (KIP-618) — records and offsets committed in one Kafka transaction per `transaction.boundary` |
/// | `config.storage.file.filename` | `<offset file>.connectors.json` | where connectors created over the REST API are kept across restarts |
/// | `listeners`, `rest.advertised.*`, `access.control.*`, `rest.extension.classes`, `topic.tracking.*` | Kafka's | the REST API's (ConnectREST) |
/// | `connector.client.config.override.policy` | All | which `producer.override.*`/`consumer.override.*`/`admin.override.*` keys connectors may set (``ClientOverridePolicy``) |
///
/// The Kafka transport reads more worker keys (`group.id`, `producer.*`, `consumer.*`, `admin.*`,
/// security keys, `offset.storage.topic`, `topic.creation.enable`); see ConnectKafka.
public struct WorkerConfig: Sendable, CustomReflectable {
    /// `config.storage.file.filename`, else the offsets file's path followed by `.connectors.json`
    /// (nil when offsets are kept in memory): where the connectors of the control API are kept.
    public var configStorageFile: String? {
        if let explicit = originals["config.storage.file.filename"]?.trimmingWhitespace(), !explicit.isEmpty { return explicit }
        return (offsetStorageSQLite ?? offsetStorageFile).map { $0 + ".connectors.json" }
    }

    /// `offset.storage.file.filename`: the file source offsets are kept in.
    public var offsetStorageFile: String?
    /// `offset.storage.sqlite.filename`: the SQLite database source offsets are kept in (preferred over the file).
    public var offsetStorageSQLite: String?
    /// `offset.flush.interval.ms`: how often sinks flush and source offsets are committed.
    public var offsetFlushIntervalMs: Int64
    /// `offset.flush.timeout.ms`: how long a stopping source waits for its last acknowledgements.
    public var offsetFlushTimeoutMs: Int64
    /// `task.shutdown.graceful.timeout.ms`: how long shutdown waits for tasks to return from `poll`/`put`.
    public var taskShutdownTimeoutMs: Int64
    /// `pipeline.max.in.flight.records`: records a source task may have unacknowledged.
    public var maxInFlightRecords: Int
    /// `pipeline.max.in.flight.bytes`: approximate bytes of those records.
    public var maxInFlightBytes: Int
    /// `consumer.max.poll.records`: the largest batch handed to a sink task's `put`.
    public var maxPollRecords: Int
    /// `consumer.max.poll.interval.ms`: a sink task's consumer that does not poll for this long
    /// leaves its group (Kafka's consumer setting, which Connect passes with the `consumer.` prefix).
    public var maxPollIntervalMs: Int64
    /// `topic.partitions`: partitions of each in-memory topic.
    public var topicPartitions: Int
    /// `pipeline.mode`: direct or through topics.
    public var mode: PipelineMode
    /// `topic.memory.retention.records`: records an in-memory topic nobody reads keeps.
    public var topicRetentionRecords: Int
    /// Where durable local topic logs (dead-letter queues without Kafka) are kept: `local.topics.dir`,
    /// else the offsets file's (or SQLite database's) path followed by `.topics`; nil when offsets
    /// are kept in memory and no directory is given.
    public var localTopicsDirectory: String?
    /// `bootstrap.servers`: the Kafka brokers (read by a Kafka transport; a worker on in-memory topics warns when it is set).
    public var bootstrapServers: [String]
    /// `exactly.once.source.support=enabled`: source tasks produce in transactions that carry their
    /// offsets (KIP-618; needs Kafka with offsets in `offset.storage.topic`).
    public var exactlyOnceSourceSupport: Bool
    /// `connector.client.config.override.policy`: which client overrides connectors may set.
    public var clientOverridePolicy: ClientOverridePolicy
    /// Every key given, including ones this worker does not use.
    public var originals: [String: String]

    /// The worker keys ConnectKit reads, with Kafka Connect's names and defaults.
    public static let configDef = ConfigDef()
        .define("offset.storage.file.filename", .string, default: .null, importance: .high,
                documentation: "File to store source offsets in; offsets are kept in memory when unset.")
        .define("offset.storage.sqlite.filename", .string, default: .null, importance: .high,
                documentation: "SQLite database to store source offsets in (takes precedence over offset.storage.file.filename).")
        .define("offset.flush.interval.ms", .long, default: 60000, importance: .low,
                documentation: "Interval at which sinks are flushed and source offsets committed.", validator: .atLeast(1))
        .define("offset.flush.timeout.ms", .long, default: 5000, importance: .low,
                documentation: "Time to wait at shutdown for outstanding records to be acknowledged.", validator: .atLeast(0))
        .define("task.shutdown.graceful.timeout.ms", .long, default: 5000, importance: .low,
                documentation: "Time to wait for tasks to stop at shutdown.", validator: .atLeast(0))
        .define("pipeline.max.in.flight.records", .int, default: 10000, importance: .medium,
                documentation: "Records a source task may have submitted and not yet acknowledged.", validator: .atLeast(1))
        .define("pipeline.max.in.flight.bytes", .long, default: 67_108_864, importance: .medium,
                documentation: "Approximate bytes of records a source task may have in flight.", validator: .atLeast(1))
        .define("consumer.max.poll.records", .int, default: 500, importance: .medium,
                documentation: "The largest batch handed to a sink task's put.", validator: .atLeast(1))
        .define("consumer.max.poll.interval.ms", .long, default: 300_000, importance: .low,
                documentation: "How long a sink task may go without polling before its consumer group rebalances its partitions to the other tasks.",
                validator: .atLeast(1))
        .define("topic.partitions", .int, default: 1, importance: .low,
                documentation: "Partitions of each in-memory topic.", validator: .atLeast(1))
        .define("pipeline.mode", .string, default: "direct", importance: .medium,
                documentation: "direct: records go from sources to sinks in-process without serialization; topic: through in-memory topics, converted on the way in and out as on Kafka.",
                validator: .validString(["direct", "topic"]))
        .define("key.converter", .class, default: "org.apache.kafka.connect.json.JsonConverter", importance: .high,
                documentation: "Converter class for record keys in topic mode.")
        .define("value.converter", .class, default: "org.apache.kafka.connect.json.JsonConverter", importance: .high,
                documentation: "Converter class for record values in topic mode.")
        .define("header.converter", .class, default: "org.apache.kafka.connect.storage.SimpleHeaderConverter", importance: .low,
                documentation: "Converter class for header values in topic mode.")
        .define("topic.memory.retention.records", .int, default: 10000, importance: .low,
                documentation: "Records kept by an in-memory topic that no sink reads.", validator: .atLeast(0))
        .define("local.topics.dir", .string, default: .null, importance: .medium,
                documentation: "Directory of the durable local topic logs that keep dead-letter queues when no Kafka is configured. Default: the offsets file's path followed by .topics.")
        .define("bootstrap.servers", .list, default: "", importance: .high,
                documentation: "Kafka brokers. Without them, topics live in memory.")
        .define("exactly.once.source.support", .string, default: "disabled", importance: .high,
                documentation: "enabled: source tasks write records and offsets in Kafka transactions (KIP-618); needs a Kafka transport and offset.storage.topic.",
                validator: .caseInsensitiveValidString(["DISABLED", "ENABLED", "PREPARING"]))
        .define("connector.client.config.override.policy", .string, default: "All", importance: .medium,
                documentation: "Which producer.override.*, consumer.override.* and admin.override.* keys connectors may set: All, None or Principal.",
                validator: .validString(ClientOverridePolicy.allCases.map(\.rawValue) + ClientOverridePolicy.allCases.map {
                    "org.apache.kafka.connect.connector.policy.\($0.rawValue)ConnectorClientConfigOverridePolicy"
                }))
        .define("config.storage.file.filename", .string, default: .null, importance: .medium,
                documentation: "File where connectors created, changed or deleted over the REST API are kept across restarts (ConnectKit's; Kafka's standalone mode keeps none). Default: the offsets file's path followed by .connectors.json.")
        // The REST API's keys (read by ConnectREST and `connect standalone`).
        .define("listeners", .list, default: "http://:8083", importance: .low,
                documentation: "The REST API's listeners: http://host:port, comma-separated; an empty host listens on every interface.")
        .define("rest.advertised.host.name", .string, default: .null, importance: .low,
                documentation: "The host name other workers and statuses (worker_id) use for this worker; default: the listener's host, else this machine's name.")
        .define("rest.advertised.port", .int, default: .null, importance: .low,
                documentation: "The port statuses (worker_id) show; default: the listener's port.")
        .define("rest.advertised.listener", .string, default: .null, importance: .low, documentation: "Which listener's protocol (http or https) statuses advertise.")
        .define("access.control.allow.origin", .string, default: "", importance: .low,
                documentation: "Cross-origin requests (CORS) allowed from these origins: a comma-separated list, or * for any; empty disables CORS.")
        .define("access.control.allow.methods", .string, default: "", importance: .low,
                documentation: "Methods allowed in cross-origin requests; empty means GET,POST,HEAD (Jetty's default, as Kafka's).")
        .define("rest.extension.classes", .list, default: "", importance: .low,
                documentation: "REST extensions: org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension enables HTTP Basic authentication with the users of rest.basic.auth.credentials.file.")
        .define("rest.basic.auth.credentials.file", .string, default: .null, importance: .low,
                documentation: "Users of HTTP Basic authentication, one 'user: password' (or user=password) per line, as Kafka's PropertyFileLoginModule reads them.")
        .define("rest.request.max.bytes", .int, default: 16_777_216, importance: .low,
                documentation: "The largest request body the REST API reads; larger ones are answered 413.", validator: .atLeast(1024))
        .define("topic.tracking.enable", .boolean, default: true, importance: .low,
                documentation: "Whether the topics each connector uses are tracked (GET /connectors/{name}/topics).")
        .define("topic.tracking.allow.reset", .boolean, default: true, importance: .low,
                documentation: "Whether PUT /connectors/{name}/topics/reset may reset them.")

    /// The settings of a worker properties map (unknown keys are kept in ``originals``).
    /// - Throws: ``ConfigError`` (context `worker`) naming every bad key.
    public init(_ properties: [String: String] = [:]) throws(ConfigError) {
        let c: ParsedConfig
        do { c = try WorkerConfig.configDef.parse(properties) } catch { throw ConfigError(error.problems, context: "worker") }
        offsetStorageFile = c.string("offset.storage.file.filename")
        offsetStorageSQLite = c.string("offset.storage.sqlite.filename")
        offsetFlushIntervalMs = c.long("offset.flush.interval.ms")!
        offsetFlushTimeoutMs = c.long("offset.flush.timeout.ms")!
        taskShutdownTimeoutMs = c.long("task.shutdown.graceful.timeout.ms")!
        maxInFlightRecords = Int(c.int("pipeline.max.in.flight.records")!)
        maxInFlightBytes = Int(c.long("pipeline.max.in.flight.bytes")!)
        maxPollRecords = Int(c.int("consumer.max.poll.records")!)
        maxPollIntervalMs = c.long("consumer.max.poll.interval.ms")!
        topicPartitions = Int(c.int("topic.partitions")!)
        mode = PipelineMode(rawValue: c.string("pipeline.mode") ?? "direct") ?? .direct
        topicRetentionRecords = Int(c.int("topic.memory.retention.records")!)
        localTopicsDirectory = c.string("local.topics.dir").flatMap { $0.isEmpty ? nil : $0 }
            ?? (offsetStorageSQLite ?? offsetStorageFile).map { $0 + ".topics" }
        bootstrapServers = c.list("bootstrap.servers") ?? []
        exactlyOnceSourceSupport = c.string("exactly.once.source.support")?.lowercased() == "enabled"
        clientOverridePolicy = ClientOverridePolicy(workerValue: c.string("connector.client.config.override.policy") ?? "All") ?? .all
        originals = properties
    }
}

extension WorkerConfig {
    /// `dump` and other reflection show ``originals`` with secrets (`sasl.jaas.config`,
    /// `ssl.*.password`, …) masked.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "offsetStorageFile": offsetStorageFile as Any, "offsetStorageSQLite": offsetStorageSQLite as Any, "mode": mode,
            "localTopicsDirectory": localTopicsDirectory as Any, "bootstrapServers": bootstrapServers,
            "originals": ParsedConfig.masked(originals, definition: WorkerConfig.configDef),
        ], displayStyle: .struct)
    }
}

/// How records travel from source tasks to sink tasks.
public enum PipelineMode: String, Sendable {
    /// In-process hand-over, no serialization (the embedded default).
    case direct
    /// Through in-memory topics, converted with the connectors' converters, as on Kafka.
    case topic
}
