#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ConnectZlib
import Synchronization

/// Durable, append-only topic logs in a local directory: where records that must outlive the
/// process go when no Kafka is configured — the dead-letter queues of sink connectors.
///
/// One file per topic, `<directory>/<topic>.log`, one partition (0), offsets from 0. A record is
/// on disk (in the kernel's page cache, so it survives `kill -9`) when ``append(_:topic:)``
/// returns; ``sync()`` makes everything appended so far survive a power loss too, and the worker
/// calls it before it commits offsets past the records that failed. A record torn by a crash in
/// the middle of a write is detected by its CRC-32 and cut off when the log is opened again.
///
/// File layout: the 8-byte magic `CKTLOG01`, then frames of `u32 length`, `u32 crc32(body)`, body
/// (all integers big-endian): `i64 offset`, `i64 timestamp` (-1: none), key and value as
/// `i32 length` (-1: null) + bytes, `i32 header count`, each header as key (`i32` + UTF-8) and
/// value (`i32`, -1: null, + bytes). `connect topics` lists and prints these logs.
public final class LocalTopicLogs: Sendable {
    /// The directory that holds the logs.
    public let directory: String

    private struct Writer {
        var fd: Int32
        var next: Int64
        var dirty = false
    }

    private let writers = Mutex<[String: Writer]>([:])

    static let magic: [UInt8] = Array("CKTLOG01".utf8)

    /// Opens (and creates, with its parents) the directory.
    /// - Throws: ``LocalTopicLogError`` naming the directory when it cannot be created.
    public init(directory: String) throws(LocalTopicLogError) {
        self.directory = directory
        try Self.makeDirectories(directory)
    }

    deinit {
        writers.withLock { w in for (_, log) in w { _ = close(log.fd) } }
    }

    /// The file of a topic's log.
    public func path(of topic: String) -> String { directory + "/" + topic + ".log" }

