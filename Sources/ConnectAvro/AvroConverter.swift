import ConnectHTTP
public import ConnectKit
import Synchronization

/// Confluent's `io.confluent.connect.avro.AvroConverter`: Connect data ↔ Confluent's wire format —
/// magic byte `0`, the schema id as a 4-byte big-endian integer, then the Avro binary encoding —
/// with the Avro schemas registered in a Schema Registry under the subject its naming strategy
/// picks. The mapping is ``AvroData``'s (Confluent's `AvroData`), so the bytes, the registered schema
/// text and the Connect schema read back equal Confluent's.
///
/// Keys (as `key.converter.*` / `value.converter.*`; besides ``AvroDataConfig``'s):
///
/// | key | default | meaning |
/// | --- | --- | --- |
/// | `schema.registry.url` | required | registry URLs, comma-separated, tried in order; `mock://<scope>` is an in-memory registry shared by every converter of the process with that scope (Confluent's `MockSchemaRegistry`) |
/// | `auto.register.schemas` | `true` | register the value's schema; `false`: look it up (it must be registered) |
/// | `use.latest.version` | `false` | write with the subject's latest schema (when not auto-registering) |
/// | `key.subject.name.strategy` / `value.subject.name.strategy` | `TopicNameStrategy` | `io.confluent.kafka.serializers.subject.TopicNameStrategy` (`<topic>-key`/`-value`), `RecordNameStrategy` (the record's full name), `TopicRecordNameStrategy` (`<topic>-<record>`) |
/// | `basic.auth.credentials.source` | `URL` | `URL` (user info in the URL) or `USER_INFO` |
/// | `basic.auth.user.info` | empty | `user:password` (a `Password`: never logged or shown) |
/// | `bearer.auth.token` | empty | a bearer token (with `bearer.auth.credentials.source=STATIC_TOKEN`) |
/// | `http.connect.timeout.ms` / `http.read.timeout.ms` | 60000 | registry call timeouts |
/// | `max.schemas.per.subject` | 1000 | schemas cached per converter |
///
/// The runtime calls ``serialize(topic:headers:schema:value:)`` and
/// ``deserialize(topic:headers:value:)``, which wait for the registry off the cooperative pool (the
/// HTTP layer runs on its own thread) and cache ids, schemas and versions; the synchronous
/// `fromConnectData`/`toConnectData` use only what is cached and throw a `DataError` otherwise.
/// Errors read as Confluent's: `Failed to serialize Avro data from topic <t> :` and `Failed to
/// deserialize data for topic <t> to Avro: ` with the cause (`Unknown magic byte!`, the
/// registry's `Schema 7 not found; error code: 40403`, …); registry timeouts are retriable.
public final class AvroConverter: Converter {
    /// The subject naming strategy (Confluent's `*.subject.name.strategy`).
    public enum SubjectNameStrategy: String, Sendable, CaseIterable {
        /// `<topic>-key` / `<topic>-value`.
        case topicName = "io.confluent.kafka.serializers.subject.TopicNameStrategy"
        /// The record's full name.
        case recordName = "io.confluent.kafka.serializers.subject.RecordNameStrategy"
        /// `<topic>-<record full name>`.
        case topicRecordName = "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"

        static func parse(_ s: String) -> SubjectNameStrategy? {
            let t = s.trimmingWhitespace()
            return allCases.first { $0.rawValue == t || $0.rawValue.hasSuffix("." + t) }
        }
    }

    /// The registry this converter talks to.
    public let registry: any SchemaRegistryClient
    /// Whether it converts keys.
    public let isKey: Bool
    /// The Connect ↔ Avro mapping.
    public let avroData: AvroData
    /// `auto.register.schemas`.
    public let autoRegisterSchemas: Bool
    /// `use.latest.version`.
    public let useLatestVersion: Bool
    /// The subject naming strategy for this converter's role (key or value).
    public let subjectNameStrategy: SubjectNameStrategy
    /// `use.schema.id` (-1: none): write every value with this schema id and its schema.
    public let useSchemaID: Int32
    /// `latest.compatibility.strict`.
    public let latestCompatibilityStrict: Bool

