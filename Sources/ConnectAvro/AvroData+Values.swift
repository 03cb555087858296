public import ConnectKit

extension AvroData {
    /// Writes `value` of the Connect `schema` in Avro's binary encoding of `avro` (the schema
    /// ``fromConnectSchema(_:)`` made, parsed), as Confluent's `AvroData.fromConnectData` followed by
    /// Avro's `GenericDatumWriter` does: `int8`/`int16` as `int`, logical types as their underlying
    /// values, optional values through their union branch, string-keyed maps in Java `HashMap`
    /// order, other maps as arrays of key/value records, `Union` structs as the branch of their one
    /// non-null field. `schema == nil` writes the schemaless `Anything` record.
    ///
    /// - Throws: `DataError` for a null in a required place, a value of the wrong kind, a decimal
    ///   of another scale, a fixed value of the wrong size or an unknown enum symbol.
    public func encode(_ value: Value, schema: Schema?, avro: AvroSchema, into out: inout [UInt8]) throws(DataError) {
        guard let schema else {
            try encodeSchemaless(value, &out)
            return
        }
        try write(value, schema, avro, &out)
    }

    func write(_ value: Value, _ schema: Schema, _ avro: AvroSchema, _ out: inout [UInt8]) throws(DataError) {
        if case .union(let branches) = avro {
            if schema.name == Self.unionName, case .struct(let s) = value {
                guard s.schema == schema else { throw DataError("Mismatching struct schema") }
                for f in schema.fields where !s.get(f).isNull {
                    try write(s.get(f), f.schema, avro, &out)
                    return
                }
                try writeBranch(.null, schema, branches, &out)
                return
            }
            try writeBranch(value, schema, branches, &out)
            return
        }
        if value.isNull { throw DataError("Found null value for non-optional schema") }
        func mismatch() -> DataError { DataError("Invalid type for \(schema.type.rawValue.uppercased()): \(value.kindName)") }
        switch avro {
        case .null: throw mismatch()
        case .boolean:
            guard case .boolean(let b) = value else { throw mismatch() }
            out.append(b ? 1 : 0)
        case .int:
            switch value {
            case .int32(let v), .date(let v), .time(let v): AvroBinary.writeLong(Int64(v), &out)
            case .int8(let v): AvroBinary.writeLong(Int64(v), &out)
            case .int16(let v): AvroBinary.writeLong(Int64(v), &out)
            default: throw mismatch()
            }
        case .long:
            switch value {
            case .int64(let v), .timestamp(let v): AvroBinary.writeLong(v, &out)
            default: throw mismatch()
            }
        case .float:
            guard case .float32(let f) = value else { throw mismatch() }
            withUnsafeBytes(of: f.bitPattern.littleEndian) { out += $0 }
        case .double:
            guard case .float64(let d) = value else { throw mismatch() }
            withUnsafeBytes(of: d.bitPattern.littleEndian) { out += $0 }
        case .bytes:
            let bytes = try Self.bytes(value, schema, mismatch)
            AvroBinary.writeLong(Int64(bytes.count), &out)
            out += bytes
        case .string:
            guard case .string(let s) = value else { throw mismatch() }
            var s2 = s
            s2.withUTF8 { u in
                AvroBinary.writeLong(Int64(u.count), &out)
                out.append(contentsOf: u)
            }
        case .array(let items):
            switch value {
            case .array(let xs):
                guard let element = schema.valueSchema else { throw mismatch() }
                if !xs.isEmpty {
                    AvroBinary.writeLong(Int64(xs.count), &out)
                    for x in xs { try write(x, element, items, &out) }
                }
                out.append(0)
            case .map(let m):
                guard let ks = schema.keySchema, let vs = schema.valueSchema, case .named(let entry) = items,
                      case .record(let fields) = entry.shape, fields.count == 2
                else { throw mismatch() }
                let keyIndex = fields[0].name == "key" ? 0 : 1
                if !m.entries.isEmpty {
                    AvroBinary.writeLong(Int64(m.entries.count), &out)
                    for e in m.entries {
                        if keyIndex == 0 {
                            try write(e.key, ks, fields[0].type, &out)
                            try write(e.value, vs, fields[1].type, &out)
                        } else {
                            try write(e.value, vs, fields[0].type, &out)
                            try write(e.key, ks, fields[1].type, &out)
                        }
                    }
                }
                out.append(0)
            default: throw mismatch()
            }
        case .map(let values):
            guard case .map(let m) = value, let vs = schema.valueSchema else { throw mismatch() }
            if !m.entries.isEmpty {
                let ordered = javaHashMapOrder(m.entries)
                AvroBinary.writeLong(Int64(ordered.count), &out)
                for e in ordered {
                    guard case .string(let k) = e.key else {
                        if e.key.isNull { throw DataError("null key in map") }
                        throw mismatch()
                    }
                    try write(.string(k), Schema.string, .string(nil), &out)
                    try write(e.value, vs, values, &out)
                }
            }
            out.append(0)
        case .union: break
        case .named(let n):
            switch n.shape {
            case .record(let fields):
                guard case .struct(let s) = value else { throw mismatch() }
                guard s.schema == schema else { throw DataError("Mismatching struct schema") }
                let connectFields = schema.fields
                for (i, f) in fields.enumerated() {
                    let cf: Field
                    if i < connectFields.count, scrubName(connectFields[i].name) == f.name {
                        cf = connectFields[i]
                    } else if let found = connectFields.first(where: { scrubName($0.name) == f.name }) {
                        cf = found
                    } else if let d = f.defaultValue {
                        // A field the Connect schema does not have (a newer writer schema, use.latest.version): its default.
                        try Self.writeDefault(d, f.type, n.fullName + "." + f.name, &out)
                        continue
                    } else {
                        throw DataError("Field \(f.name) of \(n.fullName) has no value and no default")
                    }
                    try write(s.get(cf), cf.schema, f.type, &out)
                }
            case .enumeration(let symbols, _):
                guard case .string(let s) = value else { throw mismatch() }
                guard let i = symbols.firstIndex(of: s) else { throw DataError("Not an enum symbol of \(n.fullName): \(s)") }
                AvroBinary.writeLong(Int64(i), &out)
            case .fixed(let size, _):
                let bytes = try Self.bytes(value, schema, mismatch)
                guard bytes.count == size else { throw DataError("Fixed \(n.fullName) holds \(size) bytes, not \(bytes.count)") }
                out += bytes
            }
        }
    }

