import ConnectHTTP
import ConnectKit
import Foundation
import Testing

/// Every endpoint of Kafka Connect's REST API, success and error paths, with real HTTP requests
/// to `connect standalone` started as a child process with no connector files (an empty worker
/// driven over REST). Expected statuses and texts: Kafka Connect 4.3 as observed on a real worker
/// (distributed-mode texts where standalone has bugs).
@Suite("REST API endpoints", .serialized)
struct RESTEndpointTests {
    @Test func connectorLifecycleOverHTTP() async throws {
        let dir = try temporaryDirectory("endpoints")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.txt").path
        try "a\nb\nc\n".write(toFile: input, atomically: true, encoding: .utf8)
        let w = try await RESTWorker(dir: dir)
        defer { w.stop() }

        // Root, health, empty lists.
        let root = try JSONValue.parse(try await w.expect(200, .get, "/"))
        #expect(root.keys == ["version", "commit", "kafka_cluster_id"])
        let health = try JSONValue.parse(try await w.expect(200, .get, "/health"))
        #expect(health["status"]?.stringValue == "healthy")
        #expect(try await w.expect(200, .get, "/connectors") == "[]")
        #expect(try await w.expect(200, .get, "/connectors?expand=status") == "{}")

        // Create: 201, Location, ConnectorInfo in Kafka's field order.
        let source = #"{"name":"src1","config":{"connector.class":"FileStreamSource","file":"\#(input)","topic":"t1"}}"#
        let created = try await w.call(.post, "/connectors", json: source)
        #expect(created.status == 201)
        #expect(created.header("Location") == "\(w.base)/connectors/src1")
        #expect(created.header("Content-Type") == "application/json")
        let info = try JSONValue.parse(String(decoding: created.body, as: UTF8.self))
        #expect(info.keys == ["name", "config", "tasks", "type"])
        #expect(info["config"]?["name"]?.stringValue == "src1")
        #expect(info["type"]?.stringValue == "source")
        #expect(try await w.expect(409, .post, "/connectors", json: source) == #"{"error_code":409,"message":"Connector src1 already exists"}"#)
        let mismatch = try await w.expect(400, .post, "/connectors", json: #"{"name":"a","config":{"name":"b","connector.class":"FileStreamSource","topic":"t"}}"#)
        #expect(mismatch.contains("Connector name configuration (b) doesn't match connector name in the URL (a)"))
        let missing = try await w.expect(400, .post, "/connectors", json: #"{"name":"src2","config":{"connector.class":"FileStreamSource"}}"#)
        #expect(missing.contains(#"Connector configuration is invalid and contains the following 1 error(s):\nMissing required configuration \"topic\" which has no default value."#))
        #expect(missing.contains("/connector-plugins/{connectorType}/config/validate"))
        let noClass = try await w.expect(400, .post, "/connectors", json: #"{"name":"src3","config":{"topic":"t"}}"#)
        #expect(noClass.contains("Connector config {name=src3, topic=t} contains no connector type"))
        let unknownClass = try await w.expect(400, .post, "/connectors", json: #"{"name":"src4","config":{"connector.class":"com.example.Nope"}}"#)
        #expect(unknownClass.contains("Failed to find any class that implements Connector and which name matches com.example.Nope, available connectors are:"))
        let badTasks = try await w.expect(400, .post, "/connectors", json: #"{"name":"src5","config":{"connector.class":"FileStreamSource","topic":"t","tasks.max":"0"}}"#)
        #expect(badTasks.contains("Invalid value 0 for configuration tasks.max: Value must be at least 1"))
        let nullValue = try await w.expect(400, .post, "/connectors", json: #"{"name":"src6","config":{"connector.class":"FileStreamSource","topic":null}}"#)
        #expect(nullValue.contains("Null value can not be supplied as the configuration value."))
        // A sink reading t1, created paused (initial_state), then resumed.
        let sinkOut = dir.appendingPathComponent("out.txt").path
        try await w.expect(201, .post, "/connectors", json: #"{"name":"sink1","config":{"connector.class":"FileStreamSink","file":"\#(sinkOut)","topics":"t1"},"initial_state":"paused"}"#)
        _ = try await w.eventually("/connectors/sink1/status") { $0["connector"]?["state"]?.stringValue == "PAUSED" }
        try await w.expect(202, .put, "/connectors/sink1/resume")
        let names = try JSONValue.parse(try await w.expect(200, .get, "/connectors")).items.compactMap(\.stringValue)
        #expect(Set(names) == ["src1", "sink1"])

        // Reads: info, config, status (4.x shape), tasks, task status, expand.
        #expect(try JSONValue.parse(try await w.expect(200, .get, "/connectors/src1"))["name"]?.stringValue == "src1")
        #expect(try JSONValue.parse(try await w.expect(200, .get, "/connectors/src1/"))["name"]?.stringValue == "src1")  // trailing slash
        let config = try JSONValue.parse(try await w.expect(200, .get, "/connectors/src1/config"))
        #expect(config["file"]?.stringValue == input && config["topic"]?.stringValue == "t1")
        let status = try await w.eventually("/connectors/src1/status") { $0["tasks"]?.items.first?["state"]?.stringValue == "RUNNING" }
        #expect(status.keys == ["name", "connector", "tasks", "type"])
        #expect(status["connector"]?.keys == ["state", "worker_id", "version"])
        #expect(status["connector"]?["worker_id"]?.stringValue == "127.0.0.1:\(w.port)")
        #expect(status["tasks"]?.items.first?.keys == ["id", "state", "worker_id", "version"])
        let tasks = try JSONValue.parse(try await w.expect(200, .get, "/connectors/src1/tasks")).items
        #expect(tasks.count == 1 && tasks[0].keys == ["id", "config"])
        #expect(tasks[0]["id"]?.description == #"{"connector":"src1","task":0}"#)
        let taskStatus = try JSONValue.parse(try await w.expect(200, .get, "/connectors/src1/tasks/0/status"))
        #expect(taskStatus.keys == ["id", "state", "worker_id", "version"])
        #expect(try await w.expect(404, .get, "/connectors/src1/tasks/7/status").contains("No status found for task src1-7"))
        #expect(try await w.expect(404, .get, "/connectors/src1/tasks/abc/status") == #"{"error_code":404,"message":"HTTP 404 Not Found"}"#)
        let expanded = try JSONValue.parse(try await w.expect(200, .get, "/connectors?expand=info&expand=status"))
        #expect(expanded["src1"]?.keys == ["info", "status"])
        let unknownExpand = try JSONValue.parse(try await w.expect(200, .get, "/connectors?expand=foo"))
        #expect(unknownExpand["src1"]?.description == "{}")

        // The records went through: the sink wrote them, topics are tracked.
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, (try? String(contentsOfFile: sinkOut, encoding: .utf8)) != "a\nb\nc\n" { try await Task.sleep(for: .milliseconds(50)) }
        #expect((try? String(contentsOfFile: sinkOut, encoding: .utf8)) == "a\nb\nc\n")
        _ = try await w.eventually("/connectors/src1/topics") { $0.description == #"{"src1":{"topics":["t1"]}}"# }
        _ = try await w.eventually("/connectors/sink1/topics") { $0.description == #"{"sink1":{"topics":["t1"]}}"# }
        try await w.expect(202, .put, "/connectors/src1/topics/reset")
        #expect(try await w.expect(200, .get, "/connectors/src1/topics") == #"{"src1":{"topics":[]}}"#)
        #expect(try await w.expect(200, .get, "/connectors/nope/topics") == #"{"nope":{"topics":[]}}"#)  // no existence check, as Kafka's

        // Replace and patch.
        try await w.expect(200, .put, "/connectors/src1/config", json: #"{"connector.class":"FileStreamSource","file":"\#(input)","topic":"t1","batch.size":"10"}"#)
        let other = dir.appendingPathComponent("other.txt").path
        let putNew = try await w.call(.put, "/connectors/sink2/config", json: #"{"connector.class":"FileStreamSink","file":"\#(other)","topics":"t9"}"#)
        #expect(putNew.status == 201 && putNew.header("Location") == "\(w.base)/connectors/sink2")
        let patched = try JSONValue.parse(try await w.expect(200, .patch, "/connectors/src1/config", json: #"{"batch.size":null,"tasks.max":2}"#))
        #expect(patched["config"]?["batch.size"] == nil && patched["config"]?["tasks.max"]?.stringValue == "2")
        #expect(try await w.expect(404, .patch, "/connectors/nope/config", json: #"{"a":"b"}"#).contains("Connector nope not found"))
        let patchInvalid = try await w.expect(400, .patch, "/connectors/src1/config", json: #"{"topic":null}"#)
        #expect(patchInvalid.contains(#"Missing required configuration \"topic\" which has no default value."#))

        // Pause, resume, restart (legacy 204; with includeTasks 202 with RESTARTING), task restart.
        try await w.expect(202, .put, "/connectors/src1/pause")
        _ = try await w.eventually("/connectors/src1/status") { s in
            s["connector"]?["state"]?.stringValue == "PAUSED" && s["tasks"]?.items.allSatisfy { $0["state"]?.stringValue == "PAUSED" } == true
        }
        try await w.expect(202, .put, "/connectors/src1/pause")  // idempotent
        try await w.expect(202, .put, "/connectors/src1/resume")
        _ = try await w.eventually("/connectors/src1/status") { $0["connector"]?["state"]?.stringValue == "RUNNING" }
        try await w.expect(204, .post, "/connectors/src1/restart")
        let restarting = try JSONValue.parse(try await w.expect(202, .post, "/connectors/src1/restart?includeTasks=true"))
        #expect(restarting["connector"]?["state"]?.stringValue == "RESTARTING")
        #expect(restarting["tasks"]?.items.allSatisfy { $0["state"]?.stringValue == "RESTARTING" } == true)
        _ = try await w.eventually("/connectors/src1/status") { s in
            s["connector"]?["state"]?.stringValue == "RUNNING" && s["tasks"]?.items.allSatisfy { $0["state"]?.stringValue == "RUNNING" } == true
        }
        let onlyFailed = try JSONValue.parse(try await w.expect(202, .post, "/connectors/src1/restart?includeTasks=true&onlyFailed=true"))
        #expect(onlyFailed["connector"]?["state"]?.stringValue == "RUNNING")
        #expect(onlyFailed["tasks"]?.items.allSatisfy { $0["state"]?.stringValue == "RUNNING" } == true)  // nothing failed: nothing restarts
        try await w.expect(204, .post, "/connectors/src1/tasks/0/restart")
        #expect(try await w.expect(404, .post, "/connectors/src1/tasks/9/restart").contains("Unknown task: src1-9"))
        #expect(try await w.expect(404, .post, "/connectors/nope/tasks/0/restart").contains("Unknown connector: nope"))
        #expect(try await w.expect(404, .post, "/connectors/nope/restart").contains("Unknown connector: nope"))
        #expect(try await w.expect(404, .put, "/connectors/nope/pause").contains("Unknown connector nope"))
        #expect(try await w.expect(404, .put, "/connectors/nope/resume").contains("Unknown connector nope"))
        #expect(try await w.expect(404, .put, "/connectors/nope/stop").contains("Unknown connector nope"))

        // Offsets: refused while running, altered and reset once stopped.
        _ = try await w.eventually("/connectors/src1/offsets") { $0["offsets"]?.items.count == 1 }
        let running = try await w.expect(400, .patch, "/connectors/src1/offsets", json: #"{"offsets":[{"partition":{"filename":"\#(input)"},"offset":{"position":2}}]}"#)
        #expect(running.contains("Connectors must be in the STOPPED state before their offsets can be modified."))
        #expect(try await w.expect(400, .patch, "/connectors/src1/offsets", json: #"{"offsets":[]}"#).contains("Partitions / offsets need to be provided for an alter offsets request"))
        try await w.expect(204, .put, "/connectors/src1/stop")
        let stopped = try await w.eventually("/connectors/src1/status") { $0["connector"]?["state"]?.stringValue == "STOPPED" }
        #expect(stopped["tasks"]?.items.isEmpty == true)
        #expect(try await w.expect(200, .get, "/connectors/src1/tasks") == "[]")
        let altered = try await w.expect(200, .patch, "/connectors/src1/offsets", json: #"{"offsets":[{"partition":{"filename":"\#(input)"},"offset":{"position":2}}]}"#)
        #expect(altered.contains("The offsets for this connector have been altered successfully"))
        #expect(try await w.expect(200, .get, "/connectors/src1/offsets") == #"{"offsets":[{"partition":{"filename":"\#(input)"},"offset":{"position":2}}]}"#)
        let wrongType = try await w.expect(500, .patch, "/connectors/src1/offsets", json: #"{"offsets":[{"partition":{"filename":"\#(input)"},"offset":{"position":"x"}}]}"#)
        #expect(wrongType.contains("position"))
        #expect(try await w.expect(200, .delete, "/connectors/src1/offsets").contains("The offsets for this connector have been reset successfully"))
        #expect(try await w.expect(200, .get, "/connectors/src1/offsets") == #"{"offsets":[]}"#)
        #expect(try await w.expect(404, .get, "/connectors/nope/offsets").contains("Connector nope not found"))
        // A sink's offsets: its consumer group's, in Kafka's partition shape.
        let sinkOffsets = try await w.eventually("/connectors/sink1/offsets") { $0["offsets"]?.items.isEmpty == false }
        #expect(sinkOffsets["offsets"]?.items.first?["partition"]?.description == #"{"kafka_partition":0,"kafka_topic":"t1"}"#)
        try await w.expect(204, .put, "/connectors/sink1/stop")
        for (partition, offset, message) in [
            (#"{"kafka_topic":"t1"}"#, "null", "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'"),
            (#"{"kafka_topic":null,"kafka_partition":0}"#, "null", "Kafka topic names must be valid strings and may not be null"),
            (#"{"kafka_topic":"t1","kafka_partition":"x"}"#, "null", "Failed to parse the following Kafka partition value in the provided offsets: 'x'. Partition values for sink connectors need to be integers."),
            (#"{"kafka_topic":"t1","kafka_partition":0}"#, #"{"position":1}"#, "The offset for a sink connector should either be null or contain the key 'kafka_offset'"),
        ] {
            let body = #"{"offsets":[{"partition":\#(partition),"offset":\#(offset)}]}"#
            #expect(try await w.expect(400, .patch, "/connectors/sink1/offsets", json: body).contains(message))
        }
        #expect(try await w.expect(200, .patch, "/connectors/sink1/offsets", json: #"{"offsets":[{"partition":{"kafka_topic":"t1","kafka_partition":0},"offset":{"kafka_offset":1}}]}"#)
            .contains("The offsets for this connector have been altered successfully"))
        #expect(try await w.expect(200, .get, "/connectors/sink1/offsets") == #"{"offsets":[{"partition":{"kafka_partition":0,"kafka_topic":"t1"},"offset":{"kafka_offset":1}}]}"#)
        try await w.expect(202, .put, "/connectors/sink1/resume")
        // In-memory topics keep a record only until every reader is past it, so moving a sink's
        // offset back replays nothing here (with Kafka it re-reads); the sink goes on with what comes
        // once the source runs again (below).
        try await w.expect(202, .put, "/connectors/src1/resume")
        _ = try await w.eventually("/connectors/src1/status") { $0["connector"]?["state"]?.stringValue == "RUNNING" && $0["tasks"]?.items.count == 1 }  // FileStreamSource makes one task whatever tasks.max says
        try "a\nb\nc\nd\n".write(toFile: input, atomically: false, encoding: .utf8)
        let moreDeadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < moreDeadline, (try? String(contentsOfFile: sinkOut, encoding: .utf8))?.hasSuffix("d\n") != true { try await Task.sleep(for: .milliseconds(50)) }
        #expect((try? String(contentsOfFile: sinkOut, encoding: .utf8))?.hasSuffix("d\n") == true)  // the resumed sink goes on

        // A failed task: FAILED with its trace (after the version), and onlyFailed restarts only it.
        try await w.expect(201, .post, "/connectors", json: #"{"name":"broken","config":{"connector.class":"FileStreamSink","file":"\#(dir.path)/no/such/dir/out.txt","topics":"t1"}}"#)
        let failed = try await w.eventually("/connectors/broken/status") { $0["tasks"]?.items.first?["state"]?.stringValue == "FAILED" }
        #expect(failed["tasks"]?.items.first?.keys == ["id", "state", "worker_id", "version", "trace"])
        #expect(failed["connector"]?["state"]?.stringValue == "RUNNING")
        let plan = try JSONValue.parse(try await w.expect(202, .post, "/connectors/broken/restart?includeTasks=true&onlyFailed=true"))
        #expect(plan["connector"]?["state"]?.stringValue == "RUNNING")
        #expect(plan["tasks"]?.items.first?["state"]?.stringValue == "RESTARTING")
        try await w.expect(204, .delete, "/connectors/broken")

        // A name that needs percent-encoding.
        let spaced = try await w.call(.post, "/connectors", json: #"{"name":" a b ","config":{"connector.class":"FileStreamSource","file":"\#(input)","topic":"t5"}}"#)
        #expect(spaced.status == 201 && spaced.header("Location") == "\(w.base)/connectors/a%20b")
        #expect(try JSONValue.parse(try await w.expect(200, .get, "/connectors/a%20b"))["name"]?.stringValue == "a b")
        let head = try await w.call(.head, "/connectors/a%20b/status")
        #expect(head.status == 200 && head.body.isEmpty)
        try await w.expect(204, .delete, "/connectors/a%20b")

        // Delete.
        try await w.expect(204, .delete, "/connectors/sink2")
        #expect(try await w.expect(404, .get, "/connectors/sink2") == #"{"error_code":404,"message":"Connector sink2 not found"}"#)
        #expect(try await w.expect(404, .get, "/connectors/sink2/status").contains("No status found for connector sink2"))
        #expect(try await w.expect(404, .delete, "/connectors/sink2").contains("Connector sink2 not found"))
        #expect(try await w.expect(404, .get, "/connectors/sink2/config").contains("Connector sink2 not found"))
        #expect(try await w.expect(404, .get, "/connectors/sink2/tasks").contains("Connector sink2 not found"))
        #expect(w.process.isRunning)
    }

    @Test func pluginsValidationLoggersAndProtocolErrors() async throws {
        let dir = try temporaryDirectory("plugins")
        defer { try? FileManager.default.removeItem(at: dir) }
        let w = try await RESTWorker(dir: dir, properties: ["rest.request.max.bytes": "4096"])
        defer { w.stop() }

        // Plugins.
        let plugins = try JSONValue.parse(try await w.expect(200, .get, "/connector-plugins")).items
        #expect(plugins.allSatisfy { ["source", "sink"].contains($0["type"]?.stringValue ?? "") })
        #expect(plugins.first?.keys == ["class", "type", "version"])
        let types = plugins.compactMap { $0["type"]?.stringValue }
        #expect(types == types.sorted { $0 == "sink" && $1 == "source" || $0 == $1 })  // sinks, then sources
        #expect(plugins.contains { $0["class"]?.stringValue == "org.apache.kafka.connect.file.FileStreamSourceConnector" })
        let all = try JSONValue.parse(try await w.expect(200, .get, "/connector-plugins?connectorsOnly=false")).items
        #expect(all.count > plugins.count)
        for t in ["transformation", "predicate", "converter", "header_converter"] { #expect(all.contains { $0["type"]?.stringValue == t }) }
        let keys = try JSONValue.parse(try await w.expect(200, .get, "/connector-plugins/FileStreamSource/config")).items
        #expect(keys.first?.keys == ["name", "type", "required", "default_value", "importance", "documentation", "group", "order_in_group", "width", "display_name", "dependents"])
        let keyNames = keys.compactMap { $0["name"]?.stringValue }
        #expect(keyNames.starts(with: ["file", "topic", "batch.size"]) && keyNames.contains("tasks.max") && keyNames.contains("transforms"))
        let router = try JSONValue.parse(try await w.expect(200, .get, "/connector-plugins/org.apache.kafka.connect.transforms.RegexRouter/config")).items
        #expect(router.compactMap { $0["name"]?.stringValue } == ["regex", "replacement"])
        #expect(try await w.expect(404, .get, "/connector-plugins/Nope/config") == #"{"error_code":404,"message":"Unknown plugin Nope."}"#)
        #expect(try await w.expect(400, .get, "/connector-plugins/FileStreamSource/config?version=[9.9,9.9]").contains("not found that matches the version range [9.9,9.9], available versions: ["))
        #expect(try await w.expect(400, .get, "/connector-plugins/FileStreamSource/config?version=[bad").contains("Invalid version specification: [bad"))

        // Validate.
        let mismatch = try await w.expect(400, .put, "/connector-plugins/FileStreamSink/config/validate", json: #"{"connector.class":"FileStreamSource"}"#)
        #expect(mismatch.contains("Included connector type FileStreamSource does not match request type FileStreamSink"))
        let result = try JSONValue.parse(try await w.expect(200, .put, "/connector-plugins/FileStreamSourceConnector/config/validate",
            json: #"{"connector.class":"FileStreamSource","name":"v","tasks.max":"abc"}"#))
        #expect(result.keys == ["name", "error_count", "groups", "configs"])
        #expect(result["name"]?.stringValue == "FileStreamSource")
        #expect(result["groups"]?.items.first?.stringValue == "Common")
        let entries = result["configs"]?.items ?? []
        #expect(entries.allSatisfy { $0.keys == ["definition", "value"] })
        #expect(entries.first?["value"]?.keys == ["name", "value", "recommended_values", "errors", "visible"])
        let errors = entries.flatMap { $0["value"]?["errors"]?.items ?? [] }
        #expect(result["error_count"]?.description == String(errors.count))
        #expect(errors.contains { $0.stringValue?.contains("Missing required configuration \"topic\"") == true })
        #expect(errors.contains { $0.stringValue?.contains("Invalid value abc for configuration tasks.max") == true })
        #expect(try await w.call(.put, "/connector-plugins/FileStreamSource/config/validate", json: #"{"name":"x"}"#).status == 500)
        #expect(try await w.call(.put, "/connector-plugins/FileStreamSource/config/validate", json: #"{"connector.class":"com.example.FileStreamSource"}"#).status != 200)

        // Loggers.
        let loggers = try JSONValue.parse(try await w.expect(200, .get, "/admin/loggers"))
        #expect(loggers.keys.contains("root") && loggers.keys == loggers.keys.sorted())
        #expect(loggers["root"]?.keys == ["level", "last_modified"])
        #expect(try await w.expect(200, .get, "/admin/loggers/root") == #"{"level":"INFO","last_modified":null}"#)
        #expect(try await w.expect(404, .get, "/admin/loggers/brand.new.logger") == #"{"error_code":404,"message":"Logger brand.new.logger not found."}"#)
        #expect(try await w.expect(200, .put, "/admin/loggers/brand.new.logger", json: #"{"level":"debug"}"#) == #"["brand.new.logger"]"#)
        #expect(try await w.expect(200, .put, "/admin/loggers/brand.new.logger", json: #"{"level":"DEBUG"}"#) == "[]")
        let set = try JSONValue.parse(try await w.expect(200, .get, "/admin/loggers/brand.new.logger"))
        #expect(set["level"]?.stringValue == "DEBUG" && set["last_modified"]?.isNull == false)
        #expect(try await w.expect(204, .put, "/admin/loggers/connectkit?scope=cluster", json: #"{"level":"WARN"}"#).isEmpty)
        #expect(try await w.expect(400, .put, "/admin/loggers/x", json: #"{"lvl":"DEBUG"}"#).contains("Desired 'level' parameter was not specified in request."))
        #expect(try await w.expect(404, .put, "/admin/loggers/x", json: #"{"level":"LOUD"}"#) == #"{"error_code":404,"message":"invalid log level 'LOUD'."}"#)
        // A level set over REST changes what is logged: the worker's debug line about a new
        // connector's configuration appears only after `connect` (the worker's logger) is set to DEBUG.
        let file = dir.appendingPathComponent("in.txt").path
        try "x\n".write(toFile: file, atomically: true, encoding: .utf8)
        try await w.expect(201, .post, "/connectors", json: #"{"name":"quiet","config":{"connector.class":"FileStreamSource","file":"\#(file)","topic":"q"}}"#)
        #expect(!w.log.contains("connector configuration:"))
        #expect(try await w.expect(200, .put, "/admin/loggers/connect", json: #"{"level":"DEBUG"}"#) == #"["connect"]"#)
        try await w.expect(201, .post, "/connectors", json: #"{"name":"loud","config":{"connector.class":"FileStreamSource","file":"\#(file)","topic":"q"}}"#)
        #expect(w.log.contains("connector configuration:"))
        try await w.expect(204, .delete, "/connectors/quiet")
        try await w.expect(204, .delete, "/connectors/loud")
        // Validation with a null value: 200, the error on its key.
        let withNull = try JSONValue.parse(try await w.expect(200, .put, "/connector-plugins/FileStreamSource/config/validate", json: #"{"connector.class":"FileStreamSource","topic":null,"name":"n"}"#))
        #expect(withNull["configs"]?.items.contains { $0["value"]?["name"]?.stringValue == "topic" && $0["value"]?["errors"]?.items.first?.stringValue == "Null value can not be supplied as the configuration value." } == true)

        // Protocol errors: unknown path, wrong method, media types, malformed and oversized bodies —
        // each answered with Kafka's status, and the worker keeps answering.
        #expect(try await w.expect(404, .get, "/nope") == #"{"error_code":404,"message":"HTTP 404 Not Found"}"#)
        #expect(try await w.expect(404, .get, "/connectors/x/tasks-config") == #"{"error_code":404,"message":"HTTP 404 Not Found"}"#)
        #expect(try await w.expect(405, .delete, "/connectors") == #"{"error_code":405,"message":"HTTP 405 Method Not Allowed"}"#)
        try await w.expect(405, .get, "/connectors/x/restart")
        try await w.expect(405, .post, "/connectors/x/pause")
        let wrongType = try await w.call(.post, "/connectors", json: #"{"name":"x","config":{}}"#, headers: [HTTPHeader("Content-Type", "text/plain")])
        #expect(wrongType.status == 415 && String(decoding: wrongType.body, as: UTF8.self) == #"{"error_code":415,"message":"HTTP 415 Unsupported Media Type"}"#)
        let notAcceptable = try await w.call(.get, "/connectors", headers: [HTTPHeader("Accept", "text/plain")])
        #expect(notAcceptable.status == 406)
        for body in ["{bad json", "", "[1,2]", #"{"name":"x"}"#, #"{"name":"x","config":{},"extra":1}"#, #"{"name":"x","config":{"a":{"b":1}}}"#,
                     #"{"name":"x","config":{},"initial_state":"bogus"}"#] {
            let r = try await w.call(.post, "/connectors", json: body)
            #expect(r.status == 500, "\(body) → \(r.status)")
            let envelope = try JSONValue.parse(String(decoding: r.body, as: UTF8.self))
            #expect(envelope.keys == ["error_code", "message"])
        }
        let big = #"{"name":"x","config":{"a":""# + String(repeating: "x", count: 8192) + #""}}"#
        #expect(try await w.expect(413, .post, "/connectors", json: big).contains("413"))
        #expect(try await w.expect(200, .get, "/connectors") == "[]")
        #expect(w.process.isRunning)
    }
}
