import Foundation
import Testing

@testable import ConnectKit

@Suite("ConfigDef, passwords, providers, files")
struct ConfigTests {
    let def = ConfigDef()
        .define("topic", .string, importance: .high, documentation: "Topic to write to.", validator: .nonEmptyString)
        .define("batch.size", .int, default: 2000, importance: .low, documentation: "Records per poll.", validator: .atLeast(1))
        .define("mode", .string, default: "bulk", importance: .medium, documentation: "Query mode.",
                validator: .validString(["bulk", "incrementing", "timestamp"]))
        .define("poll.interval.ms", .long, default: 5000, importance: .low, documentation: "Poll interval.")
        .define("ratio", .double, default: 0.5, importance: .low, documentation: "Ratio.", validator: .between(0, 1))
        .define("enabled", .boolean, default: true, importance: .low, documentation: "On or off.")
        .define("table.whitelist", .list, default: "", importance: .medium, documentation: "Tables.")
        .define("connection.password", .password, default: .null, importance: .high, documentation: "Secret.",
                validator: .custom("at least 8 characters") { _, v in
                    if case .password(let p) = v, p.value.count < 8 { return "Password too short" }
                    return nil
                })

    @Test func parsesTypedValuesWithDefaultsAndKeepsUnknownKeys() throws {
        let c = try def.parse([
            "topic": "  orders ", "batch.size": "100", "table.whitelist": "a, b ,c", "enabled": "FALSE",
            "connection.password": "s3cretvalue", "custom.passthrough": "x",
        ])
        #expect(c.string("topic") == "orders")
        #expect(c.int("batch.size") == 100)
        #expect(c.long("poll.interval.ms") == 5000)
        #expect(c.double("ratio") == 0.5)
        #expect(c.bool("enabled") == false)
        #expect(c.list("table.whitelist") == ["a", "b", "c"])
        #expect(c.string("mode") == "bulk")
        #expect(c.password("connection.password")?.value == "s3cretvalue")
        #expect(c.unknownKeys == ["custom.passthrough": "x"])
        #expect(c.originals(withPrefix: "custom.") == ["passthrough": "x"])
        #expect(!c.description.contains("s3cretvalue"))
        #expect(c.description.contains("connection.password = [hidden]"))
    }

