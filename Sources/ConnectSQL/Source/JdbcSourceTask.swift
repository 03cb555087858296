#if canImport(Glibc)
import Glibc
#endif
public import ConnectKit
import ConnectRuntime

/// The task of ``JdbcSourceConnector``: polls its tables (or the query) in turn, each at most
/// every `poll.interval.ms`, reading an open result `batch.max.rows` rows per ``poll()``
/// (Confluent's `JdbcSourceTask`). All database work blocks this task's own thread; cancelling
/// the task interrupts a running statement.
public final class JdbcSourceTask: SourceTask {
    private var context: (any SourceTaskContext)?
    private var settings: JdbcSourceSettings?
    private var connection: (any SQLConnection)?
    private var queriers: [TableQuerier] = []
    private var current = 0

    public required init() {}
    public var version: String { ConnectKitVersion.current }
    public func initialize(context: any SourceTaskContext) { self.context = context }

    public func start(_ config: [String: String]) async throws {
        let s = try JdbcSourceSettings(config)
        settings = s
        let tables = try JdbcSourceTask.parseTables(config["tables"] ?? "", kind: s.connection.url.kind)
        if s.query == nil && tables.isEmpty {
            throw ConnectError("Task is being killed because it was not assigned a table nor a query to execute. If run in table mode please make sure that the tables exist on the database. If the table does exist on the database, we recommend using the fully qualified table name.")
        }
        let targets: [TableID?] = s.query != nil ? [nil] : tables
        let reader = context?.offsetStorageReader
        for table in targets {
            var offset = TableQuerier.Offset()
            let probe = TableQuerier(settings: s, table: table, offset: offset)
            if s.mode != .bulk, let reader {
                // The current partition first, then Confluent's legacy one.
                var partitions = [probe.partition]
                if let legacy = probe.legacyPartition { partitions.append(legacy) }
                let stored = try await reader.offsets(for: partitions)
                if let found = partitions.lazy.compactMap({ stored[$0] }).first {
                    offset = TableQuerier.Offset(found)
                } else if let initial = s.timestampInitial {
                    offset = TableQuerier.Offset(timestampNanos: initial == -1 ? nil : initial * 1_000_000)
                    if initial == -1 { offset.timestampNanos = try await currentTime(s) }
                }
            }
            queriers.append(TableQuerier(settings: s, table: table, offset: offset))
        }
    }

    private func currentTime(_ s: JdbcSourceSettings) async throws -> Int64 {
        let c = try await connect(s)
        return try c.currentTimeNanos()
    }

    private func connect(_ s: JdbcSourceSettings) async throws -> any SQLConnection {
        if let connection { return connection }
        let c = try await JDBCConnectionConfig.connect(s.connection)
        connection = c
        return c
    }

    /// Monotonic milliseconds.
    private static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    public func poll() async throws -> [SourceRecord] {
        guard let s = settings, !queriers.isEmpty else { return [] }
        // The querier that can run soonest (an open result first).
        let q: TableQuerier
        if queriers[current].isReading {
            q = queriers[current]
        } else {
            let next = queriers.indices.min { queriers[$0].nextPollAt < queriers[$1].nextPollAt }!
            current = next
            q = queriers[next]
            let wait = q.nextPollAt - JdbcSourceTask.now()
            if wait > 0 {
                // Return within about a second so the runtime can commit and stop.
                try await Task.sleep(for: .milliseconds(min(wait, 1000)))
                if wait > 1000 { return [] }
            }
        }
        let connection = try await connect(s)
        do {
            let (records, finished) = try await interruptible(connection) { () throws -> ([SourceRecord], Bool) in
                if !q.isReading { try q.start(connection) }
                return try q.read(max: s.batchMaxRows)
            }
            if finished {
                q.nextPollAt = JdbcSourceTask.now() + s.pollIntervalMillis
            }
            context?.reportWaiting(nil)
            return records
        } catch let e as SQLError {
            q.close()
            if Task.isCancelled || e.kind == .interrupted { return [] }
            if e.isRetriable {
                // Reconnect on the next poll (Confluent's CachedConnectionProvider).
                connection.close()
                self.connection = nil
                context?.reportWaiting("Cannot reach \(e.location): \(e.message)")
                throw RetriableError("Failed to run query for table \(q.table?.description ?? "query")", underlying: e)
            }
            throw ConnectError("Failed to run query for table \(q.table?.description ?? "query"): \(e)")
        } catch {
            // A row that does not convert: the next poll starts over after the last row returned.
            q.close()
            throw error
        }
    }

    public func stop() async throws {
        for q in queriers { q.close() }
        queriers = []
        connection?.close()
        connection = nil
    }

    /// Splits the `tables` task key: comma-separated identifiers, each dotted parts, quoted with
    /// the dialect's quote (the doubled quote inside a quoted part is one quote character).
    static func parseTables(_ text: String, kind: JDBCURL.Kind) throws -> [TableID] {
        let quote: Character = kind == .mysql ? "`" : "\""
        var tables: [[String]] = []
        var parts: [String] = []
        var part = ""
        var quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == quote {
                    if chars.first == quote {
                        part.append(quote)
                        chars = chars.dropFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    part.append(c)
                }
            } else if c == quote {
                quoted = true
            } else if c == "." {
                parts.append(part)
                part = ""
            } else if c == "," {
                parts.append(part)
                tables.append(parts)
                parts = []
                part = ""
            } else if c != " " {
                part.append(c)
            }
        }
        if quoted { throw ConfigError(key: "tables", message: "Unterminated quoted identifier in '\(text)'") }
        if !part.isEmpty || !parts.isEmpty {
            parts.append(part)
            tables.append(parts)
        }
        return tables.map { p in
            switch p.count {
            case 1: TableID(name: p[0])
            case 2: kind == .mysql ? TableID(catalog: p[0], name: p[1]) : TableID(schema: p[0], name: p[1])
            default: TableID(catalog: p[p.count - 3], schema: p[p.count - 2], name: p[p.count - 1])
            }
        }
    }
}
