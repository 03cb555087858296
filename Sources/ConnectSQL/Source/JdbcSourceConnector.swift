public import ConnectKit
import ConnectRuntime

/// Confluent's `io.confluent.connect.jdbc.JdbcSourceConnector`: copies tables (or one query)
/// into topics, with the same keys, defaults, source partitions and offsets, so a Kafka Connect
/// user's config — and offsets copied from a Java worker — run here unchanged.
///
/// - Modes: `bulk` (whole table each poll), `incrementing` (`WHERE id > ? ORDER BY id`),
///   `timestamp` (`WHERE ts > ? AND ts < ? ORDER BY ts`), `timestamp+incrementing`.
/// - Topic `topic.prefix` + table name (query mode: `topic.prefix`); value schema named after the
///   table; no key.
/// - Partitions `{"protocol":"1","table":"db.orders"}` (`{"table":"orders"}` in bulk mode, and
///   read as a fallback), `{"query":"query"}`; offsets `incrementing`, `timestamp` (epoch ms),
///   `timestamp_nanos` (nanoseconds of the second).
/// - Tables are found in the catalog (`table.whitelist`/`table.blacklist`, `table.include.list`/
///   `table.exclude.list`, `table.types`, `schema.pattern`, `catalog.pattern`) and spread over at most
///   `tasks.max` tasks; a table added or dropped while running (checked every
///   `table.poll.interval.ms`) reconfigures the tasks.
public final class JdbcSourceConnector: SourceConnector {
    private var config: [String: String] = [:]
    private var settings: JdbcSourceSettings?
    private var tables: [TableID] = []
    private var context: (any ConnectorContext)?
    private var monitor: ThreadExecutor?
    private var monitorTask: Task<Void, any Error>?

    public required init() {}
    public var version: String { ConnectKitVersion.current }
    public var taskType: any SourceTask.Type { JdbcSourceTask.self }
    public var configDef: ConfigDef { JdbcSourceSettings.configDef }
    public func initialize(context: any ConnectorContext) { self.context = context }

    public func validate(_ config: [String: String]) -> ConfigValidation {
        JDBCConnectionConfig.validate(config, configDef, crossChecks: JdbcSourceSettings.crossChecks)
    }

    public func start(_ config: [String: String]) async throws {
        let s = try JdbcSourceSettings(config)
        self.config = config
        settings = s
        guard s.query == nil else { return }
        let connection = try await JDBCConnectionConfig.connect(s.connection)
        defer { connection.close() }
        tables = try s.selectTables(connection)
        if tables.isEmpty {
            context?.raiseError(ConnectError("No tables were found so there's no work to be done (table.whitelist / include list, table.types and schema.pattern matched nothing in \(s.connection.url.location))"))
        }
        let duplicates = Dictionary(grouping: tables, by: \.name).filter { $0.value.count > 1 }
        if let d = duplicates.first {
            throw ConnectError("The connector uses the unqualified table name as the topic name and has detected duplicate unqualified table names. This could lead to mixed data types in the topic and downstream processing errors. To prevent such processing errors, the JDBC Source connector fails to start when it detects duplicate table name configurations. Update the connector's 'table.whitelist' config to include exactly one table in each of the tables listed below. [\(d.value.map(\.description).joined(separator: ", "))]")
        }
        startMonitor(s)
    }

    /// Re-reads the catalog every `table.poll.interval.ms` on a thread of its own and asks for a
    /// task reconfiguration when the set of tables changed (Confluent's `TableMonitorThread`).
    private func startMonitor(_ s: JdbcSourceSettings) {
        let executor = ThreadExecutor(name: "jdbc-table-monitor")
        monitor = executor
        let known = tables
        let context = context
        monitorTask = executor.spawn {
            var current = known
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(s.tablePollIntervalMillis))
                guard let connection = try? JDBCConnectionConfig.open(s.connection) else { continue }
                let found = try? s.selectTables(connection)
                connection.close()
                if let found, found != current {
                    current = found
                    context?.requestTaskReconfiguration()
                }
            }
        }
    }

    public func taskConfigs(maxTasks: Int) async throws -> [[String: String]] {
        guard let s = settings else { return [] }
        if s.query != nil {
            var c = config
            c["tables"] = ""
            return [c]
        }
        // The monitor may have seen a change: read the catalog again.
        if monitorTask != nil, let connection = try? JDBCConnectionConfig.open(s.connection) {
            if let found = try? s.selectTables(connection) { tables = found }
            connection.close()
        }
        guard !tables.isEmpty else { return [] }
        let groups = JdbcSourceConnector.groupPartitions(tables, min(tables.count, max(1, maxTasks)))
        let dialect = Dialect(kind: s.connection.url.kind, quoteIdentifiers: true)
        return groups.map { group in
            var c = config
            c["tables"] = group.map { dialect.quote($0) }.joined(separator: ",")
            return c
        }
    }

    /// Kafka's `ConnectorUtils.groupPartitions`: contiguous chunks, the first `count % groups`
    /// one larger.
    static func groupPartitions<T>(_ elements: [T], _ groups: Int) -> [[T]] {
        let per = elements.count / groups
        let extra = elements.count % groups
        var out: [[T]] = []
        var start = 0
        for g in 0..<groups {
            let n = per + (g < extra ? 1 : 0)
            out.append(Array(elements[start..<start + n]))
            start += n
        }
        return out
    }

    public func stop() async throws {
        monitorTask?.cancel()
        _ = try? await monitorTask?.value
        monitor?.shutdown()
        monitorTask = nil
        monitor = nil
    }

    /// Accepts offsets shaped as Confluent's: `incrementing`, `timestamp`, `timestamp_nanos` longs.
    public func alterOffsets(_ config: [String: String], offsets: [[String: Value]: [String: Value]?]) async throws -> Bool {
        for (partition, offset) in offsets {
            guard partition["table"] != nil || partition["query"] != nil else {
                throw ConnectError("Partition objects should contain the key 'table' or 'query': \(partition)")
            }
            guard let offset else { continue }
            for (key, value) in offset {
                guard ["incrementing", "timestamp", "timestamp_nanos"].contains(key) else {
                    throw ConnectError("Unknown offset key '\(key)' (expected incrementing, timestamp, timestamp_nanos)")
                }
                guard value.int64Value != nil else { throw ConnectError("The value for the '\(key)' key in the offset is expected to be a Long value") }
            }
        }
        return true
    }
}
