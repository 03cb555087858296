import ConnectAvro
import ConnectHTTP
import ConnectKit
import ConnectKitTesting
import Foundation
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// scripts/test-servers/schema_registry_server.py (ours, from Confluent's API reference).
func startRegistry(_ arguments: [String] = []) async throws -> (LocalServerProcess, String) {
    let script = repositoryRoot.appendingPathComponent("scripts/test-servers/schema_registry_server.py").path
    let server = try await LocalServerProcess("/usr/bin/env", ["python3", script] + arguments)
    return (server, "http://127.0.0.1:\(server.port()!)")
}

func registryStats(_ url: String) async throws -> JSONValue {
    let r = try await HTTPClient().execute(HTTPRequest(.get, url + "/_test/stats"))
    return try JSONValue.parse(r.text)
}

func injectFaults(_ url: String, _ json: String) async throws {
    _ = try await HTTPClient().execute(HTTPRequest(.post, url + "/_test/faults", headers: [HTTPHeader("Content-Type", "application/json")], body: Array(json.utf8)))
}

let recordV1 = #"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"}]}"#
let recordV2 = #"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"note","type":["null","string"],"default":null}]}"#
let recordNoDefault = #"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"qty","type":"int"}]}"#

@Suite("Schema Registry client against a Schema Registry test server", .serialized)
struct SchemaRegistryClientTests {
    @Test("register, lookup, ids, versions, latest, subjects, delete; one schema text has one id across subjects")
    func restAPI() async throws {
        let (server, url) = try await startRegistry()
        defer { server.stop() }
        let client = try HTTPSchemaRegistryClient(urls: [url])
        let id1 = try await client.register(subject: "orders-value", schema: recordV1)
        #expect(id1 == 1)
        #expect(try await client.register(subject: "orders-value", schema: recordV1) == 1)
        let id2 = try await client.register(subject: "orders-value", schema: recordV2)
        #expect(id2 == 2)
        #expect(try await client.register(subject: "other-value", schema: recordV1) == 1)
        let found = try await client.lookup(subject: "orders-value", schema: recordV2)
        #expect(found.id == 2 && found.version == 2)
        let latest = try await client.latestVersion(subject: "orders-value")
        #expect(latest.version == 2 && latest.id == 2)
        #expect(try await client.version(subject: "orders-value", version: 1).id == 1)
        #expect(try await client.schema(id: 2).contains("\"note\""))
        #expect(try await client.subjects() == ["orders-value", "other-value"])
        #expect(try await client.versions(subject: "orders-value") == [1, 2])
        #expect(try await client.deleteSubject("other-value") == [1])
        #expect(try await client.subjects() == ["orders-value"])
    }

