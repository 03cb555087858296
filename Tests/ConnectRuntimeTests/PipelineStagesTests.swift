import ConnectKit
import ConnectFile
import ConnectPlugins
import Foundation
import Logging
import Synchronization
import Testing

@testable import ConnectRuntime

/// Adds `by` to int64 values.
struct AddTransform: Transformation {
    static let configDef = ConfigDef().define("by", .long, importance: .high, documentation: "What to add.", validator: .atLeast(0))
    let by: Int64
    init(configuration: [String: String]) throws(ConfigError) { by = try Self.configDef.parse(configuration).long("by")! }
    func apply<R: ConnectRecord>(_ r: R) throws -> R? {
        guard let v = r.value.int64Value else { return r }
        return r.withValue(.int64(v + by), schema: r.valueSchema)
    }
}

/// Fails on one value: `mode=fail` always, `mode=retry` with a ``RetriableError`` `failures` times.
final class FailOnTransform: Transformation {
    static let configDef = ConfigDef()
        .define("value", .long, importance: .high, documentation: "")
        .define("mode", .string, default: "fail", importance: .low, documentation: "")
        .define("failures", .int, default: 2, importance: .low, documentation: "")
    let value: Int64
    let retry: Bool
    let remaining: Atomic<Int>
    init(configuration: [String: String]) throws(ConfigError) {
        let c = try Self.configDef.parse(configuration)
        value = c.long("value")!
        retry = c.string("mode") == "retry"
        remaining = Atomic(Int(c.int("failures")!))
    }
    func apply<R: ConnectRecord>(_ r: R) throws -> R? {
        guard r.value.int64Value == value else { return r }
        if retry {
            if remaining.subtract(1, ordering: .relaxed).oldValue > 0 { throw RetriableError("busy, try again") }
            return r
        }
        throw DataError("bad record \(value)")
    }
}

/// Drops every record (like Kafka's Filter).
struct DropAll: Transformation {
    static let configDef = ConfigDef()
    init(configuration: [String: String]) throws(ConfigError) {}
    func apply<R: ConnectRecord>(_ r: R) throws -> R? { nil }
}

struct IsEven: ConnectKit.Predicate {
    static let configDef = ConfigDef()
    init(configuration: [String: String]) throws(ConfigError) {}
    func test<R: ConnectRecord>(_ r: R) -> Bool { (r.value.int64Value ?? 1) % 2 == 0 }
}

func stagesRegistry() -> PluginRegistry {
    var r = testRegistry()
    r.register(transformation: AddTransform.self, name: "Add", aliases: ["com.example.Add"])
    r.register(transformation: FailOnTransform.self, name: "FailOn")
    r.register(transformation: DropAll.self, name: "Filter")
    r.register(predicate: IsEven.self, name: "IsEven", aliases: ["com.example.IsEven"])
    return r
}

func headerText(_ r: ConsumedRecord, _ key: String) -> String? {
    r.record.headers.last { $0.key == key }?.value.map { String(decoding: $0, as: UTF8.self) }
}

@Suite("Transform chains")
struct TransformChainTests {
    @Test func stagesApplyInOrderWithPredicatesAndNegation() throws {
        let chain = try TransformChain(config: [
            "transforms": "plus1, plus100", "transforms.plus1.type": "com.example.Add", "transforms.plus1.by": "1",
            "transforms.plus100.type": "Add", "transforms.plus100.by": "100", "transforms.plus100.predicate": "even", "transforms.plus100.negate": "true",
            "predicates": "even", "predicates.even.type": "IsEven",
        ], registry: stagesRegistry())
        func run(_ v: Int64) throws -> Int64? {
            try chain.apply(SinkRecord(topic: "t", partition: 0, valueSchema: .int64, value: .int64(v), offset: 0))?.value.int64Value
        }
        #expect(try run(1) == 2)  // 1+1 = 2 is even: the negated predicate skips +100
        #expect(try run(2) == 103)  // 2+1 = 3 is odd: +100 applies
        let drop = try TransformChain(config: ["transforms": "f", "transforms.f.type": "Filter"], registry: stagesRegistry())
        #expect(try drop.apply(SinkRecord(topic: "t", partition: 0, valueSchema: .int64, value: .int64(1), offset: 0)) == nil)
        #expect(try TransformChain(config: [:], registry: stagesRegistry()).isEmpty)
    }

