import ConnectKit
import ConnectFile
import ConnectPlugins
import Logging
import Testing

@testable import ConnectRuntime

/// A sink with a password key, validated as non-empty.
final class SecretSink: SinkConnector {
    required init() {}
    var version: String { "test" }
    var configDef: ConfigDef {
        ConfigDef().define("connection.password", .password, importance: .high, documentation: "", validator: .nonEmptyString)
    }
    var taskType: any SinkTask.Type { SecretSinkTask.self }
    func start(_ config: [String: String]) async throws { _ = try configDef.parse(config) }
    func taskConfigs(maxTasks: Int) async throws -> [[String: String]] { [[:]] }
    func stop() async throws {}
}

final class SecretSinkTask: SinkTask {
    required init() {}
    var version: String { "test" }
    func start(_ config: [String: String]) async throws {}
    func put(_ records: [SinkRecord]) async throws {}
    func stop() async throws {}
}

@Suite("Secrets never print")
struct SecretsTests {
    static let secret = "s3cr3t-Value-42"

    /// Validators see a password's real value (a non-empty check accepts a non-empty secret) and
    /// their messages never show it.
    @Test func validatorsSeeTheRealValue() throws {
        let def = ConfigDef().define("p", .password, importance: .high, documentation: "", validator: .nonEmptyString)
            .define("mode", .password, importance: .high, documentation: "", validator: .validString(["a", "b"]))
        let parsed = try def.parse(["p": Self.secret, "mode": "a"])
        #expect(parsed.password("p")?.value == Self.secret)
        let e = #expect(throws: ConfigError.self) { try def.parse(["p": "", "mode": Self.secret]) }
        #expect(e?.keys.sorted() == ["mode", "p"])
        #expect(e?.description.contains(Self.secret) == false)
        #expect(e?.problems.first { $0.key == "mode" }?.message == "Invalid value [hidden] for configuration mode: String must be one of: a, b")
    }

    /// print, String(reflecting:), dump and mirrors of a parsed configuration, a worker
    /// configuration and a worker mask every secret.
    @Test func everyReflectionPathMasks() throws {
        let def = ConfigDef().define("connection.password", .password, importance: .high, documentation: "")
        let parsed = try def.parse(["connection.password": Self.secret, "aws.secret.access.key": Self.secret, "sasl.jaas.config": Self.secret, "plain": "visible"])
        var registry = PluginRegistry.standard
        registry.register(.sink(SecretSink.self), name: "Secret")
        let workerConfig = try WorkerConfig(["sasl.jaas.config": "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"\(Self.secret)\";",
                                             "ssl.keystore.password": Self.secret])
        let worker = try Worker(config: workerConfig, registry: registry, logger: quiet)
        try worker.add(["name": "s", "connector.class": "Secret", "topics": "t", "connection.password": Self.secret])
        var texts: [String] = [
            "\(parsed)", String(describing: parsed), String(reflecting: parsed), parsed.debugDescription,
            String(describing: parsed.values), String(reflecting: parsed.values["connection.password"]!),
            String(reflecting: workerConfig), String(describing: workerConfig), String(reflecting: worker),
        ]
        for value in [parsed as Any, workerConfig, worker, parsed.values, worker.config] {
            var out = ""
            dump(value, to: &out)
            texts.append(out)
        }
        #expect(texts[0].contains("plain = visible"))
        for (i, t) in texts.enumerated() { #expect(!t.contains(Self.secret), "form \(i) shows the secret: \(t)") }
    }

    /// Logs at trace level (the connector's configuration is logged when it is added) never show a
    /// secret, nor do status and errors.
    @Test func logsAtTraceLevelMask() throws {
        let log = LogBox()
        var registry = PluginRegistry.standard
        registry.register(.sink(SecretSink.self), name: "Secret")
        let worker = try Worker(config: try WorkerConfig(["ssl.key.password": Self.secret]), registry: registry, logger: log.logger(.trace))
        try worker.add(["name": "s", "connector.class": "Secret", "topics": "t", "connection.password": Self.secret, "my.api.token": Self.secret])
        let e = #expect(throws: ConfigError.self) {
            try worker.add(["name": "s2", "connector.class": "Secret", "topics": "t", "connection.password": ""])
        }
        #expect(log.all.contains { $0.contains("connection.password = [hidden]") })
        for line in log.all + [e?.description ?? "", worker.status("s")?.json.description ?? ""] {
            #expect(!line.contains(Self.secret), "\(line)")
        }
    }
}
