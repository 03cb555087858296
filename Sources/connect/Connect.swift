public import ArgumentParser
import ConnectKit
import ConnectRuntime
import ConnectPlugins
import ConnectREST
import ConnectSQLiteDriver
import Foundation
#if canImport(Glibc)
import Glibc
#endif
public import Logging
import Synchronization

@main
struct Connect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Run Kafka Connect connectors in-process.",
        subcommands: [Standalone.self, Validate.self, Topics.self, Plugins.self, MockBroker.self, Demo.self],
        defaultSubcommand: Demo.self)
}

func bootstrapLogging(_ level: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var h = StreamLogHandler.standardError(label: label)
        h.logLevel = level
        return h
    }
}

struct Standalone: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run connectors like Kafka's connect-standalone: a worker properties file and connector files (JSON or properties).",
        discussion: """
            The worker file must set offset.storage.file.filename (or offset.storage.sqlite.filename). Every file is \
            checked before anything starts; each problem is printed with the file it comes from. SIGINT or SIGTERM \
            stops gracefully (sinks flush, offsets are committed) within task.shutdown.graceful.timeout.ms + \
            offset.flush.timeout.ms; a second signal exits at once (records not yet acknowledged are delivered again \
            on restart). Signals less than 300 ms after the first count as the same one (tools such as timeout(1) \
            signal a process and then its group).
            """)

    @Argument(help: "The worker properties file (offset.storage.file.filename, offset.flush.interval.ms, key.converter, ...). pipeline.mode defaults to topic here.")
    var workerProperties: String

    @Argument(help: "Connector configuration files (.json or .properties).")
    var connectorFiles: [String] = []

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel: Logger.Level = .info

    func run() async throws {
        // Levels the REST API's /admin/loggers reads and changes while the worker runs.
        let levels = LogLevels(root: logLevel)
        LoggingSystem.bootstrap { levels.makeHandler(label: $0) }
        let logger = Logger(label: "connect")
        // Like connect-standalone, records go through (in-memory) topics and the worker's converters.
        let loaded = LoadedConfiguration(
            workerFile: workerProperties, connectorFiles: connectorFiles, requireOffsetStorage: true, defaults: ["pipeline.mode": "topic"],
            standalone: true, logger: logger)
        guard loaded.problems.isEmpty, let worker = loaded.worker else {
            for p in loaded.problems { printError("\(p)") }
            throw ExitCode(1)
        }
        for w in loaded.warnings { printError("warning: \(w)") }
        let restFailed = Mutex(false)
        #if REST
        // The REST API (Kafka's RestServer). A listener set in the worker file that cannot bind stops
        // the worker, as Kafka's does; the default one (http://:8083) in use only warns.
        let explicitListeners = !(loaded.workerProperties["listeners"] ?? "").trimmingWhitespace().isEmpty
        let server: ConnectRESTServer
        do {
            server = try ConnectRESTServer(
                api: try ConnectRESTAPI(worker: worker, config: loaded.restConfig, logLevels: levels), logger: Logger(label: "connectkit.rest"))
        } catch {
            printError("\(workerProperties): \(error)")
            throw ExitCode(1)
        }
        let rest = Task {
            do { try await server.run() } catch is CancellationError {} catch {
                if explicitListeners {
                    printError("REST API: cannot listen on \(server.api.config.listeners.map(\.description).joined(separator: ", ")): \(error); stopping")
                    restFailed.withLock { $0 = true }
                    worker.stop()
                } else {
                    printError("warning: REST API not started: cannot listen on http://:8083 (\(error)); set listeners=http://host:port in the worker file")
                }
            }
        }
        let announce = Task {
            let ports = await server.boundPorts()
            for (l, port) in zip(server.api.config.listeners, ports) where port != nil {
                printError("REST API listening on \(l.scheme)://\(l.host.isEmpty ? "0.0.0.0" : l.host):\(port!)")
            }
        }
        defer {
            rest.cancel()
            announce.cancel()
        }
        #endif
        let signals = StopSignals { count in
            if count == 1 {
                printError("stopping: sinks flush and offsets are committed (a second signal exits at once)")
                worker.stop()
            } else {
                let p = worker.progress
                printError("second signal: exiting now; \(p.recordsInFlight) record(s) in flight are not acknowledged and will be delivered again on restart")
                Glibc.exit(130)
            }
        }
        defer { signals.cancel() }
        let progress = isatty(STDERR_FILENO) == 1 ? Task { await showProgress(worker) } : nil
        defer { progress?.cancel() }
        try await worker.run()
        if progress != nil { printError("") }
        if !worker.abandoned.isEmpty { printError("abandoned at shutdown (still running after the timeouts): \(worker.abandoned.joined(separator: ", "))") }
        if restFailed.withLock({ $0 }) { throw ExitCode(1) }
    }

    /// Rewrites one status line on the terminal every second: records/s in and out, lag, errors.
    private func showProgress(_ worker: Worker) async {
        var previous = worker.progress
        var last = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let now = ContinuousClock.now
            let current = worker.progress
            printError("\r\u{1B}[K" + current.line(since: previous, elapsed: now - last), newline: false)
            previous = current
            last = now
        }
    }
}

