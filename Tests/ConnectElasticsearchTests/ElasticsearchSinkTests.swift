import ConnectHTTP
import ConnectKit
import ConnectKitTesting
import ConnectPlugins
import ConnectRuntime
import Foundation
import Testing

@testable import ConnectElasticsearch

let orderSchema: Schema = try! SchemaBuilder.struct().name("shop.Order")
    .field("id", .int32)
    .field("name", .string)
    .field("price", Schema.decimal(scale: 2))
    .field("born", Schema.date)
    .field("at", Schema.timestamp)
    .field("tags", Schema.map(.string, .int32))
    .field("blob", .bytes)
    .field("note", .optionalString)
    .build()

func order(_ id: Int32, _ name: String, price: Int64 = 1250) -> Value {
    .struct(try! Struct(orderSchema, [
        "id": .int32(id), "name": .string(name), "price": .decimal(BigDecimal(unscaled: price, scale: 2)),
        "born": .date(19000), "at": .timestamp(1_700_000_000_123), "tags": .map(["a": .int32(1)]),
        "blob": .bytes([1, 2, 3]), "note": .null,
    ]))
}

@Suite("Elasticsearch sink against servers we did not write (noida-db, osmem-server)")
struct ElasticsearchServerTests {
    @Test("struct records: index per topic, key ids, external versions = offsets, Confluent's document and mapping", arguments: SearchServer.all)
    func documentsAndMapping(server: SearchServer) async throws {
        let topic = uniqueTopic("Orders")  // upper case: the index is the lowercased topic
        let index = topic.lowercased()
        let harness = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(server.url, topic))
        try await harness.start()
        try await harness.put(harness.records(topic: topic, keys: ["k1", "k2", "k3"], values: [order(1, "a"), order(2, "b"), order(3, "c")], schema: orderSchema))
        #expect(try await committed(harness, topic, reaches: 3))
        let es = SearchReader(url: server.url)
        let doc = try #require(try await es.source(index, "k2"))
        #expect(doc["id"]?.int == 2)
        #expect(doc["name"]?.stringValue == "b")
        #expect(doc["price"]?.double == 12.5)
        #expect(doc["born"]?.int == 19000)  // epoch days, as Confluent writes Date
        #expect(doc["at"]?.int == 1_700_000_000_123)
        #expect(doc["tags"]?["a"]?.int == 1)
        #expect(doc["blob"]?.stringValue == "AQID")
        #expect(doc["note"]?.isNull == true)
        #expect(try await es.version(index, "k2") == 1)  // the record's offset
        let mapping = try #require(try await es.mapping(index))
        let props = try #require(mapping["properties"])
        #expect(props["id"]?["type"]?.stringValue == "integer")
        #expect(props["name"]?["type"]?.stringValue == "text")
        #expect(props["name"]?["fields"]?["keyword"]?["type"]?.stringValue == "keyword")
        #expect(props["price"]?["type"]?.stringValue == "double")
        #expect(props["born"]?["type"]?.stringValue == "date")
        #expect(props["at"]?["type"]?.stringValue == "date")
        #expect(props["blob"]?["type"]?.stringValue == "binary")
        #expect(harness.contextRequests.reported.isEmpty)
        try await harness.stop()
    }

    @Test("a replay after a crash is a success (version conflicts of external versions); a newer offset wins", arguments: SearchServer.all)
    func replay(server: SearchServer) async throws {
        let topic = uniqueTopic("replay")
        let config = sinkConfig(server.url, topic)
        let first = SinkTaskHarness(ElasticsearchSinkTask.self, config: config)
        try await first.start()
        let records = first.records(topic: topic, keys: ["k1", "k2"], values: [order(1, "old"), order(2, "b")], schema: orderSchema)
        try await first.put(records)
        #expect(try await committed(first, topic, reaches: 2))
        try await first.stop()
        // A second task gets the same records again (nothing committed in between, say).
        let second = SinkTaskHarness(ElasticsearchSinkTask.self, config: config)
        try await second.start()
        try await second.put(records)
        let newer = SinkRecord(topic: topic, partition: 0, key: "k1", valueSchema: orderSchema, value: order(1, "new"), offset: 5)
        try await second.put([newer])
        #expect(try await committed(second, topic, reaches: 2))
        let es = SearchReader(url: server.url)
        #expect(try await eventually { try await es.source(topic, "k1")?["name"]?.stringValue == "new" })
        #expect(try await es.version(topic, "k1") == 5)
        #expect(second.contextRequests.reported.isEmpty)
        try await second.stop()
    }

    @Test("tombstones delete with behavior.on.null.values=delete", arguments: SearchServer.all)
    func tombstones(server: SearchServer) async throws {
        let topic = uniqueTopic("deletes")
        let harness = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(server.url, topic, ["behavior.on.null.values": "delete"]))
        try await harness.start()
        try await harness.put(harness.records(topic: topic, keys: ["k1", "k2"], values: [order(1, "a"), order(2, "b")], schema: orderSchema))
        try await harness.put(harness.records(topic: topic, keys: ["k1"], values: [.null], schema: orderSchema))
        #expect(try await committed(harness, topic, reaches: 3))
        let es = SearchReader(url: server.url)
        #expect(try await es.source(topic, "k1") == nil)
        #expect(try await es.source(topic, "k2") != nil)
        try await harness.stop()
    }

    @Test("key.ignore: ids topic+partition+offset; schemaless values with schema.ignore", arguments: SearchServer.all)
    func keyIgnore(server: SearchServer) async throws {
        let topic = uniqueTopic("nokeys")
        let harness = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(server.url, topic, ["key.ignore": "true", "schema.ignore": "true"]))
        try await harness.start()
        try await harness.put(harness.records(topic: topic, values: [.map(["a": .int64(1)]), .map(["a": .int64(2)])]))
        #expect(try await committed(harness, topic, reaches: 2))
        let es = SearchReader(url: server.url)
        #expect(try await es.source(topic, "\(topic)+0+1")?["a"]?.int == 2)
        try await harness.stop()
    }

    @Test("write.method=upsert merges documents", arguments: SearchServer.all)
    func upsert(server: SearchServer) async throws {
        let topic = uniqueTopic("upserts")
        let harness = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(server.url, topic, ["write.method": "upsert", "schema.ignore": "true"]))
        try await harness.start()
        try await harness.put(harness.records(topic: topic, keys: ["u1"], values: [.map(["a": .int64(1), "b": .int64(2)])]))
        #expect(try await committed(harness, topic, reaches: 1))
        try await harness.put(harness.records(topic: topic, keys: ["u1"], values: [.map(["b": .int64(3)])]))
        #expect(try await committed(harness, topic, reaches: 2))
        let doc = try #require(try await SearchReader(url: server.url).source(topic, "u1"))
        #expect(doc["a"]?.int == 1 && doc["b"]?.int == 3)
        try await harness.stop()
    }

    @Test("a document the cluster rejects: warn → reported with the server's reason, offset committed; fail → the task fails", arguments: SearchServer.all)
    func malformed(server: SearchServer) async throws {
        let topic = uniqueTopic("malformed")
        let warn = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(server.url, topic, ["schema.ignore": "true", "behavior.on.malformed.documents": "warn"]))
        try await warn.start()
        try await warn.put(warn.records(topic: topic, keys: ["m1"], values: [.map(["n": .int64(1)])]))
        #expect(try await committed(warn, topic, reaches: 1))
        try await warn.put(warn.records(topic: topic, keys: ["m2", "m3"], values: [.map(["n": .string("notanumber")]), .map(["n": .int64(3)])]))
        #expect(try await committed(warn, topic, reaches: 3))
        let reported = warn.contextRequests.reported
        #expect(reported.count == 1)
        #expect(reported.first?.record.kafkaOffset == 1)
        #expect(reported.first.map { $0.error.contains("parsing_exception") && $0.error.contains("notanumber") } == true, "\(reported)")
        try await warn.stop()

        let failTopic = uniqueTopic("malformed-fail")
        let fail = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(server.url, failTopic, ["schema.ignore": "true"]))
        try await fail.start()
        try await fail.put(fail.records(topic: failTopic, keys: ["m1", "m2"], values: [.map(["n": .int64(1)]), .map(["n": .int64(2)])]))
        #expect(try await committed(fail, failTopic, reaches: 2))
        try await fail.put(fail.records(topic: failTopic, keys: ["m3"], values: [.map(["n": .string("x")])]))
        var failure = ""
        _ = await eventually {
            do { _ = try await fail.flush(); return false } catch { failure = "\(error)"; return true }
        }
        #expect(failure.contains("offset=2") && failure.contains("behavior.on.malformed.documents"), "\(failure)")
        try? await fail.stop()
    }
}

