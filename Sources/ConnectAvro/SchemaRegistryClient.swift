import Synchronization

/// One version of a subject, as Schema Registry answers `GET /subjects/{subject}/versions/{version}`
/// and `POST /subjects/{subject}` (lookup).
public struct RegisteredSchema: Sendable, Hashable {
    /// The subject, e.g. `orders-value`.
    public var subject: String
    /// The globally unique schema id (what Confluent's wire format carries).
    public var id: Int32
    /// The version within the subject (1, 2, …).
    public var version: Int32
    /// The schema text.
    public var schema: String

    /// A registered schema.
    public init(subject: String, id: Int32, version: Int32, schema: String) {
        self.subject = subject
        self.id = id
        self.version = version
        self.schema = schema
    }
}

/// A failure of a Schema Registry call: Confluent's `RestClientException` (`errorCode` such as
/// 40401 subject not found, 40402 version not found, 40403 schema not found, 409 incompatible,
/// 42201 invalid schema, with the registry's message), or an I/O failure (`errorCode == nil`),
/// which is retriable.
public struct SchemaRegistryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The registry's `error_code` (`nil` for I/O failures).
    public var errorCode: Int?
    /// The HTTP status (`nil` for I/O failures).
    public var status: Int?
    /// The registry's message or the I/O error.
    public var message: String
    /// Whether the call timed out or the registry answered 408, 503 or 504 (Confluent turns those
    /// into a retriable error).
    public var isTimeout: Bool
    /// Whether the calling task was cancelled (nothing failed: the work was abandoned).
    public var isCancelled: Bool

    /// An error.
    public init(errorCode: Int?, status: Int?, message: String, isTimeout: Bool = false, isCancelled: Bool = false) {
        self.errorCode = errorCode
        self.status = status
        self.message = message
        self.isTimeout = isTimeout
        self.isCancelled = isCancelled
    }

    /// I/O failures (no answer) may succeed when tried again.
    public var isRetriable: Bool { errorCode == nil || status.map { $0 >= 500 } == true }

    /// `<message>; error code: <code>` as Confluent's client prints it, or the I/O error.
    public var description: String {
        if let errorCode { return "\(message); error code: \(errorCode)" }
        return message
    }

    static func subjectNotFound(_ s: String) -> SchemaRegistryError {
        SchemaRegistryError(errorCode: 40401, status: 404, message: "Subject '\(s)' not found.")
    }
    static func versionNotFound(_ v: Int32) -> SchemaRegistryError {
        SchemaRegistryError(errorCode: 40402, status: 404, message: "Version \(v) not found.")
    }
    static func schemaNotFound(_ id: Int32? = nil) -> SchemaRegistryError {
        SchemaRegistryError(errorCode: 40403, status: 404, message: id.map { "Schema \($0) not found" } ?? "Schema not found")
    }
}

/// The calls a converter makes to a Schema Registry (Confluent's `SchemaRegistryClient`). Every
/// call may wait on the network; implementations never block the caller's thread.
public protocol SchemaRegistryClient: Sendable {
    /// Registers `schema` (Avro JSON) under `subject` (`POST /subjects/{subject}/versions`) and
    /// returns its id; a schema already registered keeps its id.
    func register(subject: String, schema: String) async throws(SchemaRegistryError) -> Int32
    /// The id and version `schema` has under `subject` (`POST /subjects/{subject}`); 40401/40403 when
    /// it is not registered there.
    func lookup(subject: String, schema: String) async throws(SchemaRegistryError) -> RegisteredSchema
    /// The schema with this id (`GET /schemas/ids/{id}`); 40403 when there is none.
    func schema(id: Int32) async throws(SchemaRegistryError) -> String
    /// The latest version of `subject` (`GET /subjects/{subject}/versions/latest`).
    func latestVersion(subject: String) async throws(SchemaRegistryError) -> RegisteredSchema
    /// One version of `subject` (`GET /subjects/{subject}/versions/{version}`).
    func version(subject: String, version: Int32) async throws(SchemaRegistryError) -> RegisteredSchema
    /// Every subject (`GET /subjects`).
    func subjects() async throws(SchemaRegistryError) -> [String]
    /// The versions of `subject` (`GET /subjects/{subject}/versions`).
    func versions(subject: String) async throws(SchemaRegistryError) -> [Int32]
    /// Deletes `subject` (`DELETE /subjects/{subject}`) and returns the versions it had.
    func deleteSubject(_ subject: String) async throws(SchemaRegistryError) -> [Int32]
    /// Whether `schema` is compatible with the latest version of `subject` under its compatibility
    /// level (`POST /compatibility/subjects/{subject}/versions/latest`).
    func testCompatibility(subject: String, schema: String) async throws(SchemaRegistryError) -> Bool
    /// The compatibility level of `subject`, or the global one for `nil` (`GET /config[/{subject}]`).
    func compatibility(subject: String?) async throws(SchemaRegistryError) -> String
    /// Sets the compatibility level (`PUT /config[/{subject}]`): `BACKWARD`, `FORWARD`, `FULL`,
    /// `NONE` or their `_TRANSITIVE` forms.
    func setCompatibility(_ level: String, subject: String?) async throws(SchemaRegistryError)
}

