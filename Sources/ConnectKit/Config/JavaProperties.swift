/// Java `.properties` files, parsed exactly as `java.util.Properties.load` does: `#`/`!` comments,
/// `=`, `:` or whitespace between key and value, backslash line continuation (leading whitespace of
/// the next line dropped), escapes `\t \n \r \f \uXXXX` and `\` before any other character.
public enum JavaProperties {
    /// Parses properties text; later duplicates replace earlier ones. Keys keep file order.
    public static func parse(_ text: String) throws(ConfigError) -> [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        var index: [String: Int] = [:]
        let chars = Array(text.unicodeScalars)
        var i = 0
        var lineNumber = 1

        func isLineEnd(_ c: Unicode.Scalar) -> Bool { c == "\n" || c == "\r" }
        func isBlank(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\u{0C}" }

        while i < chars.count {
            // Skip leading whitespace and blank lines.
            while i < chars.count, isBlank(chars[i]) || isLineEnd(chars[i]) {
                if chars[i] == "\n" { lineNumber += 1 }
                i += 1
            }
            guard i < chars.count else { break }
            if chars[i] == "#" || chars[i] == "!" {
                while i < chars.count, !isLineEnd(chars[i]) { i += 1 }
                continue
            }
            // Gather the logical line (joining continuations).
            var logical: [Unicode.Scalar] = []
            let startLine = lineNumber
            while i < chars.count {
                let c = chars[i]
                if isLineEnd(c) { break }
                if c == "\\" {
                    if i + 1 < chars.count, isLineEnd(chars[i + 1]) {
                        // Continuation: skip the line end (\r\n counts once) and the next line's indent.
                        i += 1
                        if chars[i] == "\r", i + 1 < chars.count, chars[i + 1] == "\n" { i += 1 }
                        i += 1
                        lineNumber += 1
                        while i < chars.count, isBlank(chars[i]) { i += 1 }
                        continue
                    }
                    if i + 1 >= chars.count { i += 1; break }  // a lone trailing backslash is dropped
                    logical.append(c)
                    logical.append(chars[i + 1])
                    i += 2
                    continue
                }
                logical.append(c)
                i += 1
            }
            // Split key and value.
            var k = 0
            var keyEnd = logical.count
            var valueStart = logical.count
            while k < logical.count {
                let c = logical[k]
                if c == "\\" { k += 2; continue }
                if c == "=" || c == ":" {
                    keyEnd = k
                    valueStart = k + 1
                    break
                }
                if isBlank(c) {
                    keyEnd = k
                    var v = k
                    while v < logical.count, isBlank(logical[v]) { v += 1 }
                    if v < logical.count, logical[v] == "=" || logical[v] == ":" { v += 1 }
                    valueStart = v
                    break
                }
                k += 1
            }
            while valueStart < logical.count, isBlank(logical[valueStart]) { valueStart += 1 }
            let key = try unescape(logical[0..<min(keyEnd, logical.count)], line: startLine)
            let value = try unescape(logical[min(valueStart, logical.count)...], line: startLine)
            if let existing = index[key] {
                result[existing].value = value
            } else {
                index[key] = result.count
                result.append((key, value))
            }
        }
        return result
    }

    /// Parses properties text into a dictionary.
    public static func parseDictionary(_ text: String) throws(ConfigError) -> [String: String] {
        var d: [String: String] = [:]
        for (k, v) in try parse(text) { d[k] = v }
        return d
    }

    private static func unescape(_ s: ArraySlice<Unicode.Scalar>, line: Int) throws(ConfigError) -> String {
        var out = String.UnicodeScalarView()
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c != "\\" || i + 1 >= s.endIndex {
                out.append(c)
                i += 1
                continue
            }
            let e = s[i + 1]
            i += 2
            switch e {
            case "t": out.append("\t")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "f": out.append("\u{0C}")
            case "u":
                guard i + 4 <= s.endIndex, let v = UInt32(String(String.UnicodeScalarView(s[i..<(i + 4)])), radix: 16) else {
                    throw ConfigError(key: "line \(line)", message: "Malformed \\uxxxx encoding.")
                }
                out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
                i += 4
            default: out.append(e)
            }
        }
        return String(out)
    }
}

/// A connector configuration as Kafka Connect accepts it: `{"name": …, "config": {…}}` (the REST
/// API's form) or a bare config map (with `name` inside), or a `.properties` file.
public struct ConnectorConfigFile: Sendable, Hashable {
    /// The connector's name.
    public var name: String
    /// The connector's configuration; the parsers make sure it holds `name` too.
    public var config: [String: String]

    /// A connector configuration named `name`, taken as given.
    public init(name: String, config: [String: String]) {
        self.name = name
        self.config = config
    }

    /// Parses connector JSON. Scalar values (numbers, booleans) are taken as their text, as Kafka's
    /// Jackson binding does; nested objects or arrays are an error naming the key.
    public static func parseJSON(_ text: String) throws(ConfigError) -> ConnectorConfigFile {
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            throw ConfigError(key: "(connector JSON)", message: "Malformed JSON: \(error)")
        }
        guard case .object = json else { throw ConfigError(key: "(connector JSON)", message: "Expected a JSON object") }
        var configNode = json
        var name = json["name"]?.stringValue
        if let inner = json["config"] {
            guard case .object = inner else { throw ConfigError(key: "config", message: "\"config\" must be a JSON object") }
            configNode = inner
        }
        var config: [String: String] = [:]
        var problems: [ConfigProblem] = []
        if case .object(let members) = configNode {
            for (k, v) in members {
                switch v {
                case .string(let s): config[k] = s
                case .number(let n): config[k] = n
                case .bool(let b): config[k] = String(b)
                case .null: continue
                default: problems.append(ConfigProblem(key: k, message: "Value must be a string, not a JSON \(v.nodeType.lowercased())"))
                }
            }
        }
        if name == nil { name = config["name"] }
        if let inner = config["name"], let outer = name, inner != outer {
            problems.append(ConfigProblem(key: "name", message: "Connector name in config (\(inner)) does not match \"name\" (\(outer))"))
        }
        guard let name, !name.isEmpty else {
            problems.append(ConfigProblem(key: "name", message: "Missing required configuration \"name\" which has no default value."))
            throw ConfigError(problems)
        }
        if !problems.isEmpty { throw ConfigError(problems, context: name) }
        config["name"] = name
        return ConnectorConfigFile(name: name, config: config)
    }

    /// Parses a connector `.properties` file (must contain `name`).
    public static func parseProperties(_ text: String) throws(ConfigError) -> ConnectorConfigFile {
        let config = try JavaProperties.parseDictionary(text)
        guard let name = config["name"], !name.isEmpty else {
            throw ConfigError(key: "name", message: "Missing required configuration \"name\" which has no default value.")
        }
        return ConnectorConfigFile(name: name, config: config)
    }
}
