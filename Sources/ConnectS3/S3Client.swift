#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import ConnectHTTP
public import ConnectKit

/// AWS credentials: an access key id, its secret and, for temporary credentials, a session token.
/// Printed and dumped without the secret and the token.
public struct S3Credentials: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    /// `aws.access.key.id`, `AWS_ACCESS_KEY_ID` or a profile's `aws_access_key_id`.
    public var accessKeyID: String
    /// The secret access key.
    public var secretAccessKey: Password
    /// `AWS_SESSION_TOKEN` or a profile's `aws_session_token`, for temporary credentials.
    public var sessionToken: Password?
    /// Where they came from (`aws.access.key.id`, `environment`, `~/.aws/credentials [profile]`).
    public var source: String

    /// Credentials from `source`.
    public init(accessKeyID: String, secretAccessKey: Password, sessionToken: Password? = nil, source: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.source = source
    }

    public var description: String { "\(accessKeyID):[hidden] (from \(source))" }
    public var customMirror: Mirror { Mirror(self, children: ["accessKeyID": accessKeyID, "secretAccessKey": Password.hidden, "source": source]) }

    /// The first credentials of AWS's default chain that exist: the connector's
    /// `aws.access.key.id`/`aws.secret.access.key`, then the environment (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), then the shared credentials file
    /// (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`, profile `AWS_PROFILE` or `default`).
    /// Nil when there are none (requests then go unsigned, as for a public bucket).
    /// - Throws: ``S3Error`` when a half is missing (an id without a secret) or the profile named
    ///   by `AWS_PROFILE` is not in the file.
    public static func resolve(accessKeyID: String?, secretAccessKey: Password?, environment: [String: String]) throws(S3Error) -> S3Credentials? {
        func blank(_ s: String?) -> Bool { (s ?? "").trimmingWhitespace().isEmpty }
        if !blank(accessKeyID) || !blank(secretAccessKey?.value) {
            guard let id = accessKeyID, !blank(id), let secret = secretAccessKey, !blank(secret.value) else {
                throw S3Error(code: "ConfigError", message: "aws.access.key.id and aws.secret.access.key must be set together")
            }
            return S3Credentials(accessKeyID: id.trimmingWhitespace(), secretAccessKey: secret, source: "aws.access.key.id")
        }
        if let id = environment["AWS_ACCESS_KEY_ID"], !blank(id) {
            guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !blank(secret) else {
                throw S3Error(code: "ConfigError", message: "AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY")
            }
            return S3Credentials(accessKeyID: id, secretAccessKey: Password(secret), sessionToken: environment["AWS_SESSION_TOKEN"].map(Password.init), source: "environment")
        }
        let home = environment["HOME"] ?? ""
        let file = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? (home.isEmpty ? "" : home + "/.aws/credentials")
        let profile = environment["AWS_PROFILE"] ?? "default"
        guard !file.isEmpty, let text = try? TextFile.read(file) else {
            if environment["AWS_PROFILE"] != nil { throw S3Error(code: "ConfigError", message: "AWS_PROFILE=\(profile) but \(file) cannot be read") }
            return nil
        }
        var section = ""
        var values: [String: String] = [:]
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = String(raw).trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingWhitespace()
                continue
            }
            guard section == profile, let eq = line.firstIndex(of: "=") else { continue }
            values[String(line[..<eq]).trimmingWhitespace().lowercased()] = String(line[line.index(after: eq)...]).trimmingWhitespace()
        }
        guard let id = values["aws_access_key_id"], let secret = values["aws_secret_access_key"] else {
            if environment["AWS_PROFILE"] != nil { throw S3Error(code: "ConfigError", message: "profile \(profile) in \(file) has no aws_access_key_id and aws_secret_access_key") }
            return nil
        }
        return S3Credentials(accessKeyID: id, secretAccessKey: Password(secret), sessionToken: values["aws_session_token"].map(Password.init), source: "\(file) [\(profile)]")
    }
}