@Suite("Elasticsearch sink against the fault-injecting test server")
struct ElasticsearchFaultTests {
    @Test("wire shapes: NDJSON action lines as the Java client writes them, plain JSON media types, index and mapping creation")
    func wireShapes() async throws {
        let (server, url) = try await startFaultServer()
        defer { server.stop() }
        let es = SearchReader(url: url)
        let t = uniqueTopic("wire")
        let h1 = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t, ["behavior.on.null.values": "delete"]))
        try await h1.start()
        try await h1.put(h1.records(topic: t, keys: ["k1"], values: [order(1, "a")], schema: orderSchema))
        try await h1.put(h1.records(topic: t, keys: ["k1"], values: [.null], schema: orderSchema))
        #expect(try await committed(h1, t, reaches: 2))
        try await h1.stop()

        let u = uniqueTopic("wire-upsert")
        let h2 = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, u, ["write.method": "UPSERT", "schema.ignore": "true", "max.in.flight.requests": "3", "max.buffered.records": "6000"]))
        try await h2.start()
        try await h2.put(h2.records(topic: u, keys: ["x"], values: [.map(["a": .int64(1)])]))
        #expect(try await committed(h2, u, reaches: 1))
        try await h2.stop()

        let a = uniqueTopic("wire-auto")
        let h3 = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, a, ["use.autogenerated.ids": "true", "schema.ignore": "true"]))
        try await h3.start()
        try await h3.put(h3.records(topic: a, values: [.map(["a": .int64(1)])]))
        #expect(try await committed(h3, a, reaches: 1))
        try await h3.stop()

        let journal = try await es.journal()
        let bulks = journal.filter { $0["path"]?.stringValue == "/_bulk?timeout=1m" }
        let bodies = bulks.compactMap { $0["body"]?.stringValue }
        let all = bodies.joined()
        #expect(all.contains("{\"index\":{\"_index\":\"\(t)\",\"_id\":\"k1\",\"version\":0,\"version_type\":\"external\"}}\n{\"id\":1,\"name\":\"a\",\"price\":12.5,\"born\":19000,\"at\":1700000000123,\"tags\":{\"a\":1},\"blob\":\"AQID\",\"note\":null}\n"), "\(all)")
        #expect(all.contains("{\"delete\":{\"_index\":\"\(t)\",\"_id\":\"k1\",\"version\":1,\"version_type\":\"external\"}}\n"))
        #expect(all.contains("{\"update\":{\"_index\":\"\(u)\",\"_id\":\"x\",\"retry_on_conflict\":3}}\n{\"doc\":{\"a\":1},\"upsert\":{\"a\":1}}\n"))
        #expect(all.contains("{\"index\":{\"_index\":\"\(a)\"}}\n{\"a\":1}\n"))
        for b in bulks {
            let headers = b["headers"]
            #expect(headers?["content-type"]?.stringValue == "application/x-ndjson")
            #expect(headers?["accept"]?.stringValue?.contains("compatible-with") != true)
            #expect(b["body"]?.stringValue?.hasSuffix("\n") == true)
        }
        #expect(journal.contains { $0["method"]?.stringValue == "HEAD" && $0["path"]?.stringValue == "/\(t)" })
        #expect(journal.contains { $0["method"]?.stringValue == "PUT" && $0["path"]?.stringValue?.hasPrefix("/\(t)?") == true && $0["body"]?.stringValue == "{\"settings\":{},\"aliases\":{}}" })
        let putMapping = try #require(journal.first { $0["method"]?.stringValue == "PUT" && $0["path"]?.stringValue?.hasPrefix("/\(t)/_mapping") == true })
        #expect(putMapping["body"]?.stringValue?.hasPrefix("{\"properties\":{\"id\":{\"type\":\"integer\"},\"name\":{\"type\":\"text\",\"fields\":{\"keyword\":{\"type\":\"keyword\",\"ignore_above\":256}}},\"price\":{\"type\":\"double\"}") == true)
        // schema.ignore: no mapping request for that index.
        #expect(!journal.contains { $0["path"]?.stringValue?.hasPrefix("/\(u)/_mapping") == true })
    }

    @Test("whole-request 429, 503 and 500 are retried with backoff; when retries run out the task fails and commits nothing")
    func wholeRequestRetries() async throws {
        let (server, url) = try await startFaultServer()
        defer { server.stop() }
        let es = SearchReader(url: url)
        let busy = #"{"error":{"root_cause":[{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"}],"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"},"status":429}"#
        #expect(try await es.post("/_test/faults", #"{"bulk":[{"status":429,"body":\#(busy)},{"status":503},{"status":500,"body":{"error":"boom"}}]}"#) == 200)
        let t = uniqueTopic("retries")
        let h = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t, ["max.retries": "3", "schema.ignore": "true"]))
        try await h.start()
        try await h.put(h.records(topic: t, keys: ["k1", "k2"], values: [.map(["a": .int64(1)]), .map(["a": .int64(2)])]))
        #expect(try await committed(h, t, reaches: 2))
        #expect(try await es.stats()["bulk_calls"]?.int == 4)
        try await h.stop()

        #expect(try await es.post("/_test/faults", #"{"bulk":[{"status":503},{"status":503},{"status":503}]}"#) == 200)
        let f = uniqueTopic("exhausted")
        let h2 = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, f, ["max.retries": "1", "schema.ignore": "true"]))
        try await h2.start()
        try await h2.put(h2.records(topic: f, keys: ["k1"], values: [.map(["a": .int64(1)])]))
        var failure = ""
        var committedAnything = false
        let failed = await eventually {
            do {
                let c = try await h2.flush()
                if c[TopicPartition(topic: f, partition: 0)] != nil { committedAnything = true }
                return false
            } catch { failure = "\(error)"; return true }
        }
        #expect(failed && !committedAnything)
        #expect(failure.contains("Failed to execute bulk request due to 'HTTP 503") && failure.contains("after 2 attempt(s)"), "\(failure)")
        try? await h2.stop()
    }

    @Test("per-item 429 (es_rejected_execution_exception) is retried for those items only; offsets wait for them, contiguously")
    func perItemRetries() async throws {
        let (server, url) = try await startFaultServer()
        defer { server.stop() }
        let es = SearchReader(url: url)
        // k2 is rejected twice; the bulk retrying it the second time answers after 2 s.
        #expect(try await es.post("/_test/faults", #"{"items":[{"id":"k2","status":429,"type":"es_rejected_execution_exception","times":2}],"bulk":[{},{},{"delay_ms":2000}]}"#) == 200)
        let t = uniqueTopic("items")
        let h = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t, ["schema.ignore": "true", "retry.backoff.ms": "20", "max.retries": "5", "read.timeout.ms": "5000"]))
        try await h.start()
        try await h.put(h.records(topic: t, keys: ["k1", "k2", "k3"], values: [.map(["a": .int64(1)]), .map(["a": .int64(2)]), .map(["a": .int64(3)])]))
        // k1 and k3 are written at once; k2 waits for its retries: the committable offset stays at 1.
        #expect(try await committed(h, t, reaches: 1))
        #expect(try await h.flush()[TopicPartition(topic: t, partition: 0)]?.offset == 1)
        #expect(try await es.source(t, "k3") != nil)
        #expect(try await committed(h, t, reaches: 3))
        #expect(try await es.source(t, "k2")?["a"]?.int == 2)
        let retried = try await es.journal().compactMap { $0["body"]?.stringValue }.filter { $0.contains("\"_id\":\"k2\"") && !$0.contains("\"_id\":\"k1\"") }
        #expect(retried.count == 2)  // two bulks of k2 alone
        #expect(h.contextRequests.reported.isEmpty)
        try await h.stop()
    }

    @Test("a connection dropped mid-response and a non-JSON 200 are retried")
    func droppedConnections() async throws {
        let (server, url) = try await startFaultServer()
        defer { server.stop() }
        let es = SearchReader(url: url)
        #expect(try await es.post("/_test/faults", #"{"bulk":[{"drop":true},{"garbage":true}]}"#) == 200)
        let t = uniqueTopic("drops")
        let h = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t, ["schema.ignore": "true"]))
        try await h.start()
        try await h.put(h.records(topic: t, keys: ["k1"], values: [.map(["a": .int64(1)])]))
        #expect(try await committed(h, t, reaches: 1))
        #expect(try await es.stats()["bulk_calls"]?.int == 3)
        try await h.stop()
    }

    @Test("a wrong password is one clear error naming the URL and user, never the password; none at all says so")
    func credentials() async throws {
        let (server, url) = try await startFaultServer(["--user", "elastic", "--password", "right-secret"])
        defer { server.stop() }
        let wrong = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, "t", ["connection.username": "elastic", "connection.password": "wr0ng-s3cret"]))
        do {
            try await wrong.start()
            Issue.record("a refused password must fail the start")
        } catch {
            let text = "\(error)"
            #expect(text.contains(url) && text.contains("'elastic'") && text.contains("connection.password") && text.contains("401"), "\(text)")
            #expect(!text.contains("wr0ng-s3cret"))
        }
        let none = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, "t"))
        do {
            try await none.start()
            Issue.record("missing credentials must fail the start")
        } catch {
            #expect("\(error)".contains("requires authentication"), "\(error)")
        }
        let right = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, "creds", ["connection.username": "elastic", "connection.password": "right-secret", "schema.ignore": "true"]))
        try await right.start()
        try await right.put(right.records(topic: "creds", keys: ["k"], values: [.map(["a": .int64(1)])]))
        #expect(try await committed(right, "creds", reaches: 1))
        try await right.stop()
        var dumped = ""
        dump(try ElasticsearchSinkConfig(sinkConfig(url, "t", ["connection.username": "u", "connection.password": "dump-s3cret"])), to: &dumped)
        #expect(!dumped.contains("dump-s3cret"))
    }

    @Test("a slow cluster slows the pipeline: in-flight bulks and buffered records stay bounded; flush.timeout.ms ends the wait")
    func boundedUnderSlowServer() async throws {
        let (server, url) = try await startFaultServer()
        defer { server.stop() }
        let es = SearchReader(url: url)
        #expect(try await es.post("/_test/faults", #"{"delay_ms":300}"#) == 200)
        let t = uniqueTopic("slow")
        let h = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t, [
            "schema.ignore": "true", "batch.size": "10", "max.in.flight.requests": "2", "max.buffered.records": "20", "read.timeout.ms": "5000",
        ]))
        try await h.start()
        let start = ContinuousClock.now
        try await h.put(h.records(topic: t, keys: (0..<100).map { .string("k\($0)") }, values: (0..<100).map { .map(["a": .int64(Int64($0))]) }))
        // 100 records, at most 20 outstanding, 2 bulks of 10 at a time, 300 ms each: put waited.
        #expect(ContinuousClock.now - start >= .milliseconds(1200))
        #expect(try await committed(h, t, reaches: 100))
        let maxConcurrent = try await es.stats()["max_concurrent_bulks"]?.int ?? 99
        #expect(maxConcurrent <= 2)
        try await h.stop()

        #expect(try await es.post("/_test/faults", #"{"delay_ms":4000}"#) == 200)
        let t2 = uniqueTopic("stuck")
        let h2 = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t2, [
            "schema.ignore": "true", "batch.size": "1", "max.in.flight.requests": "1", "max.buffered.records": "1",
            "flush.timeout.ms": "1000", "read.timeout.ms": "10000",
        ]))
        try await h2.start()
        do {
            try await h2.put(h2.records(topic: t2, keys: ["a", "b", "c"], values: [.map(["a": .int64(1)]), .map(["a": .int64(2)]), .map(["a": .int64(3)])]))
            Issue.record("put must give up after flush.timeout.ms")
        } catch {
            #expect("\(error)".contains("Consider increasing flush.timeout.ms or max.buffered.records"), "\(error)")
        }
        try? await h2.stop()
    }

    @Test("several connection.url: a dead one fails over to the next")
    func failover() async throws {
        let (server, url) = try await startFaultServer()
        defer { server.stop() }
        let t = uniqueTopic("failover")
        let h = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig("http://127.0.0.1:1,\(url)", t, ["schema.ignore": "true"]))
        try await h.start()
        try await h.put(h.records(topic: t, keys: ["k1", "k2"], values: [.map(["a": .int64(1)]), .map(["a": .int64(2)])]))
        #expect(try await committed(h, t, reaches: 2))
        try await h.stop()
    }

    @Test("data streams: create actions into <type>-<dataset>-<topic>, @timestamp from the record or a field")
    func dataStreams() async throws {
        let (server, url) = try await startFaultServer()
        defer { server.stop() }
        let es = SearchReader(url: url)
        let t = uniqueTopic("metrics")
        let h = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t, ["data.stream.type": "logs", "data.stream.dataset": "app", "schema.ignore": "true"]))
        try await h.start()
        let r = SinkRecord(topic: t, partition: 0, key: "d1", valueSchema: nil, value: .map(["m": .int64(7)]), offset: 0, timestamp: 1_700_000_000_000)
        try await h.put([r])
        #expect(try await committed(h, t, reaches: 1))
        try await h.stop()
        let bodies = try await es.journal().compactMap { $0["body"]?.stringValue }.joined()
        #expect(bodies.contains("{\"create\":{\"_index\":\"logs-app-\(t)\",\"_id\":\"d1\"}}\n{\"m\":7,\"@timestamp\":1700000000000}\n"), "\(bodies)")

        let t2 = uniqueTopic("events")
        let h2 = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t2, ["data.stream.type": "logs", "data.stream.dataset": "app", "schema.ignore": "true", "data.stream.timestamp.field": "missing,when"]))
        try await h2.start()
        try await h2.put(h2.records(topic: t2, keys: ["e1"], values: [.map(["when": .int64(1_600_000_000_000), "v": .int64(1)])]))
        #expect(try await committed(h2, t2, reaches: 1))
        try await h2.stop()
        let b2 = try await es.journal().compactMap { $0["body"]?.stringValue }.joined()
        #expect(b2.contains("{\"when\":1600000000000,\"v\":1,\"@timestamp\":\"1600000000000\"}\n"), "\(b2)")
    }

    @Test("bad records: null keys, unsupported key types and null values under FAIL fail the task with Confluent's message; drop.invalid.message reports and commits them")
    func badRecords() async throws {
        let (server, url) = try await startFaultServer()
        defer { server.stop() }
        let t = uniqueTopic("bad")
        for (key, value, message) in [
            (Value.null, order(1, "a"), "Key is used as document id and can not be null."),
            (Value.string(""), order(1, "a"), "Key is used as document id and can not be empty."),
            (Value.array([.int32(1)]), order(1, "a"), "ARRAY is not supported as the document id."),
            (Value.string("k"), Value.null, "record from topic=\(t) partition=0 offset=0 has a null value (to ignore future records like this change the configuration property 'behavior.on.null.values' from 'FAIL' to 'IGNORE')"),
        ] {
            let h = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t))
            try await h.start()
            do {
                try await h.put([SinkRecord(topic: t, partition: 0, key: key, valueSchema: orderSchema, value: value, offset: 0)])
                Issue.record("expected \(message)")
            } catch {
                #expect((error as? DataError)?.message == message, "\(error)")
            }
            try? await h.stop()
        }
        let dropping = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t, ["drop.invalid.message": "true"]))
        try await dropping.start()
        try await dropping.put(dropping.records(topic: t, keys: [.null, "ok"], values: [order(1, "a"), order(2, "b")], schema: orderSchema))
        #expect(try await committed(dropping, t, reaches: 2))
        #expect(dropping.contextRequests.reported.map(\.record.kafkaOffset) == [0])
        try await dropping.stop()

        // behavior.on.null.values=ignore: skipped, reported ("Cannot write null valued record."), committed.
        let ignoring = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t, ["behavior.on.null.values": "ignore"]))
        try await ignoring.start()
        try await ignoring.put(ignoring.records(topic: t, keys: ["k"], values: [.null], schema: orderSchema))
        #expect(try await committed(ignoring, t, reaches: 1))
        #expect(ignoring.contextRequests.reported.first?.error.contains("Cannot write null valued record.") == true)
        try await ignoring.stop()

        // Schemaless values need schema.ignore (Confluent: Cannot infer mapping without schema.).
        let schemaless = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, uniqueTopic("nomap")))
        try await schemaless.start()
        do {
            try await schemaless.put(schemaless.records(topic: "nomap", keys: ["k"], values: [.map(["a": .int64(1)])]))
            Issue.record("expected Cannot infer mapping without schema.")
        } catch { #expect("\(error)".contains("Cannot infer mapping without schema."), "\(error)") }
        try? await schemaless.stop()
    }

    @Test("external.version.header gives the version; a header that is not a long names the header and record")
    func externalVersionHeader() async throws {
        let (server, url) = try await startFaultServer()
        defer { server.stop() }
        let t = uniqueTopic("versions")
        let h = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t, ["external.version.header": "v", "schema.ignore": "true"]))
        try await h.start()
        var headers = Headers()
        headers.addLong("v", 42)
        try await h.put([SinkRecord(topic: t, partition: 0, key: "k", valueSchema: nil, value: .map(["a": .int64(1)]), offset: 0, headers: headers)])
        #expect(try await committed(h, t, reaches: 1))
        #expect(try await SearchReader(url: url).version(t, "k") == 42)
        var bad = Headers()
        bad.addString("v", "forty-two")
        do {
            try await h.put([SinkRecord(topic: t, partition: 0, key: "k", valueSchema: nil, value: .map(["a": .int64(1)]), offset: 1, headers: bad)])
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "Error converting external version header 'v' to long for record from topic=\(t) partition=0 offset=1", "\(error)")
        }
        try? await h.stop()
    }
}

