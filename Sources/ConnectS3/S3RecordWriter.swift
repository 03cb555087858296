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
    enum Encoder {
        /// JSON or ByteArray lines, not yet compressed.
        case lines([UInt8])
        case avro(AvroContainerWriter)
        case parquet(ParquetWriter)
    }

    private var encoder: Encoder
    private let config: S3SinkConfig
    private let json: JSONConverter
    private let avroData: AvroData

    /// A writer for a file whose first record has `schema` (Avro's sync marker is derived from the
    /// key, so a replay writes the same bytes).
    ///
    /// - Throws: `DataError` for a schema the format cannot hold (Parquet without a struct schema).
    init(config: S3SinkConfig, schema: Schema?, key: String, json: JSONConverter, avroData: AvroData, topic: String, offset: Int64) throws(DataError) {
        self.config = config
        self.json = json
        self.avroData = avroData
        switch config.format {
        case .json, .byteArray: encoder = .lines([])
        case .parquet:
            guard let schema else {
                throw DataError("Parquet needs records with a struct schema; \(topic) at offset \(offset) has none (a schemaless value: use a converter with schemas)", topic: topic)
            }
            do { encoder = .parquet(try ParquetWriter(schema: schema, codec: config.parquetCodec)) } catch {
                throw DataError("\(error) (\(topic) at offset \(offset))", topic: topic)
            }
        case .avro:
            do {
                let node = try avroData.fromConnectSchema(schema)
                let marker = Array(S3Signer.sha256(Array(key.utf8)).prefix(16))
                encoder = .avro(try AvroContainerWriter(schemaJSON: try node.javaString(), codec: config.avroCodec, syncMarker: marker))
            } catch {
                throw DataError("Avro cannot hold the schema of \(topic) at offset \(offset): \(error)", topic: topic)
            }
        }
    }

    /// Encodes one record.
    ///
    /// - Throws: `DataError` naming the record when its value does not fit the format.
    mutating func append(_ r: SinkRecord) throws(DataError) {
        func fail(_ e: any Error) -> DataError {
            DataError("\(config.format.shortName) cannot write \(r.topic)-\(r.kafkaPartition ?? 0) at offset \(r.kafkaOffset): \(e)", topic: r.topic)
        }
        switch encoder {
        case .lines(var out):
            encoder = .lines([])
            defer { encoder = .lines(out) }
            if config.format == .byteArray {
                guard case .bytes(let b) = r.value else {
                    throw DataError("ByteArrayFormat needs byte array values (ByteArrayConverter); \(r.topic)-\(r.kafkaPartition ?? 0) at offset \(r.kafkaOffset) holds \(r.value.kindName)", topic: r.topic)
                }
                out += b
                out += config.byteArraySeparator
            } else {
                do { out += try json.fromConnectData(topic: r.topic, schema: r.valueSchema, value: r.value) ?? Array("null".utf8) } catch { throw fail(error) }
                out.append(0x0A)
            }
        case .parquet(var w):
            do { try w.append(r.value) } catch { throw fail(error) }
            encoder = .parquet(w)
        case .avro(var w):
            var datum: [UInt8] = []
            do {
                try avroData.encode(r.value, schema: r.valueSchema, avro: w.schema, into: &datum)
                try w.appendEncoded(datum)
            } catch { throw fail(error) }
            encoder = .avro(w)
        }
    }

    /// Bytes held in memory.
    var bufferedBytes: Int {
        switch encoder {
        case .lines(let b): b.count
        case .parquet(let w): w.bufferedBytes
        case .avro(let w): w.bufferedBytes
        }
    }

    /// The file's next bytes as far as they can be closed (gzip: one gzip member per drain — readers
    /// of gzip read concatenated members as one stream).
    mutating func drain() throws(DataError) -> [UInt8] {
        switch encoder {
        case .lines(let b):
            encoder = .lines([])
            return try compressed(b)
        case .parquet(var w):
            let out = try w.drain()
            encoder = .parquet(w)
            return out
        case .avro(var w):
            do {
                let out = try w.drain()
                encoder = .avro(w)
                return out
            } catch { throw DataError("Avro: \(error)") }
        }
    }

    /// The file's last bytes.
    consuming func finish() throws(DataError) -> [UInt8] {
        switch encoder {
        case .lines(let b): return try compressed(b)
        case .parquet(let w): return try w.finish()
        case .avro(var w):
            do { return try w.finish() } catch { throw DataError("Avro: \(error)") }
        }
    }

    private func compressed(_ bytes: [UInt8]) throws(DataError) -> [UInt8] {
        guard config.gzip, !bytes.isEmpty else { return bytes }
        do { return try Zlib.deflate(bytes, format: .gzip) } catch { throw DataError("gzip failed: \(error)") }
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
