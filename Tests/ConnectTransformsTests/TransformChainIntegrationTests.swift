import ConnectKit
import Foundation
import ConnectPlugins
import ConnectRuntime
import ConnectTransforms
import Testing

@Suite("Transformations in chains")
struct TransformChainIntegrationTests {
    @Test func configErrorsNameTheAliasAndKeyBeforeAnythingRuns() throws {
        let error = #expect(throws: ConfigError.self) {
            try TransformChain(config: [
                "name": "orders-sink", "transforms": "cast,ins,mask,ts",
                "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value", "transforms.cast.spec": "quantity:uuid",
                "transforms.ins.type": "InsertField$Value",
                "transforms.mask.type": "MaskField$Value", "transforms.mask.fields": "email", "transforms.mask.replacement": "",
                "transforms.ts.type": "TimestampConverter$Value", "transforms.ts.target.type": "nope",
            ], registry: .standard)
        }
        let byKey = Dictionary(error!.problems.map { ($0.key, $0.message) }, uniquingKeysWith: { a, _ in a })
        #expect(byKey["transforms.cast.spec"]?.contains("Invalid type found in casting spec: uuid") == true)
        #expect(byKey["transforms.ins"] == "No field insertion configured")
        #expect(byKey["transforms.mask.replacement"] == "Invalid value  for configuration transforms.mask.replacement: String must be non-empty")
        #expect(byKey["transforms.ts.target.type"] == "Invalid value nope for configuration transforms.ts.target.type: String must be one of: string, unix, Date, Time, Timestamp")
        #expect(error!.context == "orders-sink")
        // The worker refuses the connector: nothing starts.
        let worker = try Worker(registry: .standard)
        #expect(throws: ConfigError.self) {
            try worker.add(["name": "x", "connector.class": "FileStreamSink", "file": "/tmp/x", "topics": "t",
                            "transforms": "c", "transforms.c.type": "Cast$Value", "transforms.c.spec": "bad"])
        }
        #expect(worker.statuses.isEmpty)
    }

    @Test func classNamesAndShortNamesResolve() throws {
        for (name, entry) in [("org.apache.kafka.connect.transforms.InsertField$Value", "InsertField$Value"),
                              ("InsertField$Value", "InsertField$Value"),
                              ("io.debezium.transforms.ExtractNewRecordState", "ExtractNewRecordState"),
                              ("org.apache.kafka.connect.transforms.predicates.TopicNameMatches", "TopicNameMatches")] {
            let found = PluginRegistry.standard.transformations.lookup(name)?.name ?? PluginRegistry.standard.predicates.lookup(name)?.name
            #expect(found == entry, "\(name)")
        }
        #expect(StandardTransforms.transformations.count == 28)  // 16 of Kafka (10 with $Key and $Value) and Debezium's unwrap and router
        #expect(StandardTransforms.predicates.count == 3)
    }

    /// Kafka computes an updated schema once per input schema; so do we: records with the same
    /// input schema come out with the very same schema object.
    @Test func updatedSchemasAreComputedOncePerInputSchema() throws {
        let chain = try TransformChain(config: [
            "transforms": "ins,rep", "transforms.ins.type": "InsertField$Value", "transforms.ins.static.field": "source",
            "transforms.ins.static.value": "shop", "transforms.rep.type": "ReplaceField$Value", "transforms.rep.exclude": "note",
        ], registry: .standard)
        func record(_ i: Int64) -> SourceRecord {
            SourceRecord(sourcePartition: [:], sourceOffset: [:], topic: "orders", valueSchema: DataGen.ordersSchema, value: DataGen.order(i))
        }
        let a = try #require(try chain.apply(record(1))), b = try #require(try chain.apply(record(2)))
        #expect(a.valueSchema === b.valueSchema)
        #expect(a.valueSchema?.field("source") != nil && a.valueSchema?.field("note") == nil)
    }

    @Test func theBenchmarkChainProducesWhatKafkaWould() throws {
        let chain = try TransformChain(config: [
            "transforms": "insert,replace,mask,cast,route,key",
            "transforms.insert.type": "org.apache.kafka.connect.transforms.InsertField$Value",
            "transforms.insert.static.field": "source", "transforms.insert.static.value": "shop", "transforms.insert.topic.field": "topic",
            "transforms.replace.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
            "transforms.replace.exclude": "note", "transforms.replace.renames": "customer:customer_name",
            "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskField$Value", "transforms.mask.fields": "email",
            "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value", "transforms.cast.spec": "quantity:int64,paid:string",
            "transforms.route.type": "org.apache.kafka.connect.transforms.TimestampRouter",
            "transforms.route.topic.format": "${topic}-${timestamp}", "transforms.route.timestamp.format": "yyyyMMdd",
            "transforms.key.type": "org.apache.kafka.connect.transforms.ValueToKey", "transforms.key.fields": "id",
        ], registry: .standard)
        let input = SourceRecord(sourcePartition: [:], sourceOffset: [:], topic: "orders", valueSchema: DataGen.ordersSchema,
                                 value: DataGen.order(10), timestamp: 1_700_000_000_000)
        let out = try #require(try chain.apply(input))
        #expect(out.topic == "orders-20231114")
        let value = try #require(out.value.structValue)
        #expect(value.schema.fields.map(\.name) == ["id", "customer_name", "email", "quantity", "price", "paid", "created_at", "amount", "tags", "topic", "source"])
        #expect(value["email"] == "")  // masked: a string becomes empty
        #expect(value["quantity"] == .int64(10))
        #expect(value["paid"] == "true")
        #expect(value["source"] == "shop" && value["topic"] == "orders")
        #expect(out.key == .struct(try Struct(try SchemaBuilder.struct().field("id", .int64).build(), ["id": .int64(10)])))
    }
}