    @Test func everyConfigProblemIsNamedByItsFullKey() throws {
        let error = #expect(throws: ConfigError.self) {
            try TransformChain(config: [
                "name": "c", "transforms": "a,b,c,d,a", "transforms.a.type": "Add", "transforms.a.by": "-5",
                "transforms.c.type": "com.example.Nope", "transforms.d.type": "Add", "transforms.d.by": "1", "transforms.d.predicate": "missing",
                "transforms.b.negate": "maybe",
            ], registry: stagesRegistry())
        }
        let messages = Dictionary(error!.problems.map { ($0.key, $0.message) }, uniquingKeysWith: { a, b in a + " | " + b })
        #expect(messages["transforms"] == "Invalid value [a, b, c, d, a] for configuration transforms: Duplicate alias provided.")
        #expect(messages["transforms.a.by"]?.contains("Value must be at least 0") == true)
        #expect(messages["transforms.a.by"]?.contains("configuration transforms.a.by") == true)
        // Kafka reports a negate without a predicate on the alias's type key.
        #expect(messages["transforms.b.type"] == "Config 'transforms.b.negate' was provided but there is no config 'transforms.b.predicate' defining a predicate to be negated. | Missing required configuration \"transforms.b.type\" which has no default value.")
        #expect(messages["transforms.b.negate"]?.contains("Expected value to be either true or false") == true)
        #expect(messages["transforms.c.type"] == "Invalid value com.example.Nope for configuration transforms.c.type: Class com.example.Nope could not be found.")
        #expect(messages["transforms.d.predicate"]?.contains("missing is not defined") == true)
        #expect(error!.context == "c")
    }

    @Test func theWorkerRejectsABadChainBeforeStarting() throws {
        let worker = try Worker(registry: stagesRegistry(), logger: quiet)
        let error = #expect(throws: ConfigError.self) {
            try worker.add(["name": "x", "connector.class": "Counting", "hub.id": "x", "transforms": "t", "transforms.t.type": "Nope",
                            "value.converter": "com.example.NoConverter"])
        }
        #expect(error?.keys == ["transforms.t.type", "value.converter"])
        #expect(worker.statuses.isEmpty)
    }

    @Test func convertersResolveByKafkaClassNames() throws {
        let r = PluginRegistry.standard
        for name in ["org.apache.kafka.connect.json.JsonConverter", "org.apache.kafka.connect.storage.StringConverter",
                     "org.apache.kafka.connect.converters.ByteArrayConverter", "org.apache.kafka.connect.converters.IntegerConverter"] {
            #expect(r.converters.lookup(name) != nil, "\(name)")
        }
        let codec = try RecordCodec(worker: ["value.converter": "org.apache.kafka.connect.converters.IntegerConverter"],
                                    connector: ["key.converter": "StringConverter"], registry: r)
        #expect(try codec.value.fromConnectData(topic: "t", schema: .int32, value: .int32(1)) == [0, 0, 0, 1])
        #expect(try codec.key.fromConnectData(topic: "t", schema: .string, value: "k") == [0x6B])
        #expect(codec.headerClass == "org.apache.kafka.connect.storage.SimpleHeaderConverter")
    }
}

@Suite("Topic mode and error handling", .serialized)
struct PipelineStagesTests {
    @Test func topicModeConvertsThroughTheBrokerAndAcknowledgesAcrossTheTopic() async throws {
        let store = MemoryOffsetStore()
        let config = try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20", "value.converter.schemas.enable": "false"])
        let worker = try Worker(config: config, registry: stagesRegistry(), offsetStore: store, logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "tm-src", "count": "100",
                        "transforms": "plus", "transforms.plus.type": "Add", "transforms.plus.by": "1000"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "tm-sink", "topics": "numbers"])
        try await runWorker(worker) { Hub.shared.get("tm-src").committedRecords.count >= 100 }
        #expect(Hub.shared.get("tm-sink").flushed == Array(1000..<1100))
        #expect(worker.broker!.committed(group: "connect-rec", topic: "numbers") == 100)
        #expect(worker.broker!.records(topic: "numbers").isEmpty)  // every reader is past them: dropped from memory
        #expect(try store.offset(connector: "count", partition: ["source": "tm-src"]) == ["n": .int64(99)])

