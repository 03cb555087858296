import ConnectKitTesting
import Foundation
import Testing

@Suite("connect mock-broker")
struct MockBrokerTests {
    @Test("--brokers 3 --port N: clients we did not write (kcat) bootstrap at 127.0.0.1:N, produce and consume")
    func fixedPort() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: KafkaServer.connect.path), "build connect first")
        let port = freeLocalPort()
        let (broker, bootstrap) = try await startMockBroker(brokers: 3, topics: ["fixed:3"], port: port)
        defer { broker.terminate() }
        #expect(bootstrap == "127.0.0.1:\(port)")
        let metadata = try await run("/usr/bin/kcat", ["-b", bootstrap, "-L"])
        #expect(metadata.output.contains("3 brokers:") && metadata.output.contains("topic \"fixed\" with 3 partitions"), "\(metadata.output)")
        let produced = try await run("/usr/bin/kcat", ["-b", bootstrap, "-P", "-t", "fixed", "-K", ":"], input: "a:1\nb:2\nc:3\n")
        #expect(produced.status == 0, "\(produced.errors)")
        let consumed = try await run("/usr/bin/kcat", ["-b", bootstrap, "-C", "-t", "fixed", "-e", "-q", "-f", "%k=%s\\n"])
        #expect(Set(consumed.output.split(separator: "\n")) == ["a=1", "b=2", "c=3"], "\(consumed.output)")

        // The port is taken now: a second cluster says so and exits.
        let second = try await run(KafkaServer.connect.path, ["mock-broker", "--brokers", "1", "--port", "\(port)"])
        #expect(second.status != 0)
        #expect(second.errors.contains("cannot listen on 127.0.0.1:\(port)"), "\(second.errors)")
    }
}
