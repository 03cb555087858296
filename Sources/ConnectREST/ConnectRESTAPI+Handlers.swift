import ConnectKit
import ConnectRuntime

/// A request that cannot be served, with the status and message Kafka's API answers.
struct RESTFailure: Error {
    var status: Int
    var message: String

    init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    /// A herder error with Kafka's status; `notFound` replaces the "not found" message where the
    /// endpoint's Kafka text differs (`Unknown connector: x`).
    init(_ e: HerderError, notFound: String? = nil) {
        status = e.httpStatus
        message = e.kind == .notFound ? (notFound ?? e.message) : e.description
    }
}

extension ConnectRESTAPI {
    func handle(_ route: Route, method: String, request: RESTRequest) async -> RESTResponse {
        do {
            return try await serve(route, method: method, request: request)
        } catch let f as RESTFailure {
            return .error(f.status, f.message)
        } catch let e as HerderError {
            return .error(e.httpStatus, e.description)
        } catch {
            return .error(500, "\(error)")
        }
    }

    private func serve(_ route: Route, method: String, request: RESTRequest) async throws -> RESTResponse {
        let herder = worker.herder
        switch (route, method) {
        case (.root, _):
            return .json(200, .object([
                ("version", .string(Self.kafkaVersion)), ("commit", .string("connectkit-\(ConnectKitVersion.current)")),
                ("kafka_cluster_id", .string(clusterID)),
            ]))

        case (.health, _):
            if worker.isAcceptingWork {
                return .json(200, .object([("status", .string("healthy")), ("message", .string("Worker has completed startup and is ready to handle requests."))]))
            }
            return .json(503, .object([("status", .string("starting")), ("message", .string("Worker is still starting up."))]))

        case (.connectors, "GET"):
            let names = await herder.connectors()
            let expand = request.queryValues("expand")
            guard !request.query.filter({ $0.name == "expand" }).isEmpty else { return .json(200, .array(names.map { .string($0) })) }
            var out: [(key: String, value: JSONValue)] = []
            for name in names {
                var members: [(key: String, value: JSONValue)] = []
                for e in expand where !members.contains(where: { $0.key == e }) {
                    if e == "status", let status = try? await herder.connectorStatus(name) { members.append(("status", status.json)) }
                    if e == "info", let info = try? await herder.connectorInfo(name) { members.append(("info", connectorInfoJSON(info))) }
                }
                // A connector deleted while the answer is built is left out, as Kafka's.
                var exists = !members.isEmpty
                if !exists { exists = (try? await herder.connectorInfo(name)) != nil }
                if exists { out.append((name, .object(members))) }
            }
            return .json(200, .object(out))

        case (.connectors, _):  // POST
            let body = try parseObject(request.body)
            for m in body where !["name", "config", "initial_state"].contains(m.key) {
                throw RESTFailure(500, "Unrecognized field \"\(m.key)\" (class org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest), not marked as ignorable (3 known properties: \"config\", \"name\", \"initial_state\")")
            }
            let nameValue = body.last { $0.key == "name" }?.value
            let name: String
            switch nameValue {
            case .string(let s)?: name = s.trimmingWhitespace()
            case nil, .null?: name = ""
            case let other?: name = other.description
            }
            guard case .object(let members)? = body.last(where: { $0.key == "config" })?.value else {
                throw RESTFailure(500, "The request needs a \"config\" object (the connector's configuration)")
            }
            var initial = TargetState.started
            if let state = body.last(where: { $0.key == "initial_state" })?.value, !state.isNull {
                switch state.stringValue?.uppercased() {
                case "RUNNING"?: initial = .started
                case "PAUSED"?: initial = .paused
                case "STOPPED"?: initial = .stopped
                default:
                    throw RESTFailure(500, "Cannot construct instance of InitialState from \(state): not one of the values accepted for Enum class: [RUNNING, PAUSED, STOPPED]")
                }
            }
            var (config, nulls) = try configMap(members)
            if !nulls.isEmpty {
                config["name"] = config["name"] ?? name
                throw await nullValuesFailure(config, nulls: nulls)
            }
            let (_, info) = try await herder.putConnectorConfig(name, config, allowReplace: false, initialState: initial)
            return .json(201, connectorInfoJSON(info), headers: [("Location", location(request, name))])

        case (.connector(let name), "GET"):
            return .json(200, connectorInfoJSON(try await herder.connectorInfo(name)))

        case (.connector(let name), _):  // DELETE
            try await herder.deleteConnector(name)
            return .empty(204)

        case (.config(let name), "GET"):
            let config = try await herder.connectorConfig(name)
            return .json(200, configJSON(masked(config)))

        case (.config(let name), "PUT"):
            let existing = try? await herder.connectorConfig(name)
            var (config, nulls) = try configMap(try parseObject(request.body))
            if !nulls.isEmpty {
                config["name"] = config["name"] ?? name
                throw await nullValuesFailure(config, nulls: nulls)
            }
            config = keepingHiddenSecrets(config, existing: existing)
            let (created, info) = try await herder.putConnectorConfig(name, config, allowReplace: true, initialState: .started)
            return created ? .json(201, connectorInfoJSON(info), headers: [("Location", location(request, name))]) : .json(200, connectorInfoJSON(info))

        case (.config(let name), _):  // PATCH
            let existing = try await herder.connectorConfig(name)
            var merged = existing
            for m in try parseObject(request.body) {
                switch m.value {
                case .null: merged[m.key] = nil
                case .string(let s): merged[m.key] = s
                case .number(let n): merged[m.key] = n
                case .bool(let b): merged[m.key] = String(b)
                case .array, .object: throw RESTFailure(500, "The value of \(m.key) must be a string (or null to remove the key), not \(m.value.nodeType)")
                }
            }
            merged = keepingHiddenSecrets(merged, existing: existing)
            let (_, info) = try await herder.putConnectorConfig(name, merged, allowReplace: true, initialState: .started)
            return .json(200, connectorInfoJSON(info))

        case (.status(let name), _):
            return .json(200, try await herder.connectorStatus(name).json)

        case (.restart(let name), _):
            let includeTasks = request.queryValues("includeTasks").first?.lowercased() == "true"
            let onlyFailed = request.queryValues("onlyFailed").first?.lowercased() == "true"
            let status: ConnectorStatus
            do { status = try await herder.restartConnector(name, includeTasks: includeTasks, onlyFailed: onlyFailed) } catch {
                throw RESTFailure(error, notFound: "Unknown connector: \(name)")
            }
            return includeTasks || onlyFailed ? .json(202, status.json) : .empty(204)

        case (.pause(let name), _):
            do { try await herder.pauseConnector(name) } catch { throw RESTFailure(error, notFound: "Unknown connector \(name)") }
            return .empty(202)

        case (.resume(let name), _):
            do { try await herder.resumeConnector(name) } catch { throw RESTFailure(error, notFound: "Unknown connector \(name)") }
            return .empty(202)

        case (.stop(let name), _):
            do { try await herder.stopConnector(name) } catch { throw RESTFailure(error, notFound: "Unknown connector \(name)") }
            return .empty(204)

        case (.tasks(let name), _):
            let tasks = try await herder.taskConfigs(name)
            let connectorConfig = try? await herder.connectorConfig(name)
            return .json(200, .array(tasks.map { t in
                .object([("id", taskIDJSON(t.id)), ("config", configJSON(masked(t.config, connectorConfig: connectorConfig)))])
            }))

        case (.taskStatus(let name, let task), _):
            guard let status = try? await herder.connectorStatus(name), let t = status.tasks.first(where: { $0.id == task }) else {
                throw RESTFailure(404, "No status found for task \(name)-\(task)")
            }
            return .json(200, t.json)

        case (.taskRestart(let name, let task), _):
            do { _ = try await herder.connectorInfo(name) } catch { throw RESTFailure(error, notFound: "Unknown connector: \(name)") }
            try await herder.restartTask(name, task)
            return .empty(204)

        case (.topics(let name), _):
            guard config.topicTracking else { throw RESTFailure(403, "Topic tracking is disabled.") }
            let topics = await herder.connectorActiveTopics(name)
            return .json(200, .object([(name, .object([("topics", .array(topics.map { .string($0) }))]))]))

        case (.topicsReset(let name), _):
            guard config.topicTracking else { throw RESTFailure(403, "Topic tracking is disabled.") }
            guard config.topicTrackingReset else { throw RESTFailure(403, "Topic tracking reset is disabled.") }
            await herder.resetConnectorActiveTopics(name)
            return .empty(202)

        case (.offsets(let name), "GET"):
            return .json(200, offsetsJSON(try await herder.connectorOffsets(name)))

        case (.offsets(let name), "PATCH"):
            let body = try parseObject(request.body)
            let noOffsets: Bool
            switch body.last(where: { $0.key == "offsets" })?.value {
            case nil, .null?: noOffsets = true
            case .array(let items)?: noOffsets = items.isEmpty
            default: noOffsets = false
            }
            if noOffsets {
                throw RESTFailure(400, "Partitions / offsets need to be provided for an alter offsets request")
            }
            _ = try await herder.connectorInfo(name)  // Kafka: the 404 comes before any format error
            let message = try await herder.alterConnectorOffsets(name, try parseOffsets(body))
            return .json(200, .object([("message", .string(message))]))

        case (.offsets(let name), _):  // DELETE
            let message = try await herder.resetConnectorOffsets(name)
            return .json(200, .object([("message", .string(message))]))

        case (.plugins, _):
            let connectorsOnly = request.queryValues("connectorsOnly").first.map { $0.lowercased() == "true" } ?? true
            return .json(200, .array(pluginInfos(connectorsOnly: connectorsOnly)))

        case (.pluginConfig(let plugin), _):
            return .json(200, .array(try pluginConfigKeys(plugin, version: request.queryValues("version").first).map(configKeyJSON)))

        case (.validate(let plugin), _):
            let (config, nulls) = try configMap(try parseObject(request.body))
            return .json(200, try await validate(plugin, config, nulls: nulls))

        case (.loggers, _):
            return .json(200, .object(logLevels.loggers().map { ($0.name, loggerLevelJSON($0.level)) }))

        case (.logger(let name), "GET"):
            guard let level = logLevels.logger(name) else { throw RESTFailure(404, "Logger \(name) not found.") }
            return .json(200, loggerLevelJSON(level))

        case (.logger(let name), _):  // PUT
            let body = try parseObject(request.body)
            guard let level = body.last(where: { $0.key == "level" })?.value.stringValue else {
                throw RESTFailure(400, "Desired 'level' parameter was not specified in request.")
            }
            let changed: [String]
            do { changed = try logLevels.setLevel(name, level) } catch { throw RESTFailure(404, "invalid log level '\(level)'.") }
            if request.queryValues("scope").first?.lowercased() == "cluster" { return .empty(204) }
            return .json(200, .array(changed.map { .string($0) }))
        }
    }