        // A sink that cannot flush: the records sit in the topic and no source offset is committed.
        let failing = MemoryOffsetStore()
        let w2 = try Worker(config: try WorkerConfig(config.originals.merging(["offset.flush.timeout.ms": "100"]) { $1 }), registry: stagesRegistry(), offsetStore: failing, logger: quiet)
        try w2.add(["name": "count", "connector.class": "Counting", "hub.id": "tm-src2", "count": "100"])
        try w2.add(["name": "rec", "connector.class": "Recording", "hub.id": "tm-sink2", "mode": "failflush", "topics": "numbers"])
        try await runWorker(w2) { Hub.shared.get("tm-sink2").delivered.count >= 100 }
        #expect(try failing.offsets(connector: "count").isEmpty)
        #expect(Hub.shared.get("tm-src2").committedRecords.isEmpty)
        let held = w2.broker!.records(topic: "numbers")
        #expect(held.count == 100)
        #expect(held.first.map { String(decoding: $0.record.value!, as: UTF8.self) } == "0")  // JsonConverter, schemas.enable=false
    }

    @Test func topicModeUsesTheConnectorsConverters() async throws {
        let worker = try Worker(config: try WorkerConfig(["pipeline.mode": "topic"]), registry: stagesRegistry(), logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "cv-src", "count": "3", "topic": "ints",
                        "value.converter": "org.apache.kafka.connect.converters.LongConverter"])
        // Nobody reads "ints": its records are held, never committed — wait for them on the topic.
        try await runWorker(worker) { worker.broker!.records(topic: "ints").count >= 3 }
        let bytes = worker.broker!.records(topic: "ints").map { $0.record.value! }
        #expect(bytes == [[0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 2]])
    }

    /// Bytes that the value converter cannot read: skipped and sent to the DLQ with Kafka's
    /// context headers when tolerated; the task fails otherwise, and the group does not commit past them.
    @Test func conversionFailures() async throws {
        for tolerate in [true, false] {
            let id = "conv-\(tolerate)"
            let config = try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20", "value.converter.schemas.enable": "false",
                                           "local.topics.dir": try temporaryDirectory("dlq").path])
            let worker = try Worker(config: config, registry: stagesRegistry(), logger: quiet)
            for text in ["1", "2", "oops", "4"] { worker.broker!.produce(topic: "raw", TopicRecord(key: nil, value: Array(text.utf8))) }
            try worker.add([
                "name": "rec", "connector.class": "Recording", "hub.id": id, "topics": "raw",
                "errors.tolerance": tolerate ? "all" : "none", "errors.log.enable": "true",
                "errors.deadletterqueue.topic.name": "dlq", "errors.deadletterqueue.context.headers.enable": "true",
            ])
            try await runWorker(worker, timeout: .seconds(30)) {
                tolerate ? Hub.shared.get(id).flushed.count >= 3 : worker.status("rec")?.tasks.first?.state == .failed
            }
            if tolerate {
                #expect(Hub.shared.get(id).flushed == [1, 2, 4])
                let dlq = try worker.localTopics().records(topic: "dlq")
                #expect(dlq.count == 1)
                #expect(dlq.first?.record.value == Array("oops".utf8))  // the bytes as they were read
                let d = try #require(dlq.first)
                #expect(headerText(d, "__connect.errors.topic") == "raw")
                #expect(headerText(d, "__connect.errors.partition") == "0")
                #expect(headerText(d, "__connect.errors.offset") == "2")
                #expect(headerText(d, "__connect.errors.connector.name") == "rec")
                #expect(headerText(d, "__connect.errors.task.id") == "0")
                #expect(headerText(d, "__connect.errors.stage") == "VALUE_CONVERTER")
                #expect(headerText(d, "__connect.errors.class.name") == "org.apache.kafka.connect.json.JsonConverter")
                // Kafka's exception class and message (Kafka 4.3's JsonConverter on the bytes "oops"), not Swift's.
                #expect(headerText(d, "__connect.errors.exception.class.name") == "org.apache.kafka.connect.errors.DataException")
                #expect(headerText(d, "__connect.errors.exception.message") == "Converting byte[] to Kafka Connect data failed due to serialization error: ")
                #expect(headerText(d, "__connect.errors.exception.stacktrace")?.hasPrefix("org.apache.kafka.connect.errors.DataException: Converting byte[]") == true)
                let m = try #require(worker.errorMetrics(connector: "rec", task: 0))
                #expect(m.totalRecordErrors == 1 && m.totalRecordsSkipped == 1 && m.totalErrorsLogged == 1 && m.deadLetterQueueProduceRequests == 1)
                #expect(worker.broker!.committed(group: "connect-rec", topic: "raw") == 4)
            } else {
                let task = try #require(worker.status("rec")?.tasks.first)
                #expect(task.state == .failed)
                #expect(task.trace?.contains("Tolerance exceeded in error handler") == true)
                #expect(task.trace?.contains("VALUE_CONVERTER") == true)
                #expect(task.trace?.contains("offset=2") == true)
                #expect((worker.broker!.committed(group: "connect-rec", topic: "raw") ?? 0) <= 2)  // never past the bad record
                #expect(try worker.localTopics().records(topic: "dlq").isEmpty)
            }
        }
    }

    /// A transformation that throws: tolerated records are skipped (their source offsets still
    /// advance); otherwise the task fails naming the stage and the record.
    @Test func transformFailures() async throws {
        for tolerate in [true, false] {
            let id = "tf-\(tolerate)"
            let store = MemoryOffsetStore()
            let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: stagesRegistry(), offsetStore: store, logger: quiet)
            try worker.add(["name": "count", "connector.class": "Counting", "hub.id": id, "count": "100",
                            "transforms": "fail", "transforms.fail.type": "FailOn", "transforms.fail.value": "42",
                            "errors.tolerance": tolerate ? "all" : "none"])
            try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": id + "-sink", "topics": "numbers"])
            try await runWorker(worker, timeout: .seconds(30)) {
                tolerate ? Hub.shared.get(id).committedRecords.count >= 100 : worker.status("count")?.tasks.first?.state == .failed
            }
            if tolerate {
                #expect(Hub.shared.get(id + "-sink").flushed == Array(0..<42) + Array(43..<100))
                #expect(try store.offset(connector: "count", partition: ["source": .string(id)]) == ["n": .int64(99)])
                #expect(worker.errorMetrics(connector: "count", task: 0)?.totalRecordsSkipped == 1)
            } else {
                let task = try #require(worker.status("count")?.tasks.first)
                #expect(task.trace?.contains("TRANSFORMATION") == true)
                #expect(task.trace?.contains("bad record 42") == true)
                #expect(Hub.shared.get(id + "-sink").flushed.contains(42) == false)
            }
        }
    }

    /// A source record's converter error goes to the error handler as it was thrown, once: the
    /// record is skipped and counted (errors.tolerance=all) even when the converter would succeed if
    /// called again — it is not called again (Kafka calls a converter once per record).
    @Test func sourceConverterErrorsReachTheHandlerOnce() async throws {
        var registry = stagesRegistry()
        registry.register(converter: ConverterPlugin(FlakyConverter.self), name: "Flaky")
        let worker = try Worker(config: try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20"]), registry: registry, logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "flaky", "count": "100",
                        "value.converter": "Flaky", "value.converter.fail.at": "42", "errors.tolerance": "all"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "flaky-sink", "topics": "numbers"])
        try await runWorker(worker) { Hub.shared.get("flaky").committedRecords.count >= 100 }
        #expect(Hub.shared.get("flaky-sink").flushed == Array(0..<42) + Array(43..<100))
        let m = try #require(worker.errorMetrics(connector: "count", task: 0))
        #expect(m.totalRecordsSkipped == 1 && m.totalRecordFailures == 1, "\(m)")
    }

    @Test func retriableTransformFailuresAreRetriedWithinTheTimeout() async throws {
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: stagesRegistry(), logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "rt", "count": "50",
                        "transforms": "flaky", "transforms.flaky.type": "FailOn", "transforms.flaky.value": "7", "transforms.flaky.mode": "retry",
                        "errors.retry.timeout": "10000", "errors.retry.delay.max.ms": "500"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "rt-sink", "topics": "numbers"])
        try await runWorker(worker) { Hub.shared.get("rt").committedRecords.count >= 50 }
        #expect(Hub.shared.get("rt-sink").flushed == Array(0..<50))  // nothing skipped
        let m = try #require(worker.errorMetrics(connector: "count", task: 0))
        #expect(m.totalRetries == 2 && m.totalRecordFailures == 2 && m.totalRecordErrors == 0)
    }

    @Test func backoffDoublesFrom300msThenJittersBelowTheCap() async throws {
        let delays = Mutex<[Int64]>([])
        let handler = RetryWithTolerance(
            policy: ErrorPolicy(retryTimeoutMs: 60000, retryDelayMaxMs: 1000), connector: "c", taskID: 0, logger: quiet,
            sleep: { d in delays.withLock { $0.append(d.milliseconds) } })
        var calls = 0
        let result = try await handler.execute(.transformation, "X", FailedRecord()) { () throws -> Int in
            calls += 1
            if calls <= 5 { throw RetriableError("not yet") }
            return calls
        }
        #expect(result == 6)
        let d = delays.withLock { $0 }
        #expect(d.count == 5)
        #expect(Array(d.prefix(2)) == [300, 600])  // 300 ms, doubling ...
        #expect(d.dropFirst(2).allSatisfy { $0 >= 0 && $0 < 1000 })  // ... then random below errors.retry.delay.max.ms

        // Without a retry timeout a retriable failure is not retried; non-retriable never are.
        let none = RetryWithTolerance(policy: ErrorPolicy(), connector: "c", taskID: 0, logger: quiet, sleep: { _ in Issue.record("slept") })
        await #expect(throws: ToleranceExceededError.self) {
            _ = try await none.execute(.valueConverter, "X", FailedRecord()) { () throws -> Int in throw RetriableError("down") }
        }
        let tolerant = RetryWithTolerance(policy: ErrorPolicy(retryTimeoutMs: -1, toleratesAll: true), connector: "c", taskID: 0, logger: quiet,
                                          sleep: { _ in Issue.record("slept") })
        let skipped = try await tolerant.execute(.valueConverter, "X", FailedRecord()) { () throws -> Int in throw DataError("bad") }
        #expect(skipped == nil)
        #expect(tolerant.counters.snapshot.totalRecordsSkipped == 1)

        // A converter reports an unreachable schema registry as a retriable DataError: retried too.
        let registryCalls = Mutex(0)
        let retrying = RetryWithTolerance(policy: ErrorPolicy(retryTimeoutMs: 60000), connector: "c", taskID: 0, logger: quiet, sleep: { _ in })
        let converted = try await retrying.execute(.valueConverter, "io.confluent.connect.avro.AvroConverter", FailedRecord()) { () throws -> Int in
            if registryCalls.withLock({ $0 += 1; return $0 }) < 3 { throw DataError("Failed to access Avro data from topic t", cause: "connection refused", isRetriable: true) }
            return 7
        }
        #expect(converted == 7 && registryCalls.withLock { $0 } == 3)
    }

    /// The put stage: a sink reports records it cannot write through the errant record reporter;
    /// tolerated they go to the DLQ (serialized with the connector's converters in direct mode) and the
    /// rest is acknowledged; with tolerance none, or when put itself throws, the task fails and
    /// nothing is acknowledged.
    @Test func putFailures() async throws {
        // Tolerated: reported records go to the DLQ.
        let store = MemoryOffsetStore()
        let worker = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20", "local.topics.dir": try temporaryDirectory("dlq").path]),
                                registry: stagesRegistry(), offsetStore: store, logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "put-src", "count": "50"])
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": "put-sink", "mode": "report", "topics": "numbers",
                        "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq", "errors.deadletterqueue.context.headers.enable": "true"])
        try await runWorker(worker) { Hub.shared.get("put-src").committedRecords.count >= 50 }
        #expect(Hub.shared.get("put-sink").flushed == (0..<50).filter { $0 % 10 != 0 })
        let dlq = try worker.localTopics().records(topic: "dlq")
        #expect(dlq.map { String(decoding: $0.record.value!, as: UTF8.self) }
            == (0..<5).map { #"{"schema":{"type":"int64","optional":false},"payload":\#($0 * 10)}"# })
        #expect(dlq.allSatisfy { headerText($0, "__connect.errors.stage") == "TASK_PUT" })
        // The task's Java class name, as Kafka reports it (the connector's Java name, Connector → Task).
        #expect(dlq.allSatisfy { headerText($0, "__connect.errors.class.name") == "com.example.RecordingSinkTask" })
        #expect(dlq.allSatisfy { headerText($0, "__connect.errors.exception.class.name") == "org.apache.kafka.connect.errors.DataException" })
        #expect(headerText(dlq[0], "__connect.errors.exception.message") == "cannot write 0")
        #expect(dlq.map { headerText($0, "__connect.errors.offset") } == ["0", "10", "20", "30", "40"])
        #expect(try store.offset(connector: "count", partition: ["source": "put-src"]) == ["n": .int64(49)])

        // Not tolerated, or put throws: the task fails with the reason and nothing is acknowledged.
        for mode in ["report", "throwput"] {
            let s = MemoryOffsetStore()
            let w = try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20", "offset.flush.timeout.ms": "100"]), registry: stagesRegistry(), offsetStore: s, logger: quiet)
            try w.add(["name": "count", "connector.class": "Counting", "hub.id": "pf-\(mode)", "count": "50"])
            try w.add(["name": "rec", "connector.class": "Recording", "hub.id": "pf-sink-\(mode)", "mode": mode, "topics": "numbers"])
            try await runWorker(w, timeout: .seconds(30)) { w.status("rec")?.tasks.first?.state == .failed }
            let task = try #require(w.status("rec")?.tasks.first)
            #expect(task.state == .failed)
            #expect(task.trace?.contains(mode == "report" ? "Tolerance exceeded in error handler" : "cannot write 42") == true)
            #expect(w.status("count")?.tasks.first?.state != .failed)  // the source task is unharmed
            let committed = try s.offset(connector: "count", partition: ["source": .string("pf-\(mode)")])?["n"]?.int64Value ?? -1
            #expect(committed < (mode == "report" ? 0 : 42))  // never past a record the sink did not write
        }
    }
}