@Test func theReferenceTableListsEveryTransformation() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Docs/ConnectTransforms.md")
    let doc = try String(contentsOf: url, encoding: .utf8)
    for t in StandardTransforms.transformations {
        #expect(doc.contains("| `\(t.name)` | `\(t.className)` |"), "\(t.name) is missing from Docs/ConnectTransforms.md")
        for key in t.type.configDef.keys where !key.isInternal { #expect(doc.contains("`\(key.name)`"), "\(t.name): \(key.name)") }
    }
    for p in StandardTransforms.predicates { #expect(doc.contains(p.className)) }
}

/// The fused fast path (one pass over the value struct for chains of Kafka's field-level
/// transformations) gives exactly what the transformations give one by one.
@Suite("Fused chains")
struct FusedChainTests {
    static let chainConfig: [String: String] = [
        "transforms": "insert,replace,mask,cast,route,key",
        "transforms.insert.type": "InsertField$Value", "transforms.insert.static.field": "source", "transforms.insert.static.value": "shop",
        "transforms.insert.topic.field": "topic", "transforms.insert.offset.field": "offset", "transforms.insert.timestamp.field": "ts",
        "transforms.insert.partition.field": "partition",
        "transforms.replace.type": "ReplaceField$Value", "transforms.replace.exclude": "note", "transforms.replace.renames": "customer:customer_name",
        "transforms.mask.type": "MaskField$Value", "transforms.mask.fields": "email,price",
        "transforms.cast.type": "Cast$Value", "transforms.cast.spec": "quantity:int64,paid:string,amount:float64",
        "transforms.route.type": "TimestampRouter", "transforms.route.topic.format": "${topic}-${timestamp}",
        "transforms.route.timestamp.format": "yyyyMMdd",
        "transforms.key.type": "ValueToKey", "transforms.key.fields": "id,customer_name",
    ]

    @Test func fusedAndStageByStageAgree() throws {
        let chain = try TransformChain(config: Self.chainConfig, registry: .standard)
        #expect(chain.isFused)
        for i in 0..<500 {
            let record = SinkRecord(topic: "orders", partition: Int32(i % 3), valueSchema: DataGen.ordersSchema, value: DataGen.order(Int64(i)),
                                    offset: Int64(i), timestamp: 1_700_000_000_000 + Int64(i) * 3_600_000)
            var expected: SinkRecord? = record
            for stage in chain.stages { expected = try expected.flatMap { try stage.transformation.apply($0) } }
            let fused = try chain.apply(record)
            #expect(fused == expected, "record \(i)")
            #expect(fused?.valueSchema == expected?.valueSchema && fused?.keySchema == expected?.keySchema)
        }
        // Source records have no offset: InsertField's offset.field then is not fused, and fails like Kafka.
        let source = SourceRecord(sourcePartition: [:], sourceOffset: [:], topic: "orders", valueSchema: DataGen.ordersSchema, value: DataGen.order(1), timestamp: 1)
        #expect(throws: DataError.self) { try chain.apply(source) }
    }

    @Test func eachFusableTransformAgreesOnTheVectorsInputs() throws {
        for v in TransformVector.all where v.kind == "transform" {
            guard let entry = registry.transformations.lookup(v.type), let t = try? entry.plugin.init(configuration: v.config) else { continue }
            let chain = TransformChain(stages: [TransformChain.Stage(alias: "t", className: v.type, transformation: t, predicate: nil, negate: false)])
            guard chain.isFused else { continue }
            let input = try makeRecord(v.record!)
            let direct = Result { try t.apply(input) }
            let fused = Result { try chain.apply(input) }
            switch (direct, fused) {
            case (.success(let a), .success(let b)): #expect(a == b, "\(v.id)")
            case (.failure(let a), .failure(let b)): #expect("\(a)" == "\(b)" || v.type.contains("TimestampRouter"), "\(v.id): \(a) vs \(b)")
            default: Issue.record("\(v.id): direct \(direct) vs fused \(fused)")
            }
        }
    }
}

extension FusedChainTests {
    /// A record whose value struct has another schema than the record says (a connector's mistake)
    /// does not take the fused path, which reads the values by the record's schema: it gets what
    /// the transformations give one by one.
    @Test func aStructWithAnotherSchemaThanTheRecordsRunsStageByStage() throws {
        let chain = try TransformChain(config: Self.chainConfig, registry: .standard)
        let narrow = try SchemaBuilder.struct().name("orders").field("id", .int64).build()
        let record = SinkRecord(topic: "orders", partition: 0, valueSchema: DataGen.ordersSchema,
                                value: .struct(try Struct(narrow, ["id": .int64(7)])), offset: 3, timestamp: 1_700_000_000_000)
        var expected: Result<SinkRecord?, any Error> = .success(record)
        for stage in chain.stages { expected = expected.flatMap { r in Result { try r.flatMap { try stage.transformation.apply($0) } } } }
        let fused = Result { try chain.apply(record) }
        switch (expected, fused) {
        case (.success(let a), .success(let b)): #expect(a == b)
        case (.failure(let a), .failure(let b)): #expect("\(a)" == "\(b)")
        default: Issue.record("stage by stage \(expected) vs chain \(fused)")
        }
    }
}

/// Transformations that plan by the record's schema read a struct with another schema (a
/// connector's mistake) by name, as Kafka's `Struct.get(String)` does: a field it lacks is a clear
/// error naming the field, not an index past its values; a struct with more fields gives the
/// record's fields.
@Test(arguments: [
    ("Cast$Value", ["spec": "id:string"]), ("ValueToKey", ["fields": "id"]),
    ("HeaderFrom$Value", ["fields": "id", "headers": "h", "operation": "move"]),
    ("SetSchemaMetadata$Value", ["schema.name": "renamed"]), ("TimestampConverter$Value", ["field": "created_at", "target.type": "unix"]),
    ("Flatten$Value", [:]),
])
func aStructWithAnotherSchemaThanItsRecordsIsReadByName(type: String, config: [String: String]) throws {
    let t = try #require(PluginRegistry.standard.transformations.lookup(type)).plugin.init(configuration: config)
    let narrow = try SchemaBuilder.struct().field("id", .int64).build()
    let lacking = SinkRecord(topic: "orders", partition: 0, valueSchema: DataGen.ordersSchema,
                             value: .struct(try Struct(narrow, ["id": .int64(7)])), offset: 3, timestamp: 1)
    let error = #expect(throws: DataError.self, "\(type)") { try t.apply(lacking) }
    #expect(error?.message == "customer is not a valid field name", "\(type)")

    // The full order in a struct whose schema is not the record's (no name): the record's view of it.
    var wider = SchemaBuilder.struct()
    for f in DataGen.ordersSchema.fields { wider = wider.field(f.name, f.schema) }
    wider = wider.field("extra", .optionalString)
    let order = try #require(DataGen.order(5).structValue)
    let widened = Struct(unchecked: try wider.build(), values: order.values + [.string("x")])
    func record(_ value: Struct) -> SinkRecord {
        SinkRecord(topic: "orders", partition: 0, valueSchema: DataGen.ordersSchema, value: .struct(value), offset: 3, timestamp: 1)
    }
    let a = try #require(try t.apply(record(widened))), b = try #require(try t.apply(record(order)))
    #expect(a.key == b.key && a.keySchema == b.keySchema && a.headers == b.headers, "\(type)")
    if type != "ValueToKey" { #expect(a.value == b.value && a.valueSchema == b.valueSchema, "\(type)") }  // ValueToKey keeps the value as it was
}
