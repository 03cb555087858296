import ConnectKit
import ConnectRuntime
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import ConnectKafka

extension KafkaIntegrationTests {
    /// `connect standalone` processes on noida-db: killed with SIGKILL, scaled out, and sharing
    /// offsets with Kafka Connect's own Java classes.
    @Suite("connect processes on a Kafka server", .serialized, .enabled(if: KafkaServer.available))
    struct KafkaProcessTests {
        static func highWatermark(_ topic: String) async throws -> Int64 {
            let bootstrap = try KafkaServer.address()
            return try await offThread {
                let c = try KafkaConsumer(properties: ["bootstrap.servers": bootstrap], requireGroup: false)
                defer { c.close() }
                return (try? c.watermarks(KafkaPartition(topic: topic, partition: 0)).high) ?? 0
            }
        }

        /// Runs scripts/interop/KafkaOffsetsInterop.java (Kafka Connect's KafkaOffsetBackingStore) and
        /// returns its last line of output.
        static func java(_ arguments: [String]) async throws -> String {
            let cp = try #require(ProcessInfo.processInfo.environment["CONNECTKIT_KAFKA_JAVA_CP"], "run through make test (it compiles scripts/interop)")
            let r = try await run("/usr/bin/env", ["java", "-cp", cp, "KafkaOffsetsInterop"] + arguments)
            #expect(r.status == 0, "java KafkaOffsetsInterop \(arguments): \(r.errors.suffix(2000))")
            return r.output.split(separator: "\n").last.map(String.init) ?? ""
        }

        @Test("kill -9 while a source produces to Kafka with offsets in offset.storage.topic loses no line; Java's KafkaOffsetBackingStore reads our offsets and we resume from Java's")
        func killWithOffsetsInKafka() async throws {
            let dir = try ScratchDirectory()
            let bootstrap = try KafkaServer.address()
            let topic = KafkaServer.topic("kill9")
            let offsetsTopic = KafkaServer.topic("offsets")
            let lines = (0..<100_000).map { String(format: "line-%06d", $0) }
            let input = try dir.write("input.txt", lines.joined(separator: "\n") + "\n")
            let size = try FileManager.default.attributesOfItem(atPath: input)[.size] as! Int
            let worker = try dir.write("worker.properties", """
                bootstrap.servers=\(bootstrap)
                offset.storage.topic=\(offsetsTopic)
                offset.storage.replication.factor=1
                offset.storage.partitions=5
                offset.flush.interval.ms=200
                key.converter=org.apache.kafka.connect.storage.StringConverter
                value.converter=org.apache.kafka.connect.storage.StringConverter
                """)
            let source = try dir.write("source.properties", "name=src\nconnector.class=FileStreamSource\nfile=\(input)\ntopic=\(topic)\nbatch.size=500\n")
            let first = try startConnect([worker, source], log: dir.path("first.log"))
            #expect(await eventually { (try? await Self.highWatermark(topic)) ?? 0 >= 20_000 })
            kill(first.processIdentifier, SIGKILL)
            try await waitForExit(first)
            let producedBeforeKill = try await Self.highWatermark(topic)
            let second = try startConnect([worker, source], log: dir.path("second.log"))
            let key = "[\"src\",{\"filename\":\"\(input)\"}]"
            let committedAll = await eventually(.seconds(90)) {
                let records = (try? await kcat(["-C", "-t", offsetsTopic, "-e", "-q", "-f", "%k\t%s\n"]))?.split(separator: "\n") ?? []
                return records.last(where: { $0.hasPrefix(key + "\t") }) == "\(key)\t{\"position\":\(size)}"
            }
            #expect(committedAll, "the offsets topic never reached position \(size)")
            second.terminate()
            try await waitForExit(second)
            let read = try await kcat(["-C", "-t", topic, "-e", "-q", "-f", "%s\n"]).split(separator: "\n").map(String.init)
            let missing = Set(lines).subtracting(read)
            #expect(missing.isEmpty, "\(missing.count) lines lost (killed after \(producedBeforeKill) records), e.g. \(missing.sorted().prefix(3))")
            #expect(read.count >= lines.count)

            // A Java worker's KafkaOffsetBackingStore reads what ours committed…
            #expect(try await Self.java(["read", bootstrap, offsetsTopic, "src", "{\"filename\":\"\(input)\"}"]) == "{\"position\":\(size)}")
            // …and ours resumes from what a Java worker committed.
            let other = try dir.write("other.txt", (0..<50).map { "other-\($0)" }.joined(separator: "\n") + "\n")
            let skip = (0..<10).map { "other-\($0)\n".utf8.count }.reduce(0, +)
            #expect(try await Self.java(["write", bootstrap, offsetsTopic, "resume", "{\"filename\":\"\(other)\"}", "{\"position\":\(skip)}"]) == "written")
            let otherTopic = KafkaServer.topic("resumed")
            let resume = try dir.write("resume.properties", "name=resume\nconnector.class=FileStreamSource\nfile=\(other)\ntopic=\(otherTopic)\n")
            let third = try startConnect([worker, resume], log: dir.path("third.log"))
            #expect(await eventually { (try? await Self.highWatermark(otherTopic)) ?? 0 >= 40 })
            try await Task.sleep(for: .milliseconds(500))
            third.terminate()
            try await waitForExit(third)
            let resumed = try await kcat(["-C", "-t", otherTopic, "-e", "-q", "-f", "%s\n"]).split(separator: "\n").map(String.init)
            #expect(resumed == (10..<50).map { "other-\($0)" })
        }
    }
}