/// SIGINT and SIGTERM handled by the process: `handler` gets the number of signals so far. Signals
/// within 300 ms of the first count as one (tools like `timeout` signal a process and then its
/// group; a person pressing Ctrl-C again is slower). (`sources` is only touched by `init` and `cancel`.)
final class StopSignals: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable (Int) -> Void) {
        let state = Mutex<(count: Int, first: ContinuousClock.Instant?)>((0, nil))
        sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                let n = state.withLock { s -> Int? in
                    let now = ContinuousClock.now
                    if let first = s.first, now - first < .milliseconds(300) { return nil }
                    s.count += 1
                    if s.first == nil { s.first = now }
                    return s.count
                }
                if let n { handler(n) }
            }
            source.resume()
            return source
        }
    }

    func cancel() { for s in sources { s.cancel() } }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate connector files as standalone would (config providers resolved); print every error at once.")

    @Option(help: "A worker properties file: its converters and settings are used (and checked) too.")
    var worker: String?

    @Argument(help: "Connector configuration files (.json or .properties).")
    var connectorFiles: [String]

    func run() throws {
        var logger = Logger(label: "connect") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        // Without a worker file, a dead-letter queue is checked as if the worker had a directory for
        // its durable local topic (standalone requires an offsets file, which gives it one); with
        // --worker, the real one is checked. Nothing is created either way.
        let defaults = worker == nil ? ["local.topics.dir": FileManager.default.temporaryDirectory.appendingPathComponent("connect-validate.topics").path] : [:]
        let loaded = LoadedConfiguration(workerFile: worker, connectorFiles: connectorFiles, requireOffsetStorage: false, defaults: defaults, logger: logger)
        for c in loaded.connectors { print("\(c.file): \(c.config["name"] ?? "") is valid") }
        for p in loaded.problems { printError("\(p)") }
        if !loaded.problems.isEmpty { throw ExitCode(1) }
    }
}

struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the connectors, converters, transformations and predicates this build knows, with versions and aliases.")

    func run() throws {
        let r = PluginRegistry.standard
        let version = ConnectKitVersion.current
        var rows: [(String, String, String, String)] = []
        for e in r.connectors.entries { rows.append((e.name, e.plugin.isSource ? "source" : "sink", PluginRegistry.version(of: e.plugin), e.aliases.joined(separator: ", "))) }
        for e in r.converters.entries { rows.append((e.name, "converter", version, e.aliases.joined(separator: ", "))) }
        for e in r.headerConverters.entries { rows.append((e.name, "header_converter", version, e.aliases.joined(separator: ", "))) }
        for e in r.transformations.entries { rows.append((e.name, "transformation", version, e.aliases.joined(separator: ", "))) }
        for e in r.predicates.entries { rows.append((e.name, "predicate", version, e.aliases.joined(separator: ", "))) }
        for (name, kind, v, aliases) in rows { print("\(name)\t\(kind)\t\(v)\t\(aliases)") }
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The `make run` demo: a schema and Kafka-compatible JSON, then the seed's pipeline — a SQLite database → JdbcSourceConnector → transformations → S3SinkConnector (Parquet) into a local data lake.")

    @Option(help: "Where the demo's database, offsets and lake go (emptied first).")
    var directory: String = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-demo").path

    @Option(help: "Rows the demo's orders table gets.")
    var rows: Int = 10_000

    func run() async throws {
        bootstrapLogging(.warning)
        let schema = try SchemaBuilder.struct().name("shop.orders.Value")
            .field("id", .int64).field("customer", .string).field("email", .optionalString)
            .field("amount", .decimal(scale: 2)).field("created_at", .timestamp).field("tags", .array(.string))
            .build()
        var order = try Struct(schema)
        try order.put("id", .int64(42))
        try order.put("customer", "ada")
        try order.put("amount", .decimal(BigDecimal("19.99")!))
        try order.put("created_at", .timestamp(1_700_000_000_000))
        try order.put("tags", ["gift", "express"])
        let converter = JSONConverter(schemasEnabled: false)
        let bytes = try converter.fromConnectData(topic: "orders", schema: schema, value: .struct(order))!
        print("JsonConverter (schemas.enable=false): " + String(decoding: bytes, as: UTF8.self))

        // The seed's pipeline on embedded defaults: a SQLite database made here → Confluent's JDBC
        // source (incrementing mode) → Kafka's transformations → Confluent's S3 sink writing Parquet
        // into the local storage backend, offsets in a file.
        let dir = URL(fileURLWithPath: directory)
        // Emptied first — only a directory this demo made (or an empty or missing one).
        let marker = dir.appendingPathComponent(".connectkit-demo")
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        // What this demo (and its earlier versions) leave there.
        let ours: Set<String> = [".connectkit-demo", "shop.db", "shop.db-wal", "shop.db-shm", "offsets.json", "offsets.json.tmp", "offsets.json.topics",
                                 "offsets.json.connectors.json", "lake", "orders.txt", ".orders.txt.connect-flushed"]
        if !existing.isEmpty && !FileManager.default.fileExists(atPath: marker.path) && !existing.allSatisfy(ours.contains) {
            printError("\(dir.path) exists and was not made by this demo: not emptying it (choose another --directory)")
            throw ExitCode(1)
        }
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: marker.path, contents: nil)
        let database = dir.appendingPathComponent("shop.db").path
        let lake = dir.appendingPathComponent("lake")
        let db = try SQLiteConnection(path: database)
        try db.execute("""
            CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customer TEXT NOT NULL, email TEXT, amount REAL NOT NULL, status TEXT NOT NULL);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows))
            INSERT INTO orders (customer, email, amount, status)
            SELECT 'customer-' || (i % 97), 'user' || i || '@example.com', round((i * 137) % 50000 / 100.0, 2),
                   CASE i % 3 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' ELSE 'shipped' END FROM n;
            """)
        let worker = try Worker(
            config: try WorkerConfig(["offset.storage.file.filename": dir.appendingPathComponent("offsets.json").path, "offset.flush.interval.ms": "200"]),
            registry: .standard)
        try worker.add([
            "name": "shop-orders", "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
            "connection.url": "jdbc:sqlite:\(database)", "mode": "incrementing", "incrementing.column.name": "id",
            "table.whitelist": "orders", "topic.prefix": "shop-", "poll.interval.ms": "200",
            "transforms": "mask,source",
            "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskField$Value", "transforms.mask.fields": "email",
            "transforms.source.type": "org.apache.kafka.connect.transforms.InsertField$Value",
            "transforms.source.static.field": "source", "transforms.source.static.value": "demo",
        ])
        try worker.add([
            "name": "lake", "connector.class": "io.confluent.connect.s3.S3SinkConnector", "topics": "shop-orders",
            "s3.bucket.name": "my-data-lake", "s3.region": "us-east-1", "store.url": "file://\(lake.path)",
            "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat", "flush.size": "1000",
        ])
        let started = ContinuousClock.now
        let run = Task { try await worker.run() }
        let expected = rows / 1000
        func objects() -> [String] {
            let e = FileManager.default.enumerator(atPath: lake.path)
            var out: [String] = []
            while let f = e?.nextObject() as? String { if f.hasSuffix(".parquet") { out.append(f) } }
            return out.sorted()
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, objects().count < expected { try await Task.sleep(for: .milliseconds(50)) }
        worker.stop()
        try await run.value
        let elapsed = ContinuousClock.now - started
        let written = objects()
        print("SQLite (\(rows) orders) → JdbcSourceConnector → MaskField, InsertField → S3SinkConnector (Parquet, flush.size=1000): \(written.count) objects in \(elapsed)")
        for key in written {
            let size = (try? FileManager.default.attributesOfItem(atPath: lake.appendingPathComponent(key).path)[.size] as? Int) ?? 0
            print("  \(key)  \(size) bytes")
        }
        print("  lake:    \(lake.path)\n  offsets: \((try? String(contentsOfFile: dir.appendingPathComponent("offsets.json").path, encoding: .utf8)) ?? "")")
        if rows % 1000 != 0 { print("  (the last \(rows % 1000) rows wait in the sink for the next 1000: flush.size)") }
        if written.count < expected { throw ExitCode(1) }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
