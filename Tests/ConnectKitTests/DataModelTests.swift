import Testing

@testable import ConnectKit

@Suite("Schema, Struct and values")
struct DataModelTests {
    let order = try! SchemaBuilder.struct().name("shop.orders.Value").version(2).doc("An order")
        .field("id", .int64)
        .field("email", .optionalString)
        .field("amount", .decimal(scale: 2))
        .field("tags", SchemaBuilder.array(.string).optional())
        .field("status", SchemaBuilder.string().defaultValue("NEW"))
        .build()

    @Test func builderProducesImmutableSharedSchema() throws {
        #expect(order.type == .struct)
        #expect(order.fields.map(\.name) == ["id", "email", "amount", "tags", "status"])
        #expect(order.field("amount")?.schema.logicalType == .decimal(scale: 2))
        #expect(order.field("amount")?.index == 2)
        #expect(order.field("missing") == nil)
        #expect(order.description == "Schema{shop.orders.Value:STRUCT}")
        let again = try SchemaBuilder.struct().name("shop.orders.Value").version(2).doc("An order")
            .field("id", .int64).field("email", .optionalString).field("amount", .decimal(scale: 2))
            .field("tags", SchemaBuilder.array(.string).optional()).field("status", SchemaBuilder.string().defaultValue("NEW"))
            .build()
        #expect(again == order)
        #expect(again.hashValue == order.hashValue)
        #expect(try SchemaBuilder(from: order).optional().build() != order)
    }

