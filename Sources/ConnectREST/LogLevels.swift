#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging
import Synchronization

/// Logger levels that can be changed while the process runs — what Kafka Connect's
/// `/admin/loggers` endpoints read and set — over swift-log.
///
/// Loggers are named by their swift-log label (`connect`, `connectkit.worker`, …) and form a
/// hierarchy by dots, as log4j's: a logger without a level of its own uses its nearest ancestor's,
/// and `root`'s at the top. Handlers made by ``makeHandler(label:)`` read the current level on every
/// log call, so a change applies at once to every logger already created.
///
/// ```swift
/// let levels = LogLevels(root: .info)
/// LoggingSystem.bootstrap { levels.makeHandler(label: $0) }
/// try levels.setLevel("connectkit.worker", "DEBUG")   // PUT /admin/loggers/connectkit.worker
/// ```
///
/// Level names are log4j's, as Kafka's API takes and shows them: `OFF`, `FATAL`, `ERROR`, `WARN`,
/// `INFO`, `DEBUG`, `TRACE` (`ALL` is taken as `TRACE`; swift-log's `NOTICE`, `WARNING`,
/// `CRITICAL` as `INFO`, `WARN`, `FATAL`), any case. Checking a level costs one atomic load
/// while no level changes.
public final class LogLevels: Sendable {
    /// A level as log4j names it, with the swift-log level it lets through (nil: nothing).
    public enum Level: String, Sendable, Hashable, CaseIterable {
        /// Nothing is logged.
        case off = "OFF"
        /// swift-log's `critical`.
        case fatal = "FATAL"
        /// swift-log's `error`.
        case error = "ERROR"
        /// swift-log's `warning`.
        case warn = "WARN"
        /// swift-log's `info` (and `notice`).
        case info = "INFO"
        /// swift-log's `debug`.
        case debug = "DEBUG"
        /// swift-log's `trace`.
        case trace = "TRACE"

        /// The level named `text` (log4j's names, `ALL` as `TRACE`, swift-log's names), any case.
        public init?(name text: String) {
            switch text.uppercased() {
            case "OFF": self = .off
            case "FATAL", "CRITICAL": self = .fatal
            case "ERROR": self = .error
            case "WARN", "WARNING": self = .warn
            case "INFO", "NOTICE": self = .info
            case "DEBUG": self = .debug
            case "TRACE", "ALL": self = .trace
            default: return nil
            }
        }

        /// The lowest swift-log level logged; nil for ``off``.
        public var swiftLogLevel: Logger.Level? {
            switch self {
            case .off: nil
            case .fatal: .critical
            case .error: .error
            case .warn: .warning
            case .info: .info
            case .debug: .debug
            case .trace: .trace
            }
        }

        /// The log4j level for a swift-log level.
        public init(_ level: Logger.Level) {
            switch level {
            case .trace: self = .trace
            case .debug: self = .debug
            case .info, .notice: self = .info
            case .warning: self = .warn
            case .error: self = .error
            case .critical: self = .fatal
            }
        }
    }

    /// A logger's effective level and when it was last set over the API.
    public struct LoggerLevel: Sendable, Hashable {
        /// The effective level.
        public var level: Level
        /// Milliseconds since the epoch of the last change through ``setLevel(_:_:)``; nil when none.
        public var lastModified: Int64?
    }

    private struct State {
        var root: Level
        var rootModified: Int64?
        /// Loggers with a level of their own.
        var explicit: [String: (level: Level, modified: Int64?)] = [:]
        /// Every logger created or named so far.
        var known: Set<String> = []

        func effective(_ name: String) -> Level {
            var n = Substring(name)
            while true {
                if let e = explicit[String(n)] { return e.level }
                guard let dot = n.lastIndex(of: ".") else { return root }
                n = n[..<dot]
            }
        }
    }

    private let state: Mutex<State>
    /// Moves on every change, so handlers know when their cached level is stale.
    private let generation = Atomic<UInt64>(1)

    /// Levels with `root` at `root` and no logger set.
    public init(root: Logger.Level = .info) {
        state = Mutex(State(root: Level(root)))
    }

    /// A swift-log handler for `label` that writes to standard error (swift-log's
    /// `StreamLogHandler`) at the level this registry says for `label` at each call.
    public func makeHandler(label: String) -> any LogHandler {
        if !label.isEmpty { state.withLock { _ = $0.known.insert(label) } }
        return Handler(label: label, levels: self, stream: StreamLogHandler.standardError(label: label), cache: LevelCache())
    }

