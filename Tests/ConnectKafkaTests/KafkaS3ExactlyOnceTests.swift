import ConnectKit
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
        func killDuringWrites() async throws {
            let dir = try ScratchDirectory()
            let topic = "lake-eos"
            let (broker, bootstrap) = try await startMockBroker(brokers: 1, topics: ["\(topic):2"])
            defer { broker.terminate() }
            let perPartition = 12_000
            let pad = String(repeating: "x", count: 200)
            // Records arrive over ~6 s, so the kills land while objects are being written.
            let producing = Task {
                try await offThread {
                    let p = try KafkaProducer(properties: ["bootstrap.servers": bootstrap, "linger.ms": "5"])
                    defer { p.close() }
                    for batch in 0..<60 {
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
                s3.bucket.name=b
                store.url=file://\(lake)
                format.class=io.confluent.connect.s3.format.json.JsonFormat
                flush.size=1000
                """)
            // Every file under the lake, relative, sorted.
            func objects() -> [String] {
                let e = FileManager.default.enumerator(atPath: lake)
                var out: [String] = []
                while let f = e?.nextObject() as? String {
                    var isDir: ObjCBool = false
                    if FileManager.default.fileExists(atPath: lake + "/" + f, isDirectory: &isDir), !isDir.boolValue { out.append(f) }
                }
                return out.sorted()
            }
            var killed = 0
            for round in 0..<2 {
                let p = try startConnect([worker, sink], log: dir.path("run\(round).log"))
                let before = objects().count
                // Killed once it wrote a few more objects, in the middle of its work.
                _ = await eventually(.seconds(60)) { objects().count >= before + 3 }
                kill(p.processIdentifier, SIGKILL)
                try await waitForExit(p)
                killed += 1
            }
            try await producing.value
            let last = try startConnect([worker, sink], log: dir.path("last.log"))
            let expectedKeys = (0..<2).flatMap { p in (0..<(perPartition / 1000)).map { String(format: "b/topics/\(topic)/partition=\(p)/\(topic)+\(p)+%010d.json", $0 * 1000) } }
            let complete = await eventually(.seconds(120)) { Set(objects()).isSuperset(of: expectedKeys) }
            last.terminate()
            try await waitForExit(last)
            #expect(killed == 2)
            #expect(complete, "objects: \(objects().count) of \(expectedKeys.count); \(dir.lines("last.log").suffix(5))")
            // Exactly the deterministic keys — no temporary file left, no other name — and every id once.
            #expect(objects().sorted() == expectedKeys.sorted())
            var ids: [Int] = []
            for key in objects() {
                let text = try String(contentsOfFile: lake + "/" + key, encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let v = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                    ids.append((v["id"] as! NSNumber).intValue)
                }
            }
            #expect(ids.count == 2 * perPartition, "\(ids.count - Set(ids).count) duplicates")
            #expect(Set(ids) == Set(0..<(2 * perPartition)))
        }
    }
}
