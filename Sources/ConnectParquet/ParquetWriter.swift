import ConnectAvro
public import ConnectKit
import ConnectZlib

/// Writes Connect structs of one schema as a Parquet file, as Confluent's `ParquetFormat` lays them
/// out (see `ParquetNode`): `PAR1`, row groups of column chunks — one data page (v1) per chunk:
/// RLE repetition and definition levels, PLAIN values, the whole body compressed with the codec —
/// and the Thrift compact footer with the schema (converted and logical types), row groups, column
/// metadata with null counts, and the Avro schema Confluent's `AvroData` makes for the Connect schema
/// (`parquet.avro.schema`).
///
/// A row group is closed once its values reach `rowGroupSize` bytes (uncompressed). Everything is
/// kept in memory until ``finish()``; the caller rotates files to bound it.
///
/// - Throws: `ParquetSchemaError` for a schema Parquet cannot hold (not a struct, a union struct);
///   `DataError` for a value that does not fit its schema (a null in a required field names it).
public struct ParquetWriter {
    /// The Connect schema of the records.
    public let schema: Schema
    /// The codec of every page.
    public let codec: ParquetCodec
    /// The uncompressed size, in bytes, at which a row group is closed.
    public let rowGroupSize: Int
    /// The uncompressed size, in bytes, at which a data page is closed (at a record boundary).
    public let pageSize: Int
    /// The largest dictionary, in bytes, a column chunk is dictionary-encoded with; 0: PLAIN only.
    public let dictionaryPageSize: Int

    private let root: ParquetNode
    private let columns: [ParquetColumn]
    private let threeLevelLists: Bool
    private var buffers: [ColumnBuffer]
    var output: [UInt8] = Array("PAR1".utf8)
    /// Bytes handed over by ``drain()`` (the file offset of `output`'s first byte).
    var drained = 0
    private var rowGroups: [RowGroupMeta] = []
    private var rollbackMarks: [(Int, Int, Int, Int, Int)] = []
    private var rowsInGroup = 0
    private var totalRows = 0
    private let avroSchemaJSON: String?

    struct ColumnBuffer {
        var repetition: [UInt8] = []
        var definition: [UInt8] = []
        var values: [UInt8] = []
        var booleans: [Bool] = []
        var nulls = 0

        var byteCount: Int { repetition.count + definition.count + values.count + booleans.count / 8 }
    }

    struct ChunkMeta {
        /// The chunk's first page (its dictionary page when it has one).
        var offset: Int
        var dataPageOffset: Int
        var dictionaryPageOffset: Int?
        var uncompressed: Int
        var compressed: Int
        var numValues: Int
        var nulls: Int
        var encodings: [Int32]
        /// PLAIN-encoded min and max (no length prefix), when the column's type has an order we write.
        var min: [UInt8]?
        var max: [UInt8]?
    }

    struct RowGroupMeta {
        var chunks: [ChunkMeta]
        var rows: Int
        var byteSize: Int
    }

    /// A writer for records of `schema` (a struct schema).
    ///
    /// parquet-mr's defaults, which Confluent's `ParquetFormat` uses: row groups of 128 MiB, pages of
    /// 1 MiB, dictionary encoding while a chunk's dictionary stays within 1 MiB and makes it smaller.
    public init(schema: Schema, codec: ParquetCodec = .snappy, rowGroupSize: Int = 128 << 20, pageSize: Int = 1 << 20,
                dictionaryPageSize: Int = 1 << 20) throws(ParquetSchemaError) {
        guard schema.type == .struct else { throw ParquetSchemaError("Parquet needs a struct schema (Avro record), not \(schema.type)") }
        self.schema = schema
        self.codec = codec
        self.rowGroupSize = max(1, rowGroupSize)
        self.pageSize = max(1, pageSize)
        self.dictionaryPageSize = max(0, dictionaryPageSize)
        threeLevelLists = ParquetSchemaBuilder.hasOptionalArrayItems(schema)
        var builder = ParquetSchemaBuilder(threeLevelLists: threeLevelLists)
        // The root is named after the Avro record (AvroData's full name).
        let avro = try? AvroData().fromConnectSchema(schema)
        let rootName = avro?.fullName ?? schema.name ?? "io.confluent.connect.avro.ConnectDefault"
        root = try builder.node(rootName, schema, optional: false, path: [], def: 0, rep: 0)
        columns = builder.columns
        buffers = Array(repeating: ColumnBuffer(), count: columns.count)
        avroSchemaJSON = try? avro?.javaString()
    }