/// An in-memory Schema Registry, like Confluent's `MockSchemaRegistryClient`: ids from 1 in
/// registration order across all subjects (one schema text, one id), versions from 1 per subject,
/// no compatibility checks. For tests and embedded pipelines without a registry; share one
/// instance between the converters that must see the same schemas.
public final class MockSchemaRegistryClient: SchemaRegistryClient {
    struct State {
        var ids: [String: Int32] = [:]
        var schemas: [Int32: String] = [:]
        var subjects: [String: [(version: Int32, id: Int32)]] = [:]
        var compatibility: [String: String] = [:]
        var global = "BACKWARD"
    }
    private let state = Mutex(State())

    /// An empty registry.
    public init() {}

    public func register(subject: String, schema: String) async throws(SchemaRegistryError) -> Int32 {
        state.withLock { s in
            let id: Int32
            if let known = s.ids[schema] {
                id = known
            } else {
                id = Int32(s.schemas.count + 1)
                s.ids[schema] = id
                s.schemas[id] = schema
            }
            var versions = s.subjects[subject] ?? []
            if !versions.contains(where: { $0.id == id }) {
                versions.append((Int32((versions.last?.version ?? 0) + 1), id))
                s.subjects[subject] = versions
            }
            return id
        }
    }

    public func lookup(subject: String, schema: String) async throws(SchemaRegistryError) -> RegisteredSchema {
        try state.withLock { s throws(SchemaRegistryError) in
            guard let versions = s.subjects[subject] else { throw .subjectNotFound(subject) }
            guard let id = s.ids[schema], let v = versions.first(where: { $0.id == id }) else { throw .schemaNotFound() }
            return RegisteredSchema(subject: subject, id: id, version: v.version, schema: schema)
        }
    }

    public func schema(id: Int32) async throws(SchemaRegistryError) -> String {
        try state.withLock { s throws(SchemaRegistryError) in
            guard let text = s.schemas[id] else { throw .schemaNotFound(id) }
            return text
        }
    }

    public func latestVersion(subject: String) async throws(SchemaRegistryError) -> RegisteredSchema {
        try state.withLock { s throws(SchemaRegistryError) in
            guard let last = s.subjects[subject]?.last else { throw .subjectNotFound(subject) }
            return RegisteredSchema(subject: subject, id: last.id, version: last.version, schema: s.schemas[last.id] ?? "")
        }
    }

    public func version(subject: String, version: Int32) async throws(SchemaRegistryError) -> RegisteredSchema {
        try state.withLock { s throws(SchemaRegistryError) in
            guard let versions = s.subjects[subject] else { throw .subjectNotFound(subject) }
            guard let v = versions.first(where: { $0.version == version }) else { throw .versionNotFound(version) }
            return RegisteredSchema(subject: subject, id: v.id, version: v.version, schema: s.schemas[v.id] ?? "")
        }
    }

    public func subjects() async throws(SchemaRegistryError) -> [String] {
        state.withLock { $0.subjects.keys.sorted() }
    }

    public func versions(subject: String) async throws(SchemaRegistryError) -> [Int32] {
        try state.withLock { s throws(SchemaRegistryError) in
            guard let versions = s.subjects[subject] else { throw .subjectNotFound(subject) }
            return versions.map(\.version)
        }
    }

    public func deleteSubject(_ subject: String) async throws(SchemaRegistryError) -> [Int32] {
        try state.withLock { s throws(SchemaRegistryError) in
            guard let versions = s.subjects.removeValue(forKey: subject) else { throw .subjectNotFound(subject) }
            return versions.map(\.version)
        }
    }

    public func testCompatibility(subject: String, schema: String) async throws(SchemaRegistryError) -> Bool { true }

    public func compatibility(subject: String?) async throws(SchemaRegistryError) -> String {
        state.withLock { s in subject.flatMap { s.compatibility[$0] } ?? s.global }
    }

    public func setCompatibility(_ level: String, subject: String?) async throws(SchemaRegistryError) {
        state.withLock { s in
            if let subject { s.compatibility[subject] = level } else { s.global = level }
        }
    }
}
