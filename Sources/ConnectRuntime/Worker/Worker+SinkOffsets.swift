import ConnectKit
import Synchronization

/// Sink offsets that outlive the process when no Kafka carries the records.
///
/// A sink's offsets are the numbers its records get (Kafka's topic offsets) — and sinks name what
/// they write after them (the S3 sink's `<topic>+<partition>+<start offset>` objects). Without
/// Kafka, numbering started at 0 in every process, so a restarted worker gave new records the
/// numbers of records already written, and such a sink overwrote its earlier objects. Now the
/// numbers continue: before a sink's flush acknowledges records (so before any source offset
/// passes them), the offsets it committed are written to the worker's offset store, and a restarted
/// worker numbers on from them —
/// - topic mode: per topic partition, the highest offset any sink committed, under the reserved
///   name `__connectkit.memory-topics` (the in-memory topics start there);
/// - direct mode: per sink connector, under the connector's name, as Kafka's sink offsets are
///   shown: `{"kafka_topic", "kafka_partition"}` → `{"kafka_offset"}`.
/// Records written past a commit and not acknowledged are delivered again at new offsets (at least
/// once); offsets already used are never used again, so nothing written is overwritten by other
/// records.
extension Worker {
    /// The offset-store name of the in-memory topics' numbering.
    public static let memoryTopicsStoreName = "__connectkit.memory-topics"

    static func sinkOffsetEntries(_ offsets: [TopicPartition: Int64]) -> [[String: Value]: [String: Value]?] {
        var out: [[String: Value]: [String: Value]?] = [:]
        for (tp, offset) in offsets {
            out[["kafka_topic": .string(tp.topic), "kafka_partition": .int32(tp.partition)]] = ["kafka_offset": .int64(offset)]
        }
        return out
    }

    static func sinkOffsets(_ stored: SourceOffsets) -> [TopicPartition: Int64] {
        func integer(_ v: Value?) -> Int64? {
            switch v {
            case .int8(let x)?: Int64(x)
            case .int16(let x)?: Int64(x)
            case .int32(let x)?: Int64(x)
            case .int64(let x)?: x
            default: nil
            }
        }
        var out: [TopicPartition: Int64] = [:]
        for (partition, offset) in stored {
            guard case .string(let topic)? = partition["kafka_topic"], let p = integer(partition["kafka_partition"]),
                let o = integer(offset["kafka_offset"]), let p32 = Int32(exactly: p)
            else { continue }
            out[TopicPartition(topic: topic, partition: p32)] = o
        }
        return out
    }

    /// Topic mode over in-memory topics: they number on from where the last run's sinks committed.
    func restoreMemoryTopicNumbering() throws {
        guard let broker = transport as? MemoryBroker, config.mode == .topic else { return }
        let stored = Self.sinkOffsets(try offsetStore.offsets(connector: Self.memoryTopicsStoreName))
        persistedSinkOffsets.withLock { $0[Self.memoryTopicsStoreName] = stored }
        broker.continueNumbering(from: stored)
    }

    /// Direct mode: the offsets a sink connector's records are numbered from (its last run's commits).
    func storedDirectSinkOffsets(_ connector: String) throws -> [TopicPartition: Int64] {
        let stored = Self.sinkOffsets(try offsetStore.offsets(connector: connector))
        persistedSinkOffsets.withLock { $0[connector] = $0[connector, default: [:]].merging(stored) { max($0, $1) } }
        return stored
    }

    /// Writes a sink's committed offsets where a restarted worker numbers on from them — before the
    /// commit acknowledges the records. Offsets only grow; nothing is written when none grew.
    ///
    /// - Throws: the offset store's error (the flush then fails: nothing is acknowledged).
    func persistSinkOffsets(connector: String, _ committed: [TopicPartition: Int64]) throws {
        guard transport is MemoryBroker else { return }
        let name = config.mode == .topic ? Self.memoryTopicsStoreName : connector
        let grown = persistedSinkOffsets.withLock { p -> [TopicPartition: Int64] in
            committed.filter { tp, offset in offset > (p[name]?[tp] ?? Int64.min) }
        }
        guard !grown.isEmpty else { return }
        try offsetStore.commit(connector: name, offsets: Self.sinkOffsetEntries(grown))
        persistedSinkOffsets.withLock { p in for (tp, o) in grown { p[name, default: [:]][tp] = max(o, p[name]?[tp] ?? o) } }
    }
}
