import Agent
import Foundation
import Hummingbird
import LaterbaseCore
import Logging
import ServiceLifecycle

/// The web console, a service of `backup-agent run`'s ServiceGroup (with `CONSOLE=on`). It only
/// reads what the agent wrote to `BACKUP_DIR` and asks the primary; the one thing it changes is
/// a restore into a NEW library. On graceful shutdown a running restore is cancelled and its
/// new database dropped before the service returns.
public struct ConsoleService: Service {
    let settings: ConsoleSettings
    let runtime: AgentRuntime
    let logger: Logger

    public init(settings: ConsoleSettings, runtime: AgentRuntime, logger: Logger) {
        self.settings = settings
        self.runtime = runtime
        self.logger = logger
    }

    /// Serves until graceful shutdown. Never throws: a console that cannot listen (port taken)
    /// logs one error line and returns, and the backups go on without it.
    public func run() async throws {
        guard let password = settings.password else { return }
        let sessions = ConsoleSessions(password: password)
        let metrics = ConsoleMetrics()
        let jobs = ConsoleRestoreJobs(runtime: runtime, logger: logger) { metrics.restoreFinished($0) }
        let router = Router(context: ConsoleContext.self)
        router.add(middleware: ConsoleAuthMiddleware(sessions: sessions))
        ConsoleRoutes(runtime: runtime, sessions: sessions, jobs: jobs, metrics: metrics, logger: logger).register(on: router)
        let address = settings.address
        let port = settings.port
        let app = Application(router: router, configuration: .init(address: .hostname(address, port: port), serverName: nil),
                              onServerRunning: { [logger] _ in logger.info("web console listening", metadata: ["address": "\(address):\(port)"]) },
                              logger: logger)
        do {
            try await withGracefulShutdownHandler {
                try await app.run()
            } onGracefulShutdown: {
                Task { await jobs.cancel() }
            }
        } catch {
            logger.error("the web console did not start; backups go on without it", metadata: [
                "address": "\(address):\(port)",
                LogKey.error: "\(oneLine(error)); set CONSOLE_PORT to a free port, or CONSOLE=off",
            ])
        }
        await jobs.shutdown()
    }
}
