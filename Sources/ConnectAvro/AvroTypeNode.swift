public import ConnectKit

/// An Avro schema as Java's `org.apache.avro.Schema` holds it: types with their properties
/// (`connect.name`, `logicalType`, …) in insertion order, named types shared by reference. It prints
/// exactly as `Schema.toString()` does (compact JSON; a named type defined earlier is written as a
/// name, qualified only when its namespace differs from the enclosing one) — the text Confluent's
/// serializer registers — and parses Avro JSON keeping every property.
///
/// ``AvroSchema`` is the leaner form the binary encoder and decoder walk; ``AvroData`` builds and reads
/// this one.
public final class AvroTypeNode: @unchecked Sendable {
    /// The shape of a type.
    public enum Kind: Sendable {
        /// `null`, `boolean`, `int`, `long`, `float`, `double`, `bytes` or `string`.
        case primitive(String)
        /// An array of items.
        case array(AvroTypeNode)
        /// A map with string keys.
        case map(AvroTypeNode)
        /// A union of branches.
        case union([AvroTypeNode])
        /// A record (named).
        case record([AvroTypeField])
        /// An enum (named): symbols and default symbol.
        case enumeration(symbols: [String], default: String?)
        /// A fixed (named): size in bytes.
        case fixed(size: Int)
    }

    /// The shape (a record's fields are set after the record exists, so fields can refer to it).
    public internal(set) var kind: Kind
    /// For named types: the name without namespace.
    public let name: String?
    /// For named types: the namespace (`nil` for the null namespace).
    public let namespace: String?
    /// For named types: `doc`.
    public let doc: String?
    /// For named types: aliases as written.
    public let aliases: [String]
    /// Properties other than Avro's reserved attributes, in insertion order.
    public internal(set) var props: [(key: String, value: JSONValue)]

    init(kind: Kind, name: String? = nil, namespace: String? = nil, doc: String? = nil, aliases: [String] = [], props: [(key: String, value: JSONValue)] = []) {
        self.kind = kind
        self.name = name
        self.namespace = namespace.flatMap { $0.isEmpty ? nil : $0 }
        self.doc = doc
        self.aliases = aliases
        self.props = props
    }

    static func primitive(_ name: String) -> AvroTypeNode { AvroTypeNode(kind: .primitive(name)) }

    /// `namespace.name` for named types.
    public var fullName: String? {
        guard let name else { return nil }
        return namespace.map { $0 + "." + name } ?? name
    }

    /// Avro's type name: `record`, `enum`, `fixed`, `array`, `map`, `union` or the primitive's name.
    public var typeName: String {
        switch kind {
        case .primitive(let p): p
        case .array: "array"
        case .map: "map"
        case .union: "union"
        case .record: "record"
        case .enumeration: "enum"
        case .fixed: "fixed"
        }
    }

    /// The property `key` (`getObjectProp`).
    public func prop(_ key: String) -> JSONValue? { props.first(where: { $0.key == key })?.value }

    /// A text property (`getProp`: `nil` when absent or not a string).
    public func textProp(_ key: String) -> String? { prop(key)?.stringValue }

    /// Adds a property as Java's `addProp` does: a key already present keeps its value (Java throws
    /// when the values differ; ``AvroData`` never asks for that).
    func addProp(_ key: String, _ value: JSONValue) {
        if prop(key) == nil { props.append((key, value)) }
    }

    /// The branch name Avro's unions use: a named type's full name, else the type name.
    var unionBranchName: String { fullName ?? typeName }
}

/// A record field as Java's `Schema.Field` holds it.
public struct AvroTypeField: Sendable {
    /// The field name.
    public var name: String
    /// Its type.
    public var type: AvroTypeNode
    /// `doc`.
    public var doc: String?
    /// `default` (JSON), or `nil` when the field has none (`.null` is a null default).
    public var defaultValue: JSONValue?
    /// Field properties in insertion order.
    public var props: [(key: String, value: JSONValue)] = []
    /// `aliases`.
    public var aliases: [String] = []
    /// `order` when not `ascending`.
    public var order: String? = nil
}

