public import ConnectKit
public import ConnectRuntime
import Foundation
import Synchronization

/// Source offsets in a Kafka topic, as Kafka Connect's `KafkaOffsetBackingStore` keeps them
/// (`offset.storage.topic`, compacted): each commit produces a record per source partition, key
/// `["<connector>",{partition}]` and value `{offset}` (or a tombstone), in the partition Java's
/// producer would choose for the key. At start the whole topic is read to its end.
///
/// Offsets move between a Java Kafka Connect cluster and ConnectKit: a source partition already in
/// the topic is written again under exactly the key bytes found there (a Java worker's map order
/// included), so compaction replaces it and the Java worker finds it; a new one gets the bytes a
/// Java worker would write (see ``KafkaOffsetFormat``). `commit` blocks until every record has its
/// delivery report (a source offset is never recorded here before it is in Kafka).
public final class KafkaOffsetStore: OffsetStore, @unchecked Sendable {
    /// The offsets topic.
    public let topic: String
    private let producer: KafkaProducer
    private let partitions: Int32
    private struct State {
        var offsets: [String: SourceOffsets] = [:]
        /// The key bytes each source partition has in the topic.
        var keys: [String: [[String: Value]: [UInt8]]] = [:]
    }
    private let state = Mutex(State())
    private let commitLock = Mutex(())

    /// Reads `topic` (which must exist) to its end and keeps a producer for commits.
    /// `properties` are librdkafka's (`bootstrap.servers`, security keys). Blocks.
    /// - Throws: ``KafkaError`` (unreachable cluster, missing topic) or a ``DataError`` for a record
    ///   that is not Kafka Connect's offset form (naming its partition and offset).
    public init(topic: String = "connect-offsets", properties: [String: String], readTimeout: Duration = .seconds(60)) throws {
        self.topic = topic
        producer = try KafkaProducer(properties: properties)
        let reader = try KafkaConsumer(properties: properties, requireGroup: false)
        defer { reader.close() }
        partitions = try reader.partitionCount(topic)
        var ends: [KafkaPartition: Int64] = [:]
        for p in 0..<partitions {
            let tp = KafkaPartition(topic: topic, partition: p)
            let (low, high) = try reader.watermarks(tp)
            if high > low { ends[tp] = high }  // an empty partition (or one emptied by retention) has nothing to read
        }
        try reader.assign(Dictionary(uniqueKeysWithValues: ends.keys.map { ($0, Int64(-2)) }))  // -2: from the beginning
        var loaded = State()
        var remaining = ends
        let json = JSONConverter(schemasEnabled: false)
        let deadline = ContinuousClock.now + readTimeout
        while !remaining.isEmpty {
            guard ContinuousClock.now < deadline else {
                throw KafkaError(code: -185, message: "Reading \(topic) to its end took longer than \(readTimeout)")
            }
            let batch = try reader.poll(max: 1000, timeout: .milliseconds(200)).records
            // Done with a partition when the consumer's position reaches its end (as Java's
            // readToEnd): a topic may end with a transaction marker no record stands for.
            for (tp, position) in reader.positions(Array(remaining.keys)) where position >= remaining[tp] ?? .max { remaining[tp] = nil }
            for r in batch {
                let tp = KafkaPartition(topic: r.topic, partition: r.partition)
                if let end = remaining[tp], r.offset + 1 >= end { remaining[tp] = nil }
                guard let keyBytes = r.key else { continue }
                let key = try json.toConnectData(topic: topic, value: keyBytes).value
                guard case .array(let parts) = key, parts.count == 2, let connector = parts[0].stringValue, case .map(let pm) = parts[1] else {
                    throw DataError("\(topic)-\(r.partition) offset \(r.offset): the key is not Kafka Connect's [\"<connector>\",{partition}]")
                }
                let partition = KafkaOffsetStore.stringKeyed(pm)
                loaded.keys[connector, default: [:]][partition] = keyBytes
                if let valueBytes = r.value, case .map(let om) = try json.toConnectData(topic: topic, value: valueBytes).value {
                    loaded.offsets[connector, default: [:]][partition] = KafkaOffsetStore.stringKeyed(om)
                } else {
                    loaded.offsets[connector]?[partition] = nil
                }
            }
        }
        let result = loaded
        state.withLock { $0 = result }
    }

