import ConnectKit

/// One HTTP request to the REST API, independent of the server that received it.
public struct RESTRequest: Sendable {
    /// The method, upper case (`GET`, `POST`, …).
    public var method: String
    /// The path as sent (percent-encoded), without the query.
    public var path: String
    /// The query parameters, percent-decoded, in order (a name may repeat: `expand=status&expand=info`).
    public var query: [(name: String, value: String)]
    /// The request headers (names compared case-insensitively).
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: [UInt8]
    /// `http` or `https`: how the request came in (for `Location` headers).
    public var scheme: String

    /// A request for `target` (`/connectors?expand=status`: the path and query as sent).
    public init(method: String, target: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [], scheme: String = "http") {
        self.method = method.uppercased()
        self.headers = headers
        self.body = body
        self.scheme = scheme
        if let q = target.firstIndex(of: "?") {
            path = String(target[..<q])
            query = target[target.index(after: q)...].split(separator: "&", omittingEmptySubsequences: true).map { item in
                let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = RESTRequest.percentDecoded(String(parts[0]), plusIsSpace: true)
                let value = parts.count > 1 ? RESTRequest.percentDecoded(String(parts[1]), plusIsSpace: true) : ""
                return (name, value)
            }
        } else {
            path = target
            query = []
        }
    }

    /// The first value of a header.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// The values of a query parameter, in order.
    public func queryValues(_ name: String) -> [String] { query.filter { $0.name == name }.map(\.value) }

    /// `%xx` decoded (invalid escapes kept as written); `+` as a space in query strings.
    static func percentDecoded(_ s: String, plusIsSpace: Bool = false) -> String {
        guard s.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) else { return s }
        var out: [UInt8] = []
        let bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let h = Hex.nibble(bytes[i + 1]), let l = Hex.nibble(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(plusIsSpace && bytes[i] == UInt8(ascii: "+") ? UInt8(ascii: " ") : bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The answer to a ``RESTRequest``: Kafka Connect's status, headers and compact JSON body.
public struct RESTResponse: Sendable {
    /// The HTTP status.
    public var status: Int
    /// Response headers (`Content-Type: application/json` when there is a JSON body, `Location`, …).
    public var headers: [(name: String, value: String)]
    /// The body (empty for 202 and 204).
    public var body: [UInt8]

    /// A response.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON body with `Content-Type: application/json` (no charset, as Kafka's).
    static func json(_ status: Int, _ value: JSONValue, headers: [(name: String, value: String)] = []) -> RESTResponse {
        RESTResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: value.rawUTF8)
    }

    /// Kafka's error envelope `{"error_code":…,"message":…}`.
    static func error(_ status: Int, _ message: String) -> RESTResponse {
        json(status, .object([("error_code", .number(String(status))), ("message", .string(message))]))
    }

    /// No body (202 carries `Content-Length: 0`, which the server adds).
    static func empty(_ status: Int) -> RESTResponse { RESTResponse(status: status) }

    /// The body as text (for tests and logs).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The first value of a header.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}