extension KafkaIntegrationTests {
    /// Scale-out needs a cluster that evicts a killed member after its session timeout: librdkafka's
    /// mock cluster does (noida-db keeps a dead member's partitions assigned).
    @Suite("Scale-out on a Kafka cluster", .serialized)
    struct KafkaScaleOutTests {
        @Test("scale-out: two processes share a sink connector's partitions in one group; after one is killed with SIGKILL the other takes them over and every record is written")
        func scaleOut() async throws {
            let dir = try ScratchDirectory()
            let topic = "scale"
            let (broker, bootstrap) = try await startMockBroker(brokers: 3, topics: ["\(topic):6"])
            defer { broker.terminate() }
            let total = 8000
            let expected = (0..<total).map { String(format: "rec-%06d-end", $0) }
            // Records arrive over ~12 s while the group changes.
            let producing = Task {
                try await offThread {
                    let p = try KafkaProducer(properties: ["bootstrap.servers": bootstrap, "linger.ms": "5"])
                    defer { p.close() }
                    for batch in 0..<80 {
                        for i in (batch * 100)..<((batch + 1) * 100) {
                            let key = Array("k\(i)".utf8)
                            try p.send(topic: topic, partition: JavaPartitioner.partition(forKey: key, partitions: 6), key: key, value: Array(expected[i].utf8)) { _ in }
                        }
                        Thread.sleep(forTimeInterval: 0.15)
                    }
                    try p.flush(timeout: .seconds(30))
                }
            }
            func start(_ name: String) throws -> Process {
                let worker = try dir.write("\(name).properties", """
                    bootstrap.servers=\(bootstrap)
                    offset.storage.file.filename=\(dir.path("\(name).offsets"))
                    offset.flush.interval.ms=300
                    consumer.session.timeout.ms=6000
                    consumer.heartbeat.interval.ms=500
                    key.converter=org.apache.kafka.connect.storage.StringConverter
                    value.converter=org.apache.kafka.connect.storage.StringConverter
                    """)
                let sink = try dir.write("\(name)-sink.properties", "name=scale\nconnector.class=FileStreamSink\nfile=\(dir.path("\(name).out"))\ntopics=\(topic)\n")
                return try startConnect([worker, sink], log: dir.path("\(name).log"))
            }
            let a = try start("a")
            #expect(await eventually { !dir.lines("a.out").isEmpty }, "a wrote nothing: \(dir.lines("a.log").suffix(5))")
            let b = try start("b")
            #expect(await eventually { !dir.lines("b.out").isEmpty }, "b never got a partition: \(dir.lines("b.log").suffix(5))")
            let aBeforeKill = dir.lines("a.out").count
            kill(a.processIdentifier, SIGKILL)
            try await waitForExit(a)
            try await producing.value
            let expectedSet = Set(expected)
            let complete = await eventually(.seconds(90)) { expectedSet.isSubset(of: Set(dir.lines("a.out") + dir.lines("b.out"))) }
            b.terminate()
            try await waitForExit(b)
            let aLines = dir.lines("a.out").filter(expectedSet.contains)
            let bLines = dir.lines("b.out").filter(expectedSet.contains)
            #expect(complete, "missing: \(expectedSet.subtracting(aLines + bLines).count) records")
            #expect(aBeforeKill > 0 && Set(aLines).count < total, "a wrote \(aLines.count) records before it was killed")
            #expect(!bLines.isEmpty)
            // Duplicates come only from batches whose offsets were not committed (commits refused while
            // the group rebalanced, a's last batches before the kill): never more than a wrote.
            let duplicates = aLines.count + bLines.count - Set(aLines + bLines).count
            #expect(duplicates <= aLines.count, "\(duplicates) duplicates; a wrote \(aLines.count), b \(bLines.count)")
        }
    }
}
