import ConnectKit

/// The key, value and header converters of one connector: the connector's `key.converter` /
/// `value.converter` / `header.converter` (with their `*.converter.*` settings) where given, else
/// the worker's, else `JsonConverter` and `SimpleHeaderConverter` (Kafka's defaults).
struct RecordCodec: Sendable {
    let key: any Converter
    let value: any Converter
    let header: any HeaderConverter
    /// The key and value converters never wait (``Converter/convertsSynchronously``).
    let keyIsSynchronous: Bool
    let valueIsSynchronous: Bool
    /// The converters' Java class names (what Kafka reports in dead-letter headers and logs).
    let keyClass: String
    let valueClass: String
    let headerClass: String

    init(worker: [String: String], connector: [String: String], registry: PluginRegistry) throws(ConfigError) {
        var problems: [ConfigProblem] = []
        func pick(_ name: String) -> (className: String, settings: [String: String]) {
            let source = (connector[name]?.isEmpty == false) ? connector : worker
            let className = source[name]?.trimmingWhitespace() ?? ""
            var settings: [String: String] = [:]
            for (k, v) in source where k.hasPrefix(name + ".") { settings[String(k.dropFirst(name.count + 1))] = v }
            return (className, settings)
        }
        func converter(_ name: String, isKey: Bool) -> (any Converter, String)? {
            let (className, settings) = pick(name)
            let chosen = className.isEmpty ? "org.apache.kafka.connect.json.JsonConverter" : className
            guard let entry = registry.converters.lookup(chosen) else {
                problems.append(ConfigProblem(key: name, message: "Invalid value \(chosen) for configuration \(name): Class \(chosen) could not be found."))
                return nil
            }
            do { return (try entry.plugin.make(settings, isKey: isKey), entry.javaClassName) } catch {
                problems += error.problems.map { ConfigProblem(key: "\(name).\($0.key)", message: $0.message) }
                return nil
            }
        }
        let k = converter("key.converter", isKey: true)
        let v = converter("value.converter", isKey: false)
        var h: (any HeaderConverter, String)? = nil
        let (headerClassName, headerSettings) = pick("header.converter")
        let chosen = headerClassName.isEmpty ? "org.apache.kafka.connect.storage.SimpleHeaderConverter" : headerClassName
        if let entry = registry.headerConverters.lookup(chosen) {
            do { h = (try entry.plugin.make(headerSettings), entry.javaClassName) } catch {
                problems += error.problems.map { ConfigProblem(key: "header.converter.\($0.key)", message: $0.message) }
            }
        } else {
            problems.append(ConfigProblem(key: "header.converter", message: "Invalid value \(chosen) for configuration header.converter: Class \(chosen) could not be found."))
        }
        guard problems.isEmpty, let k, let v, let h else { throw ConfigError(problems, context: connector["name"]) }
        (key, keyClass) = k
        (value, valueClass) = v
        keyIsSynchronous = key.convertsSynchronously
        valueIsSynchronous = value.convertsSynchronously
        (header, headerClass) = h
    }
}