    /// An Avro field default (JSON; a union's is a value of its first branch) in the binary encoding.
    static func writeDefault(_ json: JSONValue, _ type: AvroSchema, _ field: String, _ out: inout [UInt8]) throws(DataError) {
        do {
            if case .union(let branches) = type, let first = branches.first {
                out.append(0)
                out += try AvroValue.fromJSON(json, first).encoded(first)
            } else {
                out += try AvroValue.fromJSON(json, type).encoded(type)
            }
        } catch {
            throw DataError("Invalid default of \(field): \(error)")
        }
    }

    static func bytes(_ value: Value, _ schema: Schema, _ mismatch: () -> DataError) throws(DataError) -> [UInt8] {
        switch value {
        case .bytes(let b): return b
        case .decimal(let d): return try decimalBytes(schema, d)
        default: throw mismatch()
        }
    }

    /// The union branch name Avro's `GenericData.resolveUnion` picks for a non-null datum Confluent
    /// makes from a value of `schema` (a named type's full name, else the type's name).
    func branchName(for schema: Schema, _ branches: [AvroSchema]) -> String {
        switch schema.type {
        case .int8, .int16, .int32: return "int"
        case .int64: return "long"
        case .float32: return "float"
        case .float64: return "double"
        case .boolean: return "boolean"
        case .string: return config.enhancedSchemaSupport && Self.isEnum(schema) ? schema.parameters?[Self.enumName] ?? "string" : "string"
        case .bytes:
            guard Self.isFixed(schema), let size = schema.parameters?[Self.fixedSizeProp].flatMap({ Int($0) }) else { return "bytes" }
            let member = unionMemberFieldName(schema)
            return branches.last(where: {
                if case .named(let n) = $0, case .fixed(size, _) = n.shape { return unionMemberFieldName($0) == member }
                return false
            })?.branchName ?? "bytes"
        case .array: return "array"
        case .map:
            let ks = schema.keySchema
            return ks?.type == .string && (ks?.isOptional == false || config.allowOptionalMapKeys) ? "map" : "array"
        case .struct:
            let full = scrubFullName(schema.name)
            return branches.first(where: {
                guard case .named(let n) = $0, case .record = n.shape else { return false }
                return n.fullName == full || (schema.name == nil && n.fullName.hasPrefix(Self.defaultSchemaFullName))
            })?.branchName ?? "record"
        }
    }