    @Test("Confluent's error codes: 40401, 40402, 40403, 42201, 409; compatibility levels and checks")
    func errors() async throws {
        let (server, url) = try await startRegistry()
        defer { server.stop() }
        let client = try HTTPSchemaRegistryClient(urls: [url])
        await #expect { _ = try await client.latestVersion(subject: "nope") } throws: { ($0 as? SchemaRegistryError)?.errorCode == 40401 }
        _ = try await client.register(subject: "s", schema: recordV1)
        await #expect { _ = try await client.version(subject: "s", version: 9) } throws: { ($0 as? SchemaRegistryError)?.errorCode == 40402 }
        await #expect { _ = try await client.schema(id: 77) } throws: { e in
            let err = e as? SchemaRegistryError
            return err?.errorCode == 40403 && "\(e)" == "Schema 77 not found; error code: 40403"
        }
        await #expect { _ = try await client.lookup(subject: "s", schema: recordV2) } throws: { ($0 as? SchemaRegistryError)?.errorCode == 40403 }
        await #expect { _ = try await client.register(subject: "s", schema: #"{"type":"recrd"}"#) } throws: { ($0 as? SchemaRegistryError)?.errorCode == 42201 }
        #expect(try await client.compatibility(subject: nil) == "BACKWARD")
        #expect(try await client.testCompatibility(subject: "s", schema: recordV2))
        #expect(try await client.testCompatibility(subject: "s", schema: recordNoDefault) == false)
        await #expect { _ = try await client.register(subject: "s", schema: recordNoDefault) } throws: { e in
            (e as? SchemaRegistryError)?.errorCode == 409 && "\(e)".contains("incompatible")
        }
        try await client.setCompatibility("NONE", subject: "s")
        #expect(try await client.compatibility(subject: "s") == "NONE")
        #expect(try await client.register(subject: "s", schema: recordNoDefault) == 2)
    }

    @Test("a URL that does not answer hands the call to the next one; all failing is one clear error")
    func failover() async throws {
        let (server, url) = try await startRegistry()
        defer { server.stop() }
        let dead = "http://127.0.0.1:\(freeLocalPort())"
        let client = try HTTPSchemaRegistryClient(urls: [dead, url], retry: .none)
        #expect(try await client.register(subject: "s", schema: recordV1) == 1)
        let alone = try HTTPSchemaRegistryClient(urls: [dead], retry: .none)
        await #expect { _ = try await alone.schema(id: 1) } throws: { e in
            let err = e as? SchemaRegistryError
            return err?.errorCode == nil && err?.isRetriable == true && "\(e)".contains(dead)
        }
        #expect(throws: ConfigError.self) { _ = try HTTPSchemaRegistryClient(urls: ["ftp://x"]) }
        #expect(throws: ConfigError.self) { _ = try HTTPSchemaRegistryClient(urls: []) }
    }

    @Test("HTTP Basic credentials from the URL or from basic.auth.user.info; a wrong password is named without the secret")
    func basicAuth() async throws {
        let (server, url) = try await startRegistry(["--user", "reg", "--password", "s3cret-pw"])
        defer { server.stop() }
        let withURL = try HTTPSchemaRegistryClient(urls: [url.replacingOccurrences(of: "http://", with: "http://reg:s3cret-pw@")])
        #expect(try await withURL.register(subject: "s", schema: recordV1) == 1)
        #expect(!"\(withURL)".contains("s3cret"))
        let config = ["schema.registry.url": url, "basic.auth.credentials.source": "USER_INFO", "basic.auth.user.info": "reg:s3cret-pw"]
        let converter = try AvroConverter(configuration: config, isKey: false)
        let bytes = try await converter.serialize(topic: "t", headers: nil, schema: Schema.string, value: .string("x"))
        #expect(bytes?.count == 1 + 4 + 2)
        let wrong = try AvroConverter(configuration: config.merging(["basic.auth.user.info": "reg:wrong-secret"]) { $1 }, isKey: false)
        do {
            _ = try await wrong.serialize(topic: "t2", headers: nil, schema: Schema.string, value: .string("x"))
            Issue.record("expected 401")
        } catch {
            #expect("\(error)".contains("Unauthorized"))
            #expect(!"\(error)".contains("wrong-secret"))
        }
        #expect(!String(reflecting: config).isEmpty)
        var dumped = ""
        dump(converter, to: &dumped)
        #expect(!dumped.contains("s3cret-pw"))
    }
}

let orderSchema: Schema = try! SchemaBuilder.struct().name("shop.Order")
    .field("id", Schema.int64).field("item", Schema.string).field("qty", Schema.optionalInt32).build()

func order(_ i: Int64) -> Value {
    .struct(try! Struct(orderSchema, ["id": .int64(i), "item": .string("item-\(i)"), "qty": i % 3 == 0 ? .null : .int32(Int32(i))]))
}