    /// Checks a topic name as Kafka does (`Topic.validate`): 1 to 249 of ASCII letters, digits, `.`, `_`, `-`.
    /// Returns Kafka's message for an illegal name, nil for a legal one.
    public static func invalidTopicMessage(_ topic: String) -> String? {
        if topic.isEmpty { return "Topic name is illegal, it can't be empty" }
        if topic == "." || topic == ".." { return "Topic name cannot be \".\" or \"..\"" }
        if topic.utf8.count > 249 {
            return "Topic name is illegal, it can't be longer than 249 characters, topic name: \(topic)"
        }
        let legal = topic.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x5F || c == 0x2D
        }
        return legal ? nil : "Topic name \"\(topic)\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
    }

    /// Appends a record to a topic's log (created on first use); returns its offset. The bytes are
    /// written with one `write(2)` before this returns.
    /// - Throws: ``LocalTopicLogError`` naming the file when it cannot be opened or written.
    @discardableResult
    public func append(_ record: TopicRecord, topic: String) throws(LocalTopicLogError) -> Int64 {
        if let message = Self.invalidTopicMessage(topic) { throw LocalTopicLogError(path: path(of: topic), message: message) }
        return try writers.withLock { (w: inout [String: Writer]) throws(LocalTopicLogError) -> Int64 in
            if w[topic] == nil { w[topic] = try openForAppend(topic) }
            let offset = w[topic]!.next
            let frame = Self.frame(record, offset: offset)
            try Self.writeAll(w[topic]!.fd, frame, path: path(of: topic))
            w[topic]!.next += 1
            w[topic]!.dirty = true
            return offset
        }
    }

    /// Makes every record appended so far durable (`fdatasync`).
    /// - Throws: ``LocalTopicLogError`` naming the file that could not be synced.
    public func sync() throws(LocalTopicLogError) {
        try writers.withLock { (w: inout [String: Writer]) throws(LocalTopicLogError) in
            for (topic, log) in w where log.dirty {
                if fdatasync(log.fd) != 0 { throw LocalTopicLogError(path: path(of: topic), message: "cannot sync: \(errnoText())") }
                w[topic]!.dirty = false
            }
        }
    }

    /// The topics that have a log in the directory, sorted.
    public func topics() throws(LocalTopicLogError) -> [String] {
        guard let dir = opendir(directory) else { throw LocalTopicLogError(path: directory, message: "cannot list: \(errnoText())") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".log"), !name.hasPrefix(".") { names.append(String(name.dropLast(4))) }
        }
        return names.sorted()
    }

    /// The records of a topic's log from `offset` on (at most `max`); empty when the topic has no log.
    /// A torn record at the end (a crash during a write) is left out.
    /// - Throws: ``LocalTopicLogError`` naming the file when it cannot be read or is not a topic log.
    public func records(topic: String, from offset: Int64 = 0, max: Int = .max) throws(LocalTopicLogError) -> [ConsumedRecord] {
        var out: [ConsumedRecord] = []
        _ = try scan(topic) { frameOffset, record in
            if frameOffset >= offset, out.count < max { out.append(ConsumedRecord(topic: topic, partition: 0, offset: frameOffset, record: record)) }
            return out.count < max
        }
        return out
    }

    // MARK: File work

    private func openForAppend(_ topic: String) throws(LocalTopicLogError) -> Writer {
        let p = path(of: topic)
        let fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw LocalTopicLogError(path: p, message: "cannot open: \(errnoText())") }
        do throws(LocalTopicLogError) {
            // One writer per log: a second worker on the same directory would interleave frames.
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                throw LocalTopicLogError(path: p, message: "another process writes this log (\(errnoText())); give each worker its own local.topics.dir")
            }
            let (next, validEnd) = try scan(topic)
            if validEnd == 0 {
                if ftruncate(fd, 0) != 0 { throw LocalTopicLogError(path: p, message: "cannot initialize: \(errnoText())") }
                try Self.writeAll(fd, Self.magic, path: p)
            } else if ftruncate(fd, off_t(validEnd)) != 0 {
                throw LocalTopicLogError(path: p, message: "cannot cut off a torn record: \(errnoText())")
            }
            if lseek(fd, 0, SEEK_END) < 0 { throw LocalTopicLogError(path: p, message: "cannot seek: \(errnoText())") }
            return Writer(fd: fd, next: next)
        } catch {
            _ = close(fd)
            throw error
        }
    }

    /// Reads a topic's log frame by frame; `body` returns false to stop. Returns the next offset and
    /// the byte length of the valid prefix (0 when the file is missing or empty).
    @discardableResult
    private func scan(_ topic: String, _ body: (Int64, TopicRecord) -> Bool = { _, _ in true }) throws(LocalTopicLogError) -> (next: Int64, validEnd: Int) {
        let p = path(of: topic)
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return (0, 0) }
            throw LocalTopicLogError(path: p, message: "cannot open: \(errnoText())")
        }
        defer { _ = close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw LocalTopicLogError(path: p, message: "cannot read: \(errnoText())")
            }
            if n == 0 { break }
            data.append(contentsOf: chunk[..<n])
        }
        if data.isEmpty { return (0, 0) }
        guard data.starts(with: Self.magic) else {
            throw LocalTopicLogError(path: p, message: "not a ConnectKit topic log (it does not start with \(String(decoding: Self.magic, as: UTF8.self)))")
        }
        var pos = Self.magic.count
        var next: Int64 = 0
        while pos + 8 <= data.count {
            let length = Int(Self.u32(data, pos))
            let crc = Self.u32(data, pos + 4)
            guard pos + 8 + length <= data.count else { break }
            let bodyRange = (pos + 8)..<(pos + 8 + length)
            guard Self.crc32(data[bodyRange]) == crc, let (offset, record) = Self.decode(data[bodyRange]) else { break }
            next = offset + 1
            pos = bodyRange.upperBound
            if !body(offset, record) { return (next, pos) }
        }
        return (next, pos)
    }

    static func frame(_ r: TopicRecord, offset: Int64) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(64 + (r.key?.count ?? 0) + (r.value?.count ?? 0))
        func put<I: FixedWidthInteger>(_ v: I) { withUnsafeBytes(of: v.bigEndian) { body.append(contentsOf: $0) } }
        func bytes(_ b: [UInt8]?) {
            guard let b else { return put(Int32(-1)) }
            put(Int32(b.count))
            body.append(contentsOf: b)
        }
        put(offset)
        put(r.timestamp ?? -1)
        bytes(r.key)
        bytes(r.value)
        put(Int32(r.headers.count))
        for h in r.headers {
            bytes(Array(h.key.utf8))
            bytes(h.value)
        }
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 8)
        withUnsafeBytes(of: UInt32(body.count).bigEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: crc32(body[...]).bigEndian) { out.append(contentsOf: $0) }
        out += body
        return out
    }

    static func decode(_ body: ArraySlice<UInt8>) -> (Int64, TopicRecord)? {
        var pos = body.startIndex
        func int<I: FixedWidthInteger>(_: I.Type) -> I? {
            guard pos + MemoryLayout<I>.size <= body.endIndex else { return nil }
            var v: I = 0
            for i in 0..<MemoryLayout<I>.size { v = (v << 8) | I(truncatingIfNeeded: body[pos + i]) }
            pos += MemoryLayout<I>.size
            return v
        }
        func bytes() -> [UInt8]?? {
            guard let n = int(Int32.self) else { return nil }
            if n == -1 { return .some(nil) }
            guard n >= 0, pos + Int(n) <= body.endIndex else { return nil }
            defer { pos += Int(n) }
            return .some(Array(body[pos..<(pos + Int(n))]))
        }
        guard let offset = int(Int64.self), let timestamp = int(Int64.self), let key = bytes(), let value = bytes(),
            let count = int(Int32.self), count >= 0
        else { return nil }
        var headers: [TopicRecord.Header] = []
        for _ in 0..<count {
            guard let k = bytes(), let k, let v = bytes() else { return nil }
            headers.append(TopicRecord.Header(key: String(decoding: k, as: UTF8.self), value: v))
        }
        return (offset, TopicRecord(key: key, value: value, headers: headers, timestamp: timestamp < 0 ? nil : timestamp))
    }

    private static func u32(_ d: [UInt8], _ i: Int) -> UInt32 {
        UInt32(d[i]) << 24 | UInt32(d[i + 1]) << 16 | UInt32(d[i + 2]) << 8 | UInt32(d[i + 3])
    }

    /// CRC-32 (zlib's) of the bytes.
    package static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        Zlib.crc32(bytes)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(LocalTopicLogError) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw LocalTopicLogError(path: path, message: "cannot write: \(errnoText())")
            }
            written += n
        }
    }

    private static func makeDirectories(_ path: String) throws(LocalTopicLogError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw LocalTopicLogError(path: path, message: "cannot create the directory: \(errnoText())")
            }
        }
    }
}

/// A local topic log could not be opened, written, synced or read.
public struct LocalTopicLogError: Error, Sendable, CustomStringConvertible {
    /// The file or directory concerned.
    public var path: String
    /// What went wrong, naming the file.
    public var message: String
    public var description: String { "Topic log \(path): \(message)" }
}

func errnoText() -> String { String(cString: strerror(errno)) }
