#if canImport(Glibc)
import Glibc
#endif
import ConnectAvro
import ConnectKit
import ConnectParquet
import ConnectZlib

/// One open file's encoder (Confluent's `RecordWriter`): records are encoded as they arrive, so an
/// open file holds bytes, not records. What can be closed (a Parquet row group, an Avro block, JSON
/// lines) can be handed over with ``drain()`` to a ``SpillFile`` when the task's memory bound is hit.
struct S3RecordWriter {
    // One of these is in use, by the format. They are stored apart (not as an enum's payloads) so
    // an append mutates them in place: a payload taken out of an enum to be changed is a second
    // reference, and the first append after it would copy the whole buffer.
    /// JSON or ByteArray lines, not yet compressed.
    private var lines: [UInt8] = []
    private var avro: AvroContainerWriter?
    private var parquet: ParquetWriter?
    private let config: S3SinkConfig
    private let format: S3SinkConfig.Format
    private let json: JSONConverter
    private let avroData: AvroData

    /// A writer for a file whose first record has `schema` (Avro's sync marker is derived from the
    /// key, so a replay writes the same bytes).
    ///
    /// - Throws: `DataError` for a schema the format cannot hold (Parquet without a struct schema).
    init(config: S3SinkConfig, format: S3SinkConfig.Format, schema: Schema?, key: String, json: JSONConverter, avroData: AvroData,
         topic: String, offset: Int64) throws(DataError) {
        self.config = config
        self.format = format
        self.json = json
        self.avroData = avroData
        switch format {
        case .json, .byteArray: break
        case .parquet:
            guard let schema else {
                throw DataError("Parquet needs records with a struct schema; \(topic) at offset \(offset) has none (a schemaless value: use a converter with schemas)", topic: topic)
            }
            do { parquet = try ParquetWriter(schema: schema, codec: config.parquetCodec) } catch {
                throw DataError("\(error) (\(topic) at offset \(offset))", topic: topic)
            }
        case .avro:
            do {
                let node = try avroData.fromConnectSchema(schema)
                let marker = Array(S3Signer.sha256(Array(key.utf8)).prefix(16))
                avro = try AvroContainerWriter(schemaJSON: try node.javaString(), codec: config.avroCodec, syncMarker: marker)
            } catch {
                throw DataError("Avro cannot hold the schema of \(topic) at offset \(offset): \(error)", topic: topic)
            }
        }
    }

    /// Encodes one record's view (its value, key or headers: `schema` and `value`); a value that
    /// fails leaves the file as it was.
    ///
    /// - Throws: `DataError` naming the record when the value does not fit the format.
    mutating func append(_ r: SinkRecord, schema: Schema?, value: Value) throws(DataError) {
        func fail(_ e: any Error) -> DataError {
            DataError("\(format.shortName) cannot write \(r.topic)-\(r.kafkaPartition ?? 0) at offset \(r.kafkaOffset): \(e)", topic: r.topic)
        }
        switch format {
        case .byteArray:
            guard case .bytes(let b) = value else {
                throw DataError("ByteArrayFormat needs byte array values (ByteArrayConverter); \(r.topic)-\(r.kafkaPartition ?? 0) at offset \(r.kafkaOffset) holds \(value.kindName)", topic: r.topic)
            }
            lines += b
            lines += config.byteArraySeparator
        case .json:
            do { lines += try json.fromConnectData(topic: r.topic, schema: schema, value: value) ?? Array("null".utf8) } catch { throw fail(error) }
            lines.append(0x0A)
        case .parquet:
            do { try parquet!.append(value) } catch { throw fail(error) }
        case .avro:
            var datum: [UInt8] = []
            do { try avroData.encode(value, schema: schema, avro: avro!.schema, into: &datum) } catch { throw fail(error) }
            do { try avro!.appendEncoded(datum) } catch { throw fail(error) }
        }
    }

    /// Bytes held in memory.
    var bufferedBytes: Int { parquet?.bufferedBytes ?? avro?.bufferedBytes ?? lines.count }

    /// The file's next bytes as far as they can be closed (gzip: one gzip member per drain — readers
    /// of gzip read concatenated members as one stream).
    mutating func drain() throws(DataError) -> [UInt8] {
        if parquet != nil { return try parquet!.drain() }
        if avro != nil {
            do { return try avro!.drain() } catch { throw DataError("Avro: \(error)") }
        }
        defer { lines = [] }
        return try compressed(lines)
    }

    /// The file's last bytes.
    consuming func finish() throws(DataError) -> [UInt8] {
        if let parquet { return try parquet.finish() }
        if avro != nil {
            do { return try avro!.finish() } catch { throw DataError("Avro: \(error)") }
        }
        return try compressed(lines)
    }

    private func compressed(_ bytes: [UInt8]) throws(DataError) -> [UInt8] {
        guard config.gzip, !bytes.isEmpty else { return bytes }
        do { return try Zlib.deflate(bytes, format: .gzip, level: Int32(config.gzipLevel)) } catch { throw DataError("gzip failed: \(error)") }
    }
}

/// An unlinked temporary file an open file's drained bytes go to (nothing is left behind, even
/// after a crash): appended while the file is open, read in pieces when it is uploaded.
///
/// `@unchecked Sendable`: written by one task only, and read (by `pread`, which does not move the
/// file position) only after the writes ended.
final class SpillFile: @unchecked Sendable {
    private let fd: Int32
    private(set) var size = 0

    /// A new temporary file in `directory`.
    ///
    /// - Throws: `ConnectError` with the system's reason.
    init(directory: String) throws(ConnectError) {
        var template = Array((directory.hasSuffix("/") ? directory : directory + "/").utf8CString.dropLast()) + Array("connectkit-s3-spill-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ConnectError("cannot create a temporary file in \(directory) (s3.spill.dir): \(String(cString: strerror(errno)))") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Appends bytes.
    func append(_ bytes: [UInt8]) throws(ConnectError) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ConnectError("cannot write a temporary file (s3.spill.dir): \(String(cString: strerror(errno)))")
            }
            written += n
        }
        size += bytes.count
    }

    /// Reads `length` bytes at `offset`.
    func read(_ offset: Int, _ length: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, length - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ConnectError("cannot read a temporary file (s3.spill.dir): \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw ConnectError("a temporary file (s3.spill.dir) ended early") }
            done += n
        }
        return out
    }
}

/// A finished file: its drained bytes on disk (if any) followed by the rest in memory.
struct FinishedObject: Sendable {
    let key: String
    let spill: SpillFile?
    let tail: [UInt8]
    let tags: String?

    var size: Int { (spill?.size ?? 0) + tail.count }

    /// Reads `length` bytes at `offset`.
    func read(_ offset: Int, _ length: Int) throws -> [UInt8] {
        let head = spill?.size ?? 0
        var out: [UInt8] = []
        out.reserveCapacity(length)
        if offset < head, let spill { out += try spill.read(offset, min(length, head - offset)) }
        let from = max(0, offset - head), to = offset + length - head
        if to > from { out += tail[from..<to] }
        return out
    }
}

extension S3SinkConfig.Format {
    var shortName: String {
        switch self {
        case .json: "JsonFormat"
        case .parquet: "ParquetFormat"
        case .avro: "AvroFormat"
        case .byteArray: "ByteArrayFormat"
        }
    }
}
