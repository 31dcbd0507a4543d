import Foundation
import Hummingbird
import LaterbaseTestSupport
import Synchronization

/// A real HTTP server on a free loopback port that records what it is sent: Apprise's `json://`
/// notifications and the agent's pings. `POST /ok…` answers 200, `/fail500…` 500 and `/hang…`
/// only after 30 s.
final class Receiver: Sendable {
    struct Hit: Sendable {
        let path: String
        let body: String
    }

    let port: Int
    private let hits = Mutex<[Hit]>([])
    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)

    var received: [Hit] { hits.withLock { $0 } }

    private init(port: Int) { self.port = port }

    static func with<T>(_ body: (Receiver) async throws -> T) async throws -> T {
        let receiver = Receiver(port: try FreePort.find())
        try await receiver.start()
        defer { receiver.task.withLock { $0?.cancel() } }
        return try await body(receiver)
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    private func start() async throws {
        let router = Router()
        router.post("/**") { [self] request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            let path = request.uri.path
            hits.withLock { $0.append(Hit(path: path, body: String(buffer: body))) }
            if path.hasPrefix("/fail500") { return .internalServerError }
            if path.hasPrefix("/hang") { try await Task.sleep(for: .seconds(30)) }
            return .ok
        }
        let listening = AsyncStream<Void>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { _ in listening.continuation.yield() })
        task.withLock { $0 = Task { try await app.runService(gracefulShutdownSignals: []) } }
        for await _ in listening.stream { break }
    }

    /// Waits until `count` hits arrived (or `timeout`), then returns what arrived.
    func wait(for count: Int, timeout: Duration = .seconds(20)) async -> [Hit] {
        _ = await poll(timeout: timeout) { self.received.count >= count }
        return received
    }
}
