import Foundation
import Logging

/// What the supervisor does after each pass: copy new backups offsite (even after a failed
/// pass: what succeeded should leave the building), then apply retention — but only when the
/// pass succeeded for every database, so a broken server never costs old backups.
public struct AfterPass: Sendable {
    public let settings: BackupSettings
    public let zone: TimeZone
    public let logger: Logger

    public init(settings: BackupSettings, zone: TimeZone, logger: Logger) {
        self.settings = settings
        self.zone = zone
        self.logger = logger
    }

    public func run(_ pass: AgentState.Pass) async {
        let layout = BackupLayout(root: settings.backupDirectory)
        let remote = RcloneRemote(settings: settings)
        if let remote {
            let outcome = await OffsiteSync(remote: remote, layout: layout, logger: logger).run()
            if !outcome.failed.isEmpty {
                logger.error("offsite copies are behind; local backups go on", metadata: [
                    "pending": "\(outcome.failed.count)", LogKey.error: "\(outcome.failed.values.first ?? "")",
                ])
            }
        }
        guard pass.failed.isEmpty else {
            logger.notice("retention skipped because the pass failed; no backup is removed")
            return
        }
        do {
            let lock = try await DirectoryLock.acquire(layout.lockFile, folder: layout.root, timeout: .seconds(600))
            defer { lock.release() }
            await Pruner(layout: layout, policy: RetentionPolicy(settings: settings), zone: zone, remote: remote, logger: logger).apply()
        } catch {
            logger.error("retention did not run", metadata: [LogKey.error: "\(error)"])
        }
    }
}
