import Foundation
import LaterbaseCore
import Logging
import Synchronization

/// Runs `pg_basebackup` through the slot into a directory: streamed WAL, fast checkpoint,
/// progress logged every few seconds. The password travels in `PGPASSWORD` only.
public struct BaseBackup: Sendable {
    public var primary: PrimarySettings
    public var slotName: String
    public var options: StandbyCloneOptions
    public var tools: PostgresTools
    public var account: SystemAccount?

    public init(primary: PrimarySettings, slotName: String, options: StandbyCloneOptions, tools: PostgresTools, account: SystemAccount?) {
        self.primary = primary
        self.slotName = slotName
        self.options = options
        self.tools = tools
        self.account = account
    }

    /// The arguments (no secret among them, and nothing of the connection: that goes through
    /// libpq's environment, ``ChildProcess/connect(to:application:)``).
    public func arguments(target: String) -> [String] {
        var arguments = ["-D", target,
                         "-S", slotName, "-X", "stream", "-c", "fast", "--progress", "--no-password"]
        if let rate = options.maxRateKB { arguments += ["--max-rate", "\(rate)k"] }
        return arguments
    }

    /// Copies the primary into `target` (an empty directory or none). Cancelling the task stops
    /// pg_basebackup (SIGTERM, then SIGKILL). The caller removes `target` on failure.
    public func run(into target: String, logger: Logger) async throws {
        var child = ChildProcess(try tools.require("pg_basebackup"), arguments(target: target))
        child.account = account
        child.gracePeriod = .seconds(5)
        // Only the password of REPL_PASSWORD (connect sets it): never a passfile or PGPASSWORD of the caller's.
        for name in ChildEnvironment.libpqPasswords { child.environment.updateValue(nil, forKey: name) }
        child.connect(to: primary.connection(), application: "laterbase-clone")
        // A clone waits for the server as long as libpq's default (or the caller's PGCONNECT_TIMEOUT) allows.
        child.environment.removeValue(forKey: "PGCONNECT_TIMEOUT")
        let throttle = ProgressThrottle(interval: TimeInterval(options.progressIntervalSeconds))
        let started = Date()
        logger.info("cloning the primary with pg_basebackup", metadata: [LogKey.host: "\(primary.host):\(primary.port)", LogKey.slot: "\(slotName)"])
        try await child.run(onOutput: { _ in }, onStderrLine: { line in
            guard let progress = CloneProgress.parse(line), throttle.shouldReport(final: progress.percent >= 100) else { return }
            logger.info("clone progress \(progress.summary)", metadata: [LogKey.bytes: "\(progress.doneKB * 1024)"])
        })
        let seconds = Int(Date().timeIntervalSince(started).rounded())
        logger.info("clone finished", metadata: [LogKey.seconds: "\(seconds)"])
    }
}

/// Lets a progress line through at most once per interval (and the final one always).
final class ProgressThrottle: Sendable {
    private let interval: TimeInterval
    private let state = Mutex<(last: Date?, finalSeen: Bool)>((nil, false))

    init(interval: TimeInterval) { self.interval = interval }

    func shouldReport(final: Bool, now: Date = Date()) -> Bool {
        state.withLock { state in
            if final {
                defer { state.finalSeen = true }
                return !state.finalSeen
            }
            if let last = state.last, now.timeIntervalSince(last) < interval { return false }
            state.last = now
            return true
        }
    }
}
