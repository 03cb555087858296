extension AvroSchema {
    /// Whether data written with `writer` can be read with this schema as the reader, by the
    /// specification's resolution rules (Java's `SchemaCompatibility` "backward compatible" check of
    /// this schema against `writer`): record fields by name or the reader's aliases (a reader field
    /// missing from the writer needs a default), the numeric and `string`↔`bytes` promotions, enum
    /// symbols (the writer's all known, or a reader default), fixed sizes, named types by full name or
    /// alias, every writer union branch readable by some reader branch.
    public func canRead(writer: AvroSchema) -> Bool {
        var seen = Set<String>()
        return Self.canRead(self, writer, &seen)
    }

    static func canRead(_ reader: AvroSchema, _ writer: AvroSchema, _ seen: inout Set<String>) -> Bool {
        if case .union(let ws) = writer { return ws.allSatisfy { canRead(reader, $0, &seen) } }
        if case .union(let rs) = reader { return rs.contains { canRead($0, writer, &seen) } }
        switch (reader, writer) {
        case (.null, .null), (.boolean, .boolean), (.int, .int), (.long, .long), (.float, .float), (.double, .double),
             (.bytes, .bytes), (.string, .string):
            return true
        case (.long, .int), (.float, .int), (.float, .long), (.double, .int), (.double, .long), (.double, .float),
             (.string, .bytes), (.bytes, .string):
            return true
        case (.array(let r), .array(let w)), (.map(let r), .map(let w)):
            return canRead(r, w, &seen)
        case (.named(let r), .named(let w)):
            guard r.fullName == w.fullName || r.aliases.contains(w.fullName) else { return false }
            let key = r.fullName + "<-" + w.fullName
            if seen.contains(key) { return true }
            seen.insert(key)
            switch (r.shape, w.shape) {
            case (.record(let rf), .record(let wf)):
                for f in rf {
                    if let match = wf.first(where: { $0.name == f.name || f.aliases.contains($0.name) }) {
                        if !canRead(f.type, match.type, &seen) { return false }
                    } else if f.defaultValue == nil {
                        return false
                    }
                }
                return true
            case (.enumeration(let rs, let def), .enumeration(let ws, _)):
                return def != nil || Set(ws).isSubset(of: Set(rs))
            case (.fixed(let rs, _), .fixed(let ws, _)):
                return rs == ws
            default:
                return false
            }
        default:
            return false
        }
    }
}
