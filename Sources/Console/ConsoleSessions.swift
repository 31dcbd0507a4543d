import Crypto
import Foundation
import LaterbaseCore

/// Logged-in browser sessions of the console, in memory (a restart logs everyone out). Each has
/// a random cookie token and its own CSRF token that every form carries back.
actor ConsoleSessions {
    struct Session: Sendable, Equatable {
        let token: String
        let csrf: String
        var lastSeen: Date
    }

    /// A session unused this long is forgotten.
    static let idleLimit: TimeInterval = 12 * 3600
    static let cookieName = "laterbase_session"
    /// The login form's own CSRF cookie (double submit: no session exists yet).
    static let loginCookieName = "laterbase_login"

    /// What a password given at log-in (form or basic auth) came to.
    enum PasswordCheck: Sendable, Equatable {
        case right
        /// Wrong, after the second every wrong password costs.
        case wrong
        /// Not read: too many wrong passwords lately (``LoginThrottle``); 429 with `Retry-After`.
        case throttled(retryAfter: Int)
    }

    private var sessions: [String: Session] = [:]
    private let password: Secret
    let throttle: LoginThrottle

    init(password: Secret, throttle: LoginThrottle) {
        self.password = password
        self.throttle = throttle
    }

    /// The one way a given password is checked: through the global ``LoginThrottle``, and a wrong
    /// one answered only after a second.
    nonisolated func check(_ given: String) async throws -> PasswordCheck {
        if case .refused(let seconds) = await throttle.admit() { return .throttled(retryAfter: seconds) }
        let right = isPassword(given)
        await throttle.report(wrong: !right)
        if right { return .right }
        try await Task.sleep(for: .seconds(1))
        return .wrong
    }

    /// True when `given` is the console password. Compares digests, so the time taken does not
    /// tell how much of a guess was right.
    private nonisolated func isPassword(_ given: String) -> Bool {
        SHA256.hash(data: Data(given.utf8)) == SHA256.hash(data: Data(password.reveal().utf8))
    }

    func create(now: Date = Date()) -> Session {
        sessions = sessions.filter { now.timeIntervalSince($0.value.lastSeen) < Self.idleLimit }
        let session = Session(token: Self.randomToken(), csrf: Self.randomToken(), lastSeen: now)
        sessions[session.token] = session
        return session
    }

    /// The live session for a cookie value, its idle clock restarted.
    func lookup(_ token: String, now: Date = Date()) -> Session? {
        guard var session = sessions[token] else { return nil }
        guard now.timeIntervalSince(session.lastSeen) < Self.idleLimit else {
            sessions[token] = nil
            return nil
        }
        session.lastSeen = now
        sessions[token] = session
        return session
    }

    func remove(_ token: String) { sessions[token] = nil }

    /// 32 random bytes from the system's CSPRNG, as hex.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// Equal tokens, compared in constant time.
    static func sameToken(_ a: String, _ b: String) -> Bool {
        SHA256.hash(data: Data(a.utf8)) == SHA256.hash(data: Data(b.utf8))
    }
}
