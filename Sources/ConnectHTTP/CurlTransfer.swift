#if canImport(Glibc)
import Glibc
#endif
import CCurl
import ConnectZlib
import Synchronization

/// One request in flight: the only owner of its easy handle, header list and body copy. Touched
/// only by the loop thread once submitted; its continuation is resumed exactly once.
final class CurlTransfer: @unchecked Sendable {
    let id: UInt64
    let method: HTTPMethod
    let url: String
    let readTimeoutMillis: Int64?
    var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var requestBody: UnsafeMutableRawBufferPointer?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private var continuation: CheckedContinuation<HTTPResponse, any Error>?
    var status = 0
    var responseHeaders: [HTTPHeader] = []
    var responseBody: [UInt8] = []
    var lastActivity: UInt64 = CurlTransfer.nowMillis()
    var lastDownloaded: curl_off_t = 0
    var lastUploaded: curl_off_t = 0
    var abortReason: HTTPError.Code?
    /// Connected and sending (the read timeout applies from then on).
    var started = false
    /// Set by the cancelling task (any thread); the loop checks it when it takes the transfer in.
    let cancelRequested = Atomic<Bool>(false)

    init(id: UInt64, request: HTTPRequest, configuration: HTTPClient.Configuration) throws(HTTPError) {
        self.id = id
        method = request.method
        url = request.url
        readTimeoutMillis = configuration.readTimeout.map { max(1, $0.milliseconds) }
        errorBuffer.initialize(to: 0)
        guard let h = curl_easy_init() else {
            throw HTTPError(code: .other, method: method, url: url, message: "curl_easy_init failed")
        }
        easy = h
        try configure(h, request, configuration)
    }

    deinit {
        if let easy { curl_easy_cleanup(easy) }
        if let headerList { curl_slist_free_all(headerList) }
        requestBody?.deallocate()
        errorBuffer.deallocate()
    }

    func attach(_ continuation: CheckedContinuation<HTTPResponse, any Error>) { self.continuation = continuation }

    /// Resumes the waiting task once (later calls do nothing).
    func finish(_ result: Result<HTTPResponse, HTTPError>) {
        guard let c = continuation else { return }
        continuation = nil
        switch result {
        case .success(let r): c.resume(returning: r)
        case .failure(let e): c.resume(throwing: e)
        }
    }

