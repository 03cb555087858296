import CZlib

/// The project's one zlib wrapper (Debian zlib1g-dev): CRC-32, one-shot DEFLATE in the raw and gzip
/// framings, and raw inflate. ConnectRuntime (local topic logs), ConnectHTTP (gzip request bodies)
/// and ConnectAvro (the deflate codec, snappy's block CRC) use it.
package enum Zlib {
    /// How compressed bytes are framed.
    package enum Format: Sendable {
        /// RFC 1951 DEFLATE with no header or trailer (Avro's `deflate` codec).
        case raw
        /// RFC 1952 gzip (`Content-Encoding: gzip`).
        case gzip

        var windowBits: Int32 { self == .raw ? -15 : 15 + 16 }
    }

    /// zlib refused: the zlib return code.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        /// zlib's return code (`Z_DATA_ERROR`, …).
        package var code: Int32
        package var description: String { "zlib error \(code)" }
    }

    /// The CRC-32 (ISO-HDLC, as zlib and Java's `CRC32` compute it) of `bytes`.
    package static func crc32(_ bytes: some Collection<UInt8>) -> UInt32 {
        let value = bytes.withContiguousStorageIfAvailable { b in CZlib.crc32(0, b.baseAddress, uInt(b.count)) }
            ?? Array(bytes).withUnsafeBufferPointer { b in CZlib.crc32(0, b.baseAddress, uInt(b.count)) }
        return UInt32(value)
    }

    /// `data` compressed at `level` (0 none … 9 best; -1 zlib's default, 6 — as Java's
    /// `Deflater.DEFAULT_COMPRESSION`).
    package static func deflate(_ data: [UInt8], format: Format, level: Int32 = Z_DEFAULT_COMPRESSION) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        let started = deflateInit2_(&stream, level, Z_DEFLATED, format.windowBits, 8, Z_DEFAULT_STRATEGY,
                                    ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard started == Z_OK else { throw Failure(code: started) }
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))) + 32)
        let result: Int32 = data.withUnsafeBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                stream.next_in = UnsafeMutablePointer(mutating: i.baseAddress)
                stream.avail_in = uInt(i.count)
                stream.next_out = o.baseAddress
                stream.avail_out = uInt(o.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard result == Z_STREAM_END else { throw Failure(code: result) }
        out.removeLast(out.count - Int(stream.total_out))
        return out
    }

    /// Raw DEFLATE data (``Format/raw``) decompressed.
    package static func inflateRaw(_ data: [UInt8]) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        let started = inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard started == Z_OK else { throw Failure(code: started) }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var result: Int32 = Z_OK
        data.withUnsafeBufferPointer { i in
            stream.next_in = UnsafeMutablePointer(mutating: i.baseAddress)
            stream.avail_in = uInt(i.count)
            repeat {
                let produced = chunk.withUnsafeMutableBufferPointer { o -> Int in
                    stream.next_out = o.baseAddress
                    stream.avail_out = uInt(o.count)
                    result = inflate(&stream, Z_NO_FLUSH)
                    return o.count - Int(stream.avail_out)
                }
                out += chunk[..<produced]
            } while result == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
        }
        guard result == Z_STREAM_END || ((result == Z_OK || result == Z_BUF_ERROR) && stream.avail_in == 0) else { throw Failure(code: result) }
        return out
    }
}
