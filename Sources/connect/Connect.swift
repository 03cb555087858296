public import ArgumentParser
import ConnectKit
import ConnectRuntime
import Foundation
public import Logging
import ServiceLifecycle

@main
struct Connect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Run Kafka Connect connectors in-process.",
        subcommands: [Standalone.self, Validate.self, Plugins.self, Demo.self],
        defaultSubcommand: Demo.self)
}

/// Reads a connector file: Kafka Connect JSON (`{"name":…,"config":{…}}` or a bare map) or properties.
func readConnectorFile(_ path: String) throws -> ConnectorConfigFile {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let trimmed = text.drop { $0.isWhitespace }
    if path.hasSuffix(".json") || trimmed.first == "{" { return try ConnectorConfigFile.parseJSON(text) }
    return try ConnectorConfigFile.parseProperties(text)
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
        abstract: "Run connectors like Kafka's connect-standalone: a worker properties file and connector files (JSON or properties).")

    @Argument(help: "The worker properties file (offset.storage.file.filename, offset.flush.interval.ms, ...).")
    var workerProperties: String

    @Argument(help: "Connector configuration files (.json or .properties).")
    var connectorFiles: [String] = []

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel: Logger.Level = .info

    func run() async throws {
        bootstrapLogging(logLevel)
        let logger = Logger(label: "connect")
        let workerText = try String(contentsOfFile: workerProperties, encoding: .utf8)
        let workerProps = try ConfigTransformer.standard.transform(try JavaProperties.parseDictionary(workerText))
        let worker = try Worker(config: try WorkerConfig(workerProps), logger: logger)
        for file in connectorFiles {
            let c = try readConnectorFile(file)
            try worker.add(try ConfigTransformer.standard.transform(c.config))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: worker)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate connector files; print every error at once.")

    @Argument(help: "Connector configuration files (.json or .properties).")
    var connectorFiles: [String]

    func run() throws {
        var failed = false
        for file in connectorFiles {
            do {
                let c = try readConnectorFile(file)
                let worker = try Worker()
                try worker.add(c.config)
                print("\(file): \(c.name) is valid")
            } catch let e as ConfigError {
                failed = true
                print("\(file): \(e)")
            }
        }
        if failed { throw ExitCode(1) }
    }
}

struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the connectors this build knows, with their versions and aliases.")

    func run() throws {
        for e in PluginRegistry.standard.entries {
            let kind = e.plugin.isSource ? "source" : "sink"
            print("\(e.name)\t\(kind)\t\(PluginRegistry.version(of: e.plugin))\t\(e.aliases.joined(separator: ", "))")
        }
        print("JsonConverter\tconverter\t\(ConnectKitVersion.current)\torg.apache.kafka.connect.json.JsonConverter")
        print("StringConverter\tconverter\t\(ConnectKitVersion.current)\torg.apache.kafka.connect.storage.StringConverter")
        print("ByteArrayConverter\tconverter\t\(ConnectKitVersion.current)\torg.apache.kafka.connect.converters.ByteArrayConverter")
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The `make run` demo: a schema, a struct, Kafka-compatible JSON, and a file pipeline.")

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

        // A file → topic → file pipeline on embedded defaults (in-memory topic, file offsets).
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-demo")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let input = dir.appendingPathComponent("input.txt").path
        let output = dir.appendingPathComponent("output.txt").path
        try (1...1000).map { "line \($0)" }.joined(separator: "\n").appending("\n").write(toFile: input, atomically: true, encoding: .utf8)
        let worker = try Worker(config: try WorkerConfig([
            "offset.storage.file.filename": dir.appendingPathComponent("offsets.json").path, "offset.flush.interval.ms": "100",
        ]))
        try worker.add(["name": "demo-source", "connector.class": "FileStreamSource", "file": input, "topic": "lines"])
        try worker.add(["name": "demo-sink", "connector.class": "FileStreamSink", "file": output, "topics": "lines"])
        let run = Task { try await worker.run() }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: output, encoding: .utf8), text.split(separator: "\n").count >= 1000 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        worker.stop()
        try await run.value
        let lines = (try? String(contentsOfFile: output, encoding: .utf8))?.split(separator: "\n").count ?? 0
        print("FileStreamSource → topic \"lines\" → FileStreamSink: \(lines) lines copied")
        print("  input:   \(input)\n  output:  \(output)\n  offsets: \(dir.appendingPathComponent("offsets.json").path)")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