    /// Appends one record (a struct of ``schema``).
    public mutating func append(_ value: Value) throws(DataError) {
        guard case .struct(let s) = value, s.schema == schema else {
            throw DataError("Parquet record of another schema than the file's (\(value.kindName))")
        }
        // Shred in place; a record that fails is cut off again, so the columns stay as they were.
        // Where each column was (to cut a failed record off again), in a buffer kept between records.
        // By index: iterating the elements would copy each buffer (retaining its four arrays).
        rollbackMarks.removeAll(keepingCapacity: true)
        for i in buffers.indices {
            rollbackMarks.append((buffers[i].repetition.count, buffers[i].definition.count, buffers[i].values.count, buffers[i].booleans.count, buffers[i].nulls))
        }
        // The buffers are taken out of `self` while shredding: `shred` gets a copy of `self`, and a
        // second reference to them would copy every column on each append (quadratic time).
        var work = buffers
        buffers = []
        do {
            try shred(root, value, rep: 0, def: 0, repDepth: 0, &work)
        } catch {
            for (i, m) in rollbackMarks.enumerated() {
                work[i].repetition.removeLast(work[i].repetition.count - m.0)
                work[i].definition.removeLast(work[i].definition.count - m.1)
                work[i].values.removeLast(work[i].values.count - m.2)
                work[i].booleans.removeLast(work[i].booleans.count - m.3)
                work[i].nulls = m.4
            }
            buffers = work
            throw error
        }
        var bytes = 0
        for i in work.indices { bytes += work[i].byteCount }
        buffers = work
        rowsInGroup += 1
        totalRows += 1
        if bytes >= rowGroupSize { try flushRowGroup() }
    }

    func shred(_ node: ParquetNode, _ value: Value, rep: Int, def: Int, repDepth: Int, _ out: inout [ColumnBuffer]) throws(DataError) {
        var def = def
        if value.isNull {
            guard node.optional else { throw DataError("Found null value for non-optional field \(node.name)") }
            nulls(node, rep: rep, def: def, &out)
            return
        }
        if node.optional { def += 1 }
        switch node.shape {
        case .leaf(let column):
            try append(value, column, rep: rep, def: def, &out)
        case .group(let children):
            guard case .struct(let s) = value else { throw DataError("\(node.name): expected a struct, got \(value.kindName)") }
            for (index, child) in children {
                // Struct.get's default for a null, without copying the Field on every value.
                let v = s.values[index]
                if case .null = v, let d = s.schema.fields[index].schema.defaultValue {
                    try shred(child, d, rep: rep, def: def, repDepth: repDepth, &out)
                } else {
                    try shred(child, v, rep: rep, def: def, repDepth: repDepth, &out)
                }
            }
        case .list(let element):
            guard case .array(let items) = value else { throw DataError("\(node.name): expected an array, got \(value.kindName)") }
            if items.isEmpty {
                nulls(element, rep: rep, def: def, &out)
                return
            }
            for (i, item) in items.enumerated() {
                try shred(element, item, rep: i == 0 ? rep : repDepth + 1, def: def + 1, repDepth: repDepth + 1, &out)
            }
        case .map(let key, let valueNode, _, _):
            guard case .map(let m) = value else { throw DataError("\(node.name): expected a map, got \(value.kindName)") }
            if m.entries.isEmpty {
                nulls(key, rep: rep, def: def, &out)
                nulls(valueNode, rep: rep, def: def, &out)
                return
            }
            for (i, e) in m.entries.enumerated() {
                let r = i == 0 ? rep : repDepth + 1
                try shred(key, e.key, rep: r, def: def + 1, repDepth: repDepth + 1, &out)
                try shred(valueNode, e.value, rep: r, def: def + 1, repDepth: repDepth + 1, &out)
            }
        }
    }

