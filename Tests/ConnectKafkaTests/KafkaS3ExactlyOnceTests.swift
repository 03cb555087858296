import ConnectHTTP
import ConnectKit
import ConnectKitTesting
import ConnectS3
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import ConnectKafka

extension KafkaIntegrationTests {
    @Suite("S3 sink over Kafka: exactly once across kill -9", .serialized)
    struct KafkaS3ExactlyOnceTests {
        @Test("connect standalone consuming from Kafka into the S3 sink (local store), killed with SIGKILL twice while objects are written and restarted: every record is in the lake exactly once, at Confluent's deterministic keys, nothing left half written")
        func killDuringLocalWrites() async throws { try await killDuringWrites(store: "local") }

        // librdkafka's mock cluster keeps only ~5 MB of each partition's log (it drops its oldest
        // message sets beyond that): the records are produced lz4-compressed, so the log holds them
        // all while the objects the sink writes from them are over 5 MiB (multipart). (noida-db keeps
        // a SIGKILLed member in its group for good and may make it the leader, so a restarted process
        // never gets an assignment there.) The kills land while a part is held by the fault proxy.
        @Test("the same on moto_server with multipart uploads of 5 MiB parts, killed while objects are uploaded: every record exactly once at the expected keys")
        func killDuringMultipartUploads() async throws { try await killDuringWrites(store: "moto") }

