#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import ConnectKit
import Synchronization

/// Source partition → source offset, as connectors see them.
public typealias SourceOffsets = [[String: Value]: [String: Value]]

/// Where source offsets are kept, keyed by connector name and source partition like Kafka's
/// offset storage. `commit` returns only once the offsets are durable (for the stores that are).
/// Stores are called from task threads and may block.
public protocol OffsetStore: Sendable {
    /// Every committed offset of a connector.
    func offsets(connector: String) throws -> SourceOffsets
    /// Commits offsets; a `nil` offset removes the partition (an offsets reset).
    func commit(connector: String, offsets: [[String: Value]: [String: Value]?]) throws
}

extension OffsetStore {
    /// The committed offset of one partition.
    public func offset(connector: String, partition: [String: Value]) throws -> [String: Value]? {
        try offsets(connector: connector)[partition]
    }
}

/// Offsets in memory (lost at exit): the default for tests and embedded pipelines that do not resume.
public final class MemoryOffsetStore: OffsetStore {
    private let data = Mutex<[String: SourceOffsets]>([:])

    /// An empty store.
    public init() {}

    public func offsets(connector: String) throws -> SourceOffsets { data.withLock { $0[connector] ?? [:] } }

    public func commit(connector: String, offsets: [[String: Value]: [String: Value]?]) throws {
        data.withLock { d in
            for (p, o) in offsets { d[connector, default: [:]][p] = o }
        }
    }
}

/// An error from the file offset store, naming the file.
public struct OffsetStoreError: Error, Sendable, CustomStringConvertible {
    /// The offsets file or database.
    public var path: String
    /// What went wrong.
    public var message: String
    public var description: String { "Offset store \(path): \(message)" }
}

/// Offsets in a file (`offset.storage.file.filename`), rewritten atomically on every commit:
/// written to a temporary file, `fsync`ed, renamed over the old file, and the directory `fsync`ed —
/// so a crash (even `kill -9` or power loss) leaves either the old or the new offsets, never a mix.
///
/// The file holds Kafka's offset-topic form as JSON: `[[["connector",{partition}],{offset}], …]`.
public final class FileOffsetStore: OffsetStore {
    /// The offsets file (`offset.storage.file.filename`).
    public let path: String
    private let data: Mutex<[String: SourceOffsets]>
    private let json = JSONConverter(schemasEnabled: false)
    /// Serializes commits so that a later snapshot is never overwritten by an earlier one.
    private let writeLock = Mutex(())

    /// Opens the offsets file (empty when it does not exist).
    /// - Throws: ``OffsetStoreError`` when it cannot be read or is corrupt.
    public init(path: String) throws {
        self.path = path
        data = Mutex([:])
        let loaded = try load()
        data.withLock { $0 = loaded }
    }

    private func load() throws -> [String: SourceOffsets] {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            if errno == ENOENT { return [:] }
            throw OffsetStoreError(path: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 { throw OffsetStoreError(path: path, message: "cannot read: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[..<n])
        }
        if bytes.isEmpty { return [:] }
        let parsed: Value
        do {
            parsed = try json.toConnectData(topic: "offsets", value: bytes).value
        } catch {
            throw OffsetStoreError(path: path, message: "corrupt offsets file: \(error)")
        }
        var out: [String: SourceOffsets] = [:]
        for entry in parsed.arrayValue ?? [] {
            guard let pair = entry.arrayValue, pair.count == 2, let key = pair[0].arrayValue, key.count == 2,
                let connector = key[0].stringValue, let partition = key[1].mapValue, let offset = pair[1].mapValue
            else { throw OffsetStoreError(path: path, message: "corrupt offsets file: unexpected entry \(entry)") }
            out[connector, default: [:]][Self.stringKeyed(partition)] = Self.stringKeyed(offset)
        }
        return out
    }

    static func stringKeyed(_ m: MapValue) -> [String: Value] {
        var d: [String: Value] = [:]
        for e in m { if let k = e.key.stringValue { d[k] = e.value } }
        return d
    }

    static func mapValue(_ d: [String: Value]) -> Value {
        .map(MapValue(entries: d.keys.sorted().map { MapEntry(key: .string($0), value: d[$0]!) }))
    }

    public func offsets(connector: String) throws -> SourceOffsets { data.withLock { $0[connector] ?? [:] } }

    public func commit(connector: String, offsets: [[String: Value]: [String: Value]?]) throws {
        try writeLock.withLock { _ throws in try commitLocked(connector: connector, offsets: offsets) }
    }

    private func commitLocked(connector: String, offsets: [[String: Value]: [String: Value]?]) throws {
        let snapshot = data.withLock { d -> [String: SourceOffsets] in
            for (p, o) in offsets { d[connector, default: [:]][p] = o }
            return d
        }
        var entries: [Value] = []
        for c in snapshot.keys.sorted() {
            for (p, o) in snapshot[c]! {
                entries.append(.array([.array([.string(c), Self.mapValue(p)]), Self.mapValue(o)]))
            }
        }
        let bytes = try json.fromConnectData(topic: "offsets", schema: nil, value: .array(entries)) ?? []
        try writeAtomically(bytes)
    }

    private func fail(_ what: String) -> OffsetStoreError {
        OffsetStoreError(path: path, message: "\(what): \(String(cString: strerror(errno)))")
    }

    private func writeAtomically(_ bytes: [UInt8]) throws {
        do { try DurableFile.replace(path, with: bytes) } catch { throw OffsetStoreError(path: path, message: error.description) }
    }
}