    /// How values of one Connect schema are written on one topic (a class: a cache hit is one retain).
    final class Writer: Sendable {
        let header: [UInt8]
        let avro: AvroSchema
        let rawBytes: Bool
        let plan: AvroWritePlan?
        let topic: String
        let schema: Schema?

        init(header: [UInt8], avro: AvroSchema, rawBytes: Bool, plan: AvroWritePlan?, topic: String, schema: Schema?) {
            self.header = header
            self.avro = avro
            self.rawBytes = rawBytes
            self.plan = plan
            self.topic = topic
            self.schema = schema
        }
    }
    /// How payloads of one schema id are read on one topic.
    final class Reader: Sendable {
        let schema: Schema?
        let avro: AvroSchema
        let rawBytes: Bool
        let plan: AvroReadPlan
        let topic: String
        let id: Int32

        init(schema: Schema?, avro: AvroSchema, rawBytes: Bool, plan: AvroReadPlan, topic: String, id: Int32) {
            self.schema = schema
            self.avro = avro
            self.rawBytes = rawBytes
            self.plan = plan
            self.topic = topic
            self.id = id
        }
    }
    /// The largest size a message is written in place with (larger ones spill and are copied exactly).
    static let maxInPlaceBytes = 4096
    /// Bytes to reserve for the next message (grows to the largest seen, up to ``maxInPlaceBytes``).
    private let sizeHint = Atomic<Int>(128)
    struct KnownSchema {
        let node: AvroTypeNode
        let avro: AvroSchema
        let text: String
    }
    struct WriterKey: Hashable {
        let topic: String
        let schema: Schema
    }
    struct ReaderKey: Hashable {
        let topic: String
        let id: Int32
    }
    struct Caches {
        var writers: BoundedCache<WriterKey, Writer>
        var readers: BoundedCache<ReaderKey, Reader>
        var schemasByID: BoundedCache<Int32, KnownSchema>
        /// The writer used last (most records in a row share topic and schema).
        var lastWriter: Writer?

        var lastReader: Reader?

        mutating func reader(_ topic: String, _ id: Int32) -> Reader? {
            if let last = lastReader, last.id == id, last.topic == topic { return last }
            guard let r = readers[ReaderKey(topic: topic, id: id)] else { return nil }
            lastReader = r
            return r
        }

        mutating func writer(_ topic: String, _ schema: Schema) -> Writer? {
            if let last = lastWriter, last.schema === schema, last.topic == topic { return last }
            guard let w = writers[WriterKey(topic: topic, schema: schema)] else { return nil }
            lastWriter = w
            return w
        }
    }
    private let caches: Mutex<Caches>

    /// A converter over `registry`.
    public init(
        registry: any SchemaRegistryClient, isKey: Bool = false, avroData: AvroData = AvroData(), autoRegisterSchemas: Bool = true,
        useLatestVersion: Bool = false, subjectNameStrategy: SubjectNameStrategy = .topicName, cacheCapacity: Int = 1000,
        useSchemaID: Int32 = -1, latestCompatibilityStrict: Bool = true
    ) {
        self.useSchemaID = useSchemaID
        self.latestCompatibilityStrict = latestCompatibilityStrict
        self.registry = registry
        self.isKey = isKey
        self.avroData = avroData
        self.autoRegisterSchemas = autoRegisterSchemas
        self.useLatestVersion = useLatestVersion
        self.subjectNameStrategy = subjectNameStrategy
        caches = Mutex(Caches(
            writers: BoundedCache(capacity: max(1, cacheCapacity)), readers: BoundedCache(capacity: max(1, cacheCapacity)),
            schemasByID: BoundedCache(capacity: max(1, cacheCapacity))))
    }

