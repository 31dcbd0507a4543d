import Hummingbird
import HummingbirdCore
import LaterbaseCore
import Logging
import NIOCore

/// What all the console's clients together may cost the agent, whose backups come first. Fixed,
/// not settings: a facility's console has a handful of users.
///
/// - At most ``maximumConnections`` open connections (Hummingbird's `MaximumAvailableConnections`):
///   further ones wait in the kernel's listen queue, unaccepted, and take no descriptor of the
///   agent's. Never more than ``FileDescriptorLimit/connectionBudget(soft:)`` allows, so lock
///   files, pg_dump's pipes and the WAL receiver always find descriptors.
/// - A connection that sends no complete request head for ``idleTimeout`` (a client that sends
///   nothing, or headers a byte at a time), or stays idle that long between requests, is closed
///   (Hummingbird's HTTP/1 `idleTimeout`).
enum ConsoleLimits {
    static let maximumConnections = 64
    static let idleTimeout: TimeAmount = .seconds(15)

    /// The connection limit for the process's current soft limit of open files.
    static func connections(softLimit: UInt?) -> Int {
        min(maximumConnections, softLimit.map(FileDescriptorLimit.connectionBudget(soft:)) ?? maximumConnections)
    }

    /// The application's configuration: `address`, with the connection limit.
    static func configuration(address: BindAddress, connections: Int, logger: Logger) -> ApplicationConfiguration {
        ApplicationConfiguration(address: address, serverName: nil,
                                 availableConnectionsDelegate: MaximumAvailableConnections(connections, logger: logger))
    }

    /// HTTP/1 with the idle timeout.
    static var server: HTTPServerBuilder { .http1(configuration: HTTP1Channel.Configuration(idleTimeout: idleTimeout)) }
}
