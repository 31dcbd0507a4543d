import Agent
import Hummingbird
import LaterbaseCore
import Logging
import ServiceLifecycle

/// The console as one Hummingbird application, built in one place: what ``ConsoleService`` runs,
/// and what tests drive in-process (`app.test(.router)` of HummingbirdTesting, no socket). It
/// loads the page templates once, makes the sessions, the metrics and the restore jobs, and puts
/// every route behind ``ConsoleAuthMiddleware``. The restore jobs are a service of the
/// application: its graceful shutdown cancels a running restore and waits until the restore's
/// new database is dropped again.
/// `notifications` feeds the Notifications page and `/metrics`, and is told when a console
/// restore finishes (``AgentNotifications/off``: the page says notifications are off).
/// - Throws: ``ConsoleTemplatesError`` when the templates do not load, ``ConsoleStartError``
///   without a password (``ConsoleSettings`` refuses that for `CONSOLE=on`).
package func buildConsoleApplication(settings: ConsoleSettings, runtime: AgentRuntime, logger: Logger,
                                     notifications: AgentNotifications = .off) async throws -> some ApplicationProtocol {
    try await buildConsoleApplication(settings: settings, runtime: runtime, logger: logger, notifications: notifications, jobs: { _ in })
}

/// The same, handing the restore jobs to `jobs` (``ConsoleService`` cancels a running restore the
/// moment graceful shutdown starts, beside the server's own shutdown).
func buildConsoleApplication(settings: ConsoleSettings, runtime: AgentRuntime, logger: Logger, notifications: AgentNotifications,
                             jobs handOver: (ConsoleRestoreJobs) -> Void) async throws -> some ApplicationProtocol {
    guard let password = settings.password else { throw ConsoleStartError("the console has no password (CONSOLE_PASSWORD)") }
    let templates = try await ConsoleTemplates.load()
    let sessions = ConsoleSessions(password: password, throttle: LoginThrottle(logger: logger))
    let metrics = ConsoleMetrics()
    let jobs = ConsoleRestoreJobs(runtime: runtime, logger: logger, notifier: notifications.notifier) { metrics.restoreFinished($0) }
    handOver(jobs)
    let router = Router(context: ConsoleContext.self)
    router.add(middleware: ConsoleAuthMiddleware(sessions: sessions))
    let drills = ConsoleDrills(runtime: runtime, notifications: notifications, logger: logger)
    let exports = ConsoleExports(runtime: runtime, logger: logger)
    ConsoleRoutes(runtime: runtime, sessions: sessions, jobs: jobs, drills: drills, exports: exports, metrics: metrics, notifications: notifications, templates: templates,
                  logger: logger).register(on: router)
    let address = settings.address
    let port = settings.port
    let connections = ConsoleLimits.connections(softLimit: FileDescriptorLimit.current()?.soft)
    return Application(router: router, server: ConsoleLimits.server,
                       configuration: ConsoleLimits.configuration(address: .hostname(address, port: port), connections: connections, logger: logger),
                       services: [RestoreJobsShutdown(jobs: jobs)],
                       onServerRunning: { [logger] _ in
                           logger.info("web console listening", metadata: [
                               "address": "\(address):\(port)", "max_connections": "\(connections)", "idle_timeout": "\(ConsoleLimits.idleTimeout.nanoseconds / 1_000_000_000)s",
                           ])
                       },
                       logger: logger)
}

/// The console did not start for a reason of its own settings.
struct ConsoleStartError: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Waits for the application's graceful shutdown (or its cancellation: the server could not
/// listen), then cancels a running console restore and waits until its new database is dropped.
struct RestoreJobsShutdown: Service {
    let jobs: ConsoleRestoreJobs

    func run() async throws {
        try? await gracefulShutdown()
        await jobs.shutdown()
    }
}
