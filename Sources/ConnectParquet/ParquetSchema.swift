import ConnectKit

/// A Parquet codec (`parquet.codec`).
public enum ParquetCodec: String, Sendable, CaseIterable {
    /// No compression (`none`).
    case none
    /// libsnappy's raw block format, Parquet's default (`snappy`).
    case snappy
    /// A gzip member, zlib (`gzip`).
    case gzip
    /// A zstd frame, libzstd (`zstd`).
    case zstd

    var thriftCode: Int32 {
        switch self {
        case .none: 0
        case .snappy: 1
        case .gzip: 2
        case .zstd: 6
        }
    }
}

/// The Parquet schema Confluent's `ParquetFormat` writes for a Connect struct schema (Connect →
/// Avro by `AvroData`, then parquet-avro's `AvroSchemaConverter`): a tree of groups and leaf
/// columns with repetition, converted and logical types; lists in the 2-level form (`repeated
/// <T> array`) unless some array in the schema has optional items (then every list is 3-level,
/// `repeated group list { element }`), string-keyed maps as `MAP` / `key_value`, other maps as
/// lists of `{key, value}` groups.
final class ParquetNode {
    enum Shape {
        case leaf(column: Int)
        case group([(connectIndex: Int, node: ParquetNode)])
        /// A list; `element` is the node under the repeated level.
        case list(element: ParquetNode)
        /// A map (or a list of key/value entries); key and value under the repeated level.
        case map(key: ParquetNode, value: ParquetNode, entryName: String, annotated: Bool)
    }

    let name: String
    let optional: Bool
    let schema: Schema
    var shape: Shape = .group([])

    init(name: String, optional: Bool, schema: Schema) {
        self.name = name
        self.optional = optional
        self.schema = schema
    }
}

/// A leaf column: its path, physical type and levels.
struct ParquetColumn {
    enum Physical: Int32 {
        case boolean = 0, int32 = 1, int64 = 2, float = 4, double = 5, byteArray = 6
    }

    let path: [String]
    let physical: Physical
    let schema: Schema
    let maxDefinition: Int
    let maxRepetition: Int
}

/// The error for a Connect schema Parquet cannot hold (named).
public struct ParquetSchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// The error.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

struct ParquetSchemaBuilder {
    var columns: [ParquetColumn] = []
    let threeLevelLists: Bool

    init(threeLevelLists: Bool) { self.threeLevelLists = threeLevelLists }

    /// Whether any array in `schema` has optional items (Confluent then writes 3-level lists for the whole file).
    static func hasOptionalArrayItems(_ schema: Schema) -> Bool {
        switch schema.type {
        case .array: return schema.valueSchema.map { $0.isOptional || hasOptionalArrayItems($0) } ?? false
        case .map: return [schema.keySchema, schema.valueSchema].contains { $0.map(hasOptionalArrayItems) ?? false }
        case .struct: return schema.fields.contains { hasOptionalArrayItems($0.schema) }
        default: return false
        }
    }

    mutating func node(_ name: String, _ schema: Schema, optional: Bool, path: [String], def: Int, rep: Int) throws(ParquetSchemaError) -> ParquetNode {
        let n = ParquetNode(name: name, optional: optional, schema: schema)
        let def = def + (optional ? 1 : 0)
        let here = path + [name]
        switch schema.type {
        case .struct:
            guard schema.name != "io.confluent.connect.avro.Union" else {
                throw ParquetSchemaError("\(here.joined(separator: ".")): Connect union structs are not supported in Parquet yet")
            }
            var children: [(Int, ParquetNode)] = []
            for f in schema.fields {
                children.append((f.index, try node(f.name, f.schema, optional: f.schema.isOptional, path: here, def: def, rep: rep)))
            }
            n.shape = .group(children)
        case .array:
            guard let items = schema.valueSchema else { throw ParquetSchemaError("\(here.joined(separator: ".")): array without element schema") }
            if threeLevelLists {
                n.shape = .list(element: try node("element", items, optional: items.isOptional, path: here + ["list"], def: def + 1, rep: rep + 1))
            } else {
                n.shape = .list(element: try node("array", items, optional: false, path: here, def: def + 1, rep: rep + 1))
            }
        case .map:
            guard let k = schema.keySchema, let v = schema.valueSchema else { throw ParquetSchemaError("\(here.joined(separator: ".")): map without key or value schema") }
            if k.type == .string, !k.isOptional {
                let entry = here + ["key_value"]
                n.shape = .map(
                    key: try node("key", k, optional: false, path: entry, def: def + 1, rep: rep + 1),
                    value: try node("value", v, optional: v.isOptional, path: entry, def: def + 1, rep: rep + 1), entryName: "key_value",
                    annotated: true)
            } else {
                // AvroData's array of MapEntry records, written as a list: 2-level `repeated group
                // array { key; value }`, or 3-level `repeated group list { required group element
                // { key; value } }` (the element level is required: it adds no level).
                let entryName = threeLevelLists ? "list" : "array"
                let entry = here + (threeLevelLists ? ["list", "element"] : ["array"])
                n.shape = .map(
                    key: try node("key", k, optional: k.isOptional, path: entry, def: def + 1, rep: rep + 1),
                    value: try node("value", v, optional: v.isOptional, path: entry, def: def + 1, rep: rep + 1), entryName: entryName,
                    annotated: false)
            }
        default:
            let physical: ParquetColumn.Physical
            switch schema.kind {
            case .int8, .int16, .int32, .date, .time: physical = .int32
            case .int64, .timestamp: physical = .int64
            case .float32: physical = .float
            case .float64: physical = .double
            case .boolean: physical = .boolean
            case .string, .bytes, .decimal: physical = .byteArray
            case .invalidDecimal: throw ParquetSchemaError("\(here.joined(separator: ".")): a Decimal schema without a scale")
            default: throw ParquetSchemaError("\(here.joined(separator: ".")): unsupported type \(schema.type)")
            }
            n.shape = .leaf(column: columns.count)
            columns.append(ParquetColumn(path: Array(here.dropFirst()), physical: physical, schema: schema, maxDefinition: def, maxRepetition: rep))
        }
        return n
    }
}

