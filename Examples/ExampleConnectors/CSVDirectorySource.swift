public import ConnectKit
import Foundation

/// An example source connector: every row of the `*.csv` files in a directory becomes a record.
///
/// It shows what a source connector does: declare and validate its keys (`configDef`), split the
/// work between tasks (`taskConfigs`: each task gets some of the files), turn rows into `Struct`s
/// with a schema built from the header line, and name each record's place with a source partition
/// (`{"file": path}`) and offset (`{"row": n}`) so that a restarted task resumes after the last
/// committed row. A directory without CSV files is reported with `reportWaiting`.
///
/// ```json
/// {"name": "csv-in", "config": {"connector.class": "CSVDirectorySource", "directory": "/data/in",
///  "topic": "rows", "tasks.max": "2"}}
/// ```
public final class CSVDirectorySource: SourceConnector {
    private var config: [String: String] = [:]

    public required init() {}
    public var version: String { "1.0" }
    public var taskType: any SourceTask.Type { CSVDirectorySourceTask.self }

    public var configDef: ConfigDef {
        ConfigDef()
            .define("directory", .string, importance: .high, documentation: "Directory whose *.csv files are read.", validator: .nonEmptyString)
            .define("topic", .string, importance: .high, documentation: "Topic the rows are written to.", validator: .nonEmptyString)
            .define("batch.size", .int, default: 500, importance: .low, documentation: "Rows returned by one poll at most.", validator: .atLeast(1))
    }

    public func start(_ config: [String: String]) async throws {
        _ = try configDef.parse(config)  // throws ConfigError naming every bad key
        self.config = config
    }

    /// Files are dealt round-robin to at most `maxTasks` tasks (one file is read by one task only).
    /// With no file yet, one task watches the directory.
    public func taskConfigs(maxTasks: Int) async throws -> [[String: String]] {
        let files = CSVDirectorySource.csvFiles(in: config["directory"]!)
        guard !files.isEmpty else { return [config] }
        let count = min(maxTasks, files.count)
        return (0..<count).map { task in
            var c = config
            c["files"] = files.enumerated().filter { $0.offset % count == task }.map(\.element).joined(separator: ",")
            return c
        }
    }

    public func stop() async throws {}

    static func csvFiles(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".csv") }.sorted().map { directory + "/" + $0 }
    }
}

/// Reads the files given to it, row by row, from the row after the last committed one.
public final class CSVDirectorySourceTask: SourceTask {
    private var context: (any SourceTaskContext)?
    private var topic = ""
    private var batchSize = 500
    private var directory = ""
    /// Per file: the rows not yet returned, the schema from its header and the next row number.
    private var files: [(path: String, schema: Schema, rows: [[String]], next: Int)] = []
    private var loaded = false

    public required init() {}
    public var version: String { "1.0" }
    public func initialize(context: any SourceTaskContext) { self.context = context }

    public func start(_ config: [String: String]) async throws {
        topic = config["topic"]!
        batchSize = Int(config["batch.size"] ?? "500") ?? 500
        directory = config["directory"]!
    }

    private func load(_ paths: [String]) async throws {
        for path in paths {
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            guard let header = lines.first else { continue }
            var builder = SchemaBuilder.struct().name("example.csv.Row")
            for column in header { builder = builder.field(column, .optionalString) }
            // Resume after the last committed row of this file.
            let committed = try await context?.offsetStorageReader.offset(for: ["file": .string(path)])?["row"]?.int64Value
            files.append((path, try builder.build(), Array(lines.dropFirst()), committed.map { Int($0) + 1 } ?? 0))
        }
    }

    public func poll() async throws -> [SourceRecord] {
        if !loaded {
            let paths = context?.config["files"].map { $0.split(separator: ",").map(String.init) } ?? CSVDirectorySource.csvFiles(in: directory)
            guard !paths.isEmpty else {
                context?.reportWaiting("no *.csv file in \(directory) yet")
                try await Task.sleep(for: .seconds(1))
                return []
            }
            context?.reportWaiting(nil)
            try await load(paths)
            loaded = true
        }
        var records: [SourceRecord] = []
        for i in files.indices where records.count < batchSize {
            while files[i].next < files[i].rows.count && records.count < batchSize {
                let row = files[i].rows[files[i].next]
                var value = try Struct(files[i].schema)
                for (field, cell) in zip(files[i].schema.fields, row) { try value.put(field.name, .string(cell)) }
                records.append(SourceRecord(
                    sourcePartition: ["file": .string(files[i].path)], sourceOffset: ["row": .int64(Int64(files[i].next))],
                    topic: topic, valueSchema: files[i].schema, value: .struct(value)))
                files[i].next += 1
            }
        }
        if records.isEmpty { try await Task.sleep(for: .milliseconds(200)) }  // everything read: do not spin
        return records
    }

    public func stop() async throws {}
}
