import Foundation
import LaterbaseCore

/// A dead man's switch in the conventions of healthchecks.io (and Cronitor, and Uptime Kuma's
/// push monitors for success): `<url>/start` when a pass starts, `<url>` when it succeeded,
/// `<url>/fail` with the reason as the body when it failed. An outside service that misses the
/// ping tells someone, which is the one way to learn that the agent or its host is down.
public struct PingURL: Sendable {
    public enum Signal: Sendable { case start, success, failure(String) }

    let base: URLComponents
    /// Host only, for logs: the rest of a ping URL is its secret.
    public var host: String { base.host ?? "?" }

    public init?(_ secret: Secret) {
        guard let parts = URLComponents(string: secret.reveal()), let scheme = parts.scheme?.lowercased(),
              scheme == "http" || scheme == "https", parts.host?.isEmpty == false else { return nil }
        base = parts
    }

    /// The URL of `signal`: the suffix goes on the path, before any query (`?status=up`).
    public func url(for signal: Signal) -> String {
        var parts = base
        let suffix: String
        switch signal {
        case .start: suffix = "/start"
        case .success: suffix = ""
        case .failure: suffix = "/fail"
        }
        let path = parts.path.hasSuffix("/") ? String(parts.path.dropLast()) : parts.path
        parts.path = path + suffix
        return parts.string ?? ""
    }
}
