import Agent
import Foundation
import Hummingbird
import LaterbaseCore
import Logging
import ServiceLifecycle

/// The web console, a service of `backup-agent run`'s ServiceGroup (with `CONSOLE=on`): the
/// application of ``buildConsoleApplication(settings:runtime:logger:)`` on `CONSOLE_ADDRESS` and
/// `CONSOLE_PORT`. It only reads what the agent wrote to `BACKUP_DIR` and asks the primary; the
/// one thing it changes is a restore into a NEW library. On graceful shutdown a running restore
/// is cancelled and its new database dropped before the service returns.
public struct ConsoleService: Service {
    let settings: ConsoleSettings
    let runtime: AgentRuntime
    let logger: Logger
    /// What the Notifications page shows and the test button and finished restores tell.
    let notifications: AgentNotifications

    public init(settings: ConsoleSettings, runtime: AgentRuntime, logger: Logger, notifications: AgentNotifications = .off) {
        self.settings = settings
        self.runtime = runtime
        self.logger = logger
        self.notifications = notifications
    }

    /// Serves until graceful shutdown. Never throws: a console that cannot start (its templates
    /// missing, its port taken) logs one error line and returns, and the backups go on without it.
    public func run() async throws {
        guard settings.password != nil else { return }
        let address = "\(settings.address):\(settings.port)"
        do {
            var jobs: ConsoleRestoreJobs?
            let app = try await buildConsoleApplication(settings: settings, runtime: runtime, logger: logger, notifications: notifications,
                                                    jobs: { jobs = $0 })
            // At once, not after the server has drained its requests (the application's own services
            // stop in order): a restore is cancelled and its new database dropped within docker's grace.
            try await withGracefulShutdownHandler {
                try await app.run()
            } onGracefulShutdown: { [jobs] in
                Task { await jobs?.cancel() }
            }
        } catch let error as ConsoleTemplatesError {
            logger.error("the web console did not start; backups go on without it", metadata: [
                "address": "\(address)", LogKey.error: "\(error)",
            ])
        } catch {
            logger.error("the web console did not start; backups go on without it", metadata: [
                "address": "\(address)", LogKey.error: "\(oneLine(error)); set CONSOLE_PORT to a free port, or CONSOLE=off",
            ])
        }
    }
}
