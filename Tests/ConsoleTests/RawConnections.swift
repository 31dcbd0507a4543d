import Foundation
import LaterbaseCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Plain TCP connections to the console from the test process, as an attacker opens them: idle
/// ones that send nothing (``IdleConnections``), and keep-alive HTTP/1.1 requests on threads of
/// their own (``RawHTTP``), so a hundred blocking sockets never hold the tests' cooperative pool.
enum RawConnections {
    /// Raises this process's soft limit of open files to its hard limit; returns the new soft limit.
    @discardableResult
    static func raiseOwnLimit() throws -> UInt {
        switch FileDescriptorLimit.raiseSoftToHard() {
        case .success(let soft): return soft
        case .failure(let error): throw error
        }
    }

    /// The open descriptors of a process (entries of `/proc/<pid>/fd`).
    static func openDescriptors(of pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count ?? -1
    }

    /// The soft and hard "Max open files" of a process, from `/proc/<pid>/limits`.
    static func openFilesLimit(of pid: Int32) -> (soft: String, hard: String)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else { return nil }
        let fields = line.dropFirst("Max open files".count).split(separator: " ")
        return fields.count >= 2 ? (String(fields[0]), String(fields[1])) : nil
    }

    /// A connected (or connecting) TCP socket to 127.0.0.1:`port`.
    static func connect(port: Int, blocking: Bool) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError("socket()") }
        if !blocking { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 || errno == EINPROGRESS else {
            let error = SystemCallError("connect() to 127.0.0.1:\(port)")
            close(fd)
            throw error
        }
        return fd
    }
}

/// Sockets opened and left silent.
final class IdleConnections: Sendable {
    private let open: Mutex<[Int32]>
    private var descriptors: [Int32] { open.withLock { $0 } }

    init(count: Int, port: Int) throws {
        var opened: [Int32] = []
        do {
            for _ in 0..<count { opened.append(try RawConnections.connect(port: port, blocking: false)) }
        } catch {
            opened.forEach { close($0) }
            throw error
        }
        open = Mutex(opened)
    }

    /// How many the other end has closed in order (end of file: the server closed it, not a
    /// reset or a connection the kernel gave up), without waiting.
    func closedByPeer() -> Int {
        var polled = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        _ = poll(&polled, nfds_t(polled.count), 0)
        var closed = 0
        var byte: UInt8 = 0
        for entry in polled where entry.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
            let read = recv(entry.fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
            if read == 0 { closed += 1 }
        }
        return closed
    }

    /// Closes them all, once (a second call does nothing).
    func closeAll() {
        let taken = open.withLock { descriptors in
            defer { descriptors = [] }
            return descriptors
        }
        taken.forEach { close($0) }
    }
}

/// Minimal HTTP/1.1 over one blocking keep-alive socket: enough to send the console many
/// requests fast and read each status and `Retry-After`.
struct RawHTTP {
    struct Reply: Sendable {
        let status: Int
        let retryAfter: Int?
    }

    let port: Int
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []

    init(port: Int) { self.port = port }

    /// GET `path` with basic auth; reconnects when the server closed the connection.
    mutating func get(_ path: String, basicPassword: String) throws -> Reply {
        let credentials = Data("laterbase:\(basicPassword)".utf8).base64EncodedString()
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic \(credentials)\r\nAccept: */*\r\n\r\n"
        for attempt in 0..<2 {
            if fd < 0 {
                fd = try RawConnections.connect(port: port, blocking: true)
                var timeout = timeval(tv_sec: 60, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                buffer = []
            }
            if let reply = try? exchange(Array(request.utf8)) { return reply }
            Glibc.close(fd)
            fd = -1
            if attempt == 1 { break }
        }
        throw ClientError("no reply to GET \(path) on 127.0.0.1:\(port)")
    }

    mutating func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    private mutating func exchange(_ request: [UInt8]) throws -> Reply {
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw ClientError("send failed")
        }
        let head = try readUntil([13, 10, 13, 10])
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1.1 "),
              let status = Int(statusLine.split(separator: " ")[1]) else { throw ClientError("no status line") }
        var length = 0, retryAfter: Int?
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            if parts[0].lowercased() == "content-length" { length = Int(parts[1]) ?? 0 }
            if parts[0].lowercased() == "retry-after" { retryAfter = Int(parts[1]) }
        }
        while buffer.count < length { try fill() }
        buffer.removeFirst(length)
        return Reply(status: status, retryAfter: retryAfter)
    }

    /// The bytes up to and including `marker`, taken from the buffer.
    private mutating func readUntil(_ marker: [UInt8]) throws -> [UInt8] {
        while true {
            if buffer.count >= marker.count {
                for start in 0...(buffer.count - marker.count) where Array(buffer[start..<start + marker.count]) == marker {
                    let head = Array(buffer[..<(start + marker.count)])
                    buffer.removeFirst(start + marker.count)
                    return head
                }
            }
            try fill()
        }
    }

    private mutating func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let read = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard read > 0 else { throw ClientError("connection closed") }
        buffer.append(contentsOf: chunk[..<read])
    }
}

/// Runs `body(index)` for every index on threads of their own (blocking sockets), and returns
/// the results when all have finished, without blocking the caller's cooperative thread.
func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) async -> [T] {
    let results = Mutex<[Int: T]>([:])
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                let value = body(index)
                results.withLock { $0[index] = value }
                group.leave()
            }
            thread.start()
        }
        group.notify(queue: .global()) { done.resume() }
    }
    return results.withLock { stored in (0..<count).compactMap { stored[$0] } }
}