    /// The keys `AvroConverterConfig` defines (with ``AvroDataConfig/configDef``).
    public static let configDef = ConfigDef()
        .define("schema.registry.url", .list, importance: .high,
                documentation: "Comma-separated list of URLs for Schema Registry instances that can be used to register or look up schemas. If you wish to get a connection to a mocked schema registry for testing, you can specify a scope using the 'mock://' pseudo-protocol.")
        .define("max.schemas.per.subject", .int, default: 1000, importance: .low, documentation: "Maximum number of schemas to create or cache locally.")
        .define("auto.register.schemas", .boolean, default: true, importance: .medium, documentation: "Specify if the Serializer should attempt to register the Schema with Schema Registry")
        .define("use.latest.version", .boolean, default: false, importance: .low, documentation: "Specify if the Serializer should use the latest subject version for serialization")
        .define("latest.compatibility.strict", .boolean, default: true, importance: .low,
                documentation: "With use.latest.version: refuse a latest schema that cannot read what the record's schema writes (Avro's resolution rules).")
        .define("normalize.schemas", .boolean, default: false, importance: .low, documentation: "Accepted for compatibility (schemas are registered as written).")
        .define("use.schema.id", .int, default: -1, importance: .low, documentation: "Schema ID to use for serialization (with auto.register.schemas=false)")
        .define("id.compatibility.strict", .boolean, default: true, importance: .low, documentation: "Accepted for compatibility.")
        .define("key.subject.name.strategy", .string, default: .value(SubjectNameStrategy.topicName.rawValue), importance: .medium,
                documentation: "Determines how to construct the subject name under which the key schema is registered with the schema registry.",
                validator: strategyValidator)
        .define("value.subject.name.strategy", .string, default: .value(SubjectNameStrategy.topicName.rawValue), importance: .medium,
                documentation: "Determines how to construct the subject name under which the value schema is registered with the schema registry.",
                validator: strategyValidator)
        .define("basic.auth.credentials.source", .string, default: "URL", importance: .medium,
                documentation: "Specify how to pick the credentials for Basic Auth header. The supported values are URL and USER_INFO",
                validator: .validString(["URL", "USER_INFO"]))
        .define("basic.auth.user.info", .password, default: "", importance: .medium, documentation: "Specify the user info for Basic Auth in the form of {username}:{password}")
        .define("schema.registry.basic.auth.user.info", .password, default: "", importance: .medium, documentation: "Deprecated alias of basic.auth.user.info")
        .define("bearer.auth.credentials.source", .string, default: "STATIC_TOKEN", importance: .medium,
                documentation: "Specify how to pick the credentials for Bearer Auth header.", validator: .validString(["STATIC_TOKEN"]))
        .define("bearer.auth.token", .password, default: "", importance: .medium, documentation: "Specify the Bearer token to be used for authentication")
        .define("http.connect.timeout.ms", .int, default: 60000, importance: .low,
                documentation: "Timeout for connecting to Schema Registry, in milliseconds (at least 1: every wait is bounded)", validator: .atLeast(1))
        .define("http.read.timeout.ms", .int, default: 60000, importance: .low,
                documentation: "Timeout for reading an answer of Schema Registry, in milliseconds (at least 1: every wait is bounded)", validator: .atLeast(1))
        .define("schema.reflection", .boolean, default: false, importance: .low, documentation: "Java reflection is not available; must be false.",
                validator: .custom("false") { _, v in if case .boolean(true) = v { return "Java reflection schemas are not supported" }; return nil })
        .define("specific.avro.reader", .boolean, default: false, importance: .low, documentation: "Generated Java classes are not available; must be false.",
                validator: .custom("false") { _, v in if case .boolean(true) = v { return "specific (generated) Avro readers are not supported" }; return nil })
        .define("avro.use.logical.type.converters", .boolean, default: false, importance: .low,
                documentation: "Accepted for compatibility: Connect values of logical types are the same either way.")
        .define("avro.reflection.allow.null", .boolean, default: false, importance: .low, documentation: "Accepted for compatibility.")
        .define("context.name.strategy", .string, default: "io.confluent.kafka.serializers.context.NullContextNameStrategy", importance: .low,
                documentation: "The default (null) context only.")
        .merging(AvroDataConfig.configDef)

