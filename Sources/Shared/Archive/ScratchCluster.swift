import Foundation

/// The throwaway server of `restore --at`: a base backup unpacked into
/// `BACKUP_DIR/.scratch/<random>/data` (0700, owned by the `postgres` account when run as root),
/// the WAL it needs copied beside it, recovery to a target time, reachable only through a Unix
/// socket in its own 0700 folder (`trust` there: only its owner and root can reach that socket;
/// no TCP listener). ``remove()`` stops it (SIGQUIT: immediate) and deletes the folder.
public struct ScratchCluster: Sendable {
    public let root: String
    public let binaries: String
    public let account: SystemAccount?
    public let port: Int

    public var dataDirectory: String { root + "/data" }
    public var walDirectory: String { root + "/wal" }
    public var logFile: String { root + "/server.log" }

    /// Holds the scratch folder's lock (`<root>.lock`) for the restore's lifetime: a folder
    /// whose lock nobody holds was left by a restore that was killed (SIGKILL, power loss).
    public static func lock(_ root: String) throws -> DirectoryLock? { try DirectoryLock.tryAcquire(root + ".lock") }

    /// Stops and removes scratch servers of restores that died without cleaning up (their
    /// lock is free). Never touches a running restore's folder.
    public static func removeAbandoned(in layout: ArchiveLayout) async {
        let manager = FileManager.default
        for entry in (try? manager.contentsOfDirectory(atPath: layout.scratchDirectory)) ?? [] where entry.hasPrefix("restore-") && !entry.hasSuffix(".lock") {
            let root = layout.scratchDirectory + "/" + entry
            guard let lock = try? lock(root) else { continue }
            let abandoned = ScratchCluster(root: root, binaries: "", account: nil, port: 0)
            await abandoned.remove()
            unlink(root + ".lock")
            lock.release()
        }
    }