/// Keeps every log message (at error level and above) for assertions.
struct CapturingLogHandler: LogHandler {
    let box: LogBox
    var logLevel: Logger.Level = .error
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let meta = metadata.merging(event.metadata ?? [:]) { $1 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        box.lines.withLock { $0.append("\(meta) \(event.message)") }
    }
}

final class LogBox: Sendable {
    let lines = Mutex<[String]>([])
    /// A logger that captures `level` and above (errors by default).
    func logger(_ level: Logger.Level) -> Logger {
        var handler = CapturingLogHandler(box: self)
        handler.logLevel = level
        return Logger(label: "capture") { _ in handler }
    }
    var logger: Logger { logger(.error) }
    var all: [String] { lines.withLock { $0 } }
}

@Suite("Error logging", .serialized)
struct ErrorLoggingTests {
    @Test(arguments: [false, true])
    func failedRecordsAreLoggedWithTheirPositionAndOptionallyTheirContent(includeMessages: Bool) async throws {
        let log = LogBox()
        let id = "log-\(includeMessages)"
        let worker = try Worker(
            config: try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20", "value.converter.schemas.enable": "false"]),
            registry: stagesRegistry(), logger: log.logger)
        for text in ["1", "oops", "3"] { worker.broker!.produce(topic: "raw", TopicRecord(key: nil, value: Array(text.utf8))) }
        try worker.add(["name": "rec", "connector.class": "Recording", "hub.id": id, "topics": "raw", "errors.tolerance": "all",
                        "errors.log.enable": "true", "errors.log.include.messages": includeMessages ? "true" : "false"])
        try await runWorker(worker, timeout: .seconds(30)) { Hub.shared.get(id).flushed.count >= 2 }
        let line = try #require(log.all.first { $0.contains("Error encountered in task") })
        #expect(line.contains("connector=rec"))
        #expect(line.contains("task=0"))
        #expect(line.contains("Error encountered in task rec-0. Executing stage 'VALUE_CONVERTER' with class 'org.apache.kafka.connect.json.JsonConverter'"))
        #expect(line.contains("topic='raw', partition=0, offset=1"))
        #expect(line.contains("value=oops") == includeMessages)
        #expect(Hub.shared.get(id).flushed == [1, 3])
    }
}

