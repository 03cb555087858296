extension ConfigDef {
    private func documented() -> [Key] {
        keys.filter { !$0.isInternal }
    }

    private static func typeName(_ t: ValueType) -> String { t.rawValue.lowercased() }

    private static func defaultText(_ k: Key) -> String? {
        switch k.defaultValue {
        case .required: return nil
        case .null: return "null"
        case .value(let s):
            if k.type == .password { return Password.hidden }
            return s.isEmpty ? "\"\"" : s
        }
    }

    /// The keys as reStructuredText, in the format of Kafka's `ConfigDef.toRst()`.
    public func toRST() -> String {
        var out = ""
        for k in documented() {
            out += "``\(k.name)``\n"
            for line in k.documentation.split(separator: "\n", omittingEmptySubsequences: false) { out += "  \(line)\n" }
            out += "\n"
            out += "  * Type: \(ConfigDef.typeName(k.type))\n"
            if let d = ConfigDef.defaultText(k) { out += "  * Default: \(d)\n" }
            if let v = k.validator { out += "  * Valid Values: \(v.description)\n" }
            out += "  * Importance: \(k.importance.rawValue.lowercased())\n"
            out += "\n"
        }
        return out
    }

    /// The keys as a Markdown table (name, description, type, default, valid values, importance).
    public func toMarkdown() -> String {
        func cell(_ s: String) -> String {
            s.replacingAll("|", with: "\\|").replacingAll("\n", with: " ")
        }
        var out = "| Name | Description | Type | Default | Valid Values | Importance |\n"
        out += "| --- | --- | --- | --- | --- | --- |\n"
        for k in documented() {
            let d = ConfigDef.defaultText(k) ?? ""
            out += "| `\(k.name)` | \(cell(k.documentation)) | \(ConfigDef.typeName(k.type)) | \(cell(d)) | \(cell(k.validator?.description ?? "")) | \(k.importance.rawValue.lowercased()) |\n"
        }
        return out
    }
}

extension String {
    /// Replaces every occurrence of `target` (no Foundation needed).
    package func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        guard let first = target.first else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i] == first, self[i...].hasPrefix(target) {
                return i..<index(i, offsetBy: target.count)
            }
            i = index(after: i)
        }
        return nil
    }
}
