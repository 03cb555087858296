#if canImport(Glibc)
import Glibc
#endif
import CRdKafka
import Foundation
import Synchronization

/// A failed librdkafka call: the error code's name (`_TRANSPORT`, `UNKNOWN_TOPIC_OR_PART`), its
/// message, and the configuration key when a key was refused. Never holds a secret's value.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// librdkafka's `rd_kafka_resp_err_t` (negative: client-side; positive: Kafka's protocol codes).
    public var code: Int32
    /// What went wrong.
    public var message: String
    /// The configuration key a configuration error is about.
    public var key: String?

    /// An error.
    public init(code: Int32, message: String, key: String? = nil) {
        self.code = code
        self.message = message
        self.key = key
    }

    init(_ err: rd_kafka_resp_err_t, _ context: String) {
        self.init(code: err.rawValue, message: "\(context): \(String(cString: rd_kafka_err2str(err))) (\(String(cString: rd_kafka_err2name(err))))")
    }

    /// Whether trying again may succeed (librdkafka's retriable transport and broker errors).
    public var isRetriable: Bool {
        [RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
         RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
         RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE].map(\.rawValue).contains(code)
    }

    public var description: String { key.map { "\($0): \(message)" } ?? message }
}

/// Builds an `rd_kafka_conf_t` from string properties; a refused key is a ``KafkaError`` naming it
/// (and librdkafka's reason), never its value (values of secret keys must not leak).
func makeConfiguration(_ properties: [String: String]) throws(KafkaError) -> OpaquePointer {
    let conf = rd_kafka_conf_new()!
    var reason = [CChar](repeating: 0, count: 512)
    for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
        if rd_kafka_conf_set(conf, key, value, &reason, reason.count) != RD_KAFKA_CONF_OK {
            rd_kafka_conf_destroy(conf)
            let why = reason.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw KafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue, message: why, key: key)
        }
    }
    return conf
}

/// Where a produced record landed (its delivery report).
public struct KafkaDelivery: Sendable, Hashable {
    /// The record's topic.
    public var topic: String
    /// The partition it was written to.
    public var partition: Int32
    /// Its offset in that partition.
    public var offset: Int64
}

/// The callback of one record produced with ``KafkaProducer/send(topic:partition:key:value:headers:timestamp:done:)``:
/// its token, called from the producer's poll thread.
private final class DeliveryBox {
    let done: @Sendable (Result<KafkaDelivery, KafkaError>) -> Void
    init(done: @escaping @Sendable (Result<KafkaDelivery, KafkaError>) -> Void) { self.done = done }
}

/// One batch of delivery reports (those of one produce response, in the order librdkafka gives
/// them): the tokens of the records the brokers stored, and of those that failed with why. Each
/// token is the object passed to ``KafkaProducer/send(topic:partition:key:value:headers:timestamp:token:)``.
public struct KafkaDeliveryReports {
    /// Tokens of the records that were stored.
    public var succeeded: [AnyObject] = []
    /// Where each of ``succeeded`` was stored (same order): its partition and offset.
    public var positions: [(partition: Int32, offset: Int64)] = []
    /// Tokens of the records that failed, with librdkafka's error.
    public var failed: [(token: AnyObject, error: KafkaError)] = []
    /// Records sent with a nil token that were stored (counted, nothing kept per record).
    public var untrackedSucceeded = 0
    /// Why records sent with a nil token failed, one error per record.
    public var untrackedFailed: [KafkaError] = []

    /// Whether the batch reports nothing.
    var isEmpty: Bool { succeeded.isEmpty && failed.isEmpty && untrackedSucceeded == 0 && untrackedFailed.isEmpty }
}

/// A Kafka producer (librdkafka), the only owner of its `rd_kafka_t`. Idempotent with `acks=all`
/// unless the properties say otherwise. Delivery reports are served by a thread of its own (never
/// Swift's cooperative pool) as librdkafka's batched delivery-report events: each record's report is
/// handed over exactly once, a batch at a time; ``close()`` flushes and frees the handle once.
public final class KafkaProducer: @unchecked Sendable {
    private let handle: OpaquePointer
    private let stopping = StopFlag()
    private let pollThread: Thread
    /// The main queue the poll thread waits on (destroyed by ``close()`` after that thread ended).
    private let mainQueue: UncheckedHandle
    /// Topic handles by name (librdkafka's `rd_kafka_topic_t`, freed at close).
    private let topics = Mutex<(byName: [String: UncheckedHandle], last: (name: String, handle: UncheckedHandle)?)>(([:], nil))

    /// Whether a `deliveries` handler was given (records with a token need one).
    private let hasDeliveries: Bool