    /// Picks the union branch as Avro's `GenericData.resolveUnion` does for the datum Confluent makes.
    func writeBranch(_ value: Value, _ schema: Schema, _ branches: [AvroSchema], _ out: inout [UInt8]) throws(DataError) {
        let want = value.isNull ? "null" : branchName(for: schema, branches)
        guard let i = branches.firstIndex(where: { $0.branchName == want }) else {
            if value.isNull { throw DataError("Found null value for non-optional schema") }
            throw DataError("Not in union \(branches.map(\.branchName)): \(value.kindName)")
        }
        AvroBinary.writeLong(Int64(i), &out)
        if !value.isNull { try write(value, schema, branches[i], &out) }
    }

    /// Schemaless data as Confluent's `Anything` record: one optional field per kind.
    func encodeSchemaless(_ value: Value, _ out: inout [UInt8], depth: Int = 0) throws(DataError) {
        guard depth < Self.maxDepth else { throw DataError("schemaless data nested deeper than \(Self.maxDepth) levels") }
        // Field order: boolean, bytes, double, float, int, long, string, array, map.
        var slot = -1
        switch value {
        case .null: break
        case .boolean: slot = 0
        case .bytes: slot = 1
        case .float64: slot = 2
        case .float32: slot = 3
        case .int8, .int16, .int32: slot = 4
        case .int64: slot = 5
        case .string: slot = 6
        case .array: slot = 7
        case .map: slot = 8
        default: throw DataError("Unknown Java type for schemaless data: \(value.kindName)")
        }
        for i in 0..<9 {
            guard i == slot else {
                out.append(0)
                continue
            }
            out.append(2)
            switch value {
            case .boolean(let b): out.append(b ? 1 : 0)
            case .bytes(let b):
                AvroBinary.writeLong(Int64(b.count), &out)
                out += b
            case .float64(let d): withUnsafeBytes(of: d.bitPattern.littleEndian) { out += $0 }
            case .float32(let f): withUnsafeBytes(of: f.bitPattern.littleEndian) { out += $0 }
            case .int8(let v): AvroBinary.writeLong(Int64(v), &out)
            case .int16(let v): AvroBinary.writeLong(Int64(v), &out)
            case .int32(let v): AvroBinary.writeLong(Int64(v), &out)
            case .int64(let v): AvroBinary.writeLong(v, &out)
            case .string(let s):
                let u = Array(s.utf8)
                AvroBinary.writeLong(Int64(u.count), &out)
                out += u
            case .array(let xs):
                if !xs.isEmpty {
                    AvroBinary.writeLong(Int64(xs.count), &out)
                    for x in xs { try encodeSchemaless(x, &out, depth: depth + 1) }
                }
                out.append(0)
            case .map(let m):
                if !m.entries.isEmpty {
                    AvroBinary.writeLong(Int64(m.entries.count), &out)
                    for e in m.entries {
                        try encodeSchemaless(e.key, &out, depth: depth + 1)
                        try encodeSchemaless(e.value, &out, depth: depth + 1)
                    }
                }
                out.append(0)
            default: break
            }
        }
    }

