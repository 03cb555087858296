import Foundation

/// A request that got no HTTP response: what kind of failure, the request it was (method and URL
/// without user information), libcurl's explanation, and how many attempts were made.
///
/// Statuses are not errors: a `404` or `500` is an ``HTTPResponse``. Never holds a credential.
public struct HTTPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable, Hashable {
            case connect, timeout, tls, send, connectionClosed, cancelled, invalidRequest, other
        }
        let base: Base
        /// The host could not be resolved or the TCP connection was refused or failed.
        public static let connect = Code(base: .connect)
        /// The connection could not be made in time, or the server sent nothing for longer than the
        /// read timeout.
        public static let timeout = Code(base: .timeout)
        /// The TLS handshake failed (certificate not trusted, wrong name, bad client key).
        public static let tls = Code(base: .tls)
        /// The request could not be sent.
        public static let send = Code(base: .send)
        /// The server closed the connection before the response was complete.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// The calling task was cancelled or the client shut down.
        public static let cancelled = Code(base: .cancelled)
        /// The request itself is not valid (malformed URL, unsupported scheme).
        public static let invalidRequest = Code(base: .invalidRequest)
        /// Any other transfer failure.
        public static let other = Code(base: .other)
        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// The request's method.
    public var method: HTTPMethod
    /// The request's URL without user information.
    public var url: String
    /// What went wrong, from libcurl (e.g. `Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server`).
    public var message: String
    /// libcurl's `CURLcode` (0 when the failure is not libcurl's).
    public var curlCode: Int32
    /// Attempts made before giving up.
    public var attempts: Int

    /// An error.
    public init(code: Code, method: HTTPMethod, url: String, message: String, curlCode: Int32 = 0, attempts: Int = 1) {
        self.code = code
        self.method = method
        self.url = HTTPError.redacted(url)
        self.message = message
        self.curlCode = curlCode
        self.attempts = attempts
    }

    /// Whether a connection-level retry may succeed: connect, timeout, send, connection closed, and
    /// a TLS handshake that broke off (`CURLE_SSL_CONNECT_ERROR`, e.g. a node restarting) — not a
    /// certificate that is not trusted.
    public var isRetriable: Bool {
        switch code.base {
        case .connect, .timeout, .send, .connectionClosed: true
        case .tls: curlCode == 35
        default: false
        }
    }

    /// `<METHOD> <url> failed (<code>): <message>[ after N attempts]`.
    public var description: String {
        "\(method.rawValue) \(url) failed (\(code)): \(message)" + (attempts > 1 ? " after \(attempts) attempts" : "")
    }

    /// `url` without `user:password@`.
    public static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<scheme.upperBound]) + String(rest[rest.index(after: at)...])
    }
}
