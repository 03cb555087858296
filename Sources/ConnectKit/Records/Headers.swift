/// One record header: a key, an optional schema and a value (`org.apache.kafka.connect.header.Header`).
public struct Header: Sendable, Hashable, CustomStringConvertible {
    /// The header's key (several headers of a record may share one).
    public var key: String
    /// The value's schema; `nil` for a schemaless value.
    public var schema: Schema?
    /// The header's value; ``Value/null`` for a null header value.
    public var value: Value

    /// A header; the value is not checked against `schema`.
    public init(key: String, value: Value, schema: Schema? = nil) {
        self.key = key
        self.value = value
        self.schema = schema
    }

    public var description: String { "Header(key=\(key), value=\(value), schema=\(schema.map(String.init(describing:)) ?? "null"))" }
}

/// The ordered headers of a record (`org.apache.kafka.connect.header.Headers`).
///
/// Keys may repeat; order is kept. ``lastWithName(_:)`` gives the value a consumer usually wants.
public struct Headers: Sendable, Hashable, Sequence, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// Every header, in order.
    public private(set) var all: [Header]

    /// No headers.
    public init() { all = [] }
    /// These headers, in this order, without validation.
    public init(_ headers: [Header]) { all = headers }
    public init(arrayLiteral elements: Header...) { all = elements }

    public var count: Int { all.count }
    public var isEmpty: Bool { all.isEmpty }
    public func makeIterator() -> IndexingIterator<[Header]> { all.makeIterator() }

    /// Appends a header (a schema is validated against the value).
    public mutating func add(_ key: String, _ value: Value, schema: Schema? = nil) throws(DataError) {
        if let schema { try schema.validate(value, field: key) }
        all.append(Header(key: key, value: value, schema: schema))
    }

    /// Appends a header without validation.
    public mutating func add(_ header: Header) { all.append(header) }

    /// Appends a string header (schema `string`); `addInt`, `addLong`, `addBoolean`, `addBytes` likewise.
    public mutating func addString(_ key: String, _ value: String) { all.append(Header(key: key, value: .string(value), schema: .string)) }
    /// Appends an int32 header (schema `int32`).
    public mutating func addInt(_ key: String, _ value: Int32) { all.append(Header(key: key, value: .int32(value), schema: .int32)) }
    /// Appends an int64 header (schema `int64`).
    public mutating func addLong(_ key: String, _ value: Int64) { all.append(Header(key: key, value: .int64(value), schema: .int64)) }
    /// Appends a boolean header (schema `boolean`).
    public mutating func addBoolean(_ key: String, _ value: Bool) { all.append(Header(key: key, value: .boolean(value), schema: .boolean)) }
    /// Appends a bytes header (schema `bytes`).
    public mutating func addBytes(_ key: String, _ value: [UInt8]) { all.append(Header(key: key, value: .bytes(value), schema: .bytes)) }

    /// The last header with this key.
    public func lastWithName(_ key: String) -> Header? { all.last(where: { $0.key == key }) }

    /// Every header with this key, in order.
    public func allWithName(_ key: String) -> [Header] { all.filter { $0.key == key } }

    /// Removes every header with this key.
    public mutating func remove(_ key: String) { all.removeAll(where: { $0.key == key }) }

    /// Keeps only the last header for each key.
    public mutating func retainLatest() {
        var seen = Set<String>()
        var kept: [Header] = []
        for h in all.reversed() where seen.insert(h.key).inserted { kept.append(h) }
        all = kept.reversed()
    }

    /// Removes every header.
    public mutating func clear() { all.removeAll() }

    public var description: String { "ConnectHeaders(headers=" + all.map(\.description).joined(separator: ", ") + ")" }
}