    // MARK: Avro → Connect values

    /// One Avro binary value of the writer schema `node` (text) / `avro` (parsed) as Connect data, as
    /// Confluent's `AvroData.toConnectData(avroSchema, value, version)`: `nil` for a null value (a
    /// `null` schema or the null branch of a top-level union — Confluent returns null without
    /// converting the schema); otherwise the Connect schema (``toConnectSchema(_:version:)``) and value.
    ///
    /// - Throws: `DataError` for a schema Connect cannot hold or bytes that do not decode.
    public func toConnectData(_ node: AvroTypeNode, avro: AvroSchema, bytes: [UInt8], from offset: Int = 0, version: Int32? = nil) throws(DataError) -> SchemaAndValue? {
        switch avro {
        case .null: return nil
        case .union(let branches):
            var r = AvroBinary.Reader(bytes)
            r.position = offset
            if let i = try? r.long(), i >= 0, i < Int64(branches.count), case .null = branches[Int(i)] { return nil }
        default: break
        }
        let schema = try toConnectSchema(node, version: version)
        return SchemaAndValue(schema: schema, value: try decode(bytes, from: offset, avro: avro, schema: schema))
    }

    /// Reads one value of the writer schema `avro` from `bytes[offset...]` as the Connect value of
    /// `schema` (the schema ``toConnectSchema(_:version:)`` read from the same Avro schema), as Avro's
    /// `GenericDatumReader` and Confluent's `AvroData.toConnectData` do. Every byte must be used.
    ///
    /// - Throws: `DataError` naming the byte offset for truncated or invalid bytes.
    public func decode(_ bytes: [UInt8], from offset: Int = 0, avro: AvroSchema, schema: Schema?) throws(DataError) -> Value {
        var r = AvroBinary.Reader(bytes)
        r.position = offset
        do {
            let v = try read(&r, avro, schema)
            if r.position != bytes.count { throw AvroDataError("\(bytes.count - r.position) bytes left after the value", byteOffset: r.position) }
            return v
        } catch let e as AvroDataError {
            throw DataError(e.message, byteOffset: e.byteOffset)
        } catch let e as DataError {
            throw e
        } catch {
            throw DataError("\(error)")
        }
    }