    deinit { producer.close() }

    static func stringKeyed(_ m: MapValue) -> [String: Value] {
        var out: [String: Value] = [:]
        for e in m.entries { if let k = e.key.stringValue { out[k] = e.value } }
        return out
    }

    public func offsets(connector: String) throws -> SourceOffsets {
        state.withLock { $0.offsets[connector] ?? [:] }
    }

    /// Produces one record per source partition and waits for all their delivery reports (at most
    /// 60 s); only then are the offsets what ``offsets(connector:)`` returns. A nil offset writes a
    /// tombstone. Blocks: call it from a thread of your own.
    /// - Throws: the first ``KafkaError`` a record's delivery failed with (nothing is recorded then).
    public func commit(connector: String, offsets: [[String: Value]: [String: Value]?]) throws {
        try commitLock.withLock { _ in
            let known = state.withLock { $0.keys[connector] ?? [:] }
            var written: [([String: Value], [UInt8], [String: Value]?)] = []
            let outstanding = DispatchGroup()
            let failure = Mutex<KafkaError?>(nil)
            for (partition, offset) in offsets {
                let key = try known[partition] ?? KafkaOffsetFormat.key(connector: connector, partition: partition)
                let value = try KafkaOffsetFormat.value(offset)
                outstanding.enter()
                do {
                    try producer.send(topic: topic, partition: JavaPartitioner.partition(forKey: key, partitions: partitions), key: key, value: value) { result in
                        if case .failure(let e) = result { failure.withLock { if $0 == nil { $0 = e } } }
                        outstanding.leave()
                    }
                } catch {
                    outstanding.leave()
                    throw error
                }
                written.append((partition, key, offset))
            }
            guard outstanding.wait(timeout: .now() + 60) == .success else {
                throw KafkaError(code: -185, message: "Offsets of \(connector) were not acknowledged by \(topic) within 60 s")
            }
            if let e = failure.withLock({ $0 }) { throw e }
            state.withLock { s in
                for (partition, key, offset) in written {
                    s.keys[connector, default: [:]][partition] = key
                    s.offsets[connector, default: [:]][partition] = offset
                }
            }
        }
    }

    /// Writes the offsets through `producer` inside its open transaction, runs `commit` (which
    /// commits that transaction), and only then records them as ``offsets(connector:)`` returns
    /// them — Kafka's exactly-once source tasks write their offsets this way (KIP-618). The offsets
    /// topic's readers must be `read_committed` (librdkafka's default and this store's).
    /// - Throws: the producer's refusal, or `commit`'s error (nothing is recorded then).
    func commitInTransaction(connector: String, offsets: SourceOffsets, producer: KafkaProducer, commit: () throws -> Void) throws {
        try commitLock.withLock { _ in
            let known = state.withLock { $0.keys[connector] ?? [:] }
            var written: [([String: Value], [UInt8], [String: Value])] = []
            for (partition, offset) in offsets {
                let key = try known[partition] ?? KafkaOffsetFormat.key(connector: connector, partition: partition)
                try producer.send(
                    topic: topic, partition: JavaPartitioner.partition(forKey: key, partitions: partitions), key: key,
                    value: try KafkaOffsetFormat.value(offset)) { _ in }  // the commit reports any failure
                written.append((partition, key, offset))
            }
            try commit()
            state.withLock { s in
                for (partition, key, offset) in written {
                    s.keys[connector, default: [:]][partition] = key
                    s.offsets[connector, default: [:]][partition] = offset
                }
            }
        }
    }
}