@Suite("Kafka's transformations in pipelines", .serialized)
struct KafkaTransformsInPipelinesTests {
    /// A Kafka transformation that fails on a record (ExtractField on an int64 value) goes through the
    /// error handler: skipped and dead-lettered with the TRANSFORMATION stage when tolerated, fails
    /// the task otherwise.
    @Test func aFailingKafkaTransformGoesThroughTheErrorHandler() async throws {
        for tolerate in [true, false] {
            let id = "kt-\(tolerate)"
            let worker = try Worker(config: try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20",
                                                              "local.topics.dir": try temporaryDirectory("dlq").path]),
                                    registry: stagesRegistry(), logger: quiet)
            try worker.add(["name": "count", "connector.class": "Counting", "hub.id": id, "count": "10"])
            try worker.add([
                "name": "rec", "connector.class": "Recording", "hub.id": id + "-sink", "topics": "numbers",
                "transforms": "extract", "transforms.extract.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
                "transforms.extract.field": "id",
                "errors.tolerance": tolerate ? "all" : "none", "errors.deadletterqueue.topic.name": "dlq",
                "errors.deadletterqueue.context.headers.enable": "true",
            ])
            try await runWorker(worker, timeout: .seconds(30)) {
                tolerate ? ((try? worker.localTopics().records(topic: "dlq").count) ?? 0) >= 10 : worker.status("rec")?.tasks.first?.state == .failed
            }
            if tolerate {
                let dlq = try worker.localTopics().records(topic: "dlq")
                try #require(dlq.count == 10)
                #expect(dlq.allSatisfy { headerText($0, "__connect.errors.stage") == "TRANSFORMATION" })
                #expect(headerText(dlq[0], "__connect.errors.class.name") == "org.apache.kafka.connect.transforms.ExtractField$Value")
                #expect(headerText(dlq[0], "__connect.errors.exception.message") == "Only Struct objects supported for [field extraction], found: java.lang.Long")
                #expect(Hub.shared.get(id + "-sink").flushed.isEmpty)
                #expect(Hub.shared.get(id).committedRecords.count == 10)  // skipped records are acknowledged
            } else {
                #expect(worker.status("rec")?.tasks.first?.trace?.contains("ExtractField$Value") == true)
            }
        }
    }

    @Test func sourceSideKafkaTransformsRunBeforeConversion() async throws {
        let worker = try Worker(config: try WorkerConfig(["pipeline.mode": "topic", "value.converter.schemas.enable": "false"]), registry: stagesRegistry(), logger: quiet)
        try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "kt-src", "count": "3",
                        "transforms": "hoist,route", "transforms.hoist.type": "HoistField$Value", "transforms.hoist.field": "n",
                        "transforms.route.type": "RegexRouter", "transforms.route.regex": "num(.*)", "transforms.route.replacement": "n$1"])
        // Nobody reads "nbers": its records are held, never committed — wait for them on the topic.
        try await runWorker(worker) { worker.broker!.records(topic: "nbers").count >= 3 }
        let records = worker.broker!.records(topic: "nbers")
        #expect(records.map { String(decoding: $0.record.value!, as: UTF8.self) } == [#"{"n":0}"#, #"{"n":1}"#, #"{"n":2}"#])
    }
}

