public import ConnectKit

/// A value of an Avro schema, as the binary encoding carries it (Avro's generic data).
public indirect enum AvroValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `boolean`.
    case boolean(Bool)
    /// `int` (also `date`, `time-millis`).
    case int(Int32)
    /// `long` (also times and timestamps).
    case long(Int64)
    /// `float`.
    case float(Float)
    /// `double`.
    case double(Double)
    /// `bytes` (also a `decimal`'s two's-complement unscaled value).
    case bytes([UInt8])
    /// `string`.
    case string(String)
    /// A record's field values, in schema order.
    case record([AvroValue])
    /// An enum symbol by its index.
    case enumSymbol(Int)
    /// An array's items.
    case array([AvroValue])
    /// A map's entries, in order.
    case map([MapEntry])
    /// A union value: the branch index and the value.
    case union(Int, AvroValue)
    /// A fixed value's bytes.
    case fixed([UInt8])

    /// One map entry.
    public struct MapEntry: Sendable, Equatable {
        /// The key.
        public var key: String
        /// The value.
        public var value: AvroValue
        /// An entry.
        public init(key: String, value: AvroValue) {
            self.key = key
            self.value = value
        }
    }
}

/// A value that does not fit its schema, or bytes that are not a value of it: what and where.
public struct AvroDataError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// The byte offset in the input, when decoding.
    public var byteOffset: Int?
    /// An error.
    public init(_ message: String, byteOffset: Int? = nil) {
        self.message = message
        self.byteOffset = byteOffset
    }
    /// The message, and the byte offset when known.
    public var description: String { byteOffset.map { "\(message) (byte offset \($0))" } ?? message }
}

// MARK: - Binary encoding

extension AvroValue {
    /// Avro's binary encoding of this value under `schema` (zig-zag varints, little-endian IEEE
    /// floats, length-prefixed bytes and strings, arrays and maps in one block then 0).
    /// - Throws: ``AvroDataError`` when the value does not fit the schema.
    public func encoded(_ schema: AvroSchema) throws(AvroDataError) -> [UInt8] {
        var out: [UInt8] = []
        try AvroBinary.write(self, schema, &out)
        return out
    }

    /// Decodes one value of `schema` that fills `bytes` exactly.
    /// - Throws: ``AvroDataError`` with the byte offset when the bytes end early, hold an invalid
    ///   length, branch or symbol, or go on after the value.
    public static func decode(_ bytes: [UInt8], _ schema: AvroSchema) throws(AvroDataError) -> AvroValue {
        var reader = AvroBinary.Reader(bytes)
        let v = try reader.read(schema)
        guard reader.position == bytes.count else { throw AvroDataError("\(bytes.count - reader.position) byte(s) after the value", byteOffset: reader.position) }
        return v
    }
}

enum AvroBinary {
    /// The fewest bytes a value of `s` takes (0 for `null` and records of such fields).
    static func minimumSize(_ s: AvroSchema) -> Int {
        switch s {
        case .null: 0
        case .named(let n):
            switch n.shape {
            case .record(let fields): fields.reduce(0) { $0 + minimumSize($1.type) }
            case .enumeration: 1
            case .fixed(let size, _): size
            }
        case .float: 4
        case .double: 8
        default: 1
        }
    }

    static func writeLong(_ v: Int64, _ out: inout [UInt8]) {
        var z = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        while z >= 0x80 {
            out.append(UInt8(z & 0x7f) | 0x80)
            z >>= 7
        }
        out.append(UInt8(z))
    }

