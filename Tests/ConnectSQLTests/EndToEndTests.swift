#if canImport(Glibc)
import Glibc
#endif
import ConnectKit
import Foundation
import Testing

@testable import ConnectSQL

@Suite("JDBC source → topic → JDBC sink under connect standalone, killed with SIGKILL", .serialized)
struct EndToEndTests {
    static var binary: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/connect")
    }

    /// Rows are inserted and updated in one table while `connect standalone` copies it
    /// (timestamp+incrementing source, topic mode, upsert sink) into another table, and the process
    /// is killed with SIGKILL three times mid-way. In the end the copy equals the original exactly:
    /// every row once, with its latest values.
    @Test(arguments: TestDatabase.all)
    func killNineExactlyOnce(_ database: TestDatabase) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the package first: \(Self.binary.path)")
        let db = try database.fresh()
        let source = db.table("src")
        let copy = db.table("copy")
        let now: String
        switch database.kind {
        case .sqlite: now = "strftime('%Y-%m-%d %H:%M:%f','now')"
        case .postgresql: now = "clock_timestamp()"
        case .mysql: now = "NOW(6)"
        }
        try db.exec("CREATE TABLE \(db.quote(source)) (id \(database.autoIncrementKey), v VARCHAR(40) NOT NULL, n INT NOT NULL, updated_at \(database.timestampType) NOT NULL)")
        func insert(_ range: ClosedRange<Int>) throws {
            let values = range.map { "('row \($0)', \($0), \(now))" }.joined(separator: ",")
            try db.exec("INSERT INTO \(db.quote(source)) (v, n, updated_at) VALUES \(values)")
        }
        for chunk in stride(from: 1, through: 3000, by: 500) { try insert(chunk...chunk + 499) }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let worker = dir.appendingPathComponent("worker.properties").path
        try "offset.storage.file.filename=\(dir.appendingPathComponent("offsets").path)\noffset.flush.interval.ms=100\n"
            .write(toFile: worker, atomically: true, encoding: .utf8)
        let sourceFile = dir.appendingPathComponent("source.json").path
        try """
            {"name": "db-source", "config": {"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
              "connection.url": "\(db.url)", "mode": "timestamp+incrementing", "incrementing.column.name": "id",
              "timestamp.column.name": "updated_at", "timestamp.delay.interval.ms": "300", "topic.prefix": "e2e-",
              "table.whitelist": "\(source)", "poll.interval.ms": "50", "batch.max.rows": "200"}}
            """.write(toFile: sourceFile, atomically: true, encoding: .utf8)
        let sinkFile = dir.appendingPathComponent("sink.json").path
        try """
            {"name": "db-sink", "config": {"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
              "connection.url": "\(db.url)", "topics": "e2e-\(source)", "table.name.format": "\(copy)", "auto.create": "true",
              "insert.mode": "upsert", "pk.mode": "record_value", "pk.fields": "id", "batch.size": "500"}}
            """.write(toFile: sinkFile, atomically: true, encoding: .utf8)

        func start() throws -> Process {
            let p = Process()
            p.executableURL = Self.binary
            p.arguments = ["standalone", worker, sourceFile, sinkFile, "--log-level", "error"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        func copied() -> Int { (try? db.rows("SELECT count(*) FROM \(db.quote(copy))").first?.first).flatMap { $0.flatMap { Int($0) } } ?? 0 }

        var next = 3001
        var killedMidCopy = 0
        for round in 0..<3 {
            let p = try start()
            // Change the source while the copy runs: new rows and updates of copied ones.
            for step in 0..<5 {
                try insert(next...next + 99)
                next += 100
                try db.exec("UPDATE \(db.quote(source)) SET v = 'updated \(round).\(step)', updated_at = \(now) WHERE id % 37 = \(round * 5 + step)")
                // The kill follows the last insert at once: on a loaded machine a sleep can oversleep
                // long enough for the copy to catch up, and the point is to kill it mid-copy.
                if step < 4 { try await Task.sleep(for: .milliseconds(Int.random(in: 40...160))) }
            }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if copied() < next - 1 { killedMidCopy += 1 }
        }
        let last = try start()
        let expected = try db.rows("SELECT id, v, n FROM \(db.quote(source)) ORDER BY id")
        let deadline = ContinuousClock.now + .seconds(120)
        var got: [[String?]] = []
        while ContinuousClock.now < deadline {
            if copied() >= expected.count {
                got = try db.rows("SELECT id, v, n FROM \(db.quote(copy)) ORDER BY id")
                if got == expected { break }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        kill(last.processIdentifier, SIGTERM)
        last.waitUntilExit()
        #expect(killedMidCopy >= 1, "every kill came after the copy had caught up")
        #expect(got.count == expected.count)
        #expect(got == expected, "first difference: \(zip(got, expected).first { $0 != $1 }.map { "\($0)" } ?? "none")")
    }
}
