/// An HTTP method.
public enum HTTPMethod: String, Sendable, Hashable {
    /// `GET`.
    case get = "GET"
    /// `HEAD` (the response has no body).
    case head = "HEAD"
    /// `POST`.
    case post = "POST"
    /// `PUT`.
    case put = "PUT"
    /// `DELETE`.
    case delete = "DELETE"
    /// `PATCH`.
    case patch = "PATCH"
}

/// One header line: a name (matched ignoring case) and its value.
public struct HTTPHeader: Sendable, Hashable {
    /// The header's name as sent or received (`Content-Type`).
    public var name: String
    /// Its value, without the leading blank or the line end.
    public var value: String

    /// A header.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A request for ``HTTPClient/execute(_:retry:)``.
///
/// The body is sent as given (`Content-Length` set from its size); with ``compressBody`` it is
/// gzip-compressed first and sent with `Content-Encoding: gzip`.
public struct HTTPRequest: Sendable {
    /// The method.
    public var method: HTTPMethod
    /// The absolute URL (`http://host:port/path?query`); user information in it is never logged.
    public var url: String
    /// Header lines, in order. `Expect: 100-continue` is never sent.
    public var headers: [HTTPHeader]
    /// The body, or `nil` for none.
    public var body: [UInt8]?
    /// Gzip the body (`Content-Encoding: gzip`), for servers that accept compressed requests.
    public var compressBody: Bool
    /// Credentials for this request instead of the client's ``HTTPClient/Configuration/authorization``.
    public var authorization: HTTPAuthorization?

    /// A request.
    public init(
        _ method: HTTPMethod, _ url: String, headers: [HTTPHeader] = [], body: [UInt8]? = nil,
        compressBody: Bool = false, authorization: HTTPAuthorization? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.compressBody = compressBody
        self.authorization = authorization
    }
}

/// A response: the final status (after any `100 Continue`), its header lines and the whole body
/// (decoded when the server compressed it).
public struct HTTPResponse: Sendable {
    /// The HTTP status code (`200`, `404`, …).
    public var status: Int
    /// The header lines of the final response, in order.
    public var headers: [HTTPHeader]
    /// The body bytes (empty for `HEAD`).
    public var body: [UInt8]
    /// How many attempts the request took (1 when it was not retried).
    public var attempts: Int

    /// A response.
    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = [], attempts: Int = 1) {
        self.status = status
        self.headers = headers
        self.body = body
        self.attempts = attempts
    }

    /// The value of the last header named `name` (ignoring case), or `nil`.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.last(where: { $0.name.lowercased() == lower })?.value
    }

    /// The body as UTF-8 text (invalid bytes replaced).
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// `true` for statuses 200–299.
    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// A secret (password, token) that never appears in descriptions, dumps or errors.
public struct HTTPSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret's text, for the transfer itself only.
    public let value: String

    /// Wraps a secret.
    public init(_ value: String) { self.value = value }

    /// `[hidden]`.
    public var description: String { "[hidden]" }
    /// `[hidden]`.
    public var debugDescription: String { "[hidden]" }
    /// A mirror without the value.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// Credentials sent with every request: HTTP Basic (preemptive, as Java clients send it) or a
/// bearer token (`Authorization: Bearer …`).
public enum HTTPAuthorization: Sendable, Hashable, CustomStringConvertible {
    /// HTTP Basic with a user name and password.
    case basic(username: String, password: HTTPSecret)
    /// A bearer token.
    case bearer(HTTPSecret)

    /// `Basic <user>:[hidden]` or `Bearer [hidden]`.
    public var description: String {
        switch self {
        case .basic(let user, _): "Basic \(user):[hidden]"
        case .bearer: "Bearer [hidden]"
        }
    }
}

/// TLS settings: the certificate authorities to trust, an optional client certificate, and
/// whether to verify the server's certificate and name.
public struct HTTPTLSConfiguration: Sendable, Hashable {
    /// A PEM file of trusted certificate authorities (`nil`: the system's).
    public var caFile: String?
    /// A client certificate file (PEM, or PKCS#12 with ``certificateType`` `P12`).
    public var certificateFile: String?
    /// `PEM` (default) or `P12`.
    public var certificateType: String
    /// The client certificate's private key file (PEM), when not inside the certificate file.
    public var keyFile: String?
    /// The password of the key or the PKCS#12 file.
    public var keyPassword: HTTPSecret?
    /// Verify the server's certificate chain (default `true`).
    public var verifyPeer: Bool
    /// Verify that the certificate names the host (default `true`; Kafka's empty
    /// `ssl.endpoint.identification.algorithm` turns it off).
    public var verifyHost: Bool

