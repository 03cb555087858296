import ConnectKit
import Synchronization

/// Sink offsets that outlive the process when no Kafka carries the records.
///
/// A sink's offsets are the numbers its records get (Kafka's topic offsets) — and sinks name what
/// they write after them (the S3 sink's `<topic>+<partition>+<start offset>` objects). Without
/// Kafka, numbering started at 0 in every process, so a restarted worker gave new records the
/// numbers of records already written, and such a sink overwrote its earlier objects. Now the
/// numbers continue: before a sink's flush acknowledges records (so before any source offset
/// passes them), the offsets it committed are written to the worker's offset store — per topic
/// partition, the highest offset any sink committed, under the reserved name
/// `__connectkit.memory-topics`, as Kafka shows sink offsets (`{"kafka_topic", "kafka_partition"}` →
/// `{"kafka_offset"}`) — and a restarted worker numbers on from them (topic mode: the in-memory
/// topics start there; direct mode: every sink's input). Committed offsets are never used again, so
/// nothing a sink committed is overwritten by other records; what a sink wrote past its last commit
/// before a crash was not acknowledged, comes again under new offsets (at least once), and may be
/// written over.
extension Worker {
    /// The offset-store name of the in-memory topics' numbering.
    public static let memoryTopicsStoreName = "__connectkit.memory-topics"

    static func sinkOffsetEntries(_ offsets: [TopicPartition: Int64]) -> [[String: Value]: [String: Value]?] {
        var out: [[String: Value]: [String: Value]?] = [:]
        for (tp, offset) in offsets {
            // int64, as a partition read back from the offsets file is: an int32 key would be another key.
            out[["kafka_topic": .string(tp.topic), "kafka_partition": .int64(Int64(tp.partition))]] = ["kafka_offset": .int64(offset)]
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
            // Twin entries (an int32 and an int64 partition key, as an earlier version wrote) keep the highest.
            let tp = TopicPartition(topic: topic, partition: p32)
            out[tp] = Swift.max(o, out[tp] ?? o)
        }
        return out
    }

    /// Without Kafka: records are numbered on from where the last run's sinks committed (topic mode:
    /// the in-memory topics start there; direct mode: ``storedSinkNumbering()`` seeds each sink's input).
    func restoreMemoryTopicNumbering() throws {
        guard transport is MemoryBroker else { return }
        let stored = Self.sinkOffsets(try offsetStore.offsets(connector: Self.memoryTopicsStoreName))
        persistedSinkOffsets.withLock { $0[Self.memoryTopicsStoreName] = stored }
        if let broker = transport as? MemoryBroker, config.mode == .topic { broker.continueNumbering(from: stored) }
    }

    /// Direct mode: the offsets a sink's records are numbered from — per topic partition, the highest
    /// any sink of this worker committed (a sink connector added later, or under a new name, does not
    /// start at 0 below another's objects).
    func storedSinkNumbering() -> [TopicPartition: Int64] {
        persistedSinkOffsets.withLock { $0[Self.memoryTopicsStoreName] ?? [:] }
    }

    /// Writes a sink's committed offsets where a restarted worker numbers on from them — before the
    /// commit acknowledges the records. Offsets only grow; nothing is written when none grew.
    ///
    /// - Throws: the offset store's error (the flush then fails: nothing is acknowledged).
    func persistSinkOffsets(connector: String, _ committed: [TopicPartition: Int64]) throws {
        guard transport is MemoryBroker else { return }
        let name = Self.memoryTopicsStoreName
        // Under the lock from comparison to write: two sinks flushing at once cannot store the lower.
        try persistedSinkOffsets.withLock { p throws in
            let grown = committed.filter { tp, offset in offset > (p[name]?[tp] ?? Int64.min) }
            guard !grown.isEmpty else { return }
            try offsetStore.commit(connector: name, offsets: Self.sinkOffsetEntries(grown))
            for (tp, o) in grown { p[name, default: [:]][tp] = o }
        }
    }
}
