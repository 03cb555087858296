public import ConnectKit
import Foundation

/// An example sink connector: each record's value is appended as one line of JSON (Kafka's
/// `JsonConverter` with `schemas.enable=false`) to `<directory>/<topic>-<partition>.jsonl`.
///
/// It shows what a sink task does: open a file when a partition is assigned (`open`), buffer in
/// `put`, write and `fsync` in `flush` — the runtime commits offsets (and acknowledges the records
/// to their sources) only after `flush` returned — close files on `close`, and hand a record it
/// cannot write to the runtime's error handling (`errantRecordReporter`: with `errors.tolerance=all`
/// it is logged and sent to the dead-letter queue, otherwise the task fails).
///
/// ```json
/// {"name": "jsonl-out", "config": {"connector.class": "JSONLinesSink", "directory": "/data/out",
///  "topics": "rows", "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "rows-dlq"}}
/// ```
public final class JSONLinesSink: SinkConnector {
    private var config: [String: String] = [:]

    public required init() {}
    public var version: String { "1.0" }
    public var taskType: any SinkTask.Type { JSONLinesSinkTask.self }

    public var configDef: ConfigDef {
        ConfigDef().define("directory", .string, importance: .high, documentation: "Directory the .jsonl files are written to.",
                           validator: .nonEmptyString)
    }

    public func start(_ config: [String: String]) async throws {
        _ = try configDef.parse(config)
        self.config = config
    }

    public func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { Array(repeating: config, count: maxTasks) }
    public func stop() async throws {}
}

/// Why a record cannot be written.
public struct UnwritableRecord: Error, CustomStringConvertible {
    public var description: String
}

public final class JSONLinesSinkTask: SinkTask {
    private var context: (any SinkTaskContext)?
    private var directory = ""
    private let json = JSONConverter(schemasEnabled: false)
    private var handles: [TopicPartition: FileHandle] = [:]
    private var buffers: [TopicPartition: [UInt8]] = [:]

    public required init() {}
    public var version: String { "1.0" }
    public func initialize(context: any SinkTaskContext) { self.context = context }

    public func start(_ config: [String: String]) async throws { directory = config["directory"]! }

    public func open(_ partitions: [TopicPartition]) async throws {
        for tp in partitions where handles[tp] == nil {
            let path = "\(directory)/\(tp.topic)-\(tp.partition).jsonl"
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw UnwritableRecord(description: "cannot open \(path)") }
            handle.seekToEndOfFile()
            handles[tp] = handle
        }
    }

    public func put(_ records: [SinkRecord]) async throws {
        for r in records {
            let tp = TopicPartition(topic: r.topic, partition: r.kafkaPartition ?? 0)
            guard !r.value.isNull, let bytes = try? json.fromConnectData(topic: r.topic, schema: r.valueSchema, value: r.value) else {
                // Not writable here: the runtime logs it, dead-letters it or fails the task.
                try await context?.errantRecordReporter?.report(r, error: UnwritableRecord(description: "record at offset \(r.kafkaOffset) has no JSON value"))
                continue
            }
            buffers[tp, default: []] += bytes + [0x0A]
        }
    }

    public func flush(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws {
        for (tp, bytes) in buffers where !bytes.isEmpty {
            guard let handle = handles[tp] else { throw UnwritableRecord(description: "\(tp) was never opened") }
            try handle.write(contentsOf: bytes)
            try handle.synchronize()  // durable before the runtime commits
        }
        buffers = [:]
    }

    public func close(_ partitions: [TopicPartition]) async throws {
        try await flush([:])
        for tp in partitions { try handles.removeValue(forKey: tp)?.close() }
    }

    public func stop() async throws {
        for (_, h) in handles { try h.close() }
        handles = [:]
    }
}
