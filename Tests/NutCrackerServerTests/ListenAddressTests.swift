#if canImport(Glibc)
import Glibc
#endif
import NutCrackerServer
import Testing

@Suite struct ListenAddressTests {
    @Test func aPortSomethingListensOnIsNamedAsTaken() throws {
        // A real listener on a free port of the loopback.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var open = true
        defer { if open { close(fd) } }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(bound == 0 && listen(fd, 1) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))

        let error = #expect(throws: ListenAddress.InUse.self) { try ListenAddress.checkFree(host: "127.0.0.1", port: port) }
        #expect(error?.description.hasPrefix("127.0.0.1:\(port) is already in use") == true)
        close(fd)
        open = false
        #expect(throws: Never.self) { try ListenAddress.checkFree(host: "127.0.0.1", port: port) }
    }
}
