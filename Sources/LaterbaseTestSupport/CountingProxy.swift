import Foundation

/// A TCP proxy on a free loopback port that forwards every connection to `127.0.0.1:upstream`
/// and counts the bytes each way: what a client uploads is what it sends through here. Used to
/// measure the upload traffic of offsite copies against a real `rclone serve webdav`.
public final class CountingProxy: @unchecked Sendable {
    public let port: Int
    private let upstream: Int
    private let listener: Int32
    private let lock = NSLock()
    private var sent: Int64 = 0
    private var received: Int64 = 0
    private var stopped = false

    public init(upstream: Int) throws {
        self.upstream = upstream
        port = try FreePort.find()
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = loopbackAddress(port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw ClusterError("the counting proxy cannot listen on \(port)") }
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Bytes clients sent to the server (uploads, requests) and received from it, so far.
    public var counts: (uploaded: Int64, downloaded: Int64) { lock.withLock { (sent, received) } }

    /// Stops accepting; connections in progress end with their peers.
    public func stop() {
        lock.withLock { stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if lock.withLock({ stopped }) { return }
                continue
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopbackAddress(upstream)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(client); close(server); continue }
            let done = DispatchGroup()
            for (from, to, upload) in [(client, server, true), (server, client, false)] {
                done.enter()
                Thread { [self] in pump(from: from, to: to, upload: upload); done.leave() }.start()
            }
            Thread { done.wait(); close(client); close(server) }.start()
        }
    }

    private func pump(from: Int32, to: Int32, upload: Bool) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = read(from, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            lock.withLock { if upload { sent += Int64(count) } else { received += Int64(count) } }
            var offset = 0
            while offset < count {
                let written = buffer[offset..<count].withUnsafeBytes { write(to, $0.baseAddress, count - offset) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { shutdown(from, Int32(SHUT_RD)); return }
                offset += written
            }
        }
        shutdown(to, Int32(SHUT_WR))
    }
}
