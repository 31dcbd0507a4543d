import Foundation
import LaterbaseCore
import Logging

/// Tells people about problems once: when one begins, again every `NOTIFY_REPEAT` while it
/// lasts, and once more when it is resolved; never once per pass. Callers only change the
/// ledger and return: delivery runs on a task of its own, one notification at a time, each
/// attempt bounded by the sender, retried after ``retryDelays``, so a receiver that fails or
/// hangs never holds up or fails a backup pass. The ledger is saved on every change, so a
/// restart neither repeats an open problem nor loses its "resolved", and sends what was still
/// pending.
public actor Notifier {
    public typealias Send = @Sendable (Notification) async throws -> Void

    let ledgerFile: String
    let repeatInterval: TimeInterval
    let send: Send
    let logger: Logger
    let now: @Sendable () -> Date
    /// The waits after the first, second, … failed attempt; after the last the notification is
    /// recorded as failed.
    let retryDelays: [Duration]
    private var ledger: NotificationLedger
    private var worker: Task<Void, Never>?
    private var counts = DeliveryCounts()

    /// Notifications delivered (`sent`) and given up on (`failed`) since this notifier was made,
    /// that is since the agent started: `/metrics`' `laterbase_notifications_total`.
    public struct DeliveryCounts: Sendable, Equatable {
        public var sent = 0
        public var failed = 0
        public init(sent: Int = 0, failed: Int = 0) {
            self.sent = sent
            self.failed = failed
        }
    }

    /// 30 s, 2 min, 10 min: four attempts over about 13 minutes.
    public static let defaultRetryDelays: [Duration] = [.seconds(30), .seconds(120), .seconds(600)]

    public init(ledgerFile: String, repeatSeconds: Int, logger: Logger,
                retryDelays: [Duration] = Notifier.defaultRetryDelays,
                now: @escaping @Sendable () -> Date = { Date() }, send: @escaping Send) {
        self.ledgerFile = ledgerFile
        self.repeatInterval = TimeInterval(repeatSeconds)
        self.logger = logger
        self.retryDelays = retryDelays
        self.now = now
        self.send = send
        if let loaded = NotificationLedger.load(from: ledgerFile) {
            ledger = loaded
        } else {
            ledger = NotificationLedger()
            logger.warning("the notifications ledger could not be read and starts empty; an open problem may be told once more", metadata: [LogKey.path: "\(ledgerFile)"])
        }
    }

    /// A problem under `key` (`backup-failed:<library>`): told when it begins and again each
    /// repeat interval while it lasts (the title then starts with "Still: ").
    public func problem(_ key: String, _ notification: Notification) {
        let time = now()
        if var open = ledger.open[key] {
            guard time.timeIntervalSince(open.lastTold) >= repeatInterval else { return }
            open.lastTold = time
            ledger.open[key] = open
            var again = notification
            again.title = "Still: " + notification.title
            again.body += " (since \(UTCFormat.message(open.since)))"
            enqueue(again, at: time)
        } else {
            ledger.open[key] = .init(title: notification.title, since: time, lastTold: time)
            enqueue(notification, at: time)
        }
    }

    /// The problem under `key` is over: told once, only if it was open.
    public func resolved(_ key: String, _ notification: Notification) {
        guard let open = ledger.open.removeValue(forKey: key) else { return }
        var over = notification
        over.body += " (the problem began \(UTCFormat.message(open.since)))"
        enqueue(over, at: now())
    }

    /// A one-off message (a test, a restore that finished).
    public func tell(_ notification: Notification) {
        enqueue(notification, at: now())
    }

    public var openProblems: [String: NotificationLedger.OpenProblem] { ledger.open }
    public var recent: [NotificationLedger.Record] { ledger.recent }
    public var deliveryCounts: DeliveryCounts { counts }
    /// `NOTIFY_REPEAT`: how often a problem that lasts is told again.
    public nonisolated var repeatSeconds: Int { Int(repeatInterval) }

    /// Starts delivering what a previous run left pending.
    public func resume() { startWorker() }

    /// Waits until nothing is pending (tests, `notify-test`).
    public func settle() async {
        while let worker {
            await worker.value
            if self.worker == worker { self.worker = nil }
        }
    }

    private func enqueue(_ notification: Notification, at time: Date) {
        _ = ledger.append(notification, at: time)
        persist()
        startWorker()
    }

    private func startWorker() {
        guard worker == nil, ledger.recent.contains(where: { $0.outcome == .pending }) else { return }
        worker = Task { await self.deliverPending() }
    }

    private func deliverPending() async {
        while !Task.isCancelled, let record = ledger.recent.first(where: { $0.outcome == .pending }) {
            let outcome: Result<Void, any Error>
            do {
                try await send(record.notification)
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            guard let index = ledger.recent.firstIndex(where: { $0.id == record.id }) else { continue }
            ledger.recent[index].attempts += 1
            switch outcome {
            case .success:
                ledger.recent[index].outcome = .sent
                ledger.recent[index].error = nil
                counts.sent += 1
                logger.info("notification sent", metadata: ["title": "\(record.notification.title)"])
            case .failure(let error):
                let attempts = ledger.recent[index].attempts
                ledger.recent[index].error = oneLine(error)
                if attempts > retryDelays.count {
                    ledger.recent[index].outcome = .failed
                    counts.failed += 1
                    logger.error("a notification could not be delivered; backups go on", metadata: [
                        "title": "\(record.notification.title)", "attempts": "\(attempts)", LogKey.error: "\(oneLine(error))"])
                } else {
                    logger.warning("a notification could not be delivered; trying again", metadata: [
                        "title": "\(record.notification.title)", "attempt": "\(attempts)", LogKey.error: "\(oneLine(error))"])
                    persist()
                    try? await Task.sleep(for: retryDelays[attempts - 1])
                }
            }
            persist()
        }
        worker = nil
        // Something enqueued while the last delivery finished.
        startWorker()
    }

    private func persist() {
        do {
            try ledger.save(to: ledgerFile)
        } catch {
            logger.warning("the notifications ledger could not be saved", metadata: [LogKey.path: "\(ledgerFile)", LogKey.error: "\(oneLine(error))"])
        }
    }
}