@Suite("Elasticsearch sink configuration")
struct ElasticsearchConfigTests {
    @Test("Confluent's checks between keys, each on its keys with Confluent's message")
    func crossChecks() {
        let c = ElasticsearchSinkConnector()
        func errors(_ extra: [String: String]) -> [String: [String]] {
            var config = ["connection.url": "http://localhost:9200", "topics": "t"]
            config.merge(extra) { $1 }
            return Dictionary(uniqueKeysWithValues: c.validate(config).values.filter { !$0.errors.isEmpty }.map { ($0.name, $0.errors) })
        }
        #expect(errors([:]).isEmpty)
        #expect(errors(["connection.username": "u"])["connection.password"] == ["Both 'connection.username' and 'connection.password' must be set."])
        #expect(errors(["data.stream.type": "logs"])["data.stream.dataset"] == ["Either both or neither 'data.stream.dataset' and 'data.stream.type' must be set."])
        #expect(errors(["data.stream.type": "logs", "data.stream.dataset": "a", "write.method": "upsert"])["write.method"] == ["Upserts are not supported with data streams. write.method must not be UPSERT when using data streams."])
        #expect(errors(["data.stream.type": "logs", "data.stream.dataset": "a", "behavior.on.null.values": "delete"])["behavior.on.null.values"] == ["Deletes are not supported with data streams. behavior.on.null.values must not be DELETE when using data streams."])
        #expect(errors(["data.stream.timestamp.field": "ts"])["data.stream.timestamp.field"]?.first?.hasPrefix("Mapping a field to the '@timestamp' field is only necessary") == true)
        #expect(errors(["key.ignore": "true", "topic.key.ignore": "t"])["topic.key.ignore"] == ["'topic.key.ignore' can not be set if 'key.ignore' is true."])
        #expect(errors(["schema.ignore": "true", "topic.schema.ignore": "t"])["schema.ignore"] == ["'topic.schema.ignore' can not be set if 'schema.ignore' is true."])
        #expect(errors(["linger.ms": "200000", "flush.timeout.ms": "100000"])["linger.ms"] == ["'linger.ms' (200000) can not be larger than 'flush.timeout.ms' (100000)."])
        #expect(errors(["max.buffered.records": "100"])["max.buffered.records"] == ["'max.buffered.records' (100) must be larger than or equal to 'batch.size' (2000) x max.in.flight.requests (5)."])
        #expect(errors(["proxy.username": "p"])["proxy.username"] == ["'proxy.host' must be set to use 'proxy.username'."])
        #expect(errors(["proxy.host": "h", "proxy.username": "p"])["proxy.password"] == ["Either both or neither 'proxy.username' and 'proxy.password' can be set."])
        #expect(errors(["elastic.https.ssl.truststore.location": "/x.pem"])["elastic.security.protocol"] == ["'elastic.security.protocol' must be set to 'SSL' to use SSL configs."])
        #expect(errors(["elastic.security.protocol": "SSL"])["elastic.security.protocol"]?.first?.hasPrefix("At least these SSL configs") == true)
        #expect(errors(["elastic.security.protocol": "SSL", "elastic.https.ssl.truststore.location": "/x.jks"])["elastic.https.ssl.truststore.type"]?.first?.contains("JKS is not supported") == true)
        #expect(errors(["kerberos.user.principal": "p"])["kerberos.user.principal"]?.first?.contains("not supported") == true)
        #expect(errors(["behavior.on.null.values": "drop"])["behavior.on.null.values"] != nil)
        #expect(errors(["batch.size": "0"])["batch.size"] != nil)
        #expect(errors(["external.resource.usage": "INDEX"])["topic.to.external.resource.mapping"]?.first?.hasPrefix("Invalid configuration: external.resource.usage and topic.to.external.resource.mapping must be configured together.") == true)
        #expect(errors(["external.resource.usage": "INDEX", "topic.to.external.resource.mapping": "x:idx"])["topic.to.external.resource.mapping"] == ["Topic 't' is not mapped to any resource. All configured topics must be mapped to a resource."])
        #expect(errors(["data.stream.dataset": "Bad-Name", "data.stream.type": "logs"])["data.stream.dataset"] != nil)
        #expect(errors(["connection.url": ""])["connection.url"] != nil)
    }