    @Test func reportsEveryBadKeyAtOnce() {
        let e = #expect(throws: ConfigError.self) {
            try def.parse([
                "batch.size": "zero", "mode": "weird", "ratio": "2", "enabled": "yes", "connection.password": "short",
                "poll.interval.ms": "1.5",
            ])
        }
        guard let e else { return }
        #expect(Set(e.keys) == ["topic", "batch.size", "mode", "ratio", "enabled", "connection.password", "poll.interval.ms"])
        let byKey = Dictionary(e.problems.map { ($0.key, $0.message) }, uniquingKeysWith: { a, _ in a })
        #expect(byKey["topic"] == "Missing required configuration \"topic\" which has no default value.")
        #expect(byKey["batch.size"] == "Invalid value zero for configuration batch.size: Not a number of type INT")
        #expect(byKey["mode"] == "Invalid value weird for configuration mode: String must be one of: bulk, incrementing, timestamp")
        #expect(byKey["ratio"] == "Invalid value 2.0 for configuration ratio: Value must be no more than 1")
        #expect(byKey["enabled"] == "Invalid value yes for configuration enabled: Expected value to be either true or false")
        #expect(byKey["poll.interval.ms"] == "Invalid value 1.5 for configuration poll.interval.ms: Not a number of type LONG")
        #expect(byKey["connection.password"] == "Invalid value [hidden] for configuration connection.password: Password too short")
        #expect(!e.description.contains("short\n"))
        #expect(e.description.contains("(7 errors)"))
        let zero = #expect(throws: ConfigError.self) { try def.parse(["topic": "t", "batch.size": "0"]) }
        #expect(zero?.problems.first?.message == "Invalid value 0 for configuration batch.size: Value must be at least 1")
        let empty = #expect(throws: ConfigError.self) { try def.parse(["topic": ""]) }
        #expect(empty?.problems.first?.message == "Invalid value  for configuration topic: String must be non-empty")
    }

    @Test func validateReportsPerKey() {
        let v = def.validate(["topic": "t", "mode": "x"])
        #expect(v.errorCount == 1)
        #expect(v["mode"]?.errors.count == 1)
        #expect(v["topic"]?.value == .string("t"))
        #expect(v.error?.keys == ["mode"])
    }

    @Test func passwordsNeverPrint() {
        let p = Password("hunter2")
        #expect("\(p)" == "[hidden]")
        #expect(String(reflecting: p) == "[hidden]")
        #expect(ConfigValue.password(p).description == "[hidden]")
        var dumped = ""
        dump(p, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }

    @Test func documentationTables() {
        let rst = def.toRST()
        #expect(rst.contains("``batch.size``\n  Records per poll.\n\n  * Type: int\n  * Default: 2000\n  * Valid Values: [1,...]\n  * Importance: low\n"))
        #expect(rst.contains("``topic``") && !rst.contains("``topic``\n  Topic to write to.\n\n  * Type: string\n  * Default"))
        let md = def.toMarkdown()
        #expect(md.contains("| `mode` | Query mode. | string | bulk | [bulk, incrementing, timestamp] | medium |"))
        #expect(JSONConverter.configDef.toMarkdown().contains("`decimal.format`"))
    }

    @Test func configProvidersResolveFilesEnvAndDirectories() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ck-providers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let props = dir.appendingPathComponent("secrets.properties")
        try "db.password = p@ss\\:word\nuser=admin\n".write(to: props, atomically: true, encoding: .utf8)
        try "token-from-file".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        let t = ConfigTransformer(providers: [
            "file": FileConfigProvider(), "directory": DirectoryConfigProvider(), "env": EnvironmentConfigProvider(["DB_HOST": "db.local"]),
        ])
        let out = try t.transform([
            "connection.password": "${file:\(props.path):db.password}",
            "connection.url": "jdbc:postgresql://${env:DB_HOST}:5432/${file:\(props.path):user}",
            "token": "${directory:\(dir.path):token}",
            "plain": "no references",
        ])
        #expect(out["connection.password"] == "p@ss:word")
        #expect(out["connection.url"] == "jdbc:postgresql://db.local:5432/admin")
        #expect(out["token"] == "token-from-file")
        #expect(out["plain"] == "no references")

        let e = #expect(throws: ConfigError.self) {
            try t.transform([
                "a": "${env:MISSING}", "b": "${vault:secret/x:key}", "c": "${file:\(dir.path)/nope.properties:k}",
                "d": "${file:\(props.path):absent}",
            ])
        }
        #expect(e?.keys.sorted() == ["a", "b", "c", "d"])
        #expect(e?.problems.first { $0.key == "b" }?.message == "Unknown config provider 'vault' in ${vault:…}")
        #expect(e?.problems.first { $0.key == "a" }?.message == "Config provider 'env' has no value for 'MISSING'")
    }

    @Test func javaPropertiesSyntax() throws {
        let text = """
            # comment
            ! also a comment
            name=file-source
            topic : orders
            file   /tmp/in.txt
            key\\ with\\ spaces = value with spaces
            multi = first \\
                    second \\
                    third
            unicode=caf\\u00e9\\ttab
            empty=
            colon\\:key=v
            dup=1
            dup=2
            """
        let p = try JavaProperties.parseDictionary(text)
        #expect(p["name"] == "file-source")
        #expect(p["topic"] == "orders")
        #expect(p["file"] == "/tmp/in.txt")
        #expect(p["key with spaces"] == "value with spaces")
        #expect(p["multi"] == "first second third")
        #expect(p["unicode"] == "café\ttab")
        #expect(p["empty"] == "")
        #expect(p["colon:key"] == "v")
        #expect(p["dup"] == "2")
        #expect(p.count == 9)
        let bad = #expect(throws: ConfigError.self) { try JavaProperties.parse("a=\\u12G4") }
        #expect(bad?.problems.first?.message == "Malformed \\uxxxx encoding.")
    }

    @Test func connectorJSONForms() throws {
        let rest = try ConnectorConfigFile.parseJSON("""
            {"name": "jdbc-orders", "config": {"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
             "mode": "incrementing", "tasks.max": 2, "validate.non.null": false, "table.whitelist": "orders"}}
            """)
        #expect(rest.name == "jdbc-orders")
        #expect(rest.config["tasks.max"] == "2")
        #expect(rest.config["validate.non.null"] == "false")
        #expect(rest.config["name"] == "jdbc-orders")
        let bare = try ConnectorConfigFile.parseJSON(#"{"name": "bare", "connector.class": "FileStreamSource"}"#)
        #expect(bare.config["connector.class"] == "FileStreamSource")
        let props = try ConnectorConfigFile.parseProperties("name=p\nconnector.class=FileStreamSink\n")
        #expect(props.name == "p")

        let malformed = #expect(throws: ConfigError.self) { try ConnectorConfigFile.parseJSON(#"{"name": "x", "config": {"#) }
        #expect(malformed?.problems.first?.message.contains("byte offset") == true)
        let nested = #expect(throws: ConfigError.self) { try ConnectorConfigFile.parseJSON(#"{"name":"x","config":{"a":{"b":1},"c":[1]}}"#) }
        #expect(nested?.keys.sorted() == ["a", "c"])
        let noName = #expect(throws: ConfigError.self) { try ConnectorConfigFile.parseJSON(#"{"config":{"a":"b"}}"#) }
        #expect(noName?.keys == ["name"])
        let mismatch = #expect(throws: ConfigError.self) { try ConnectorConfigFile.parseJSON(#"{"name":"x","config":{"name":"y"}}"#) }
        #expect(mismatch?.keys == ["name"])
    }
}
