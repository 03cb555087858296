#if canImport(Glibc)
import Glibc
#endif
import CCurl
import Foundation
import Synchronization

/// The project's one HTTP client, over libcurl.
///
/// One thread of its own runs a curl multi handle: every transfer of this client shares its
/// connection cache (keep-alive connections are reused, at most
/// ``Configuration/maxConnectionsPerHost`` per host), and no blocking curl call ever runs on
/// Swift's cooperative pool — callers `await` a continuation the loop thread resumes.
///
/// - Timeouts: ``Configuration/connectTimeout`` for the TCP/TLS connect, and
///   ``Configuration/readTimeout`` as an *inactivity* limit (no byte sent or received for that
///   long ends the transfer with ``HTTPError/Code/timeout``) — a large body that keeps moving is
///   never cut, as Java's socket timeout behaves.
/// - Cancellation: cancelling the calling task removes its transfer at once
///   (``HTTPError/Code/cancelled``); ``shutdown()`` ends every transfer the same way.
/// - Retries: ``execute(_:retry:)`` tries again after connection errors and the statuses the
///   caller names, with capped exponential backoff and full jitter (``HTTPRetryPolicy``); the
///   waits are cancellable.
/// - Credentials: Basic (preemptive) or bearer, per client or per request; never in errors,
///   descriptions or logs.
public final class HTTPClient: Sendable {
    /// Settings shared by every request of a client.
    public struct Configuration: Sendable {
        /// Limit for establishing the connection (TCP and TLS). Default 10 s.
        public var connectTimeout: Duration
        /// Longest time without any byte moving in either direction; `nil` for none. Default 30 s.
        public var readTimeout: Duration?
        /// TLS settings for `https` URLs.
        public var tls: HTTPTLSConfiguration
        /// An HTTP proxy; `nil` connects directly (environment proxies are ignored).
        public var proxy: HTTPProxy?
        /// Credentials for every request (a request's own take precedence).
        public var authorization: HTTPAuthorization?
        /// The `User-Agent` header.
        public var userAgent: String
        /// Connections kept per host (also the number of transfers to one host at a time; more wait).
        public var maxConnectionsPerHost: Int
        /// Idle connections older than this are not reused (`nil`: libcurl's default, 118 s).
        public var maxIdleTime: Duration?
        /// Send `Accept-Encoding` and decode compressed responses. Default `true`.
        public var acceptCompressedResponses: Bool

        /// Settings; every argument has a default.
        public init(
            connectTimeout: Duration = .seconds(10), readTimeout: Duration? = .seconds(30),
            tls: HTTPTLSConfiguration = HTTPTLSConfiguration(), proxy: HTTPProxy? = nil,
            authorization: HTTPAuthorization? = nil, userAgent: String = "ConnectKit",
            maxConnectionsPerHost: Int = 8, maxIdleTime: Duration? = nil, acceptCompressedResponses: Bool = true
        ) {
            self.connectTimeout = connectTimeout
            self.readTimeout = readTimeout
            self.tls = tls
            self.proxy = proxy
            self.authorization = authorization
            self.userAgent = userAgent
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxIdleTime = maxIdleTime
            self.acceptCompressedResponses = acceptCompressedResponses
        }
    }

    /// The client's settings.
    public let configuration: Configuration
    private let loop: CurlLoop

    /// A client with its own loop thread; call ``shutdown()`` when done (deinit does it too).
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        loop = CurlLoop(maxConnectionsPerHost: configuration.maxConnectionsPerHost)
    }

    deinit { loop.stop() }

    /// Ends every transfer in flight with ``HTTPError/Code/cancelled`` and stops the loop thread;
    /// later requests fail the same way.
    public func shutdown() { loop.stop() }

    /// Sends `request` once; a status is a response, not an error.
    ///
    /// - Throws: ``HTTPError`` when no response arrived (connect, TLS, timeout, connection closed,
    ///   cancelled).
    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let transfer = try CurlTransfer(id: loop.nextID(), request: request, configuration: configuration)
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (c: CheckedContinuation<HTTPResponse, any Error>) in
                    transfer.attach(c)
                    loop.submit(transfer)
                }
            } onCancel: {
                transfer.cancelRequested.store(true, ordering: .sequentiallyConsistent)
                loop.cancel(transfer.id)
            }
        } catch let e as HTTPError {
            throw e
        } catch {
            throw HTTPError(code: .cancelled, method: request.method, url: request.url, message: "cancelled")
        }
    }

    /// Sends `request`, trying again as `retry` says: after connection-level failures (when
    /// ``HTTPRetryPolicy/retryConnectionErrors``) and after the statuses in
    /// ``HTTPRetryPolicy/retryStatuses``, waiting ``HTTPRetryPolicy/backoff(attempt:)`` between
    /// attempts. When the retries are used up on a status, that last response is returned.
    ///
    /// - Throws: ``HTTPError`` (with ``HTTPError/attempts``) when the last attempt got no response,
    ///   or ``HTTPError/Code/cancelled`` when the task is cancelled while waiting.
    public func execute(_ request: HTTPRequest, retry: HTTPRetryPolicy = .none) async throws(HTTPError) -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            do {
                var response = try await send(request)
                response.attempts = attempt
                if attempt > retry.maxRetries || !retry.retryStatuses.contains(response.status) { return response }
            } catch {
                var e = error
                e.attempts = attempt
                if attempt > retry.maxRetries || !retry.retryConnectionErrors || !error.isRetriable { throw e }
            }
            let wait = retry.backoff(attempt: attempt)
            if wait > .zero {
                do { try await Task.sleep(for: wait) } catch {
                    throw HTTPError(code: .cancelled, method: request.method, url: request.url, message: "cancelled while waiting to retry", attempts: attempt)
                }
            } else if Task.isCancelled {
                throw HTTPError(code: .cancelled, method: request.method, url: request.url, message: "cancelled", attempts: attempt)
            }
        }
    }
}