/// A failed S3 request: S3's error code and message, the operation and object, the endpoint and
/// region — never a credential.
public struct S3Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// S3's `<Code>` (`NoSuchBucket`, `SignatureDoesNotMatch`, `AccessDenied`, `SlowDown`, …), or
    /// `ConnectionError`, `ConfigError`.
    public var code: String
    /// S3's `<Message>` or what went wrong.
    public var message: String
    /// The HTTP status (0 when no response arrived).
    public var status: Int = 0
    /// The operation (`PutObject`, `UploadPart`, …).
    public var operation: String = ""
    /// The bucket.
    public var bucket: String = ""
    /// The key, for object operations.
    public var key: String = ""
    /// The endpoint and region the request went to.
    public var endpoint: String = ""
    /// The region.
    public var region: String = ""

    /// An error with S3's code and message.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// Whether trying again may succeed (5xx, `SlowDown`, no response).
    public var isRetriable: Bool { status >= 500 || code == "SlowDown" || code == "ConnectionError" }

    public var description: String {
        var where_ = bucket.isEmpty ? "" : " of s3://\(bucket)" + (key.isEmpty ? "" : "/\(key)")
        if !endpoint.isEmpty { where_ += " at \(endpoint) (region \(region))" }
        let status = status > 0 ? " (HTTP \(status))" : ""
        return "S3 \(operation)\(where_) failed\(status): \(code): \(message)"
    }
}

/// An object's bytes for an upload: `count` bytes, read in pieces (from memory, or from a file).
public struct S3UploadBody: Sendable {
    /// The object's size in bytes.
    public let count: Int
    /// Reads `length` bytes at `offset`.
    public let read: @Sendable (_ offset: Int, _ length: Int) throws -> [UInt8]

    /// Bytes in memory.
    public init(_ bytes: [UInt8]) {
        count = bytes.count
        read = { offset, length in Array(bytes[offset..<(offset + length)]) }
    }

    /// `count` bytes `read` gives in pieces.
    public init(count: Int, read: @escaping @Sendable (_ offset: Int, _ length: Int) throws -> [UInt8]) {
        self.count = count
        self.read = read
    }
}

/// A small S3 client over ConnectHTTP (libcurl): requests signed with AWS Signature Version 4
/// (``S3Signer``, the body's SHA-256 as payload hash), virtual-host or
/// path-style addressing, PutObject, multipart uploads (aborted when a part fails), HeadBucket,
/// GetObject and ListObjectsV2, retries of 5xx and `SlowDown` with Confluent's backoff.
public final class S3Client: Sendable {
    /// Where and how requests go.
    public struct Configuration: Sendable {
        /// `scheme://host[:port]` of the store (`store.url`); nil: AWS's `https://s3.<region>.amazonaws.com`.
        public var endpoint: String?
        /// `s3.region`.
        public var region: String
        /// `s3.path.style.access.enabled`: `endpoint/bucket/key` instead of `bucket.endpoint/key`.
        public var pathStyle: Bool
        /// The credentials; nil sends unsigned requests.
        public var credentials: S3Credentials?
        /// `s3.part.retries`: retries of one request after a 5xx or no response.
        public var retries: Int
        /// `s3.retry.backoff.ms`: the base of the exponential backoff.
        public var retryBackoff: Duration
        /// `s3.part.size`: bodies above it are uploaded in parts of this size (≥ 5 MiB on AWS).
        public var partSize: Int
        /// Headers every upload carries (`x-amz-server-side-encryption`, `x-amz-acl`, …).
        public var uploadHeaders: [HTTPHeader]
        /// SSE-C (`s3.sse.customer.key`): objects are written — and read — with this key.
        public var customerKey: S3CustomerKey?
        /// Connect and read timeouts.
        public var connectTimeout: Duration, readTimeout: Duration

        /// A configuration.
        public init(
            endpoint: String? = nil, region: String = "us-west-2", pathStyle: Bool = false, credentials: S3Credentials? = nil, retries: Int = 3,
            retryBackoff: Duration = .milliseconds(200), partSize: Int = 26_214_400, uploadHeaders: [HTTPHeader] = [],
            customerKey: S3CustomerKey? = nil, connectTimeout: Duration = .seconds(10), readTimeout: Duration = .seconds(60)
        ) {
            self.endpoint = endpoint
            self.region = region
            self.pathStyle = pathStyle
            self.credentials = credentials
            self.retries = retries
            self.retryBackoff = retryBackoff
            self.partSize = partSize
            self.uploadHeaders = uploadHeaders
            self.customerKey = customerKey
            self.connectTimeout = connectTimeout
            self.readTimeout = readTimeout
        }
    }

