import ConnectAvro
import ConnectKit
import ConnectKitTesting
import Foundation
import Testing

struct ContainerVector: Sendable, CustomTestStringConvertible {
    let id: String
    let codec: String
    let file: [UInt8]
    let data: [[UInt8]]
    var testDescription: String { id }

    static let all: [ContainerVector] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/containers.jsonl")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            let o = try! JSONValue.parse(String(line))
            let data: [[UInt8]] = { if case .array(let a)? = o["data"] { a.map { AvroVector.hex($0.stringValue!) } } else { [] } }()
            return ContainerVector(id: o["id"]!.stringValue!, codec: o["codec"]!.stringValue!, file: AvroVector.hex(o["file"]!.stringValue!), data: data)
        }
    }()
}

@Suite("Avro object container files")
struct AvroContainerTests {
    @Test("files Avro's DataFileWriter wrote with every codec (several blocks each) read back to Avro's datums")
    func readsAvrosFiles() throws {
        #expect(ContainerVector.all.count >= 80)
        #expect(Set(ContainerVector.all.map(\.codec)) == ["null", "deflate", "snappy", "zstandard"])
        for v in ContainerVector.all {
            let reader = try AvroContainerReader(v.file)
            #expect(reader.codec.rawValue == v.codec, "\(v.id)")
            #expect(reader.metadata["connectkit.test"] == Array("yes".utf8), "\(v.id)")
            #expect(reader.values.count == v.data.count, "\(v.id)")
            for (value, bytes) in zip(reader.values, v.data) {
                #expect(try value.encoded(reader.schema) == bytes, "\(v.id)")
            }
        }
    }

    @Test("what the writer writes, with every codec, reads back the same (small blocks: many of them)")
    func roundTrip() throws {
        for v in ContainerVector.all.prefix(40) {
            let original = try AvroContainerReader(v.file)
            for codec in AvroCodec.allCases {
                var writer = try AvroContainerWriter(schemaJSON: original.schemaJSON, codec: codec, blockSize: 40)
                for value in original.values { try writer.append(value) }
                let again = try AvroContainerReader(try writer.finish())
                #expect(again.values.count == original.values.count, "\(v.id) \(codec)")
                for (a, b) in zip(again.values, original.values) {
                    #expect(try a.encoded(again.schema) == b.encoded(original.schema), "\(v.id) \(codec)")
                }
            }
        }
    }

    @Test("Avro's own DataFileReader reads the files ConnectKit writes, with every codec (needs the jars make test provides)")
    func avroReadsOurFiles() async throws {
        guard let cp = ProcessInfo.processInfo.environment["CONNECTKIT_KAFKA_JAVA_CP"] else {
            try #require(ProcessInfo.processInfo.environment["CONNECTKIT_REQUIRE_SERVERS"] != "1", "make test provides CONNECTKIT_KAFKA_JAVA_CP")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-avro-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (arguments, expected) = try Self.writeFilePairs(in: dir)
        let (status, output) = try await runProgram("/usr/bin/env", ["java", "-cp", cp, "AvroContainerCheck"] + arguments)
        #expect(status == 0, "\(output)")
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines == expected, "\(output)")
    }

    @Test("fastavro (PyPI), an independent reader, reads the files ConnectKit writes with every codec to the records of Avro's own files")
    func fastavroReadsOurFiles() async throws {
        let probe = try await runProgram("/usr/bin/env", ["python3", "-c", "import fastavro, cramjam, backports.zstd"])
        guard probe.status == 0 else {
            try #require(ProcessInfo.processInfo.environment["CONNECTKIT_REQUIRE_SERVERS"] != "1", "make test installs fastavro: \(probe.output)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-fastavro-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (arguments, expected) = try Self.writeFilePairs(in: dir)
        let script = repositoryRoot.appendingPathComponent("scripts/interop/fastavro_check.py").path
        let (status, output) = try await runProgram("/usr/bin/env", ["python3", script] + arguments)
        #expect(status == 0, "\(output)")
        #expect(output.split(separator: "\n").map(String.init) == expected, "\(output)")
    }

    /// For 40 vectors: Avro's own file and ours with every codec, in `dir`; the arguments of the
    /// checkers (ours, reference, …) and the lines they print when the records are equal.
    static func writeFilePairs(in dir: URL) throws -> (arguments: [String], expected: [String]) {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var arguments: [String] = []
        var expected: [String] = []
        for v in ContainerVector.all.prefix(40) {
            let original = try AvroContainerReader(v.file)
            let reference = dir.appendingPathComponent("\(v.id.replacingOccurrences(of: "#", with: "-"))-reference.avro").path
            try Data(v.file).write(to: URL(fileURLWithPath: reference))
            for codec in AvroCodec.allCases {
                var writer = try AvroContainerWriter(schemaJSON: original.schemaJSON, codec: codec, blockSize: 100)
                for value in original.values { try writer.append(value) }
                let path = dir.appendingPathComponent("\(v.id.replacingOccurrences(of: "#", with: "-"))-\(codec).avro").path
                try Data(try writer.finish()).write(to: URL(fileURLWithPath: path))
                arguments += [path, reference]
                expected.append("\(codec.rawValue) \(original.values.count) equal")
            }
        }
        return (arguments, expected)
    }

    @Test("bad files are named: no magic, a wrong sync marker, an unknown codec, a corrupt block")
    func badFiles() throws {
        #expect(throws: AvroDataError.self) { try AvroContainerReader(Array("not avro".utf8)) }
        var w = try AvroContainerWriter(schemaJSON: #""long""#, codec: .deflate, syncMarker: Array(repeating: 7, count: 16))
        for i in 0..<10 { try w.append(.long(Int64(i))) }
        var file = try w.finish()
        file[file.count - 1] ^= 0xff  // the block's sync marker
        do {
            _ = try AvroContainerReader(file)
            Issue.record("a wrong sync marker must fail")
        } catch let e as AvroDataError {
            #expect(e.message == "a block whose sync marker does not match the header's")
        }
        var snappy = try AvroContainerWriter(schemaJSON: #""long""#, codec: .snappy)
        for i in 0..<10 { try snappy.append(.long(Int64(i))) }
        var s = try snappy.finish()
        s[s.count - 17] ^= 0x01  // the block's CRC
        #expect(throws: AvroDataError.self) { try AvroContainerReader(s) }
    }
}