    /// TLS settings.
    public init(
        caFile: String? = nil, certificateFile: String? = nil, certificateType: String = "PEM", keyFile: String? = nil,
        keyPassword: HTTPSecret? = nil, verifyPeer: Bool = true, verifyHost: Bool = true
    ) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.certificateType = certificateType
        self.keyFile = keyFile
        self.keyPassword = keyPassword
        self.verifyPeer = verifyPeer
        self.verifyHost = verifyHost
    }
}

/// An HTTP proxy (`http://host:port`) with optional Basic credentials.
public struct HTTPProxy: Sendable, Hashable {
    /// The proxy URL.
    public var url: String
    /// The proxy user, if it needs one.
    public var username: String?
    /// The proxy password.
    public var password: HTTPSecret?

    /// A proxy.
    public init(url: String, username: String? = nil, password: HTTPSecret? = nil) {
        self.url = url
        self.username = username
        self.password = password
    }
}

/// When and how often a request is tried again: after connection errors and timeouts (when
/// ``retryConnectionErrors``) and after the statuses the caller names, at most ``maxRetries``
/// times, waiting a random time in `[0, min(maxBackoff, initialBackoff × 2^n))` before retry `n`
/// (n = 1, 2, …) — Confluent's `RetryUtil` rule, "full jitter".
public struct HTTPRetryPolicy: Sendable, Hashable {
    /// Retries after the first attempt (total attempts = `maxRetries + 1`).
    public var maxRetries: Int
    /// The base of the exponential backoff.
    public var initialBackoff: Duration
    /// The cap of one wait.
    public var maxBackoff: Duration
    /// Response statuses that are tried again (e.g. `[429, 502, 503, 504]`).
    public var retryStatuses: Set<Int>
    /// Whether connection failures, timeouts and connections closed mid-response are tried again.
    public var retryConnectionErrors: Bool

    /// A policy.
    public init(
        maxRetries: Int, initialBackoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(10),
        retryStatuses: Set<Int> = [], retryConnectionErrors: Bool = true
    ) {
        self.maxRetries = max(0, maxRetries)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.retryStatuses = retryStatuses
        self.retryConnectionErrors = retryConnectionErrors
    }

    /// One attempt, no retry.
    public static let none = HTTPRetryPolicy(maxRetries: 0, retryConnectionErrors: false)

    /// The upper bound of the wait before retry `attempt` (1-based): `min(maxBackoff, initialBackoff × 2^attempt)`.
    public func backoffBound(attempt: Int) -> Duration {
        let base = initialBackoff.milliseconds
        let cap = maxBackoff.milliseconds
        guard base > 0 else { return .zero }
        let shift = min(attempt, 40)
        let (bound, overflow) = base.multipliedReportingOverflow(by: Int64(1) << shift)
        return .milliseconds(overflow ? cap : min(cap, bound))
    }

    /// A random wait in `[0, backoffBound(attempt:))`.
    public func backoff(attempt: Int) -> Duration {
        let bound = backoffBound(attempt: attempt).milliseconds
        return bound <= 0 ? .zero : .milliseconds(Int64.random(in: 0..<bound))
    }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    package var milliseconds: Int64 {
        let (s, a) = components
        return s * 1000 + a / 1_000_000_000_000_000
    }
}

/// Percent-encoding of URL path segments (UTF-8 bytes outside `keeping` as `%XX`, upper-case hex).
package enum PercentEncoding {
    package static func encode(_ s: String, keeping: (UInt8) -> Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = ""
        for b in s.utf8 {
            if keeping(b) {
                out.unicodeScalars.append(UnicodeScalar(b))
            } else {
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(UnicodeScalar(hex[Int(b >> 4)]))
                out.unicodeScalars.append(UnicodeScalar(hex[Int(b & 15)]))
            }
        }
        return out
    }

    /// RFC 3986's unreserved characters: letters, digits, `-`, `.`, `_`, `~`.
    package static func isUnreserved(_ b: UInt8) -> Bool {
        (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 45 || b == 46 || b == 95 || b == 126
    }
}
