import Foundation
import LaterbaseCore
import Testing

/// ``LoopbackPort`` (Shared/Support): a port the kernel says is free, which can then be bound.
@Suite("LoopbackPort")
struct LoopbackPortTests {
    @Test("a free port on 127.0.0.1 that can be bound right after; the error text names the call")
    func freePort() throws {
        let port = try LoopbackPort.free()
        #expect((1024...65535).contains(port))
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == 0)
        #expect(SystemCallError("bind() on 127.0.0.1", errno: EADDRINUSE).description == "bind() on 127.0.0.1 failed: Address already in use")
    }
}