@Test func badWorkerAndErrorKeysAreNamed() throws {
    let worker = #expect(throws: ConfigError.self) {
        try WorkerConfig(["pipeline.mode": "fast", "topic.memory.retention.records": "-1", "key.converter": ""])
    }
    #expect(worker?.keys.sorted() == ["key.converter", "pipeline.mode", "topic.memory.retention.records"])
    #expect(worker?.problems.first { $0.key == "pipeline.mode" }?.message == "Invalid value fast for configuration pipeline.mode: String must be one of: direct, topic")
    let w = try Worker(registry: stagesRegistry(), logger: quiet)
    let e = #expect(throws: ConfigError.self) {
        try w.add(["name": "rec", "connector.class": "Recording", "hub.id": "x", "topics": "t", "errors.tolerance": "some",
                   "errors.retry.timeout": "soon", "errors.deadletterqueue.context.headers.enable": "maybe"])
    }
    #expect(e?.keys.sorted() == ["errors.deadletterqueue.context.headers.enable", "errors.retry.timeout", "errors.tolerance"])
    #expect(e?.problems.first { $0.key == "errors.tolerance" }?.message == "Invalid value some for configuration errors.tolerance: String must be one of: none, all")
}

@Test func bootstrapServersWithoutAKafkaTransportIsReported() throws {
    let log = LogBox()
    var logger = log.logger
    logger.logLevel = .warning
    _ = try Worker(config: try WorkerConfig(["bootstrap.servers": "localhost:9092"]), registry: .standard, logger: logger)
    #expect(log.all.contains { $0.contains("bootstrap.servers is set (localhost:9092) but this worker has no Kafka transport") })
}

