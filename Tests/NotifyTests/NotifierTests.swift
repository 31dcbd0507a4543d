import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Logging
@testable import Notify
import Synchronization
import Testing

/// The notifier's promises with real deliveries (Apprise to a real receiver): once per problem,
/// again after NOTIFY_REPEAT, once when resolved, across a restart, never blocking the caller.
@Suite("notifier: once, repeated, resolved", .timeLimit(.minutes(2)))
struct NotifierTests {
    final class Clock: Sendable {
        let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func now() -> Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    static func folder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("laterbase-notify-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Apprise's own connect and read timeouts are 4 s; beside the other suites on two cores the
    /// receiver can take longer, and a retried delivery then arrives twice: 60 s, and by default
    /// no retries where deliveries are counted.
    static func notifier(_ receiver: NotifyReceiver, ledger: String, clock: Clock, path: String = "/ok", retryDelays: [Duration] = []) throws -> Notifier {
        let sender = try AppriseSender(urls: Secret("json://127.0.0.1:\(receiver.port)\(path)?cto=60&rto=60"))
        return Notifier(ledgerFile: ledger, repeatSeconds: 24 * 3600, logger: Logger(label: "test"), retryDelays: retryDelays,
                        now: { clock.now() }) { try await sender.send($0) }
    }

    static func titles(_ receiver: NotifyReceiver) -> [String] {
        receiver.received.compactMap { hit in
            (try? JSONSerialization.jsonObject(with: Data(hit.body.utf8)) as? [String: Any])?["title"] as? String
        }
    }

    @Test("six failing passes tell once; after NOTIFY_REPEAT once more; resolved once; a restart repeats nothing and still resolves")
    func onceRepeatedResolved() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ledger = folder + "/notifications.json"
        try await NotifyReceiver.with { receiver in
            let clock = Clock()
            let failed = Notification(title: "backup of Demo failed", body: "server down", kind: .failure)
            let first = try Self.notifier(receiver, ledger: ledger, clock: clock)
            for _ in 0..<6 {
                await first.problem("backup-failed:Demo", failed)
                clock.advance(3600)
            }
            await first.settle()
            #expect(Self.titles(receiver) == ["backup of Demo failed"])

            // The agent restarts while the problem lasts: nothing again, then one "Still:" a day on.
            let second = try Self.notifier(receiver, ledger: ledger, clock: clock)
            await second.problem("backup-failed:Demo", failed)
            await second.settle()
            #expect(Self.titles(receiver).count == 1)
            clock.advance(19 * 3600)
            await second.problem("backup-failed:Demo", failed)
            await second.problem("backup-failed:Demo", failed)
            await second.settle()
            #expect(Self.titles(receiver) == ["backup of Demo failed", "Still: backup of Demo failed"])

            let third = try Self.notifier(receiver, ledger: ledger, clock: clock)
            await third.resolved("backup-failed:Demo", Notification(title: "backup of Demo works again", body: "ok", kind: .success))
            await third.resolved("backup-failed:Demo", Notification(title: "backup of Demo works again", body: "ok", kind: .success))
            await third.settle()
            #expect(Self.titles(receiver) == ["backup of Demo failed", "Still: backup of Demo failed", "backup of Demo works again"])
            #expect(await third.openProblems.isEmpty)
            #expect(await third.recent.allSatisfy { $0.outcome == .sent })
        }
    }

    @Test("a receiver that hangs: the caller returns while the delivery waits")
    func hangingReceiver() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await NotifyReceiver.with { receiver in
            let notifier = try Self.notifier(receiver, ledger: folder + "/n.json", clock: Clock(), path: "/hang")
            let started = ContinuousClock.now
            await notifier.problem("backup-pass", Notification(title: "pass failed", body: "x", kind: .failure))
            await notifier.tell(Notification(title: "another", body: "y", kind: .info))
            #expect(ContinuousClock.now - started < .seconds(5), "the caller waited for the delivery (the receiver answers after 30 s)")
            #expect(await notifier.recent.map(\.outcome) == [.pending, .pending])
        }
    }

    @Test("a receiver that fails: the delivery is retried and then recorded as failed")
    func failingReceiver() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await NotifyReceiver.with { receiver in
            let notifier = try Self.notifier(receiver, ledger: folder + "/n.json", clock: Clock(), path: "/fail500", retryDelays: [.milliseconds(200)])
            await notifier.problem("backup-pass", Notification(title: "pass failed", body: "x", kind: .failure))
            await notifier.settle()
            #expect(receiver.received.count == 2, "one attempt and one retry")
            let record = try #require(await notifier.recent.last)
            #expect(record.outcome == .failed && record.attempts == 2)
            #expect(record.error?.contains("500") == true, "\(record.error ?? "")")
            // Saved for the console and a restart, readable by the agent only.
            let mode = (try FileManager.default.attributesOfItem(atPath: folder + "/n.json")[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == 0o600)
        }
    }
}