    /// The `rd_kafka_t` (for admin requests of this module; owned by this producer).
    var rawHandle: OpaquePointer { handle }
    private let closed = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    /// A producer with librdkafka properties (`bootstrap.servers`, …).
    ///
    /// `deliveries` receives the reports of records sent with a token
    /// (``send(topic:partition:key:value:headers:timestamp:token:)``), one batch per produce response, on
    /// the producer's poll thread; records sent with a `done` closure get their closure called instead.
    /// Neither may call ``close()`` (it waits for that thread).
    /// - Throws: ``KafkaError`` naming a refused key, or librdkafka's reason the handle failed.
    public init(properties: [String: String], deliveries: (@Sendable (KafkaDeliveryReports) -> Void)? = nil) throws(KafkaError) {
        var p = ["enable.idempotence": "true", "acks": "all"]
        p.merge(properties) { $1 }
        // Idempotence needs acks=all: a weaker acks given without a word on idempotence turns it off.
        if let acks = properties["acks"], !["all", "-1"].contains(acks.trimmingCharacters(in: .whitespaces).lowercased()), properties["enable.idempotence"] == nil {
            p["enable.idempotence"] = "false"
        }
        let conf = try makeConfiguration(p)
        // Delivery reports as events: one per produce response with all its records (no callback
        // per record), served by the poll thread below; rd_kafka_flush then waits for that thread.
        rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR)
        var reason = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &reason, reason.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: RD_KAFKA_RESP_ERR__FAIL.rawValue, message: reason.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        handle = rk
        hasDeliveries = deliveries != nil
        let queue = UncheckedHandle(rd_kafka_queue_get_main(rk))
        mainQueue = queue
        let stopping = self.stopping
        let finished = self.finished
        pollThread = Thread {
            while !stopping.value.load(ordering: .acquiring) {
                guard let event = rd_kafka_queue_poll(queue.pointer, 100) else { continue }
                // Serve, then destroy: the event's messages count as in flight until destroyed, so
                // rd_kafka_flush (and a transaction's commit) return only after every report of
                // theirs was handed over. Keep this order.
                if rd_kafka_event_type(event) == RD_KAFKA_EVENT_DR { Self.serve(event, deliveries) }
                rd_kafka_event_destroy(event)
            }
            // Closing: reports still queued (purged records) are handed over before the handle goes.
            while let event = rd_kafka_queue_poll(queue.pointer, 0) {
                if rd_kafka_event_type(event) == RD_KAFKA_EVENT_DR { Self.serve(event, deliveries) }
                rd_kafka_event_destroy(event)
            }
            finished.signal()
        }
        pollThread.name = "kafka-producer-poll"
        pollThread.start()
    }

    /// Hands one delivery-report event's records over: closures one by one, tokens as one batch.
    private static func serve(_ event: OpaquePointer, _ deliveries: (@Sendable (KafkaDeliveryReports) -> Void)?) {
        func failure(_ m: UnsafePointer<rd_kafka_message_t>) -> KafkaError {
            KafkaError(m.pointee.err, "Delivery to \(String(cString: rd_kafka_topic_name(m.pointee.rkt)))-\(m.pointee.partition) failed")
        }
        var reports = KafkaDeliveryReports()
        reports.succeeded.reserveCapacity(rd_kafka_event_message_count(event))
        reports.positions.reserveCapacity(rd_kafka_event_message_count(event))
        while let m = rd_kafka_event_message_next(event) {
            let stored = m.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR
            guard let opaque = m.pointee._private else {
                if stored { reports.untrackedSucceeded += 1 } else { reports.untrackedFailed.append(failure(m)) }
                continue
            }
            let token = Unmanaged<AnyObject>.fromOpaque(opaque).takeRetainedValue()
            if let box = token as? DeliveryBox {
                box.done(stored
                    ? .success(KafkaDelivery(topic: String(cString: rd_kafka_topic_name(m.pointee.rkt)), partition: m.pointee.partition, offset: m.pointee.offset))
                    : .failure(failure(m)))
            } else if stored {
                reports.succeeded.append(token)
                reports.positions.append((m.pointee.partition, m.pointee.offset))
            } else {
                reports.failed.append((token, failure(m)))
            }
        }
        if !reports.isEmpty { deliveries?(reports) }
    }

    deinit { close() }

    /// Produces one record to an explicit partition (choose it with ``JavaPartitioner`` for keyed
    /// records). `done` is called once, on the producer's poll thread, with where it landed or why
    /// it did not. `timestamp` in epoch milliseconds (0: the producer's clock).
    /// - Throws: ``KafkaError`` when librdkafka refuses the record at once (queue full, unknown partition).
    public func send(
        topic: String, partition: Int32, key: [UInt8]?, value: [UInt8]?, headers: [(String, [UInt8]?)] = [], timestamp: Int64 = 0,
        done: @escaping @Sendable (Result<KafkaDelivery, KafkaError>) -> Void
    ) throws(KafkaError) {
        try send(topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: timestamp, token: DeliveryBox(done: done))
    }

    /// Produces one record to an explicit partition; its delivery report goes, with `token`, to the
    /// `deliveries` handler given at init (in a batch). `token` is retained until then; with nil the
    /// report is only counted (``KafkaDeliveryReports/untrackedSucceeded``,
    /// ``KafkaDeliveryReports/untrackedFailed``). `timestamp` in epoch milliseconds (0: the
    /// producer's clock). The key, value and header bytes are copied.
    /// - Throws: ``KafkaError`` when librdkafka refuses the record at once (queue full, unknown partition).
    public func send(
        topic: String, partition: Int32, key: [UInt8]?, value: [UInt8]?, headers: [(String, [UInt8]?)] = [], timestamp: Int64 = 0,
        token: AnyObject?
    ) throws(KafkaError) {
        try withOptionalBytes(key) { (k) throws(KafkaError) in
            try withOptionalBytes(value) { (v) throws(KafkaError) in
                try send(topic: topic, partition: partition, keyBytes: k, valueBytes: v, headers: headers, timestamp: timestamp, token: token)
            }
        }
    }

    /// ``send(topic:partition:key:value:headers:timestamp:token:)`` from borrowed bytes (a nil
    /// buffer is a null key or value): librdkafka copies them before this returns, so a caller can
    /// produce straight from a read buffer, as kcat does.
    /// - Throws: ``KafkaError`` when librdkafka refuses the record at once (queue full, unknown partition).
    public func send(
        topic: String, partition: Int32, keyBytes key: UnsafeRawBufferPointer?, valueBytes value: UnsafeRawBufferPointer?,
        headers: [(String, [UInt8]?)] = [], timestamp: Int64 = 0, token: AnyObject?
    ) throws(KafkaError) {
        try send(to: self.topic(topic), partition: partition, keyBytes: key, valueBytes: value, headers: headers, timestamp: timestamp, token: token)
    }

    /// A topic's librdkafka handle (`rd_kafka_topic_t`), looked up once for many records:
    /// ``send(to:partition:keyBytes:valueBytes:headers:timestamp:token:)`` then skips the lookup by
    /// name (a lock and a comparison per record). It belongs to the producer that made it and is
    /// valid until that producer's ``close()``.
    public struct Topic: @unchecked Sendable {
        /// The topic's name.
        public let name: String
        let handle: OpaquePointer
        /// The `rd_kafka_t` that made it.
        let owner: OpaquePointer
    }

    /// The handle of `topic` (made once, freed at ``close()``).
    /// - Throws: ``KafkaError`` when librdkafka refuses the name (longer than 512 bytes).
    public func topic(_ name: String) throws(KafkaError) -> Topic {
        Topic(name: name, handle: try topicHandle(name), owner: handle)
    }

    /// ``send(topic:partition:keyBytes:valueBytes:headers:timestamp:token:)`` to a topic looked up
    /// with ``topic(_:)``.
    /// - Throws: ``KafkaError`` when librdkafka refuses the record at once (queue full, unknown partition).
    public func send(
        to topic: Topic, partition: Int32, keyBytes key: UnsafeRawBufferPointer?, valueBytes value: UnsafeRawBufferPointer?,
        headers: [(String, [UInt8]?)] = [], timestamp: Int64 = 0, token: AnyObject?
    ) throws(KafkaError) {
        precondition(token == nil || hasDeliveries || token is DeliveryBox, "send(token:) needs the deliveries handler given at init: its report would be lost")
        precondition(topic.owner == handle, "send(to:) needs a topic handle of this producer")
        let rkt = topic.handle
        let opaque = token.map { Unmanaged.passRetained($0).toOpaque() }
        var hdrs: OpaquePointer?
        if !headers.isEmpty {
            hdrs = rd_kafka_headers_new(headers.count)
            for (name, v) in headers {
                if let v { v.withUnsafeBytes { _ = rd_kafka_header_add(hdrs, name, -1, $0.baseAddress, $0.count) } } else { rd_kafka_header_add(hdrs, name, -1, nil, 0) }
            }
        }
        // librdkafka reads a NULL pointer as a null key or value: an empty buffer (whose base
        // address may be nil) gets a valid pointer, so it stays an empty one.
        let err = ck_produce(
            handle, rkt, partition, key.map { $0.baseAddress ?? Self.emptyBytes }, key?.count ?? 0,
            value.map { $0.baseAddress ?? Self.emptyBytes }, value?.count ?? 0, timestamp, hdrs, opaque)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            if let hdrs { rd_kafka_headers_destroy(hdrs) }
            if let opaque { Unmanaged<AnyObject>.fromOpaque(opaque).release() }
            throw KafkaError(err, "Producing to \(topic.name)-\(partition) failed")
        }
    }

    /// Where an empty (not null) key or value points.
    nonisolated(unsafe) private static let emptyBytes = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1))  // never written

    /// The topic's librdkafka handle, made once (kcat produces through one too: no lookup by name
    /// per record inside librdkafka).
    /// - Throws: ``KafkaError`` when librdkafka refuses the name (longer than 512 bytes).
    private func topicHandle(_ topic: String) throws(KafkaError) -> OpaquePointer {
        try topics.withLock { (t) throws(KafkaError) -> OpaquePointer in
            if let last = t.last, last.name == topic { return last.handle.pointer }
            let h: UncheckedHandle
            if let known = t.byName[topic] {
                h = known
            } else {
                guard let made = rd_kafka_topic_new(handle, topic, nil) else { throw KafkaError(rd_kafka_last_error(), "Topic \(topic.prefix(100))…") }
                h = UncheckedHandle(made)
            }
            t.byName[topic] = h
            t.last = (topic, h)
            return h.pointer
        }
    }

    /// Records sent and not yet reported (queued, in flight, or with a delivery report not yet
    /// handed over: librdkafka's `rd_kafka_outq_len`).
    public var outstanding: Int { Int(rd_kafka_outq_len(handle)) }

    /// Waits (blocking) until every record sent so far has its delivery report, at most `timeout`.
    /// - Throws: ``KafkaError`` (`_TIMED_OUT`) when records are still in flight.
    public func flush(timeout: Duration) throws(KafkaError) {
        let err = rd_kafka_flush(handle, timeout.kafkaMilliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "Flushing the producer") }
    }

    /// The number of partitions of `topic` (from the cluster's metadata; blocks at most `timeout`).
    public func partitionCount(_ topic: String, timeout: Duration = .seconds(10)) throws(KafkaError) -> Int32 {
        try KafkaMetadata.partitionCount(handle, topic, timeout)
    }

    /// Flushes what is in flight (up to 10 s), stops the poll thread and frees the handle. Records
    /// still undelivered then get a failed delivery report. Idempotent.
    public func close() {
        let first = closed.withLock { c -> Bool in
            defer { c = true }
            return !c
        }
        guard first else { return }
        _ = rd_kafka_flush(handle, 10_000)
        // What is still undelivered is purged: its reports (failures) are served before the thread ends.
        _ = rd_kafka_purge(handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
        _ = rd_kafka_flush(handle, 1000)
        stopping.value.store(true, ordering: .releasing)
        // Ends the poll thread's current wait at once (a yield before its next wait ends that one):
        // without it, closing took up to the wait's 100 ms.
        rd_kafka_queue_yield(mainQueue.pointer)
        finished.wait()
        rd_kafka_queue_destroy(mainQueue.pointer)
        for (_, t) in topics.withLock({ $0.byName }) { rd_kafka_topic_destroy(t.pointer) }
        rd_kafka_destroy(handle)
    }
}

