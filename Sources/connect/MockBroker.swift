import ArgumentParser
import ConnectKafka
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `connect mock-broker`: librdkafka's mock Kafka cluster on 127.0.0.1 for other processes and
/// clients (tests, `make run`, kcat), until SIGINT or SIGTERM.
struct MockBroker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-broker",
        abstract: "Run librdkafka's mock Kafka cluster on 127.0.0.1 and print its bootstrap servers (for tests and demos).")

    @Option(help: "Number of brokers.") var brokers: Int32 = 3
    @Option(help: "Topics to create first, as name:partitions (repeatable).") var topic: [String] = []

    func run() throws {
        let cluster = try KafkaMockCluster(brokers: brokers)
        for t in topic {
            let parts = t.split(separator: ":")
            guard parts.count == 2, let n = Int32(parts[1]), n > 0 else { throw ValidationError("--topic takes name:partitions, got '\(t)'") }
            try cluster.createTopic(String(parts[0]), partitions: n)
        }
        FileHandle.standardOutput.write(Data((cluster.bootstrapServers + "\n").utf8))
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        var signal: Int32 = 0
        sigwait(&set, &signal)
        withExtendedLifetime(cluster) {}
    }
}