/// With two sink connectors reading one in-memory topic, a source's offsets advance only when both
/// flushed: one that cannot flush holds the acknowledgement (and the records stay in the topic).
@Test func everyGroupReadingATopicMustCommitBeforeTheSourceDoes() async throws {
    let store = MemoryOffsetStore()
    let config = try WorkerConfig(["pipeline.mode": "topic", "offset.flush.interval.ms": "20", "offset.flush.timeout.ms": "100",
                                   "value.converter.schemas.enable": "false"])
    let worker = try Worker(config: config, registry: stagesRegistry(), offsetStore: store, logger: quiet)
    try worker.add(["name": "count", "connector.class": "Counting", "hub.id": "two-src", "count": "30"])
    try worker.add(["name": "good", "connector.class": "Recording", "hub.id": "two-good", "topics": "numbers"])
    try worker.add(["name": "stuck", "connector.class": "Recording", "hub.id": "two-stuck", "mode": "failflush", "topics": "numbers"])
    try await runWorker(worker) { Hub.shared.get("two-good").flushed.count >= 30 && Hub.shared.get("two-stuck").delivered.count >= 30 }
    #expect(Hub.shared.get("two-good").flushed == Array(0..<30))
    #expect(worker.broker!.committed(group: "connect-good", topic: "numbers") == 30)
    #expect(worker.broker!.committed(group: "connect-stuck", topic: "numbers") == nil)
    #expect(worker.broker!.records(topic: "numbers").count == 30)  // still held for the stuck reader
    #expect(try store.offsets(connector: "count").isEmpty)
    #expect(Hub.shared.get("two-src").committedRecords.isEmpty)
}

