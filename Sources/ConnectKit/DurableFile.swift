#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash-safe whole-file writes: the bytes go to `<path>.tmp`, are fsynced, renamed over `path` and
/// the directory is fsynced — after a crash at any instant the file holds the old or the new bytes,
/// never a mix. (The offset stores and the S3 sink's local storage write this way.)
package enum DurableFile {
    /// A failed step, with the operating system's reason.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// Replaces `path` with `bytes` durably (creating the directory's missing parents when `createDirectories`).
    package static func replace(_ path: String, with bytes: [UInt8], createDirectories: Bool = false, mode: UInt32 = 0o644) throws(Failure) {
        try replace(path, size: bytes.count, createDirectories: createDirectories, mode: mode) { offset, length in
            Array(bytes[offset..<(offset + length)])
        }
    }

    /// Replaces `path` durably with `size` bytes that `read(offset, length)` gives in pieces of at
    /// most 1 MiB (a file's contents need not be in memory at once).
    package static func replace(_ path: String, size: Int, createDirectories: Bool = false, mode: UInt32 = 0o644,
                                read: (_ offset: Int, _ length: Int) throws -> [UInt8]) throws(Failure) {
        func fail(_ what: String) -> Failure { Failure(description: "\(what): \(String(cString: strerror(errno)))") }
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        if createDirectories { try makeDirectories(dir.isEmpty ? "/" : dir) }
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        if fd < 0 { throw fail("cannot create \(tmp)") }
        var offset = 0
        while offset < size {
            let bytes: [UInt8]
            do { bytes = try read(offset, min(1 << 20, size - offset)) } catch {
                close(fd)
                throw Failure(description: "cannot read the contents of \(path): \(error)")
            }
            var written = 0
            while written < bytes.count {
                let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
                if n < 0 {
                    if errno == EINTR { continue }
                    let e = fail("cannot write \(tmp)")
                    close(fd)
                    throw e
                }
                written += n
            }
            offset += bytes.count
            if bytes.isEmpty { break }
        }
        if fsync(fd) != 0 {
            let e = fail("cannot fsync \(tmp)")
            close(fd)
            throw e
        }
        close(fd)
        if rename(tmp, path) != 0 { throw fail("cannot rename \(tmp)") }
        let dfd = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// `mkdir -p`.
    package static func makeDirectories(_ dir: String) throws(Failure) {
        var path = dir.hasPrefix("/") ? "" : "."
        for part in dir.split(separator: "/") {
            path += "/" + part
            if mkdir(path, 0o755) != 0, errno != EEXIST {
                throw Failure(description: "cannot create directory \(path): \(String(cString: strerror(errno)))")
            }
        }
    }
}