    static let strategyValidator = ConfigValidator.custom("TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy") { name, v in
        if case .string(let s) = v, SubjectNameStrategy.parse(s) == nil { return "Invalid value \(s) for configuration \(name): Class \(s) could not be found." }
        return nil
    }

    /// Mock registries by scope (`mock://<scope>`), shared by the whole process as Confluent's are.
    static let mockScopes = Mutex<[String: MockSchemaRegistryClient]>([:])

    /// The in-memory registry behind `mock://<scope>` URLs.
    public static func mockRegistry(scope: String) -> MockSchemaRegistryClient {
        mockScopes.withLock { m in
            if let r = m[scope] { return r }
            let r = MockSchemaRegistryClient()
            m[scope] = r
            return r
        }
    }

    /// A converter configured with Confluent's keys.
    ///
    /// - Throws: `ConfigError` listing every bad key (a missing `schema.registry.url`, an unknown
    ///   strategy class, mixed `mock://` and HTTP URLs, …); passwords are never shown.
    public convenience init(configuration: [String: String], isKey: Bool) throws(ConfigError) {
        let c: ParsedConfig
        do { c = try Self.configDef.parse(configuration) } catch { throw ConfigError(error.problems, context: "AvroConverter") }
        let urls = (c.list("schema.registry.url") ?? []).filter { !$0.isEmpty }
        let registry: any SchemaRegistryClient
        if let first = urls.first, first.hasPrefix("mock://") {
            guard urls.count == 1 else {
                throw ConfigError(key: "schema.registry.url", message: "Only one mock scope is permitted for 'schema.registry.url'. Got: \(urls.map(HTTPSchemaRegistryClient.redacted))", context: "AvroConverter")
            }
            registry = Self.mockRegistry(scope: String(first.dropFirst("mock://".count)))
        } else {
            var auth: HTTPAuthorization? = nil
            let userInfo = c.password("basic.auth.user.info")?.value.nilIfEmpty ?? c.password("schema.registry.basic.auth.user.info")?.value.nilIfEmpty
            if c.string("basic.auth.credentials.source") == "USER_INFO" {
                guard let userInfo else {
                    throw ConfigError(key: "basic.auth.user.info", message: "basic.auth.user.info must be set when basic.auth.credentials.source=USER_INFO", context: "AvroConverter")
                }
                let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                auth = .basic(username: String(parts[0]), password: HTTPSecret(parts.count > 1 ? String(parts[1]) : ""))
            }
            if let token = c.password("bearer.auth.token")?.value.nilIfEmpty { auth = .bearer(HTTPSecret(token)) }
            let config = HTTPClient.Configuration(
                connectTimeout: .milliseconds(Int64(c.int("http.connect.timeout.ms") ?? 60000)),
                readTimeout: .milliseconds(Int64(c.int("http.read.timeout.ms") ?? 60000)))
            // (Both at least 1 ms: every wait is bounded; Java's 0, "no timeout", is refused by the validator.)
            do {
                registry = try HTTPSchemaRegistryClient(urls: urls, authorization: auth, configuration: config)
            } catch {
                throw ConfigError(error.problems, context: "AvroConverter")
            }
        }
        let strategy = SubjectNameStrategy.parse(c.string(isKey ? "key.subject.name.strategy" : "value.subject.name.strategy") ?? "") ?? .topicName
        self.init(
            registry: registry, isKey: isKey, avroData: AvroData(config: AvroDataConfig(c)),
            autoRegisterSchemas: c.bool("auto.register.schemas") ?? true, useLatestVersion: c.bool("use.latest.version") ?? false,
            subjectNameStrategy: strategy, cacheCapacity: Int(c.int("max.schemas.per.subject") ?? 1000),
            useSchemaID: c.int("use.schema.id") ?? -1, latestCompatibilityStrict: c.bool("latest.compatibility.strict") ?? true)
    }

    // MARK: Subjects