    static func write(_ v: AvroValue, _ s: AvroSchema, _ out: inout [UInt8]) throws(AvroDataError) {
        switch (s, v) {
        case (.null, .null): break
        case (.boolean, .boolean(let b)): out.append(b ? 1 : 0)
        case (.int, .int(let i)): writeLong(Int64(i), &out)
        case (.long, .long(let l)): writeLong(l, &out)
        case (.float, .float(let f)): withUnsafeBytes(of: f.bitPattern.littleEndian) { out += $0 }
        case (.double, .double(let d)): withUnsafeBytes(of: d.bitPattern.littleEndian) { out += $0 }
        case (.bytes, .bytes(let b)):
            writeLong(Int64(b.count), &out)
            out += b
        case (.string, .string(let text)):
            let utf8 = Array(text.utf8)
            writeLong(Int64(utf8.count), &out)
            out += utf8
        case (.array(let items), .array(let values)):
            if !values.isEmpty {
                writeLong(Int64(values.count), &out)
                for x in values { try write(x, items, &out) }
            }
            out.append(0)
        case (.map(let valueSchema), .map(let entries)):
            if !entries.isEmpty {
                writeLong(Int64(entries.count), &out)
                for e in entries {
                    try write(.string(e.key), .string(nil), &out)
                    try write(e.value, valueSchema, &out)
                }
            }
            out.append(0)
        case (.union(let branches), .union(let index, let inner)):
            guard branches.indices.contains(index) else { throw AvroDataError("union branch \(index) of \(branches.count)") }
            writeLong(Int64(index), &out)
            try write(inner, branches[index], &out)
        case (.named(let n), _):
            switch (n.shape, v) {
            case (.record(let fields), .record(let values)):
                guard fields.count == values.count else { throw AvroDataError("\(n.fullName) has \(fields.count) fields, the value \(values.count)") }
                for (f, x) in zip(fields, values) { try write(x, f.type, &out) }
            case (.enumeration(let symbols, _), .enumSymbol(let i)):
                guard symbols.indices.contains(i) else { throw AvroDataError("\(n.fullName) has no symbol \(i)") }
                writeLong(Int64(i), &out)
            case (.fixed(let size, _), .fixed(let b)):
                guard b.count == size else { throw AvroDataError("\(n.fullName) is \(size) bytes, the value \(b.count)") }
                out += b
            default:
                throw AvroDataError("\(v) is not a value of \(n.fullName)")
            }
        default:
            throw AvroDataError("\(v) is not a value of \(s.branchName)")
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var position = 0
        /// Items of schemas that take no bytes (empty records, `null`, `fixed` of size 0) read so far:
        /// at most ``maxZeroSizeItems`` per value, so a few bytes cannot make millions of values.
        var zeroSizeItems = 0
        /// How deep the value being read is nested (recursive schemas): at most ``maxDepth``.
        var depth = 0
        static let maxZeroSizeItems = 1 << 20
        static let maxDepth = 1000

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func byte() throws(AvroDataError) -> UInt8 {
            guard position < bytes.count else { throw AvroDataError("the value ends early", byteOffset: position) }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func long() throws(AvroDataError) -> Int64 {
            var z: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let b = try byte()
                z |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { break }
                shift += 7
                if shift > 63 { throw AvroDataError("a varint longer than 10 bytes", byteOffset: position) }
            }
            return Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
        }

        mutating func take(_ n: Int) throws(AvroDataError) -> [UInt8] {
            guard n >= 0, n <= bytes.count - position else { throw AvroDataError("a length of \(n) past the end", byteOffset: position) }
            defer { position += n }
            return Array(bytes[position..<position + n])
        }

        mutating func length() throws(AvroDataError) -> Int {
            let n = try long()
            guard n >= 0, n <= Int64(bytes.count - position) else { throw AvroDataError("invalid length \(n)", byteOffset: position) }
            return Int(n)
        }

        /// A block count: negative counts are followed by the block's size in bytes (skipped here).
        /// A count that the remaining bytes cannot hold is refused (items of a schema that encodes in
        /// no bytes, such as `null`, are capped at 2^24 per block instead).
        mutating func blockCount(_ item: AvroSchema) throws(AvroDataError) -> Int {
            var n = try long()
            if n < 0 {
                n = n == .min ? .max : -n
                _ = try long()
            }
            if AvroBinary.minimumSize(item) > 0 {
                guard n <= Int64(bytes.count - position) else { throw AvroDataError("invalid block count \(n)", byteOffset: position) }
            } else {
                guard n <= Int64(Self.maxZeroSizeItems - zeroSizeItems) else {
                    throw AvroDataError("more than \(Self.maxZeroSizeItems) items that take no bytes", byteOffset: position)
                }
                zeroSizeItems += Int(n)
            }
            return Int(n)
        }

        mutating func read(_ s: AvroSchema) throws(AvroDataError) -> AvroValue {
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth else { throw AvroDataError("a value nested deeper than \(Self.maxDepth) levels", byteOffset: position) }
            switch s {
            case .null: return .null
            case .boolean:
                let b = try byte()
                guard b <= 1 else { throw AvroDataError("invalid boolean \(b)", byteOffset: position - 1) }
                return .boolean(b == 1)
            case .int:
                let l = try long()
                guard let i = Int32(exactly: l) else { throw AvroDataError("int out of range: \(l)", byteOffset: position) }
                return .int(i)
            case .long: return .long(try long())
            case .float:
                let b = try take(4)
                return .float(Float(bitPattern: UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24))
            case .double:
                let b = try take(8)
                var bits: UInt64 = 0
                for i in 0..<8 { bits |= UInt64(b[i]) << (8 * UInt64(i)) }
                return .double(Double(bitPattern: bits))
            case .bytes: return .bytes(try take(try length()))
            case .string:
                let raw = try take(try length())
                guard let text = String(validating: raw, as: UTF8.self) else { throw AvroDataError("a string that is not UTF-8", byteOffset: position - raw.count) }
                return .string(text)
            case .array(let items):
                var out: [AvroValue] = []
                while true {
                    let n = try blockCount(items)
                    if n == 0 { break }
                    for _ in 0..<n { out.append(try read(items)) }
                }
                return .array(out)
            case .map(let values):
                var out: [AvroValue.MapEntry] = []
                while true {
                    let n = try blockCount(.string(nil))
                    if n == 0 { break }
                    for _ in 0..<n {
                        guard case .string(let k) = try read(.string(nil)) else { continue }
                        out.append(AvroValue.MapEntry(key: k, value: try read(values)))
                    }
                }
                return .map(out)
            case .union(let branches):
                let i = try long()
                guard i >= 0, i < Int64(branches.count) else { throw AvroDataError("union branch \(i) of \(branches.count)", byteOffset: position) }
                return .union(Int(i), try read(branches[Int(i)]))
            case .named(let n):
                switch n.shape {
                case .record(let fields):
                    var out: [AvroValue] = []
                    out.reserveCapacity(fields.count)
                    for f in fields { out.append(try read(f.type)) }
                    return .record(out)
                case .enumeration(let symbols, _):
                    let i = try long()
                    guard i >= 0, i < Int64(symbols.count) else { throw AvroDataError("\(n.fullName) has no symbol \(i)", byteOffset: position) }
                    return .enumSymbol(Int(i))
                case .fixed(let size, _):
                    return .fixed(try take(size))
                }
            }
        }
    }
}

// MARK: - JSON encoding

extension AvroValue {
    /// Reads a value of `schema` from Avro's JSON encoding (specification, "JSON Encoding"): a union
    /// as `null` or `{"<branch name>": value}`, bytes and fixed as strings of code points 0–255, enums
    /// as symbols, `NaN`/`Infinity` as strings.
    /// - Throws: ``AvroDataError`` naming what does not fit.
    public static func fromJSON(_ json: JSONValue, _ schema: AvroSchema) throws(AvroDataError) -> AvroValue {
        func bad() -> AvroDataError { AvroDataError("\(json) is not a value of \(schema.branchName)") }
        func latin1(_ s: String) throws(AvroDataError) -> [UInt8] {
            var out: [UInt8] = []
            for u in s.unicodeScalars {
                guard u.value <= 0xff else { throw AvroDataError("bytes hold code points 0–255 only, not U+\(String(u.value, radix: 16))") }
                out.append(UInt8(u.value))
            }
            return out
        }
        switch (schema, json) {
        case (.null, .null): return .null
        case (.boolean, .bool(let b)): return .boolean(b)
        case (.int, .number(let n)):
            guard let i = Int32(n) else { throw bad() }
            return .int(i)
        case (.long, .number(let n)):
            guard let l = Int64(n) else { throw bad() }
            return .long(l)
        case (.float, .number(let n)):
            guard let f = Float(n) else { throw bad() }
            return .float(f)
        case (.float, .string(let s)):
            switch s {
            case "NaN": return .float(.nan)
            case "Infinity": return .float(.infinity)
            case "-Infinity": return .float(-.infinity)
            default: throw bad()
            }
        case (.double, .number(let n)):
            guard let d = Double(n) else { throw bad() }
            return .double(d)
        case (.double, .string(let s)):
            switch s {
            case "NaN": return .double(.nan)
            case "Infinity": return .double(.infinity)
            case "-Infinity": return .double(-.infinity)
            default: throw bad()
            }
        case (.bytes, .string(let s)): return .bytes(try latin1(s))
        case (.string, .string(let s)): return .string(s)
        case (.array(let items), .array(let values)):
            var out: [AvroValue] = []
            for v in values { out.append(try fromJSON(v, items)) }
            return .array(out)
        case (.map(let valueSchema), .object(let members)):
            var out: [MapEntry] = []
            for m in members { out.append(MapEntry(key: m.key, value: try fromJSON(m.value, valueSchema))) }
            return .map(out)
        case (.union(let branches), .null):
            guard let i = branches.firstIndex(where: { if case .null = $0 { true } else { false } }) else { throw bad() }
            return .union(i, .null)
        case (.union(let branches), .object(let members)):
            guard members.count == 1, let i = branches.firstIndex(where: { $0.branchName == members[0].key }) else { throw bad() }
            return .union(i, try fromJSON(members[0].value, branches[i]))
        case (.named(let n), _):
            switch (n.shape, json) {
            case (.record(let fields), .object):
                var out: [AvroValue] = []
                for f in fields {
                    guard let v = json[f.name] ?? f.defaultValue else { throw AvroDataError("\(n.fullName).\(f.name) is missing") }
                    out.append(try fromJSON(v, f.type))
                }
                return .record(out)
            case (.enumeration(let symbols, _), .string(let s)):
                guard let i = symbols.firstIndex(of: s) else { throw AvroDataError("\(s) is not a symbol of \(n.fullName)") }
                return .enumSymbol(i)
            case (.fixed(let size, _), .string(let s)):
                let b = try latin1(s)
                guard b.count == size else { throw AvroDataError("\(n.fullName) is \(size) bytes, the value \(b.count)") }
                return .fixed(b)
            default:
                throw bad()
            }
        default:
            throw bad()
        }
    }
}