    @Test("TLS keys become libcurl's: PEM trust store, PEM or PKCS12 key store, endpoint identification off")
    func tls() throws {
        let c = try ElasticsearchSinkConfig([
            "connection.url": "https://es:9200", "elastic.security.protocol": "SSL",
            "elastic.https.ssl.truststore.location": "/ca.pem", "elastic.https.ssl.truststore.type": "PEM",
            "elastic.https.ssl.keystore.location": "/client.p12", "elastic.https.ssl.keystore.type": "PKCS12",
            "elastic.https.ssl.keystore.password": "ks-s3cret", "elastic.https.ssl.endpoint.identification.algorithm": "",
        ])
        #expect(c.tls.caFile == "/ca.pem")
        #expect(c.tls.certificateFile == "/client.p12" && c.tls.certificateType == "P12")
        #expect(c.tls.keyPassword?.value == "ks-s3cret")
        #expect(!c.tls.verifyHost && c.tls.verifyPeer)
        #expect(!String(reflecting: c).contains("ks-s3cret"))
        #expect(c.urls == ["https://es:9200"])
        let plain = try ElasticsearchSinkConfig(["connection.url": "es1:9200/, http://es2:9200,http://es2:9200"])
        #expect(plain.urls == ["http://es1:9200", "http://es2:9200"])
    }

