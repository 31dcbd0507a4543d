import Foundation

/// A TCP port on 127.0.0.1 that is free right now (bind to port 0, read it back, close): the
/// scratch server's port number (its socket name) and the test clusters' ports.
public enum LoopbackPort {
    /// A port the kernel has free on 127.0.0.1 now (bound to port 0, then released).
    public static func free() throws -> Int {
        try bound(to: 0)
    }

    /// Whether `port` can be bound on 127.0.0.1 now.
    public static func isFree(_ port: Int) -> Bool {
        (try? bound(to: port)) != nil
    }

    /// Binds a socket to 127.0.0.1:`port`, closes it and returns the port it had.
    private static func bound(to port: Int) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError("socket()") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw SystemCallError("bind() on 127.0.0.1") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw SystemCallError("getsockname()") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