    /// The configuration.
    public let configuration: Configuration
    let http: HTTPClient
    let retry: HTTPRetryPolicy

    /// A client; ``shutdown()`` ends its HTTP loop thread.
    public init(_ configuration: Configuration) {
        self.configuration = configuration
        http = HTTPClient(configuration: .init(connectTimeout: configuration.connectTimeout, readTimeout: configuration.readTimeout, userAgent: "ConnectKit-S3"))
        retry = HTTPRetryPolicy(
            maxRetries: configuration.retries, initialBackoff: configuration.retryBackoff, maxBackoff: .seconds(20), retryStatuses: [500, 502, 503, 504])
    }

    /// Ends the HTTP loop thread (requests in flight fail).
    public func shutdown() { http.shutdown() }

    /// The endpoint as used: `store.url` or AWS's regional one.
    public var endpoint: String { configuration.endpoint ?? "https://s3.\(configuration.region).amazonaws.com" }

    /// The URL of a bucket or object, percent-encoded as SigV4's canonical URI wants it.
    func url(_ bucket: String, _ key: String = "", query: String = "") -> String {
        let encodedKey = key.split(separator: "/", omittingEmptySubsequences: false)
            .map { PercentEncoding.encode(String($0), keeping: PercentEncoding.isUnreserved) }.joined(separator: "/")
        let base: String
        if configuration.pathStyle {
            base = endpoint + "/" + bucket + (key.isEmpty ? "/" : "/" + encodedKey)
        } else {
            let e = endpoint
            let sep = e.firstRange(of: "://")!
            base = String(e[..<sep.upperBound]) + bucket + "." + String(e[sep.upperBound...]) + "/" + encodedKey
        }
        return query.isEmpty ? base : base + "?" + query
    }

    /// One signed request; S3's error answer as an ``S3Error``.
    func send(_ operation: String, _ method: HTTPMethod, bucket: String, key: String = "", query: String = "", headers: [HTTPHeader] = [],
              body: [UInt8]? = nil, accept: Set<Int> = [200]) async throws(S3Error) -> HTTPResponse {
        var h = headers
        let target = url(bucket, key, query: query)
        if let credentials = configuration.credentials {
            h += S3Signer(credentials: credentials, region: configuration.region).sign(method: method.rawValue, url: target, headers: h, body: body ?? [])
        }
        var request = HTTPRequest(method, target, headers: h, body: body)
        if method == .put && body == nil { request.body = [] }
        func fail(_ e: S3Error) -> S3Error {
            var e = e
            (e.operation, e.bucket, e.key, e.endpoint, e.region) = (operation, bucket, key, endpoint, configuration.region)
            return e
        }
        let response: HTTPResponse
        do { response = try await http.execute(request, retry: retry) } catch {
            // Only a connection that failed or broke may succeed later; TLS, a bad URL or a
            // cancellation will not.
            let transient: Set<HTTPError.Code> = [.connect, .timeout, .send, .connectionClosed]
            var e = S3Error(code: transient.contains(error.code) ? "ConnectionError" : "RequestError", message: error.message)
            e.status = 0
            throw fail(e)
        }
        guard accept.contains(response.status) else {
            let text = String(decoding: response.body, as: UTF8.self)
            var e = S3Error(code: Self.xml("Code", text) ?? "HTTP\(response.status)", message: Self.xml("Message", text) ?? (text.isEmpty ? "no message" : String(text.prefix(300))))
            if response.status == 403 && configuration.credentials == nil {
                e.message += " (the request went unsigned: no credentials found in aws.access.key.id, AWS_ACCESS_KEY_ID or ~/.aws/credentials)"
            }
            e.status = response.status
            throw fail(e)
        }
        return response
    }

