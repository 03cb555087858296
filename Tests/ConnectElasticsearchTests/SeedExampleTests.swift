import ConnectKitTesting
import Foundation
import Testing

@Suite("The seed's example: SQL table → JdbcSourceConnector → Kafka → ElasticsearchSinkConnector")
struct SeedExampleTests {
    @Test("Examples/db-kafka-elasticsearch/run.sh copies the rows, and rows inserted while it runs, into Elasticsearch")
    func dbKafkaElasticsearch() async throws {
        let connect = repositoryRoot.appendingPathComponent(".build/debug/connect").path
        try #require(FileManager.default.isExecutableFile(atPath: connect), "build the connect executable first (swift build)")
        let script = repositoryRoot.appendingPathComponent("Examples/db-kafka-elasticsearch/run.sh").path
        // As the README runs it: its own Kafka (mock cluster) and its own osmem-server.
        var env = ["CONNECT": connect]
        env["ELASTICSEARCH_URL"] = ""
        let (status, output) = try await runProgram("/bin/bash", ["-c", "unset ELASTICSEARCH_URL; exec \"$0\"", script], environment: env)
        #expect(status == 0, "\(output)")
        let documents = output.split(separator: "\n").filter { $0.hasPrefix("shop-orders+0+") }
        #expect(documents.count == 5, "\(output)")
        #expect(documents.contains { $0.contains("\"customer\": \"ada\"") && $0.contains("\"amount\": 12.5") })
        #expect(documents.contains { $0.contains("\"customer\": \"dennis\"") && $0.contains("\"id\": 5") })
    }
}
