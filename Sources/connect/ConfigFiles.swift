import ConnectKit
import ConnectKafka
import ConnectRuntime
import ConnectPlugins
import ConnectREST
#if canImport(Glibc)
import Glibc
#endif
import Logging

/// A problem found in one of the files given on the command line, printed as `<file>: <message>`.
struct FileProblem: Error, CustomStringConvertible {
    var file: String
    var message: String
    var description: String { "\(file): \(message)" }
}

/// Reads a whole text file with POSIX calls, so that a failure reads like `cannot read: No such file
/// or directory` instead of a Foundation error dump.
func readTextFile(_ path: String) throws(FileProblem) -> String {
    do {
        return try TextFile.read(path)
    } catch {
        switch error {
        case .unreadable(let reason): throw FileProblem(file: path, message: "cannot read: \(reason)")
        case .notUTF8: throw FileProblem(file: path, message: "is not UTF-8 text")
        }
    }
}

/// Reads a connector file: Kafka Connect JSON (`{"name":…,"config":{…}}` or a bare map) or properties.
func readConnectorFile(_ path: String) throws(FileProblem) -> ConnectorConfigFile {
    let text = try readTextFile(path)
    let trimmed = text.drop { $0.isWhitespace }
    do {
        if path.hasSuffix(".json") || trimmed.first == "{" { return try ConnectorConfigFile.parseJSON(text) }
        return try ConnectorConfigFile.parseProperties(text)
    } catch {
        throw FileProblem(file: path, message: "\(error)")
    }
}

/// The worker and connector files of a `standalone` or `validate` command, loaded and checked the
/// same way by both: `${file:…}`, `${directory:…}` and `${env:…}` resolved, every file checked
/// (not only up to the first bad one), each problem attributed to its file.
struct LoadedConfiguration {
    /// The worker, when the worker file is valid (a stand-in for checking connectors otherwise).
    var worker: Worker?
    /// Connector configurations by file, in the order given; only the valid ones.
    var connectors: [(file: String, config: [String: String])] = []
    var problems: [FileProblem] = []
    /// The worker properties (references resolved, defaults added).
    var workerProperties: [String: String] = [:]
    /// Stored connectors that could not be restored (printed; the worker still starts).
    var warnings: [String] = []
    /// The REST API's settings (`standalone` only).
    var restConfig: RESTConfig?

    /// - Parameters:
    ///   - workerFile: the worker properties; nil for defaults.
    ///   - requireOffsetStorage: `standalone` needs `offset.storage.file.filename` (or the SQLite one),
    ///     as Kafka's `connect-standalone` does.
    ///   - defaults: worker keys used when the file does not set them.
    ///   - standalone: `standalone` keeps connectors created over REST in the config store
    ///     (`config.storage.file.filename`), restores them, and reads the REST keys.
    init(workerFile: String?, connectorFiles: [String], requireOffsetStorage: Bool, defaults: [String: String] = [:], standalone: Bool = false, logger: Logger) {
        var workerProps: [String: String] = [:]
        var workerValid = true
        if let workerFile {
            do {
                let text = try readTextFile(workerFile)
                workerProps = try ConfigTransformer.standard.transform(try JavaProperties.parseDictionary(text))
            } catch let p as FileProblem {
                problems.append(p)
                workerValid = false
            } catch {
                problems.append(FileProblem(file: workerFile, message: "\(error)"))
                workerValid = false
            }
            if workerValid, requireOffsetStorage, workerProps["offset.storage.file.filename"] == nil, workerProps["offset.storage.sqlite.filename"] == nil,
                workerProps["offset.storage.topic"] == nil || workerProps["bootstrap.servers"] == nil
            {
                problems.append(FileProblem(file: workerFile, message: "Missing required configuration \"offset.storage.file.filename\" which has no default value."))
            }
        }
        for (k, v) in defaults where workerProps[k] == nil { workerProps[k] = v }
        workerProperties = workerProps
        do {
            let workerConfig = try WorkerConfig(workerProps)
            // With bootstrap.servers, topics are Kafka's; offsets are in the file, as connect-standalone
            // keeps them, or in offset.storage.topic when the worker names one (as Kafka's
            // distributed workers keep them).
            let kafka = workerConfig.bootstrapServers.isEmpty ? nil : try KafkaTransport(worker: workerProps)
            if kafka != nil, workerProps["offset.storage.topic"] != nil, let file = workerProps["offset.storage.file.filename"] ?? workerProps["offset.storage.sqlite.filename"] {
                throw ConfigError(key: "offset.storage.topic", message:
                    "offsets would be kept in Kafka and the offsets in \(file) ignored: set offset.storage.topic or the offsets file, not both", context: "worker")
            }
            // `validate` creates nothing on the cluster: only `standalone` opens the offsets topic.
            let offsetStore = requireOffsetStorage ? try kafka?.makeOffsetStore() : nil
            var workerID = "connectkit-standalone"
            var configStore: (any ConnectorConfigStore)? = nil
            if standalone {
                let rest = try RESTConfig(worker: workerProps).withFreePorts()
                restConfig = rest
                workerID = rest.workerID()
                if let file = workerConfig.configStorageFile { configStore = try FileConnectorConfigStore(path: file) }
            }
            worker = try Worker(
                config: workerConfig, registry: .standard, offsetStore: offsetStore, transport: kafka, logger: logger, workerID: workerID,
                configStore: configStore)
        } catch {
            problems.append(FileProblem(file: workerFile ?? "worker", message: "\(error)"))
            workerValid = false
            // Still check every connector file, against a worker without the bad keys.
            let bad = Set((error as? ConfigError)?.keys ?? [])
            worker = try? Worker(config: try WorkerConfig(workerProps.filter { !bad.contains($0.key) }), registry: .standard, logger: logger)
        }
        for file in connectorFiles {
            do {
                let parsed = try readConnectorFile(file)
                // Checked here for the file's sake; the worker resolves the references itself and
                // shows them unresolved over REST.
                do { _ = try ConfigTransformer.standard.transform(parsed.config) } catch { throw FileProblem(file: file, message: "\(error)") }
                try worker?.add(parsed.config)
                connectors.append((file, parsed.config))
            } catch let p as FileProblem {
                problems.append(p)
            } catch {
                problems.append(FileProblem(file: file, message: "\(error)"))
            }
        }
        if workerValid, let worker, worker.configStore != nil {
            // Connectors created over REST before a restart; a connector file of the same name wins.
            let store = worker.config.configStorageFile ?? "config store"
            let fromFiles = Set(connectors.compactMap { $0.config["name"] })
            do {
                for shadowed in try worker.configStore?.load().map(\.name).filter(fromFiles.contains) ?? [] {
                    warnings.append("\(store): connector \(shadowed) created over REST is not started: a connector file defines \(shadowed) (the file wins; the stored one stays)")
                }
                for (name, error) in try worker.restoreStoredConnectors(except: fromFiles) {
                    warnings.append("\(store): connector \(name) was not started: \(error) (it stays in the store: fix what it refers to and restart, or DELETE /connectors/\(name))")
                }
            } catch {
                problems.append(FileProblem(file: worker.config.configStorageFile ?? "config store", message: "\(error)"))
            }
        }
        if !workerValid { worker = nil }
    }
}

/// Writes a line to standard error.
func printError(_ line: String, newline: Bool = true) {
    let bytes = Array((newline ? line + "\n" : line).utf8)
    var written = 0
    while written < bytes.count {
        let n = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress! + written, bytes.count - written) }
        if n <= 0 { if errno == EINTR { continue } else { return } }
        written += n
    }
}
