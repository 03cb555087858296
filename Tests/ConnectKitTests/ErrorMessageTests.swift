import Foundation
import Testing

@testable import ConnectKit

/// The remaining error paths, each with the message a user sees.
@Suite("Error messages")
struct ErrorMessageTests {
    @Test func logicalTypeErrors() throws {
        let c = JSONConverter()
        func message(_ schema: Schema, _ value: Value) -> String? {
            let e = #expect(throws: DataError.self) { try c.fromConnectData(topic: "t", schema: schema, value: value) }
            return e?.message
        }
        #expect(message(.decimal(scale: 2), .float64(1)) == "Invalid type for Decimal, expected BigDecimal but was FLOAT64")
        #expect(message(.date, .int32(1)) == "Invalid type for Date, expected Date but was INT32")
        #expect(message(.time, .int32(1)) == "Invalid type for Time, expected Date but was INT32")
        #expect(message(.timestamp, .int64(1)) == "Invalid type for Timestamp, expected Date but was INT64")
        #expect(message(.time, .time(86_400_000)) == "Kafka Connect Time type should not have any date fields set to non-zero values.")
        #expect(message(.string, .decimal(BigDecimal(unscaled: 1, scale: 0))) == "Invalid type for STRING: DECIMAL")

        let readTime = #expect(throws: DataError.self) {
            try c.toConnectData(topic: "t", value: Array(#"{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time"},"payload":-5}"#.utf8))
        }
        #expect(readTime?.message == "Time values must use number of milliseconds greater than 0 and less than 86400000")
        let physical = #expect(throws: DataError.self) { try LogicalType.logicalValue(.string("x"), schema: .timestamp) }
        #expect(physical?.message == "Invalid physical value for Schema{org.apache.kafka.connect.data.Timestamp:INT64}: STRING")
        let notStruct = #expect(throws: DataError.self) { try Struct(.string) }
        #expect(notStruct?.message == "Not a struct schema: Schema{STRING}")
    }

    @Test func projectorErrors() throws {
        let a = try SchemaBuilder.int32().name("a").build()
        let b = try SchemaBuilder.int32().name("b").build()
        let name = #expect(throws: DataError.self) { try SchemaProjector.project(.int32(1), from: a, to: b) }
        #expect(name?.message == "Schema name mismatch. source name: a and target name: b")
        let params = #expect(throws: DataError.self) {
            try SchemaProjector.project(.string("x"), from: SchemaBuilder.string().parameter("p", "1").build(), to: .string)
        }
        #expect(params?.message == "Schema parameters not equal. source parameters: {p=1} and target parameters: null")
        let s = try SchemaBuilder.struct().field("a", .int32).build()
        let kind = #expect(throws: DataError.self) { try SchemaProjector.project(.int32(1), from: s, to: s) }
        #expect(kind?.message == "Expected a struct for Schema{STRUCT}, got INT32")
        let arr = #expect(throws: DataError.self) { try SchemaProjector.project(.int32(1), from: .array(.int32), to: .array(.int32)) }
        #expect(arr?.message == "Expected an array for Schema{ARRAY}, got INT32")
        let map = #expect(throws: DataError.self) { try SchemaProjector.project(.int32(1), from: .map(.string, .int32), to: .map(.string, .int32)) }
        #expect(map?.message == "Expected a map for Schema{MAP}, got INT32")
        let promote = #expect(throws: DataError.self) { try SchemaProjector.project(.string("x"), from: .int8, to: .int16) }
        #expect(promote?.message == "Not promotable type: STRING to INT16")
    }

    @Test func configParseErrors() throws {
        let def = ConfigDef()
            .define("d", .double, default: 1.0, importance: .low, documentation: "")
            .define("s", .short, default: 1, importance: .low, documentation: "")
            .define("c", .class, default: .null, importance: .low, documentation: "")
        let e = #expect(throws: ConfigError.self) { try def.parse(["d": "x", "s": "70000", "c": "a b"]) }
        let byKey = Dictionary(uniqueKeysWithValues: (e?.problems ?? []).map { ($0.key, $0.message) })
        #expect(byKey["d"] == "Invalid value x for configuration d: Not a number of type DOUBLE")
        #expect(byKey["s"] == "Invalid value 70000 for configuration s: Not a number of type SHORT")
        #expect(byKey["c"] == "Invalid value a b for configuration c: Class a b could not be found.")
        let bad = #expect(throws: ConfigError.self) {
            try JSONConverter(configuration: ["schema.content": "{"], isKey: false)
        }
        #expect(bad?.problems.first?.message.hasPrefix("Invalid schema.content: Unexpected end of input") == true)
    }

    @Test func connectorFileErrors() throws {
        let notObject = #expect(throws: ConfigError.self) { try ConnectorConfigFile.parseJSON("[1]") }
        #expect(notObject?.problems.first?.message == "Expected a JSON object")
        let configNotObject = #expect(throws: ConfigError.self) { try ConnectorConfigFile.parseJSON(#"{"name":"x","config":"y"}"#) }
        #expect(configNotObject?.problems.first?.message == "\"config\" must be a JSON object")
        let nested = #expect(throws: ConfigError.self) { try ConnectorConfigFile.parseJSON(#"{"name":"x","config":{"a":[1]}}"#) }
        #expect(nested?.problems.first?.message == "Value must be a string, not a JSON array")
        let mismatch = #expect(throws: ConfigError.self) { try ConnectorConfigFile.parseJSON(#"{"name":"x","config":{"name":"y"}}"#) }
        #expect(mismatch?.problems.first?.message == "Connector name in config (y) does not match \"name\" (x)")
        let malformed = #expect(throws: ConfigError.self) { try ConnectorConfigFile.parseJSON("{") }
        #expect(malformed?.problems.first?.message == "Malformed JSON: Unexpected end of input: expected a string (byte offset 1)")
        let noName = #expect(throws: ConfigError.self) { try ConnectorConfigFile.parseProperties("a=b") }
        #expect(noName?.problems.first?.message == "Missing required configuration \"name\" which has no default value.")
    }

    @Test func unreadableProviderFileNamesTheKey() throws {
        let t = ConfigTransformer.standard
        let e = #expect(throws: ConfigError.self) { try t.transform(["secret": "${file:/nonexistent/dir/x.properties:k}"]) }
        #expect(e?.keys == ["secret"])
        #expect(e?.problems.first?.message == "Could not read '/nonexistent/dir/x.properties' for ${file:…}: No such file or directory")
    }
}