    /// The subject for `topic` and an Avro schema, as the configured strategy names it.
    public func subject(topic: String, schema: AvroTypeNode) throws(DataError) -> String {
        switch subjectNameStrategy {
        case .topicName: return topic + (isKey ? "-key" : "-value")
        case .recordName, .topicRecordName:
            guard case .record = schema.kind, let full = schema.fullName else {
                let role = isKey ? "key" : "value"
                throw DataError("In configuration \(role).subject.name.strategy = \(subjectNameStrategy.rawValue), the message \(role) must only be a record schema")
            }
            return subjectNameStrategy == .recordName ? full : topic + "-" + full
        }
    }

    // MARK: Serializing

    public func fromConnectData(topic: String, headers: Headers?, schema: Schema?, value: Value) throws(DataError) -> [UInt8]? {
        if let early = try Self.nullPayload(schema, value) { return early.payload }
        guard let schema, let w = caches.withLock({ $0.writer(topic, schema) }) else {
            throw DataError("Failed to serialize Avro data from topic \(topic) :", cause: "the schema is not cached yet; AvroConverter needs serialize(topic:headers:schema:value:) (async) for Schema Registry calls")
        }
        return try encode(topic, w, schema, value)
    }

    nonisolated(nonsending) public func serialize(topic: String, headers: Headers?, schema: Schema?, value: Value) async throws(DataError) -> [UInt8]? {
        if let early = try Self.nullPayload(schema, value) { return early.payload }
        let key = WriterKey(topic: topic, schema: schema ?? Self.schemalessKey)
        let w: Writer
        if let cached = caches.withLock({ $0.writer(topic, key.schema) }) {
            w = cached
        } else {
            w = try await makeWriter(topic: topic, schema: schema)
            caches.withLock { $0.writers[key] = w }
        }
        return try encode(topic, w, schema, value)
    }

    /// A stand-in cache key for schemaless values.
    static let schemalessKey = (try? SchemaBuilder.struct().name("io.confluent.connect.avro.Anything").build()) ?? Schema.string

    /// Confluent writes no payload for a null value (a tombstone) unless the schema is required.
    static func nullPayload(_ schema: Schema?, _ value: Value) throws(DataError) -> (payload: [UInt8]?, Void)? {
        guard value.isNull else { return nil }
        if let schema, !schema.isOptional {
            throw DataError("Failed to serialize Avro data", cause: "Found null value for non-optional schema")
        }
        return (nil, ())
    }

    func encode(_ topic: String, _ w: Writer, _ schema: Schema?, _ value: Value) throws(DataError) -> [UInt8] {
        if let plan = w.plan {
            // Encode straight into the returned array, sized from the largest message so far; a
            // larger one moves to memory of its own once (and raises the estimate).
            let hint = sizeHint.load(ordering: .relaxed)
            var failure: DataError? = nil
            var spilled: [UInt8]? = nil
            let bytes = [UInt8](unsafeUninitializedCapacity: hint) { buffer, initialized in
                var out = AvroOutput(into: buffer)
                w.header.withUnsafeBufferPointer { out.append($0) }
                do throws(DataError) { try plan.write(value, &out, avroData) } catch { failure = error }
                if out.owned {
                    spilled = out.array()
                    initialized = 0
                } else {
                    initialized = out.count
                }
            }
            if let failure { throw DataError("Failed to serialize Avro data from topic \(topic) :", cause: failure.message, topic: topic) }
            if let spilled {
                // Larger messages go through memory of their own and an exact copy: a message in flight
                // never holds more than `maxInPlaceBytes` it does not use.
                sizeHint.store(min(spilled.count + 16, Self.maxInPlaceBytes), ordering: .relaxed)
                return spilled
            }
            return bytes
        }
        var out = w.header
        do throws(DataError) {
            if w.rawBytes {
                switch value {
                case .bytes(let b): out += b
                case .decimal(let d):
                    guard let schema else { throw DataError("Decimal without schema") }
                    out += try AvroData.decimalBytes(schema, d)
                default: throw DataError("Unrecognized bytes object of type: \(value.kindName)")
                }
            } else {
                try avroData.encode(value, schema: schema, avro: w.avro, into: &out)
            }
        } catch {
            throw DataError("Failed to serialize Avro data from topic \(topic) :", cause: error.message, topic: topic)
        }
        return out
    }