extension AvroTypeNode {
    /// The schema's JSON text exactly as Java's `Schema.toString()` writes it.
    ///
    /// - Throws: ``AvroSchemaError`` `Can't redefine: <name>` when two different types share a full
    ///   name (Java's `SchemaParseException`).
    public func javaString() throws(AvroSchemaError) -> String {
        var printer = Printer()
        printer.out.escapesSupplementary = false
        try printer.write(self, space: nil)
        return String(decoding: printer.out.bytes, as: UTF8.self)
    }

    struct Printer: ~Copyable {
        var out = JSONWriter(capacity: 512)
        var defined: [String: ObjectIdentifier] = [:]

        mutating func write(_ n: AvroTypeNode, space: String?) throws(AvroSchemaError) {
            switch n.kind {
            case .primitive(let p):
                if n.props.isEmpty {
                    out.string(p)
                } else {
                    out.raw("{\"type\":")
                    out.string(p)
                    writeProps(n.props)
                    out.byte(0x7D)
                }
            case .array(let items):
                out.raw("{\"type\":\"array\",\"items\":")
                try write(items, space: space)
                writeProps(n.props)
                out.byte(0x7D)
            case .map(let values):
                out.raw("{\"type\":\"map\",\"values\":")
                try write(values, space: space)
                writeProps(n.props)
                out.byte(0x7D)
            case .union(let branches):
                out.byte(0x5B)
                for (i, b) in branches.enumerated() {
                    if i > 0 { out.byte(0x2C) }
                    try write(b, space: space)
                }
                out.byte(0x5D)
            case .record, .enumeration, .fixed:
                let full = n.fullName ?? ""
                if let id = defined[full] {
                    guard id == ObjectIdentifier(n) else { throw AvroSchemaError("Can't redefine: \(full)") }
                    out.string(n.namespace == nil || n.namespace == space ? n.name ?? "" : full)
                    return
                }
                defined[full] = ObjectIdentifier(n)
                out.raw("{\"type\":")
                out.string(n.typeName)
                out.raw(",\"name\":")
                out.string(n.name ?? "")
                if let ns = n.namespace {
                    if ns != space {
                        out.raw(",\"namespace\":")
                        out.string(ns)
                    }
                } else if space != nil {
                    out.raw(",\"namespace\":\"\"")
                }
                if let doc = n.doc {
                    out.raw(",\"doc\":")
                    out.string(doc)
                }
                switch n.kind {
                case .record(let fields):
                    out.raw(",\"fields\":[")
                    for (i, f) in fields.enumerated() {
                        if i > 0 { out.byte(0x2C) }
                        out.raw("{\"name\":")
                        out.string(f.name)
                        out.raw(",\"type\":")
                        try write(f.type, space: n.namespace)
                        if let doc = f.doc {
                            out.raw(",\"doc\":")
                            out.string(doc)
                        }
                        if let d = f.defaultValue {
                            out.raw(",\"default\":")
                            out.write(d)
                        }
                        if let order = f.order {
                            out.raw(",\"order\":")
                            out.string(order)
                        }
                        if !f.aliases.isEmpty {
                            out.raw(",\"aliases\":")
                            out.write(.array(f.aliases.map { .string($0) }))
                        }
                        writeProps(f.props)
                        out.byte(0x7D)
                    }
                    out.byte(0x5D)
                case .enumeration(let symbols, let def):
                    out.raw(",\"symbols\":")
                    out.write(.array(symbols.map { .string($0) }))
                    if let def {
                        out.raw(",\"default\":")
                        out.string(def)
                    }
                case .fixed(let size):
                    out.raw(",\"size\":")
                    out.int(Int64(size))
                default: break
                }
                writeProps(n.props)
                if !n.aliases.isEmpty {
                    out.raw(",\"aliases\":")
                    out.write(.array(n.aliases.map { .string($0) }))
                }
                out.byte(0x7D)
            }
        }

        mutating func writeProps(_ props: [(key: String, value: JSONValue)]) {
            for (k, v) in props {
                out.byte(0x2C)
                out.string(k)
                out.byte(0x3A)
                out.write(v)
            }
        }
    }

    /// Parses Avro schema JSON keeping every property (Java's `Schema.Parser`, without validation
    /// beyond what the mapping needs; ``AvroSchema/parse(_:)`` validates).
    ///
    /// - Throws: ``AvroSchemaError`` for an undefined name or a malformed type.
    public static func parse(_ json: JSONValue) throws(AvroSchemaError) -> AvroTypeNode {
        var names: [String: AvroTypeNode] = [:]
        return try parse(json, space: nil, names: &names)
    }

