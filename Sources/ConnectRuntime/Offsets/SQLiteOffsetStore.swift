public import ConnectKit
import ConnectSQLiteDriver

/// Offsets in a SQLite database (`offset.storage.sqlite.filename`): one row per connector and
/// source partition, partition and offset stored as Kafka's offset-topic JSON. Each commit is one
/// transaction in WAL mode with `synchronous=FULL`, so it is durable when `commit` returns and a
/// crash leaves either the old or the new offsets.
///
/// Calls block (SQLite I/O); the runtime makes them from task threads and the herder's blocking
/// executor, never from Swift's cooperative pool.
public final class SQLiteOffsetStore: OffsetStore {
    /// The database file (`offset.storage.sqlite.filename`).
    public let path: String
    private let db: SQLiteConnection
    private let json = JSONConverter(schemasEnabled: false)

    /// Opens (or creates) the database and its `connect_offsets` table.
    /// - Throws: ``OffsetStoreError`` naming the file, with SQLite's error as the message.
    public init(path: String) throws {
        self.path = path
        do {
            db = try SQLiteConnection(path: path)
            try db.execute("""
                PRAGMA journal_mode=WAL;
                PRAGMA synchronous=FULL;
                CREATE TABLE IF NOT EXISTS connect_offsets (
                    connector TEXT NOT NULL,
                    partition TEXT NOT NULL,
                    offset TEXT NOT NULL,
                    PRIMARY KEY (connector, partition)
                );
                """)
        } catch {
            throw OffsetStoreError(path: path, message: "cannot open database: \(error.message) (\(error.codeName))")
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
        let rows: SQLiteRows
        do { rows = try db.query("SELECT partition, offset FROM connect_offsets WHERE connector = ?1", [.text(connector)]) } catch {
            throw OffsetStoreError(path: path, message: "cannot read offsets: \(error)")
        }
        var result: SourceOffsets = [:]
        for row in rows.rows {
            guard let p = row[0].text, let o = row[1].text else { throw OffsetStoreError(path: path, message: "corrupt offset row: \(row)") }
            result[try decode(p)] = try decode(o)
        }
        return result
    }

    public func commit(connector: String, offsets: [[String: Value]: [String: Value]?]) throws {
        let rows = try offsets.map { (try encode($0.key), try $0.value.map(encode)) }
        do {
            try db.transaction { s in
                for (partition, offset) in rows {
                    if let offset {
                        try s.run(
                            "INSERT INTO connect_offsets (connector, partition, offset) VALUES (?1, ?2, ?3) ON CONFLICT (connector, partition) DO UPDATE SET offset = excluded.offset",
                            [.text(connector), .text(partition), .text(offset)])
                    } else {
                        try s.run("DELETE FROM connect_offsets WHERE connector = ?1 AND partition = ?2", [.text(connector), .text(partition)])
                    }
                }
            }
        } catch {
            throw OffsetStoreError(path: path, message: "cannot commit offsets: \(error)")
        }
    }
}