    /// One entry without a value for every leaf under `node`.
    func nulls(_ node: ParquetNode, rep: Int, def: Int, _ out: inout [ColumnBuffer]) {
        switch node.shape {
        case .leaf(let column):
            out[column].repetition.append(UInt8(rep))
            out[column].definition.append(UInt8(def))
            out[column].nulls += 1
        case .group(let children):
            for (_, c) in children { nulls(c, rep: rep, def: def, &out) }
        case .list(let element):
            nulls(element, rep: rep, def: def, &out)
        case .map(let key, let value, _, _):
            nulls(key, rep: rep, def: def, &out)
            nulls(value, rep: rep, def: def, &out)
        }
    }

    func append(_ value: Value, _ column: Int, rep: Int, def: Int, _ out: inout [ColumnBuffer]) throws(DataError) {
        // Only the physical type is read on the way (a copy of the column would retain its arrays).
        func mismatch() -> DataError {
            let c = columns[column]
            return DataError("\(c.path.joined(separator: ".")): \(value.kindName) is not a value of \(c.schema.type)")
        }
        out[column].repetition.append(UInt8(rep))
        out[column].definition.append(UInt8(def))
        switch (columns[column].physical, value) {
        case (.int32, .int8(let v)): le(Int32(v), &out[column].values)
        case (.int32, .int16(let v)): le(Int32(v), &out[column].values)
        case (.int32, .int32(let v)), (.int32, .date(let v)), (.int32, .time(let v)): le(v, &out[column].values)
        case (.int64, .int64(let v)), (.int64, .timestamp(let v)): le(v, &out[column].values)
        case (.float, .float32(let f)): le(f.bitPattern, &out[column].values)
        case (.double, .float64(let d)): le(d.bitPattern, &out[column].values)
        case (.boolean, .boolean(let b)): out[column].booleans.append(b)
        case (.byteArray, .string(let s)):
            // The UTF-8 bytes straight from the string's storage (no array in between).
            let utf8 = s.utf8
            le(UInt32(utf8.count), &out[column].values)
            out[column].values.append(contentsOf: utf8)
        case (.byteArray, .bytes(let b)): byteArray(b, &out[column].values)
        case (.byteArray, .decimal(let d)):
            guard d.scale == columns[column].schema.decimalScale else {
                throw DataError("\(columns[column].path.joined(separator: ".")): BigDecimal has mismatching scale value for given Decimal schema")
            }
            byteArray(d.unscaled.twosComplementBytes, &out[column].values)
        default: throw mismatch()
        }
    }

