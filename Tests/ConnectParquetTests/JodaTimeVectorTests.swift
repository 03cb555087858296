@testable import ConnectKit
import ConnectS3
import Foundation
import Testing

/// Randomized differential vectors made by joda-time 2.10.1 (`scripts/gen-joda-vectors.sh`): the
/// time-based partitioner's buckets and `path.format` texts, ISO-8601 parsing as the RecordField
/// extractor does it, and scheduled rotation times.
@Suite("Joda-Time differential vectors (TimeBasedPartitioner, path.format, ISO parsing, scheduled rotation)")
struct JodaTimeVectorTests {
    static func vectors(_ kind: String) throws -> [[String: Any]] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/joda-time.jsonl")
        let text = try String(contentsOf: file, encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line in
            let v = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return v["kind"] as? String == kind ? v : nil
        }
    }

    @Test("buckets and path.format texts: 3000 random patterns, instants (year ends, DST changes) and zones, as Joda prints them")
    func buckets() throws {
        let cases = try Self.vectors("bucket")
        #expect(cases.count >= 2900)
        var failures: [String] = []
        for c in cases {
            let pattern = c["pattern"] as! String, zoneID = c["zone"] as! String
            let ts = (c["ts"] as! NSNumber).int64Value, duration = (c["duration"] as! NSNumber).int64Value
            let zone = try #require(JodaZone(id: zoneID), "zone \(zoneID)")
            let local = zone.utcToLocal(ts)
            let bucket = zone.localToUTC(local / duration * duration)
            let text = try JodaDateTimeFormat(pattern: pattern).print(bucket, zone: zone)
            if bucket != (c["bucket"] as! NSNumber).int64Value || text != c["text"] as! String {
                failures.append("\(pattern) \(zoneID) ts=\(ts) d=\(duration): bucket \(bucket) vs \(c["bucket"]!), '\(text)' vs '\(c["text"]!)'")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) differ: \(failures.prefix(8).joined(separator: "\n"))")
    }

    @Test("patterns Joda rejects are rejected with Joda's message; the ones it accepts are accepted")
    func illegal() throws {
        for c in try Self.vectors("illegal") {
            let pattern = c["pattern"] as! String
            #expect(throws: JodaPatternError.self, "\(pattern)") { _ = try JodaDateTimeFormat(pattern: pattern) }
        }
        for c in try Self.vectors("valid") { _ = try JodaDateTimeFormat(pattern: c["pattern"] as! String) }
        #expect { _ = try JodaDateTimeFormat(pattern: "YYYY-q") } throws: { ($0 as? JodaPatternError)?.message == "Illegal pattern component: q" }
    }

    @Test("ISO-8601 strings as ISODateTimeFormat.dateTimeParser() reads them: 1500 random dates, times, fractions, offsets; Joda's errors")
    func iso() throws {
        let cases = try Self.vectors("iso")
        var failures: [String] = []
        for c in cases {
            let text = c["text"] as! String
            let got = JodaISODateTimeParser.parseMillis(text, zone: .utc)
            let want = (c["ms"] as? NSNumber)?.int64Value
            if got != want { failures.append("'\(text)': \(got.map(String.init) ?? "error") vs \(want.map(String.init) ?? "error")") }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) differ: \(failures.prefix(10).joined(separator: "\n"))")
    }

    @Test("ISO-8601 strings without an offset in zones with DST, around their transitions: the earlier instant of an overlap, an error in a gap (800 cases)")
    func isoInZones() throws {
        let cases = try Self.vectors("iso-zone")
        var failures: [String] = []
        for c in cases {
            let text = c["text"] as! String, zoneID = c["zone"] as! String
            let zone = try #require(JodaZone(id: zoneID))
            let got = JodaISODateTimeParser.parseMillis(text, zone: zone)
            let want = (c["ms"] as? NSNumber)?.int64Value
            if got != want { failures.append("'\(text)' in \(zoneID): \(got.map(String.init) ?? "error") vs \(want.map(String.init) ?? "error")") }
        }
        #expect(cases.count == 800)
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) differ: \(failures.prefix(10).joined(separator: "\n"))")
    }

    @Test("scheduled rotation times (DateTimeUtils.getNextTimeAdjustedByDay): the next interval from local midnight, capped at the next midnight, across DST changes")
    func schedule() throws {
        let cases = try Self.vectors("schedule")
        var failures: [String] = []
        for c in cases {
            let zoneID = c["zone"] as! String
            let zone = try #require(JodaZone(id: zoneID))
            let ts = (c["ts"] as! NSNumber).int64Value, interval = (c["interval"] as! NSNumber).int64Value
            let next = S3TimeBasedPartitioning.nextScheduledRotation(now: ts, interval: interval, zone: zone)
            if next != (c["next"] as! NSNumber).int64Value { failures.append("\(zoneID) ts=\(ts) interval=\(interval): \(next) vs \(c["next"]!)") }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) differ: \(failures.prefix(8).joined(separator: "\n"))")
    }
}