    func makeWriter(topic: String, schema: Schema?) async throws(DataError) -> Writer {
        func failure(_ cause: String, retriable: Bool = false) -> DataError {
            DataError("Failed to serialize Avro data from topic \(topic) :", cause: cause, topic: topic, isRetriable: retriable)
        }
        let node: AvroTypeNode
        let text: String
        do {
            node = try avroData.fromConnectSchema(schema)
            text = try node.javaString()
        } catch let e as DataError {
            throw failure(e.message)
        } catch {
            throw failure("\(error)")
        }
        let subject: String
        do { subject = try self.subject(topic: topic, schema: node) } catch { throw failure(error.message) }
        var writeText = text
        let id: Int32
        do throws(SchemaRegistryError) {
            if autoRegisterSchemas {
                id = try await registry.register(subject: subject, schema: text)
            } else if useSchemaID >= 0 {
                writeText = try await registry.schema(id: useSchemaID)
                id = useSchemaID
            } else if useLatestVersion {
                let latest = try await registry.latestVersion(subject: subject)
                // Confluent's latestVersion.isBackwardCompatible(schema): the latest schema must read what the
                // record's schema writes.
                if latestCompatibilityStrict, latest.schema != text,
                   let latestSchema = try? AvroSchema.parse(latest.schema), let own = try? AvroSchema.parse(text),
                   !latestSchema.canRead(writer: own) {
                    throw SchemaRegistryError(
                        errorCode: nil, status: nil,
                        message: "Incompatible schema \(latest.schema) of subject \"\(subject)\" with the record's schema (latest.compatibility.strict=true)")
                }
                id = latest.id
                writeText = latest.schema
            } else {
                id = try await registry.lookup(subject: subject, schema: text).id
            }
        } catch {
            let what = autoRegisterSchemas ? "Error registering Avro schema" : useSchemaID >= 0 ? "Error retrieving schema ID"
                : useLatestVersion ? "Error retrieving latest version of Avro schema" : "Error retrieving Avro schema"
            throw failure("\(what): \(text): \(error)", retriable: error.isTimeout || error.isCancelled)
        }
        let avro: AvroSchema
        do { avro = try AvroSchema.parse(writeText) } catch { throw failure("Invalid Avro schema \(writeText): \(error)") }
        let header: [UInt8] = [0, UInt8(truncatingIfNeeded: id >> 24), UInt8(truncatingIfNeeded: id >> 16), UInt8(truncatingIfNeeded: id >> 8), UInt8(truncatingIfNeeded: id)]
        var raw = false
        if case .bytes = avro { raw = true }
        let plan = raw ? nil : schema.map { AvroWritePlan.make(avroData, $0, avro) }
        return Writer(header: header, avro: avro, rawBytes: raw, plan: plan, topic: topic, schema: schema)
    }

    // MARK: Deserializing

    public func toConnectData(topic: String, headers: Headers?, value: [UInt8]?) throws(DataError) -> SchemaAndValue {
        guard let value else { return SchemaAndValue(schema: nil, value: .null) }
        let id = try Self.schemaID(topic, value)
        guard let r = caches.withLock({ $0.reader(topic, id) }) else {
            throw DataError("Failed to deserialize data for topic \(topic) to Avro: ", cause: "schema \(id) is not cached yet; AvroConverter needs deserialize(topic:headers:value:) (async) for Schema Registry calls")
        }
        return try decode(topic, r, value)
    }

    nonisolated(nonsending) public func deserialize(topic: String, headers: Headers?, value: [UInt8]?) async throws(DataError) -> SchemaAndValue {
        guard let value else { return SchemaAndValue(schema: nil, value: .null) }
        let id = try Self.schemaID(topic, value)
        let key = ReaderKey(topic: topic, id: id)
        let r: Reader
        if let cached = caches.withLock({ $0.reader(topic, id) }) {
            r = cached
        } else {
            r = try await makeReader(topic: topic, id: id)
            caches.withLock { $0.readers[key] = r }
        }
        return try decode(topic, r, value)
    }

