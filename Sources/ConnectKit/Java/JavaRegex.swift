import Synchronization

/// A Java runtime exception with Kafka's class and message — what a Java worker throws while
/// applying a transformation (`java.lang.IllegalArgumentException: Illegal group reference`,
/// `java.lang.IndexOutOfBoundsException: No group 2`, …).
public struct JavaRuntimeError: Error, Sendable, Hashable, CustomStringConvertible, JavaException {
    public var javaClassName: String
    public var javaMessage: String

    /// An exception of the Java class `javaClassName` (e.g. `java.lang.IllegalArgumentException`)
    /// with the message `javaMessage`.
    public init(_ javaClassName: String, _ javaMessage: String) {
        self.javaClassName = javaClassName
        self.javaMessage = javaMessage
    }

    static func illegalArgument(_ message: String) -> JavaRuntimeError { JavaRuntimeError("java.lang.IllegalArgumentException", message) }

    public var description: String { "\(javaClassName): \(javaMessage)" }
}

/// A regular expression as connector configurations use them — Java's `Pattern` over Swift's
/// `Regex` (the syntax connector configs use is common to both; matching is on Unicode scalars, as
/// Java matches code points) — with `Matcher.replaceFirst`'s replacement syntax exactly as Java:
/// `$n` (greedy over the digits while the group exists), `${name}`, `\` escapes, and Java's errors.
package struct JavaRegex: @unchecked Sendable {
    package let source: String
    // Regex is not Sendable; it is immutable here and every use works on a copy of the value.
    private let regex: Regex<AnyRegexOutput>

    package init(_ pattern: String, key: String) throws(ConfigError) {
        source = pattern
        do {
            regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
        } catch {
            throw ConfigError(key: key, message: "Invalid value \(pattern) for configuration \(key): Invalid regex: \(error)")
        }
    }

    /// Whether the whole text matches (Java's `Matcher.matches`).
    package func matchesWhole(_ text: String) -> Bool { (try? regex.wholeMatch(in: text)) != nil }

    /// Kafka's RegexRouter step: when the whole text matches, `Matcher.replaceFirst(replacement)` —
    /// which searches again from the start and replaces the first match found; else nil.
    /// - Throws: ``JavaRuntimeError`` with Java's class and message for a bad replacement.
    package func replaceFirstIfWholeMatch(_ text: String, with replacement: String) throws(JavaRuntimeError) -> String? {
        guard matchesWhole(text), let m = try? regex.firstMatch(in: text) else { return nil }
        let expanded = try expand(replacement, m)
        return String(text[..<m.range.lowerBound]) + expanded + String(text[m.range.upperBound...])
    }

    private func group(_ m: Regex<AnyRegexOutput>.Match, _ n: Int) -> String {
        guard n < m.output.count, let sub = m.output[n].substring else { return "" }
        return String(sub)
    }

    /// Java's `Matcher.appendExpandedReplacement`.
    private func expand(_ replacement: String, _ m: Regex<AnyRegexOutput>.Match) throws(JavaRuntimeError) -> String {
        let r = Array(replacement.unicodeScalars)
        let groupCount = m.output.count - 1
        var out = String.UnicodeScalarView()
        var i = 0
        func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
        func isLetterOrDigit(_ c: Unicode.Scalar) -> Bool {
            isDigit(c) || (c.value >= 0x41 && c.value <= 0x5A) || (c.value >= 0x61 && c.value <= 0x7A)
        }
        while i < r.count {
            let c = r[i]
            if c == "\\" {
                i += 1
                guard i < r.count else { throw .illegalArgument("character to be escaped is missing") }
                out.append(r[i])
                i += 1
            } else if c == "$" {
                i += 1
                guard i < r.count else { throw .illegalArgument("Illegal group reference: group index is missing") }
                if r[i] == "{" {
                    i += 1
                    var name = ""
                    while i < r.count, isLetterOrDigit(r[i]) {
                        name.unicodeScalars.append(r[i])
                        i += 1
                    }
                    guard !name.isEmpty else { throw .illegalArgument("named capturing group has 0 length name") }
                    guard i < r.count, r[i] == "}" else { throw .illegalArgument("named capturing group is missing trailing '}'") }
                    i += 1
                    if let first = name.unicodeScalars.first, isDigit(first) {
                        throw .illegalArgument("capturing group name {\(name)} starts with digit character")
                    }
                    guard let n = m.output.indices.first(where: { m.output[$0].name == name }) else {
                        throw .illegalArgument("No group with name {\(name)}")
                    }
                    out.append(contentsOf: group(m, n).unicodeScalars)
                } else {
                    guard isDigit(r[i]) else { throw .illegalArgument("Illegal group reference") }
                    var n = Int(r[i].value - 0x30)
                    i += 1
                    while i < r.count, isDigit(r[i]) {
                        let next = n * 10 + Int(r[i].value - 0x30)
                        if next > groupCount { break }
                        n = next
                        i += 1
                    }
                    guard n <= groupCount else { throw JavaRuntimeError("java.lang.IndexOutOfBoundsException", "No group \(n)") }
                    out.append(contentsOf: group(m, n).unicodeScalars)
                }
            } else {
                out.append(c)
                i += 1
            }
        }
        return String(out)
    }
}
