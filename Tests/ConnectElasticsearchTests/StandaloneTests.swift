import ConnectKit
import ConnectKitTesting
import Foundation
import Testing

@Suite("The Elasticsearch sink under connect standalone")
struct ElasticsearchStandaloneTests {
    @Test("a document the cluster rejects goes to the dead letter queue with the server's reason (errors.tolerance=all, behavior.on.malformed.documents=warn); the rest is indexed")
    func malformedToDeadLetterQueue() async throws {
        let connect = repositoryRoot.appendingPathComponent(".build/debug/connect").path
        try #require(FileManager.default.isExecutableFile(atPath: connect), "build the connect executable first (swift build)")
        let (server, url) = try await startFaultServer()
        defer { server.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("connectkit-es-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let index = uniqueTopic("cli")
        try "{\"n\":1}\n{\"n\":\"not a number\"}\n{\"n\":3}\n".write(toFile: path("in.txt"), atomically: true, encoding: .utf8)
        try "offset.storage.file.filename=\(path("offsets"))\n".write(toFile: path("worker.properties"), atomically: true, encoding: .utf8)
        try """
        {"name": "in", "config": {"connector.class": "FileStreamSource", "file": "\(path("in.txt"))", "topic": "\(index)",
         "value.converter": "org.apache.kafka.connect.storage.StringConverter"}}
        """.write(toFile: path("source.json"), atomically: true, encoding: .utf8)
        try """
        {"name": "es", "config": {"connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
         "connection.url": "\(url)", "topics": "\(index)", "key.ignore": "true", "schema.ignore": "true",
         "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
         "behavior.on.malformed.documents": "warn",
         "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "es-dlq", "errors.deadletterqueue.context.headers.enable": "true"}}
        """.write(toFile: path("sink.json"), atomically: true, encoding: .utf8)

        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: connect)
        worker.arguments = ["standalone", path("worker.properties"), path("source.json"), path("sink.json"), "--log-level", "error"]
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = FileHandle.nullDevice
        try worker.run()
        defer { if worker.isRunning { worker.terminate() } }
        let es = SearchReader(url: url)
        #expect(try await eventually(.seconds(30)) { try await es.source(index, "\(index)+0+2") != nil })
        // The dead-letter record is written before the offset passes it: give the sink a flush.
        worker.interrupt()
        let stopped = await eventually(.seconds(30)) { !worker.isRunning }
        #expect(stopped)
        #expect(try await es.source(index, "\(index)+0+0")?["n"]?.int == 1)
        #expect(try await es.source(index, "\(index)+0+1") == nil)

        let (status, printed) = try await runProgram(connect, ["topics", "print", path("worker.properties"), "es-dlq"])
        #expect(status == 0, "\(printed)")
        #expect(printed.contains("not a number"), "\(printed)")
        #expect(printed.contains("__connect.errors.exception.message"), "\(printed)")
        #expect(printed.contains("document_parsing_exception") && printed.contains("failed to parse field [n] of type [long]"), "\(printed)")
        #expect(printed.contains("io.confluent.connect.elasticsearch.ElasticsearchSinkTask"), "\(printed)")  // __connect.errors.class.name
    }
}
