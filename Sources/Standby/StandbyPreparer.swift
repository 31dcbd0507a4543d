import Foundation
import LaterbaseCore
import Logging

/// Everything `standby-entrypoint run` does before postgres starts: first boot (clone) or later
/// boot (check the data directory against the primary, refresh the connection settings),
/// moving a mismatched directory aside under `STANDBY_RECLONE=auto`.
///
/// Never deletes a data directory, and never moves one a live server uses (``PostmasterPidFile``).
/// Throws ``StandbyError`` with the reason and the fix.
public struct StandbyPreparer: Sendable {
    public var settings: StandbySettings
    public var options: StandbyCloneOptions
    public var tools: PostgresTools
    /// The account postgres runs as (nil: the current user).
    public var account: SystemAccount?
    public var logger: Logger

    public init(settings: StandbySettings, options: StandbyCloneOptions, tools: PostgresTools, account: SystemAccount?, logger: Logger) {
        self.settings = settings
        self.options = options
        self.tools = tools
        self.account = account
        self.logger = logger
    }

    private var target: String { "\(settings.primary.host):\(settings.primary.port)" }

    /// What ``prepare()`` hands to ``PostgresExec``: the binary, and the lock that postgres
    /// must go on holding.
    public struct Prepared: Sendable {
        public let postgres: String
        public let lock: StandbyLock
    }

    /// Takes the ``StandbyLock`` (a second run on the same `PGDATA` fails here, having touched
    /// nothing), then leaves `PGDATA` ready for postgres.
    public func prepare() async throws -> Prepared {
        let data = DataDirectory(path: settings.dataDirectory)
        let lock = try StandbyLock.acquire(data, owner: account)
        let postgres = try tools.require("postgres")
        let localVersion = try await LocalPostgres.majorVersion(binary: postgres)
        let preflight = Preflight(primary: settings.primary, slotName: settings.slotName, createSlot: settings.createSlot,
                                  localVersion: localVersion, localBinary: postgres, sendersNeeded: 1)
        let orphans = await OrphanedClone.end(writingInto: [data.cloneTemporaryPath, data.inPlaceClonePath])
        if !orphans.isEmpty {
            logger.warning("ended pg_basebackup left running by a start that was killed outright", metadata: ["pids": "\(orphans)"])
            await waitForSlotRelease()
        }
        if try data.removeLeftoverClone() {
            logger.warning("removed an unfinished clone left by an interrupted start", metadata: [LogKey.path: "\(data.cloneTemporaryPath)"])
        }
        switch data.inspect() {
        case .absent:
            logger.info("no data directory yet: first boot", metadata: [LogKey.path: "\(data.path)"])
            try await cloner(preflight).clone()
        case .foreign:
            throw StandbyError(.notADataDirectory, "PGDATA \(data.path) cannot be read or holds files but no PostgreSQL data directory (no PG_VERSION); "
                + "nothing was changed: make it readable by root, move those files elsewhere, or point PGDATA at an empty directory")
        case .standby(let version):
            try await laterBoot(data: data, version: version, isStandby: true, localVersion: localVersion, postgres: postgres, preflight: preflight)
        case .notStandby(let version):
            try await laterBoot(data: data, version: version, isStandby: false, localVersion: localVersion, postgres: postgres, preflight: preflight)
        }
        try fixOwnership(data)
        return Prepared(postgres: postgres, lock: lock)
    }

    private func cloner(_ preflight: Preflight) -> StandbyCloner {
        StandbyCloner(settings: settings, options: options, tools: tools, account: account, preflight: preflight, logger: logger)
    }

    private func laterBoot(data: DataDirectory, version: String, isStandby: Bool, localVersion: PostgresMajorVersion,
                           postgres: String, preflight: Preflight) async throws {
        if let dataVersion = PostgresMajorVersion(versionText: version), dataVersion != localVersion {
            try await mismatch("PGDATA \(data.path) holds a PostgreSQL \(dataVersion) data directory but postgres (\(postgres)) is PostgreSQL \(localVersion)",
                               data: data, preflight: preflight)
            return
        }
        let control = try await ControlData.read(dataDirectory: data.path, tools: tools)
        let facts = await PrimaryProbe.gather(primary: settings.primary, slotName: settings.slotName)
        guard let identity = facts.identity else {
            let error = facts.connectionError ?? facts.replicationError
            let why = error.map { "\($0.message); fix: \(preflight.connectionFix($0))" } ?? "unknown reason"
            let autoConf = (try? String(contentsOfFile: data.path + "/postgresql.auto.conf", encoding: .utf8)) ?? ""
            guard isStandby || autoConf.contains(ConfigFileText.managedMarker) else {
                throw StandbyError(.foreignPrimary, "PGDATA \(data.path) holds a primary's data directory that standby-entrypoint never configured, "
                    + "and the primary at \(target) does not answer to compare it with; nothing was changed: point PGDATA at the standby's "
                    + "data directory or an empty one")
            }
            if isStandby {
                logger.warning("the primary does not answer; starting the standby anyway: it serves reads, can be promoted, and reconnects by itself (\(why))",
                               metadata: [LogKey.host: "\(target)"])
            } else {
                logger.warning("PGDATA was promoted (no standby.signal) and the old primary does not answer: starting it as the primary (\(why))",
                               metadata: [LogKey.host: "\(target)", LogKey.path: "\(data.path)"])
            }
            try configurator(facts).write(into: data.path, finalPath: data.path, createSignal: false, logger: logger)
            return
        }
        if identity.systemID != control.systemIdentifier {
            try await mismatch("PGDATA \(data.path) is a copy of the PostgreSQL cluster with system identifier \(control.systemIdentifier) "
                + "but the primary at \(target) is \(identity.systemID): the Resolve server was re-initialised or PRIMARY_HOST names another server",
                data: data, preflight: preflight)
            return
        }
        if !isStandby {
            if let local = control.timeline, local > identity.timeline {
                throw StandbyError(.promotedAhead, "PGDATA \(data.path) was promoted (timeline \(local)) and has changes the answering old primary at \(target) "
                    + "(timeline \(identity.timeline)) lacks; refusing to start it as a standby or to replace it, whatever STANDBY_RECLONE says: "
                    + "stop the old primary (or point PRIMARY_HOST elsewhere) and restart, then rebuild the old server from this one")
            }
            try await mismatch("PGDATA \(data.path) is no longer a standby (no standby.signal: it was promoted) while the primary at \(target) still answers",
                               data: data, preflight: preflight)
            return
        }
        logger.info("data directory matches the primary", metadata: [LogKey.host: "\(target)", "system_id": "\(identity.systemID)"])
        try await checkAgain(facts, preflight: preflight)
        try configurator(facts).write(into: data.path, finalPath: data.path, createSignal: false, logger: logger)
    }