    @Test("index names as Confluent's createIndexName")
    func indexNames() {
        #expect(DocumentConverter.indexName("Orders") == "orders")
        #expect(DocumentConverter.indexName("_private") == "private")
        #expect(DocumentConverter.indexName("-x") == "x")
        #expect(DocumentConverter.indexName(".") == "dot")
        #expect(DocumentConverter.indexName("..") == "dotdot")
        #expect(DocumentConverter.indexName(String(repeating: "a", count: 300)).count == 255)
    }

    @Test("the connector is known by Confluent's class name")
    func plugin() throws {
        let registry = PluginRegistry.standard
        #expect(registry.connector("io.confluent.connect.elasticsearch.ElasticsearchSinkConnector") != nil)
    }
}

@Suite("Elasticsearch sink: versions, synchronous flushes, compression, TLS")
struct ElasticsearchMoreTests {
    @Test("the same plain requests work whatever version the server reports (Elasticsearch 7, 8, 9)", arguments: ["7.17.24", "8.15.2", "9.1.0"])
    func versions(version: String) async throws {
        let (server, url) = try await startFaultServer(["--version", version])
        defer { server.stop() }
        let t = uniqueTopic("v")
        let h = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t))
        try await h.start()
        try await h.put(h.records(topic: t, keys: ["k1", "k2"], values: [order(1, "a"), order(2, "b")], schema: orderSchema))
        #expect(try await committed(h, t, reaches: 2))
        try await h.stop()
        let journal = try await SearchReader(url: url).journal()
        for request in journal {
            let accept = request["headers"]?["accept"]?.stringValue ?? ""
            let type = request["headers"]?["content-type"]?.stringValue ?? ""
            #expect(!accept.contains("vnd.elasticsearch") && !type.contains("vnd.elasticsearch"))
        }
    }

    @Test("flush.synchronously: preCommit returns the runtime's offsets only once everything taken is written")
    func synchronousFlush() async throws {
        let (server, url) = try await startFaultServer()
        defer { server.stop() }
        let es = SearchReader(url: url)
        #expect(try await es.post("/_test/faults", #"{"delay_ms":500}"#) == 200)
        let t = uniqueTopic("sync")
        let h = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t, ["flush.synchronously": "true", "schema.ignore": "true", "linger.ms": "10000"]))
        try await h.start()
        try await h.put(h.records(topic: t, keys: ["k1", "k2", "k3"], values: [.map(["a": .int64(1)]), .map(["a": .int64(2)]), .map(["a": .int64(3)])]))
        let start = ContinuousClock.now
        let committed = try await h.flush()
        #expect(ContinuousClock.now - start >= .milliseconds(400))
        #expect(committed[TopicPartition(topic: t, partition: 0)]?.offset == 3)
        #expect(try await es.source(t, "k3") != nil)
        try await h.stop()
    }

    @Test("flush.synchronously with a document the cluster rejects (behavior fail): the commit fails, never returns offsets past it")
    func synchronousFlushFailure() async throws {
        let (server, url) = try await startFaultServer()
        defer { server.stop() }
        let es = SearchReader(url: url)
        #expect(try await es.post("/_test/faults", #"{"items":[{"id":"k2","status":400,"type":"mapper_parsing_exception","reason":"failed to parse field [a]"}]}"#) == 200)
        let t = uniqueTopic("syncfail")
        let h = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t, ["flush.synchronously": "true", "schema.ignore": "true"]))
        try await h.start()
        try await h.put(h.records(topic: t, keys: ["k1", "k2", "k3"], values: [.map(["a": .int64(1)]), .map(["a": .int64(2)]), .map(["a": .int64(3)])]))
        for _ in 0..<5 {
            do {
                let c = try await h.flush()
                Issue.record("a commit returned \(c) past a rejected record")
                break
            } catch {
                #expect("\(error)".contains("offset=1") && "\(error)".contains("mapper_parsing_exception"), "\(error)")
            }
        }
        try? await h.stop()
    }

    @Test("connection.compression gzips bulk bodies (the server decodes them)")
    func compression() async throws {
        let (server, url) = try await startFaultServer()
        defer { server.stop() }
        let t = uniqueTopic("gzip")
        let h = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t, ["connection.compression": "true", "schema.ignore": "true"]))
        try await h.start()
        try await h.put(h.records(topic: t, keys: ["k1"], values: [.map(["a": .int64(1)])]))
        #expect(try await committed(h, t, reaches: 1))
        try await h.stop()
        let bulk = try #require(try await SearchReader(url: url).journal().first { $0["path"]?.stringValue == "/_bulk?timeout=1m" })
        #expect(bulk["headers"]?["content-encoding"]?.stringValue == "gzip")
        #expect(bulk["body"]?.stringValue?.contains("\"_id\":\"k1\"") == true)
    }

    @Test("TLS: elastic.security.protocol=SSL with a PEM trust store; an untrusted server fails the start with the URL named")
    func tls() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-es-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let ssl = "/usr/bin/openssl"
        try await runTool(ssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test CA"], in: dir)
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: path("san.ext"), atomically: true, encoding: .utf8)
        try await runTool(ssl, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=es"], in: dir)
        try await runTool(ssl, ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext"], in: dir)
        let script = repositoryRoot.appendingPathComponent("scripts/test-servers/es_test_server.py").path
        let server = try await LocalServerProcess("/usr/bin/env", ["python3", script, "--tls-cert", path("server.pem"), "--tls-key", path("server.key")])
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port()!)"
        let t = uniqueTopic("tls")
        let trusted = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t, [
            "elastic.security.protocol": "SSL", "elastic.https.ssl.truststore.location": path("ca.pem"),
            "elastic.https.ssl.truststore.type": "PEM", "schema.ignore": "true",
        ]))
        try await trusted.start()
        try await trusted.put(trusted.records(topic: t, keys: ["k1"], values: [.map(["a": .int64(1)])]))
        #expect(try await committed(trusted, t, reaches: 1))
        try await trusted.stop()

        let untrusted = SinkTaskHarness(ElasticsearchSinkTask.self, config: sinkConfig(url, t, ["schema.ignore": "true", "max.retries": "0"]))
        try await untrusted.start()  // the version check only warns, as Confluent's
        do {
            try await untrusted.put(untrusted.records(topic: t, keys: ["k2"], values: [.map(["a": .int64(2)])]))
            _ = try await untrusted.flush()
            Issue.record("an untrusted certificate must fail")
        } catch {
            #expect("\(error)".contains(url) && "\(error)".contains("(tls)"), "\(error)")
        }
        try? await untrusted.stop()
    }
}