extension ParquetNode {
    /// Appends this node's `SchemaElement`s (depth first) to a Thrift list being written.
    func schemaElements(_ threeLevel: Bool, into out: inout [(inout ThriftCompactWriter) -> Void], columns: [ParquetColumn], repetition override: Int32? = nil) {
        let repetition: Int32 = override ?? (optional ? 1 : 0)
        switch shape {
        case .leaf(let column):
            let c = columns[column]
            let s = schema
            out.append { w in
                w.i32(1, c.physical.rawValue)
                w.i32(3, repetition)
                w.string(4, self.name)
                Self.annotations(s, &w)
            }
        case .group(let children):
            out.append { w in
                w.i32(3, repetition)
                w.string(4, self.name)
                w.i32(5, Int32(children.count))
            }
            for (_, c) in children { c.schemaElements(threeLevel, into: &out, columns: columns) }
        case .list(let element):
            out.append { w in
                w.i32(3, repetition)
                w.string(4, self.name)
                w.i32(5, 1)
                w.i32(6, 3)  // LIST
                w.struct(10) { $0.struct(3) { _ in } }
            }
            if threeLevel {
                out.append { w in
                    w.i32(3, 2)  // REPEATED
                    w.string(4, "list")
                    w.i32(5, 1)
                }
                element.schemaElements(threeLevel, into: &out, columns: columns)
            } else {
                element.schemaElements(threeLevel, into: &out, columns: columns, repetition: 2)  // the repeated node itself
            }
        case .map(let key, let value, let entryName, let annotated):
            out.append { w in
                w.i32(3, repetition)
                w.string(4, self.name)
                w.i32(5, 1)
                w.i32(6, annotated ? 1 : 3)  // MAP or LIST
                w.struct(10) { $0.struct(annotated ? 2 : 3) { _ in } }
            }
            // A 3-level list of MapEntry records has the record as its `element`.
            let element = !annotated && entryName == "list"
            out.append { w in
                w.i32(3, 2)  // REPEATED
                w.string(4, entryName)
                w.i32(5, element ? 1 : 2)
                if annotated { w.i32(6, 2) }  // MAP_KEY_VALUE
            }
            if element {
                out.append { w in
                    w.i32(3, 0)  // REQUIRED
                    w.string(4, "element")
                    w.i32(5, 2)
                }
            }
            key.schemaElements(threeLevel, into: &out, columns: columns)
            value.schemaElements(threeLevel, into: &out, columns: columns)
        }
    }

    /// Converted and logical types of a leaf (both, as the format's compatibility rule asks).
    static func annotations(_ s: Schema, _ w: inout ThriftCompactWriter) {
        switch s.kind {
        case .string:
            if s.parameters?["io.confluent.connect.avro.Enum"] != nil {
                w.i32(6, 4)  // ENUM
                w.struct(10) { $0.struct(4) { _ in } }
            } else {
                w.i32(6, 0)  // UTF8
                w.struct(10) { $0.struct(1) { _ in } }
            }
        case .decimal:
            let precision = Int32(s.parameters?["connect.decimal.precision"] ?? "") ?? 64
            w.i32(6, 5)
            w.i32(7, s.decimalScale)
            w.i32(8, precision)
            w.struct(10) { $0.struct(5) { d in
                d.i32(1, s.decimalScale)
                d.i32(2, precision)
            } }
        case .date:
            w.i32(6, 6)
            w.struct(10) { $0.struct(6) { _ in } }
        case .time:
            w.i32(6, 7)
            w.struct(10) { $0.struct(7) { t in
                t.bool(1, true)
                t.struct(2) { $0.struct(1) { _ in } }
            } }
        case .timestamp:
            w.i32(6, 9)
            w.struct(10) { $0.struct(8) { t in
                t.bool(1, true)
                t.struct(2) { $0.struct(1) { _ in } }
            } }
        default: break
        }
    }
}

