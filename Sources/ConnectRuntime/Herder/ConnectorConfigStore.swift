#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ConnectKit
import Synchronization

/// One connector as the worker's config store keeps it: its configuration as given (config
/// provider references such as `${file:…}` unresolved) and its target state.
public struct StoredConnector: Sendable, Hashable {
    /// The connector's name.
    public var name: String
    /// The configuration as it was submitted (`name` included), references unresolved.
    public var config: [String: String]
    /// What the user last asked of it (running, paused or stopped).
    public var target: TargetState

    /// A stored connector.
    public init(name: String, config: [String: String], target: TargetState) {
        self.name = name
        self.config = config
        self.target = target
    }
}

/// Where a worker keeps the connectors it was given over its control API — Kafka's config storage
/// (`config.storage.topic` in distributed mode; Kafka's standalone mode keeps none and forgets
/// connectors created over REST at exit, ConnectKit's does not).
///
/// The herder writes through before it answers: a connector whose creation was acknowledged is in
/// the store. Stores are called off the cooperative pool and may block.
public protocol ConnectorConfigStore: Sendable {
    /// Every stored connector, in the order they were first created.
    func load() throws -> [StoredConnector]
    /// Stores a connector (replacing one of the same name in place, or appending a new one).
    func put(_ connector: StoredConnector) throws
    /// Forgets a connector; nothing happens when it is not stored.
    func remove(_ name: String) throws
}

/// Why a config store could not be read or written (the file named).
public struct ConnectorConfigStoreError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What went wrong.
    public var message: String
    public var description: String { "connector config store \(path): \(message)" }
}

/// Connectors in memory (lost at exit).
public final class MemoryConnectorConfigStore: ConnectorConfigStore {
    private let connectors = Mutex<[StoredConnector]>([])

    /// An empty store.
    public init() {}

    public func load() throws -> [StoredConnector] { connectors.withLock { $0 } }

    public func put(_ connector: StoredConnector) throws {
        connectors.withLock { list in
            if let i = list.firstIndex(where: { $0.name == connector.name }) { list[i] = connector } else { list.append(connector) }
        }
    }

    public func remove(_ name: String) throws { connectors.withLock { $0.removeAll { $0.name == name } } }
}

/// Connectors in a JSON file (`config.storage.file.filename`), replaced crash-safely on every
/// change (written to `<file>.tmp`, fsynced, renamed, the directory fsynced — as the offsets file):
/// a kill -9 at any instant leaves the old or the new contents, never a mix.
///
/// The file: `{"connectors":[{"name":"…","config":{…},"target_state":"STARTED"},…]}`, in creation
/// order; configuration keys sorted. The file is readable by its owner only: configurations hold
/// secrets as given (use config providers, `${file:…}`, to keep them out of it).
public final class FileConnectorConfigStore: ConnectorConfigStore {
    /// The file.
    public let path: String
    private let cache: Mutex<[StoredConnector]>

    /// Opens (reads) the store; a missing file is an empty store, created on the first change.
    /// - Throws: ``ConnectorConfigStoreError`` when the file cannot be read or is not a store.
    public init(path: String) throws(ConnectorConfigStoreError) {
        self.path = path
        cache = Mutex(try Self.read(path))
    }

    static func read(_ path: String) throws(ConnectorConfigStoreError) -> [StoredConnector] {
        let text: String
        do { text = try TextFile.read(path) } catch {
            if case .unreadable = error, access(path, F_OK) != 0 { return [] }
            throw ConnectorConfigStoreError(path: path, message: "cannot read: \(error)")
        }
        func bad(_ m: String) -> ConnectorConfigStoreError { ConnectorConfigStoreError(path: path, message: m) }
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch { throw bad("is not JSON: \(error)") }
        guard case .array(let items)? = json["connectors"] else { throw bad("has no \"connectors\" array") }
        var out: [StoredConnector] = []
        for (i, item) in items.enumerated() {
            guard let name = item["name"]?.stringValue, case .object(let members)? = item["config"],
                let state = item["target_state"]?.stringValue, let target = TargetState(rawValue: state)
            else { throw bad("connector \(i) needs \"name\", \"config\" and \"target_state\" (STARTED, PAUSED or STOPPED)") }
            var config: [String: String] = [:]
            for m in members {
                guard let v = m.value.stringValue else { throw bad("connector \(name): the value of \(m.key) is not a string") }
                config[m.key] = v
            }
            out.append(StoredConnector(name: name, config: config, target: target))
        }
        return out
    }

    public func load() throws -> [StoredConnector] { cache.withLock { $0 } }

    public func put(_ connector: StoredConnector) throws {
        try cache.withLock { list throws(ConnectorConfigStoreError) in
            var next = list
            if let i = next.firstIndex(where: { $0.name == connector.name }) { next[i] = connector } else { next.append(connector) }
            try write(next)
            list = next
        }
    }

    public func remove(_ name: String) throws {
        try cache.withLock { list throws(ConnectorConfigStoreError) in
            guard list.contains(where: { $0.name == name }) else { return }
            let next = list.filter { $0.name != name }
            try write(next)
            list = next
        }
    }

    private func write(_ connectors: [StoredConnector]) throws(ConnectorConfigStoreError) {
        let json = JSONValue.object([
            ("connectors", .array(connectors.map { c in
                .object([
                    ("name", .string(c.name)),
                    ("config", .object(c.config.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                    ("target_state", .string(c.target.rawValue)),
                ])
            })),
        ])
        // Owner-only: configurations hold secrets (as Kafka's config topic does).
        do { try DurableFile.replace(path, with: Array(json.description.utf8), createDirectories: true, mode: 0o600) } catch {
            throw ConnectorConfigStoreError(path: path, message: error.description)
        }
    }
}