extension Duration {
    /// The duration in whole milliseconds, as librdkafka's `int timeout_ms` takes it.
    var kafkaMilliseconds: Int32 {
        Int32(clamping: components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }
}

/// Tells a poll thread to end.
final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
}

/// An `rd_kafka_t*` handed to a thread the owner joins before freeing it.
struct UncheckedHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

func withOptionalBytes<R, E: Error>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws(E) -> R) throws(E) -> R {
    guard let bytes else { return try body(nil) }
    // Array.withUnsafeBytes rethrows untyped: the typed error travels in a Result.
    return try bytes.withUnsafeBytes { b in Result { () throws(E) in try body(b) } }.get()
}

enum KafkaMetadata {
    static func partitionCount(_ rk: OpaquePointer, _ topic: String, _ timeout: Duration) throws(KafkaError) -> Int32 {
        // Without a handle (a name librdkafka refuses) the metadata request would ask for every topic.
        guard let rkt = rd_kafka_topic_new(rk, topic, nil) else { throw KafkaError(rd_kafka_last_error(), "Topic \(topic.prefix(100))…") }
        defer { rd_kafka_topic_destroy(rkt) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let ms = timeout.kafkaMilliseconds
        let err = rd_kafka_metadata(rk, 0, rkt, &metadata, ms)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(err, "Reading the metadata of \(topic)") }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0 else { throw KafkaError(code: RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue, message: "Topic \(topic) does not exist") }
        let t = metadata.pointee.topics[0]
        if t.err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(t.err, "Reading the metadata of \(topic)") }
        return t.partition_cnt
    }
}

