import Backups
import Foundation
import LaterbaseCore
import Logging
import Restore
import UndoWindow

/// Restoring from the remote alone (`restore --from-offsite`, `list --offsite`): what a fresh
/// machine with only the rclone config can do after `BACKUP_DIR` was lost.
extension AgentRuntime {
    /// The fetcher, or a configuration error when no remote is set.
    public func offsiteFetch() throws(ConfigurationError) -> OffsiteFetch {
        guard let remote else {
            throw ConfigurationError(variable: "RCLONE_REMOTE_NAME", problem: "is needed to read the remote (set it and RCLONE_REMOTE_PATH as when the backups were copied)")
        }
        return OffsiteFetch(remote: remote, backupDirectory: settings.backupDirectory, logger: logger)
    }

    /// `restore --from-offsite FILE | --db NAME [--at TIME] --as NEWDB`: fetches what the restore
    /// needs, restores it as the local restore would, and removes what it fetched once it succeeded
    /// (after a failure it stays for the next try, which fetches only what is missing).
    public func restoreFromOffsite(_ reference: String?, database: String?, at time: Date?, as name: String,
                                   host: String? = nil, port: Int? = nil) async throws -> RestoredLibrary {
        let fetch = try offsiteFetch()
        let restored: RestoredLibrary
        do {
            if let database, let time {
                let layout = try await fetch.fetchArchive(for: time)
                restored = try await PointInTimeRestore(layout: layout, target: restoreTarget(host: host, port: port), user: settings.primary.user)
                    .run(database: database, at: time, as: name)
            } else {
                let backup = try await fetch.fetchDump(reference, database: database)
                restored = try await restore(backup, as: name, host: host, port: port)
            }
        } catch {
            logger.notice("what was fetched stays for the next try; delete it to free the space", metadata: [LogKey.path: "\(fetch.staging)"])
            throw error
        }
        fetch.remove()
        return restored
    }

    /// `list --offsite`: the remote's dumps and its undo window.
    public func offsiteListing() async throws -> (dumps: [OffsiteFetch.RemoteDump], index: OffsiteArchiveIndex?, remote: String) {
        let fetch = try offsiteFetch()
        let dumps = try await fetch.dumps()
        let index = try? await fetch.index()
        return (dumps, index, fetch.remote.location(""))
    }
}

extension AgentRuntime {
    /// `rebuild-local`: ``OffsiteRebuild`` into `BACKUP_DIR`.
    public func rebuildLocal() async throws -> OffsiteRebuild.Outcome {
        try await OffsiteRebuild(fetch: try offsiteFetch(), layout: layout).run()
    }
}

extension AgentRuntime {
    /// `drill` (and each firing of `DRILL_SCHEDULE`): ``OffsiteDrill`` into a scratch database on
    /// the Resolve server, recorded in `.laterbase/drills.json` and logged.
    public func drill() async throws -> DrillRecord {
        let fetch = try offsiteFetch()
        logger.info("disaster drill from the remote starting", metadata: ["remote": "\(fetch.remote.location(""))"])
        let record = try await OffsiteDrill(fetch: fetch, target: restoreTarget(), user: settings.primary.user).run()
        try? SecureDirectory.create(layout.stateDirectory, mode: 0o700)
        try? record.save(layout.stateDirectory)
        if record.passed {
            logger.info("disaster drill passed", metadata: ["summary": "\(record.summary)"])
        } else {
            logger.error("disaster drill failed", metadata: [LogKey.error: "\(record.error ?? "")", "library": "\(record.library ?? "-")"])
        }
        return record
    }
}