@Suite("AvroConverter with a Schema Registry", .serialized)
struct AvroConverterRegistryTests {
    @Test("round trip through a registry: one registration and one id fetch for 200 records (ids, schemas and versions cached)")
    func roundTripCaches() async throws {
        let (server, url) = try await startRegistry()
        defer { server.stop() }
        let writer = try AvroConverter(configuration: ["schema.registry.url": url], isKey: false)
        let reader = try AvroConverter(configuration: ["schema.registry.url": url], isKey: false)
        var payloads: [[UInt8]] = []
        for i in 0..<200 { payloads.append(try #require(try await writer.serialize(topic: "orders", headers: nil, schema: orderSchema, value: order(Int64(i))))) }
        #expect(payloads[0][0...4] == [0, 0, 0, 0, 1])
        for (i, p) in payloads.enumerated() {
            let back = try await reader.deserialize(topic: "orders", headers: nil, value: p)
            #expect(back.schema?.name == "shop.Order")
            #expect(back.schema?.version == 1)
            #expect(back.value.structValue?["id"] == .int64(Int64(i)))
            #expect(back.value.structValue?["qty"] == (i % 3 == 0 ? .null : .int32(Int32(i))))
        }
        let stats = try await registryStats(url)
        #expect(stats["by_path"]?["POST /subjects/orders-value/versions"] == .number("1"))
        #expect(stats["by_path"]?["GET /schemas/ids/1"] == .number("1"))
        #expect(stats["by_path"]?["POST /subjects/orders-value"] == .number("1"))
        // The synchronous forms work from the caches now.
        #expect(try writer.fromConnectData(topic: "orders", schema: orderSchema, value: order(5)) == payloads[5])
        #expect(try reader.toConnectData(topic: "orders", value: payloads[7]).value.structValue?["id"] == .int64(7))
    }

    @Test("subject name strategies: TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy; keys use -key")
    func strategies() async throws {
        let registry = MockSchemaRegistryClient()
        let byTopic = AvroConverter(registry: registry, isKey: true)
        _ = try await byTopic.serialize(topic: "orders", headers: nil, schema: orderSchema, value: order(1))
        let byRecord = AvroConverter(registry: registry, subjectNameStrategy: .recordName)
        _ = try await byRecord.serialize(topic: "orders", headers: nil, schema: orderSchema, value: order(1))
        let both = AvroConverter(registry: registry, subjectNameStrategy: .topicRecordName)
        _ = try await both.serialize(topic: "orders", headers: nil, schema: orderSchema, value: order(1))
        #expect(try await registry.subjects() == ["orders-key", "orders-shop.Order", "shop.Order"])
        await #expect { _ = try await byRecord.serialize(topic: "orders", headers: nil, schema: Schema.string, value: .string("x")) } throws: { e in
            "\(e)".contains("value.subject.name.strategy") && "\(e)".contains("record")
        }
        let configured = try AvroConverter(configuration: ["schema.registry.url": "mock://strategies", "value.subject.name.strategy": "io.confluent.kafka.serializers.subject.RecordNameStrategy"], isKey: false)
        #expect(configured.subjectNameStrategy == .recordName)
        #expect(throws: ConfigError.self) {
            _ = try AvroConverter(configuration: ["schema.registry.url": "mock://x", "value.subject.name.strategy": "com.example.Nope"], isKey: false)
        }
    }

