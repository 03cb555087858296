import ArgumentParser
import ConnectKit
import ConnectRuntime
import Foundation

/// `connect topics`: the durable local topic logs of a worker — where dead-letter queues go when no
/// Kafka is configured.
struct Topics: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and print the durable local topics (dead-letter queues) of a worker.",
        discussion: "The logs live in the worker's local.topics.dir (default: the offsets file's path followed by .topics).",
        subcommands: [List.self, Print.self], defaultSubcommand: List.self)

    /// The local topic logs of the worker file, or nil when its directory does not exist yet.
    static func logs(_ workerFile: String) throws -> (directory: String, logs: LocalTopicLogs?) {
        let props: [String: String]
        do { props = try ConfigTransformer.standard.transform(try JavaProperties.parseDictionary(try readTextFile(workerFile))) } catch let p as FileProblem {
            throw fail("\(p)")
        } catch {
            throw fail("\(workerFile): \(error)")
        }
        let config: WorkerConfig
        do { config = try WorkerConfig(props) } catch { throw fail("\(workerFile): \(error)") }
        guard let dir = config.localTopicsDirectory else {
            throw fail("\(workerFile): no local topics: set local.topics.dir or offset.storage.file.filename")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else { return (dir, nil) }
        do { return (dir, try LocalTopicLogs(directory: dir)) } catch { throw fail("\(error)") }
    }

    /// Prints a problem on stderr; the command exits with status 1.
    static func fail(_ message: String) -> ExitCode {
        printError(message)
        return ExitCode(1)
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the local topics with their record counts.")

        @Argument(help: "The worker properties file.")
        var workerProperties: String

        func run() throws {
            let (dir, logs) = try Topics.logs(workerProperties)
            guard let logs, case let topics = try logs.topics(), !topics.isEmpty else {
                print("no local topics in \(dir)")
                return
            }
            for topic in topics {
                let records = try logs.records(topic: topic)
                print("\(topic)\t\(records.count) record(s)\t\(logs.path(of: topic))")
            }
        }
    }

    struct Print: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the records of a local topic: offset, timestamp, key, value and headers.")

        @Argument(help: "The worker properties file.")
        var workerProperties: String

        @Argument(help: "The topic (e.g. a dead-letter queue's errors.deadletterqueue.topic.name).")
        var topic: String

        @Option(help: "The first offset to print.")
        var fromOffset: Int64 = 0

        @Option(help: "Print at most this many records.")
        var maxRecords: Int = .max

        @Flag(help: "One JSON object per record (bytes that are not UTF-8 as base64, with \"…_base64\" keys).")
        var json = false

        func run() throws {
            let (dir, logs) = try Topics.logs(workerProperties)
            guard let logs, try logs.topics().contains(topic) else {
                throw Topics.fail("no local topic '\(topic)' in \(dir): nothing was written to it (yet)")
            }
            for r in try logs.records(topic: topic, from: fromOffset, max: maxRecords) {
                print(json ? Self.json(r) : Self.text(r))
            }
        }

        static func text(_ r: ConsumedRecord) -> String {
            func show(_ b: [UInt8]?) -> String {
                guard let b else { return "null" }
                return String(validating: b, as: UTF8.self) ?? "base64:" + Data(b).base64EncodedString()
            }
            var line = "offset=\(r.offset) timestamp=\(r.record.timestamp.map(String.init) ?? "none") key=\(show(r.record.key)) value=\(show(r.record.value))"
            for h in r.record.headers { line += "\n  \(h.key)=\(show(h.value))" }
            return line
        }

        static func json(_ r: ConsumedRecord) -> String {
            func bytes(_ name: String, _ b: [UInt8]?) -> (key: String, value: JSONValue) {
                guard let b else { return (name, .null) }
                if let s = String(validating: b, as: UTF8.self) { return (name, .string(s)) }
                return (name + "_base64", .string(Data(b).base64EncodedString()))
            }
            let headers: [JSONValue] = r.record.headers.map { h in .object([("key", .string(h.key)), bytes("value", h.value)]) }
            return JSONValue.object([
                ("topic", .string(r.topic)), ("partition", .number(String(r.partition))), ("offset", .number(String(r.offset))),
                ("timestamp", r.record.timestamp.map { .number(String($0)) } ?? .null),
                bytes("key", r.record.key), bytes("value", r.record.value), ("headers", .array(headers)),
            ]).description
        }
    }
}