    static func strings(_ v: JSONValue?) -> [String] {
        guard case .array(let items)? = v else { return [] }
        return items.compactMap(\.stringValue)
    }

    static let schemaReserved: Set<String> = ["doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases"]
    static let fieldReserved: Set<String> = ["default", "doc", "name", "order", "type", "aliases"]
    static let primitiveNames: Set<String> = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]

    private static func parse(_ json: JSONValue, space: String?, names: inout [String: AvroTypeNode]) throws(AvroSchemaError) -> AvroTypeNode {
        switch json {
        case .string(let s):
            if primitiveNames.contains(s) { return .primitive(s) }
            let candidates = s.contains(".") ? [s] : [space.map { $0 + "." + s } ?? s, s]
            for c in candidates { if let n = names[c] { return n } }
            throw AvroSchemaError("\"\(s)\" is not a defined name")
        case .array(let branches):
            var out: [AvroTypeNode] = []
            for b in branches { out.append(try parse(b, space: space, names: &names)) }
            return AvroTypeNode(kind: .union(out))
        case .object(let members):
            guard let type = json["type"] else { throw AvroSchemaError("No type: \(json)") }
            guard case .string(let t) = type else { return try parse(type, space: space, names: &names) }
            let props = members.filter { !schemaReserved.contains($0.key) && !(t == "enum" && $0.key == "default") }
            switch t {
            case "array":
                guard let items = json["items"] else { throw AvroSchemaError("Array has no items type: \(json)") }
                return AvroTypeNode(kind: .array(try parse(items, space: space, names: &names)), props: props)
            case "map":
                guard let values = json["values"] else { throw AvroSchemaError("Map has no values type: \(json)") }
                return AvroTypeNode(kind: .map(try parse(values, space: space, names: &names)), props: props)
            case "record", "error", "enum", "fixed":
                guard let rawName = json["name"]?.stringValue else { throw AvroSchemaError("No name in schema: \(json)") }
                var name = rawName
                var ns = json["namespace"]?.stringValue ?? space
                if let dot = rawName.lastIndex(of: ".") {
                    ns = String(rawName[..<dot])
                    name = String(rawName[rawName.index(after: dot)...])
                }
                if ns?.isEmpty == true { ns = nil }
                let aliases = Self.strings(json["aliases"])
                let kind: Kind
                switch t {
                case "enum":
                    guard case .array(let symbols)? = json["symbols"] else { throw AvroSchemaError("Enum has no symbols: \(json)") }
                    kind = .enumeration(symbols: symbols.compactMap(\.stringValue), default: json["default"]?.stringValue)
                case "fixed":
                    guard case .number(let size)? = json["size"], let n = Int(size) else { throw AvroSchemaError("Invalid or no size: \(json)") }
                    kind = .fixed(size: n)
                default: kind = .record([])
                }
                let node = AvroTypeNode(kind: kind, name: name, namespace: ns, doc: json["doc"]?.stringValue, aliases: aliases, props: props)
                let full = node.fullName ?? name
                guard names[full] == nil else { throw AvroSchemaError("Can't redefine: \(full)") }
                names[full] = node
                if case .record = kind {
                    guard case .array(let fields)? = json["fields"] else { throw AvroSchemaError("Record has no fields: \(json)") }
                    var out: [AvroTypeField] = []
                    for f in fields {
                        guard let fname = f["name"]?.stringValue, let ftype = f["type"] else { throw AvroSchemaError("Invalid field: \(f)") }
                        guard case .object(let fm) = f else { throw AvroSchemaError("Invalid field: \(f)") }
                        out.append(AvroTypeField(
                            name: fname, type: try parse(ftype, space: node.namespace, names: &names), doc: f["doc"]?.stringValue,
                            defaultValue: f["default"], props: fm.filter { !fieldReserved.contains($0.key) },
                            aliases: Self.strings(f["aliases"]),
                            order: f["order"]?.stringValue.flatMap { $0 == "ascending" ? nil : $0 }))
                    }
                    node.kind = .record(out)
                }
                return node
            default:
                if primitiveNames.contains(t) { return AvroTypeNode(kind: .primitive(t), props: props) }
                return try parse(.string(t), space: space, names: &names)
            }
        default:
            throw AvroSchemaError("Schema not yet supported: \(json)")
        }
    }
}