    @Test("auto.register.schemas=false looks the schema up; use.latest.version writes with the subject's latest schema (strict or not); use.schema.id")
    func noAutoRegisterAndLatest() async throws {
        let registry = MockSchemaRegistryClient()
        let lookupOnly = AvroConverter(registry: registry, autoRegisterSchemas: false)
        await #expect { _ = try await lookupOnly.serialize(topic: "orders", headers: nil, schema: orderSchema, value: order(1)) } throws: { e in
            "\(e)".contains("Error retrieving Avro schema") && "\(e)".contains("40401")
        }
        let auto = AvroConverter(registry: registry)
        let registered = try #require(try await auto.serialize(topic: "orders", headers: nil, schema: orderSchema, value: order(1)))
        #expect(try await lookupOnly.serialize(topic: "orders", headers: nil, schema: orderSchema, value: order(1)) == registered)
        // A newer version registered by someone else: use.latest.version writes with its id and layout,
        // the field the record does not have from its default.
        let v2 = try await registry.register(subject: "orders-value", schema: #"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"item","type":"string"},{"name":"qty","type":["null","int"],"default":null},{"name":"note","type":"string","default":"-"}]}"#)
        let latest = AvroConverter(registry: registry, autoRegisterSchemas: false, useLatestVersion: true)
        let written = try #require(try await latest.serialize(topic: "orders", headers: nil, schema: orderSchema, value: order(1)))
        #expect(Array(written[1...4]) == [0, 0, 0, UInt8(v2)])
        let read = try await AvroConverter(registry: registry).deserialize(topic: "orders", headers: nil, value: written)
        #expect(read.value.structValue?["note"] == .string("-"))
        #expect(read.value.structValue?["item"] == .string("item-1"))
        // latest.compatibility.strict (the default): a latest schema that cannot read the record's is refused.
        _ = try await registry.register(subject: "orders-value", schema: #"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"must","type":"int"}]}"#)
        let strict = AvroConverter(registry: registry, autoRegisterSchemas: false, useLatestVersion: true)
        await #expect { _ = try await strict.serialize(topic: "orders", headers: nil, schema: orderSchema, value: order(1)) } throws: { e in
            "\(e)".contains("Incompatible schema") && "\(e)".contains("latest.compatibility.strict")
        }
        let lax = AvroConverter(registry: registry, autoRegisterSchemas: false, useLatestVersion: true, latestCompatibilityStrict: false)
        await #expect { _ = try await lax.serialize(topic: "orders", headers: nil, schema: orderSchema, value: order(1)) } throws: { e in
            "\(e)".contains("must") && "\(e)".contains("no default")
        }
        // use.schema.id: that id and its schema.
        let pinned = AvroConverter(registry: registry, autoRegisterSchemas: false, useSchemaID: v2)
        let bytes = try #require(try await pinned.serialize(topic: "elsewhere", headers: nil, schema: orderSchema, value: order(3)))
        #expect(Array(bytes[1...4]) == [0, 0, 0, UInt8(v2)])
    }

    @Test("bad payloads and registries are DataErrors naming the topic and the cause; the converter keeps working")
    func badInput() async throws {
        let registry = MockSchemaRegistryClient()
        let c = AvroConverter(registry: registry)
        let good = try #require(try await c.serialize(topic: "t", headers: nil, schema: orderSchema, value: order(2)))
        await #expect { _ = try await c.deserialize(topic: "t", headers: nil, value: [1, 0, 0, 0, 1, 2]) } throws: { e in
            "\(e)".contains("Failed to deserialize data for topic t to Avro") && "\(e)".contains("Unknown magic byte!")
        }
        await #expect { _ = try await c.deserialize(topic: "t", headers: nil, value: [0, 0, 1]) } throws: { "\($0)".contains("4-byte schema id") }
        await #expect { _ = try await c.deserialize(topic: "t", headers: nil, value: [0, 0, 0, 3, 231, 2]) } throws: { e in
            "\(e)".contains("Schema 999 not found; error code: 40403")
        }
        await #expect { _ = try await c.deserialize(topic: "t", headers: nil, value: Array(good.dropLast())) } throws: { e in
            (e as? DataError)?.byteOffset != nil
        }
        await #expect { _ = try await c.deserialize(topic: "t", headers: nil, value: good + [0]) } throws: { "\($0)".contains("left after the value") }
        await #expect { _ = try await c.serialize(topic: "t", headers: nil, schema: orderSchema, value: .null) } throws: { e in
            "\(e)".contains("Found null value for non-optional schema")
        }
        #expect(try await c.serialize(topic: "t", headers: nil, schema: orderSchema.asOptional, value: .null) == nil)
        #expect(try await c.deserialize(topic: "t", headers: nil, value: nil).value == .null)
        let decimal = try SchemaBuilder.bytes().name(LogicalType.decimalName).version(1).parameter("scale", "2").build()
        await #expect { _ = try await c.serialize(topic: "t", headers: nil, schema: decimal, value: .decimal(BigDecimal("1.5")!)) } throws: { e in
            "\(e)".contains("mismatching scale")
        }
        let mapSchema = try SchemaBuilder.map(Schema.optionalString, Schema.int32).build()
        let optionalKeys = AvroConverter(registry: registry, avroData: AvroData(config: { var x = AvroDataConfig(); x.allowOptionalMapKeys = true; return x }()))
        await #expect { _ = try await optionalKeys.serialize(topic: "t", headers: nil, schema: mapSchema, value: .map(MapValue([(.null, .int32(1))]))) } throws: { e in
            "\(e)".contains("null key in map")
        }
        // Still working.
        #expect(try await c.deserialize(topic: "t", headers: nil, value: good).value.structValue?["item"] == .string("item-2"))
        // A registry that cannot be reached: a DataError, not a crash; the URL without credentials.
        let dead = try AvroConverter(configuration: ["schema.registry.url": "http://u:topsecret@127.0.0.1:\(freeLocalPort())", "http.connect.timeout.ms": "2000"], isKey: false)
        do {
            _ = try await dead.serialize(topic: "t", headers: nil, schema: orderSchema, value: order(1))
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("Failed to serialize Avro data from topic t"))
            #expect(!"\(error)".contains("topsecret"))
        }
        #expect(throws: ConfigError.self) { _ = try AvroConverter(configuration: [:], isKey: false) }
        #expect(throws: ConfigError.self) { _ = try AvroConverter(configuration: ["schema.registry.url": "mock://a,mock://b"], isKey: false) }
        #expect(throws: ConfigError.self) { _ = try AvroConverter(configuration: ["schema.registry.url": "mock://a", "specific.avro.reader": "true"], isKey: false) }
    }

    @Test("hostile payloads are DataErrors, not crashes: schemaless data nested 100 000 deep, millions of items that take no bytes; mismatched Union structs")
    func hostilePayloads() async throws {
        let data = AvroData()
        // Anything → array → Anything → … : 7 null fields, the array branch, one item, per level.
        var deep: [UInt8] = []
        for _ in 0..<100_000 { deep += [0, 0, 0, 0, 0, 0, 0, 2, 2] }
        let anything = try AvroSchema.parse(String(decoding: try data.fromConnectSchema(nil).javaString().utf8, as: UTF8.self))
        #expect { _ = try data.decode(deep, avro: anything, schema: nil) } throws: { "\($0)".contains("nested deeper than") }
        // An array of empty records: 2^21 of them in four bytes.
        let emptyItems = #"{"type":"array","items":{"type":"record","name":"E","fields":[]}}"#
        let node = try AvroTypeNode.parse(JSONValue.parse(emptyItems))
        let avro = try AvroSchema.parse(emptyItems)
        var zigzag = UInt64(1 << 21) << 1
        var many: [UInt8] = []
        while zigzag >= 0x80 { many.append(UInt8(zigzag & 0x7f) | 0x80); zigzag >>= 7 }
        many += [UInt8(zigzag), 0]
        #expect { _ = try data.toConnectData(node, avro: avro, bytes: many) } throws: { "\($0)".contains("items that take no bytes") }
        #expect { _ = try AvroValue.decode(many, avro) } throws: { "\($0)".contains("items that take no bytes") }
        let registry = MockSchemaRegistryClient()
        let id = try await registry.register(subject: "t-value", schema: emptyItems)
        let converter = AvroConverter(registry: registry)
        await #expect { _ = try await converter.deserialize(topic: "t", headers: nil, value: [0, 0, 0, 0, UInt8(id)] + many) } throws: { e in
            "\(e)".contains("items that take no bytes")
        }
        // A Union struct of another schema than the one given.
        let union = try SchemaBuilder.struct().name("io.confluent.connect.avro.Union").field("int", Schema.optionalInt32).field("string", Schema.optionalString).build()
        let other = try SchemaBuilder.struct().name("io.confluent.connect.avro.Union").field("int", Schema.optionalInt32).build()
        let value = Value.struct(try Struct(other, ["int": .int32(1)]))
        await #expect { _ = try await converter.serialize(topic: "u", headers: nil, schema: union, value: value) } throws: { "\($0)".contains("Mismatching struct schema") }
    }

    @Test("registry credentials in URLs are masked in configurations and errors, with or without a scheme, with a '/' in the password")
    func urlCredentialsMasked() throws {
        let masked = ParsedConfig.masked(["value.converter.schema.registry.url": "http://connect:pa/ss@reg:8081,http://u:p@other:8081", "x": "a@b"])
        #expect(masked["value.converter.schema.registry.url"] == "http://connect:[hidden]@reg:8081,http://u:[hidden]@other:8081")
        #expect(masked["x"] == "a@b")
        #expect(ParsedConfig.withoutURLCredentials("connect:secret@reg:8081") == "connect:[hidden]@reg:8081")
        do {
            _ = try AvroConverter(configuration: ["schema.registry.url": "mock://a,http://u:leaked@reg"], isKey: false)
            Issue.record("expected a ConfigError")
        } catch {
            #expect(!"\(error)".contains("leaked"))
        }
        do {
            _ = try AvroConverter(configuration: ["schema.registry.url": "u:leaked@reg:8081"], isKey: false)
            Issue.record("expected a ConfigError")
        } catch {
            #expect(!"\(error)".contains("leaked"))
        }
        let slash = try HTTPSchemaRegistryClient(urls: ["http://u:pa/ss@reg:8081"])
        #expect(slash.urls == ["http://reg:8081"])
        #expect(throws: ConfigError.self) { _ = try AvroConverter(configuration: ["schema.registry.url": "http://reg", "http.read.timeout.ms": "0"], isKey: false) }
    }

    @Test("a registry slower than http.read.timeout.ms is a retriable DataError")
    func timeout() async throws {
        let (server, url) = try await startRegistry()
        defer { server.stop() }
        try await injectFaults(url, #"{"delay_ms": 3000}"#)
        let c = try AvroConverter(configuration: ["schema.registry.url": url, "http.read.timeout.ms": "300"], isKey: false)
        let start = ContinuousClock.now
        await #expect { _ = try await c.serialize(topic: "t", headers: nil, schema: Schema.string, value: .string("x")) } throws: { e in
            (e as? DataError)?.isRetriable == true
        }
        #expect(ContinuousClock.now - start < .seconds(20))
    }
}
