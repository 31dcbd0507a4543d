import Agent
import Foundation
import LaterbaseCore
import Logging
import Restore

/// The console's "Run a disaster drill now": one drill at a time in the background (closing
/// the page does not stop it); its record lands in `.laterbase/drills.json` like a scheduled
/// one's, where the overview shows it, and a failure is told as a scheduled drill's is.
actor ConsoleDrills {
    private let runtime: AgentRuntime
    private let notifications: AgentNotifications
    private let logger: Logger
    private(set) var runningSince: Date?

    init(runtime: AgentRuntime, notifications: AgentNotifications, logger: Logger) {
        self.runtime = runtime
        self.notifications = notifications
        self.logger = logger
    }

    /// Starts a drill. - Throws: ``ConsoleProblem`` without a remote or while one runs.
    func start() throws {
        guard runtime.remote != nil else { throw ConsoleProblem("offsite copies are off (RCLONE_REMOTE_NAME is not set); there is no remote to drill with") }
        if let runningSince { throw ConsoleProblem("a drill is running since \(UTCFormat.message(runningSince)); one at a time") }
        runningSince = Date()
        logger.notice("console: disaster drill started")
        let (runtime, notifications) = (self.runtime, self.notifications)
        Task {
            if let record = try? await runtime.drill() { await notifications.drilled(record) }
            self.finished()
        }
    }

    private func finished() { runningSince = nil }
}
