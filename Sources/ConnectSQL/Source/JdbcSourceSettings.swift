import ConnectKit
import ConnectRuntime

/// The source's keys (Confluent's `JdbcSourceConnectorConfig`, defaults of 10.9) parsed once.
struct JdbcSourceSettings: Sendable {
    enum Mode: String, Sendable {
        case bulk, incrementing, timestamp
        case timestampIncrementing = "timestamp+incrementing"
    }

    var connection: JDBCConnectionConfig.Settings
    var mode: Mode
    var query: String?
    var querySuffix: String
    var topicPrefix: String
    var pollIntervalMillis: Int64
    var batchMaxRows: Int
    var tablePollIntervalMillis: Int64
    var incrementingColumn: String
    var timestampColumns: [String]
    var timestampInitial: Int64?
    var timestampDelayMillis: Int64
    var validateNonNull: Bool
    var numericMapping: NumericMapping
    var whitelist: [String]
    var blacklist: [String]
    var includeList: [String]
    var excludeList: [String]
    var tableTypes: Set<String>
    var schemaPattern: String?
    var catalogPattern: String?

    static let configDef: ConfigDef = JDBCConnectionConfig.define(ConfigDef())
        .define("mode", .string, default: "", importance: .high, documentation: "The mode for updating a table each time it is polled: bulk, incrementing, timestamp or timestamp+incrementing.", validator: .validString(["", "bulk", "incrementing", "timestamp", "timestamp+incrementing"]), group: "Mode")
        .define("incrementing.column.name", .string, default: "", importance: .medium, documentation: "The name of the strictly incrementing column to use to detect new rows. Empty: autodetect the table's auto-increment column.", group: "Mode")
        .define("timestamp.column.name", .list, default: "", importance: .medium, documentation: "Comma-separated timestamp columns used to detect new or modified rows (COALESCE of them: the first non-null).", group: "Mode")
        .define("timestamp.initial", .long, default: .null, importance: .low, documentation: "The epoch timestamp (ms) used for initial queries that use timestamp criteria; -1 for the database's current time; unset: all data.", group: "Mode")
        .define("validate.non.null", .boolean, default: true, importance: .low, documentation: "By default, the JDBC connector will validate that all incrementing and timestamp tables have NOT NULL set for the columns being used as their ID/timestamp.", group: "Mode")
        .define("query", .string, default: "", importance: .medium, documentation: "If specified, the query to perform to select new or updated rows (the mode's WHERE clause is appended).", group: "Mode")
        .define("query.suffix", .string, default: "", importance: .low, documentation: "Suffix to append at the end of the generated query.", group: "Mode")
        .define("table.whitelist", .list, default: "", importance: .medium, documentation: "List of tables to include in copying.", group: "Database")
        .define("table.blacklist", .list, default: "", importance: .medium, documentation: "List of tables to exclude from copying.", group: "Database")
        .define("table.include.list", .list, default: "", importance: .medium, documentation: "Regular expressions matching fully qualified table names to copy.", group: "Database")
        .define("table.exclude.list", .list, default: "", importance: .medium, documentation: "Regular expressions matching fully qualified table names not to copy (applies to the include list's matches).", group: "Database")
        .define("table.types", .list, default: "TABLE", importance: .low, documentation: "Table types to copy: TABLE, VIEW.", group: "Database")
        .define("schema.pattern", .string, default: .null, importance: .medium, documentation: "Schema pattern (SQL LIKE) to fetch table metadata from the database.", group: "Database")
        .define("catalog.pattern", .string, default: .null, importance: .medium, documentation: "Catalog pattern (SQL LIKE) to fetch table metadata from the database.", group: "Database")
        .define("numeric.mapping", .string, default: .null, importance: .low, documentation: "Map NUMERIC values by precision and optionally scale to integral or decimal types: none, precision_only, best_fit, best_fit_eager_double.", validator: .nullOr(.caseInsensitiveValidString(NumericMapping.allCases.map(\.rawValue))), group: "Database")
        .define("numeric.precision.mapping", .boolean, default: false, importance: .low, documentation: "Deprecated: true means numeric.mapping=precision_only.", group: "Database")
        .define("poll.interval.ms", .int, default: 5000, importance: .high, documentation: "Frequency in ms to poll for new data in each table.", validator: .atLeast(1), group: "Connector")
        .define("batch.max.rows", .int, default: 1000, importance: .low, documentation: "Maximum number of rows to include in a single batch when polling for new data.", validator: .atLeast(1), group: "Connector")
        .define("table.poll.interval.ms", .long, default: 60000, importance: .low, documentation: "Frequency in ms to poll for new or removed tables, which may result in updated task configurations.", validator: .atLeast(1), group: "Connector")
        .define("topic.prefix", .string, default: "", importance: .high, documentation: "Prefix to prepend to table names to generate the name of the topic (in query mode, the topic).", validator: ConfigValidator.custom("a valid topic prefix") { _, v in
            guard case .string(let p) = v else { return nil }
            if p.count > 249 { return "must be at most 249 characters" }
            return p.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }) ? nil : "may only contain ASCII alphanumerics, '.', '_' and '-'"
        }, group: "Connector")
        .define("timestamp.delay.interval.ms", .long, default: 0, importance: .high, documentation: "How long to wait after a row with a certain timestamp appears before including it: rows newer than the database's time minus this delay wait for the next poll.", validator: .atLeast(0), group: "Connector")
        .define("tables", .string, default: "", importance: .low, documentation: "Internal: the tables of one task, as the connector assigns them.", isInternal: true)

    init(_ config: [String: String]) throws {
        let c = try JdbcSourceSettings.configDef.parse(config)
        let problems = JdbcSourceSettings.crossChecks(c)
        if !problems.isEmpty { throw ConfigError(problems, context: "JdbcSourceConnector") }
        connection = try JDBCConnectionConfig.Settings(c)
        mode = Mode(rawValue: c.string("mode") ?? "") ?? .bulk
        let q = c.string("query") ?? ""
        query = q.isEmpty ? nil : q
        querySuffix = (c.string("query.suffix") ?? "").trimmingSpaces.description
        topicPrefix = (c.string("topic.prefix") ?? "").trimmingSpaces.description
        pollIntervalMillis = Int64(c.int("poll.interval.ms") ?? 5000)
        batchMaxRows = Int(c.int("batch.max.rows") ?? 1000)
        tablePollIntervalMillis = c.long("table.poll.interval.ms") ?? 60000
        incrementingColumn = c.string("incrementing.column.name") ?? ""
        timestampColumns = (c.list("timestamp.column.name") ?? []).filter { !$0.isEmpty }
        timestampInitial = c.long("timestamp.initial")
        timestampDelayMillis = c.long("timestamp.delay.interval.ms") ?? 0
        validateNonNull = c.bool("validate.non.null") ?? true
        if let m = c.string("numeric.mapping") {
            numericMapping = NumericMapping(rawValue: m.lowercased()) ?? .none
        } else {
            numericMapping = c.bool("numeric.precision.mapping") == true ? .precisionOnly : .none
        }
        whitelist = (c.list("table.whitelist") ?? []).filter { !$0.isEmpty }
        blacklist = (c.list("table.blacklist") ?? []).filter { !$0.isEmpty }
        includeList = (c.list("table.include.list") ?? []).filter { !$0.isEmpty }
        excludeList = (c.list("table.exclude.list") ?? []).filter { !$0.isEmpty }
        tableTypes = Set((c.list("table.types") ?? ["TABLE"]).map { $0.uppercased() })
        schemaPattern = c.string("schema.pattern")
        catalogPattern = c.string("catalog.pattern")
    }

    /// Checks between keys (Confluent's connector start and validation).
    static func crossChecks(_ c: ParsedConfig) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        let mode = c.string("mode") ?? ""
        let query = c.string("query") ?? ""
        let filters = ["table.whitelist", "table.blacklist", "table.include.list", "table.exclude.list"].filter { !(c.list($0) ?? []).filter { !$0.isEmpty }.isEmpty }
        if mode.isEmpty { problems.append(ConfigProblem(key: "mode", message: "Query mode must be specified")) }
        if !query.isEmpty, let f = filters.first {
            problems.append(ConfigProblem(key: f, message: "query may not be combined with whole-table copying settings."))
        }
        let hasLegacy = filters.contains("table.whitelist") || filters.contains("table.blacklist")
        let hasNew = filters.contains("table.include.list") || filters.contains("table.exclude.list")
        if hasLegacy && hasNew {
            problems.append(ConfigProblem(key: "table.include.list", message: "Cannot mix legacy and new configuration approaches. Use either table.whitelist/table.blacklist or table.include.list/table.exclude.list."))
        }
        if filters.contains("table.exclude.list") && !filters.contains("table.include.list") {
            problems.append(ConfigProblem(key: "table.exclude.list", message: "table.exclude.list cannot be used without table.include.list. Exclude list only applies to tables that match the include list."))
        }
        if filters.contains("table.whitelist") && filters.contains("table.blacklist") {
            problems.append(ConfigProblem(key: "table.blacklist", message: "table.whitelist and table.blacklist are exclusive."))
        }
        let timestamps = (c.list("timestamp.column.name") ?? []).filter { !$0.isEmpty }
        if (mode == "timestamp" || mode == "timestamp+incrementing") && timestamps.isEmpty {
            problems.append(ConfigProblem(key: "timestamp.column.name", message: "Timestamp column name must be provided when using mode '\(mode)'"))
        }
        if !query.isEmpty && (mode == "incrementing" || mode == "timestamp+incrementing") && (c.string("incrementing.column.name") ?? "").isEmpty {
            problems.append(ConfigProblem(key: "incrementing.column.name", message: "'incrementing.column.name' must be provided when using mode 'incrementing' or 'timestamp+incrementing' with a custom query"))
        }
        for key in ["table.include.list", "table.exclude.list"] {
            for pattern in c.list(key) ?? [] where !pattern.isEmpty && (try? Regex(pattern)) == nil {
                problems.append(ConfigProblem(key: key, message: "Invalid regular expression '\(pattern)'"))
            }
        }
        problems += JDBCConnectionConfig.problems(c)
        return problems
    }

    /// The tables to copy: the catalog's tables of `table.types`, filtered as Confluent's
    /// `TableMonitorThread` (whitelist entries match the qualified or bare name; include/exclude
    /// lists are regular expressions over the qualified name); SQLite's own tables left out.
    func selectTables(_ connection: any SQLConnection) throws -> [TableID] {
        let all = try connection.tables(types: tableTypes, catalogPattern: catalogPattern, schemaPattern: schemaPattern)
        let dialect = Dialect(kind: connection.dialect.kind, quoteIdentifiers: true)
        func listed(_ t: TableID, _ list: [String]) -> Bool {
            list.contains(t.description) || list.contains(t.name) || list.contains(dialect.quote(t))
        }
        if !whitelist.isEmpty { return all.filter { listed($0, whitelist) } }
        if !blacklist.isEmpty { return all.filter { !listed($0, blacklist) } }
        if !includeList.isEmpty {
            let include = includeList.compactMap { try? Regex($0) }
            let exclude = excludeList.compactMap { try? Regex($0) }
            return all.filter { t in
                let name = t.description
                return include.contains { name.wholeMatch(of: $0) != nil } && !exclude.contains { name.wholeMatch(of: $0) != nil }
            }
        }
        return all
    }
}