/// Runs a tool to its end (openssl) in `dir`.
func runTool(_ executable: String, _ arguments: [String], in dir: URL) async throws {
    let (status, output) = try await runProgram("/bin/sh", ["-c", "cd \"$0\" && exec \"$@\"", dir.path, executable] + arguments)
    if status != 0 { throw LocalServerProcess.Failure(message: "\(executable) \(arguments.joined(separator: " ")): \(output)") }
}

@Suite("Document conversion and mappings (no server)")
struct DocumentConversionTests {
    func document(_ schema: Schema, _ value: Value, _ extra: [String: String] = [:]) throws -> String {
        var c = ["connection.url": "http://x:9200"]
        c.merge(extra) { $1 }
        let converter = DocumentConverter(config: try ElasticsearchSinkConfig(c))
        let r = SinkRecord(topic: "t", partition: 0, key: "k", valueSchema: schema, value: value, offset: 7)
        return String(decoding: try converter.document(r), as: UTF8.self)
    }

    @Test("maps: string keys as objects (compact), entries as key/value structs otherwise; decimals as doubles, nested")
    func maps() throws {
        let schema = try SchemaBuilder.struct()
            .field("byName", Schema.map(.string, Schema.decimal(scale: 1)))
            .field("byNumber", Schema.map(.int32, .string))
            .field("list", Schema.array(Schema.decimal(scale: 2)))
            .build()
        let value = Value.struct(try Struct(schema, [
            "byName": .map(["a": .decimal(BigDecimal(unscaled: 15, scale: 1))]),
            "byNumber": .map([.int32(1): "one"]),
            "list": .array([.decimal(BigDecimal(unscaled: 125, scale: 2))]),
        ]))
        #expect(try document(schema, value) == #"{"byName":{"a":1.5},"byNumber":[{"key":1,"value":"one"}],"list":[1.25]}"#)
        #expect(try document(schema, value, ["compact.map.entries": "false"]) == #"{"byName":[{"key":"a","value":1.5}],"byNumber":[{"key":1,"value":"one"}],"list":[1.25]}"#)
        // schema.ignore: Kafka's JsonConverter as is (a Decimal is Base64 of its unscaled bytes).
        #expect(try document(schema, value, ["schema.ignore": "true"]) == #"{"byName":{"a":"Dw=="},"byNumber":[[1,"one"]],"list":["fQ=="]}"#)
    }

