import CSnappy
import ConnectZlib
import CZstd

/// An object container file's block codec (`avro.codec`).
public enum AvroCodec: String, Sendable, CaseIterable {
    /// No compression.
    case null
    /// Raw DEFLATE (RFC 1951, no zlib header), zlib.
    case deflate
    /// Snappy, each block followed by the big-endian CRC-32 of its uncompressed bytes (libsnappy).
    case snappy
    /// Zstandard frames (libzstd).
    case zstandard

    func compress(_ data: [UInt8]) throws(AvroDataError) -> [UInt8] {
        switch self {
        case .null: return data
        case .deflate:
            do { return try Zlib.deflate(data, format: .raw) } catch { throw AvroDataError("zlib could not deflate a block (\(error.code))") }
        case .snappy:
            var out: [UInt8]
            do { out = try BlockCompression.snappy(data) } catch { throw AvroDataError(error.description) }
            let crc = Zlib.crc32(data)
            out += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc & 0xff)]
            return out
        case .zstandard:
            do { return try BlockCompression.zstd(data) } catch { throw AvroDataError(error.description) }
        }
    }

    func decompress(_ data: [UInt8], at offset: Int) throws(AvroDataError) -> [UInt8] {
        switch self {
        case .null: return data
        case .deflate:
            do { return try Zlib.inflateRaw(data) } catch { throw AvroDataError("a block that is not deflate data (zlib \(error.code))", byteOffset: offset) }
        case .snappy:
            guard data.count >= 4 else { throw AvroDataError("a snappy block without its CRC", byteOffset: offset) }
            let body = Array(data[..<(data.count - 4)])
            var length = 0
            let ok = body.withUnsafeBufferPointer { b in
                b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { snappy_uncompressed_length($0, b.count, &length) }
            }
            guard ok == SNAPPY_OK else { throw AvroDataError("a block that is not snappy data", byteOffset: offset) }
            var out = [UInt8](repeating: 0, count: length)
            var outLength = length
            let status = body.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { i in
                        (o.baseAddress ?? UnsafeMutablePointer<UInt8>(bitPattern: 1)!).withMemoryRebound(to: CChar.self, capacity: max(1, o.count)) { snappy_uncompress(i, b.count, $0, &outLength) }
                    }
                }
            }
            guard status == SNAPPY_OK else { throw AvroDataError("a block that is not snappy data", byteOffset: offset) }
            let expected = UInt32(data[data.count - 4]) << 24 | UInt32(data[data.count - 3]) << 16 | UInt32(data[data.count - 2]) << 8 | UInt32(data[data.count - 1])
            guard Zlib.crc32(out) == expected else { throw AvroDataError("a snappy block whose CRC does not match", byteOffset: offset) }
            return out
        case .zstandard:
            let size = data.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
            if size != ZSTD_CONTENTSIZE_UNKNOWN && size != ZSTD_CONTENTSIZE_ERROR && size < 1 << 31 {
                var out = [UInt8](repeating: 0, count: Int(size))
                let n = out.withUnsafeMutableBytes { o in data.withUnsafeBytes { i in ZSTD_decompress(o.baseAddress, o.count, i.baseAddress, i.count) } }
                guard ZSTD_isError(n) == 0, n == Int(size) else { throw AvroDataError("a block that is not zstd data", byteOffset: offset) }
                return out
            }
            // No content size in the frame: stream it.
            guard let stream = ZSTD_createDStream() else { throw AvroDataError("zstd could not start") }
            defer { ZSTD_freeDStream(stream) }
            var out: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let ok = data.withUnsafeBytes { i -> Bool in
                var input = ZSTD_inBuffer(src: i.baseAddress, size: i.count, pos: 0)
                while input.pos < input.size {
                    let produced = chunk.withUnsafeMutableBytes { o -> (Int, Int) in
                        var output = ZSTD_outBuffer(dst: o.baseAddress, size: o.count, pos: 0)
                        let r = ZSTD_decompressStream(stream, &output, &input)
                        return (r, output.pos)
                    }
                    if ZSTD_isError(produced.0) != 0 { return false }
                    out += chunk[..<produced.1]
                    if produced.0 == 0 && produced.1 == 0 { break }
                }
                return true
            }
            guard ok else { throw AvroDataError("a block that is not zstd data", byteOffset: offset) }
            return out
        }
    }
}

/// Writes an Avro object container file (specification, "Object Container Files"): the header
/// (`Obj` 1, metadata with `avro.schema` and `avro.codec`, a 16-byte sync marker), then blocks of
/// at most `blockSize` bytes of encoded values, each compressed with the codec and followed by the
/// sync marker.
public struct AvroContainerWriter: Sendable {
    /// The schema of every value.
    public let schema: AvroSchema
    /// The block codec.
    public let codec: AvroCodec
    /// The sync marker.
    public let syncMarker: [UInt8]
    private let blockSize: Int
    private var out: [UInt8] = []
    private var block: [UInt8] = []
    private var blockCount = 0