/// libcurl's global state is set up once, before any handle (curl_global_init is not thread-safe).
private let curlGlobal: Bool = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK }()

/// The loop thread and its multi handle. Submissions and cancellations cross into it under one
/// lock; everything else — the multi handle, the transfers — belongs to the thread.
final class CurlLoop: @unchecked Sendable {
    private struct Inbox {
        var submitted: [CurlTransfer] = []
        var cancelled: [UInt64] = []
        var stopping = false
        var stopped = false
        var nextID: UInt64 = 0
    }
    private let inbox = Mutex(Inbox())
    private let multi: UnsafeMutableRawPointer
    private var active: [UInt64: CurlTransfer] = [:]  // loop thread only
    private let done = DispatchSemaphore(value: 0)

    init(maxConnectionsPerHost: Int) {
        _ = curlGlobal
        multi = curl_multi_init()
        ck_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(1, maxConnectionsPerHost))
        ck_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(4, maxConnectionsPerHost * 4))
        let thread = Thread { [self] in run() }
        thread.name = "connectkit-http"
        thread.start()
    }

    func nextID() -> UInt64 { inbox.withLock { $0.nextID += 1; return $0.nextID } }

    func submit(_ t: CurlTransfer) {
        let refused = inbox.withLock { state -> Bool in
            if state.stopping { return true }
            state.submitted.append(t)
            return false
        }
        if refused {
            t.finish(.failure(HTTPError(code: .cancelled, method: t.method, url: t.url, message: "the HTTP client was shut down")))
        } else {
            curl_multi_wakeup(multi)
        }
    }

    func cancel(_ id: UInt64) {
        inbox.withLock { $0.cancelled.append(id) }
        curl_multi_wakeup(multi)
    }

    /// Stops the loop (idempotent) and waits until it has ended every transfer.
    func stop() {
        let first = inbox.withLock { state -> Bool in
            defer { state.stopping = true }
            return !state.stopping
        }
        guard first else { return }
        curl_multi_wakeup(multi)
        done.wait()
    }

    // Freed only when nothing can call curl_multi_wakeup on it any more (a submit or cancel racing
    // with stop still may, until the client and the loop thread let go).
    deinit { curl_multi_cleanup(multi) }

    private func run() {
        var stillRunning: Int32 = 0
        while true {
            let (submitted, cancelled, stopping) = inbox.withLock { state in
                defer { state.submitted.removeAll(); state.cancelled.removeAll() }
                return (state.submitted, state.cancelled, state.stopping)
            }
            for t in submitted {
                t.lastActivity = CurlTransfer.nowMillis()
                let added = curl_multi_add_handle(multi, t.easy)
                guard added == CURLM_OK else {
                    t.finish(.failure(HTTPError(code: .other, method: t.method, url: t.url, message: "curl_multi_add_handle failed: \(String(cString: curl_multi_strerror(added)))")))
                    continue
                }
                active[t.id] = t
                // Cancelled before it got here: the id may have been drained already.
                if t.cancelRequested.load(ordering: .sequentiallyConsistent) { end(t, reason: .cancelled) }
            }
            for id in cancelled { if let t = active[id] { end(t, reason: .cancelled) } }
            if stopping {
                for t in active.values { end(t, reason: .cancelled) }
                done.signal()
                return
            }
            curl_multi_perform(multi, &stillRunning)
            var queued: Int32 = 0
            while let msg = curl_multi_info_read(multi, &queued) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle else { continue }
                var raw: UnsafeMutableRawPointer?
                ck_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &raw)
                guard let raw else { continue }
                let t = Unmanaged<CurlTransfer>.fromOpaque(raw).takeUnretainedValue()
                let result = t.outcome(msg.pointee.data.result)
                curl_multi_remove_handle(multi, easy)
                active[t.id] = nil
                t.finish(result)
            }
            // Read timeouts: no byte in either direction for longer than the limit.
            let now = CurlTransfer.nowMillis()
            for t in active.values {
                guard let limit = t.readTimeoutMillis else { continue }
                // The clock starts once the request is on its way (connected): a transfer waiting for a
                // free connection, or connecting (connectTimeout's part), is not idle.
                if !t.started {
                    var pretransfer: curl_off_t = 0
                    ck_easy_getinfo_offset(t.easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer)
                    if pretransfer > 0 { t.started = true }
                    t.lastActivity = now
                    continue
                }
                if now > t.lastActivity, Int64(now - t.lastActivity) > limit { end(t, reason: .timeout) }
            }
            var fds: Int32 = 0
            curl_multi_poll(multi, nil, 0, active.isEmpty ? 1000 : 20, &fds)
        }
    }

    /// Takes `t` out of the multi handle and resumes its caller with `reason`.
    private func end(_ t: CurlTransfer, reason: HTTPError.Code) {
        t.abortReason = reason
        curl_multi_remove_handle(multi, t.easy)
        active[t.id] = nil
        t.finish(t.outcome(CURLE_ABORTED_BY_CALLBACK))
    }
}