    /// The effective level of `name` (`root` for the root).
    public func level(of name: String) -> Level {
        state.withLock { name == "root" ? $0.root : $0.effective(name) }
    }

    /// Every logger created or set, and `root`, with its effective level, sorted by name (what
    /// `GET /admin/loggers` answers).
    public func loggers() -> [(name: String, level: LoggerLevel)] {
        state.withLock { s in
            var out: [(name: String, level: LoggerLevel)] = [("root", LoggerLevel(level: s.root, lastModified: s.rootModified))]
            for name in s.known.union(s.explicit.keys).sorted() where name != "root" && !name.isEmpty {
                out.append((name, LoggerLevel(level: s.effective(name), lastModified: s.explicit[name]?.modified)))
            }
            return out.sorted { $0.name < $1.name }
        }
    }

    /// One logger's level; nil when no logger of that name was created or set (Kafka's 404).
    public func logger(_ name: String) -> LoggerLevel? {
        state.withLock { s in
            if name == "root" { return LoggerLevel(level: s.root, lastModified: s.rootModified) }
            guard s.known.contains(name) || s.explicit[name] != nil else { return nil }
            return LoggerLevel(level: s.effective(name), lastModified: s.explicit[name]?.modified)
        }
    }

    /// Sets `name` and every logger below it (`root`: every logger) to `level`, as Kafka's
    /// `PUT /admin/loggers/{name}`; returns the loggers whose level changed, sorted.
    /// - Throws: ``InvalidLevel`` when `level` is not a level name.
    @discardableResult
    public func setLevel(_ name: String, _ level: String) throws(InvalidLevel) -> [String] {
        guard let new = Level(name: level) else { throw InvalidLevel(level: level) }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let now = Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
        defer { generation.add(1, ordering: .releasing) }
        return state.withLock { s in
            var changed: [String] = []
            let targets: [String]
            if name == "root" {
                if s.root != new { changed.append("root") }
                s.root = new
                s.rootModified = now
                targets = Array(s.known.union(s.explicit.keys))
            } else {
                s.known.insert(name)
                targets = s.known.union(s.explicit.keys).filter { $0 == name || $0.hasPrefix(name + ".") }
            }
            for t in targets where t != "root" && !t.isEmpty {
                if s.effective(t) != new { changed.append(t) }
                s.explicit[t] = (new, now)
            }
            return changed.sorted()
        }
    }

    /// A level name that is not one (Kafka answers 404 `invalid log level 'X'.`).
    public struct InvalidLevel: Error, Sendable {
        /// The name as given.
        public var level: String
    }

    /// A handler's effective level and the generation it was read at, in one atomic word: the
    /// level check of a log call is one atomic load while nothing changes.
    final class LevelCache: Sendable {
        let packed = Atomic<UInt64>(0)  // generation << 8 | level index; generation 0: never read
    }

    /// The effective level of `label`, through `cache`.
    fileprivate func cachedLevel(_ label: String, _ cache: LevelCache) -> Level {
        let g = generation.load(ordering: .acquiring)
        let p = cache.packed.load(ordering: .relaxed)
        if p >> 8 == g { return Level.allCases[Int(p & 0xFF)] }
        let level = self.level(of: label)
        cache.packed.store(g << 8 | UInt64(Level.allCases.firstIndex(of: level)!), ordering: .relaxed)
        return level
    }

    /// Writes through swift-log's stream handler at the registry's current level for its label.
    struct Handler: LogHandler {
        let label: String
        let levels: LogLevels
        var stream: StreamLogHandler
        let cache: LevelCache
        /// A level set on this handler by code (`logger.logLevel = …`), which wins over the registry's.
        var local: Logger.Level?

        init(label: String, levels: LogLevels, stream: StreamLogHandler, cache: LevelCache) {
            self.label = label
            self.levels = levels
            self.stream = stream
            self.cache = cache
        }

        var metadata: Logger.Metadata {
            get { stream.metadata }
            set { stream.metadata = newValue }
        }

        var metadataProvider: Logger.MetadataProvider? {
            get { stream.metadataProvider }
            set { stream.metadataProvider = newValue }
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { stream[metadataKey: key] }
            set { stream[metadataKey: key] = newValue }
        }

        var logLevel: Logger.Level {
            get { local ?? levels.cachedLevel(label, cache).swiftLogLevel ?? .critical }
            set { local = newValue }
        }

        func log(event: LogEvent) {
            if local == nil, levels.cachedLevel(label, cache) == .off { return }
            stream.log(event: event)
        }
    }
}
