import ConnectKit
import ConnectKitTesting
import ConnectParquet
import Foundation
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A new, empty directory `<name>-<uuid>` under the temporary directory (the caller removes it).
func temporaryDirectory(_ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// Whether python3 imports `modules` (comma-separated; `make test` installs them). Without them a
/// test is left out — unless `CONNECTKIT_REQUIRE_SERVERS=1`, when it fails saying what is missing.
func pythonHas(_ modules: String) async throws -> Bool {
    let probe = try await runProgram("/usr/bin/env", ["python3", "-c", "import " + modules])
    if probe.status != 0 {
        try #require(ProcessInfo.processInfo.environment["CONNECTKIT_REQUIRE_SERVERS"] != "1", "make test installs \(modules): \(probe.output)")
    }
    return probe.status == 0
}

let inner: Schema = try! SchemaBuilder.struct().name("shop.Inner").field("a", Schema.int32).field("b", Schema.optionalString).optional().build()

func orders(optionalItems: Bool) -> Schema {
    try! SchemaBuilder.struct().name("shop.orders.Value")
        .field("id", Schema.int64).field("customer", Schema.string).field("email", Schema.optionalString)
        .field("quantity", Schema.int32).field("price", Schema.float64).field("paid", Schema.boolean)
        .field("amount", try SchemaBuilder.bytes().name(LogicalType.decimalName).version(1).parameter("scale", "2").build())
        .field("tags", try SchemaBuilder.array(optionalItems ? Schema.optionalString : Schema.string).build())
        .field("inner", inner)
        .field("attrs", try SchemaBuilder.map(Schema.string, Schema.int32).build())
        .build()
}

/// Record `i` and the row pyarrow should read back (JSON, keys sorted, as parquet_check.py prints).
func record(_ i: Int, _ schema: Schema, optionalItems: Bool) -> (Value, String) {
    let tags: [Value] = (0..<(i % 3)).map { k in optionalItems && k == 1 ? .null : .string("t\(k)") }
    let email: Value = i % 3 == 0 ? .null : .string("e\(i)@x")
    let innerValue: Value = i % 4 == 0 ? .null : .struct(try! Struct(inner, ["a": .int32(Int32(i)), "b": i % 2 == 0 ? .null : .string("b\(i)")]))
    let attrs: MapValue = i % 5 == 0 ? MapValue() : MapValue([(.string("k\(i)"), .int32(Int32(i)))])
    let value = Value.struct(try! Struct(schema, [
        "id": .int64(Int64(i)), "customer": .string("c\(i)"), "email": email, "quantity": .int32(Int32(i)),
        "price": .float64(Double(i) + 0.5), "paid": .boolean(i % 2 == 0),
        "amount": .decimal(BigDecimal(unscaled: Int64(i * 101), scale: 2)), "tags": .array(tags), "inner": innerValue, "attrs": .map(attrs),
    ]))
    let amount = "\(i * 101 / 100).\(String(format: "%02d", i * 101 % 100))"
    let tagsJSON = "[" + tags.map { $0.isNull ? "null" : "\"\($0.stringValue!)\"" }.joined(separator: ", ") + "]"
    let innerJSON = i % 4 == 0 ? "null" : "{\"a\": \(i), \"b\": \(i % 2 == 0 ? "null" : "\"b\(i)\"")}"
    let attrsJSON = i % 5 == 0 ? "[]" : "[[\"k\(i)\", \(i)]]"
    let emailJSON = i % 3 == 0 ? "null" : "\"e\(i)@x\""
    let row = "{\"amount\": \"\(amount)\", \"attrs\": \(attrsJSON), \"customer\": \"c\(i)\", \"email\": \(emailJSON), \"id\": \(i), "
        + "\"inner\": \(innerJSON), \"paid\": \(i % 2 == 0), \"price\": \(Double(i) + 0.5), \"quantity\": \(i), \"tags\": \(tagsJSON)}"
    return (value, row)
}

