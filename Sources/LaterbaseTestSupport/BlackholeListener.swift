import Foundation

/// A TCP socket on 127.0.0.1 that listens with a backlog it never accepts from and a full
/// queue, so a client's connection attempt hangs as with a host that drops packets. Used to
/// check that connect timeouts fire.
public final class BlackholeListener: @unchecked Sendable {
    public let port: Int
    private var descriptors: [Int32] = []

    /// - Parameter port: 0 for any free port; a given one to take it away from a server (to
    ///   test what happens when a port is taken).
    public init(port: Int = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClusterError("socket() failed") }
        descriptors.append(fd)
        var address = loopbackAddress(port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 0) == 0 else { throw ClusterError("bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    public func close() {
        descriptors.forEach { _ = Foundation.close($0) }
        descriptors = []
    }
}
