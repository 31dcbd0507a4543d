import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// A real HTTP server on a free loopback port that records what it is sent: Apprise's `json://`
/// notifications and the agent's pings. `POST /ok…` answers 200, `/fail500…` 500, `/hang…` only
/// after 30 s, and `/hold…` only once ``release()`` was called (then 200): a delivery that is
/// under way for as long as the test wants, with no clock involved.
public final class NotifyReceiver: Sendable {
    public struct Hit: Sendable {
        public let path: String
        public let body: String
        /// The `title` of the JSON notification, nil for anything else.
        public var title: String? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["title"] as? String
        }
    }

    public let port: Int
    private let hits = Mutex<[Hit]>([])
    private let released = Atomic<Bool>(false)
    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)
    private let group: Mutex<ServiceGroup?> = Mutex(nil)

    public var received: [Hit] { hits.withLock { $0 } }

    private init(port: Int) { self.port = port }

    public static func with<T>(_ body: (NotifyReceiver) async throws -> T) async throws -> T {
        let receiver = NotifyReceiver(port: try FreePort.find())
        try await receiver.start()
        do {
            let result = try await body(receiver)
            await receiver.stop()
            return result
        } catch {
            await receiver.stop()
            throw error
        }
    }

    /// Stops the server gracefully first: it stops accepting, then serves what it accepted. A
    /// cancelled server task with a connection accepted but not yet served traps in NIO
    /// ("Deinited NIOAsyncWriter without calling finish()", apple/swift-nio#3481; a late Apprise
    /// retry after a test crashed a CI run). After 5 s (a `/hang` delivery) the task is cancelled.
    private func stop() async {
        release()
        await group.withLock { $0 }?.triggerGracefulShutdown()
        guard let running = task.withLock({ $0 }) else { return }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(5))
            running.cancel()
        }
        _ = try? await running.value
        watchdog.cancel()
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Lets every held delivery (and those to come) be answered.
    public func release() { released.store(true, ordering: .sequentiallyConsistent) }

    private func start() async throws {
        let router = Router()
        router.post("/**") { [self] request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            let path = request.uri.path
            hits.withLock { $0.append(Hit(path: path, body: String(buffer: body))) }
            if path.hasPrefix("/fail500") { return .internalServerError }
            if path.hasPrefix("/hang") { try await Task.sleep(for: .seconds(30)) }
            if path.hasPrefix("/hold") {
                // Bounded only so that a test that forgets to release cannot hang for ever.
                _ = await poll(timeout: .seconds(600), every: .milliseconds(50)) { self.released.load(ordering: .sequentiallyConsistent) }
            }
            return .ok
        }
        let listening = AsyncStream<Void>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { _ in listening.continuation.yield() })
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: Logger(label: "notify-receiver")))
        group.withLock { $0 = serviceGroup }
        task.withLock { $0 = Task { try await serviceGroup.run() } }
        for await _ in listening.stream { break }
    }

    /// The titles of the JSON notifications received, in order.
    public var titles: [String] { received.compactMap(\.title) }

    /// Waits until `count` hits arrived (or `timeout`), then returns what arrived.
    public func wait(for count: Int, timeout: Duration = .seconds(20)) async -> [Hit] {
        _ = await poll(timeout: timeout) { self.received.count >= count }
        return received
    }
}
