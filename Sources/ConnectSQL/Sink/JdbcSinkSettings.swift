import ConnectKit

/// The sink's keys (Confluent's `JdbcSinkConfig`) parsed once.
struct JdbcSinkSettings: Sendable {
    enum InsertMode: String, Sendable { case insert, upsert, update }
    enum PrimaryKeyMode: String, Sendable {
        case none, kafka
        case recordKey = "record_key"
        case recordValue = "record_value"
    }

    var connection: JDBCConnectionConfig.Settings
    var insertMode: InsertMode
    var pkMode: PrimaryKeyMode
    var pkFields: [String]
    var fieldsWhitelist: Set<String>
    var tableNameFormat: String
    var autoCreate: Bool
    var autoEvolve: Bool
    var deleteEnabled: Bool
    var batchSize: Int
    var maxRetries: Int
    var retryBackoffMillis: Int64
    var connectorName: String

    static let configDef: ConfigDef = JDBCConnectionConfig.define(ConfigDef())
        .define("insert.mode", .string, default: "insert", importance: .high, documentation: "The insertion mode to use: insert (standard INSERT), upsert (the database's upsert: ON CONFLICT, ON DUPLICATE KEY UPDATE, INSERT OR REPLACE) or update (UPDATE … WHERE key).", validator: .caseInsensitiveValidString(["insert", "upsert", "update"]), group: "Writes")
        .define("batch.size", .int, default: 3000, importance: .medium, documentation: "Specifies how many records to attempt to batch together for insertion into the destination table, when possible.", validator: .atLeast(0), group: "Writes")
        .define("delete.enabled", .boolean, default: false, importance: .medium, documentation: "Whether to treat null record values as deletes. Requires pk.mode to be record_key.", group: "Writes")
        .define("table.name.format", .string, default: "${topic}", importance: .medium, documentation: "A format string for the destination table name, which may contain '${topic}' as a placeholder for the originating topic name.", validator: .nonEmptyString, group: "Data Mapping")
        .define("pk.mode", .string, default: "none", importance: .high, documentation: "The primary key mode: none, kafka (__connect_topic, __connect_partition, __connect_offset), record_key, record_value.", validator: .caseInsensitiveValidString(["none", "kafka", "record_key", "record_value"]), group: "Data Mapping")
        .define("pk.fields", .list, default: "", importance: .medium, documentation: "List of comma-separated primary key field names; their meaning depends on pk.mode.", group: "Data Mapping")
        .define("fields.whitelist", .list, default: "", importance: .medium, documentation: "List of comma-separated record value field names. If empty, all fields from the record value are utilized.", group: "Data Mapping")
        .define("fields.include.list", .list, default: "", importance: .medium, documentation: "Same as fields.whitelist (its newer name).", group: "Data Mapping")
        .define("auto.create", .boolean, default: false, importance: .medium, documentation: "Whether to automatically create the destination table based on record schema if it is found to be missing by issuing CREATE.", group: "DDL Support")
        .define("auto.evolve", .boolean, default: false, importance: .medium, documentation: "Whether to automatically add columns in the table schema when found to be missing relative to the record schema by issuing ALTER.", group: "DDL Support")
        .define("max.retries", .int, default: 10, importance: .medium, documentation: "The maximum number of times to retry on errors before failing the task.", validator: .atLeast(0), group: "Retries")
        .define("retry.backoff.ms", .int, default: 3000, importance: .medium, documentation: "The time in milliseconds to wait following an error before a retry attempt is made.", validator: .atLeast(0), group: "Retries")
        .define("table.types", .list, default: "TABLE", importance: .low, documentation: "The types of database tables the sink writes to: TABLE, VIEW.", group: "DDL Support")

    init(_ config: [String: String]) throws {
        let c = try JdbcSinkSettings.configDef.parse(config)
        let problems = JdbcSinkSettings.crossChecks(c)
        if !problems.isEmpty { throw ConfigError(problems, context: "JdbcSinkConnector") }
        connection = try JDBCConnectionConfig.Settings(c)
        insertMode = InsertMode(rawValue: (c.string("insert.mode") ?? "insert").lowercased()) ?? .insert
        pkMode = PrimaryKeyMode(rawValue: (c.string("pk.mode") ?? "none").lowercased()) ?? .none
        pkFields = (c.list("pk.fields") ?? []).filter { !$0.isEmpty }
        fieldsWhitelist = Set(((c.list("fields.whitelist") ?? []) + (c.list("fields.include.list") ?? [])).filter { !$0.isEmpty })
        tableNameFormat = c.string("table.name.format") ?? "${topic}"
        autoCreate = c.bool("auto.create") ?? false
        autoEvolve = c.bool("auto.evolve") ?? false
        deleteEnabled = c.bool("delete.enabled") ?? false
        let size = Int(c.int("batch.size") ?? 3000)
        batchSize = size == 0 ? 3000 : size
        maxRetries = Int(c.int("max.retries") ?? 10)
        retryBackoffMillis = Int64(c.int("retry.backoff.ms") ?? 3000)
        connectorName = config["name"] ?? "jdbc-sink"
    }

    static func crossChecks(_ c: ParsedConfig) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        if c.bool("delete.enabled") == true && (c.string("pk.mode") ?? "none").lowercased() != "record_key" {
            problems.append(ConfigProblem(key: "delete.enabled", message: "Primary key mode must be 'record_key' when delete support is enabled"))
        }
        if (c.string("insert.mode") ?? "insert").lowercased() != "insert" && (c.string("pk.mode") ?? "none").lowercased() == "none" {
            problems.append(ConfigProblem(key: "pk.mode", message: "insert.mode=\(c.string("insert.mode") ?? "") needs the primary key: set pk.mode to kafka, record_key or record_value"))
        }
        problems += JDBCConnectionConfig.problems(c)
        return problems
    }
}