    func read(_ r: inout AvroBinary.Reader, _ avro: AvroSchema, _ schema: Schema?) throws -> Value {
        guard let schema else { return try readSchemaless(&r, avro) }
        switch avro {
        case .null: return .null
        case .boolean:
            let b = try r.byte()
            guard b <= 1 else { throw AvroDataError("invalid boolean \(b)", byteOffset: r.position - 1) }
            return .boolean(b == 1)
        case .int:
            let l = try r.long()
            guard let i = Int32(exactly: l) else { throw AvroDataError("int out of range: \(l)", byteOffset: r.position) }
            return try Self.connectInt(i, schema.kind)
        case .long:
            let l = try r.long()
            return schema.kind == .timestamp ? .timestamp(l) : .int64(l)
        case .float:
            let b = try r.take(4)
            return .float32(Float(bitPattern: UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24))
        case .double:
            let b = try r.take(8)
            var bits: UInt64 = 0
            for i in 0..<8 { bits |= UInt64(b[i]) << (8 * UInt64(i)) }
            return .float64(Double(bitPattern: bits))
        case .bytes:
            return try Self.bytesValue(try r.take(try r.length()), schema)
        case .string:
            return .string(String(decoding: try r.take(try r.length()), as: UTF8.self))
        case .array(let items):
            if schema.type == .map {
                guard let ks = schema.keySchema, let vs = schema.valueSchema, case .named(let entry) = items,
                      case .record(let fields) = entry.shape
                else { throw DataError("Found map encoded as array of key-value pairs, but array elements do not match the expected format.") }
                var m = MapValue()
                while true {
                    let n = try r.blockCount(items)
                    if n == 0 { break }
                    for _ in 0..<n {
                        var k: Value = .null
                        var v: Value = .null
                        for f in fields {
                            if f.name == "key" { k = try read(&r, f.type, ks) } else if f.name == "value" { v = try read(&r, f.type, vs) } else { _ = try read(&r, f.type, nil) }
                        }
                        m.entries.append(MapEntry(key: k, value: v))
                    }
                }
                return .map(m)
            }
            guard let element = schema.valueSchema else { throw DataError("Array schema without element schema") }
            var out: [Value] = []
            while true {
                let n = try r.blockCount(items)
                if n == 0 { break }
                out.reserveCapacity(out.count + n)
                for _ in 0..<n { out.append(try read(&r, items, element)) }
            }
            return .array(out)
        case .map(let values):
            guard let vs = schema.valueSchema else { throw DataError("Map schema without value schema") }
            var m = MapValue()
            while true {
                let n = try r.blockCount(.string(nil))
                if n == 0 { break }
                for _ in 0..<n {
                    let k = String(decoding: try r.take(try r.length()), as: UTF8.self)
                    m.entries.append(MapEntry(key: .string(k), value: try read(&r, values, vs)))
                }
            }
            return .map(m)
        case .union(let branches):
            let i = try r.long()
            guard i >= 0, i < Int64(branches.count) else { throw AvroDataError("union branch \(i) of \(branches.count)", byteOffset: r.position) }
            let branch = branches[Int(i)]
            if case .null = branch { return .null }
            if schema.name == Self.unionName, schema.type == .struct {
                let fieldIndex = try unionField(for: branch, in: schema)
                let f = schema.fields[fieldIndex]
                var values = [Value](repeating: .null, count: schema.fields.count)
                values[fieldIndex] = try read(&r, branch, f.schema)
                return .struct(Struct(unchecked: schema, values: values))
            }
            return try read(&r, branch, schema)
        case .named(let n):
            switch n.shape {
            case .record(let fields):
                guard schema.type == .struct else { throw DataError("Invalid type for \(schema.type.rawValue.uppercased()): record \(n.fullName)") }
                var values = [Value](repeating: .null, count: schema.fields.count)
                for (i, f) in fields.enumerated() {
                    let index: Int? = i < schema.fields.count && schema.fields[i].name == f.name ? i : schema.field(f.name)?.index
                    if let index {
                        values[index] = try read(&r, f.type, schema.fields[index].schema)
                    } else {
                        try skip(&r, f.type)
                    }
                }
                return .struct(Struct(unchecked: schema, values: values))
            case .enumeration(let symbols, _):
                let i = try r.long()
                guard i >= 0, i < Int64(symbols.count) else { throw AvroDataError("\(n.fullName) has no symbol \(i)", byteOffset: r.position) }
                return .string(symbols[Int(i)])
            case .fixed(let size, _):
                return try Self.bytesValue(try r.take(size), schema)
            }
        }
    }

    /// An Avro `int` as the Connect value of a schema of `kind` (Confluent's `byteValue`/`shortValue`
    /// truncation for int8/int16; Connect's range check for Time).
    static func connectInt(_ i: Int32, _ kind: Schema.Kind) throws(DataError) -> Value {
        switch kind {
        case .int8: return .int8(Int8(truncatingIfNeeded: i))
        case .int16: return .int16(Int16(truncatingIfNeeded: i))
        case .date: return .date(i)
        case .time:
            guard i >= 0, i <= 86_400_000 else { throw DataError("Time values must use number of milliseconds greater than 0 and less than 86400000") }
            return .time(i)
        default: return .int32(i)
        }
    }

    static func bytesValue(_ bytes: [UInt8], _ schema: Schema) throws -> Value {
        if schema.kind == .decimal {
            guard !bytes.isEmpty else { throw DataError("Zero length BigInteger") }
            return .decimal(BigDecimal(unscaled: BigInt(twosComplement: bytes), scale: schema.decimalScale))
        }
        return .bytes(bytes)
    }