/// A consumed record.
public struct KafkaRecord: Sendable, Hashable {
    /// Its topic.
    public var topic: String
    /// Its partition.
    public var partition: Int32
    /// Its offset.
    public var offset: Int64
    /// The key bytes (nil for a null key).
    public var key: [UInt8]?
    /// The value bytes (nil for a tombstone).
    public var value: [UInt8]?
    /// Epoch milliseconds (-1 when the record has none).
    public var timestamp: Int64
    /// The headers in order (a nil value for a null header).
    public var headers: [KafkaHeader]
}

/// One record header.
public struct KafkaHeader: Sendable, Hashable {
    /// The header's key.
    public var key: String
    /// Its value (nil for null).
    public var value: [UInt8]?
}

/// A group assignment change, as the group coordinator decided it.
public enum KafkaRebalance: Sendable, Hashable {
    /// These partitions were given to this member.
    case assigned([KafkaPartition])
    /// These partitions were taken away.
    case revoked([KafkaPartition])
}

/// A topic partition.
public struct KafkaPartition: Sendable, Hashable {
    /// The topic.
    public var topic: String
    /// The partition number.
    public var partition: Int32
}

/// Where a consumer's rebalance callback writes what it did (read by the owner after each poll).
private final class RebalanceLog: @unchecked Sendable {
    let events = Mutex<[KafkaRebalance]>([])
    /// Set while the consumer closes: librdkafka's close waits for the revocation to be applied
    /// inside the callback, so the callback applies it at once.
    let closing = Atomic<Bool>(false)
}