        func killDuringWrites(store: String) async throws {
            let moto = ProcessInfo.processInfo.environment["CONNECTKIT_S3_URL"]
            if store == "moto" && moto == nil {
                try #require(ProcessInfo.processInfo.environment["CONNECTKIT_REQUIRE_SERVERS"] != "1", "make test starts moto_server")
                return
            }
            let dir = try ScratchDirectory()
            let topic = "lake-eos-\(store)"
            let (broker, bootstrap) = try await startMockBroker(brokers: 1, topics: ["\(topic):2"])
            defer { broker.terminate() }
            // On moto each object is over 5 MiB (multipart, 2 parts); locally smaller objects, more of them.
            let perPartition = 12_000
            let pad = String(repeating: "x", count: store == "moto" ? 900 : 200)
            let flushSize = store == "moto" ? 6000 : 1000
            let bucket = "eos-\(UUID().uuidString.prefix(8).lowercased())"
            // Only the moto variant reads the bucket (make test sets CONNECTKIT_S3_URL for every test).
            let client = (store == "moto" ? moto : nil).map { S3Client(.init(endpoint: $0, region: "us-east-1", pathStyle: true,
                                                   credentials: S3Credentials(accessKeyID: "k", secretAccessKey: Password("s"), source: "test"))) }
            defer { client?.shutdown() }
            try await client?.createBucket(bucket)
            // On moto the sink goes through the fault proxy, which holds an object's second part for
            // 30 s when told to: the kill lands while that multipart upload is open, every time.
            var proxy: LocalServerProcess? = nil
            var proxyURL = ""
            if let moto, store == "moto" {
                let script = KafkaServer.root.appendingPathComponent("scripts/test-servers/s3_fault_proxy.py").path
                proxy = try await LocalServerProcess("/usr/bin/env", ["python3", script, "--upstream", moto])
                proxyURL = "http://127.0.0.1:\(try #require(proxy?.port()))"
            }
            defer { proxy?.stop() }
            let control = HTTPClient()
            defer { control.shutdown() }
            func proxyLog() async throws -> [Substring] {
                String(decoding: try await control.send(HTTPRequest(.get, proxyURL + "/__log")).body, as: UTF8.self).split(separator: "\n")
            }
            func holdNextSecondPart(_ hold: Bool) async throws {
                let rules = hold ? #"[{"method":"PUT","contains":"partNumber=2","delay":30,"times":1}]"# : "[]"
                _ = try await control.send(HTTPRequest(.post, proxyURL + "/__faults", headers: [HTTPHeader("Content-Type", "application/json")], body: Array(rules.utf8)))
            }
            // Records arrive over ~6 s, so the kills land while objects are being written.
            let producing = Task {
                try await offThread {
                    let p = try KafkaProducer(properties: ["bootstrap.servers": bootstrap, "linger.ms": "5", "compression.type": "lz4"])
                    defer { p.close() }
                    for batch in 0..<(perPartition / 200) {
                        for k in 0..<200 {
                            let i = batch * 200 + k
                            for partition in 0..<2 {
                                let id = partition * perPartition + i
                                try p.send(topic: topic, partition: Int32(partition), key: Array("k\(id)".utf8),
                                           value: Array("{\"id\":\(id),\"pad\":\"\(pad)\"}".utf8)) { _ in }
                            }
                        }
                        Thread.sleep(forTimeInterval: 0.1)
                    }
                    try p.flush(timeout: .seconds(30))
                }
            }
            let lake = dir.path("lake")
            let worker = try dir.write("worker.properties", """
                bootstrap.servers=\(bootstrap)
                offset.storage.file.filename=\(dir.path("offsets"))
                offset.flush.interval.ms=200
                consumer.session.timeout.ms=6000
                consumer.heartbeat.interval.ms=500
                key.converter=org.apache.kafka.connect.storage.StringConverter
                value.converter=org.apache.kafka.connect.json.JsonConverter
                value.converter.schemas.enable=false
                """)
            let sink = try dir.write("sink.properties", """
                name=lake
                connector.class=io.confluent.connect.s3.S3SinkConnector
                topics=\(topic)
                s3.bucket.name=\(store == "moto" ? bucket : "b")
                store.url=\(store == "moto" ? proxyURL : "file://" + lake)
                s3.region=us-east-1
                aws.access.key.id=k
                aws.secret.access.key=s
                s3.part.size=5242880
                format.class=io.confluent.connect.s3.format.json.JsonFormat
                flush.size=\(flushSize)
                """)
            // Every object of the lake (relative to the store), sorted.
            func objects() async -> [String] {
                if let client { return ((try? await client.listObjects(bucket: bucket)) ?? []).sorted() }
                let e = FileManager.default.enumerator(atPath: lake)
                var out: [String] = []
                while let f = e?.nextObject() as? String {
                    var isDir: ObjCBool = false
                    if FileManager.default.fileExists(atPath: lake + "/" + f, isDirectory: &isDir), !isDir.boolValue { out.append(f) }
                }
                return out.sorted()
            }
            func contents(_ key: String) async throws -> String {
                if let client { return String(decoding: try await client.getObject(bucket: bucket, key: key), as: UTF8.self) }
                return try String(contentsOfFile: lake + "/" + key, encoding: .utf8)
            }
            var killed = 0
            for round in 0..<2 {
                let uploadsBefore = try await client?.incompleteUploads(bucket: bucket).count ?? 0
                let heldBefore = client == nil ? 0 : try await proxyLog().filter { $0.hasSuffix("(held)") }.count
                if client != nil { try await holdNextSecondPart(true) }
                let p = try startConnect([worker, sink], log: dir.path("run\(round).log"))
                let before = await objects().count
                // Killed in the middle of its work: on moto while an upload's second part is held,
                // locally once it wrote more objects.
                let progressed = await eventually(.seconds(60)) {
                    if client != nil { return ((try? await proxyLog().filter { $0.hasSuffix("(held)") }.count) ?? 0) > heldBefore }
                    return await objects().count >= before + 3
                }
                #expect(progressed, "round \(round) was not killed mid-upload: \(dir.lines("run\(round).log").suffix(5))")
                kill(p.processIdentifier, SIGKILL)
                try await waitForExit(p)
                killed += 1
                // The upload the kill interrupted stays incomplete (never an object).
                if let client { #expect(try await client.incompleteUploads(bucket: bucket).count == uploadsBefore + 1, "round \(round)") }
            }
            if client != nil { try await holdNextSecondPart(false) }
            try await producing.value
            let last = try startConnect([worker, sink], log: dir.path("last.log"))
            let prefix = store == "moto" ? "" : "b/"
            let expectedKeys = (0..<2).flatMap { p in
                (0..<(perPartition / flushSize)).map { String(format: "\(prefix)topics/\(topic)/partition=\(p)/\(topic)+\(p)+%010d.json", $0 * flushSize) }
            }
            let complete = await eventually(.seconds(120)) { Set(await objects()).isSuperset(of: expectedKeys) }
            last.terminate()
            try await waitForExit(last)
            #expect(killed == 2)
            let final = await objects()
            #expect(complete, "objects: \(final.count) of \(expectedKeys.count); \(dir.lines("last.log").suffix(5))")
            // Exactly the deterministic keys — no temporary file left, no other name — and every id once.
            #expect(final == expectedKeys.sorted(), "unexpected: \(Set(final).subtracting(expectedKeys).sorted().prefix(5)), missing: \(Set(expectedKeys).subtracting(final).sorted().prefix(5))")
            var ids: [Int] = []
            for key in final {
                let text = try await contents(key)
                for line in text.split(separator: "\n") {
                    let v = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                    ids.append((v["id"] as! NSNumber).intValue)
                }
            }
            let missing = Set(0..<(2 * perPartition)).subtracting(ids).sorted()
            #expect(ids.count == 2 * perPartition, "\(ids.count) ids, \(ids.count - Set(ids).count) duplicates")
            #expect(missing.isEmpty, "\(missing.count) ids missing, from \(missing.prefix(5))")
        }
    }
}
