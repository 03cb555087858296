import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Supplies values for `${provider:path:key}` references in configurations
/// (`org.apache.kafka.common.config.provider.ConfigProvider`).
public protocol ConfigProvider: Sendable {
    /// The values of `keys` under `path` (`path` is empty for `${provider:key}`). Keys it does not
    /// know are left out of the result.
    func get(path: String, keys: Set<String>) throws -> [String: String]
}

/// `${file:/path/to/file.properties:key}` — a key of a Java properties file (Kafka's `FileConfigProvider`).
public struct FileConfigProvider: ConfigProvider {
    /// A provider reading properties files (UTF-8) from the path in the reference.
    public init() {}
    public func get(path: String, keys: Set<String>) throws -> [String: String] {
        guard !path.isEmpty else { return [:] }
        let text = try TextFile.read(path)
        return try JavaProperties.parseDictionary(text).filter { keys.contains($0.key) }
    }
}

/// `${directory:/path/to/dir:file}` — the content of a file in a directory (Kafka's `DirectoryConfigProvider`).
public struct DirectoryConfigProvider: ConfigProvider {
    /// A provider reading whole files (UTF-8) from the directory in the reference; a key with `/` is ignored.
    public init() {}
    public func get(path: String, keys: Set<String>) throws -> [String: String] {
        var out: [String: String] = [:]
        for k in keys where !k.contains("/") {
            let file = (path as NSString).appendingPathComponent(k)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDir), !isDir.boolValue else { continue }
            out[k] = try TextFile.read(file)
        }
        return out
    }
}

/// `${env:NAME}` — an environment variable (Kafka's `EnvVarConfigProvider`).
public struct EnvironmentConfigProvider: ConfigProvider {
    let environment: @Sendable () -> [String: String]

    /// A provider over this process's environment, read at each lookup.
    public init() { environment = { ProcessInfo.processInfo.environment } }

    /// A provider over a fixed environment (for tests).
    public init(_ values: [String: String]) { environment = { values } }

    public func get(path: String, keys: Set<String>) throws -> [String: String] {
        let env = environment()
        var out: [String: String] = [:]
        for k in keys { if let v = env[k] { out[k] = v } }
        return out
    }
}

/// Replaces `${provider:path:key}` and `${provider:key}` references in configuration values, with
/// Kafka's syntax (`org.apache.kafka.common.config.ConfigTransformer`). A reference that cannot be
/// resolved — unknown provider, unreadable file, missing key — is an error naming the configuration
/// key that held it; every such error is reported at once.
public struct ConfigTransformer: Sendable {
    /// The providers by the name references use, e.g. `file` in `${file:/etc/app.properties:key}`.
    public var providers: [String: any ConfigProvider]

    /// A transformer resolving references with `providers`, keyed by provider name.
    public init(providers: [String: any ConfigProvider]) { self.providers = providers }

    /// `file`, `directory` and `env`.
    public static let standard = ConfigTransformer(providers: [
        "file": FileConfigProvider(), "directory": DirectoryConfigProvider(), "env": EnvironmentConfigProvider(),
    ])

    struct Reference: Hashable {
        var provider: String
        var path: String
        var key: String
        var range: Range<String.Index>
    }

    static func references(in value: String) -> [Reference] {
        var refs: [Reference] = []
        var i = value.startIndex
        while let start = value[i...].range(of: "${") {
            guard let close = value[start.upperBound...].firstIndex(of: "}") else { break }
            let body = value[start.upperBound..<close]
            if let colon = body.firstIndex(of: ":") {
                let provider = String(body[..<colon])
                let rest = body[body.index(after: colon)...]
                let path: String, key: String
                if let c2 = rest.firstIndex(of: ":") {
                    path = String(rest[..<c2])
                    key = String(rest[rest.index(after: c2)...])
                } else {
                    path = ""
                    key = String(rest)
                }
                refs.append(Reference(provider: provider, path: path, key: key, range: start.lowerBound..<value.index(after: close)))
            }
            i = value.index(after: close)
        }
        return refs
    }

    /// The configuration with every reference replaced. Values that look secret should then be kept
    /// as `Password`s by their `ConfigDef`.
    public func transform(_ config: [String: String]) throws(ConfigError) -> [String: String] {
        var out = config
        var problems: [ConfigProblem] = []
        var cache: [String: [String: String]] = [:]
        for (configKey, value) in config.sorted(by: { $0.key < $1.key }) {
            let refs = ConfigTransformer.references(in: value)
            if refs.isEmpty { continue }
            var resolved = value
            for ref in refs.reversed() {
                guard let provider = providers[ref.provider] else {
                    problems.append(ConfigProblem(key: configKey, message: "Unknown config provider '\(ref.provider)' in ${\(ref.provider):…}"))
                    continue
                }
                let cacheKey = ref.provider + "\u{0}" + ref.path
                var values = cache[cacheKey] ?? [:]
                if values[ref.key] == nil {
                    do {
                        let got = try provider.get(path: ref.path, keys: [ref.key])
                        values.merge(got) { $1 }
                        cache[cacheKey] = values
                    } catch {
                        problems.append(
                            ConfigProblem(key: configKey, message: "Could not read '\(ref.path)' for ${\(ref.provider):…}: \(error)"))
                        continue
                    }
                }
                guard let v = values[ref.key] else {
                    let where_ = ref.path.isEmpty ? "" : " in '\(ref.path)'"
                    problems.append(ConfigProblem(key: configKey, message: "Config provider '\(ref.provider)' has no value for '\(ref.key)'\(where_)"))
                    continue
                }
                resolved.replaceSubrange(ref.range, with: v)
            }
            out[configKey] = resolved
        }
        if !problems.isEmpty { throw ConfigError(problems) }
        return out
    }
}

/// Reads a whole file as UTF-8 text with POSIX calls: a failure is the system's reason (`No such
/// file or directory`, `Permission denied`), never a Foundation error dump. Config providers and the
/// `connect` CLI read their files with it.
package enum TextFile {
    /// Why a file could not be read.
    package enum Failure: Error, CustomStringConvertible {
        /// `open` or `read` failed, with the system's reason.
        case unreadable(String)
        /// The bytes are not UTF-8.
        case notUTF8

        package var description: String {
            switch self {
            case .unreadable(let reason): reason
            case .notUTF8: "the file is not UTF-8 text"
            }
        }
    }

    package static func read(_ path: String) throws(Failure) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(String(cString: strerror(errno)))
            }
            if n == 0 { break }
            bytes += chunk[..<n]
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notUTF8 }
        return text
    }
}