    @Test("a required field that is null takes its default, else Confluent's error")
    func nulls() throws {
        let schema = try SchemaBuilder.struct()
            .field("d", SchemaBuilder.decimal(scale: 0).defaultValue(.decimal(BigDecimal(unscaled: 3, scale: 0))))
            .field("r", Schema.decimal(scale: 0))
            .build()
        let value = Value.struct(Struct(unchecked: schema, values: [.null, .null]))
        do {
            _ = try document(schema, value)
            Issue.record("expected an error")
        } catch {
            #expect((error as? DataError)?.message == "null value for field that is required and has no default value")
        }
    }

    @Test("mappings from schemas, defaults as null_value")
    func mappings() throws {
        let schema = try SchemaBuilder.struct()
            .field("flag", SchemaBuilder.bool().defaultValue(.boolean(true)))
            .field("small", .int8).field("mid", .int16).field("n", .int32).field("big", SchemaBuilder.int64().defaultValue(.int64(9)))
            .field("f", .float32).field("d", .float64).field("raw", .bytes).field("s", .string)
            .field("day", SchemaBuilder.date().defaultValue(.date(2)))
            .field("at", Schema.timestamp).field("price", Schema.decimal(scale: 2))
            .field("tags", Schema.array(.string))
            .field("m", Schema.map(.string, .int64))
            .field("inner", SchemaBuilder.struct().field("x", .int32))
            .build()
        #expect(MappingBuilder.mapping(schema).description == #"{"properties":{"flag":{"type":"boolean","null_value":true},"small":{"type":"byte"},"mid":{"type":"short"},"n":{"type":"integer"},"big":{"type":"long","null_value":9},"f":{"type":"float"},"d":{"type":"double"},"raw":{"type":"binary"},"s":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}},"day":{"type":"date","null_value":172800000},"at":{"type":"date"},"price":{"type":"double"},"tags":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}},"m":{"properties":{"key":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}},"value":{"type":"long"}}},"inner":{"properties":{"x":{"type":"integer"}}}}}"#)
    }
}
