import ArgumentParser
import ConnectKafka
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `connect mock-broker`: librdkafka's mock Kafka cluster on 127.0.0.1 for other processes and
/// clients (tests, `make run`, kcat), until SIGINT or SIGTERM. With `--port N` clients bootstrap at
/// 127.0.0.1:N (librdkafka 2.0.2's mock brokers cannot bind a chosen port: a forwarder listens there).
struct MockBroker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-broker",
        abstract: "Run librdkafka's mock Kafka cluster on 127.0.0.1 and print its bootstrap servers (for tests and demos).")

    @Option(help: "Number of brokers.") var brokers: Int32 = 3
    @Option(help: "Topics to create first, as name:partitions (repeatable).") var topic: [String] = []
    @Option(help: "A fixed bootstrap port on 127.0.0.1 (forwarded to the first broker; the brokers themselves listen on ports the kernel picks).")
    var port: UInt16?

    func run() throws {
        let cluster = try KafkaMockCluster(brokers: brokers)
        for t in topic {
            let parts = t.split(separator: ":")
            guard parts.count == 2, let n = Int32(parts[1]), n > 0 else { throw ValidationError("--topic takes name:partitions, got '\(t)'") }
            try cluster.createTopic(String(parts[0]), partitions: n)
        }
        var bootstrap = cluster.bootstrapServers
        if let port {
            let first = String(cluster.bootstrapServers.split(separator: ",")[0])
            let forwarder = try BootstrapForwarder(port: port, target: first)
            forwarder.start()
            bootstrap = "127.0.0.1:\(port)"
        }
        FileHandle.standardOutput.write(Data((bootstrap + "\n").utf8))
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
