import Foundation
import LaterbaseCore
import Logging

/// The first boot: waits (bounded) for the primary, runs the preflight, makes sure the slot
/// exists, clones into `<PGDATA>.clone-tmp`, writes the standby configuration there, and only
/// then renames it into place.
///
/// On any failure, cancellation included, the temporary directory is removed and a slot
/// created by this run is dropped again, so nothing is left that a later start would take for
/// a standby and no slot keeps WAL on the Resolve server for a standby that never came.
public struct StandbyCloner: Sendable {
    public var settings: StandbySettings
    public var options: StandbyCloneOptions
    public var tools: PostgresTools
    public var account: SystemAccount?
    public var preflight: Preflight
    public var logger: Logger

    public init(settings: StandbySettings, options: StandbyCloneOptions, tools: PostgresTools,
                account: SystemAccount?, preflight: Preflight, logger: Logger) {
        self.settings = settings
        self.options = options
        self.tools = tools
        self.account = account
        self.preflight = preflight
        self.logger = logger
    }

    private var target: String { "\(settings.primary.host):\(settings.primary.port)" }

    /// Waits (bounded) for the primary and runs the clone's preflight; throws the failures as
    /// one line. Changes nothing, so it can vouch for a clone before anything is moved aside.
    public func checkReady() async throws -> PrimaryFacts {
        let facts = try await waitForPrimary()
        var clonePreflight = preflight
        clonePreflight.sendersNeeded = 2
        let checks = clonePreflight.evaluate(facts)
        for check in checks where check.name == "password" && check.outcome == .fail {
            logger.warning("\(check.line)")
        }
        let failures = checks.filter { $0.outcome == .fail && $0.name != "password" }
        if !failures.isEmpty {
            throw StandbyError(.primaryNotReady, "the primary is not ready for a standby: " + failures.map(\.line).joined(separator: " | "))
        }
        return facts
    }

    /// Clones the primary into `PGDATA`, which must be absent or an empty directory.
    /// - Throws: ``StandbyError`` with the reason and the fix; `CancellationError` or a
    ///   ``ChildProcessError`` when stopped.
    public func clone() async throws {
        let data = DataDirectory(path: settings.dataDirectory)
        // A mounted volume cannot be replaced by a rename: build the clone inside it instead.
        let inPlace = data.isMountPoint()
        let facts = try await checkReady()
        var createdSlot = false
        if facts.slot == nil {
            try await PostgresConnection.withConnection(settings.primary.connection(replication: true)) { [slot = settings.slotName] in
                try $0.createPhysicalSlot(slot)
            }
            createdSlot = true
            logger.info("created the replication slot on the primary", metadata: [LogKey.slot: "\(settings.slotName)"])
        }
        do {
            try await cloneAndInstall(data: data, inPlace: inPlace, hotStandbyParameters: facts.hotStandbyParameters)
        } catch {
            // pg_basebackup's WAL-streaming child outlives a stopped pg_basebackup for a while:
            // end its WAL sender first, so it neither holds the slot nor writes into the clone.
            await terminateSlotHolder()
            if inPlace {
                removeTemporary(data.inPlaceClonePath)
                if (try? data.removeLeftoverClone()) == nil {
                    logger.error("could not clean up the unfinished clone in PGDATA; the next start tries again", metadata: [LogKey.path: "\(data.path)"])
                }
            } else {
                removeTemporary(data.cloneTemporaryPath)
            }
            // The passfile beside PGDATA is written with the configuration; without a clone it serves nothing.
            unlink(data.passfilePath)
            if createdSlot { await dropSlot() }
            if error is CancellationError || Task.isCancelled { throw error }
            if let failure = error as? StandbyError { throw failure }
            throw StandbyError(.cloneFailed, "cloning the primary at \(target) failed, nothing was kept: \(error)")
        }
        logger.info("the standby's data directory is ready", metadata: [LogKey.path: "\(data.path)"])
    }

