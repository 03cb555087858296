import ConnectKit
import ConnectRuntime
import Foundation
import Testing

@testable import ConnectSQL

@Suite("JDBC URLs, connections and dialects")
struct ConnectionTests {
    @Test("JDBC URLs of the three databases parse with their usual properties")
    func urls() throws {
        let pg = try JDBCURL("jdbc:postgresql://db.example:6543/shop?user=app&password=s3cret&sslmode=require")
        #expect(pg.kind == .postgresql && pg.host == "db.example" && pg.port == 6543 && pg.database == "shop")
        #expect(pg.user == "app" && pg.password?.value == "s3cret" && pg.property("sslmode") == "require")
        #expect(!pg.description.contains("s3cret") && pg.description.contains("password=[hidden]"))
        #expect(try JDBCURL("jdbc:postgresql://localhost/mydb").port == 5432)
        let my = try JDBCURL("jdbc:mysql://localhost:3306/mydb")
        #expect(my.kind == .mysql && my.port == 3306 && my.database == "mydb")
        #expect(try JDBCURL("jdbc:mariadb://[::1]:3307/x").host == "::1")
        #expect(try JDBCURL("jdbc:sqlite:/var/data/app.db").database == "/var/data/app.db")
        #expect(try JDBCURL("jdbc:sqlite::memory:").database == ":memory:")
    }

    @Test("bad URLs are one clear error that never shows the password")
    func badURLs() {
        for (url, why) in [
            ("postgresql://h/db", "must start with 'jdbc:'"), ("jdbc:oracle:thin:@h:1521:x", "unsupported database 'oracle'"),
            ("jdbc:postgresql://h:99999/db?password=hunter2", "invalid port '99999'"), ("jdbc:postgresql://h:5432/?password=hunter2", "no database name"),
            ("jdbc:sqlite:", "no database file"),
        ] {
            do {
                _ = try JDBCURL(url)
                Issue.record("\(url) parsed")
            } catch {
                #expect(error.message.contains(why), "\(error.message)")
                #expect(!error.description.contains("hunter2"))
            }
        }
    }

    @Test("an unreachable server: one error naming host, port and database, never the password", arguments: TestDatabase.servers.map(\.kind) + [])
    func unreachable(_ kind: JDBCURL.Kind) throws {
        let port = try freePort()
        let url = kind == .postgresql ? "jdbc:postgresql://127.0.0.1:\(port)/shop" : "jdbc:mysql://127.0.0.1:\(port)/shop"
        let config = try JdbcSinkSettings.configDef.parse(["connection.url": url, "connection.user": "app", "connection.password": "hunter2"])
        let settings = try JDBCConnectionConfig.Settings(config)
        do {
            _ = try JDBCConnectionConfig.open(settings)
            Issue.record("connected to nothing")
        } catch {
            #expect(error.kind == .connection)
            #expect(error.message.contains("127.0.0.1:\(port)") && error.message.contains("'shop'"), "\(error.message)")
            #expect(!"\(error)".contains("hunter2"))
        }
    }