    func le<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out += $0 }
    }

    func byteArray(_ b: [UInt8], _ out: inout [UInt8]) {
        le(UInt32(b.count), &out)
        out += b
    }

    /// The RLE/bit-packing hybrid of `levels` with only RLE runs, prefixed by its 4-byte length (v1 pages).
    static func levels(_ levels: [UInt8], max: Int) -> [UInt8] {
        let width = max == 0 ? 0 : (Int.bitWidth - max.leadingZeroBitCount)
        let valueBytes = (width + 7) / 8
        var rle: [UInt8] = []
        var i = 0
        while i < levels.count {
            var j = i + 1
            while j < levels.count, levels[j] == levels[i] { j += 1 }
            var header = UInt64(j - i) << 1
            while header >= 0x80 {
                rle.append(UInt8(truncatingIfNeeded: header) | 0x80)
                header >>= 7
            }
            rle.append(UInt8(header))
            for k in 0..<valueBytes { rle.append(k == 0 ? levels[i] : 0) }
            i = j
        }
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt32(rle.count).littleEndian) { out += $0 }
        return out + rle
    }

    func compress(_ body: [UInt8]) throws(DataError) -> [UInt8] {
        switch codec {
        case .none: return body
        case .gzip:
            do { return try Zlib.deflate(body, format: .gzip) } catch { throw DataError("Parquet page compression (gzip) failed: \(error)") }
        case .snappy, .zstd:
            do { return codec == .snappy ? try BlockCompression.snappy(body) : try BlockCompression.zstd(body) } catch {
                throw DataError("Parquet page compression (\(codec.rawValue)) failed: \(error)")
            }
        }
    }

    mutating func flushRowGroup() throws(DataError) {
        guard rowsInGroup > 0 else { return }
        var chunks: [ChunkMeta] = []
        var byteSize = 0
        for (i, c) in columns.enumerated() {
            let chunk = try writeChunk(c, buffers[i])
            chunks.append(chunk)
            byteSize += chunk.uncompressed
        }
        rowGroups.append(RowGroupMeta(chunks: chunks, rows: rowsInGroup, byteSize: byteSize))
        buffers = Array(repeating: ColumnBuffer(), count: columns.count)
        rowsInGroup = 0
    }

    /// The number of records appended.
    public var rowCount: Int { totalRows }

    /// Bytes held in memory: the open row group's column buffers and closed row groups not drained.
    public var bufferedBytes: Int { output.count + buffers.reduce(0) { $0 + $1.byteCount } }

    /// Closes the open row group (a smaller one: the rows and their order are the same) and hands
    /// over the file's bytes so far (from the start or the last drain), so a caller can keep them
    /// elsewhere (a temporary file) and bound memory; ``finish()`` then returns only what follows.
    public mutating func drain() throws(DataError) -> [UInt8] {
        try flushRowGroup()
        defer {
            drained += output.count
            output.removeAll()
        }
        return output
    }

    /// Closes the last row group and returns the whole file — after ``drain()``, the bytes since the
    /// last drain (the footer's offsets count the drained bytes).
    public consuming func finish() throws(DataError) -> [UInt8] {
        try flushRowGroup()
        var elements: [(inout ThriftCompactWriter) -> Void] = []
        root.schemaElements(threeLevelLists, into: &elements, columns: columns)
        // The root: no repetition.
        elements[0] = { [root] w in
            w.string(4, root.name)
            if case .group(let children) = root.shape { w.i32(5, Int32(children.count)) }
        }
        let columns = self.columns
        let codec = self.codec
        var footer = ThriftCompactWriter()
        footer.i32(1, 1)
        footer.listHeader(2, count: elements.count, .struct)
        for e in elements { footer.structBody(e) }
        footer.i64(3, Int64(totalRows))
        footer.structList(4, rowGroups) { w, g in
            w.structList(1, Array(zip(columns, g.chunks))) { w, pair in
                let (c, chunk) = pair
                w.i64(2, Int64(chunk.offset))
                w.struct(3) { m in
                    m.i32(1, c.physical.rawValue)
                    m.i32List(2, chunk.encodings)
                    m.stringList(3, c.path)
                    m.i32(4, codec.thriftCode)
                    m.i64(5, Int64(chunk.numValues))
                    m.i64(6, Int64(chunk.uncompressed))
                    m.i64(7, Int64(chunk.compressed))
                    m.i64(9, Int64(chunk.dataPageOffset))
                    if let d = chunk.dictionaryPageOffset { m.i64(11, Int64(d)) }
                    m.struct(12) { st in
                        st.i64(3, Int64(chunk.nulls))
                        if let max = chunk.max, let min = chunk.min {
                            st.binary(5, max)
                            st.binary(6, min)
                        }
                    }
                }
            }
            w.i64(2, Int64(g.byteSize))
            w.i64(3, Int64(g.rows))
        }
        var metadata: [(String, String)] = [("writer.model.name", "avro")]
        if let avroSchemaJSON { metadata.insert(("parquet.avro.schema", avroSchemaJSON), at: 0) }
        footer.structList(5, metadata) { w, kv in
            w.string(1, kv.0)
            w.string(2, kv.1)
        }
        footer.string(6, "ConnectKit \(ConnectKitVersion.current) parquet writer")
        // Every column's min and max follow its type's defined order (readers trust them then).
        footer.listHeader(7, count: columns.count, .struct)
        for _ in columns { footer.structBody { $0.struct(1) { _ in } } }
        footer.stop()
        var file = output
        file += footer.bytes
        withUnsafeBytes(of: UInt32(footer.bytes.count).littleEndian) { file += $0 }
        file += Array("PAR1".utf8)
        return file
    }
}