    // MARK: Bodies

    /// The body as a JSON object's members; anything else is a 500 (Kafka's deserialization failures).
    func parseObject(_ body: [UInt8]) throws(RESTFailure) -> [(key: String, value: JSONValue)] {
        guard !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
            throw RESTFailure(500, "The request body is empty: a JSON object is expected")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(body) } catch { throw RESTFailure(500, "The request body is not valid JSON: \(error)") }
        guard case .object(let members) = json else { throw RESTFailure(500, "The request body must be a JSON object, not \(json.nodeType)") }
        return members
    }

    /// A configuration from a JSON object: scalars as strings (Kafka coerces `2` to `"2"`), an
    /// object or array value a 500; the keys whose value is `null` are returned apart (Kafka reports
    /// each as `Null value can not be supplied as the configuration value.` among the other errors).
    func configMap(_ members: [(key: String, value: JSONValue)]) throws(RESTFailure) -> (config: [String: String], nulls: [String]) {
        var config: [String: String] = [:]
        var nulls: [String] = []
        for m in members {
            switch m.value {
            case .string(let s): config[m.key] = s
            case .number(let n): config[m.key] = n
            case .bool(let b): config[m.key] = String(b)
            case .null: nulls.append(m.key)
            case .array, .object: throw RESTFailure(500, "The value of \(m.key) must be a string, not \(m.value.nodeType)")
            }
        }
        return (config, nulls)
    }

    static let nullValueError = "Null value can not be supplied as the configuration value."

    /// Kafka's 400 for a configuration with null values: those errors and every other problem of
    /// the rest of the configuration, in one message.
    func nullValuesFailure(_ config: [String: String], nulls: [String]) async -> RESTFailure {
        var errors = nulls.map { _ in Self.nullValueError }
        if let resolved = try? await worker.resolvedOffPool(config) {
            let infos = await worker.herder.validateConnectorConfig(resolved)
            errors += infos.configs.flatMap(\.value.errors)
        }
        return RESTFailure(400, "Connector configuration is invalid and contains the following \(errors.count) error(s):\n" + errors.joined(separator: "\n")
            + "\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`")
    }

    /// `{"offsets":[{"partition":{…},"offset":{…}|null},…]}`.
    func parseOffsets(_ members: [(key: String, value: JSONValue)]) throws(RESTFailure) -> [ConnectorOffset] {
        guard let list = members.last(where: { $0.key == "offsets" })?.value, !list.isNull else { return [] }
        guard case .array(let items) = list else { throw RESTFailure(500, "\"offsets\" must be an array") }
        var out: [ConnectorOffset] = []
        for item in items {
            guard case .object = item else { throw RESTFailure(500, "Each offset must be an object with \"partition\" and \"offset\"") }
            guard case .object(let p)? = item["partition"] else {
                throw RESTFailure(400, "The partition for a connector offset cannot be null or missing")
            }
            var offset: [String: Value]? = nil
            switch item["offset"] {
            case nil, .null?: offset = nil
            case .object(let o)?: offset = try valueMap(o)
            case let other?: throw RESTFailure(500, "An offset must be an object or null, not \(other.nodeType)")
            }
            out.append(ConnectorOffset(partition: try valueMap(p), offset: offset))
        }
        return out
    }

    private func valueMap(_ members: [(key: String, value: JSONValue)]) throws(RESTFailure) -> [String: Value] {
        var out: [String: Value] = [:]
        for m in members { out[m.key] = try value(m.value) }
        return out
    }

    /// A JSON value as Jackson reads it into a `Map<String, Object>`: integers as Integer/Long,
    /// decimals as Double.
    private func value(_ json: JSONValue) throws(RESTFailure) -> Value {
        switch json {
        case .null: return .null
        case .bool(let b): return .boolean(b)
        case .string(let s): return .string(s)
        case .number(let n):
            if let i = Int64(n) { return Int32(exactly: i).map { .int32($0) } ?? .int64(i) }
            return .float64(Double(n) ?? 0)
        case .array(let a):
            var items: [Value] = []
            for e in a { items.append(try value(e)) }
            return .array(items)
        case .object(let members):
            var entries: [MapEntry] = []
            for m in members { entries.append(MapEntry(key: .string(m.key), value: try value(m.value))) }
            return .map(MapValue(entries: entries))
        }
    }

    /// `Location`: the request's base with `/connectors/<name>` (the name percent-encoded).
    func location(_ request: RESTRequest, _ name: String) -> String {
        let host = request.header("Host") ?? config.workerID()
        return "\(request.scheme)://\(host)\(basePath)/connectors/\(Self.pathSegment(name))"
    }

    static func pathSegment(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(b >> 4)], hex[Int(b & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    // MARK: Secrets

    /// `config` with the values of secret keys (the connector's `PASSWORD` keys and keys named
    /// like secrets) shown as `[hidden]`, and passwords inside URLs hidden.
    func masked(_ config: [String: String], connectorConfig: [String: String]? = nil) -> [String: String] {
        let className = (connectorConfig ?? config)["connector.class"] ?? ""
        let definition = worker.registry.connector(className)?.plugin.instantiate().configDef
        return ParsedConfig.masked(config, definition: definition)
    }

    /// `config` where a secret key sent back as `[hidden]` keeps its stored value (so a `GET` → edit →
    /// `PUT` round trip does not overwrite a password with its mask).
    func keepingHiddenSecrets(_ config: [String: String], existing: [String: String]?) -> [String: String] {
        guard let existing else { return config }
        var out = config
        for (k, v) in config {
            guard let old = existing[k], old != v else { continue }
            // The value as GET showed it: `[hidden]`, or a URL with its password masked.
            if v == Password.hidden || (v.contains(Password.hidden) && ParsedConfig.withoutURLCredentials(old) == v) { out[k] = old }
        }
        return out
    }
}
