public import ConnectKit

/// An Avro logical type (Avro 1.11), as a schema's `logicalType` attribute names it.
public enum AvroLogicalType: Sendable, Hashable {
    /// `decimal` on `bytes` or `fixed`, with `precision` and `scale`.
    case decimal(precision: Int, scale: Int)
    /// `date` on `int`: days since the epoch.
    case date
    /// `time-millis` on `int`.
    case timeMillis
    /// `time-micros` on `long`.
    case timeMicros
    /// `timestamp-millis` on `long`.
    case timestampMillis
    /// `timestamp-micros` on `long`.
    case timestampMicros
    /// `local-timestamp-millis` on `long`.
    case localTimestampMillis
    /// `local-timestamp-micros` on `long`.
    case localTimestampMicros
    /// `uuid` on `string`.
    case uuid
}

/// An Avro schema (specification 1.11): primitives, records, enums, arrays, maps, unions and fixed,
/// with logical types. Named types (record, enum, fixed) are ``AvroNamedType`` objects shared by
/// every reference to them.
public indirect enum AvroSchema: Sendable {
    /// `null`.
    case null
    /// `boolean`.
    case boolean
    /// `int` (32-bit), with an optional logical type (`date`, `time-millis`).
    case int(AvroLogicalType?)
    /// `long` (64-bit), with an optional logical type (times and timestamps).
    case long(AvroLogicalType?)
    /// `float`.
    case float
    /// `double`.
    case double
    /// `bytes`, with an optional `decimal`.
    case bytes(AvroLogicalType?)
    /// `string`, with an optional `uuid`.
    case string(AvroLogicalType?)
    /// `array` of items.
    case array(AvroSchema)
    /// `map` of string keys to values.
    case map(AvroSchema)
    /// `union` of branches (no two of the same type or name).
    case union([AvroSchema])
    /// A record, enum or fixed (defined once, referenced by name afterwards).
    case named(AvroNamedType)

    /// The name a union uses for this branch in Avro's JSON encoding: a named type's full name, else
    /// the type's name (`int`, `array`, …).
    public var branchName: String {
        switch self {
        case .null: "null"
        case .boolean: "boolean"
        case .int: "int"
        case .long: "long"
        case .float: "float"
        case .double: "double"
        case .bytes: "bytes"
        case .string: "string"
        case .array: "array"
        case .map: "map"
        case .union: "union"
        case .named(let n): n.fullName
        }
    }
}

/// A record, enum or fixed type: its full name, aliases, documentation and shape.
public final class AvroNamedType: @unchecked Sendable {
    /// The shape of a named type.
    public enum Shape: Sendable {
        /// A record's fields, in order.
        case record([AvroField])
        /// An enum's symbols and optional default symbol.
        case enumeration(symbols: [String], default: String?)
        /// A fixed type's size in bytes and optional `decimal`.
        case fixed(size: Int, logicalType: AvroLogicalType?)
    }

    /// `namespace.name` (or `name` in the null namespace).
    public let fullName: String
    /// Aliases as full names.
    public let aliases: [String]
    /// `doc`.
    public let doc: String?
    /// The shape (a record's fields are set once, while parsing, so a field may refer to its record).
    public internal(set) var shape: Shape

    init(fullName: String, aliases: [String], doc: String?, shape: Shape) {
        self.fullName = fullName
        self.aliases = aliases
        self.doc = doc
        self.shape = shape
    }

    /// The namespace part of the full name (`""` for the null namespace).
    public var namespace: String {
        guard let dot = fullName.lastIndex(of: ".") else { return "" }
        return String(fullName[..<dot])
    }
}

/// A record field.
public struct AvroField: Sendable {
    /// The field's name.
    public var name: String
    /// Its type.
    public var type: AvroSchema
    /// `doc`.
    public var doc: String?
    /// `default`, as written (JSON).
    public var defaultValue: JSONValue?
    /// `aliases`.
    public var aliases: [String]
}

/// A schema that is not valid Avro: what is wrong, and where (a name or attribute).
public struct AvroSchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// An error.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

extension AvroSchema {
    /// Parses a schema from its JSON text (Avro 1.11: names resolved against enclosing namespaces,
    /// named types referenced by name after their definition, logical types validated as Java's Avro
    /// does — an invalid one is ignored, the underlying type kept).
    ///
    /// - Throws: ``AvroSchemaError`` naming the problem; `DataError` for text that is not JSON.
    public static func parse(_ text: String) throws -> AvroSchema {
        var parser = Parser()
        return try parser.parse(try JSONValue.parse(text), namespace: "")
    }

    struct Parser {
        var names: [String: AvroNamedType] = [:]

        static let primitives: Set<String> = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]

        func fullName(_ name: String, _ namespace: String?, enclosing: String) -> String {
            if name.contains(".") { return name }
            let ns = namespace ?? enclosing
            return ns.isEmpty ? name : ns + "." + name
        }

