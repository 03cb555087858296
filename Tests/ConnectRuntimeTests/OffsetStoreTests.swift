import ConnectKit
import ConnectFile
import ConnectPlugins
import Foundation
import Testing

@testable import ConnectRuntime

func temporaryDirectory(_ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ck-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

@Suite("Offset stores")
struct OffsetStoreTests {
    @Test func fileStoreSurvivesReopenAndUsesKafkasOffsetForm() throws {
        let dir = try temporaryDirectory("offsets")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("offsets.json").path
        let store = try FileOffsetStore(path: path)
        try store.commit(connector: "files", offsets: [["filename": "/a"]: ["position": .int64(10)], ["filename": "/b"]: ["position": .int64(3)]])
        try store.commit(connector: "files", offsets: [["filename": "/a"]: ["position": .int64(20)]])
        try store.commit(connector: "other", offsets: [["table": "t"]: ["id": .int64(1)]])
        try store.commit(connector: "files", offsets: [["filename": "/b"]: nil])  // reset one partition

        let reopened = try FileOffsetStore(path: path)
        #expect(try reopened.offsets(connector: "files") == [["filename": "/a"]: ["position": .int64(20)]])
        #expect(try reopened.offset(connector: "other", partition: ["table": "t"]) == ["id": .int64(1)])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(#"[["files",{"filename":"/a"}],{"position":20}]"#))
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }

    @Test func corruptFileIsAnErrorNamingIt() throws {
        let dir = try temporaryDirectory("corrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("offsets.json").path
        try "[[\"x\", 1".write(toFile: path, atomically: true, encoding: .utf8)
        let e = #expect(throws: OffsetStoreError.self) { try FileOffsetStore(path: path) }
        #expect(e?.description.contains(path) == true)
        #expect(e?.description.contains("corrupt offsets file") == true)
        try #"[["not","an","entry"]]"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: OffsetStoreError.self) { try FileOffsetStore(path: path) }
        let unwritable = try FileOffsetStore(path: "/proc/nonexistent/offsets.json")
        let w = #expect(throws: OffsetStoreError.self) { try unwritable.commit(connector: "c", offsets: [["p": "x"]: ["o": .int64(1)]]) }
        #expect(w?.description.contains("cannot create") == true)
    }

    @Test func sqliteStoreRoundTripsAndResets() throws {
        let dir = try temporaryDirectory("sqlite")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("offsets.db").path
        do {
            let store = try SQLiteOffsetStore(path: path)
            try store.commit(connector: "files", offsets: [["filename": "/a"]: ["position": .int64(10)], ["filename": "/b"]: ["position": .int64(3)]])
            try store.commit(connector: "files", offsets: [["filename": "/a"]: ["position": .int64(20)], ["filename": "/b"]: nil])
            try store.commit(connector: "jdbc", offsets: [["table": "orders"]: ["incrementing": .int64(42), "timestamp": .int64(1_700_000_000_000)]])
        }
        let reopened = try SQLiteOffsetStore(path: path)
        #expect(try reopened.offsets(connector: "files") == [["filename": "/a"]: ["position": .int64(20)]])
        #expect(try reopened.offset(connector: "jdbc", partition: ["table": "orders"])?["incrementing"] == .int64(42))
        #expect(try reopened.offsets(connector: "none").isEmpty)
    }

    @Test func sqliteErrorsNameTheDatabase() throws {
        let dir = try temporaryDirectory("sqlite-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("not-a-db").path
        try String(repeating: "garbage ", count: 200).write(toFile: path, atomically: true, encoding: .utf8)
        let e = #expect(throws: OffsetStoreError.self) { try SQLiteOffsetStore(path: path) }
        #expect(e?.description.contains(path) == true)
        let missing = #expect(throws: OffsetStoreError.self) { try SQLiteOffsetStore(path: "/nonexistent/dir/offsets.db") }
        #expect(missing?.description.contains("cannot open database") == true)
    }

    @Test func memoryStore() throws {
        let store = MemoryOffsetStore()
        try store.commit(connector: "c", offsets: [["p": "1"]: ["o": .int64(1)]])
        #expect(try store.offsets(connector: "c").count == 1)
        #expect(try store.offsets(connector: "nobody").isEmpty)
    }
}
