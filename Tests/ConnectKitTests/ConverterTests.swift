import Testing

@testable import ConnectKit

@Suite("Converters")
struct ConverterTests {
    @Test func javaNumberFormat() {
        let cases: [(Double, String)] = [
            (100, "100.0"), (1e-7, "1.0E-7"), (1e21, "1.0E21"), (1e7, "1.0E7"), (9999999, "9999999.0"), (0.001, "0.001"),
            (0.0001, "1.0E-4"), (-0.0, "-0.0"), (Double.leastNonzeroMagnitude, "4.9E-324"), (1.7976931348623157e308, "1.7976931348623157E308"),
            (123456789012.345, "1.23456789012345E11"), (0.1 + 0.2, "0.30000000000000004"),
            (1.93125733498705376e17, "1.9312573349870538E17"),  // JDK >= 19 shortest form
        ]
        for (d, s) in cases { #expect(JavaNumberFormat.string(d) == s) }
        #expect(JavaNumberFormat.string(Float(1.4e-45)) == "1.4E-45")
        #expect(JavaNumberFormat.string(Float(0.1)) == "0.1")
        #expect(JavaNumberFormat.string(Float(1e10)) == "1.0E10")
    }

    /// The short-fraction path (values like 12.34) prints what the general shortest-digit search prints,
    /// over many random values near and away from its bounds.
    @Test func javaNumberFormatShortFractionPathAgreesWithSearch() {
        var rng = SystemRandomNumberGenerator()
        var checked = 0
        for _ in 0..<200_000 {
            let d: Double
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:  // m / 10^k, the values the path is for
                let k = Int.random(in: 1...8, using: &rng)
                var p = 1.0
                for _ in 0..<k { p *= 10 }
                d = Double(Int64.random(in: -99_999_999_999...99_999_999_999, using: &rng)) / p
            case 1:  // random bit patterns in the path's range
                d = Double(bitPattern: UInt64.random(in: 0x3F50_624D_D2F1_A9FC...0x4163_12D0_0000_0000, using: &rng))
            case 2:  // near the bounds
                d = [1e-3, 1e7, 0.00099999, 9_999_999.9999].randomElement(using: &rng)!.nextUp * (Bool.random(using: &rng) ? 1 : -1)
            default:
                d = Double.random(in: -1e7...1e7, using: &rng)
            }
            #expect(JavaNumberFormat.string(d) == JavaNumberFormat.stringBySearch(d), "\(d.bitPattern)")
            checked += 1
        }
        #expect(checked == 200_000)
        #expect(JavaNumberFormat.string(12.34) == "12.34")
        #expect(JavaNumberFormat.string(-0.001) == "-0.001")
        #expect(JavaNumberFormat.string(9_999_999.5) == "9999999.5")
        #expect(JavaNumberFormat.string(0.1234567) == "0.1234567")
    }