/// A value converter (JSON underneath, synchronous) that fails the first time it converts the value
/// `fail.at`, and converts it if asked again.
struct FlakyConverter: Converter {
    final class Once: Sendable { let failed = Mutex(false) }
    let json: JSONConverter
    let at: Int64
    let once = Once()
    init(configuration: [String: String], isKey: Bool) throws(ConfigError) {
        json = try JSONConverter(configuration: configuration.filter { $0.key != "fail.at" }, isKey: isKey)
        at = Int64(configuration["fail.at"] ?? "") ?? -1
    }
    static var configDef: ConfigDef { ConfigDef().define("fail.at", .long, importance: .high, documentation: "the value to fail once") }
    var convertsSynchronously: Bool { true }
    func fromConnectData(topic: String, headers: Headers?, schema: Schema?, value: Value) throws(DataError) -> [UInt8]? {
        if value.int64Value == at, once.failed.withLock({ f in defer { f = true }; return !f }) { throw DataError("flaky: \(at) the first time") }
        return try json.fromConnectData(topic: topic, headers: headers, schema: schema, value: value)
    }
    func toConnectData(topic: String, headers: Headers?, value: [UInt8]?) throws(DataError) -> SchemaAndValue {
        try json.toConnectData(topic: topic, headers: headers, value: value)
    }
}