        mutating func parse(_ json: JSONValue, namespace: String) throws -> AvroSchema {
            switch json {
            case .string(let name):
                if Self.primitives.contains(name) { return try primitive(name, logical: nil, json) }
                let candidates = name.contains(".") ? [name] : [fullName(name, nil, enclosing: namespace), name]
                for c in candidates { if let n = names[c] { return .named(n) } }
                throw AvroSchemaError("\"\(name)\" is not a defined name. The type of the field must be a defined name or a {\"type\": ...} expression.")
            case .array(let branches):
                var out: [AvroSchema] = []
                var seen = Set<String>()
                for b in branches {
                    let s = try parse(b, namespace: namespace)
                    if case .union = s { throw AvroSchemaError("Nested union: \(json)") }
                    guard seen.insert(s.branchName).inserted else { throw AvroSchemaError("Duplicate in union:\(s.branchName)") }
                    out.append(s)
                }
                return .union(out)
            case .object:
                guard let type = json["type"] else { throw AvroSchemaError("No type: \(json)") }
                guard case .string(let t) = type else { return try parse(type, namespace: namespace) }
                switch t {
                case "record", "error", "enum", "fixed":
                    return try named(t, json, namespace: namespace)
                case "array":
                    guard let items = json["items"] else { throw AvroSchemaError("Array has no items type: \(json)") }
                    return .array(try parse(items, namespace: namespace))
                case "map":
                    guard let values = json["values"] else { throw AvroSchemaError("Map has no values type: \(json)") }
                    return .map(try parse(values, namespace: namespace))
                default:
                    if Self.primitives.contains(t) { return try primitive(t, logical: json["logicalType"]?.stringValue, json) }
                    return try parse(.string(t), namespace: namespace)
                }
            default:
                throw AvroSchemaError("Schema not yet supported: \(json)")
            }
        }

        func primitive(_ name: String, logical: String?, _ json: JSONValue) throws -> AvroSchema {
            switch name {
            case "null": return .null
            case "boolean": return .boolean
            case "int": return .int(logical == "date" ? .date : logical == "time-millis" ? .timeMillis : nil)
            case "long":
                let l: AvroLogicalType? = switch logical {
                case "time-micros": .timeMicros
                case "timestamp-millis": .timestampMillis
                case "timestamp-micros": .timestampMicros
                case "local-timestamp-millis": .localTimestampMillis
                case "local-timestamp-micros": .localTimestampMicros
                default: nil
                }
                return .long(l)
            case "float": return .float
            case "double": return .double
            case "bytes": return .bytes(logical == "decimal" ? Self.decimal(json, maxPrecision: Int.max) : nil)
            default: return .string(logical == "uuid" ? .uuid : nil)
            }
        }

        /// A valid `decimal` (precision ≥ 1, 0 ≤ scale ≤ precision, fits the fixed size), else nil:
        /// Java's Avro ignores an invalid logical type.
        static func decimal(_ json: JSONValue, maxPrecision: Int) -> AvroLogicalType? {
            guard let p = json["precision"].flatMap(Self.int), p >= 1, p <= maxPrecision else { return nil }
            let s = json["scale"].flatMap(Self.int) ?? 0
            guard s >= 0, s <= p else { return nil }
            return .decimal(precision: p, scale: s)
        }

        static func int(_ v: JSONValue) -> Int? { if case .number(let n) = v { return Int(n) }; return nil }

        static func strings(_ v: JSONValue?) -> [String] {
            guard case .array(let items)? = v else { return [] }
            return items.compactMap(\.stringValue)
        }

        mutating func named(_ t: String, _ json: JSONValue, namespace: String) throws -> AvroSchema {
            guard let name = json["name"]?.stringValue, !name.isEmpty else { throw AvroSchemaError("No name in schema: \(json)") }
            let full = fullName(name, json["namespace"]?.stringValue, enclosing: namespace)
            guard names[full] == nil else { throw AvroSchemaError("Can't redefine: \(full)") }
            let inner = full.lastIndex(of: ".").map { String(full[..<$0]) } ?? ""
            let aliases = Self.strings(json["aliases"]).map { fullName($0, nil, enclosing: inner) }
            let doc = json["doc"]?.stringValue
            switch t {
            case "enum":
                guard case .array(let symbols)? = json["symbols"] else { throw AvroSchemaError("Enum has no symbols: \(json)") }
                let n = AvroNamedType(fullName: full, aliases: aliases, doc: doc, shape: .enumeration(symbols: symbols.compactMap(\.stringValue), default: json["default"]?.stringValue))
                names[full] = n
                return .named(n)
            case "fixed":
                guard let size = json["size"].flatMap(Self.int), size >= 0 else { throw AvroSchemaError("Invalid or no size: \(json)") }
                let logical: AvroLogicalType? = json["logicalType"]?.stringValue == "decimal"
                    ? Self.decimal(json, maxPrecision: Self.maxDecimalPrecision(size)) : nil
                let n = AvroNamedType(fullName: full, aliases: aliases, doc: doc, shape: .fixed(size: size, logicalType: logical))
                names[full] = n
                return .named(n)
            default:
                let n = AvroNamedType(fullName: full, aliases: aliases, doc: doc, shape: .record([]))
                names[full] = n
                guard case .array(let fields)? = json["fields"] else { throw AvroSchemaError("Record has no fields: \(json)") }
                var out: [AvroField] = []
                for f in fields {
                    guard let fname = f["name"]?.stringValue else { throw AvroSchemaError("No field name: \(f)") }
                    guard let ftype = f["type"] else { throw AvroSchemaError("No field type: \(f)") }
                    out.append(AvroField(name: fname, type: try parse(ftype, namespace: inner), doc: f["doc"]?.stringValue, defaultValue: f["default"], aliases: Self.strings(f["aliases"])))
                }
                n.shape = .record(out)
                return .named(n)
            }
        }

        /// The largest decimal precision a fixed of `size` bytes holds (Java's `maxPrecision`).
        static func maxDecimalPrecision(_ size: Int) -> Int {
            guard size > 0 else { return 0 }
            // floor(log10(2^(8·size − 1) − 1))
            let bits = Double(8 * size - 1)
            return Int((bits * 0.30102999566398120).rounded(.down))
        }
    }
}
