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

extension JavaTextVectorTests {
    /// Every temporal value as the milliseconds of the java.util.Date Kafka holds.
    static func javaDates(_ v: Value) -> Value {
        switch v {
        case .date(let d): .timestamp(Int64(d) * 86_400_000)
        case .time(let t): .timestamp(Int64(t))
        case .array(let items): .array(items.map(javaDates))
        case .map(let m): .map(MapValue(entries: m.entries.map { MapEntry(key: javaDates($0.key), value: javaDates($0.value)) }))
        default: v
        }
    }

    /// SimpleHeaderConverter (Values.parseString and convertToString) on random header texts:
    /// schema, value and the text written back. Where Kafka makes a temporal value its own schema
    /// rejects (the generator cannot describe it: "error"), ConnectKit keeps the text as a string.
    @Test func headerInferenceMatchesKafka() throws {
        let vectors = JavaTextVector.of("header")
        #expect(vectors.count >= 1000)
        let converter = SimpleHeaderConverter()
        var failures: [String] = []
        for v in vectors {
            let input = v["input"] as! String
            let ours = try converter.toConnectHeader(topic: "topic", headerKey: "h", value: Array(input.utf8))
            let printed = try converter.fromConnectHeader(topic: "topic", headerKey: "h", schema: ours.schema, value: ours.value)
                .map { String(decoding: $0, as: UTF8.self) }
            if let error = v["error"] as? String {
                if ours.schema != .string || ours.value != .string(input) { failures.append("\(input): Kafka \(error), ours \(ours)") }
                continue
            }
            guard let result = v["result"] as? [String: Any] else {
                if !ours.value.isNull || ours.schema != nil { failures.append("\(input): Kafka null, ours \(ours)") }
                continue
            }
            let schema = try decodeSchema(result["schema"])
            let expected = decodeValue(result["value"], schema)
            let hasJavaDates = "\(result["value"]!)".contains("javadate")
            let sameValue = hasJavaDates ? Self.javaDates(ours.value) == Self.javaDates(expected) : ours.value == expected
            if ours.schema != schema || !sameValue {
                failures.append("\(input): Kafka \(schema.map { "\($0)" } ?? "nil") \(expected), ours \(ours.schema.map { "\($0)" } ?? "nil") \(ours.value)")
            } else if let kafka = v["printed"] as? String, let printed, printed != kafka {
                // JDK 17's Float.toString can print more digits than needed (1.29396952E12); ConnectKit
                // prints the shortest text, as JDK 19 and later do: the same floats, fewer digits.
                guard case .float32(let f) = ours.value else {
                    failures.append("\(input): Kafka prints \(kafka), ours \(printed)")
                    continue
                }
                let sameFloats = Float(printed) == f && Float(kafka) == f && printed.count < kafka.count
                if !sameFloats { failures.append("\(input): Kafka prints \(kafka), ours \(printed)") }
            } else if printed != v["printed"] as? String {
                failures.append("\(input): Kafka prints \(v["printed"] ?? "nil"), ours \(printed ?? "nil")")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(vectors.count) differ:\n\(failures.prefix(30).joined(separator: "\n"))")
    }
}

extension JavaTextVectorTests {
    /// What FileStreamSink writes for a value: Java's String.valueOf of what Kafka's JsonConverter
    /// reads (Struct.toString, HashMap order, Date.toString in UTC), on random schemas and values.
    @Test func valueTextIsJavasToString() throws {
        let vectors = JavaTextVector.of("toString")
        #expect(vectors.count >= 500)
        let converter = try JSONConverter(configuration: ["schemas.enable": "true", "decimal.format": "NUMERIC"], isKey: false)
        var failures: [String] = []
        for v in vectors {
            let json = v["json"] as! String, kafka = v["text"] as! String
            let value = try converter.toConnectData(topic: "t", value: Array(json.utf8)).value
            let ours = JavaObjectText.string(value, zone: .utc)
            if ours != kafka { failures.append("\(json)\n  Kafka \(kafka)\n  ours  \(ours)") }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(vectors.count) differ:\n\(failures.prefix(20).joined(separator: "\n"))")
    }
}
