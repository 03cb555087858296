import Testing

@testable import ConnectKit

/// The JSON converter reads the usual shapes (Kafka's compact output: `"name":value`, plain integers,
/// ASCII strings without escapes, Base64 decimals of up to 8 bytes) by fast paths and everything else
/// by the general reader. These tests hold the two to the same results: the same records read with
/// whitespace around every token go through the general path only.
@Suite("JSON fast paths")
struct JSONFastPathTests {
    static let inner = SchemaBuilder.struct().name("inner").field("n", .int64).field("s", .optionalString).buildUnchecked()
    static let schema = SchemaBuilder.struct().name("every")
        .field("i8", .int8).field("i16", .int16).field("i32", .int32).field("i64", .int64)
        .field("f32", .float32).field("f64", .float64).field("b", .boolean).field("s", .string)
        .field("os", .optionalString).field("bytes", .bytes)
        .field("dec", Schema.decimal(scale: 2)).field("date", Schema.date).field("time", Schema.time)
        .field("ts", Schema.timestamp)
        .field("arr", Schema.array(.string)).field("map", Schema.map(.string, .int32)).field("inner", inner)
        .buildUnchecked()

    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func randomString(_ g: inout Generator) -> String {
        let pieces = ["a", "Z", "9", " ", "\"", "\\", "\n", "\u{1}", "é", "€", "😀", "customer-", "/", "true", "-1"]
        return (0..<Int.random(in: 0...6, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined()
    }

    static func randomInt(_ g: inout Generator, _ range: ClosedRange<Int64>) -> Int64 {
        switch Int.random(in: 0..<4, using: &g) {
        case 0: return [range.lowerBound, range.upperBound, 0, -1, 1].filter(range.contains).randomElement(using: &g)!
        case 1: return Int64.random(in: max(range.lowerBound, -1000)...min(range.upperBound, 1000), using: &g)
        default: return Int64.random(in: range, using: &g)
        }
    }

    static func randomRecord(_ g: inout Generator) -> Value {
        let unscaled: BigInt =
            Bool.random(using: &g)
            ? BigInt(randomInt(&g, Int64.min...Int64.max))
            : BigInt(randomInt(&g, Int64.min...Int64.max)).multipliedByPowerOfTen(Int.random(in: 1...12, using: &g))
        let innerValue = Struct(unchecked: inner, values: [.int64(randomInt(&g, Int64.min...Int64.max)), Bool.random(using: &g) ? .null : .string(randomString(&g))])
        let values: [Value] = [
            .int8(Int8(randomInt(&g, -128...127))), .int16(Int16(randomInt(&g, -32768...32767))),
            .int32(Int32(randomInt(&g, Int64(Int32.min)...Int64(Int32.max)))), .int64(randomInt(&g, Int64.min...Int64.max)),
            .float32(Float(Double(randomInt(&g, -1_000_000...1_000_000)) / 100)),
            .float64([Double(randomInt(&g, -10_000_000...10_000_000)) / 1000, .random(in: -1e300...1e300, using: &g), 1e-7, .nan, .infinity]
                .randomElement(using: &g)!),
            .boolean(Bool.random(using: &g)), .string(randomString(&g)),
            Bool.random(using: &g) ? .null : .string(randomString(&g)),
            .bytes((0..<Int.random(in: 0...12, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }),
            .decimal(BigDecimal(unscaled: unscaled, scale: 2)), .date(Int32(randomInt(&g, -100_000...100_000))),
            .time(Int32(randomInt(&g, 0...86_399_999))), .timestamp(randomInt(&g, Int64.min...Int64.max)),
            .array((0..<Int.random(in: 0...3, using: &g)).map { _ in .string(randomString(&g)) }),
            .map(MapValue(entries: (0..<Int.random(in: 0...3, using: &g)).map { i in
                MapEntry(key: .string("k\(i)" + randomString(&g)), value: .int32(Int32(randomInt(&g, -5...5))))
            })),
            .struct(innerValue),
        ]
        return .struct(Struct(unchecked: schema, values: values))
    }

    /// Compact JSON re-written with whitespace before and after every structural token, which
    /// keeps every fast path off.
    static func spaced(_ compact: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var inString = false
        var escaped = false
        for c in compact {
            if inString {
                out.append(c)
                if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { inString = false }
                continue
            }
            switch c {
            case 0x22:
                inString = true
                out.append(c)
            case 0x3A, 0x2C, 0x7B, 0x7D, 0x5B, 0x5D: out += [0x20, c, 0x0A, 0x09]
            default: out.append(c)
            }
        }
        return out
    }

    @Test(arguments: [true, false])
    func fastAndGeneralPathsReadTheSame(schemasEnabled: Bool) throws {
        let c = JSONConverter(schemasEnabled: schemasEnabled)
        var g = Generator(state: schemasEnabled ? 11 : 12)
        for n in 0..<3000 {
            let record = Self.randomRecord(&g)
            let compact = try #require(try c.fromConnectData(topic: "t", schema: Self.schema, value: record))
            let fast = try c.toConnectData(topic: "t", value: compact)
            let general = try c.toConnectData(topic: "t", value: Self.spaced(compact))
            #expect(fast == general, "record \(n): \(String(decoding: compact, as: UTF8.self))")
            if schemasEnabled {
                // NaN is not equal to itself; compare what is written back instead.
                #expect(try c.fromConnectData(topic: "t", schema: fast.schema, value: fast.value) == compact, "record \(n)")
            }
        }
    }

    /// Values the fast paths must hand to the general reader, with the general reader's errors.
    @Test func fastPathsDeclineWhatTheyDoNotOwn() throws {
        let schema = SchemaBuilder.struct().field("i", .int32).field("l", .int64).field("b", .boolean).field("s", .string)
            .field("d", Schema.decimal(scale: 0)).buildUnchecked()
        let c = JSONConverter(schemasEnabled: true, fixedSchema: schema)
        let read: (String) throws(DataError) -> Value = { payload throws(DataError) in
            let decoded = try c.toConnectData(topic: "t", headers: nil, value: Array(payload.utf8))
            return decoded.value
        }
        func fields(_ v: Value) -> [Value] { v.structValue?.values ?? [] }
        // Accepted by the general path only.
        #expect(fields(try read(#"{"i":007,"l":9223372036854775807,"b":true,"s":"\u0041é","d":-12}"#))
            == [.int32(7), .int64(.max), .boolean(true), .string("Aé"), .decimal(BigDecimal(unscaled: BigInt(-12), scale: 0))])
        #expect(fields(try read(#"{"i":-2147483648,"l":-9223372036854775808,"b":false,"s":"","d":"gAAAAAAAAAAA"}"#))
            == [.int32(.min), .int64(.min), .boolean(false), .string(""),
                .decimal(BigDecimal(unscaled: BigInt(twosComplement: [0x80, 0, 0, 0, 0, 0, 0, 0, 0]), scale: 0))])
        // Rejected with the general path's messages.
        let cases: [(String, String)] = [
            (#"{"i":2147483648,"l":1,"b":true,"s":"x","d":"AA=="}"#, "out of range"),
            (#"{"i":1.5,"l":1,"b":true,"s":"x","d":"AA=="}"#, "is not an integer"),
            (#"{"i":1,"l":92233720368547758070,"b":true,"s":"x","d":"AA=="}"#, "out of range"),
            (#"{"i":1,"l":1,"b":truex,"s":"x","d":"AA=="}"#, "Unrecognized token"),
            (#"{"i":1,"l":1,"b":true,"s":"x","d":"A!=="}"#, "Invalid bytes for Decimal"),
            (#"{"i":1,"l":1,"b":true,"s":"x\#u{1}","d":"AA=="}"#, "control character"),
            (#"{"i":1e2,"l":1,"b":true,"s":"x","d":"AA=="}"#, "is not an integer"),
            (#"{"i":1,"l":1,"b":true,"s":"x","d":"AA==""#, "Unexpected end of input"),
        ]
        for (payload, expected) in cases {
            let e = #expect(throws: DataError.self, "\(payload)") { try read(payload) }
            #expect("\(e.map { String(describing: $0) } ?? "")".contains(expected), "\(payload): \(String(describing: e))")
        }
    }

    /// Base64 decimals of up to 8 bytes skip the byte array; they must mean what the general decoder
    /// and `BigInteger(byte[])` mean, and reject what it rejects.
    @Test func smallBase64DecimalsAgreeWithTheGeneralDecoder() {
        var g = Generator(state: 7)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=!".utf8)
        for _ in 0..<50_000 {
            let text: [UInt8]
            if Bool.random(using: &g) {
                let bytes = (0..<Int.random(in: 0...9, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
                text = Array(Base64.encode(bytes).utf8)
            } else {
                text = (0..<Int.random(in: 0...13, using: &g)).map { _ in alphabet.randomElement(using: &g)! }
            }
            let fast = text.withUnsafeBufferPointer { Base64.decodeInt64($0) }
            let general = Base64.decode(text)
            if let fast {
                #expect(general.map { BigInt(twosComplement: $0) } == BigInt(fast), "\(String(decoding: text, as: UTF8.self))")
            } else if let general {
                #expect(general.count > 8, "declined \(String(decoding: text, as: UTF8.self))")
            }
        }
    }

    /// Schemaless keys come from a small table of recent keys; different keys that share a slot,
    /// non-ASCII keys and long keys must all read as themselves.
    @Test func internedKeysReadAsThemselves() throws {
        let c = JSONConverter(schemasEnabled: false)
        var g = Generator(state: 3)
        for _ in 0..<2000 {
            var entries: [(String, Int64)] = []
            for i in 0..<Int.random(in: 1...20, using: &g) {
                let key = ["k\(Int.random(in: 0...300, using: &g))", "ключ\(i)", String(repeating: "x", count: Int.random(in: 14...18, using: &g)), "a\(i)"]
                    .randomElement(using: &g)!
                if entries.contains(where: { $0.0 == key }) { continue }
                entries.append((key, Int64(i)))
            }
            let json = "{" + entries.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
            let v = try c.toConnectData(topic: "t", value: Array(json.utf8)).value
            let read = try #require(v.mapValue).entries.map { ($0.key.stringValue ?? "?", $0.value.int64Value ?? -1) }
            #expect(read.map(\.0) == entries.map(\.0), "\(json)")
            #expect(read.map(\.1) == entries.map(\.1), "\(json)")
        }
    }
}

/// The first ten-minute fuzzing run ended with LeakSanitizer reporting the storage of large
/// decimals held by schemas in a long-lived converter's caches: reachable memory that LSan cannot
/// see through Swift's tagged enum payloads. The fuzz driver now uses a converter per input; this
/// test holds the property behind it: a converter's caches keep nothing alive after it is gone.
@Suite("JSON converter memory")
struct JSONConverterMemoryTests {
    @Test func cachedSchemasAreReleasedWithTheConverter() throws {
        weak var cached: Schema?
        do {
            let c = JSONConverter()
            let message = #"{"schema":{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"default":"AQIDBAUGBwgJ"},"payload":null}"#
            let read = try c.toConnectData(topic: "t", value: Array(message.utf8))
            #expect(read.value == .decimal(BigDecimal(unscaled: BigInt(twosComplement: [1, 2, 3, 4, 5, 6, 7, 8, 9]), scale: 2)))
            _ = try c.toConnectData(topic: "t", value: Array(message.utf8))  // the cache's hit path
            cached = read.schema
            #expect(cached != nil)
        }
        #expect(cached == nil, "a schema outlived its converter")
    }
}
