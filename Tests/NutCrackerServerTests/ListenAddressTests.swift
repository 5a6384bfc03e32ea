#if canImport(Glibc)
import Glibc
#endif
import NutCrackerServer
import Testing

@Suite struct ListenAddressTests {
    @Test func aPortSomethingListensOnIsNamedAsTaken() throws {
        // A real listener on a free port of the loopback, below the range the system gives out to
        // connections (and the other tests' servers), so nothing else takes it once it is closed.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var open = true
        defer { if open { close(fd) } }
        var port = 0
        for candidate in (0..<50).map({ _ in Int.random(in: 10_000..<20_000) }) {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(candidate).bigEndian)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            if bound == 0 { port = candidate; break }
        }
        try #require(port > 0 && listen(fd, 1) == 0)

        let error = #expect(throws: ListenAddress.InUse.self) { try ListenAddress.checkFree(host: "127.0.0.1", port: port) }
        #expect(error?.description.hasPrefix("127.0.0.1:\(port) is already in use") == true)
        close(fd)
        open = false
        #expect(throws: Never.self) { try ListenAddress.checkFree(host: "127.0.0.1", port: port) }
    }
}