private func partitions(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> [KafkaPartition] {
    guard let list else { return [] }
    return (0..<Int(list.pointee.cnt)).map { i in
        let p = list.pointee.elems[i]
        return KafkaPartition(topic: String(cString: p.topic), partition: p.partition)
    }
}

/// The rebalance callback (eager protocol): notes the coordinator's decision only. The consumer
/// applies it (`rd_kafka_assign`) at its next poll — after its owner has seen the event, committed
/// what it flushed of revoked partitions, and asked for seeks on new ones — as librdkafka allows.
private let rebalance: @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?) -> Void = {
    rk, err, list, opaque in
    let log = opaque.map { Unmanaged<RebalanceLog>.fromOpaque($0).takeUnretainedValue() }
    if log?.closing.load(ordering: .acquiring) == true {
        rd_kafka_assign(rk, err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? list : nil)
        return
    }
    let ps = partitions(list)
    log?.events.withLock { $0.append(err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? .assigned(ps) : .revoked(ps)) }
}

/// A Kafka consumer in a group (librdkafka), the only owner of its `rd_kafka_t`. Offsets are
/// committed only when the owner says (`enable.auto.commit=false`); the group coordinator's
/// assignments and revocations are reported by ``poll(max:timeout:)``. Every call blocks: call it
/// from a thread of your own.
public final class KafkaConsumer: @unchecked Sendable {
    private let handle: OpaquePointer
    private let log: RebalanceLog
    private let logOpaque: UnsafeMutableRawPointer
    private let closed = Mutex(false)
    /// The assignment decided by the last rebalance and not applied yet (nil: none pending; an
    /// empty array: give everything up), and seeks asked for its partitions meanwhile.
    private var pendingAssignment: [KafkaPartition]?
    private var pendingSeeks: [KafkaPartition: Int64] = [:]