    private func cloneAndInstall(data: DataDirectory, inPlace: Bool, hotStandbyParameters: [(String, String)]) async throws {
        let temporary = inPlace ? data.inPlaceClonePath : data.cloneTemporaryPath
        let parent = (data.path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        if inPlace {
            logger.info("PGDATA is a mount point: building the clone inside it", metadata: [LogKey.path: "\(temporary)"])
            try SecureFile.writeAtomically(Data(), to: data.inPlaceMarkerPath, mode: 0o600)
        }
        guard mkdir(temporary, 0o700) == 0 else {
            throw StandbyError(.fileSystem, "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        if let account, chown(temporary, account.uid, account.gid) != 0 {
            throw StandbyError(.fileSystem, "cannot give \(temporary) to \(account.name): \(String(cString: strerror(errno)))")
        }
        let backup = BaseBackup(primary: settings.primary, slotName: settings.slotName, options: options, tools: tools, account: account)
        try await backup.run(into: temporary, logger: logger)
        try Task.checkCancellation()
        let configurator = StandbyConfigurator(settings: settings, account: account, hotStandbyParameters: hotStandbyParameters)
        try configurator.write(into: temporary, finalPath: data.path, createSignal: true, logger: logger)
        try Task.checkCancellation()
        if inPlace { try data.installCloneInPlace() } else { try data.installClone() }
    }

    /// Gathers facts until the primary answers or ``StandbyCloneOptions/retrySeconds`` pass.
    private func waitForPrimary() async throws -> PrimaryFacts {
        let deadline = ContinuousClock.now + .seconds(options.retrySeconds)
        var delay = 1
        while true {
            let facts = await PrimaryProbe.gather(primary: settings.primary, slotName: settings.slotName)
            guard facts.isUnreachable, let error = facts.connectionError else { return facts }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero {
                throw StandbyError(.primaryUnreachable, "the primary at \(target) did not answer for \(options.retrySeconds) s (STANDBY_CLONE_RETRY_SECONDS), "
                    + "so there is nothing to clone: \(error.message); fix: \(preflight.connectionFix(error))")
            }
            let wait = min(Duration.seconds(delay), remaining)
            logger.warning("the primary does not answer yet; retrying", metadata: [LogKey.host: "\(target)", LogKey.error: "\(error.message)", LogKey.seconds: "\(wait.components.seconds)"])
            try await Task.sleep(for: wait)
            delay = min(delay * 2, 15)
        }
    }

    /// Ends the WAL sender that still uses the slot (this run's pg_basebackup). Best effort;
    /// a role may end its own sessions, so no superuser is needed.
    private func terminateSlotHolder() async {
        let parameters = settings.primary.connection(timeoutSeconds: 5)
        _ = try? await PostgresConnection.withConnection(parameters, cancellable: false) { [slot = settings.slotName] connection in
            try connection.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL", [slot])
        }
    }

    /// Removes the unfinished clone, retrying while a lingering writer adds files to it.
    private func removeTemporary(_ path: String) {
        for attempt in 0..<10 {
            do {
                try FileManager.default.removeItem(atPath: path)
                return
            } catch {
                if !FileManager.default.fileExists(atPath: path) { return }
                if attempt == 9 { logger.error("could not remove the unfinished clone; remove it before the next start", metadata: [LogKey.path: "\(path)", LogKey.error: "\(error)"]) }
                usleep(300_000)
            }
        }
    }

    private func dropSlot() async {
        do {
            // The WAL sender of the stopped pg_basebackup may hold the slot for a moment (55006).
            // Not cancellable: it is the clean-up of a cancelled clone.
            try await PostgresConnection.withConnection(settings.primary.connection(replication: true, timeoutSeconds: 5), cancellable: false) { [slot = settings.slotName] connection in
                var attempts = 0
                while true {
                    do {
                        try connection.dropSlot(slot)
                        return
                    } catch let error as PostgresError where error.sqlState == "55006" && attempts < 30 {
                        attempts += 1
                        usleep(200_000)
                    }
                }
            }
            logger.info("dropped the replication slot created for the failed clone", metadata: [LogKey.slot: "\(settings.slotName)"])
        } catch {
            logger.warning("could not drop the replication slot created for the failed clone; drop it on the primary: \(ResolveServerHints.dropSlotSQL(settings.slotName))",
                           metadata: [LogKey.error: "\(error)"])
        }
    }
}