    static func schemaID(_ topic: String, _ value: [UInt8]) throws(DataError) -> Int32 {
        guard value.first == 0 else {
            throw DataError("Failed to deserialize data for topic \(topic) to Avro: ", cause: "Unknown magic byte!", topic: topic, byteOffset: 0)
        }
        guard value.count >= 5 else {
            throw DataError("Failed to deserialize data for topic \(topic) to Avro: ", cause: "\(value.count) bytes cannot hold the magic byte and a 4-byte schema id", topic: topic, byteOffset: value.count)
        }
        return Int32(bitPattern: UInt32(value[1]) << 24 | UInt32(value[2]) << 16 | UInt32(value[3]) << 8 | UInt32(value[4]))
    }

    func decode(_ topic: String, _ r: Reader, _ value: [UInt8]) throws(DataError) -> SchemaAndValue {
        do {
            if r.rawBytes, let schema = r.schema {
                return SchemaAndValue(schema: schema, value: try AvroData.bytesValue(Array(value[5...]), schema))
            }
            return SchemaAndValue(schema: r.schema, value: try r.plan.decode(value, from: 5, avroData))
        } catch let e as DataError {
            throw DataError("Failed to deserialize data for topic \(topic) to Avro: ", cause: e.description, topic: topic, byteOffset: e.byteOffset)
        } catch {
            throw DataError("Failed to deserialize data for topic \(topic) to Avro: ", cause: "\(error)", topic: topic)
        }
    }

    func makeReader(topic: String, id: Int32) async throws(DataError) -> Reader {
        func failure(_ cause: String, retriable: Bool = false) -> DataError {
            DataError("Failed to deserialize data for topic \(topic) to Avro: ", cause: cause, topic: topic, isRetriable: retriable)
        }
        let role = isKey ? "key" : "value"
        var known = caches.withLock { $0.schemasByID[id] }
        if known == nil {
            let text: String
            do { text = try await registry.schema(id: id) } catch {
                throw failure("Error retrieving Avro \(role) schema for id \(id): \(error)", retriable: error.isTimeout || error.isCancelled)
            }
            do {
                let node = try AvroTypeNode.parse(JSONValue.parse(text))
                let entry = KnownSchema(node: node, avro: try AvroSchema.parse(text), text: text)
                caches.withLock { $0.schemasByID[id] = entry }
                known = entry
            } catch {
                throw failure("Invalid Avro schema for id \(id): \(error)")
            }
        }
        guard let known else { throw failure("Error retrieving Avro \(role) schema for id \(id)") }
        let subject: String
        do { subject = try self.subject(topic: topic, schema: known.node) } catch { throw failure(error.message) }
        let version: Int32
        do { version = try await registry.lookup(subject: subject, schema: known.text).version } catch {
            throw failure("Error retrieving Avro \(role) schema version for id \(id): \(error)", retriable: error.isTimeout || error.isCancelled)
        }
        do {
            let schema = try avroData.toConnectSchema(known.node, version: version)
            var raw = false
            if case .bytes = known.avro { raw = true }
            return Reader(schema: schema, avro: known.avro, rawBytes: raw, plan: AvroReadPlan.make(avroData, schema, known.avro), topic: topic, id: id)
        } catch {
            throw failure(error.message)
        }
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}

/// A dictionary with at most `capacity` entries (the oldest inserted go first): a converter's
/// caches of schemas by id and by Connect schema.
struct BoundedCache<Key: Hashable, Value> {
    private var entries: [Key: Value] = [:]
    private var order: [Key] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    subscript(key: Key) -> Value? {
        get { entries[key] }
        set {
            guard let newValue else {
                entries[key] = nil
                return
            }
            if entries.updateValue(newValue, forKey: key) == nil {
                order.append(key)
                if order.count - head > capacity {
                    entries[order[head]] = nil
                    head += 1
                    if head > capacity {
                        order.removeFirst(head)
                        head = 0
                    }
                }
            }
        }
    }
}
