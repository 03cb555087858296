import CCrypto
public import ConnectHTTP
public import ConnectKit
import Foundation

/// A customer-provided key for server-side encryption (SSE-C), as Confluent's `s3.sse.customer.key`
/// with `s3.ssea.name=AES256` sets it through the AWS SDK's `SSECustomerKey`: the 256-bit AES key in
/// base64. Every PutObject, CreateMultipartUpload and UploadPart — and every GetObject and
/// HeadObject of such an object — carries `x-amz-server-side-encryption-customer-algorithm: AES256`,
/// `…-customer-key` (the base64 key) and `…-customer-key-MD5` (base64 of the MD5 of the key's 32
/// bytes). S3 keeps only a salted hash of the key: the object cannot be read without it.
///
/// The key is a ``Password``: it never shows in descriptions, errors or `dump`.
public struct S3CustomerKey: Sendable, CustomStringConvertible {
    /// The key in base64 (44 characters for 32 bytes).
    public let key: Password
    /// Base64 of the MD5 digest of the decoded key.
    public let keyMD5: String

    /// A key from its base64 text.
    /// - Throws: ``S3Error`` `InvalidArgument` when the text is not base64 of exactly 32 bytes (the
    ///   value is never in the message), or when libcrypto cannot compute MD5.
    public init(base64 key: Password) throws(S3Error) {
        let text = key.value.trimmingWhitespace()
        guard let raw = Data(base64Encoded: text), raw.count == 32 else {
            throw S3Error(code: "InvalidArgument", message: "the SSE-C customer key must be the base64 text of a 256-bit (32-byte) AES key")
        }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let bytes = [UInt8](raw)
        let done = bytes.withUnsafeBufferPointer { b in
            digest.withUnsafeMutableBufferPointer { d in EVP_Digest(b.baseAddress, b.count, d.baseAddress, &length, EVP_md5(), nil) }
        }
        // MD5 can be missing (OpenSSL in FIPS mode): say so rather than send a wrong digest.
        guard done == 1, length == 16 else {
            throw S3Error(code: "InvalidArgument", message: "the SSE-C key's MD5 could not be computed (is MD5 disabled in this OpenSSL?)")
        }
        self.key = Password(text)
        keyMD5 = Data(digest.prefix(Int(length))).base64EncodedString()
    }

    /// The three SSE-C request headers (made when a request is sent, never stored).
    public var headers: [HTTPHeader] {
        [
            HTTPHeader("x-amz-server-side-encryption-customer-algorithm", "AES256"),
            HTTPHeader("x-amz-server-side-encryption-customer-key", key.value),
            HTTPHeader("x-amz-server-side-encryption-customer-key-MD5", keyMD5),
        ]
    }

    public var description: String { "SSE-C key \(Password.hidden)" }
}
