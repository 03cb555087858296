import CSQLite
public import ConnectKit
import Synchronization

/// Offsets in a SQLite database (`offset.storage.sqlite.filename`): one row per connector and
/// source partition, partition and offset stored as Kafka's offset-topic JSON. Each commit is one
/// transaction in WAL mode with `synchronous=FULL`, so it is durable when `commit` returns and a
/// crash leaves either the old or the new offsets.
///
/// The connection is used by one caller at a time (a lock around it); callers are task threads,
/// which may block.
public final class SQLiteOffsetStore: OffsetStore {
    public let path: String
    private let db: Mutex<OpaquePointer?>
    private let json = JSONConverter(schemasEnabled: false)

    public init(path: String) throws {
        self.path = path
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw OffsetStoreError(path: path, message: "cannot open database: \(message)")
        }
        db = Mutex(handle)
        try execute("""
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            CREATE TABLE IF NOT EXISTS connect_offsets (
                connector TEXT NOT NULL,
                partition TEXT NOT NULL,
                offset TEXT NOT NULL,
                PRIMARY KEY (connector, partition)
            );
            """)
    }

    deinit {
        db.withLock { _ = sqlite3_close($0) }
    }

    private func error(_ handle: OpaquePointer?, _ what: String) -> OffsetStoreError {
        OffsetStoreError(path: path, message: "\(what): \(handle.map { String(cString: sqlite3_errmsg($0)) } ?? "no connection")")
    }

    private func execute(_ sql: String) throws {
        try db.withLock { handle throws(OffsetStoreError) in
            var message: UnsafeMutablePointer<CChar>?
            if sqlite3_exec(handle, sql, nil, nil, &message) != SQLITE_OK {
                let text = message.map { String(cString: $0) } ?? "unknown error"
                sqlite3_free(message)
                throw OffsetStoreError(path: path, message: text)
            }
        }
    }

    private func encode(_ d: [String: Value]) throws -> String {
        let bytes = try json.fromConnectData(topic: "offsets", schema: nil, value: FileOffsetStore.mapValue(d)) ?? []
        return String(decoding: bytes, as: UTF8.self)
    }

    private func decode(_ text: String) throws -> [String: Value] {
        guard case .map(let m) = try json.toConnectData(topic: "offsets", value: Array(text.utf8)).value else {
            throw OffsetStoreError(path: path, message: "corrupt offset row: \(text)")
        }
        return FileOffsetStore.stringKeyed(m)
    }

    public func offsets(connector: String) throws -> SourceOffsets {
        let rows = try db.withLock { handle throws -> [(String, String)] in
            var stmt: OpaquePointer?
            guard sqlite3_prepare_v2(handle, "SELECT partition, offset FROM connect_offsets WHERE connector = ?", -1, &stmt, nil) == SQLITE_OK else {
                throw error(handle, "cannot read offsets")
            }
            defer { sqlite3_finalize(stmt) }
            sqlite3_bind_text(stmt, 1, connector, -1, csqlite_transient())
            var out: [(String, String)] = []
            while true {
                let rc = sqlite3_step(stmt)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else { throw error(handle, "cannot read offsets") }
                out.append((String(cString: sqlite3_column_text(stmt, 0)), String(cString: sqlite3_column_text(stmt, 1))))
            }
            return out
        }
        var result: SourceOffsets = [:]
        for (p, o) in rows { result[try decode(p)] = try decode(o) }
        return result
    }

    public func commit(connector: String, offsets: [[String: Value]: [String: Value]?]) throws {
        let rows = try offsets.map { (try encode($0.key), try $0.value.map(encode)) }
        try db.withLock { handle throws in
            func run(_ sql: String) throws {
                if sqlite3_exec(handle, sql, nil, nil, nil) != SQLITE_OK { throw error(handle, "cannot commit offsets") }
            }
            try run("BEGIN IMMEDIATE")
            do {
                for (partition, offset) in rows {
                    var stmt: OpaquePointer?
                    let sql = offset == nil
                        ? "DELETE FROM connect_offsets WHERE connector = ?1 AND partition = ?2"
                        : "INSERT INTO connect_offsets (connector, partition, offset) VALUES (?1, ?2, ?3) ON CONFLICT (connector, partition) DO UPDATE SET offset = excluded.offset"
                    guard sqlite3_prepare_v2(handle, sql, -1, &stmt, nil) == SQLITE_OK else { throw error(handle, "cannot commit offsets") }
                    defer { sqlite3_finalize(stmt) }
                    sqlite3_bind_text(stmt, 1, connector, -1, csqlite_transient())
                    sqlite3_bind_text(stmt, 2, partition, -1, csqlite_transient())
                    if let offset { sqlite3_bind_text(stmt, 3, offset, -1, csqlite_transient()) }
                    guard sqlite3_step(stmt) == SQLITE_DONE else { throw error(handle, "cannot commit offsets") }
                }
                try run("COMMIT")
            } catch {
                sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
                throw error
            }
        }
    }
}
