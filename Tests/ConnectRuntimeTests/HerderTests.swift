import ConnectKit
import Synchronization
import Testing

@testable import ConnectRuntime

/// An offset store that says on which thread it was called.
final class ThreadNamingStore: OffsetStore {
    let inner = MemoryOffsetStore()
    let threads = Mutex<[String]>([])
    func offsets(connector: String) throws -> SourceOffsets {
        threads.withLock { $0.append(ThreadExecutor.currentName ?? "the caller's thread") }
        return try inner.offsets(connector: connector)
    }
    func commit(connector: String, offsets: [[String: Value]: [String: Value]?]) throws {
        threads.withLock { $0.append(ThreadExecutor.currentName ?? "the caller's thread") }
        try inner.commit(connector: connector, offsets: offsets)
    }
}

@Suite("The herder: the async control API")
struct HerderTests {
    func worker(_ store: (any OffsetStore)? = nil) throws -> Worker {
        try Worker(config: try WorkerConfig(["offset.flush.interval.ms": "20"]), registry: statusRegistry(), offsetStore: store, logger: quiet)
    }

    @Test func createsReplacesAndDeletesConnectors() async throws {
        let w = try worker()
        let run = Task { try await w.run() }
        let herder = w.herder
        let created = try await herder.putConnectorConfig("count", ["connector.class": "Counting", "hub.id": "h-src"], allowReplace: false)
        #expect(created.created)
        #expect(created.info.config == ["connector.class": "Counting", "hub.id": "h-src", "name": "count"] && created.info.type == "source")
        try await eventually("the task") { w.status("count")?.tasks.count == 1 }
        #expect(try await herder.connectorInfo("count").tasks == [ConnectorTaskID(connector: "count", task: 0)])
        #expect(try await herder.taskConfigs("count").map(\.id) == [ConnectorTaskID(connector: "count", task: 0)])
        #expect(await herder.connectors() == ["count"])

        // Kafka's refusals, with its messages and statuses.
        let exists = await #expect(throws: HerderError.self) {
            try await herder.putConnectorConfig("count", ["connector.class": "Counting", "hub.id": "h-src"], allowReplace: false)
        }
        #expect(exists?.kind == .alreadyExists && exists?.message == "Connector count already exists" && exists?.httpStatus == 409)
        let mismatch = await #expect(throws: HerderError.self) {
            try await herder.putConnectorConfig("count", ["name": "other", "connector.class": "Counting"], allowReplace: true)
        }
        #expect(mismatch?.message == "Connector name configuration (other) doesn't match connector name in the URL (count)")
        let invalid = await #expect(throws: HerderError.self) {
            try await herder.putConnectorConfig("bad", ["connector.class": "Counting", "hub.id": "x", "tasks.max": "0"], allowReplace: false)
        }
        #expect(invalid?.kind == .badRequest && invalid?.httpStatus == 400)
        #expect(invalid?.message.hasPrefix("Connector configuration is invalid and contains the following 1 error(s):\nInvalid value 0 for configuration tasks.max: Value must be at least 1") == true)
        #expect(invalid?.problems.map(\.key) == ["tasks.max"])

        // Replacing keeps the target state (Kafka): a paused connector stays paused.
        try await herder.pauseConnector("count")
        let replaced = try await herder.putConnectorConfig("count", ["connector.class": "Counting", "hub.id": "h-src2"], allowReplace: true)
        #expect(!replaced.created && replaced.info.config["hub.id"] == "h-src2")
        #expect(try await herder.connectorStatus("count").state == .paused)

        try await herder.deleteConnector("count")
        #expect(await herder.connectors().isEmpty)
        let gone = await #expect(throws: HerderError.self) { try await herder.connectorStatus("count") }
        #expect(gone?.message == "No status found for connector count" && gone?.httpStatus == 404)
        await #expect(throws: HerderError.unknownConnector("count")) { try await herder.deleteConnector("count") }
        w.stop()
        try await run.value
    }

    @Test func aConnectorCreatedStoppedStaysStoppedUntilResumed() async throws {
        let w = try worker()
        let run = Task { try await w.run() }
        _ = try await w.herder.putConnectorConfig("count", ["connector.class": "Counting", "hub.id": "h-stopped"], allowReplace: false, initialState: .stopped)
        // (Right after the call the status may still be settling on a loaded machine: wait for it.)
        let settle = ContinuousClock.now + .seconds(10)
        while (try? await w.herder.connectorStatus("count"))?.state != .stopped, ContinuousClock.now < settle { try await Task.sleep(for: .milliseconds(10)) }
        let status = try await w.herder.connectorStatus("count")
        #expect(status.state == .stopped && status.tasks.isEmpty)
        #expect(Hub.shared.get("h-stopped").polled == 0)
        try await w.herder.resumeConnector("count")
        try await eventually("the resumed connector to poll") { Hub.shared.get("h-stopped").polled > 0 }
        w.stop()
        try await run.value
    }

    @Test func validationListsEveryKeyWithItsErrors() async throws {
        let w = try worker()
        let infos = await w.herder.validateConnectorConfig(["connector.class": "Recording", "tasks.max": "0", "transforms": "x"])
        #expect(infos.name == "com.example.RecordingSinkConnector")
        #expect(infos.errorCount > 0)
        let byName = Dictionary(infos.configs.map { ($0.value.name, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["tasks.max"]?.value.errors == ["Invalid value 0 for configuration tasks.max: Value must be at least 1"])
        #expect(byName["tasks.max"]?.definition?.type == .int)
        #expect(byName["hub.id"] != nil, "the connector's own keys are listed")
        #expect(byName["transforms.x.type"]?.value.errors.isEmpty == false, "problems outside the definitions are listed too")
        #expect(byName["topics"]?.value.errors == ["Must configure one of topics or topics.regex"])
    }

    @Test func offsetStoreCallsRunOffTheCallersThread() async throws {
        let store = ThreadNamingStore()
        let w = try worker(store)
        try w.add(["name": "count", "connector.class": "Counting", "hub.id": "h-threads", "count": "10"])
        _ = try await w.herder.connectorOffsets("count")
        #expect(store.threads.withLock { $0 } == ["offsets-count"])
    }
}