    /// A writer of values of the schema `schemaJSON` (written as `avro.schema`, as given: readers
    /// get its logical types, defaults and docs); `metadata` adds user keys; the sync marker is
    /// random unless given.
    /// - Throws: ``AvroSchemaError`` for a schema that is not valid Avro.
    public init(schemaJSON: String, codec: AvroCodec = .null, metadata: [String: [UInt8]] = [:],
                syncMarker: [UInt8]? = nil, blockSize: Int = 64 * 1024) throws {
        schema = try AvroSchema.parse(schemaJSON)
        self.codec = codec
        self.syncMarker = syncMarker ?? (0..<16).map { _ in UInt8.random(in: 0...255) }
        self.blockSize = blockSize
        out = Array("Obj".utf8) + [1]
        var meta = metadata
        meta["avro.schema"] = Array(schemaJSON.utf8)
        meta["avro.codec"] = Array(codec.rawValue.utf8)
        let entries = meta.sorted { $0.key < $1.key }.map { AvroValue.MapEntry(key: $0.key, value: .bytes($0.value)) }
        out += (try? AvroValue.map(entries).encoded(.map(.bytes(nil)))) ?? [0]
        out += self.syncMarker
    }

    /// Appends a value (a block is written when it reaches the block size).
    /// - Throws: ``AvroDataError`` when the value does not fit the schema or a codec fails.
    public mutating func append(_ value: AvroValue) throws(AvroDataError) {
        try AvroBinary.write(value, schema, &block)
        blockCount += 1
        if block.count >= blockSize { try flushBlock() }
    }

    /// Appends a value already in Avro's binary encoding of ``schema`` (``AvroData``'s `encode`
    /// writes one); not checked against the schema.
    public mutating func appendEncoded(_ datum: [UInt8]) throws(AvroDataError) {
        block += datum
        blockCount += 1
        if block.count >= blockSize { try flushBlock() }
    }

    private mutating func flushBlock() throws(AvroDataError) {
        guard blockCount > 0 else { return }
        let compressed = try codec.compress(block)
        AvroBinary.writeLong(Int64(blockCount), &out)
        AvroBinary.writeLong(Int64(compressed.count), &out)
        out += compressed
        out += syncMarker
        block.removeAll(keepingCapacity: true)
        blockCount = 0
    }

    /// The whole file (writing the last block) — after ``drain()``, the bytes since the last drain.
    public mutating func finish() throws(AvroDataError) -> [UInt8] {
        try flushBlock()
        return out
    }

    /// Bytes held in memory: written blocks not drained and the open block.
    public var bufferedBytes: Int { out.count + block.count }

    /// Closes the open block and hands over the file's bytes so far (from the start or the last
    /// drain), so a caller can keep them elsewhere (a temporary file) and bound memory; ``finish()``
    /// then returns only what follows.
    public mutating func drain() throws(AvroDataError) -> [UInt8] {
        try flushBlock()
        defer { out.removeAll() }
        return out
    }
}

/// Reads an Avro object container file: its schema (parsed from `avro.schema`), codec, metadata and
/// values, checking every block's sync marker.
public struct AvroContainerReader: Sendable {
    /// The writer's schema.
    public let schema: AvroSchema
    /// The `avro.schema` text as written.
    public let schemaJSON: String
    /// The block codec.
    public let codec: AvroCodec
    /// Every metadata entry.
    public let metadata: [String: [UInt8]]
    /// The values, in order.
    public let values: [AvroValue]

    /// Reads a whole file.
    /// - Throws: ``AvroDataError`` (with the byte offset) for a file that is not an Avro container, an
    ///   unknown codec, a sync marker that does not match or a block that does not decode;
    ///   ``AvroSchemaError`` for an invalid schema.
    public init(_ bytes: [UInt8]) throws {
        guard bytes.count >= 4, bytes[0..<4].elementsEqual(Array("Obj".utf8) + [1]) else {
            throw AvroDataError("not an Avro object container file (no Obj 1 magic)", byteOffset: 0)
        }
        var reader = AvroBinary.Reader(bytes)
        reader.position = 4
        guard case .map(let entries) = try reader.read(.map(.bytes(nil))) else { throw AvroDataError("no metadata", byteOffset: 4) }
        var meta: [String: [UInt8]] = [:]
        for e in entries { if case .bytes(let b) = e.value { meta[e.key] = b } }
        metadata = meta
        guard let schemaBytes = meta["avro.schema"], let text = String(validating: schemaBytes, as: UTF8.self) else {
            throw AvroDataError("no avro.schema in the header", byteOffset: 4)
        }
        schemaJSON = text
        schema = try AvroSchema.parse(text)
        let codecName = meta["avro.codec"].map { String(decoding: $0, as: UTF8.self) } ?? "null"
        guard let c = AvroCodec(rawValue: codecName) else { throw AvroDataError("unknown codec \(codecName)", byteOffset: 4) }
        codec = c
        let sync = try reader.take(16)
        var values: [AvroValue] = []
        while reader.position < bytes.count {
            let blockStart = reader.position
            let count = try reader.long()
            let size = try reader.length()
            let data = try c.decompress(try reader.take(size), at: reader.position - size)
            guard try reader.take(16) == sync else { throw AvroDataError("a block whose sync marker does not match the header's", byteOffset: reader.position - 16) }
            var block = AvroBinary.Reader(data)
            for _ in 0..<max(0, count) {
                do { values.append(try block.read(schema)) } catch {
                    throw AvroDataError("block at byte \(blockStart): \(error.message)", byteOffset: blockStart)
                }
            }
            guard block.position == data.count else { throw AvroDataError("a block with bytes after its \(count) values", byteOffset: blockStart) }
        }
        self.values = values
    }
}
