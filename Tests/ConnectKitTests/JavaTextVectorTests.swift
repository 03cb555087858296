import Foundation
import Testing

@testable import ConnectKit

/// One line of Vectors/java-text.jsonl: randomized differential vectors made by Kafka 4.3's own
/// classes (scripts/gen-java-text-vectors.sh).
struct JavaTextVector: CustomTestStringConvertible, Sendable {
    let index: Int
    let raw: [String: SendableBox]
    subscript(_ key: String) -> Any? { raw[key]?.value }
    var testDescription: String { "\(raw["kind"]!.value) #\(index)" }

    static let all: [JavaTextVector] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/java-text.jsonl")
        return try! String(contentsOf: url, encoding: .utf8).split(separator: "\n").enumerated().map { i, line in
            let obj = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return JavaTextVector(index: i, raw: obj.mapValues { SendableBox($0) })
        }
    }()

    static func of(_ kind: String) -> [JavaTextVector] { all.filter { $0["kind"] as? String == kind } }
}

@Suite("Java text behaviour, randomized against Kafka's classes")
struct JavaTextVectorTests {
    /// RegexRouter: `matches()` on the whole topic, then `replaceFirst` — `$n`, `${name}`, escapes
    /// and Java's exceptions for bad replacements.
    @Test func regexRouterReplacementsMatchJava() throws {
        let vectors = JavaTextVector.of("regex")
        #expect(vectors.count >= 500)
        var failures: [String] = []
        for v in vectors {
            let regex = v["regex"] as! String, topic = v["topic"] as! String, replacement = v["replacement"] as! String
            let expected: String
            if let error = v["error"] as? String {
                expected = "error " + error
            } else {
                expected = (v["result"] as? String).map { "result " + $0 } ?? "unchanged"
            }
            let got: String
            do {
                let r = try JavaRegex(regex, key: "regex")
                got = try r.replaceFirstIfWholeMatch(topic, with: replacement).map { "result " + $0 } ?? "unchanged"
            } catch let e as JavaRuntimeError {
                got = "error \(e.javaClassName): \(e.javaMessage)"
            }
            if got != expected { failures.append("regex=\(regex) topic=\(topic) replacement=\(replacement): Java \(expected), ours \(got)") }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(vectors.count) differ:\n\(failures.prefix(20).joined(separator: "\n"))")
    }
}
