import ConnectKit
import ConnectRuntime
import Foundation
import Synchronization
import Testing

@testable import ConnectKafka

@Suite("Offsets in a Kafka topic", .serialized)
struct KafkaOffsetStoreTests {
    func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    @Test("commits survive a new store; tombstones remove; a partition written by Java is rewritten under its own key bytes")
    func roundTripAndJavaKeys() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("connect-offsets", partitions: 25)
        let properties = ["bootstrap.servers": cluster.bootstrapServers]
        // A Java worker's record: the same partition with its entries in another order.
        let javaKey = Array(#"["jdbc",{"table":"orders","protocol":"1"}]"#.utf8)
        let javaPartition = JavaPartitioner.partition(forKey: javaKey, partitions: 25)
        try await onThread {
            let p = try KafkaProducer(properties: properties)
            try p.send(topic: "connect-offsets", partition: javaPartition, key: javaKey, value: Array(#"{"incrementing":41}"#.utf8)) { _ in }
            try p.flush(timeout: .seconds(10))
            p.close()
        }
        let first = try await onThread { try KafkaOffsetStore(properties: properties) }
        let orders: [String: Value] = ["protocol": .string("1"), "table": .string("orders")]
        #expect(try first.offset(connector: "jdbc", partition: orders) == ["incrementing": .int64(41)])
        try await onThread {
            try first.commit(connector: "jdbc", offsets: [orders: ["incrementing": .int64(42)], ["table": .string("customers"), "protocol": .string("1")]: ["incrementing": .int64(7)]])
            try first.commit(connector: "file", offsets: [["filename": .string("/tmp/a")]: ["position": .int64(99)]])
            try first.commit(connector: "file", offsets: [["filename": .string("/tmp/a")]: nil])
        }
        let second = try await onThread { try KafkaOffsetStore(properties: properties) }
        #expect(try second.offsets(connector: "jdbc") == [
            orders: ["incrementing": .int64(42)], ["table": .string("customers"), "protocol": .string("1")]: ["incrementing": .int64(7)],
        ])
        #expect(try second.offsets(connector: "file").isEmpty)
        // The newest record of the Java partition carries the Java key bytes, in the Java partition.
        let records = try await onThread { () throws -> [KafkaRecord] in
            let c = try KafkaConsumer(properties: properties, requireGroup: false)
            defer { c.close() }
            try c.assign([KafkaPartition(topic: "connect-offsets", partition: javaPartition): -2])
            var out: [KafkaRecord] = []
            let deadline = Date().addingTimeInterval(10)
            while out.count < 2 && Date() < deadline { out += try c.poll(max: 10, timeout: .milliseconds(200)).records }
            return out
        }
        #expect(records.filter { $0.key == javaKey }.map { $0.value.map { String(decoding: $0, as: UTF8.self) } } == [#"{"incrementing":41}"#, #"{"incrementing":42}"#])
    }

    @Test("a record that is not Kafka Connect's offset form is named by partition and offset")
    func foreignRecord() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("connect-offsets", partitions: 1)
        let properties = ["bootstrap.servers": cluster.bootstrapServers]
        try await onThread {
            let p = try KafkaProducer(properties: properties)
            try p.send(topic: "connect-offsets", partition: 0, key: Array(#"{"not":"an array"}"#.utf8), value: Array("{}".utf8)) { _ in }
            try p.flush(timeout: .seconds(10))
            p.close()
        }
        await #expect {
            _ = try await onThread { try KafkaOffsetStore(properties: properties) }
        } throws: { error in
            "\(error)".contains("connect-offsets-0 offset 0")
        }
    }
}
