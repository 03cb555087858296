import Foundation
import Testing

@testable import ConnectKit

/// Randomized SimpleDateFormat and Date.toString cases made by the JDK (Vectors/java-dates.jsonl,
/// scripts/gen-java-date-vectors.sh): patterns × instants × time zones × English locales.
enum JavaDateVectors {
    static let all: [[String: SendableBox]] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/java-dates.jsonl")
        return try! String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
            (try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]).mapValues { SendableBox($0) }
        }
    }()

    static func of(_ kind: String) -> [[String: Any]] {
        all.filter { $0["kind"]?.value as? String == kind }.map { $0.mapValues(\.value) }
    }

    static func int64(_ v: Any?) -> Int64? { (v as? NSNumber)?.int64Value }
}

@Suite("SimpleDateFormat and Date.toString against the JDK")
struct JavaDateVectorTests {
    @Test func formatMatchesTheJDK() throws {
        let vectors = JavaDateVectors.of("format")
        #expect(vectors.count >= 2000)
        var failures: [String] = []
        for v in vectors {
            let pattern = v["pattern"] as! String, zoneID = v["zone"] as! String, millis = JavaDateVectors.int64(v["millis"])!
            guard let zone = JavaTimeZone(id: zoneID) else {
                failures.append("unknown zone \(zoneID)")
                continue
            }
            let f = try JavaDateFormat(pattern, zone: zone, locale: .named(v["locale"] as! String))
            let text = f.format(millis)
            if text != v["text"] as! String { failures.append("\(pattern) \(zoneID) \(v["locale"]!) \(millis): JDK \(v["text"]!) ours \(text)") }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(vectors.count) differ:\n\(failures.prefix(25).joined(separator: "\n"))")
    }

    @Test func patternErrorsMatchTheJDK() {
        for v in JavaDateVectors.of("patternError") {
            let pattern = v["pattern"] as! String
            #expect(throws: JavaRuntimeError.illegalArgument(v["error"] as! String), "\(pattern)") { try JavaDateFormat(pattern) }
        }
    }

    @Test func dateToStringMatchesTheJDK() {
        let vectors = JavaDateVectors.of("toString")
        var failures: [String] = []
        for v in vectors {
            let zoneID = v["zone"] as! String, millis = JavaDateVectors.int64(v["millis"])!
            let text = JavaDate.toString(millis, zone: JavaTimeZone(id: zoneID)!)
            if text != v["text"] as! String { failures.append("\(zoneID) \(millis): JDK \(v["text"]!) ours \(text)") }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(vectors.count) differ:\n\(failures.prefix(25).joined(separator: "\n"))")
    }
}

extension JavaDateVectorTests {
    @Test func lenientParseMatchesTheJDK() throws {
        let centuryStart = JavaDateVectors.int64(JavaDateVectors.of("meta").first?["defaultCenturyStart"])!
        let vectors = JavaDateVectors.of("parse")
        #expect(vectors.count >= 1000)
        var failures: [String] = []
        for v in vectors {
            let pattern = v["pattern"] as! String, zoneID = v["zone"] as! String, text = v["text"] as! String
            let f = try JavaDateFormat(pattern, zone: JavaTimeZone(id: zoneID)!, locale: .named(v["locale"] as! String))
            let r = f.parse(text, from: 0, defaultCenturyStart: centuryStart)
            let expected: String
            if let millis = JavaDateVectors.int64(v["millis"]) {
                expected = "\(millis) end \(JavaDateVectors.int64(v["end"])!)"
            } else {
                expected = "error at \(JavaDateVectors.int64(v["errorOffset"])!)"
            }
            let got = r.millis.map { "\($0) end \(r.end)" } ?? "error at \(r.errorOffset)"
            if got != expected { failures.append("\(pattern) \(zoneID) \(v["locale"]!) '\(text)': JDK \(expected), ours \(got)") }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(vectors.count) differ:\n\(failures.prefix(30).joined(separator: "\n"))")
    }
}

extension JavaDateVectorTests {
    /// The two-digit-year window: the JDK's `Calendar.add(YEAR, -80)` from the moment a format is made.
    @Test func theTwoDigitYearWindowStartsEightyYearsBackAsTheJDKCounts() {
        let vectors = JavaDateVectors.of("minus80")
        #expect(vectors.count >= 100)
        var failures: [String] = []
        for v in vectors {
            let zoneID = v["zone"] as! String, millis = JavaDateVectors.int64(v["millis"])!
            let ours = JavaDateFormat.eightyYearsBefore(millis, zone: JavaTimeZone(id: zoneID)!)
            if ours != JavaDateVectors.int64(v["result"])! { failures.append("\(zoneID) \(millis): JDK \(v["result"]!) ours \(ours)") }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(vectors.count) differ:\n\(failures.prefix(25).joined(separator: "\n"))")
    }
}
