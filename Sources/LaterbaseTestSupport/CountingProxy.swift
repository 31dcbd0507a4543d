import Foundation

/// A TCP proxy on a free loopback port that forwards every connection to `127.0.0.1:upstream`
/// and counts the bytes each way: what a client uploads is what it sends through here. Used to
/// measure the upload traffic of offsite copies against a real `rclone serve webdav`, and
/// (``cut(after:plus:)``) to play a remote that goes away in the middle of one particular upload.
public final class CountingProxy: @unchecked Sendable {
    public let port: Int
    private let upstream: Int
    private let listener: Int32
    private let lock = NSLock()
    private var sent: Int64 = 0
    private var received: Int64 = 0
    private var stopped = false
    /// Armed by ``cut(after:plus:)``: the marker and how many upload bytes may follow it.
    private var cutTrigger: (marker: [UInt8], bytes: Int64)?
    private var isCutNow = false
    /// Sockets of the connections in progress (client and server side), shut down by a cut.
    private var open: Set<Int32> = []

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

    /// Arms a one-shot cut: once `marker` (e.g. part of a request line, `/base.tar`) went upstream
    /// on a connection and `bytes` more bytes followed it there, every connection is shut down at
    /// once and each new one is closed as soon as it is accepted, until ``resume()``: to clients, a
    /// remote that died in the middle of that upload.
    public func cut(after marker: String, plus bytes: Int64) {
        lock.withLock { cutTrigger = (Array(marker.utf8), bytes) }
    }

    /// Whether a cut happened and ``resume()`` was not called since.
    public var isCut: Bool { lock.withLock { isCutNow } }

    /// Forwards new connections again after a cut (and disarms a cut not yet triggered).
    public func resume() {
        lock.withLock {
            isCutNow = false
            cutTrigger = nil
        }
    }

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
            if lock.withLock({ isCutNow }) {
                close(client)
                continue
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopbackAddress(upstream)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(client); close(server); continue }
            lock.withLock {
                open.insert(client)
                open.insert(server)
            }
            let done = DispatchGroup()
            for (from, to, upload) in [(client, server, true), (server, client, false)] {
                done.enter()
                Thread { [self] in pump(from: from, to: to, upload: upload); done.leave() }.start()
            }
            Thread { [self] in
                done.wait()
                lock.withLock {
                    open.remove(client)
                    open.remove(server)
                }
                close(client)
                close(server)
            }.start()
        }
    }

    private func pump(from: Int32, to: Int32, upload: Bool) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        // For a cut: the end of what went before (a marker split between reads), and the bytes after the marker.
        var tail: [UInt8] = []
        var afterMarker: Int64?
        while true {
            let count = read(from, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            if upload, let trigger = lock.withLock({ cutTrigger }) {
                if afterMarker == nil {
                    let seen = tail + buffer[0..<count]
                    if let end = Self.end(of: trigger.marker, in: seen) {
                        afterMarker = Int64(seen.count - end)
                    } else {
                        tail = Array(seen.suffix(max(0, trigger.marker.count - 1)))
                    }
                } else {
                    afterMarker! += Int64(count)
                }
                if let after = afterMarker, after >= trigger.bytes {
                    cutEverything()
                    break
                }
            }
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

    /// The cut itself: no more connections, and every open one shut down both ways.
    private func cutEverything() {
        lock.withLock {
            guard cutTrigger != nil else { return }
            cutTrigger = nil
            isCutNow = true
            for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// The index just past the first occurrence of `marker` in `bytes`, nil when it is not there.
    private static func end(of marker: [UInt8], in bytes: [UInt8]) -> Int? {
        guard !marker.isEmpty, bytes.count >= marker.count else { return nil }
        for start in 0...(bytes.count - marker.count) where bytes[start] == marker[0] {
            if bytes[start..<(start + marker.count)].elementsEqual(marker) { return start + marker.count }
        }
        return nil
    }
}
