#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import ConnectKit

/// Kafka's `FileStreamSourceConnector`: each line of a file (or standard input when `file` is
/// empty) becomes a string record. The source partition is `{"filename": file}` and the offset
/// `{"position": byte offset after the line}`, as in Kafka, so a restart resumes after the last
/// committed line. Lines appended later are picked up (like `tail -f`).
public final class FileStreamSourceConnector: SourceConnector {
    private var config: [String: String] = [:]
    public required init() {}
    public var version: String { ConnectKitVersion.current }
    public var taskType: any SourceTask.Type { FileStreamSourceTask.self }

    public var configDef: ConfigDef {
        ConfigDef()
            .define("file", .string, default: .null, importance: .high, documentation: "Source filename. If not specified, the standard input will be used")
            .define("topic", .string, importance: .high, documentation: "The topic to publish data to", validator: .nonEmptyString)
            .define("batch.size", .int, default: 2000, importance: .low, documentation: "The maximum number of records the source task can read from the file each time it is polled", validator: .atLeast(1))
    }

    public func start(_ config: [String: String]) async throws {
        _ = try configDef.parse(config)
        self.config = config
    }

    public func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [config] }  // one file, one task
    public func stop() async throws {}
}

public final class FileStreamSourceTask: SourceTask {
    private var context: (any SourceTaskContext)?
    private var fd: Int32 = -1
    private var filename: String?
    private var topic = ""
    private var batchSize = 2000
    private var position: Int64 = 0
    private var buffer: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)

    public required init() {}
    public var version: String { ConnectKitVersion.current }
    public func initialize(context: any SourceTaskContext) { self.context = context }

    private var partition: [String: Value] { ["filename": filename.map(Value.string) ?? .null] }

    public func start(_ config: [String: String]) async throws {
        topic = config["topic"] ?? ""
        batchSize = Int(config["batch.size"] ?? "2000") ?? 2000
        if let f = config["file"], !f.isEmpty { filename = f }
        if filename == nil {
            fd = 0  // stdin: no offsets
            return
        }
        if let offset = try await context?.offsetStorageReader.offset(for: partition),
            let p = offset["position"]?.int64Value
        {
            position = p
        }
    }

    private func openIfNeeded() throws -> Bool {
        if fd >= 0 { return true }
        guard let filename else { return false }
        let f = open(filename, O_RDONLY)
        if f < 0 {
            if errno == ENOENT { return false }  // not there yet: keep polling, as Kafka does
            throw RetriableError("Couldn't open \(filename): \(String(cString: strerror(errno)))")
        }
        if position > 0, lseek(f, off_t(position), SEEK_SET) < 0 {
            close(f)
            throw RetriableError("Couldn't seek to \(position) in \(filename)")
        }
        fd = f
        return true
    }

    public func poll() async throws -> [SourceRecord] {
        guard try openIfNeeded() else {
            try await Task.sleep(for: .seconds(1))
            return []
        }
        var records: [SourceRecord] = []
        var reachedEnd = false
        while records.count < batchSize {
            // Emit complete lines from the buffer first.
            if let nl = buffer.firstIndex(of: 0x0A) {
                var line = buffer[..<nl]
                if line.last == 0x0D { line = line.dropLast() }
                position += Int64(nl + 1)
                records.append(
                    SourceRecord(
                        sourcePartition: partition, sourceOffset: filename == nil ? [:] : ["position": .int64(position)],
                        topic: topic, valueSchema: .string, value: .string(String(decoding: line, as: UTF8.self))))
                buffer.removeSubrange(...nl)
                continue
            }
            if filename == nil {
                // Standard input: wait at most a second for data, so that the task can stop.
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if posixPoll(&p, records.isEmpty ? 1000 : 0) <= 0 { break }
            }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RetriableError("Error reading \(filename ?? "stdin"): \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                reachedEnd = true
                break
            }
            buffer.append(contentsOf: chunk[..<n])
        }
        if records.isEmpty && reachedEnd { try await Task.sleep(for: .milliseconds(200)) }
        return records
    }

    public func stop() async throws {
        if fd > 0 { close(fd) }
        fd = -1
    }
}

/// Kafka's `FileStreamSinkConnector`: writes each record's value as a line to a file (or standard
/// output when `file` is empty). Lines are written and `fsync`ed when the runtime flushes, so
/// everything acknowledged is on disk.
public final class FileStreamSinkConnector: SinkConnector {
    private var config: [String: String] = [:]
    public required init() {}
    public var version: String { ConnectKitVersion.current }
    public var taskType: any SinkTask.Type { FileStreamSinkTask.self }

    public var configDef: ConfigDef {
        ConfigDef().define("file", .string, default: .null, importance: .high,
                           documentation: "Destination filename. If not specified, the standard output will be used")
    }

    public func start(_ config: [String: String]) async throws {
        _ = try configDef.parse(config)
        self.config = config
    }

    public func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [config] }
    public func stop() async throws {}
}

public final class FileStreamSinkTask: SinkTask {
    private var fd: Int32 = 1
    private var path: String?
    private var pending: [UInt8] = []

    public required init() {}
    public var version: String { ConnectKitVersion.current }

    public func start(_ config: [String: String]) async throws {
        if let f = config["file"], !f.isEmpty {
            path = f
            fd = posixOpen(f, O_RDWR | O_CREAT | O_APPEND, 0o644)
            if fd < 0 { throw DataError("Couldn't find or create file '\(f)' for FileStreamSinkTask: \(String(cString: strerror(errno)))") }
            try dropIncompleteLastLine(f)
        }
    }

    /// A crash in the middle of a flush can leave a partial last line. That flush was never
    /// acknowledged, so its records will be delivered again: cut the fragment off.
    private func dropIncompleteLastLine(_ f: String) throws {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return }
        var tail = [UInt8](repeating: 0, count: Int(min(size, 1 << 20)))
        let start = size - off_t(tail.count)
        let n = tail.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, start) }
        guard n == tail.count, tail.last != 0x0A else { return }
        let keep = tail.lastIndex(of: 0x0A).map { start + off_t($0 + 1) } ?? (start == 0 ? 0 : size)
        guard keep < size else { return }
        if ftruncate(fd, keep) != 0 { throw DataError("Couldn't truncate the incomplete last line of '\(f)': \(String(cString: strerror(errno)))") }
    }

    public func put(_ records: [SinkRecord]) async throws {
        for r in records {
            pending.append(contentsOf: r.value.description.utf8)
            pending.append(0x0A)
        }
    }

    public func flush(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws {
        var written = 0
        while written < pending.count {
            let n = pending.withUnsafeBytes { write(fd, $0.baseAddress! + written, pending.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RetriableError("Couldn't write to \(path ?? "stdout"): \(String(cString: strerror(errno)))")
            }
            written += n
        }
        pending.removeAll(keepingCapacity: true)
        if path != nil { _ = fsync(fd) }
    }

    public func stop() async throws {
        if path != nil, fd >= 0 { posixClose(fd) }
        fd = -1
    }
}

/// The version reported by built-in plugins.
public enum ConnectKitVersion {
    public static let current = "0.1.0"
}

/// `open(2)`, under a name that sink tasks' `open(_:)` does not shadow.
func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 { open(path, flags, mode) }

/// `poll(2)` on one descriptor, under a name that source tasks' `poll()` does not shadow.
func posixPoll(_ p: inout pollfd, _ timeoutMs: Int32) -> Int32 { poll(&p, 1, timeoutMs) }

/// `close(2)`, under a name that sink tasks' `close(_:)` does not shadow.
func posixClose(_ fd: Int32) { _ = close(fd) }