    /// The text of the first `<tag>…</tag>` (XML entities for `&<>"'` decoded).
    static func xml(_ tag: String, _ text: String) -> String? {
        guard let open = text.firstRange(of: "<\(tag)>"), let close = text[open.upperBound...].firstRange(of: "</\(tag)>") else { return nil }
        return String(text[open.upperBound..<close.lowerBound])
            .replacingAll("&lt;", with: "<").replacingAll("&gt;", with: ">").replacingAll("&quot;", with: "\"").replacingAll("&apos;", with: "'").replacingAll("&amp;", with: "&")
    }

    /// Every `<tag>…</tag>` in order.
    static func xmlAll(_ tag: String, _ text: String) -> [String] {
        var out: [String] = []
        var rest = text[...]
        while let open = rest.firstRange(of: "<\(tag)>"), let close = rest[open.upperBound...].firstRange(of: "</\(tag)>") {
            out.append(String(rest[open.upperBound..<close.lowerBound]).replacingAll("&amp;", with: "&"))
            rest = rest[close.upperBound...]
        }
        return out
    }

    // MARK: Operations

    /// HeadBucket: the bucket exists and these credentials may use it.
    /// - Throws: ``S3Error`` (`NoSuchBucket` for 404, `AccessDenied` for 403 — HEAD answers carry no body).
    public func headBucket(_ bucket: String) async throws(S3Error) {
        do { _ = try await send("HeadBucket", .head, bucket: bucket) } catch {
            var e = error
            if e.status == 404 { (e.code, e.message) = ("NoSuchBucket", "The specified bucket does not exist") }
            if e.status == 403 {
                e.code = "AccessDenied"
                e.message = configuration.credentials == nil
                    ? "Access denied to an unsigned request: no credentials found (aws.access.key.id, AWS_ACCESS_KEY_ID, ~/.aws/credentials)"
                    : "Access denied: wrong credentials (\(configuration.credentials!)), or no permission on the bucket"
            }
            throw e
        }
    }

    /// Uploads an object: one PutObject up to ``Configuration/partSize``, a multipart upload above
    /// it — aborted when a part or the completion fails, so no incomplete upload is left behind.
    public func upload(bucket: String, key: String, body: [UInt8], headers: [HTTPHeader] = []) async throws(S3Error) {
        try await upload(bucket: bucket, key: key, body: S3UploadBody(body), headers: headers)
    }

