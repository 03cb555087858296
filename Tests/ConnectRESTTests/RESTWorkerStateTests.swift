import ConnectHTTP
import ConnectKit
import ConnectKitTesting
import Foundation
import Testing

/// What the REST API keeps and hides: connectors survive a restart, config provider references are
/// shown unresolved, secrets never appear in a response or the log; Basic auth and CORS.
@Suite("REST API: persistence, secrets, security")
struct RESTWorkerStateTests {
    @Test func connectorsCreatedOverRESTSurviveARestartWithTheirTargetState() async throws {
        let dir = try temporaryDirectory("restart")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.txt").path
        try "x\n".write(toFile: input, atomically: true, encoding: .utf8)
        let secrets = dir.appendingPathComponent("secrets.properties").path
        try "topic=orders\n".write(toFile: secrets, atomically: true, encoding: .utf8)
        let reference = "${file:\(secrets):topic}"

        var w = try await RESTWorker(dir: dir)
        try await w.expect(201, .post, "/connectors", json: #"{"name":"kept","config":{"connector.class":"FileStreamSource","file":"\#(input)","topic":"\#(reference)"}}"#)
        try await w.expect(201, .post, "/connectors", json: #"{"name":"paused","config":{"connector.class":"FileStreamSource","file":"\#(input)","topic":"t2"}}"#)
        try await w.expect(201, .post, "/connectors", json: #"{"name":"gone","config":{"connector.class":"FileStreamSource","file":"\#(input)","topic":"t3"}}"#)
        try await w.expect(202, .put, "/connectors/paused/pause")
        try await w.expect(201, .post, "/connectors", json: #"{"name":"stopped","config":{"connector.class":"FileStreamSource","file":"\#(input)","topic":"t4"}}"#)
        try await w.expect(204, .put, "/connectors/stopped/stop")
        // A replaced paused connector stays paused.
        try await w.expect(200, .put, "/connectors/paused/config", json: #"{"connector.class":"FileStreamSource","file":"\#(input)","topic":"t2","batch.size":"7"}"#)
        _ = try await w.eventually("/connectors/paused/status") { $0["connector"]?["state"]?.stringValue == "PAUSED" }
        try await w.expect(204, .delete, "/connectors/gone")
        // The task configuration shows the reference too (Kafka's reverse transformation).
        let tasks = try await w.expect(200, .get, "/connectors/kept/tasks")
        #expect(tasks.contains(#""topic":"\#(reference)""#) && !tasks.contains("orders"))
        // The reference is shown as written; the connector runs with the resolved value.
        let config = try JSONValue.parse(try await w.expect(200, .get, "/connectors/kept/config"))
        #expect(config["topic"]?.stringValue == reference)
        _ = try await w.eventually("/connectors/kept/topics") { $0.description == #"{"kept":{"topics":["orders"]}}"# }
        #expect(w.stop() == 0)

        // The store: owner-only, the reference unresolved.
        let store = dir.appendingPathComponent("offsets.json.connectors.json").path
        let attributes = try FileManager.default.attributesOfItem(atPath: store)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOfFile: store, encoding: .utf8).contains(reference))

        // A connector file given at the next start: it runs, is not stored, and a stored connector
        // of the same name is not started (the file wins, with a warning).
        let file = dir.appendingPathComponent("paused.json").path
        try #"{"name":"paused","config":{"connector.class":"FileStreamSource","file":"\#(input)","topic":"from-file"}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let fileOnly = dir.appendingPathComponent("fileonly.json").path
        try #"{"name":"fileonly","config":{"connector.class":"FileStreamSource","file":"\#(input)","topic":"f"}}"#.write(toFile: fileOnly, atomically: true, encoding: .utf8)
        w = try await RESTWorker(dir: dir, connectorFiles: [file, fileOnly])
        #expect(w.log.contains("connector paused created over REST is not started: a connector file defines paused"))
        #expect(try JSONValue.parse(try await w.expect(200, .get, "/connectors/paused/config"))["topic"]?.stringValue == "from-file")
        #expect(w.stop() == 0)
        #expect(!(try String(contentsOfFile: store, encoding: .utf8)).contains("fileonly"))

        w = try await RESTWorker(dir: dir)
        defer { w.stop() }
        let names = try JSONValue.parse(try await w.expect(200, .get, "/connectors")).items.compactMap(\.stringValue)
        #expect(Set(names) == ["kept", "paused", "stopped"])
        _ = try await w.eventually("/connectors/stopped/status") { $0["connector"]?["state"]?.stringValue == "STOPPED" && $0["tasks"]?.items.isEmpty == true }
        #expect(try JSONValue.parse(try await w.expect(200, .get, "/connectors/paused/config"))["batch.size"]?.stringValue == "7")
        #expect(try JSONValue.parse(try await w.expect(200, .get, "/connectors/kept/config"))["topic"]?.stringValue == reference)
        _ = try await w.eventually("/connectors/kept/status") { $0["connector"]?["state"]?.stringValue == "RUNNING" }
        _ = try await w.eventually("/connectors/paused/status") { $0["connector"]?["state"]?.stringValue == "PAUSED" }
        try await w.expect(404, .get, "/connectors/gone")

        // A stored connector whose reference no longer resolves: the worker starts, says so, and
        // DELETE removes it from the store.
        w.stop()
        try FileManager.default.removeItem(atPath: secrets)
        let broken = try await RESTWorker(dir: dir)
        defer { broken.stop() }
        #expect(broken.log.contains("connector kept was not started"))
        try await broken.expect(404, .get, "/connectors/kept")
        try await broken.expect(204, .delete, "/connectors/kept")
        #expect(!(try String(contentsOfFile: store, encoding: .utf8)).contains(#""name":"kept""#))
    }

    @Test func noResponseAndNoLogLineContainsASecret() async throws {
        let dir = try temporaryDirectory("secrets")
        defer { try? FileManager.default.removeItem(at: dir) }
        let secret = "s3cr3t-\(UUID().uuidString.prefix(8))"
        let db = dir.appendingPathComponent("shop.db").path
        let w = try await RESTWorker(dir: dir, logLevel: "debug")
        defer { w.stop() }
        // JDBC's connection.password is a PASSWORD key; db.password only looks like a secret; the
        // URL carries one too.
        let providerFile = dir.appendingPathComponent("provided.properties").path
        let provided = "provided-\(UUID().uuidString.prefix(8))"
        try "user=\(provided)\n".write(toFile: providerFile, atomically: true, encoding: .utf8)
        _ = try await runProgram("/usr/bin/sqlite3", [db, "create table orders(id integer primary key, note text); insert into orders values (1, 'x');"])
        let config = #"{"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector","connection.url":"jdbc:sqlite:\#(db)","connection.user":"${file:\#(providerFile):user}","connection.password":"\#(secret)","mode":"bulk","topic.prefix":"shop-","db.password":"\#(secret)","extra.url":"http://app:\#(secret)@example.com","batch.max.rows":"${file:\#(providerFile):user}"}"#
        var bodies: [String] = []
        // batch.max.rows resolves to a text that is not a number: the 400 names the reference, not the value.
        bodies.append(try await w.expect(400, .post, "/connectors", json: #"{"name":"jdbc","config":\#(config)}"#))
        let fixed = config.replacingOccurrences(of: #""batch.max.rows":"${file:\#(providerFile):user}""#, with: #""batch.max.rows":"100""#)
        bodies.append(try await w.expect(201, .post, "/connectors", json: #"{"name":"jdbc","config":\#(fixed)}"#))
        let tasks = try await w.eventually("/connectors/jdbc/tasks") { !$0.items.isEmpty }
        #expect(tasks.description.contains("${file:"))
        for path in ["/connectors/jdbc", "/connectors/jdbc/config", "/connectors/jdbc/tasks", "/connectors/jdbc/status", "/connectors?expand=info&expand=status",
                     "/connectors/jdbc/offsets"] {
            bodies.append(String(decoding: try await w.call(.get, path).body, as: UTF8.self))
        }
        bodies.append(try await w.expect(200, .put, "/connector-plugins/JdbcSourceConnector/config/validate", json: config))
        bodies.append(try await w.expect(200, .get, "/connectors/jdbc/tasks"))
        // A round trip: GET the config, PUT it back — the hidden password stays the stored one.
        let shown = try await w.expect(200, .get, "/connectors/jdbc/config")
        #expect(shown.contains(#""connection.password":"[hidden]""#))
        bodies.append(try await w.expect(200, .put, "/connectors/jdbc/config", json: shown))
        bodies.append(try await w.expect(200, .patch, "/connectors/jdbc/config", json: #"{"batch.max.rows":"50"}"#))
        let store = try String(contentsOfFile: dir.appendingPathComponent("offsets.json.connectors.json").path, encoding: .utf8)
        #expect(store.contains(#""connection.password":"\#(secret)""#))  // the real value kept, not the mask
        #expect(!store.contains(#""connection.password":"[hidden]""#))
        #expect(store.contains(#""extra.url":"http://app:\#(secret)@example.com""#))  // the URL's password too
        #expect(store.contains(#""connection.user":"${file:"#))
        for body in bodies {
            #expect(!body.contains(secret), "a response shows the secret: \(body)")
            #expect(!body.contains(provided), "a response shows what a reference resolved to: \(body)")
        }
        #expect(!w.log.contains(secret) && !w.log.contains(provided))
    }

    @Test func basicAuthenticationAndCORS() async throws {
        let dir = try temporaryDirectory("auth")
        defer { try? FileManager.default.removeItem(at: dir) }
        let credentials = dir.appendingPathComponent("users.properties").path
        try "ops: pa55word\nreader=other\n".write(toFile: credentials, atomically: true, encoding: .utf8)
        let w = try await RESTWorker(dir: dir, properties: [
            "rest.extension.classes": "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension",
            "rest.basic.auth.credentials.file": credentials, "access.control.allow.origin": "https://ui.example.com",
            "access.control.allow.methods": "GET,POST,PUT,DELETE",
        ])
        defer { w.stop() }
        let anonymous = try await w.call(.get, "/connectors")
        #expect(anonymous.status == 401 && String(decoding: anonymous.body, as: UTF8.self) == "User cannot access the resource.")
        func basic(_ user: String, _ password: String) -> HTTPHeader {
            HTTPHeader("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        }
        #expect(try await w.call(.get, "/connectors", headers: [basic("ops", "wrong")]).status == 401)
        #expect(try await w.call(.get, "/connectors", headers: [basic("nobody", "pa55word")]).status == 401)
        let ok = try await w.call(.get, "/connectors", headers: [basic("ops", "pa55word"), HTTPHeader("Origin", "https://ui.example.com")])
        #expect(ok.status == 200 && ok.header("Access-Control-Allow-Origin") == "https://ui.example.com")
        #expect(try await w.call(.get, "/", headers: [basic("reader", "other")]).status == 200)
        let foreign = try await w.call(.get, "/connectors", headers: [basic("ops", "pa55word"), HTTPHeader("Origin", "https://evil.example.com")])
        #expect(foreign.status == 200 && foreign.header("Access-Control-Allow-Origin") == nil)
        // A preflight request (no credentials, as browsers send it).
        let preflight = try curl(["-i", "-X", "OPTIONS", "-H", "Origin: https://ui.example.com", "-H", "Access-Control-Request-Method: POST", w.base + "/connectors"])
        #expect(preflight.hasPrefix("HTTP/1.1 200"))
        #expect(preflight.lowercased().contains("access-control-allow-methods: get,post,put,delete"))
        #expect(preflight.lowercased().contains("access-control-allow-origin: https://ui.example.com"))
        #expect(!w.log.contains("pa55word"))
    }

    /// https listeners: a PKCS12 key store, a PEM one with client certificates required; the
    /// certificates made by openssl, the requests sent by curl.
    @Test func httpsListenersWithPKCS12AndPEMAndClientCertificates() async throws {
        let dir = try temporaryDirectory("tls")
        defer { try? FileManager.default.removeItem(at: dir) }
        func openssl(_ args: [String]) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            p.arguments = args
            p.currentDirectoryURL = dir
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "openssl \(args)")
        }
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.crt", "-days", "2", "-subj", "/CN=127.0.0.1",
                     "-addext", "subjectAltName=IP:127.0.0.1"])
        try openssl(["pkcs12", "-export", "-in", "server.crt", "-inkey", "server.key", "-out", "server.p12", "-passout", "pass:ks-secret"])
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.crt", "-days", "2", "-subj", "/CN=client"])
        let pem = try String(contentsOf: dir.appendingPathComponent("server.key"), encoding: .utf8) + String(contentsOf: dir.appendingPathComponent("server.crt"), encoding: .utf8)
        try pem.write(to: dir.appendingPathComponent("server.pem"), atomically: true, encoding: .utf8)
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

        // PKCS12, with the per-listener prefix.
        let one = try temporaryDirectory("tls-pkcs12")
        defer { try? FileManager.default.removeItem(at: one) }
        let w = try await RESTWorker(dir: one, properties: [
            "listeners": "https://127.0.0.1:0", "listeners.https.ssl.keystore.type": "PKCS12",
            "listeners.https.ssl.keystore.location": path("server.p12"), "listeners.https.ssl.keystore.password": "ks-secret",
        ])
        let root = try curl(["--cacert", path("server.crt"), "https://127.0.0.1:\(w.port)/"])
        #expect(root.contains(#""version":"4.3.0""#))
        let created = try curl(["--cacert", path("server.crt"), "-i", "-X", "POST", "-H", "Content-Type: application/json", "-d",
                                #"{"name":"s","config":{"connector.class":"FileStreamSource","topic":"t","file":"/dev/null"}}"#, "https://127.0.0.1:\(w.port)/connectors"])
        #expect(created.contains("Location: https://127.0.0.1:\(w.port)/connectors/s"))
        #expect(try curl(["http://127.0.0.1:\(w.port)/"]).isEmpty)  // plain HTTP is not answered on a TLS port
        #expect(!w.log.contains("ks-secret"))
        w.stop()

        // PEM with client certificates required.
        let two = try temporaryDirectory("tls-pem")
        defer { try? FileManager.default.removeItem(at: two) }
        let m = try await RESTWorker(dir: two, properties: [
            "listeners": "https://127.0.0.1:0", "ssl.keystore.type": "PEM", "ssl.keystore.location": path("server.pem"),
            "ssl.client.auth": "required", "ssl.truststore.location": path("client.crt"),
        ])
        defer { m.stop() }
        #expect(try curl(["--cacert", path("server.crt"), "https://127.0.0.1:\(m.port)/connectors"]).isEmpty)  // no client certificate: no answer
        #expect(try curl(["--cacert", path("server.crt"), "--cert", path("client.crt"), "--key", path("client.key"), "https://127.0.0.1:\(m.port)/connectors"]) == "[]")

        // A wrong password and Java's JKS are named, never echoed.
        let bad = dir.appendingPathComponent("bad.properties").path
        try "offset.storage.file.filename=\(dir.path)/o.json\nlisteners=https://127.0.0.1:0\nssl.keystore.type=PKCS12\nssl.keystore.location=\(path("server.p12"))\nssl.keystore.password=wrong-pass\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let (status, out) = try await runProgram(repositoryRoot.appendingPathComponent(".build/debug/connect").path, ["standalone", bad])
        #expect(status == 1)
        #expect(out.contains("ssl.keystore.location") && out.contains("PKCS12") && !out.contains("wrong-pass"))
        try "offset.storage.file.filename=\(dir.path)/o.json\nlisteners=https://127.0.0.1:0\nssl.keystore.location=/etc/ks.jks\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let (jksStatus, jks) = try await runProgram(repositoryRoot.appendingPathComponent(".build/debug/connect").path, ["standalone", bad])
        #expect(jksStatus == 1 && jks.contains("Invalid value JKS for configuration ssl.keystore.type"))
    }

    @Test func badRESTSettingsAreNamedAndStopTheWorker() async throws {
        let dir = try temporaryDirectory("badrest")
        defer { try? FileManager.default.removeItem(at: dir) }
        let worker = dir.appendingPathComponent("worker.properties").path
        try """
            offset.storage.file.filename=\(dir.path)/offsets.json
            listeners=ftp://x:1,http://127.0.0.1:notaport
            rest.extension.classes=com.example.MyExtension
            """.write(toFile: worker, atomically: true, encoding: .utf8)
        let connect = repositoryRoot.appendingPathComponent(".build/debug/connect").path
        let (status, out) = try await runProgram(connect, ["standalone", worker])
        #expect(status == 1)
        #expect(out.contains("Invalid value ftp://x:1 for configuration listeners"))
        #expect(out.contains("Invalid value http://127.0.0.1:notaport for configuration listeners"))
        #expect(out.contains("Unknown REST extension com.example.MyExtension"))
        #expect(out.contains(worker))

        // A listener that cannot bind (the port is taken) stops the worker with the address named.
        let first = try await RESTWorker(dir: dir)
        defer { first.stop() }
        let other = try temporaryDirectory("badrest2")
        defer { try? FileManager.default.removeItem(at: other) }
        let taken = other.appendingPathComponent("worker.properties").path
        try "offset.storage.file.filename=\(other.path)/offsets.json\nlisteners=http://127.0.0.1:\(first.port)\n".write(toFile: taken, atomically: true, encoding: .utf8)
        let (takenStatus, qout) = try await runProgram(connect, ["standalone", taken])
        #expect(takenStatus == 1)
        #expect(qout.contains("REST API: cannot listen on http://127.0.0.1:\(first.port)"))
        #expect(first.process.isRunning)
    }
}

