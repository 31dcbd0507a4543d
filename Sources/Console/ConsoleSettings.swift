import LaterbaseCore


/// The web console of `backup-agent run` (`CONSOLE`, `CONSOLE_PORT`, `CONSOLE_ADDRESS`,
/// `CONSOLE_PASSWORD` / `CONSOLE_PASSWORD_FILE`). Off unless `CONSOLE=on`; on without a password
/// is a configuration error (exit 78), so the console never runs open.
public struct ConsoleSettings: Sendable {
    public var enabled: Bool
    public var port: Int
    /// The address it listens on: all interfaces by default (a container publishes the port).
    public var address: String
    public var password: Secret?

    /// Shortest password the console accepts: it guards restores into the Resolve server.
    public static let minimumPasswordLength = 8

    public init(environment env: EnvironmentReader) throws(ConfigurationError) {
        enabled = try env.bool("CONSOLE", default: false)
        port = try env.port("CONSOLE_PORT", default: 8080)
        password = try env.secret("CONSOLE_PASSWORD")
        guard enabled else {
            address = env.string("CONSOLE_ADDRESS", default: "0.0.0.0")!
            return
        }
        // Checked only when the console is on: a console that cannot listen would otherwise run the
        // agent without it, which nobody notices until the page does not answer.
        address = try env.listenAddress("CONSOLE_ADDRESS", default: "0.0.0.0")
        guard let password else {
            throw ConfigurationError(variable: "CONSOLE_PASSWORD", problem: "is not set; the web console (CONSOLE=on) needs a password: set CONSOLE_PASSWORD (or CONSOLE_PASSWORD_FILE), or CONSOLE=off")
        }
        guard password.reveal().count >= Self.minimumPasswordLength else {
            throw ConfigurationError(variable: "CONSOLE_PASSWORD", problem: "is shorter than \(Self.minimumPasswordLength) characters; the console can restore into the Resolve server: choose a longer password")
        }
    }
}