    /// The outcome once libcurl reports the transfer done with `code`.
    func outcome(_ code: CURLcode) -> Result<HTTPResponse, HTTPError> {
        if let reason = abortReason {
            let text = reason == .timeout
                ? "no data from the server for \(readTimeoutMillis ?? 0) ms (read timeout)"
                : "cancelled"
            return .failure(HTTPError(code: reason, method: method, url: url, message: text, curlCode: Int32(code.rawValue)))
        }
        guard code == CURLE_OK else { return .failure(error(code)) }
        var s = 0
        if let easy { ck_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &s) }
        return .success(HTTPResponse(status: s, headers: responseHeaders, body: responseBody))
    }

    func error(_ code: CURLcode) -> HTTPError {
        let detail = String(cString: errorBuffer)
        let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        return HTTPError(code: CurlTransfer.kind(code), method: method, url: url, message: text, curlCode: Int32(code.rawValue))
    }

    static func kind(_ code: CURLcode) -> HTTPError.Code {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT: .connect
        case CURLE_OPERATION_TIMEDOUT: .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE,
             CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_USE_SSL_FAILED:
            .tls
        case CURLE_SEND_ERROR: .send
        case CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM: .connectionClosed
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT: .invalidRequest
        case CURLE_ABORTED_BY_CALLBACK: .cancelled
        default: .other
        }
    }

    static func nowMillis() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }

    // MARK: - Setting the handle up

    private func configure(_ h: UnsafeMutableRawPointer, _ request: HTTPRequest, _ c: HTTPClient.Configuration) throws(HTTPError) {
        var failed: (CURLcode, String)?
        func set(_ option: CURLoption, _ value: Int, _ name: String) {
            let r = ck_easy_setopt_long(h, option, value)
            if r != CURLE_OK && failed == nil { failed = (r, name) }
        }
        func set(_ option: CURLoption, _ value: String, _ name: String) {
            let r = value.withCString { ck_easy_setopt_pointer(h, option, $0) }  // libcurl copies strings
            if r != CURLE_OK && failed == nil { failed = (r, name) }
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        set(CURLOPT_URL, request.url, "url")
        ck_easy_setopt_pointer(h, CURLOPT_ERRORBUFFER, errorBuffer)
        ck_easy_setopt_pointer(h, CURLOPT_PRIVATE, me)
        set(CURLOPT_NOSIGNAL, 1, "nosignal")
        set(CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS), "protocols")
        set(CURLOPT_CONNECTTIMEOUT_MS, Int(c.connectTimeout.milliseconds), "connect timeout")
        if let age = c.maxIdleTime { set(CURLOPT_MAXAGE_CONN, Int(max(1, age.milliseconds / 1000)), "max idle time") }
        if c.acceptCompressedResponses { set(CURLOPT_ACCEPT_ENCODING, "", "accept encoding") }
        set(CURLOPT_USERAGENT, c.userAgent, "user agent")
        ck_easy_setopt_data_callback(h, CURLOPT_WRITEFUNCTION, curlWrite)
        ck_easy_setopt_pointer(h, CURLOPT_WRITEDATA, me)
        ck_easy_setopt_data_callback(h, CURLOPT_HEADERFUNCTION, curlHeader)
        ck_easy_setopt_pointer(h, CURLOPT_HEADERDATA, me)
        set(CURLOPT_NOPROGRESS, 0, "progress")
        ck_easy_setopt_xferinfo(h, curlProgress)
        ck_easy_setopt_pointer(h, CURLOPT_XFERINFODATA, me)

        // Method and body.
        var body = request.body
        var headers = request.headers
        if request.compressBody, let b = body {
            body = try gzip(b)
            headers.append(HTTPHeader("Content-Encoding", "gzip"))
        }
        switch request.method {
        case .get where body == nil: set(CURLOPT_HTTPGET, 1, "method")
        case .head: set(CURLOPT_NOBODY, 1, "method")
        case .post: set(CURLOPT_POST, 1, "method")
        default: set(CURLOPT_CUSTOMREQUEST, request.method.rawValue, "method")
        }
        if request.method != .head, let b = body ?? (request.method == .put || request.method == .post ? [] : nil) {
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, b.count), alignment: 1)
            b.withUnsafeBytes { copy.copyMemory(from: $0) }
            requestBody = copy
            ck_easy_setopt_offset(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(b.count))
            ck_easy_setopt_pointer(h, CURLOPT_POSTFIELDS, copy.baseAddress)
        }
        headers.append(HTTPHeader("Expect", ""))
        for header in headers {
            let line = header.value.isEmpty ? "\(header.name):" : "\(header.name): \(header.value)"
            headerList = curl_slist_append(headerList, line)
        }
        ck_easy_setopt_pointer(h, CURLOPT_HTTPHEADER, headerList)

        // Credentials.
        switch request.authorization ?? c.authorization {
        case .basic(let user, let password)?:
            set(CURLOPT_HTTPAUTH, ck_auth_basic, "auth")
            set(CURLOPT_USERNAME, user, "username")
            set(CURLOPT_PASSWORD, password.value, "password")
        case .bearer(let token)?:
            set(CURLOPT_HTTPAUTH, ck_auth_bearer, "auth")
            set(CURLOPT_XOAUTH2_BEARER, token.value, "bearer token")
        case nil: break
        }

        // TLS.
        let tls = c.tls
        if let ca = tls.caFile { set(CURLOPT_CAINFO, ca, "CA file") }
        if let cert = tls.certificateFile {
            set(CURLOPT_SSLCERT, cert, "client certificate")
            set(CURLOPT_SSLCERTTYPE, tls.certificateType, "client certificate type")
        }
        if let key = tls.keyFile { set(CURLOPT_SSLKEY, key, "client key") }
        if let pass = tls.keyPassword { set(CURLOPT_KEYPASSWD, pass.value, "key password") }
        set(CURLOPT_SSL_VERIFYPEER, tls.verifyPeer ? 1 : 0, "verify peer")
        set(CURLOPT_SSL_VERIFYHOST, tls.verifyHost ? 2 : 0, "verify host")

        // Proxy.
        if let proxy = c.proxy {
            set(CURLOPT_PROXY, proxy.url, "proxy")
            if let user = proxy.username {
                set(CURLOPT_PROXYAUTH, ck_auth_basic, "proxy auth")
                set(CURLOPT_PROXYUSERNAME, user, "proxy username")
                set(CURLOPT_PROXYPASSWORD, proxy.password?.value ?? "", "proxy password")
            }
        } else {
            set(CURLOPT_PROXY, "", "proxy")  // never an environment proxy the caller did not ask for
        }
        if let (code, name) = failed {
            throw HTTPError(code: .invalidRequest, method: method, url: url,
                            message: "libcurl refused the \(name) setting: \(String(cString: curl_easy_strerror(code)))",
                            curlCode: Int32(code.rawValue))
        }
    }

    private func gzip(_ input: [UInt8]) throws(HTTPError) -> [UInt8] {
        do { return try Zlib.deflate(input, format: .gzip) } catch {
            throw HTTPError(code: .other, method: method, url: url, message: "zlib could not gzip the body (\(error.code))")
        }
    }
}

private func transfer(_ user: UnsafeMutableRawPointer?) -> CurlTransfer {
    Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
}

private let curlWrite: ck_data_callback = { data, size, count, user in
    let n = size * count
    guard let data, n > 0 else { return n }
    let t = transfer(user)
    t.responseBody.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n))
    t.lastActivity = CurlTransfer.nowMillis()
    return n
}

private let curlHeader: ck_data_callback = { data, size, count, user in
    let n = size * count
    guard let data, n > 0 else { return n }
    let t = transfer(user)
    t.lastActivity = CurlTransfer.nowMillis()
    let bytes = UnsafeRawBufferPointer(start: data, count: n)
    var end = n
    while end > 0 && (bytes[end - 1] == 10 || bytes[end - 1] == 13) { end -= 1 }
    let line = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<end]), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        t.responseHeaders.removeAll()  // a new response (after 100 Continue or a redirect)
    } else if let colon = line.firstIndex(of: ":") {
        let value = line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
        t.responseHeaders.append(HTTPHeader(String(line[..<colon]), String(value)))
    }
    return n
}

private let curlProgress: ck_xferinfo_callback = { user, _, downloaded, _, uploaded in
    let t = transfer(user)
    if downloaded != t.lastDownloaded || uploaded != t.lastUploaded {
        t.lastDownloaded = downloaded
        t.lastUploaded = uploaded
        t.lastActivity = CurlTransfer.nowMillis()
    }
    return t.abortReason == nil ? 0 : 1
}
