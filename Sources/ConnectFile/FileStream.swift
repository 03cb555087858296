#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import ConnectKit
public import ConnectRuntime

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

    /// Kafka's checks of an offsets change: a `{"filename": …}` partition and a non-negative
    /// `{"position": <long>}` offset (or nil), and no changes when reading standard input.
    public func alterOffsets(_ config: [String: String], offsets: [[String: Value]: [String: Value]?]) async throws -> Bool {
        guard let file = config["file"], !file.isEmpty else {
            throw ConnectError("Offsets cannot be modified if the 'file' configuration is unspecified. This is because stdin is used for input and offsets are not tracked.")
        }
        for (partition, offset) in offsets {
            guard let offset else { continue }
            guard let position = offset["position"] else { throw ConnectError("Offset objects should either be null or contain the key 'position'") }
            guard case .int64(let p) = position else { throw ConnectError("The value for the 'position' key in the offset is expected to be a Long value") }
            guard p >= 0 else { throw ConnectError("The value for the 'position' key in the offset should be a non-negative value") }
            guard partition["filename"] != nil else { throw ConnectError("Partition objects should contain the key 'filename'") }
        }
        return true  // the offsets are the framework's: nothing else to change
    }
}

/// The task of ``FileStreamSourceConnector``: reads the file line by line from its committed position.
public final class FileStreamSourceTask: SourceTask {
    private var context: (any SourceTaskContext)?
    private var fd: Int32 = -1
    private var filename: String?
    private var topic = ""
    private var batchSize = 2000
    private var position: Int64 = 0
    private var lines = LineSplitter()
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)

    public required init() {}
    public var version: String { ConnectKitVersion.current }
    public func initialize(context: any SourceTaskContext) { self.context = context }

    /// The source partition, the same for every record (built once, not per record).
    private var partition: [String: Value] = ["filename": .null]

    public func start(_ config: [String: String]) async throws {
        topic = config["topic"] ?? ""
        batchSize = Int(config["batch.size"] ?? "2000") ?? 2000
        if let f = config["file"], !f.isEmpty { filename = f }
        partition = ["filename": filename.map(Value.string) ?? .null]
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
        let f = open(filename, O_RDONLY | O_CLOEXEC)
        if f < 0 {
            if errno == ENOENT {
                // Not there yet: keep polling, as Kafka does — and say so (once, and in the status).
                context?.reportWaiting("Couldn't find file \(filename) for FileStreamSourceTask, sleeping to wait for it to be created")
                return false
            }
            throw RetriableError("Couldn't open \(filename): \(String(cString: strerror(errno)))")
        }
        context?.reportWaiting(nil)
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
        records.reserveCapacity(batchSize)
        var reachedEnd = false
        // The loop works on locals (moved out of the task and back before any wait): no access
        // check per record.
        do {
            var lines = LineSplitter()
            swap(&lines, &self.lines)
            var position = self.position
            defer {
                swap(&lines, &self.lines)
                self.position = position
            }
            let (partition, topic, tracksOffsets) = (self.partition, self.topic, filename != nil)
            // Each line's offset map is made from a one-key template by replacing its value: the
            // key's hash and bucket are copied, not computed per line (about half the cost of a
            // dictionary literal).
            let offsetTemplate: [String: Value] = ["position": .int64(0)]
            while records.count < batchSize {
                // Emit complete lines from the buffer first.
                if let (line, consumed) = lines.next() {
                    position += Int64(consumed)
                    records.append(
                        SourceRecord(
                            sourcePartition: partition, sourceOffset: tracksOffsets ? offsetTemplate.mapValues { _ in .int64(position) } : [:],
                            topic: topic, valueSchema: .string, value: .string(JavaUTF8.decode(line))))
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
                lines.append(chunk[..<n])
            }
        }
        if records.isEmpty && reachedEnd { try await Task.sleep(for: .milliseconds(200)) }
        return records
    }

    public func stop() async throws {
        if fd > 0 { close(fd) }
        fd = -1
    }
}

/// Splits bytes into lines as Kafka's `FileStreamSourceTask` does: a line ends at `\n`, `\r` or
/// `\r\n`; a `\r` that is the last byte read waits for the next byte (it may start `\r\n`), and a
/// last line without a terminator waits for more data — Kafka emits neither until the file grows.
struct LineSplitter {
    private var buffer: [UInt8] = []
    private var head = 0
    /// The next `\n` at or after `head` when known (-1: not searched since the last one was used).
    private var newline = -1
    /// No `\n` lies in `head..<searchedTo` (where the last search that found none stopped).
    private var searchedTo = 0