    /// A consumer with librdkafka properties; `group.id` is required for ``subscribe(_:)`` and
    /// commits (a consumer that only ``assign(_:)``s partitions needs none). Defaults that differ
    /// from librdkafka's are in ``defaultProperties``; `properties` win over them.
    /// - Throws: ``KafkaError`` naming a refused key.
    public init(properties: [String: String], requireGroup: Bool = true) throws(KafkaError) {
        if requireGroup, properties["group.id"] == nil {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue, message: "a consumer needs a group.id", key: "group.id")
        }
        var p = Self.defaultProperties.merging(properties) { $1 }
        // librdkafka's assign needs a group id even when no group is joined: a private one, never committed to.
        if p["group.id"] == nil { p["group.id"] = "connectkit-reader-\(UInt64.random(in: 0...UInt64.max))" }
        let conf = try makeConfiguration(p)
        log = RebalanceLog()
        logOpaque = Unmanaged.passRetained(log).toOpaque()
        rd_kafka_conf_set_opaque(conf, logOpaque)
        rd_kafka_conf_set_rebalance_cb(conf, rebalance)
        var reason = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &reason, reason.count) else {
            rd_kafka_conf_destroy(conf)
            Unmanaged<RebalanceLog>.fromOpaque(logOpaque).release()
            throw KafkaError(code: RD_KAFKA_RESP_ERR__FAIL.rawValue, message: reason.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        handle = rk
        rd_kafka_poll_set_consumer(rk)
    }

    /// What every ``KafkaConsumer`` starts from: offsets committed only when asked
    /// (`enable.auto.commit=false`), `auto.offset.reset=earliest`, no end-of-partition events, and a
    /// prefetch of at most 51,200,000 bytes of record values (`queued.max.messages.kbytes=51200`;
    /// librdkafka counts kilobytes of 1000 bytes, and only values) or 300,000 records
    /// (`queued.min.messages`, librdkafka's default 100,000). librdkafka 2.0.2 counts both over the
    /// whole consumer queue and, once a fetch passes either, fetches again only at its broker
    /// thread's next wake-up, up to a second later: a consumer that reads faster than that bound per
    /// second stalls for the rest of it (a sink over 64 partitions read 1M ~190-byte records in
    /// 3.2 s after joining its group instead of 0.7 s). Both bounds only stop new fetches: the
    /// answer to a fetch already sent is queued whole — up to `fetch.max.bytes` (52,428,800 bytes)
    /// per broker, which for tombstones of a few bytes each is millions of records at ~300 bytes of
    /// librdkafka's per record. For values over ~170 bytes the byte bound comes first; keys and
    /// headers count in neither. On topics of tiny or null values, lower `consumer.fetch.max.bytes`.
    /// librdkafka 2.3 made the wait a setting (`fetch.queue.backoff.ms`); 2.0.2 has none.
    public static let defaultProperties: [String: String] = [
        "enable.auto.commit": "false", "auto.offset.reset": "earliest", "enable.partition.eof": "false",
        "queued.min.messages": "300000", "queued.max.messages.kbytes": "51200",
    ]

    deinit {
        close()
        Unmanaged<RebalanceLog>.fromOpaque(logOpaque).release()
    }

    /// Joins the group for these topics (a name starting with `^` is a regular expression, as
    /// Kafka Connect's `topics.regex`).
    public func subscribe(_ topics: [String]) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for t in topics { rd_kafka_topic_partition_list_add(list, t, RD_KAFKA_PARTITION_UA) }
        let err = rd_kafka_subscribe(handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "Subscribing to \(topics.joined(separator: ","))") }
    }

    /// Up to `max` records, waiting at most `timeout` for the first; and the rebalances that happened
    /// meanwhile (assignments are applied before records of the new partitions arrive).
    /// - Throws: ``KafkaError`` for a consumer error (an unknown topic, a broker failure).
    public func poll(max: Int, timeout: Duration) throws(KafkaError) -> (records: [KafkaRecord], rebalances: [KafkaRebalance]) {
        try applyPendingAssignment()
        var records: [KafkaRecord] = []
        var wait = timeout.kafkaMilliseconds
        var rebalances: [KafkaRebalance] = []
        while records.count < max {
            let m = rd_kafka_consumer_poll(handle, wait)
            // A rebalance decided during this call ends the batch: the records read before it
            // belong to the old assignment, and nothing more is read until the owner has seen it.
            rebalances = log.events.withLock { e -> [KafkaRebalance] in
                defer { e = [] }
                return e
            }
            guard let m else { break }
            defer { rd_kafka_message_destroy(m) }
            wait = 0
            let msg = m.pointee
            if msg.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                switch msg.err {
                case RD_KAFKA_RESP_ERR__PARTITION_EOF, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
                    // A subscribed topic not created yet (its source has not produced): it will come.
                    if !rebalances.isEmpty { break }
                    continue
                default:
                    throw KafkaError(msg.err, "Consuming")
                }
            } else {
                records.append(KafkaConsumer.record(m))
            }
            if !rebalances.isEmpty { break }
        }
        for r in rebalances {
            switch r {
            case .assigned(let ps): pendingAssignment = ps
            case .revoked: pendingAssignment = []
            }
        }
        return (records, rebalances)
    }

    /// Applies the assignment the last rebalance decided, with the seeks asked for meanwhile as
    /// starting offsets (a seek on a partition not yet fetching would be refused).
    private func applyPendingAssignment() throws(KafkaError) {
        guard let assignment = pendingAssignment else { return }
        pendingAssignment = nil
        let err: rd_kafka_resp_err_t
        if assignment.isEmpty {
            err = rd_kafka_assign(handle, nil)
        } else {
            let l = rd_kafka_topic_partition_list_new(Int32(assignment.count))
            defer { rd_kafka_topic_partition_list_destroy(l) }
            for p in assignment { rd_kafka_topic_partition_list_add(l, p.topic, p.partition)!.pointee.offset = pendingSeeks[p] ?? -1001 }
            err = rd_kafka_assign(handle, l)
        }
        pendingSeeks = [:]
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "Applying the group's assignment") }
    }

    private static func record(_ m: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaRecord {
        let msg = m.pointee
        let key = msg.key.map { Array(UnsafeRawBufferPointer(start: $0, count: msg.key_len)) }
        let value = msg.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: msg.len)) }
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ts = rd_kafka_message_timestamp(m, &type)
        var headers: [KafkaHeader] = []
        var hdrs: OpaquePointer?
        if rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs {
            var i = 0
            var name: UnsafePointer<CChar>?
            var val: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(KafkaHeader(key: String(cString: name!), value: val.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
                i += 1
            }
        }
        return KafkaRecord(
            topic: String(cString: rd_kafka_topic_name(msg.rkt)), partition: msg.partition, offset: msg.offset, key: key, value: value,
            timestamp: ts, headers: headers)
    }

    /// The positions (next offset to read) of assigned partitions; -1001 where unknown.
    public func positions(_ partitions: [KafkaPartition]) -> [KafkaPartition: Int64] {
        let l = list(partitions)
        defer { rd_kafka_topic_partition_list_destroy(l) }
        _ = rd_kafka_position(handle, l)
        var out: [KafkaPartition: Int64] = [:]
        for i in 0..<Int(l.pointee.cnt) {
            let e = l.pointee.elems[i]
            out[KafkaPartition(topic: String(cString: e.topic), partition: e.partition)] = e.offset
        }
        return out
    }

    /// What waits in librdkafka's consumer queue, not yet returned by ``poll(max:timeout:)``: the
    /// records fetched ahead (the prefetch ``defaultProperties`` bounds), and the odd event
    /// of librdkafka's own (a partition's fetch starting), so a count at least the records'.
    public var prefetched: Int {
        guard let queue = rd_kafka_queue_get_consumer(handle) else { return 0 }
        defer { rd_kafka_queue_destroy(queue) }
        return rd_kafka_queue_length(queue)
    }

    /// Reads these partitions from these offsets, outside any group (`rd_kafka_assign`).
    public func assign(_ positions: [KafkaPartition: Int64]) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(positions.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (p, offset) in positions { rd_kafka_topic_partition_list_add(list, p.topic, p.partition)!.pointee.offset = offset }
        let err = rd_kafka_assign(handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "Assigning partitions") }
    }

    /// The low and high watermarks of a partition (the first offset and the offset after the last).
    public func watermarks(_ p: KafkaPartition, timeout: Duration = .seconds(10)) throws(KafkaError) -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let err = rd_kafka_query_watermark_offsets(handle, p.topic, p.partition, &low, &high, timeout.kafkaMilliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "Reading the watermarks of \(p.topic)-\(p.partition)") }
        return (low, high)
    }

    /// The number of partitions of `topic` (cluster metadata; blocks at most `timeout`).
    public func partitionCount(_ topic: String, timeout: Duration = .seconds(10)) throws(KafkaError) -> Int32 {
        try KafkaMetadata.partitionCount(handle, topic, timeout)
    }

    /// Commits these positions (the offset of the next record to read, per partition) synchronously.
    public func commit(_ positions: [KafkaPartition: Int64]) throws(KafkaError) {
        guard !positions.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(positions.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (p, offset) in positions { rd_kafka_topic_partition_list_add(list, p.topic, p.partition)!.pointee.offset = offset }
        let err = rd_kafka_commit(handle, list, 0)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "Committing offsets") }
    }

    /// The group's committed positions of these partitions (-1001 when none), blocking at most `timeout`.
    public func committed(_ partitions: [KafkaPartition], timeout: Duration = .seconds(10)) throws(KafkaError) -> [KafkaPartition: Int64] {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for p in partitions { rd_kafka_topic_partition_list_add(list, p.topic, p.partition) }
        let err = rd_kafka_committed(handle, list, timeout.kafkaMilliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "Reading committed offsets") }
        var out: [KafkaPartition: Int64] = [:]
        for i in 0..<Int(list!.pointee.cnt) {
            let e = list!.pointee.elems[i]
            out[KafkaPartition(topic: String(cString: e.topic), partition: e.partition)] = e.offset
        }
        return out
    }

    private func list(_ partitions: [KafkaPartition]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))!
        for p in partitions { rd_kafka_topic_partition_list_add(list, p.topic, p.partition) }
        return list
    }

    /// Stops fetching these partitions until ``resume(_:)``.
    public func pause(_ partitions: [KafkaPartition]) {
        guard !partitions.isEmpty else { return }
        let l = list(partitions)
        defer { rd_kafka_topic_partition_list_destroy(l) }
        _ = rd_kafka_pause_partitions(handle, l)
    }

    /// Fetches these paused partitions again.
    public func resume(_ partitions: [KafkaPartition]) {
        guard !partitions.isEmpty else { return }
        let l = list(partitions)
        defer { rd_kafka_topic_partition_list_destroy(l) }
        _ = rd_kafka_resume_partitions(handle, l)
    }

    /// Moves assigned partitions to these positions (the next record read is at that offset). For
    /// partitions of an assignment not applied yet, the positions become its starting offsets.
    public func seek(_ positions: [KafkaPartition: Int64]) {
        var positions = positions
        if let pending = pendingAssignment {
            for p in pending where positions[p] != nil { pendingSeeks[p] = positions.removeValue(forKey: p) }
        }
        guard !positions.isEmpty else { return }
        let l = rd_kafka_topic_partition_list_new(Int32(positions.count))
        defer { rd_kafka_topic_partition_list_destroy(l) }
        for (p, offset) in positions { rd_kafka_topic_partition_list_add(l, p.topic, p.partition)!.pointee.offset = offset }
        if let error = rd_kafka_seek_partitions(handle, l, 5000) { rd_kafka_error_destroy(error) }
    }

    /// Makes a ``poll(max:timeout:)`` blocked on another thread return early (`rd_kafka_queue_yield`
    /// on the consumer queue).
    public func wakeup() {
        let queue = rd_kafka_queue_get_consumer(handle)
        rd_kafka_queue_yield(queue)
        rd_kafka_queue_destroy(queue)
    }

    /// Every partition of every topic the cluster has (metadata).
    public func allPartitions(timeout: Duration = .seconds(10)) throws(KafkaError) -> [KafkaPartition] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 1, nil, &metadata, timeout.kafkaMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(err, "Reading the cluster's metadata") }
        defer { rd_kafka_metadata_destroy(metadata) }
        var out: [KafkaPartition] = []
        for t in 0..<Int(metadata.pointee.topic_cnt) {
            let topic = metadata.pointee.topics[t]
            let name = String(cString: topic.topic)
            for p in 0..<Int(topic.partition_cnt) { out.append(KafkaPartition(topic: name, partition: topic.partitions[p].id)) }
        }
        return out
    }

    private func admin(_ what: String, _ request: (OpaquePointer?) -> Void, groupError: (OpaquePointer) -> rd_kafka_resp_err_t?) throws(KafkaError) {
        try KafkaAdminRequest.run(handle, what, request) { event in groupError(event).map { ($0, nil) } }
    }

    private static func firstGroupError(_ groups: UnsafeMutablePointer<OpaquePointer?>?, _ count: Int) -> rd_kafka_resp_err_t? {
        guard let groups, count > 0, let g = groups[0], let e = rd_kafka_group_result_error(g) else { return nil }
        return rd_kafka_error_code(e)
    }

    /// Deletes a consumer group (it must have no active member).
    public func deleteGroup(_ group: String) throws(KafkaError) {
        var request: OpaquePointer? = rd_kafka_DeleteGroup_new(group)
        defer { rd_kafka_DeleteGroup_destroy(request) }
        try admin("Deleting group \(group)", { queue in rd_kafka_DeleteGroups(handle, &request, 1, nil, queue) }) { event in
            var count = 0
            let groups = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(event), &count)
            return KafkaConsumer.firstGroupError(UnsafeMutablePointer(mutating: groups), count)
        }
    }

    /// Deletes a group's committed offsets of these partitions.
    public func deleteCommittedOffsets(group: String, _ partitions: [KafkaPartition]) throws(KafkaError) {
        let l = list(partitions)
        defer { rd_kafka_topic_partition_list_destroy(l) }
        var request: OpaquePointer? = rd_kafka_DeleteConsumerGroupOffsets_new(group, l)
        defer { rd_kafka_DeleteConsumerGroupOffsets_destroy(request) }
        try admin("Deleting offsets of group \(group)", { queue in rd_kafka_DeleteConsumerGroupOffsets(handle, &request, 1, nil, queue) }) { event in
            var count = 0
            let groups = rd_kafka_DeleteConsumerGroupOffsets_result_groups(rd_kafka_event_DeleteConsumerGroupOffsets_result(event), &count)
            return KafkaConsumer.firstGroupError(UnsafeMutablePointer(mutating: groups), count)
        }
    }

    /// Leaves the group (revoking its partitions) and frees the handle. Idempotent.
    public func close() {
        let first = closed.withLock { c -> Bool in
            defer { c = true }
            return !c
        }
        guard first else { return }
        log.closing.store(true, ordering: .releasing)
        rd_kafka_consumer_close(handle)
        rd_kafka_destroy(handle)
    }
}

