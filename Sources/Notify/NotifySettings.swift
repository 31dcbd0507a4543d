import LaterbaseCore

/// Who is told when something fails (`NOTIFY_URLS`, `NOTIFY_REPEAT`) and the outside monitor
/// that expects a ping from every pass (`PING_URL`). Both hold secrets (tokens, passwords in
/// URLs) and accept `_FILE`; neither is ever logged.
public struct NotifySettings: Sendable {
    /// Apprise URLs, separated by commas or blanks as Apprise itself reads them; nil: no notifications.
    public var urls: Secret?
    /// How often a problem that lasts is told again.
    public var repeatSeconds: Int
    /// healthchecks.io-style ping URL; nil: no pings.
    public var pingURL: Secret?

    public init(environment env: EnvironmentReader) throws(ConfigurationError) {
        urls = try env.secret("NOTIFY_URLS")
        repeatSeconds = try env.duration("NOTIFY_REPEAT", default: 24 * 3600)
        guard repeatSeconds >= 60 else {
            throw ConfigurationError(variable: "NOTIFY_REPEAT", problem: "must be at least 1m (a problem is told again this often while it lasts), got \(repeatSeconds) s")
        }
        pingURL = try env.secret("PING_URL")
        if let pingURL, PingURL(pingURL) == nil {
            throw ConfigurationError(variable: "PING_URL", problem: "must be an http:// or https:// URL such as https://hc-ping.com/<uuid>")
        }
    }

    /// The single URLs of ``urls``, as Apprise splits them.
    public var urlList: [String] {
        guard let text = urls?.reveal() else { return [] }
        return text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
    }
}