    mutating func append(_ bytes: ArraySlice<UInt8>) {
        if head > 0 && head * 2 >= buffer.count {
            buffer.removeFirst(head)
            if newline >= 0 { newline -= head }
            searchedTo = max(0, searchedTo - head)
            head = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete line (without its terminator) and the bytes it took, terminator included.
    mutating func next() -> (line: ArraySlice<UInt8>, consumed: Int)? {
        let count = buffer.count
        guard head < count else { return nil }
        // The first `\n` (searched once, remembered across calls so that a file of `\r` lines is not
        // searched to its end per line), then the first `\r` before it, both with memchr.
        let found = buffer.withUnsafeBytes { raw -> (newline: Int, searchedTo: Int, end: (index: Int, byte: UInt8)?) in
            let base = raw.baseAddress!
            var nl = newline, to = searchedTo
            if nl < head {
                let from = max(head, searchedTo)
                if let p = memchr(base + from, 0x0A, count - from) {
                    nl = base.distance(to: UnsafeRawPointer(p))
                } else {
                    (nl, to) = (-1, count)
                }
            }
            let limit = nl >= 0 ? nl : count
            if let r = memchr(base + head, 0x0D, limit - head) { return (nl, to, (base.distance(to: UnsafeRawPointer(r)), 0x0D)) }
            return (nl, to, nl >= 0 ? (nl, 0x0A) : nil)
        }
        (newline, searchedTo) = (found.newline, found.searchedTo)
        guard let (i, b) = found.end else { return nil }
        var end = i + 1
        if b == 0x0D {
            guard i + 1 < count else { return nil }  // \r or \r\n: wait for the next byte
            if buffer[i + 1] == 0x0A { end = i + 2 }
        }
        let line = buffer[head..<i]
        let consumed = end - head
        head = end
        return (line, consumed)
    }
}

/// UTF-8 decoding with Java's replacement of malformed input (one U+FFFD per malformed sequence
/// as Java's decoder delimits it). It differs from Swift's only for encoded surrogates (`ED A0…BF`):
/// Java replaces the whole three-byte sequence (or the first two bytes when the third is not a
/// continuation byte) with one U+FFFD.
enum JavaUTF8 {
    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        // Without an 0xED byte Swift's decoding is Java's (the common case: one pass, no copies).
        let hasED = bytes.withUnsafeBytes { $0.isEmpty ? false : memchr($0.baseAddress!, 0xED, $0.count) != nil }
        guard hasED else { return String(decoding: bytes, as: UTF8.self) }
        var start = bytes.startIndex
        var i = start
        var out = ""
        while i < bytes.endIndex {
            if bytes[i] == 0xED, i + 1 < bytes.endIndex, bytes[i + 1] >= 0xA0, bytes[i + 1] <= 0xBF {
                out += String(decoding: bytes[start..<i], as: UTF8.self)
                out.unicodeScalars.append("\u{FFFD}")
                let thirdIsContinuation = i + 2 < bytes.endIndex && bytes[i + 2] & 0xC0 == 0x80
                i += thirdIsContinuation ? 3 : 2
                start = i
            } else {
                i += 1
            }
        }
        return out + String(decoding: bytes[start...], as: UTF8.self)
    }
}

/// Kafka's `FileStreamSinkConnector`: appends each record's value as a line to a file (or standard
/// output when `file` is empty). Like Kafka's, lines are written on `put` and flushed on `flush`;
/// here a flush also `fsync`s, so everything acknowledged is on disk.
///
/// An existing file is appended to, never cut — except for what this sink itself wrote after its
/// last flush before a crash: those lines were not acknowledged and will be delivered again. The
/// sink knows how far it flushed from a small state file beside the output,
/// `.<file name>.connect-flushed` (the flushed length, the file's identity, and whether the sink was
/// writing past it); after a clean stop, or without that file, or when the file was replaced,
/// nothing is cut — lines others append while the sink is stopped stay.
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

    /// A file sink keeps no offsets of its own: any change is fine (as Kafka's).
    public func alterOffsets(_ config: [String: String], offsets: [TopicPartition: Int64?]) async throws -> Bool { true }
}

/// The task of ``FileStreamSinkConnector``: appends values as lines; `flush` makes them durable.
public final class FileStreamSinkTask: SinkTask {
    private var fd: Int32 = 1
    private var path: String?
    private var state: FlushedLength?
    private var buffer: [UInt8] = []
    private var dirty = false

    public required init() {}
    public var version: String { ConnectKitVersion.current }

    public func start(_ config: [String: String]) async throws {
        guard let f = config["file"], !f.isEmpty else { return }
        path = f
        fd = posixOpen(f, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 { throw DataError("Couldn't find or create file '\(f)' for FileStreamSinkTask: \(String(cString: strerror(errno)))") }
        let state = try FlushedLength(output: f, fd: fd)
        self.state = state
        try state.cutUnflushedTail()
    }

    /// Writes the batch's lines at once (Kafka's task prints them on `put`).
    public func put(_ records: [SinkRecord]) async throws {
        guard !records.isEmpty else { return }
        // The first write after a flush: note (durably) that the tail past the flushed length is ours.
        if !dirty, let state { try state.record(writing: true) }
        buffer.removeAll(keepingCapacity: true)
        for r in records {
            buffer.append(contentsOf: r.value.description.utf8)
            buffer.append(0x0A)
        }
        var written = 0
        while written < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + written, buffer.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RetriableError("Couldn't write to \(path ?? "stdout"): \(String(cString: strerror(errno)))")
            }
            written += n
        }
        dirty = dirty || !records.isEmpty
    }

    /// Makes what was written durable, then records how far the file is flushed.
    public func flush(_ offsets: [TopicPartition: OffsetAndMetadata]) async throws {
        guard let state, dirty else { return }
        if fsync(fd) != 0 { throw RetriableError("Couldn't flush \(state.output): \(String(cString: strerror(errno)))") }
        try state.record(writing: false)
        dirty = false
    }

    public func stop() async throws {
        if path != nil, fd >= 0 { posixClose(fd) }
        fd = -1
    }
}