    @Test("unreachable SQLite file: the path is named")
    func sqliteUnreachable() throws {
        let settings = try JDBCConnectionConfig.Settings(try JdbcSinkSettings.configDef.parse(["connection.url": "jdbc:sqlite:/nonexistent-dir/x/app.db"]))
        #expect { _ = try JDBCConnectionConfig.open(settings) } throws: { error in
            "\(error)".contains("/nonexistent-dir/x/app.db")
        }
    }

    @Test("identifiers are quoted per dialect (the quote character doubled), or left as given with quote.sql.identifiers=never")
    func quoting() {
        #expect(Dialect(kind: .postgresql).quote("a\"b") == "\"a\"\"b\"")
        #expect(Dialect(kind: .mysql).quote("a`b") == "`a``b`")
        #expect(Dialect(kind: .sqlite, quoteIdentifiers: false).quote("orders") == "orders")
        #expect(Dialect(kind: .postgresql).quote(TableID(schema: "public", name: "t")) == "\"public\".\"t\"")
    }

    @Test("upsert SQL as Confluent's dialects write it")
    func upsertSQL() {
        let t = TableID(name: "t")
        #expect(Dialect(kind: .postgresql).insert(t, columns: ["id", "v"], rows: 1, upsertKeys: ["id"])
            == "INSERT INTO \"t\"(\"id\",\"v\") VALUES ($1,$2) ON CONFLICT (\"id\") DO UPDATE SET \"v\"=EXCLUDED.\"v\"")
        #expect(Dialect(kind: .mysql).insert(t, columns: ["id", "v"], rows: 2, upsertKeys: ["id"])
            == "INSERT INTO `t`(`id`,`v`) VALUES (?,?),(?,?) ON DUPLICATE KEY UPDATE `v`=values(`v`)")
        #expect(Dialect(kind: .sqlite).insert(t, columns: ["id"], rows: 1, upsertKeys: ["id"]) == "INSERT OR REPLACE INTO \"t\"(\"id\") VALUES (?)")
        #expect(Dialect(kind: .postgresql).insert(t, columns: ["id"], rows: 1, upsertKeys: ["id"]).hasSuffix("DO NOTHING"))
    }

    @Test("auto.create types per dialect, as Confluent's getSqlType")
    func autoCreateTypes() throws {
        let s = try SchemaBuilder.struct().field("a", .int8).field("b", .float64).field("c", .optionalString).field("d", .bytes)
            .field("e", Schema.decimal(scale: 3)).field("f", Schema.timestamp).field("g", .boolean).build()
        let columns = s.fields.map { ($0.name, $0.schema) }
        let pg = try Dialect(kind: .postgresql).createTable(TableID(name: "t"), columns: columns, primaryKey: ["a"])
        #expect(pg == "CREATE TABLE \"t\" (\n\"a\" SMALLINT NOT NULL,\n\"b\" DOUBLE PRECISION NOT NULL,\n\"c\" TEXT NULL,\n\"d\" BYTEA NOT NULL,\n\"e\" DECIMAL NOT NULL,\n\"f\" TIMESTAMP NOT NULL,\n\"g\" BOOLEAN NOT NULL,\nPRIMARY KEY(\"a\"))")
        let my = try Dialect(kind: .mysql).createTable(TableID(name: "t"), columns: columns, primaryKey: [])
        #expect(my.contains("`a` TINYINT NOT NULL") && my.contains("`b` DOUBLE") && my.contains("`d` VARBINARY(1024)") && my.contains("`e` DECIMAL(65,3)") && my.contains("`f` DATETIME(3)"))
        let lite = try Dialect(kind: .sqlite).createTable(TableID(name: "t"), columns: columns, primaryKey: [])
        #expect(lite.contains("\"e\" NUMERIC") && lite.contains("\"g\" INTEGER") && lite.contains("\"d\" BLOB"))
    }

    @Test("timestamps parse and print in db.timezone with nanoseconds kept")
    func temporal() {
        let utc = SQLTemporal()
        #expect(utc.parseTimestamp("2024-01-02 10:00:00.000000123") == 1_704_189_600_000_000_123)
        #expect(utc.parseTimestamp("2024-01-02T11:00:00+01:00") == 1_704_189_600_000_000_000)
        #expect(utc.parseTimestamp("2024-01-02 10:00:00.5+00") == 1_704_189_600_500_000_000)
        #expect(utc.formatTimestamp(nanos: 1_704_189_600_000_001_000) == "2024-01-02 10:00:00.000001")
        #expect(utc.formatDate(days: -1) == "1969-12-31")
        let paris = SQLTemporal(zone: JavaTimeZone(id: "Europe/Paris")!)
        #expect(paris.parseTimestamp("2024-07-01 12:00:00") == utc.parseTimestamp("2024-07-01 10:00:00"))
        #expect(paris.formatTimestamp(nanos: utc.parseTimestamp("2024-01-01 00:00:00")!) == "2024-01-01 01:00:00")
    }

    @Test("the task's tables key round-trips quoted identifiers with quotes, dots and commas inside")
    func tablesKey() throws {
        let parsed = try JdbcSourceTask.parseTables("\"public\".\"a\"\"b\",\"x.y\",`db`.`c,d`", kind: .postgresql)
        #expect(parsed[0] == TableID(schema: "public", name: "a\"b"))
        #expect(parsed[1] == TableID(name: "x.y"))
        #expect(try JdbcSourceTask.parseTables("`db`.`c,d`", kind: .mysql) == [TableID(catalog: "db", name: "c,d")])
    }

    @Test("the tasks' Java class names are Confluent's (dead-letter class.name headers): ….jdbc.source.JdbcSourceTask, ….jdbc.sink.JdbcSinkTask")
    func javaTaskClassNames() throws {
        var registry = PluginRegistry()
        SQLPlugins.register(in: &registry)
        #expect(registry.connector("io.confluent.connect.jdbc.JdbcSinkConnector")?.javaTaskClassName == "io.confluent.connect.jdbc.sink.JdbcSinkTask")
        #expect(registry.connector("JdbcSource")?.javaTaskClassName == "io.confluent.connect.jdbc.source.JdbcSourceTask")
    }

    @Test("Docs/ConnectSQL.md documents every key of both connectors")
    func docsListEveryKey() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Docs/ConnectSQL.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for key in JdbcSourceSettings.configDef.keys + JdbcSinkSettings.configDef.keys where !key.isInternal {
            #expect(text.contains("| `\(key.name)` |"), "\(key.name) is not in Docs/ConnectSQL.md")
        }
    }

    #if PostgreSQL
    @Test("PostgreSQL reads by COPY only when its parameters can be written in safely; COPY's text escapes undone")
    func copyStatements() {
        #expect(PostgresDatabase.copyStatement("SELECT * FROM \"t\" WHERE \"t\".\"id\" > $1 ORDER BY \"t\".\"id\" ASC", [.integer(41)])
            == "COPY (SELECT * FROM \"t\" WHERE \"t\".\"id\" > 41 ORDER BY \"t\".\"id\" ASC) TO STDOUT")
        #expect(PostgresDatabase.copyStatement("SELECT * FROM t WHERE ts > $1 AND ts < $2", [.text("2024-01-02 10:00:00.5+01:00"), .text("2024-01-03 00:00:00+00:00")])
            == "COPY (SELECT * FROM t WHERE ts > '2024-01-02 10:00:00.5+01:00' AND ts < '2024-01-03 00:00:00+00:00') TO STDOUT")
        #expect(PostgresDatabase.copyStatement("SELECT * FROM \"x$1\" WHERE id > $1", [.integer(1)]) == "COPY (SELECT * FROM \"x$1\" WHERE id > 1) TO STDOUT")
        #expect(PostgresDatabase.copyStatement("SELECT * FROM t WHERE v = $1", [.text("it's")]) == nil)  // not a formatted value
        #expect(PostgresDatabase.copyStatement("SELECT $$a$$ FROM t", []) == nil)  // dollar quotes: the cursor path
        #expect(PostgresDatabase.copyStatement("UPDATE t SET a = 1", []) == nil)
        let escaped = Array(#"a\\b\tc\nd\101\x41"#.utf8)
        #expect(escaped.withUnsafeBytes { PostgresDatabase.unescapeCopy($0) } == Array("a\\b\tc\ndAA".utf8))
    }
    #endif

    func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
