import CSnappy
import CZstd

/// libsnappy's raw block format and libzstd's frames, for the formats that compress blocks or pages
/// (Avro container files, Parquet pages).
package enum BlockCompression {
    /// A failure of the C library, named.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// libsnappy's raw block (varint length, then elements; one byte for no bytes).
    package static func snappy(_ data: [UInt8]) throws(Failure) -> [UInt8] {
        if data.isEmpty { return [0] }
        var length = snappy_max_compressed_length(data.count)
        var out = [UInt8](repeating: 0, count: length)
        let status = data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                input.baseAddress!.withMemoryRebound(to: CChar.self, capacity: input.count) { i in
                    output.baseAddress!.withMemoryRebound(to: CChar.self, capacity: output.count) { snappy_compress(i, input.count, $0, &length) }
                }
            }
        }
        guard status == SNAPPY_OK else { throw Failure(description: "snappy could not compress \(data.count) bytes") }
        out.removeLast(out.count - length)
        return out
    }

    /// One zstd frame (with its content size) at `level`.
    package static func zstd(_ data: [UInt8], level: Int32 = 3) throws(Failure) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(data.count))
        let n = out.withUnsafeMutableBytes { o in data.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, o.count, i.baseAddress, i.count, level) } }
        guard ZSTD_isError(n) == 0 else { throw Failure(description: "zstd could not compress: \(String(cString: ZSTD_getErrorName(n)))") }
        out.removeLast(out.count - n)
        return out
    }
}