/// How far a FileStreamSink flushed its output, kept in `.<name>.connect-flushed` beside it: one
/// fixed-width line `<length> <device> <inode> <crc32> <writing>` — the CRC-32 of the (up to) 4 KiB
/// before that length, so that a replaced file is recognized even when it got the same inode, and
/// `1` while the sink writes past that length (set before its first write after a flush), `0` once
/// flushed — rewritten in place and `fdatasync`ed each time. Only a `1` line lets the next start cut
/// (a crash between writing and flushing); a line that does not parse (torn by a crash) means
/// "unknown": nothing is cut then. A line of four fields (an older sink's) counts as writing.
final class FlushedLength {
    let output: String
    let statePath: String
    private let fd: Int32
    private let stateFD: Int32

    init(output: String, fd: Int32) throws {
        self.output = output
        self.fd = fd
        let slash = output.lastIndex(of: "/")
        let dir = slash.map { String(output[...$0]) } ?? ""
        let name = slash.map { String(output[output.index(after: $0)...]) } ?? output
        statePath = dir + "." + name + ".connect-flushed"
        stateFD = posixOpen(statePath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if stateFD < 0 { throw DataError("Couldn't open '\(statePath)' for FileStreamSinkTask: \(String(cString: strerror(errno)))") }
    }

    deinit { posixClose(stateFD) }

    private func identity() -> (size: Int64, device: UInt64, inode: UInt64)? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return (Int64(st.st_size), UInt64(st.st_dev), UInt64(st.st_ino))
    }

    /// Cuts what this sink wrote to this very file after its last recorded flush.
    func cutUnflushedTail() throws {
        var line = [UInt8](repeating: 0, count: 64)
        let n = line.withUnsafeMutableBytes { pread(stateFD, $0.baseAddress!, 64, 0) }
        guard n > 0, let text = String(validating: line[..<n], as: UTF8.self) else { return }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt64($0) }
        guard parts.count == 4 || (parts.count == 5 && parts[4] == 1), let id = identity(), parts[1] == id.device, parts[2] == id.inode,
            Int64(parts[0]) < id.size, let crc = tailChecksum(below: Int64(parts[0])), UInt64(crc) == parts[3]
        else { return }
        if ftruncate(fd, off_t(parts[0])) != 0 {
            throw DataError("Couldn't cut the lines written to '\(output)' after its last flush: \(String(cString: strerror(errno)))")
        }
    }

    /// The CRC-32 of the (up to) 4 KiB of the output before `length`.
    private func tailChecksum(below length: Int64) -> UInt32? {
        let count = Int(min(length, 4096))
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, count, off_t(length) - off_t(count)) }
        return n == count ? LocalTopicLogs.crc32(bytes[...]) : nil
    }

    /// Records the file's current length as flushed, and whether the sink is about to write past it.
    func record(writing: Bool) throws {
        guard let id = identity(), let crc = tailChecksum(below: id.size) else {
            throw RetriableError("Couldn't read back \(output): \(String(cString: strerror(errno)))")
        }
        var text = "\(id.size) \(id.device) \(id.inode) \(crc) \(writing ? 1 : 0)"
        text += String(repeating: " ", count: max(0, 63 - text.utf8.count)) + "\n"
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { pwrite(stateFD, $0.baseAddress!, $0.count, 0) }
        if n != bytes.count || fdatasync(stateFD) != 0 {
            throw RetriableError("Couldn't record the flushed length of \(output) in \(statePath): \(String(cString: strerror(errno)))")
        }
    }
}

/// `open(2)`, under a name that sink tasks' `open(_:)` does not shadow.
func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 { open(path, flags, mode) }

/// `poll(2)` on one descriptor, under a name that source tasks' `poll()` does not shadow.
func posixPoll(_ p: inout pollfd, _ timeoutMs: Int32) -> Int32 { poll(&p, 1, timeoutMs) }

/// `close(2)`, under a name that sink tasks' `close(_:)` does not shadow.
func posixClose(_ fd: Int32) { _ = close(fd) }

/// The FileStream connectors, under Kafka's class names (`connect/file`).
public enum FileStreamPlugins: PluginProvider {
    public static func register(in r: inout PluginRegistry) {
        r.register(
            .source(FileStreamSourceConnector.self), name: "FileStreamSource",
            aliases: ["FileStreamSourceConnector", "org.apache.kafka.connect.file.FileStreamSourceConnector"])
        r.register(
            .sink(FileStreamSinkConnector.self), name: "FileStreamSink",
            aliases: ["FileStreamSinkConnector", "org.apache.kafka.connect.file.FileStreamSinkConnector"])
    }
}