/// librdkafka's in-process mock cluster (`rdkafka_mock.h`): the real Kafka protocol on 127.0.0.1
/// ports, for tests and demos. Clients connect with ``bootstrapServers``.
public final class KafkaMockCluster: @unchecked Sendable {
    private let owner: OpaquePointer
    private let cluster: OpaquePointer
    /// `host:port,…` of the mock brokers.
    public let bootstrapServers: String

    /// A cluster of `brokers` brokers.
    /// - Throws: ``KafkaError`` when librdkafka cannot make one.
    public init(brokers: Int32 = 3) throws(KafkaError) {
        let conf = try makeConfiguration(["log_level": "0"])
        var reason = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &reason, reason.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: RD_KAFKA_RESP_ERR__FAIL.rawValue, message: "mock cluster: " + reason.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        guard let mc = rd_kafka_mock_cluster_new(rk, brokers) else {
            rd_kafka_destroy(rk)
            throw KafkaError(code: RD_KAFKA_RESP_ERR__FAIL.rawValue, message: "librdkafka could not start a mock cluster")
        }
        owner = rk
        cluster = mc
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(mc))
    }

    /// Creates a topic with this many partitions.
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws(KafkaError) {
        let err = rd_kafka_mock_topic_create(cluster, name, partitions, replicationFactor)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "Creating topic \(name)") }
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(owner)
    }
}
