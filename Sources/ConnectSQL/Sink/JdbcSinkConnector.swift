public import ConnectKit
import ConnectRuntime

/// Confluent's `io.confluent.connect.jdbc.JdbcSinkConnector`: writes records into tables named
/// by `table.name.format`, with `insert.mode` insert|upsert|update, `pk.mode`
/// none|kafka|record_key|record_value, `auto.create`/`auto.evolve`, `delete.enabled`.
///
/// Writes are batched (up to `batch.size` rows per multi-row statement, one transaction per
/// flush), values are always bound parameters and identifiers quoted (`quote.sql.identifiers`).
/// A record that violates a constraint or does not fit its column goes to `errors.tolerance`
/// (and the dead letter queue) with the database's own message, and the rest of its batch is
/// still written. Beyond Confluent: records without a value schema (maps) are accepted when the
/// table exists, its columns giving the types.
public final class JdbcSinkConnector: SinkConnector {
    private var config: [String: String] = [:]
    public required init() {}
    public var version: String { ConnectKitVersion.current }
    public var taskType: any SinkTask.Type { JdbcSinkTask.self }
    public var configDef: ConfigDef { JdbcSinkSettings.configDef }

    public func validate(_ config: [String: String]) -> ConfigValidation {
        JDBCConnectionConfig.validate(config, configDef, crossChecks: JdbcSinkSettings.crossChecks)
    }

    public func start(_ config: [String: String]) async throws {
        _ = try JdbcSinkSettings(config)
        self.config = config
    }

    public func taskConfigs(maxTasks: Int) async throws -> [[String: String]] {
        Array(repeating: config, count: max(1, maxTasks))
    }

    public func stop() async throws {}
}
