import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Listens on 127.0.0.1:`port` and forwards every connection to `target` (`host:port`), bytes both
/// ways, on threads of its own: a fixed bootstrap address for librdkafka's mock cluster, whose
/// brokers listen on ports the kernel picks. Clients bootstrap through it and then reach the
/// brokers at the addresses the cluster's metadata gives.
final class BootstrapForwarder: @unchecked Sendable {
    private let listener: Int32
    private let targetHost: String
    private let targetPort: UInt16

    /// - Throws: an error naming the port when it cannot be bound (in use, privileged).
    init(port: UInt16, target: String) throws {
        let parts = target.split(separator: ":")
        guard parts.count == 2, let p = UInt16(parts[1]) else { throw ForwarderError("cannot forward to '\(target)'") }
        targetHost = String(parts[0])
        targetPort = p
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw ForwarderError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = Self.address("127.0.0.1", port)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 64) == 0 else {
            let why = String(cString: strerror(errno))
            close(listener)
            throw ForwarderError("cannot listen on 127.0.0.1:\(port): \(why)")
        }
    }

    static func address(_ host: String, _ port: UInt16) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr(host)
        return addr
    }

    /// Accepts connections until the process ends.
    func start() {
        let thread = Thread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var addr = Self.address(targetHost, targetPort)
                let connected = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                guard upstream >= 0, connected == 0 else {
                    close(client)
                    if upstream >= 0 { close(upstream) }
                    continue
                }
                Self.pipe(from: client, to: upstream)
                Self.pipe(from: upstream, to: client)
            }
        }
        thread.name = "mock-broker-bootstrap"
        thread.start()
    }

    /// Copies bytes from one socket to the other until either side closes, then shuts both down.
    private static func pipe(from source: Int32, to destination: Int32) {
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            loop: while true {
                let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                var sent = 0
                while sent < n {
                    let m = buffer.withUnsafeBytes { write(destination, $0.baseAddress! + sent, n - sent) }
                    if m < 0 && errno == EINTR { continue }
                    if m <= 0 { break loop }
                    sent += m
                }
            }
            shutdown(source, Int32(SHUT_RDWR))
            shutdown(destination, Int32(SHUT_RDWR))
        }
        thread.start()
    }
}

struct ForwarderError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