    /// The writer's eight-bytes-at-a-time scan escapes exactly what the byte-by-byte rules escape,
    /// wherever the special byte falls in a word.
    @Test func jsonStringEscapingAgreesWithReference() {
        func reference(_ s: String) -> [UInt8] {
            var out: [UInt8] = [0x22]
            for scalar in s.unicodeScalars {
                switch scalar.value {
                case 0x22: out += [0x5C, 0x22]
                case 0x5C: out += [0x5C, 0x5C]
                case 0x08: out += [0x5C, 0x62]
                case 0x09: out += [0x5C, 0x74]
                case 0x0A: out += [0x5C, 0x6E]
                case 0x0C: out += [0x5C, 0x66]
                case 0x0D: out += [0x5C, 0x72]
                case 0..<0x20: out += Array(String(format4(scalar.value)).utf8)
                case 0x10000...:
                    for unit in String(scalar).utf16 { out += Array(format4(UInt32(unit)).utf8) }
                default: out += Array(String(scalar).utf8)
                }
            }
            out.append(0x22)
            return out
        }
        func format4(_ v: UInt32) -> String {
            let hex = Array("0123456789ABCDEF")
            return "\\u" + String([hex[Int(v >> 12 & 15)], hex[Int(v >> 8 & 15)], hex[Int(v >> 4 & 15)], hex[Int(v & 15)]])
        }
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "€", "😀", "𝄞", "~"]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...40, using: &rng) {
                s.append(Bool.random(using: &rng) ? "x" : alphabet.randomElement(using: &rng)!)
            }
            let text = String(s)
            var w = JSONWriter(capacity: 4)
            w.string(text)
            #expect(w.bytes == reference(text), "\(text.debugDescription)")
        }
    }

    @Test func jsonMalformedInputNamesTopicAndOffset() throws {
        let c = JSONConverter(schemasEnabled: false)
        let e = #expect(throws: DataError.self) { try c.toConnectData(topic: "orders", value: Array(#"{"a": [1, 2,, 3]}"#.utf8)) }
        #expect(e?.topic == "orders")
        #expect(e?.byteOffset == 12)
        #expect(e?.description.contains("topic \"orders\", byte offset 12") == true)
        let trailing = #expect(throws: DataError.self) { try c.toConnectData(topic: "t", value: Array("{} x".utf8)) }
        #expect(trailing?.byteOffset == 3)
        let badUTF8 = #expect(throws: DataError.self) { try c.toConnectData(topic: "t", value: [0x22, 0xFF, 0x22]) }
        #expect(badUTF8?.cause?.contains("UTF-8") == true)
        // Kafka's message (what the dead-letter headers carry); the explanation is the cause.
        #expect(badUTF8?.message == "Converting byte[] to Kafka Connect data failed due to serialization error: ")
        #expect(badUTF8?.javaClassName == "org.apache.kafka.connect.errors.DataException")
        #expect(badUTF8?.description.contains("Invalid UTF-8 in string") == true)
        let deep = Array(repeating: UInt8(ascii: "["), count: 5000)
        #expect(throws: DataError.self) { try c.toConnectData(topic: "t", value: deep) }
        #expect(try c.toConnectData(topic: "t", value: []) == .null)
    }

    @Test func jsonDuplicateKeysKeepLastValueInFirstPosition() throws {
        let c = JSONConverter(schemasEnabled: false)
        let v = try c.toConnectData(topic: "t", value: Array(#"{"a":1,"b":2,"a":3}"#.utf8)).value
        #expect(v.mapValue?.entries.map(\.key) == ["a", "b"])
        #expect(v.mapValue?[.string("a")] == .int64(3))
        // More keys than the signature table holds.
        var text = "{" + (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k3\":\"x\"}"
        let many = try c.toConnectData(topic: "t", value: Array(text.utf8)).value.mapValue!
        #expect(many.count == 40)
        #expect(many[.string("k3")] == "x")
        text = #"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":false},"payload":{"a":1,"a":2}}"#
        let s = try JSONConverter().toConnectData(topic: "t", value: Array(text.utf8))
        #expect(s.value.structValue?["a"] == .int32(2))
    }

    @Test func jsonTypeMismatchesAreErrorsNotZeroes() throws {
        let schema = try SchemaBuilder.struct().name("S").field("n", .int32).field("s", .string).build()
        let c = JSONConverter()
        let env = try c.jsonSchema(schema)
        let bad = #expect(throws: DataError.self) {
            try c.toConnectData(topic: "t", value: Array(#"{"schema":\#(env),"payload":{"n":"12","s":"x"}}"#.utf8))
        }
        #expect(bad?.message.contains("field \"n\"") == true)
        #expect(bad?.message.contains("INT32") == true)
        let range = #expect(throws: DataError.self) {
            try c.toConnectData(topic: "t", value: Array(#"{"schema":{"type":"int8","optional":false},"payload":300}"#.utf8))
        }
        #expect(range?.message.contains("out of range") == true)
    }

    @Test func jsonSerializeErrors() throws {
        let c = JSONConverter()
        let schema = try SchemaBuilder.struct().field("a", .int32).build()
        let other = try SchemaBuilder.struct().field("b", .int32).build()
        let e = #expect(throws: DataError.self) { try c.fromConnectData(topic: "t", schema: schema, value: .struct(try Struct(other))) }
        #expect(e?.message == "Mismatching schema.")
        #expect(e?.topic == "t")
        let wrong = #expect(throws: DataError.self) { try c.fromConnectData(topic: "t", schema: .int32, value: "x") }
        #expect(wrong?.message == "Invalid type for INT32: STRING")
        let inField = Struct(unchecked: schema, values: [.string("x")])
        let named = #expect(throws: DataError.self) { try c.fromConnectData(topic: "t", schema: schema, value: .struct(inField)) }
        #expect(named?.message == "Invalid type for INT32: STRING (field \"a\")")
        #expect(try c.fromConnectData(topic: "t", schema: nil, value: .null) == nil)
    }

    @Test func jsonConfigErrorsNameKeys() {
        let e = #expect(throws: ConfigError.self) {
            try JSONConverter(configuration: ["schemas.enable": "maybe", "decimal.format": "HEX", "schemas.cache.size": "-1"], isKey: false)
        }
        #expect(e?.keys.sorted() == ["decimal.format", "schemas.cache.size", "schemas.enable"])
        #expect(e?.context == "JsonConverter")
        let badSchema = #expect(throws: ConfigError.self) {
            try JSONConverter(configuration: ["schema.content": #"{"type":"nope"}"#], isKey: false)
        }
        #expect(badSchema?.keys == ["schema.content"])
    }

    @Test func jsonFixedSchemaContent() throws {
        let c = try JSONConverter(configuration: ["schema.content": #"{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"}],"optional":false}"#], isKey: false)
        let r = try c.toConnectData(topic: "t", value: Array(#"{"id": 5}"#.utf8))
        #expect(r.value.structValue?["id"] == .int64(5))
    }

    @Test func jsonSchemaCacheIsBounded() throws {
        let c = JSONConverter(schemasCacheSize: 2)
        for i in 0..<5 {
            let s = try SchemaBuilder.int32().name("n\(i)").build()
            let bytes = try c.fromConnectData(topic: "t", schema: s, value: .int32(Int32(i)))
            let back = try c.toConnectData(topic: "t", value: bytes)
            #expect(back.schema == s)
            #expect(back.value == .int32(Int32(i)))
        }
    }

    @Test func stringConverter() throws {
        let c = StringConverter()
        #expect(try c.fromConnectData(topic: "t", schema: .string, value: "héllo") == Array("héllo".utf8))
        #expect(try c.fromConnectData(topic: "t", schema: nil, value: .int32(5)) == Array("5".utf8))
        #expect(try c.fromConnectData(topic: "t", schema: nil, value: .null) == nil)
        #expect(try c.toConnectData(topic: "t", value: nil) == SchemaAndValue(schema: .optionalString, value: .null))
        let utf16 = try StringConverter(configuration: ["converter.encoding": "UTF-16"], isKey: false)
        let b = try utf16.fromConnectData(topic: "t", schema: nil, value: "A")
        #expect(b == [0xFE, 0xFF, 0x00, 0x41])
        #expect(try utf16.toConnectData(topic: "t", value: b).value == "A")
        let latin = StringConverter(encoding: .latin1)
        #expect(try latin.toConnectData(topic: "t", value: [0xE9]).value == "é")
        let e = #expect(throws: ConfigError.self) { try StringConverter(configuration: ["converter.encoding": "EBCDIC"], isKey: true) }
        #expect(e?.keys == ["converter.encoding"])
    }

    @Test func byteArrayConverter() throws {
        let c = ByteArrayConverter()
        #expect(try c.fromConnectData(topic: "t", schema: .bytes, value: .bytes([1, 2])) == [1, 2])
        #expect(try c.toConnectData(topic: "t", value: [3]) == SchemaAndValue(schema: .optionalBytes, value: .bytes([3])))
        let e = #expect(throws: DataError.self) { try c.fromConnectData(topic: "t", schema: .string, value: "x") }
        #expect(e?.message == "Invalid schema type for ByteArrayConverter: STRING")
        let v = #expect(throws: DataError.self) { try c.fromConnectData(topic: "t", schema: nil, value: .int32(1)) }
        #expect(v?.message == "ByteArrayConverter is not compatible with objects of type INT32")
    }

    @Test func numberConvertersAreBigEndian() throws {
        #expect(try NumberConverter(.integer).fromConnectData(topic: "t", schema: nil, value: .int32(258)) == [0, 0, 1, 2])
        #expect(try NumberConverter(.short).fromConnectData(topic: "t", schema: nil, value: .int16(-2)) == [0xFF, 0xFE])
        #expect(try NumberConverter(.long).toConnectData(topic: "t", value: [0, 0, 0, 0, 0, 0, 0, 7]).value == .int64(7))
        #expect(try NumberConverter(.double).fromConnectData(topic: "t", schema: nil, value: .float64(1.0)) == [0x3F, 0xF0, 0, 0, 0, 0, 0, 0])
        #expect(try NumberConverter(.float).toConnectData(topic: "t", value: [0x3F, 0xC0, 0, 0]).value == .float32(1.5))
        #expect(try NumberConverter(.integer).toConnectData(topic: "t", value: nil) == SchemaAndValue(schema: .optionalInt32, value: .null))
        let size = #expect(throws: DataError.self) { try NumberConverter(.integer).toConnectData(topic: "t", value: [1, 2]) }
        #expect(size?.message == "Size of data received by IntegerDeserializer is not 4")
        let type = #expect(throws: DataError.self) { try NumberConverter(.long).fromConnectData(topic: "t", schema: nil, value: "x") }
        #expect(type?.message == "Failed to serialize to INT64 (was STRING)")
    }

    @Test func simpleHeaderConverterRoundTrips() throws {
        let c = SimpleHeaderConverter()
        func roundTrip(_ v: Value) throws -> SchemaAndValue {
            try c.toConnectHeader(topic: "t", headerKey: "h", value: c.fromConnectHeader(topic: "t", headerKey: "h", schema: nil, value: v))
        }
        #expect(try roundTrip(.int32(5)) == SchemaAndValue(schema: .int8, value: .int8(5)))
        #expect(try roundTrip(.int64(100_000)) == SchemaAndValue(schema: .int32, value: .int32(100_000)))
        #expect(try roundTrip(.boolean(true)) == SchemaAndValue(schema: .boolean, value: true))
        #expect(try roundTrip("plain text, with comma") == SchemaAndValue(schema: .string, value: "plain text, with comma"))
        #expect(try roundTrip(.float64(1.5)) == SchemaAndValue(schema: .float32, value: .float32(1.5)))
        #expect(try roundTrip(.date(19000)) == SchemaAndValue(schema: .date, value: .date(19000)))
        #expect(try roundTrip(.timestamp(1_700_000_000_123)) == SchemaAndValue(schema: .timestamp, value: .timestamp(1_700_000_000_123)))
        #expect(try roundTrip(.time(3_723_004)) == SchemaAndValue(schema: .time, value: .time(3_723_004)))
        #expect(ValueText.string(for: .timestamp(1_700_000_000_123)) == "2023-11-14T22:13:20.123Z")
        #expect(ValueText.string(for: [.string("a\"b"), .int32(1)]) == #"["a\"b",1]"#)
        #expect(try roundTrip([.int32(1), .int32(300)]).value == [.int16(1), .int16(300)])
        let m = try roundTrip(.map([.string("k"): .string("v")]))
        #expect(m.schema == Schema.map(.string, .string))
        #expect(m.value == .map([.string("k"): .string("v")]))
        #expect(try c.toConnectHeader(topic: "t", headerKey: "h", value: Array("[1,".utf8)) == SchemaAndValue(schema: .string, value: "[1,"))
        #expect(try c.toConnectHeader(topic: "t", headerKey: "h", value: nil) == .null)
        #expect(try c.toConnectHeader(topic: "t", headerKey: "h", value: []) == SchemaAndValue(schema: .string, value: ""))
    }
}

@Suite("JSON robustness")
struct JSONRobustnessTests {
    /// Every truncation and many single-byte corruptions of real Kafka output either decode or throw
    /// a `DataError` with a byte offset inside the input — never a crash.
    @Test func corruptedInputNeverCrashes() throws {
        var rng = SplitMix64(seed: 2026)
        let samples = GoldenVector.all.compactMap { $0["json"] as? String }.filter { !$0.isEmpty }
        let interesting: [UInt8] = Array(#"{}[]",:\0123456789-+.eEtrufalsn "#.utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xFF]
        var decoded = 0, rejected = 0
        for (i, text) in samples.enumerated() where i % 7 == 0 {
            let bytes = Array(text.utf8)
            for converter in [JSONConverter(), JSONConverter(schemasEnabled: false)] {
                var inputs: [[UInt8]] = (0..<bytes.count).map { Array(bytes[..<$0]) }
                for _ in 0..<60 {
                    var m = bytes
                    m[Int(rng.next() % UInt64(m.count))] = interesting[Int(rng.next() % UInt64(interesting.count))]
                    inputs.append(m)
                }
                for input in inputs {
                    do {
                        _ = try converter.toConnectData(topic: "fuzz", value: input)
                        decoded += 1
                    } catch {
                        rejected += 1
                        if let offset = error.byteOffset { #expect(offset >= 0 && offset <= input.count) }
                    }
                }
            }
        }
        #expect(decoded > 0)
        #expect(rejected > 0)
    }
}

struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Header parsing found by the fuzzer")
struct HeaderFuzzFindingTests {
    @Test("arrays and maps nested thousands deep: the header keeps its bytes (as Kafka's StackOverflowError does), no crash")
    func deepNesting() throws {
        for open in ["[", "{\"a\":"] {
            let text = String(repeating: open, count: 5000) + "1"
            let header = try SimpleHeaderConverter().toConnectHeader(topic: "t", headerKey: "h", value: Array(text.utf8))
            #expect(header.schema == .bytes)
            #expect(header.value == .bytes(Array(text.utf8)))
            #expect(throws: DataError.self) { try ValueText.parse(text) }
        }
        // 200 levels still parse.
        let fine = String(repeating: "[", count: 200) + "1" + String(repeating: "]", count: 200)
        #expect(try ValueText.parse(fine).schema?.type == .array)
    }
}
