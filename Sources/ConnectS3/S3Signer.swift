#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCrypto
import ConnectHTTP
import ConnectKit

/// AWS Signature Version 4 for S3 requests, with SHA-256 and HMAC-SHA256 from OpenSSL's libcrypto.
///
/// Ours rather than libcurl's `CURLOPT_AWS_SIGV4`: libcurl 7.88 (Debian 12) signs query parameters
/// in the order given rather than sorted, sorts headers by the whole `name: value` line rather than
/// by name (so `x-amz-server-side-encryption` with `…-aws-kms-key-id` signs wrongly) and signs an
/// `Expect:` header it does not send. The payload hash is the body's real SHA-256 (S3 then checks
/// the bytes it received).
struct S3Signer: Sendable {
    let credentials: S3Credentials
    let region: String

    /// The headers to add to a request to `url` (`scheme://host[:port]/path?query`, path and query
    /// already percent-encoded as sent): `x-amz-date`, `x-amz-content-sha256`, the session token,
    /// and `Authorization`. Every `x-amz-*` header and `content-type`/`content-md5`/`range` of
    /// `headers` are signed with `host`.
    func sign(method: String, url: String, headers: [HTTPHeader], body: [UInt8], now: time_t = time(nil)) -> [HTTPHeader] {
        var t = tm()
        var seconds = now
        gmtime_r(&seconds, &t)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let date = "\(t.tm_year + 1900)\(two(t.tm_mon + 1))\(two(t.tm_mday))"
        let amzDate = date + "T" + two(t.tm_hour) + two(t.tm_min) + two(t.tm_sec) + "Z"
        let payloadHash = Self.hex(Self.sha256(body))

        // The URL's parts as sent.
        let afterScheme = url.firstRange(of: "://").map { url[$0.upperBound...] } ?? url[...]
        let pathStart = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        var host = String(afterScheme[..<pathStart])
        if url.hasPrefix("http://") && host.hasSuffix(":80") { host.removeLast(3) }
        if url.hasPrefix("https://") && host.hasSuffix(":443") { host.removeLast(4) }
        let rest = afterScheme[pathStart...]
        let queryStart = rest.firstIndex(of: "?")
        var path = String(rest[..<(queryStart ?? rest.endIndex)])
        if path.isEmpty { path = "/" }
        let query = queryStart.map { String(rest[rest.index(after: $0)...]) } ?? ""
        // Canonical query: name=value pairs (already encoded), sorted by name then value; `uploads`
        // without a value is `uploads=`.
        var pairs: [(name: String, value: String)] = []
        for item in query.split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            pairs.append((String(parts[0]), parts.count > 1 ? String(parts[1]) : ""))
        }
        pairs.sort { a, b in a.name != b.name ? a.name < b.name : a.value < b.value }
        let canonicalQuery = pairs.map { p in p.name + "=" + p.value }.joined(separator: "&")

        var signed: [(String, String)] = [("host", host), ("x-amz-content-sha256", payloadHash), ("x-amz-date", amzDate)]
        var added = [HTTPHeader("x-amz-date", amzDate), HTTPHeader("x-amz-content-sha256", payloadHash)]
        if let token = credentials.sessionToken {
            signed.append(("x-amz-security-token", token.value))
            added.append(HTTPHeader("x-amz-security-token", token.value))
        }
        for h in headers {
            let name = h.name.lowercased()
            guard name.hasPrefix("x-amz-") || name == "content-type" || name == "content-md5" || name == "range" else { continue }
            guard !signed.contains(where: { $0.0 == name }) else { continue }
            signed.append((name, h.value.trimmingWhitespace()))
        }
        signed.sort { $0.0 < $1.0 }
        let signedNames = signed.map(\.0).joined(separator: ";")
        let canonical = [method, path, canonicalQuery, signed.map { "\($0.0):\($0.1)\n" }.joined(), signedNames, payloadHash].joined(separator: "\n")
        let scope = "\(date)/\(region)/s3/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n" + Self.hex(Self.sha256(Array(canonical.utf8)))
        var key = Self.hmac(Array(("AWS4" + credentials.secretAccessKey.value).utf8), Array(date.utf8))
        key = Self.hmac(key, Array(region.utf8))
        key = Self.hmac(key, Array("s3".utf8))
        key = Self.hmac(key, Array("aws4_request".utf8))
        let signature = Self.hex(Self.hmac(key, Array(stringToSign.utf8)))
        added.append(HTTPHeader("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedNames), Signature=\(signature)"))
        return added
    }

    static func sha256(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBufferPointer { d in out.withUnsafeMutableBufferPointer { o in _ = SHA256(d.baseAddress, d.count, o.baseAddress) } }
        return out
    }

    static func hmac(_ key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        key.withUnsafeBufferPointer { k in
            data.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in _ = HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), d.baseAddress, d.count, o.baseAddress, &length) }
            }
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String { Hex.lowercase(bytes) }
}