    /// Gives the primary up to 10 s to notice that the ended orphan's connection is gone and to
    /// release the slot, so the clone's preflight does not find it in use.
    private func waitForSlotRelease() async {
        for _ in 0..<50 {
            let facts = await PrimaryProbe.gather(primary: settings.primary, slotName: settings.slotName)
            if facts.slot?.active != true { return }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Later-boot preflight: problems are logged, not fatal (the standby still serves reads);
    /// a missing slot is created again when `CREATE_SLOT=true`.
    private func checkAgain(_ facts: PrimaryFacts, preflight: Preflight) async throws {
        for check in preflight.evaluate(facts) where check.outcome == .fail {
            if check.name == "slot", facts.slot?.active == true {
                logger.warning("the slot is still marked active, probably by this standby's previous connection; postgres retries",
                               metadata: [LogKey.slot: "\(settings.slotName)"])
                continue
            }
            logger.warning("\(check.line)")
        }
        if facts.slotLooked, facts.slot == nil, settings.createSlot {
            do {
                try await PostgresConnection.withConnection(settings.primary.connection(replication: true)) { [slot = settings.slotName] in
                    try $0.createPhysicalSlot(slot)
                }
                logger.warning("the replication slot was missing on the primary and was created again; if the primary already removed WAL this standby needs, set STANDBY_RECLONE=auto and restart",
                               metadata: [LogKey.slot: "\(settings.slotName)"])
            } catch {
                logger.error("could not create the missing replication slot", metadata: [LogKey.error: "\(error)"])
            }
        }
    }

    /// `never`: refuse with the reason and both ways out. `auto`: move aside and clone again.
    private func mismatch(_ reason: String, data: DataDirectory, preflight: Preflight) async throws {
        switch settings.reclone {
        case .never:
            throw StandbyError(.mismatch, "\(reason). STANDBY_RECLONE=never, so nothing was changed: set STANDBY_RECLONE=auto to move it aside "
                + "to \(data.path).old-<time> and clone the primary again, or move it away yourself")
        case .auto:
            // Another server's directory (a live PID in postmaster.pid) is never moved from under it.
            try data.refuseIfServerRuns(before: "move it aside and clone the primary again (STANDBY_RECLONE=auto, it does not match the primary)")
            guard !data.isMountPoint() else {
                throw StandbyError(.mismatchOnMountPoint, "\(reason). STANDBY_RECLONE=auto cannot move PGDATA \(data.path) aside because it is a mounted volume; "
                    + "nothing was changed: set PGDATA to a directory inside the volume (e.g. \(data.path)/pgdata) or move the old files away yourself")
            }
            // Only move the working directory aside once a new clone can start.
            _ = try await cloner(preflight).checkReady()
            let aside = try data.moveAside()
            logger.warning("\(reason); moved it aside (STANDBY_RECLONE=auto) and cloning again; delete the old copy once you no longer need it",
                           metadata: [LogKey.path: "\(aside)"])
            try await cloner(preflight).clone()
        }
    }

    private func configurator(_ facts: PrimaryFacts) -> StandbyConfigurator {
        StandbyConfigurator(settings: settings, account: account, hotStandbyParameters: facts.hotStandbyParameters)
    }

    /// As root: everything in PGDATA belongs to the server's account; PGDATA itself is 0700.
    private func fixOwnership(_ data: DataDirectory) throws {
        if let account { try account.own(recursively: data.path) }
        guard chmod(data.path, 0o700) == 0 else {
            throw StandbyError(.fileSystem, "cannot chmod 0700 \(data.path): \(String(cString: strerror(errno)))")
        }
    }
}
