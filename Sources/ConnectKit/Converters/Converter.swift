/// Turns Connect data into bytes and back (`org.apache.kafka.connect.storage.Converter`).
///
/// A converter is created from its configuration (the `key.converter.*` / `value.converter.*`
/// keys with the prefix removed) and then used by one task; implementations in ConnectKit are also
/// safe to share between threads (their caches are locked).
public protocol Converter: Sendable {
    /// Creates a configured converter. `isKey` tells whether it converts keys or values.
    init(configuration: [String: String], isKey: Bool) throws(ConfigError)

    /// The keys this converter accepts.
    static var configDef: ConfigDef { get }

    /// Serializes a value; `nil` means a null payload (e.g. a tombstone).
    func fromConnectData(topic: String, headers: Headers?, schema: Schema?, value: Value) throws(DataError) -> [UInt8]?

    /// Deserializes a payload (`nil` for a null payload).
    func toConnectData(topic: String, headers: Headers?, value: [UInt8]?) throws(DataError) -> SchemaAndValue

    /// Serializes a value where the conversion may have to wait for I/O first — a converter backed
    /// by a schema registry (``fromConnectData(topic:headers:schema:value:)`` then only uses what it
    /// has cached). The runtime calls this form. Default: the synchronous form.
    nonisolated(nonsending) func serialize(topic: String, headers: Headers?, schema: Schema?, value: Value) async throws(DataError) -> [UInt8]?

    /// Deserializes a payload where the conversion may have to wait for I/O first (a registry
    /// lookup of a schema id). The runtime calls this form. Default: the synchronous form.
    nonisolated(nonsending) func deserialize(topic: String, headers: Headers?, value: [UInt8]?) async throws(DataError) -> SchemaAndValue

    /// Whether ``serialize(topic:headers:schema:value:)`` and ``deserialize(topic:headers:value:)``
    /// only run the synchronous forms (they never wait). When `true` the runtime calls
    /// ``fromConnectData(topic:headers:schema:value:)`` / ``toConnectData(topic:headers:value:)``
    /// directly, saving an executor check after each record's await. Default `false` (the runtime
    /// calls the asynchronous forms); ConnectKit's JSON, String, ByteArray and number converters say `true`.
    var convertsSynchronously: Bool { get }
}

extension Converter {
    public var convertsSynchronously: Bool { false }

    nonisolated(nonsending) public func serialize(topic: String, headers: Headers?, schema: Schema?, value: Value) async throws(DataError) -> [UInt8]? {
        try fromConnectData(topic: topic, headers: headers, schema: schema, value: value)
    }

    nonisolated(nonsending) public func deserialize(topic: String, headers: Headers?, value: [UInt8]?) async throws(DataError) -> SchemaAndValue {
        try toConnectData(topic: topic, headers: headers, value: value)
    }

    /// Serializes a value without headers; `nil` means a null payload. Throws a ``DataError`` when the
    /// value does not fit the converter or the schema.
    public func fromConnectData(topic: String, schema: Schema?, value: Value) throws(DataError) -> [UInt8]? {
        try fromConnectData(topic: topic, headers: nil, schema: schema, value: value)
    }

    /// Deserializes a payload without headers (`nil` for a null payload). Throws a ``DataError`` when
    /// the bytes cannot be read.
    public func toConnectData(topic: String, value: [UInt8]?) throws(DataError) -> SchemaAndValue {
        try toConnectData(topic: topic, headers: nil, value: value)
    }
}

/// Turns header values into bytes and back (`org.apache.kafka.connect.storage.HeaderConverter`).
public protocol HeaderConverter: Sendable {
    /// Creates a configured header converter (the `header.converter.*` keys with the prefix removed);
    /// throws a ``ConfigError`` listing every bad key.
    init(configuration: [String: String]) throws(ConfigError)
    /// The keys this header converter accepts.
    static var configDef: ConfigDef { get }
    /// Serializes the value of the header `headerKey`; `nil` means a null header value.
    func fromConnectHeader(topic: String, headerKey: String, schema: Schema?, value: Value) throws(DataError) -> [UInt8]?
    /// Deserializes the value of the header `headerKey` (`nil` for a null header value).
    func toConnectHeader(topic: String, headerKey: String, value: [UInt8]?) throws(DataError) -> SchemaAndValue
}

/// A single message transformation (`org.apache.kafka.connect.transforms.Transformation`).
///
/// `apply` works on source and sink records alike. Return `nil` to drop the record. A transformation
/// is configured once and then called from one task at a time; cache derived schemas per input schema
/// (not per record).
public protocol Transformation: Sendable {
    /// Creates a configured transformation (the `transforms.<alias>.*` keys with the prefix removed);
    /// throws a ``ConfigError`` listing every bad key.
    init(configuration: [String: String]) throws(ConfigError)
    /// The keys this transformation accepts (Kafka's `Transformation.config()`).
    static var configDef: ConfigDef { get }
    /// Takes the record by value (`consuming`): a transformation that returns a modified copy then
    /// modifies it in place instead of copying it. Conformances may omit `consuming`.
    func apply<R: ConnectRecord>(_ record: consuming R) throws -> R?
    /// Releases resources when the pipeline stops. Default: nothing.
    func close()
}

extension Transformation {
    public func close() {}
}

/// A condition on a record, used to apply a transformation only to some records
/// (`org.apache.kafka.connect.transforms.predicates.Predicate`).
public protocol Predicate: Sendable {
    /// Creates a configured predicate (the `predicates.<alias>.*` keys with the prefix removed);
    /// throws a ``ConfigError`` listing every bad key.
    init(configuration: [String: String]) throws(ConfigError)
    /// The keys this predicate accepts (Kafka's `Predicate.config()`).
    static var configDef: ConfigDef { get }
    /// Whether `record` matches (Kafka's `Predicate.test`); a transformation's `negate` setting inverts it.
    func test<R: ConnectRecord>(_ record: R) -> Bool
    /// Releases resources when the pipeline stops. Default: nothing.
    func close()
}

extension Predicate {
    public func close() {}
}
