import Foundation
import Logging

/// One budget of wrong console passwords for every client together (all connections, all
/// addresses, the log-in form and basic auth alike), so many parallel connections guess no
/// faster than one.
///
/// Up to ``Policy/budget`` wrong passwords within ``Policy/window`` cost only their second each.
/// The wrong password that reaches the budget starts a burst: every attempt is refused unread
/// (429, `Retry-After`) for ``Policy/firstBackoff``, then one attempt at a time is read, and each
/// further wrong one doubles the wait up to ``Policy/longestBackoff``. The burst ends when the
/// last wrong password is ``Policy/window`` old; the right password works again as soon as a wait
/// is over. A burst logs one warning, never a password. Logged-in sessions are never throttled.
actor LoginThrottle {
    struct Policy: Sendable {
        var budget = 10
        var window: Duration = .seconds(300)
        var firstBackoff: Duration = .seconds(1)
        var longestBackoff: Duration = .seconds(60)
    }

    enum Admission: Sendable, Equatable {
        /// Read the password, then ``LoginThrottle/report(wrong:)``.
        case admitted
        /// Refused unread; try again after this many seconds (at least 1).
        case refused(retryAfter: Int)
    }

    private let policy: Policy
    private let logger: Logger
    private let clock = ContinuousClock()
    /// Wrong passwords within the window, oldest first.
    private var failures: [ContinuousClock.Instant] = []
    /// Passwords admitted and not yet reported.
    private var reading = 0
    private var blockedUntil: ContinuousClock.Instant?
    /// Waits imposed in this burst; 0 outside a burst.
    private var backoffs = 0

    init(policy: Policy = Policy(), logger: Logger) {
        self.policy = policy
        self.logger = logger
    }

    /// Whether a password may be read now. Every admission must be followed by one report.
    func admit() -> Admission {
        let now = clock.now
        forgetOld(now)
        if let until = blockedUntil, now < until { return .refused(retryAfter: Self.seconds(until - now)) }
        // Outside a burst, what is left of the budget may be read at once; in one, one at a time.
        let allowance = backoffs > 0 ? 1 : policy.budget - failures.count
        guard reading < allowance else { return .refused(retryAfter: 1) }
        reading += 1
        return .admitted
    }

    func report(wrong: Bool) {
        reading = max(0, reading - 1)
        guard wrong else { return }
        let now = clock.now
        failures.append(now)
        forgetOld(now)
        guard backoffs > 0 || failures.count >= policy.budget else { return }
        let wait = min(policy.longestBackoff, policy.firstBackoff * (1 << min(backoffs, 20)))
        blockedUntil = now + wait
        backoffs += 1
        if backoffs == 1 {
            logger.warning("console: too many wrong passwords; every log-in is refused for a while (429), longer while wrong passwords go on", metadata: [
                "wrong_passwords": "\(failures.count)", "within": "\(Self.seconds(policy.window))s",
                "first_wait": "\(Self.seconds(wait))s", "longest_wait": "\(Self.seconds(policy.longestBackoff))s",
            ])
        }
    }

    private func forgetOld(_ now: ContinuousClock.Instant) {
        failures.removeAll { now - $0 >= policy.window }
        if backoffs > 0, failures.isEmpty, blockedUntil.map({ now >= $0 }) ?? true { backoffs = 0 }
    }

    private static func seconds(_ duration: Duration) -> Int {
        let (whole, fraction) = duration.components
        return max(1, Int(whole) + (fraction > 0 ? 1 : 0))
    }
}