    /// Uploads an object read in pieces of at most ``Configuration/partSize`` bytes (a file kept on
    /// disk is never read whole into memory): as ``upload(bucket:key:body:headers:)-([UInt8])``.
    public func upload(bucket: String, key: String, body: S3UploadBody, headers: [HTTPHeader] = []) async throws(S3Error) {
        // A body without a Content-Type is sent by libcurl as a form (x-www-form-urlencoded), which
        // some servers parse away.
        let sse = configuration.customerKey?.headers ?? []
        let all = [HTTPHeader("Content-Type", "application/octet-stream")] + configuration.uploadHeaders + sse + headers
        func read(_ offset: Int, _ length: Int) throws(S3Error) -> [UInt8] {
            do { return try body.read(offset, length) } catch {
                throw S3Error(code: "ReadFailed", message: "reading the object's bytes for \(key) failed: \(error)")
            }
        }
        if body.count <= configuration.partSize {
            _ = try await send("PutObject", .put, bucket: bucket, key: key, headers: all, body: try read(0, body.count))
            return
        }
        let created = try await send("CreateMultipartUpload", .post, bucket: bucket, key: key, query: "uploads=", headers: all, body: [])
        guard let uploadID = Self.xml("UploadId", String(decoding: created.body, as: UTF8.self)) else {
            throw S3Error(code: "InvalidResponse", message: "CreateMultipartUpload answered without an UploadId")
        }
        let encodedID = PercentEncoding.encode(uploadID, keeping: PercentEncoding.isUnreserved)
        do throws(S3Error) {
            var etags: [String] = []
            var offset = 0
            while offset < body.count {
                let end = min(body.count, offset + configuration.partSize)
                let part = etags.count + 1
                let r = try await send("UploadPart", .put, bucket: bucket, key: key, query: "partNumber=\(part)&uploadId=\(encodedID)",
                                       headers: [HTTPHeader("Content-Type", "application/octet-stream")] + sse, body: try read(offset, end - offset))
                guard let etag = r.header("ETag") else { throw S3Error(code: "InvalidResponse", message: "UploadPart \(part) answered without an ETag") }
                etags.append(etag)
                offset = end
            }
            var xml = "<CompleteMultipartUpload>"
            for (i, etag) in etags.enumerated() { xml += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(etag)</ETag></Part>" }
            xml += "</CompleteMultipartUpload>"
            let done = try await send("CompleteMultipartUpload", .post, bucket: bucket, key: key, query: "uploadId=\(encodedID)",
                                      headers: [HTTPHeader("Content-Type", "application/xml")], body: Array(xml.utf8))
            // S3 can answer 200 with an error document.
            let text = String(decoding: done.body, as: UTF8.self)
            if text.contains("<Error>") {
                var e = S3Error(code: Self.xml("Code", text) ?? "InternalError", message: Self.xml("Message", text) ?? text)
                (e.status, e.operation, e.bucket, e.key, e.endpoint, e.region) = (200, "CompleteMultipartUpload", bucket, key, endpoint, configuration.region)
                throw e
            }
        } catch {
            // A completion retried after its answer was lost finds the upload gone: the object is
            // there, whole, when its size is the body's.
            if error.code == "NoSuchUpload" && error.operation == "CompleteMultipartUpload",
                (try? await objectSize(bucket: bucket, key: key)) == body.count
            {
                return
            }
            _ = try? await send("AbortMultipartUpload", .delete, bucket: bucket, key: key, query: "uploadId=\(encodedID)", accept: [200, 204, 404])
            throw error
        }
    }

    /// HeadObject: the object's size in bytes (with the SSE-C key when there is one).
    public func objectSize(bucket: String, key: String) async throws(S3Error) -> Int? {
        let r = try await send("HeadObject", .head, bucket: bucket, key: key, headers: configuration.customerKey?.headers ?? [])
        return r.header("Content-Length").flatMap { Int($0) }
    }

    /// CreateBucket (in ``Configuration/region``; an existing bucket of this owner is fine).
    public func createBucket(_ bucket: String) async throws(S3Error) {
        let body = configuration.region == "us-east-1" ? [] : Array(
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>".utf8)
        do { _ = try await send("CreateBucket", .put, bucket: bucket, body: body) } catch {
            if error.code == "BucketAlreadyOwnedByYou" { return }
            throw error
        }
    }

    /// GetObject: the object's bytes (with the SSE-C key when there is one).
    public func getObject(bucket: String, key: String) async throws(S3Error) -> [UInt8] {
        try await send("GetObject", .get, bucket: bucket, key: key, headers: configuration.customerKey?.headers ?? []).body
    }

    /// ListObjectsV2: every key under `prefix`, in S3's (lexicographic) order, `pageSize` keys per
    /// request (S3's default 1000 when nil).
    public func listObjects(bucket: String, prefix: String = "", pageSize: Int? = nil) async throws(S3Error) -> [String] {
        var keys: [String] = []
        var token: String? = nil
        repeat {
            var query = "list-type=2&prefix=" + PercentEncoding.encode(prefix, keeping: PercentEncoding.isUnreserved)
            if let pageSize { query += "&max-keys=\(pageSize)" }
            if let token { query += "&continuation-token=" + PercentEncoding.encode(token, keeping: PercentEncoding.isUnreserved) }
            let text = String(decoding: try await send("ListObjectsV2", .get, bucket: bucket, query: query).body, as: UTF8.self)
            keys += Self.xmlAll("Key", text)
            token = Self.xml("IsTruncated", text) == "true" ? Self.xml("NextContinuationToken", text) : nil
        } while token != nil
        return keys
    }

    /// The multipart uploads not completed or aborted under `prefix` (ListMultipartUploads): keys.
    public func incompleteUploads(bucket: String, prefix: String = "") async throws(S3Error) -> [String] {
        let query = "prefix=" + PercentEncoding.encode(prefix, keeping: PercentEncoding.isUnreserved) + "&uploads="
        let text = String(decoding: try await send("ListMultipartUploads", .get, bucket: bucket, query: query).body, as: UTF8.self)
        return Self.xmlAll("Key", text)
    }
}