    @Test func builderMistakesAreReported() {
        let dup = #expect(throws: DataError.self) {
            try SchemaBuilder.struct().field("a", .int32).field("a", .string).build()
        }
        #expect(dup?.message.contains("field name duplication a") == true)
        let notStruct = #expect(throws: DataError.self) { try SchemaBuilder.int32().field("a", .int32).build() }
        #expect(notStruct?.message == "Cannot create fields on type INT32")
        let twice = #expect(throws: DataError.self) { try SchemaBuilder.string().name("a").name("b").build() }
        #expect(twice?.message == "Invalid SchemaBuilder call: name has already been set.")
        let badDefault = #expect(throws: DataError.self) { try SchemaBuilder.int32().defaultValue("x").build() }
        #expect(badDefault?.message == "Invalid default value: Invalid value: expected INT32, got STRING")
        let noScale = #expect(throws: DataError.self) { try SchemaBuilder.bytes().name(LogicalType.decimalName).build() }
        #expect(noScale?.message == "Invalid Decimal schema: scale parameter not found.")
    }

    @Test func structValidatesOnPutNamingFieldExpectedAndActual() throws {
        var s = try Struct(order)
        try s.put("id", .int64(7))
        let wrongType = #expect(throws: DataError.self) { try s.put("id", "seven") }
        #expect(wrongType?.message == "Invalid value for field \"id\": expected INT64, got STRING")
        let wrongLogical = #expect(throws: DataError.self) { try s.put("amount", .float64(1.5)) }
        #expect(wrongLogical?.message == "Invalid value for field \"amount\": expected Decimal(scale=2) (BYTES), got FLOAT64")
        let nullRequired = #expect(throws: DataError.self) { try s.put("id", .null) }
        #expect(nullRequired?.message == "Invalid value: null used for required field: \"id\", schema type: INT64")
        let unknown = #expect(throws: DataError.self) { try s.put("nope", .int32(1)) }
        #expect(unknown?.message == "nope is not a valid field name")
        let badElement = #expect(throws: DataError.self) { try s.put("tags", [.string("a"), .int32(1)]) }
        #expect(badElement?.message == "Invalid value for field \"tags\": expected STRING, got INT32")
        #expect(s["id"] == .int64(7))  // failed puts changed nothing
    }

    @Test func validateChecksRequiredFieldsAndDefaults() throws {
        var s = try Struct(order)
        let missing = #expect(throws: DataError.self) { try s.validate() }
        #expect(missing?.message.contains("\"id\"") == true)
        try s.put("id", .int64(1))
        try s.put("amount", .decimal(BigDecimal(unscaled: 1999, scale: 2)))
        try s.validate()  // status has a default, email and tags are optional
        #expect(try s.get("status") == "NEW")
        #expect(try s.getWithoutDefault("status") == .null)
        #expect(s.description == "Struct{id=1,amount=19.99}")
    }

    @Test func nestedStructSchemaMismatch() throws {
        let inner = try SchemaBuilder.struct().name("Inner").field("a", .int32).build()
        let other = try SchemaBuilder.struct().name("Other").field("a", .int32).build()
        let outer = try SchemaBuilder.struct().field("in", inner).build()
        var s = try Struct(outer)
        let e = #expect(throws: DataError.self) { try s.put("in", .struct(try Struct(other, ["a": .int32(1)]))) }
        #expect(e?.message.contains("Struct schemas do not match for field \"in\"") == true)
        #expect(throws: DataError.self) { try Struct(Schema.int32) }
    }

    @Test func valuesCompareLikeJava() {
        #expect(Value.float64(.nan) == .float64(.nan))
        #expect(Value.float64(0.0) != .float64(-0.0))
        #expect(Value.map([.string("a"): .int32(1), .string("b"): .int32(2)]) == .map([.string("b"): .int32(2), .string("a"): .int32(1)]))
        #expect(Value.int32(1) != .int64(1))
        #expect(BigDecimal(unscaled: 15, scale: 1) != BigDecimal(unscaled: 150, scale: 2))
        #expect(BigDecimal(unscaled: 15, scale: 1).compare(BigDecimal(unscaled: 150, scale: 2)) == 0)
        let set: Set<Value> = [.float64(.nan), .float64(.nan), .string("x")]
        #expect(set.count == 2)
    }

    @Test func decimalBytesAndTextMatchJava() {
        // BigInteger.toByteArray and BigDecimal.toString examples.
        #expect(BigInt(0).twosComplementBytes == [0])
        #expect(BigInt(150).twosComplementBytes == [0x00, 0x96])
        #expect(BigInt(-1).twosComplementBytes == [0xFF])
        #expect(BigInt(-129).twosComplementBytes == [0xFF, 0x7F])
        let big = BigInt("-340282366920938463463374607431768211456")!
        #expect(big.twosComplementBytes == [0xFF] + [UInt8](repeating: 0, count: 16))
        #expect(BigInt(twosComplement: big.twosComplementBytes) == big)
        #expect(BigInt("99999999999999999999999999999")!.description == "99999999999999999999999999999")
        #expect(BigDecimal(unscaled: 1, scale: 10).description == "1E-10")
        #expect(BigDecimal(unscaled: 12345, scale: 10).description == "0.0000012345")
        #expect(BigDecimal(unscaled: -127, scale: 10).description == "-1.27E-8")
        #expect(BigDecimal(unscaled: 1, scale: -3).description == "1E+3")
        #expect(BigDecimal("1.50") == BigDecimal(unscaled: 150, scale: 2))
        #expect(BigDecimal("1E+3") == BigDecimal(unscaled: 1, scale: -3))
        #expect(BigDecimal("abc") == nil)
        #expect(BigDecimal(unscaled: 150, scale: 2).rescaled(to: 1) == BigDecimal(unscaled: 15, scale: 1))
        #expect(BigDecimal(unscaled: 151, scale: 2).rescaled(to: 1) == nil)  // never rounds silently
        #expect(BigDecimal(unscaled: 1, scale: -3).plainString == "1000")
    }

    @Test func logicalConversions() throws {
        let d = Schema.decimal(scale: 2)
        #expect(try LogicalType.physicalValue(.decimal(BigDecimal(unscaled: 150, scale: 2)), schema: d) == .bytes([0x00, 0x96]))
        let e = #expect(throws: DataError.self) { try LogicalType.physicalValue(.decimal(BigDecimal(unscaled: 1, scale: 3)), schema: d) }
        #expect(e?.message == "Decimal value has mismatching scale for given Decimal schema. Schema has scale 2, value has scale 3.")
        #expect(try LogicalType.logicalValue(.int32(19000), schema: .date) == .date(19000))
        #expect(throws: DataError.self) { try LogicalType.logicalValue(.int32(-1), schema: .time) }
    }

    @Test func schemaProjectorPromotesAndFillsDefaults() throws {
        let v1 = try SchemaBuilder.struct().name("S").field("a", .int32).field("gone", .string).build()
        let v2 = try SchemaBuilder.struct().name("S").field("a", .int64)
            .field("added", SchemaBuilder.string().defaultValue("d")).field("opt", .optionalInt32).build()
        let old = try Struct(v1, ["a": .int32(5), "gone": "x"])
        let projected = try SchemaProjector.project(.struct(old), from: v1, to: v2)
        #expect(projected == .struct(try Struct(v2, ["a": .int64(5), "added": "d"])))
        #expect(try SchemaProjector.project(.int8(3), from: .int8, to: .float64) == .float64(3))
        let narrowing = #expect(throws: DataError.self) { try SchemaProjector.project(.int64(3), from: .int64, to: .int32) }
        #expect(narrowing?.message == "Schema type mismatch. source type: INT64 and target type: INT32")
        let required = try SchemaBuilder.struct().name("S").field("must", .string).build()
        let missing = #expect(throws: DataError.self) { try SchemaProjector.project(.struct(old), from: v1, to: required) }
        #expect(missing?.message.contains("Required field `must` is missing") == true)
        let optToReq = #expect(throws: DataError.self) { try SchemaProjector.project(.null, from: .optionalString, to: .string) }
        #expect(optToReq?.message == "Writer schema is optional, however, target schema does not provide a default value.")
        let named = #expect(throws: DataError.self) { try SchemaProjector.project(.decimal(BigDecimal(unscaled: 1, scale: 2)), from: .decimal(scale: 2), to: .decimal(scale: 3)) }
        #expect(named?.message.contains("Schema parameters not equal") == true)
    }

    @Test func recordsAndHeaders() throws {
        var headers = Headers()
        headers.addString("trace", "a")
        headers.addInt("attempt", 1)
        headers.addString("trace", "b")
        #expect(headers.lastWithName("trace")?.value == "b")
        #expect(headers.allWithName("trace").count == 2)
        let badHeader = #expect(throws: DataError.self) { try headers.add("n", .string("x"), schema: .int32) }
        #expect(badHeader?.message == "Invalid value for field \"n\": expected INT32, got STRING")
        headers.retainLatest()
        #expect(headers.map(\.key) == ["attempt", "trace"])

        let r = SourceRecord(
            sourcePartition: ["table": "orders"], sourceOffset: ["id": .int64(42)], topic: "orders",
            valueSchema: .string, value: "hello", timestamp: 1_700_000_000_000, headers: headers)
        let routed = r.newRecord(topic: "orders-2024", kafkaPartition: 3, keySchema: .int64, key: .int64(1), valueSchema: .string, value: "x", timestamp: nil)
        #expect(routed.topic == "orders-2024")
        #expect(routed.sourceOffset == ["id": .int64(42)])
        #expect(routed.headers == headers)
        #expect(!r.isTombstone)

        var sink = SinkRecord(topic: "orders", partition: 0, valueSchema: nil, value: .null, offset: 10, timestamp: 5, timestampType: .createTime)
        sink.topic = "renamed"
        #expect(sink.originalTopic == "orders")
        #expect(sink.originalTopicPartition.description == "orders-0")
        #expect(sink.isTombstone)
        #expect(sink.description.contains("kafkaOffset=10"))
    }
}
