#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The address a server is about to listen on, checked before it does anything else: `serve` and
/// `demo` say at once that the port is taken, instead of after loading a store (and, for `demo`,
/// writing two weeks of a simulated fleet into it) only for the listener to fail.
public enum ListenAddress {
    public struct InUse: Error, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var description: String {
            "\(host):\(port) is already in use (another nutcracker?): stop it, or choose another port with --port"
        }
    }

    /// Throws `InUse` when something already listens on `host:port`; any other trouble (a name that
    /// does not resolve) is left for the server to report as it binds.
    public static func checkFree(host: String, port: Int) throws {
        var hints = addrinfo()
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_flags = AI_PASSIVE
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else { return }
        defer { freeaddrinfo(found) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { return }
        defer { close(fd) }
        // As the server binds: a port left in TIME_WAIT by a stopped server is free.
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0, errno == EADDRINUSE {
            throw InUse(host: host, port: port)
        }
    }
}
