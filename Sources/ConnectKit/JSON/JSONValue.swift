/// A parsed JSON document: objects keep member order, numbers keep their exact text.
///
/// Used for configuration files (connector JSON) and JSON schemas; the record hot path decodes
/// straight into ``Value`` instead.
public enum JSONValue: Sendable, Hashable, CustomStringConvertible {
    /// JSON `null`.
    case null
    /// JSON `true` or `false`.
    case bool(Bool)
    /// The number exactly as written.
    case number(String)
    /// A JSON string, escapes decoded.
    case string(String)
    /// A JSON array, elements in order.
    case array([JSONValue])
    /// A JSON object, members in document order; the parser keeps a repeated key once, at its first
    /// position, with its last value.
    case object([(key: String, value: JSONValue)])

    /// Parses a complete JSON document; throws a ``DataError`` with the byte offset of the problem.
    public static func parse(_ bytes: [UInt8]) throws(DataError) -> JSONValue {
        do {
            return try bytes.withUnsafeBufferPointer { (buf) throws(DataError) -> JSONValue in
                var r = JSONReader(buf)
                let v = try r.readValue()
                try r.expectEnd()
                return v
            }
        } catch {
            // Outside a converter, what is wrong is the message (not Kafka's converter text).
            throw DataError(error.cause ?? error.message, byteOffset: error.byteOffset)
        }
    }

    /// Parses a complete JSON document from its UTF-8 text; throws a ``DataError`` with the byte
    /// offset of the problem.
    public static func parse(_ text: String) throws(DataError) -> JSONValue { try parse(Array(text.utf8)) }

    /// Member lookup for objects (the last member with that key).
    public subscript(key: String) -> JSONValue? {
        if case .object(let m) = self { return m.last(where: { $0.key == key })?.value }
        return nil
    }

    /// The text of a ``string(_:)``; `nil` for any other node (numbers are not converted).
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    /// `true` for ``null``.
    public var isNull: Bool { if case .null = self { return true }; return false }

    /// The node type name Jackson uses in messages (`OBJECT`, `ARRAY`, `STRING`, `NUMBER`, `BOOLEAN`, `NULL`).
    public var nodeType: String {
        switch self {
        case .null: "NULL"
        case .bool: "BOOLEAN"
        case .number: "NUMBER"
        case .string: "STRING"
        case .array: "ARRAY"
        case .object: "OBJECT"
        }
    }

    /// Compact JSON text (strings escaped as Jackson does).
    public var description: String {
        var w = JSONWriter()
        w.write(self)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// Compact JSON text as UTF-8, characters outside the Basic Multilingual Plane written raw (as
    /// Kafka's REST API writes them) rather than as surrogate escapes.
    package var rawUTF8: [UInt8] {
        var w = JSONWriter()
        w.escapesSupplementary = false
        w.write(self)
        return w.bytes
    }

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .number(let n): hasher.combine(n)
        case .string(let s): hasher.combine(s)
        case .array(let a): hasher.combine(a)
        case .object(let m):
            for (k, v) in m {
                hasher.combine(k)
                hasher.combine(v)
            }
        }
    }
}
