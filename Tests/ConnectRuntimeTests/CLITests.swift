import Foundation
import Testing

/// Runs the built `connect` executable; returns its exit status and output.
func runConnect(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = connectBinary()
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite("connect CLI")
struct CLITests {
    @Test func pluginsListsConnectorsConvertersAndVersions() throws {
        let (status, out) = try runConnect(["plugins"])
        #expect(status == 0)
        #expect(out.contains("FileStreamSource\tsource\t"))
        #expect(out.contains("org.apache.kafka.connect.file.FileStreamSinkConnector"))
        #expect(out.contains("JsonConverter\tconverter\t"))
        #expect(out.contains("org.apache.kafka.connect.converters.IntegerConverter"))
        #expect(out.contains("SimpleHeaderConverter\theader_converter\t"))
    }

    @Test func validatePrintsEveryErrorAndFails() throws {
        let dir = try temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.json").path
        try #"{"name": "out", "config": {"connector.class": "FileStreamSink", "tasks.max": "0", "transforms": "t", "value.converter": "com.example.Nope"}}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let good = dir.appendingPathComponent("good.properties").path
        try "name=in\nconnector.class=FileStreamSource\nfile=/tmp/x\ntopic=t\n".write(toFile: good, atomically: true, encoding: .utf8)
        let (status, out) = try runConnect(["validate", good, bad])
        #expect(status == 1)
        #expect(out.contains("in is valid"))
        for key in ["tasks.max", "topics", "transforms.t.type", "value.converter"] { #expect(out.contains(key), "\(key) in \(out)") }
        let (helpStatus, help) = try runConnect(["standalone", "--help"])
        #expect(helpStatus == 0 && help.contains("worker-properties"))
    }
}
