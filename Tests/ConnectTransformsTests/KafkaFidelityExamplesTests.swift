import ConnectKit
import ConnectTransforms
import Testing

/// The examples from public Kafka Connect bug reports that ConnectKit once answered differently;
/// each expected value here is what Kafka 4.3's own classes give (they are also among the
/// randomized vectors made by those classes).
@Suite("Kafka's answers to reported cases")
struct KafkaFidelityExamplesTests {
    /// 2023-12-31T00:00Z is in week 1 of week year 2024 (`Y` is the week year).
    static let newYearsEve: Int64 = 1_703_980_800_000

    @Test func timestampConverterFormatsWeekYears() throws {
        let t = try TimestampConverter.Value(configuration: ["target.type": "string", "format": "YYYY-'W'ww"])
        let record = SinkRecord(topic: "orders", partition: 0, valueSchema: .timestamp, value: .timestamp(Self.newYearsEve), offset: 0)
        #expect(try t.apply(record)?.value == .string("2024-W01"))
    }

    @Test func timestampRouterRoutesByWeekYear() throws {
        let t = try TimestampRouter(configuration: ["timestamp.format": "YYYY-ww"])
        let record = SinkRecord(topic: "orders", partition: 0, valueSchema: nil, value: .null, offset: 0, timestamp: Self.newYearsEve)
        #expect(try t.apply(record)?.topic == "orders-2024-01")
    }

    @Test func headerTextIsInferredAsKafkaInfersIt() throws {
        let converter = SimpleHeaderConverter()
        func read(_ text: String) throws -> SchemaAndValue {
            try converter.toConnectHeader(topic: "t", headerKey: "h", value: Array(text.utf8))
        }
        let mixed = try read("[1,2.5]")
        #expect(mixed.schema == Schema.array(.float32))
        #expect(mixed.value == [.float32(1), .float32(2.5)])
        #expect(try converter.fromConnectHeader(topic: "t", headerKey: "h", schema: mixed.schema, value: mixed.value) == Array("[1.0,2.5]".utf8))
        let empty = try read("[]")
        #expect(empty.schema == Schema.array(nil) && empty.value == .array([]))
        let emptyMap = try read("{}")
        #expect(emptyMap.schema == Schema.map(nil, nil) && emptyMap.value == .map([:]))
        // The same inference serves InsertHeader's value.literal.
        let insert = try InsertHeader(configuration: ["header": "h", "value.literal": "[1,2.5]"])
        let record = try #require(try insert.apply(SinkRecord(topic: "t", partition: 0, valueSchema: nil, value: .null, offset: 0)))
        #expect(record.headers.all.last?.schema == Schema.array(.float32))
        #expect(record.headers.all.last?.value == [.float32(1), .float32(2.5)])
    }

    @Test func regexRouterExpandsGroupsAsJavaDoes() throws {
        let named = try RegexRouter(configuration: ["regex": "(?<base>.*)", "replacement": "${base}-copy"])
        #expect(try named.apply(SinkRecord(topic: "orders", partition: 0, valueSchema: nil, value: .null, offset: 0))?.topic == "orders-copy")
        let missing = try RegexRouter(configuration: ["regex": "(.*)", "replacement": "$2"])
        let error = #expect(throws: JavaRuntimeError.self) { try missing.apply(SinkRecord(topic: "orders", partition: 0, valueSchema: nil, value: .null, offset: 0)) }
        #expect(error?.javaClassName == "java.lang.IndexOutOfBoundsException")
        #expect(error?.javaMessage == "No group 2")
    }
}
