import ConnectKit

extension AvroValue {
    /// Decodes bytes written with `writer`'s schema as a value of `reader`'s schema (the
    /// specification's "Schema Resolution"): record fields matched by name (and the reader's
    /// aliases), writer-only fields skipped, reader-only fields taking their defaults; `int` →
    /// `long`/`float`/`double`, `long` → `float`/`double`, `float` → `double`, `string` ↔ `bytes`;
    /// enum symbols by name (the reader's default for an unknown one); unions resolved branch by
    /// branch (a reader union takes the first branch that matches the writer's type exactly, else
    /// the first it can be promoted to).
    /// - Throws: ``AvroDataError`` when the schemas do not match or the bytes are not a value of
    ///   the writer's schema.
    public static func decode(_ bytes: [UInt8], writer: AvroSchema, reader: AvroSchema) throws(AvroDataError) -> AvroValue {
        var r = AvroBinary.Reader(bytes)
        let v = try r.resolve(writer, reader)
        guard r.position == bytes.count else { throw AvroDataError("\(bytes.count - r.position) byte(s) after the value", byteOffset: r.position) }
        return v
    }
}

extension AvroSchema {
    /// Whether values of `writer` can be read as this schema without a union in between.
    func reads(_ writer: AvroSchema, exactly: Bool) -> Bool {
        switch (writer, self) {
        case (.null, .null), (.boolean, .boolean), (.int, .int), (.long, .long), (.float, .float), (.double, .double),
             (.bytes, .bytes), (.string, .string), (.array, .array), (.map, .map):
            return true
        case (.named(let w), .named(let r)):
            return AvroSchema.namesMatch(w, r)
        case (.int, .long), (.int, .float), (.int, .double), (.long, .float), (.long, .double), (.float, .double),
             (.string, .bytes), (.bytes, .string):
            return !exactly
        default:
            return false
        }
    }

    static func namesMatch(_ w: AvroNamedType, _ r: AvroNamedType) -> Bool {
        let short = { (n: String) in n.split(separator: ".").last.map(String.init) ?? n }
        let kindsMatch: Bool = switch (w.shape, r.shape) {
        case (.record, .record), (.enumeration, .enumeration), (.fixed, .fixed): true
        default: false
        }
        return kindsMatch && (short(w.fullName) == short(r.fullName) || r.aliases.contains(w.fullName) || r.aliases.map(short).contains(short(w.fullName)))
    }
}

extension AvroBinary.Reader {
    mutating func resolve(_ writer: AvroSchema, _ reader: AvroSchema) throws(AvroDataError) -> AvroValue {
        if case .union(let wb) = writer {
            let i = try long()
            guard i >= 0, i < Int64(wb.count) else { throw AvroDataError("union branch \(i) of \(wb.count)", byteOffset: position) }
            return try resolve(wb[Int(i)], reader)
        }
        if case .union(let rb) = reader {
            let index = rb.firstIndex { $0.reads(writer, exactly: true) } ?? rb.firstIndex { $0.reads(writer, exactly: false) }
            guard let index else { throw AvroDataError("the reader's union has no branch for \(writer.branchName)", byteOffset: position) }
            return .union(index, try resolve(writer, rb[index]))
        }
        switch (writer, reader) {
        case (.int, .long): if case .int(let v) = try read(writer) { return .long(Int64(v)) }
        case (.int, .float): if case .int(let v) = try read(writer) { return .float(Float(v)) }
        case (.int, .double): if case .int(let v) = try read(writer) { return .double(Double(v)) }
        case (.long, .float): if case .long(let v) = try read(writer) { return .float(Float(v)) }
        case (.long, .double): if case .long(let v) = try read(writer) { return .double(Double(v)) }
        case (.float, .double): if case .float(let v) = try read(writer) { return .double(Double(v)) }
        case (.string, .bytes): if case .string(let v) = try read(writer) { return .bytes(Array(v.utf8)) }
        case (.bytes, .string):
            if case .bytes(let v) = try read(writer) {
                guard let text = String(validating: v, as: UTF8.self) else { throw AvroDataError("bytes that are not UTF-8 read as a string", byteOffset: position) }
                return .string(text)
            }
        case (.array(let wi), .array(let ri)):
            var out: [AvroValue] = []
            while true {
                let n = try blockCount(wi)
                if n == 0 { break }
                for _ in 0..<n { out.append(try resolve(wi, ri)) }
            }
            return .array(out)
        case (.map(let wv), .map(let rv)):
            var out: [AvroValue.MapEntry] = []
            while true {
                let n = try blockCount(.string(nil))
                if n == 0 { break }
                for _ in 0..<n {
                    guard case .string(let k) = try read(.string(nil)) else { continue }
                    out.append(AvroValue.MapEntry(key: k, value: try resolve(wv, rv)))
                }
            }
            return .map(out)
        case (.named(let w), .named(let r)) where AvroSchema.namesMatch(w, r):
            switch (w.shape, r.shape) {
            case (.record(let wf), .record(let rf)):
                var values = [AvroValue?](repeating: nil, count: rf.count)
                for f in wf {
                    if let i = rf.firstIndex(where: { $0.name == f.name || $0.aliases.contains(f.name) }) {
                        values[i] = try resolve(f.type, rf[i].type)
                    } else {
                        _ = try read(f.type)  // a field the reader does not have: skipped
                    }
                }
                for (i, f) in rf.enumerated() where values[i] == nil {
                    guard let d = f.defaultValue else {
                        throw AvroDataError("\(r.fullName).\(f.name) is not in the writer's schema and has no default", byteOffset: position)
                    }
                    values[i] = try AvroValue.defaultValue(d, f.type)
                }
                return .record(values.map { $0! })
            case (.enumeration(let ws, _), .enumeration(let rs, let rdefault)):
                guard case .enumSymbol(let i) = try read(writer) else { break }
                let symbol = ws[i]
                if let j = rs.firstIndex(of: symbol) { return .enumSymbol(j) }
                if let d = rdefault, let j = rs.firstIndex(of: d) { return .enumSymbol(j) }
                throw AvroDataError("No match for \(symbol)", byteOffset: position)
            case (.fixed(let ws, _), .fixed(let rs, _)) where ws == rs:
                return try read(writer)
            default:
                break
            }
        default:
            if reader.reads(writer, exactly: true) { return try read(writer) }
        }
        throw AvroDataError("Found \(writer.branchName), expecting \(reader.branchName)", byteOffset: position)
    }
}

extension AvroValue {
    /// A field default (JSON, as the schema writes it) as a value of `schema`: a union's default is a
    /// value of its first branch.
    static func defaultValue(_ json: JSONValue, _ schema: AvroSchema) throws(AvroDataError) -> AvroValue {
        if case .union(let branches) = schema, let first = branches.first {
            return .union(0, try fromJSON(json, first))
        }
        return try fromJSON(json, schema)
    }
}