    func skip(_ r: inout AvroBinary.Reader, _ avro: AvroSchema) throws {
        _ = try r.read(avro)
    }

    /// The field of a Confluent `Union` struct a decoded branch lands in: the first field whose Java
    /// class test accepts the value (`AvroData.isInstanceOfAvroSchemaTypeForSimpleSchema`), records
    /// by their own field.
    func unionField(for branch: AvroSchema, in schema: Schema) throws -> Int {
        let own = unionMemberFieldName(branch)
        for (i, f) in schema.fields.enumerated() {
            let s = f.schema
            if Self.isEnum(s) {
                if case .named(let n) = branch, case .enumeration = n.shape, s.parameters?[Self.enumName] == n.fullName { return i }
                continue
            }
            switch branch {
            case .int: if s.type == .int32 { return i }
            case .long: if s.type == .int64 { return i }
            case .float: if s.type == .float32 { return i }
            case .double: if s.type == .float64 { return i }
            case .boolean: if s.type == .boolean { return i }
            case .string: if s.type == .string { return i }
            case .array: if s.type == .array { return i }
            case .map: if s.type == .map { return i }
            case .bytes:
                if s.type == .bytes {
                    if !Self.isFixed(s) { return i }
                }
            case .named(let n):
                switch n.shape {
                case .fixed:
                    if s.type == .bytes, !Self.isFixed(s) || unionMemberFieldName(s) == own { return i }
                case .record:
                    if f.name == own { return i }
                case .enumeration: break
                }
            default: break
            }
        }
        throw DataError("Did not find matching union field for data")
    }

    func unionMemberFieldName(_ branch: AvroSchema) -> String {
        if case .named(let n) = branch {
            return config.enhancedSchemaSupport ? n.fullName : String(n.fullName.split(separator: ".").last ?? "")
        }
        return branch.branchName
    }

    /// How deep schemaless (recursive `Anything`) data may nest: deeper is a `DataError`, not a stack overflow.
    static let maxDepth = 512

    func readSchemaless(_ r: inout AvroBinary.Reader, _ avro: AvroSchema, depth: Int = 0) throws -> Value {
        guard depth < Self.maxDepth else { throw DataError("schemaless data nested deeper than \(Self.maxDepth) levels", byteOffset: r.position) }
        guard case .named(let n) = avro, case .record(let fields) = n.shape, fields.count == 9 else {
            throw DataError("Invalid Avro data for schemaless Connect data")
        }
        var result: Value? = nil
        for (slot, f) in fields.enumerated() {
            guard case .union(let branches) = f.type else { throw DataError("Invalid Avro data for schemaless Connect data") }
            let i = try r.long()
            guard i >= 0, i < Int64(branches.count) else { throw AvroDataError("union branch \(i) of \(branches.count)", byteOffset: r.position) }
            let b = branches[Int(i)]
            if case .null = b { continue }
            let v: Value
            switch slot {
            case 7:
                guard case .array(let items) = b else { throw DataError("Invalid Avro data for schemaless Connect data") }
                var xs: [Value] = []
                while true {
                    let n = try r.blockCount(items)
                    if n == 0 { break }
                    for _ in 0..<n { xs.append(try readSchemaless(&r, items, depth: depth + 1)) }
                }
                v = .array(xs)
            case 8:
                guard case .array(let items) = b else { throw DataError("Invalid Avro data for schemaless Connect data") }
                var m = MapValue()
                while true {
                    let n = try r.blockCount(items)
                    if n == 0 { break }
                    for _ in 0..<n {
                        let k = try readSchemaless(&r, avro, depth: depth + 1)
                        let x = try readSchemaless(&r, avro, depth: depth + 1)
                        m.entries.append(MapEntry(key: k, value: x))
                    }
                }
                v = .map(m)
            default:
                let schema: Schema = [Schema.boolean, .bytes, .float64, .float32, .int32, .int64, .string][slot]
                v = try read(&r, b, schema)
            }
            if result == nil { result = v }
        }
        return result ?? .null
    }
}