    /// Makes the folder and takes its lock (hold it until ``remove()``). As root the server runs
    /// as `postgres`, which must be able to reach the folder.
    public static func create(in layout: ArchiveLayout, binaries: String) throws -> (ScratchCluster, DirectoryLock?) {
        let account = SystemAccount.isRoot ? SystemAccount(named: "postgres") : nil
        if SystemAccount.isRoot && account == nil {
            throw ArchiveError(.scratch, "restore --at runs a PostgreSQL server, which refuses root, and there is no postgres account to run it as")
        }
        let manager = FileManager.default
        try manager.createDirectory(atPath: layout.scratchDirectory, withIntermediateDirectories: true)
        chmod(layout.scratchDirectory, 0o711)
        var template = Array((layout.scratchDirectory + "/restore-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw ArchiveError(.scratch, "cannot create a scratch folder in \(layout.scratchDirectory): \(String(cString: strerror(errno)))") }
        let root = String(cString: made)
        let lock = try? Self.lock(root)
        do {
            // The server's socket lives in `root`; a Unix socket path holds at most 107 bytes.
            guard (root + "/.s.PGSQL.65535.lock").utf8.count <= 107 else {
                throw ArchiveError(.scratch, "BACKUP_DIR \(layout.root) is too long a path for the scratch server's socket (\(root)); use a BACKUP_DIR of at most 60 characters")
            }
            try manager.createDirectory(atPath: root + "/data", withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            try manager.createDirectory(atPath: root + "/wal", withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            if let account { try account.own(recursively: root) }
            if let account, access(layout.root, X_OK) == 0, !Self.reachable(root, by: account) {
                throw ArchiveError(.scratch, "the postgres account cannot reach \(root); let it traverse BACKUP_DIR (chmod o+x \(layout.root))")
            }
            return (ScratchCluster(root: root, binaries: binaries, account: account, port: try LoopbackPort.free()), lock)
        } catch {
            try? manager.removeItem(atPath: root)
            unlink(root + ".lock")
            throw error
        }
    }

    /// Whether every folder above `path` lets `account` through (others' or its own execute bit).
    static func reachable(_ path: String, by account: SystemAccount) -> Bool {
        var current = (path as NSString).deletingLastPathComponent
        while !current.isEmpty && current != "/" {
            var info = stat()
            guard stat(current, &info) == 0 else { return false }
            let mode = info.st_mode
            let ok = info.st_uid == account.uid ? mode & 0o100 != 0 : (info.st_gid == account.gid ? mode & 0o010 != 0 : mode & 0o001 != 0)
            if !ok { return false }
            current = (current as NSString).deletingLastPathComponent
        }
        return true
    }

    /// Unpacks `base.tar.gz` and `pg_wal.tar.gz` of `base` and gives the files to the server's account.
    public func unpack(_ base: StoredBaseBackup) async throws {
        _ = try await ChildProcess("/bin/tar", ["-xzf", base.path + "/base.tar.gz", "-C", dataDirectory]).output()
        let pgWal = dataDirectory + "/pg_wal"
        try FileManager.default.createDirectory(atPath: pgWal, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: base.path + "/pg_wal.tar.gz") {
            _ = try await ChildProcess("/bin/tar", ["-xzf", base.path + "/pg_wal.tar.gz", "-C", pgWal]).output()
        }
        if let account { try account.own(recursively: dataDirectory) }
        chmod(dataDirectory, 0o700)
    }

    /// Puts archive segments where `restore_command` finds them, each under its final name (a
    /// `.partial` too: it holds the last seconds before the receiver or the primary stopped).
    /// Complete segments are hard-linked when the server runs as the archive's owner (the
    /// agent's image); as root they are copied for the `postgres` account. A `.partial` is
    /// always copied: pg_receivewal may still be writing it.
    public func stage(_ files: [WalFile]) async throws {
        for file in files {
            try Task.checkCancellation()
            let target = walDirectory + "/" + file.segment.name
            try? FileManager.default.removeItem(atPath: target)
            if account == nil && !file.isPartial && link(file.path, target) == 0 { continue }
            try FileManager.default.copyItem(atPath: file.path, toPath: target)
            if let account { _ = lchown(target, account.uid, account.gid) }
            chmod(target, 0o600)
            await Task.yield()
        }
    }

    /// Copies the archive's timeline history files (`00000002.history`, written by pg_receivewal
    /// when the primary changed timeline, e.g. after a promote), so replay can follow the switch.
    public func stageHistory(from layout: ArchiveLayout) throws {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.walDirectory)) ?? [] where name.hasSuffix(".history") {
            let target = walDirectory + "/" + name
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: layout.walDirectory + "/" + name, toPath: target)
            if let account { _ = lchown(target, account.uid, account.gid) }
        }
    }

    /// Writes the recovery settings (last in `postgresql.auto.conf`, so they win) and a
    /// `pg_hba.conf` that admits only the socket. `target` nil: replay all staged WAL.
    public func configure(target: Date?) throws {
        let manager = FileManager.default
        for name in ["standby.signal", "postmaster.pid", "postmaster.opts"] { try? manager.removeItem(atPath: dataDirectory + "/" + name) }
        for name in ["postgresql.conf", "pg_ident.conf"] where !manager.fileExists(atPath: dataDirectory + "/" + name) {
            try write("", to: name)
        }
        try write("local all all trust\n", to: "pg_hba.conf")
        try write("", to: "recovery.signal")
        let restore = "cp \(Self.shellQuoted(walDirectory))/%f \"%p\""
        var lines = [
            "port = \(port)", "listen_addresses = ''", "unix_socket_directories = \(ConfigFileText.quote(root))",
            "hba_file = \(ConfigFileText.quote(dataDirectory + "/pg_hba.conf"))", "ident_file = \(ConfigFileText.quote(dataDirectory + "/pg_ident.conf"))",
            "ssl = off", "archive_mode = off", "archive_command = ''", "hot_standby = on", "primary_conninfo = ''", "primary_slot_name = ''",
            "shared_preload_libraries = ''", "logging_collector = off",
            // A throwaway server: no fsync, rare restartpoints — replay runs as fast as the disk reads.
            "fsync = off", "synchronous_commit = off", "max_wal_size = '8GB'", "checkpoint_timeout = '1h'", "log_destination = 'stderr'", "restore_command = \(ConfigFileText.quote(restore))",
        ]
        if let target {
            lines += ["recovery_target_time = \(ConfigFileText.quote(RestoreTime.postgresText(target)))", "recovery_target_action = 'pause'"]
        } else {
            lines += ["recovery_target_time = ''", "recovery_target_action = 'pause'"]
        }
        let path = dataDirectory + "/postgresql.auto.conf"
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        try write(existing + "\n# laterbase restore --at\n" + lines.joined(separator: "\n") + "\n", to: "postgresql.auto.conf")
    }

    /// `pg_ctl start -w`: returns once the server accepts connections (consistent), or throws.
    public func start(timeoutSeconds: Int) async throws {
        var start = ChildProcess(binaries + "/pg_ctl", ["-D", dataDirectory, "-l", logFile, "-w", "-t", String(timeoutSeconds), "start"])
        start.account = account
        start.environment = ["PGPASSWORD": nil, "PGPASSFILE": nil, "REPL_PASSWORD": nil, "REPL_PASSWORD_FILE": nil]
        _ = try await start.output()
    }

    /// The libpq parameters for the socket; no password: `trust` on the socket.
    public func connection(user: String, database: String = "postgres") -> ConnectionParameters {
        ConnectionParameters(host: root, port: port, user: user, database: database, sslMode: "disable", connectTimeoutSeconds: 5,
                             applicationName: "laterbase-restore-at")
    }

    /// The postmaster's PID while it runs.
    public var postmasterPID: pid_t? {
        (try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8))?.split(separator: "\n").first.flatMap { pid_t($0) }
    }

    public func isRunning() -> Bool { postmasterPID.map { kill($0, 0) == 0 } ?? false }

    /// The server log's last FATAL or PANIC line and its last line, for messages.
    public func logTail() -> String {
        let lines = ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "").split(whereSeparator: \.isNewline).map(String.init)
        let fatal = lines.last { $0.contains("FATAL:") || $0.contains("PANIC:") }
        return [fatal, lines.last].compactMap { $0 }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.joined(separator: " | ")
    }

    /// Stops the server at once (SIGQUIT, SIGKILL after 10 s). Idempotent; never throws.
    public func stop() async {
        guard let pid = postmasterPID, kill(pid, 0) == 0 else { return }
        kill(pid, SIGQUIT)
        for _ in 0..<100 where kill(pid, 0) == 0 { try? await Task.sleep(for: .milliseconds(100)) }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        for _ in 0..<50 where kill(pid, 0) == 0 { try? await Task.sleep(for: .milliseconds(100)) }
    }

    /// Stops the server and deletes the folder. Idempotent; never throws.
    public func remove() async {
        await stop()
        try? FileManager.default.removeItem(atPath: root)
    }

    private func write(_ text: String, to name: String) throws {
        try SecureFile.writeAtomically(Data(text.utf8), to: dataDirectory + "/" + name, mode: 0o600, owner: account)
    }

    static func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