@Suite("Parquet files read by pyarrow and duckdb (PyPI)")
struct ParquetWriterTests {
    @Test("every codec, 2- and 3-level lists, optional and nested fields, maps, decimals; several row groups: pyarrow reads every row, duckdb every row")
    func independentReaders() async throws {
        guard try await pythonHas("pyarrow, duckdb") else { return }
        let dir = try temporaryDirectory("connectkit-parquet")
        defer { try? FileManager.default.removeItem(at: dir) }
        var files: [(path: String, rows: [String], codec: ParquetCodec, optionalItems: Bool)] = []
        for optionalItems in [false, true] {
            let schema = orders(optionalItems: optionalItems)
            for codec in ParquetCodec.allCases {
                var writer = try ParquetWriter(schema: schema, codec: codec, rowGroupSize: 2000)
                var rows: [String] = []
                for i in 0..<120 {
                    let (value, row) = record(i, schema, optionalItems: optionalItems)
                    try writer.append(value)
                    rows.append(row)
                }
                let path = dir.appendingPathComponent("orders-\(codec)-\(optionalItems).parquet").path
                try Data(try writer.finish()).write(to: URL(fileURLWithPath: path))
                files.append((path, rows, codec, optionalItems))
            }
        }
        let script = repositoryRoot.appendingPathComponent("scripts/interop/parquet_check.py").path
        let (status, output) = try await runProgram("/usr/bin/env", ["python3", script] + files.map(\.path))
        #expect(status == 0, "\(output.prefix(2000))")
        let lines = output.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        #expect(lines.count == files.count)
        for (line, file) in zip(lines, files) {
            #expect(line["error"] == nil, "\(file.path): \(line["error"]?.stringValue ?? "")")
            guard case .array(let rows)? = line["pyarrow"]?["rows"] else { Issue.record("no pyarrow rows for \(file.path)"); continue }
            #expect(rows.count == file.rows.count)
            for (got, want) in zip(rows, file.rows) { #expect(got == (try JSONValue.parse(want)), "\(file.codec) \(file.optionalItems)") }
            #expect(line["pyarrow"]?["row_groups"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? 0 > 1)
            #expect(line["pyarrow"]?["codec"]?.stringValue == ["none": "UNCOMPRESSED", "snappy": "SNAPPY", "gzip": "GZIP", "zstd": "ZSTD"][file.codec.rawValue])
            #expect(line["pyarrow"]?["metadata"]?["parquet.avro.schema"] != nil)
            guard case .array(let duck)? = line["duckdb"]?["rows"] else { Issue.record("no duckdb rows for \(file.path)"); continue }
            #expect(duck.count == file.rows.count)
            for (i, row) in duck.enumerated() {
                #expect(row["id"] == .number(String(i)))
                #expect(row["customer"] == .string("c\(i)"))
                #expect(row["email"] == (i % 3 == 0 ? .null : .string("e\(i)@x")))
            }
        }
    }

    @Test("a map with non-string keys (AvroData's array of MapEntry records) in a file of 3-level lists has parquet-avro's element level (list.element.key); 2-level files keep array.key; pyarrow reads the entries back")
    func mapEntriesInThreeLevelLists() async throws {
        guard try await pythonHas("pyarrow") else { return }
        let dir = try temporaryDirectory("connectkit-parquet")
        defer { try? FileManager.default.removeItem(at: dir) }
        var paths: [String] = []
        for threeLevel in [true, false] {
            let schema = try SchemaBuilder.struct().name("E")
                .field("tags", try SchemaBuilder.array(threeLevel ? Schema.optionalString : Schema.string).build())
                .field("scores", try SchemaBuilder.map(Schema.int32, Schema.optionalString).build()).build()
            var writer = try ParquetWriter(schema: schema)
            for i in 0..<4 {
                let entries = MapValue((0..<i).map { (Value.int32(Int32($0 * 10)), $0 == 1 ? Value.null : .string("s\($0)")) })
                try writer.append(.struct(try Struct(schema, ["tags": .array([.string("t\(i)")]), "scores": .map(entries)])))
            }
            let path = dir.appendingPathComponent("entries-\(threeLevel).parquet").path
            try Data(try writer.finish()).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let check = """
            import json, sys, pyarrow.parquet as pq
            for p in sys.argv[1:]:
                f = pq.ParquetFile(p)
                paths = [f.schema.column(i).path for i in range(len(f.schema))]
                print(json.dumps({"paths": paths, "scores": [r["scores"] for r in f.read().to_pylist()]}))
            """
        let (status, output) = try await runProgram("/usr/bin/env", ["python3", "-c", check] + paths)
        #expect(status == 0, "\(output)")
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(output)")
        let rows = #"[[], [{"key": 0, "value": "s0"}], [{"key": 0, "value": "s0"}, {"key": 10, "value": null}], [{"key": 0, "value": "s0"}, {"key": 10, "value": null}, {"key": 20, "value": "s2"}]]"#
        #expect(lines.first == #"{"paths": ["tags.list.element", "scores.list.element.key", "scores.list.element.value"], "scores": \#(rows)}"#)
        #expect(lines.last == #"{"paths": ["tags.array", "scores.array.key", "scores.array.value"], "scores": \#(rows)}"#)
    }

    @Test("dictionary encoding where it pays (PLAIN where values are unique), data pages cut at record boundaries, statistics in each type's order: pyarrow reports them, pyarrow and duckdb read every row")
    func dictionaryPagesAndStatistics() async throws {
        guard try await pythonHas("pyarrow, duckdb") else { return }
        let schema = try SchemaBuilder.struct().name("Row").field("id", Schema.int64).field("customer", Schema.string)
            .field("quantity", Schema.int32).field("price", Schema.float64).field("paid", Schema.boolean).field("note", Schema.optionalString)
            .field("tags", try SchemaBuilder.array(Schema.string).build()).build()
        let n = 3000
        var writer = try ParquetWriter(schema: schema, codec: .snappy, pageSize: 256)
        for i in 0..<n {
            try writer.append(.struct(try Struct(schema, [
                "id": .int64(Int64(i)), "customer": .string("cust-\(String(format: "%05d", i))"), "quantity": .int32(Int32(i % 7) - 3),
                "price": .float64(i == 5 ? -0.0 : Double(i % 100) * 0.25), "paid": .boolean(i % 2 == 0),
                "note": i % 3 == 0 ? .null : .string(i % 2 == 0 ? "even" : "odd"), "tags": .array((0..<(i % 4)).map { .string("t\($0)") }),
            ])))
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-pqdict-\(UUID().uuidString).parquet")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(try writer.finish()).write(to: dir)
        let check = """
        import duckdb, json, sys, pyarrow.parquet as pq
        f = pq.ParquetFile(sys.argv[1])
        out = {}
        for i in range(f.metadata.num_columns):
            c = f.metadata.row_group(0).column(i)
            s = c.statistics
            out[c.path_in_schema] = {"encodings": sorted(c.encodings), "dictionary": c.has_dictionary_page,
                "min": s.min if s.has_min_max else None, "max": s.max if s.has_min_max else None, "nulls": s.null_count}
        t = f.read()
        out["rows"] = t.num_rows
        out["sum"] = sum(t.column("id").to_pylist())
        out["tags"] = sum(len(x) for x in t.column("tags").to_pylist())
        out["duckdb"] = duckdb.sql(f"select count(*), sum(id), sum(quantity), count(note) from '{sys.argv[1]}'").fetchall()[0]
        print(json.dumps(out, default=str))
        """
        let (status, output) = try await runProgram("/usr/bin/env", ["python3", "-c", check, dir.path])
        #expect(status == 0, "\(output.prefix(2000))")
        let r = try JSONValue.parse(output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(r["rows"] == .number("3000"))
        #expect(r["sum"] == .number(String(n * (n - 1) / 2)))
        #expect(r["tags"] == .number(String((0..<n).reduce(0) { $0 + $1 % 4 })))
        #expect(r["duckdb"] == .array([.number("3000"), .number(String(n * (n - 1) / 2)), .number(String((0..<n).reduce(0) { $0 + $1 % 7 - 3 })), .number("2000")]))
        // Unique values stay PLAIN; few distinct values get a dictionary.
        #expect(r["id"]?["dictionary"] == .bool(false))
        #expect(r["customer"]?["dictionary"] == .bool(false))
        for name in ["quantity", "price", "note", "tags.array"] {
            #expect(r[name]?["dictionary"] == .bool(true), "\(name): \(String(describing: r[name]))")
            guard case .array(let encodings)? = r[name]?["encodings"] else { Issue.record("no encodings for \(name)"); continue }
            #expect(encodings.contains(.string("PLAIN_DICTIONARY")), "\(name): \(encodings)")
        }
        #expect(r["id"]?["min"] == .number("0") && r["id"]?["max"] == .number("2999"))
        #expect(r["quantity"]?["min"] == .number("-3") && r["quantity"]?["max"] == .number("3"))
        #expect(r["price"]?["min"] == .number("-0.0") && r["price"]?["max"] == .number("24.75"), "\(String(describing: r["price"]))")
        #expect(r["paid"]?["min"] == .bool(false) && r["paid"]?["max"] == .bool(true))
        #expect(r["customer"]?["min"] == .string("cust-00000") && r["customer"]?["max"] == .string("cust-02999"))
        #expect(r["note"]?["min"] == .string("even") && r["note"]?["max"] == .string("odd") && r["note"]?["nulls"] == .number("1000"))
    }

    @Test("what Parquet cannot hold is named: a schema that is not a struct, a null in a required field, a value of another kind; the writer keeps the rows before")
    func badInput() throws {
        #expect(throws: ParquetSchemaError.self) { _ = try ParquetWriter(schema: Schema.string) }
        let schema = orders(optionalItems: false)
        var writer = try ParquetWriter(schema: schema, codec: .none)
        try writer.append(record(1, schema, optionalItems: false).0)
        // A struct whose required "customer" was never set.
        var unset = try Struct(schema)
        for (k, v) in [("id", Value.int64(1)), ("quantity", .int32(1)), ("price", .float64(1)), ("paid", .boolean(true)),
                       ("amount", .decimal(BigDecimal(unscaled: 1, scale: 2))), ("tags", .array([])), ("attrs", .map(MapValue()))] {
            try unset.put(k, v)
        }
        let bad = Value.struct(unset)
        #expect { try writer.append(bad) } throws: { "\($0)".contains("customer") }
        #expect(writer.rowCount == 1)
        #expect { try writer.append(.string("x")) } throws: { $0 is DataError }
        let file = try writer.finish()
        #expect(Array(file.prefix(4)) == Array("PAR1".utf8) && Array(file.suffix(4)) == Array("PAR1".utf8))
    }
}
