import ConnectKit
import ConnectKitTesting
@testable import ConnectParquet
import Foundation
import Testing

@Suite("Parquet dictionary table and statistics")
struct ParquetDictionaryTests {
    /// PLAIN byte-array values (4-byte little-endian length, then the bytes) and each value's range.
    static func plain(_ values: [[UInt8]]) -> ([UInt8], [Range<Int>]) {
        var buffer: [UInt8] = []
        var ranges: [Range<Int>] = []
        for v in values {
            let start = buffer.count
            withUnsafeBytes(of: UInt32(v.count).littleEndian) { buffer += $0 }
            buffer += v
            ranges.append(start..<buffer.count)
        }
        return (buffer, ranges)
    }

    @Test("the open-addressing table finds the same distinct values in the same first-seen order as a Swift Dictionary, through many growths, for random values of 0–24 bytes")
    func dictionaryMatchesAnOracle() {
        var rng = SystemRandomNumberGenerator()
        for round in 0..<3 {
            let distinct = (0..<(2000 + round * 3000)).map { _ in (0..<Int.random(in: 0...24, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
            let values = (0..<60_000).map { _ in distinct.randomElement(using: &rng)! }
            let (buffer, ranges) = Self.plain(values)
            let (dictionary, indices, bytes) = buffer.withUnsafeBytes { ParquetWriter.buildDictionary($0, ranges, limit: 1 << 24, firstPage: .max) }
            var oracle: [[UInt8]: UInt32] = [:]
            var order: [[UInt8]] = []
            var expected: [UInt32] = []
            for v in values {
                if let i = oracle[v] { expected.append(i); continue }
                oracle[v] = UInt32(order.count)
                order.append(v)
                expected.append(UInt32(order.count - 1))
            }
            #expect(dictionary.map { Array(buffer[$0].dropFirst(4)) } == order)
            #expect(indices == expected)
            #expect(bytes == order.reduce(0) { $0 + 4 + $1.count })
        }
    }

    @Test("byte-array statistics in unsigned byte order (\"\" < \"ab\" < \"abc\" < \"z\" < \"é\"), and none — as parquet-mr — when min and max take 4096 bytes or more: pyarrow reports them")
    func byteArrayStatistics() async throws {
        guard try await pythonHas("pyarrow") else { return }
        let schema = try SchemaBuilder.struct().name("S").field("s", Schema.string).field("big", Schema.string).build()
        var writer = try ParquetWriter(schema: schema)
        for (i, s) in ["abc", "ab", "", "é", "z", "ab"].enumerated() {
            try writer.append(.struct(try Struct(schema, ["s": .string(s), "big": .string(String(repeating: i % 2 == 0 ? "a" : "b", count: 2100))])))
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-stats-\(UUID().uuidString).parquet").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(try writer.finish()).write(to: URL(fileURLWithPath: path))
        let check = """
            import json, sys, pyarrow.parquet as pq
            md = pq.ParquetFile(sys.argv[1]).metadata.row_group(0)
            out = []
            for i in range(md.num_columns):
                st = md.column(i).statistics
                out.append([st.has_min_max, st.min if st.has_min_max else None, st.max if st.has_min_max else None])
            print(json.dumps(out, ensure_ascii=False))
            """
        let (status, output) = try await runProgram("/usr/bin/env", ["python3", "-c", check, path])
        #expect(status == 0, "\(output)")
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == #"[[true, "", "é"], [false, null, null]]"#)
    }
}
