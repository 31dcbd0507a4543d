import Backups
import Foundation
import LaterbaseCore

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
    /// The base backup's tablespaces, one folder per OID (``unpackTablespaces(_:tools:)``).
    public var tablespaceDirectory: String { root + "/tablespaces" }
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
        try manager.createDirectory(atPath: layout.scratchDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
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

    /// The server log (a few lines: replay logs little), empty when there is none.
    package var log: String { FileManager.default.contents(atPath: logFile).map { String(decoding: $0, as: UTF8.self) } ?? "" }

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

    public func isRunning() -> Bool { postmasterPID.map(Self.isAlive) ?? false }

    /// Whether `pid` runs: it exists and is not a zombie. pg_ctl's postmaster belongs to init
    /// once pg_ctl exits, and an init may take its time to reap it; a zombie holds no memory
    /// and no files any more.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }

    /// The server log's last FATAL or PANIC line and its last line, for messages.
    public func logTail() -> String {
        let lines = log.split(whereSeparator: \.isNewline).map(String.init)
        let fatal = lines.last { $0.contains("FATAL:") || $0.contains("PANIC:") }
        return [fatal, lines.last].compactMap { $0 }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.joined(separator: " | ")
    }

    /// Why the server is gone, for messages: ``logTail()``, and when the log holds no FATAL or
    /// PANIC, that something outside ended it (a SIGKILL leaves no line; seen empty when it came
    /// at the start).
    public func stopReason() -> String {
        let tail = logTail()
        guard !log.contains("FATAL:") && !log.contains("PANIC:") else { return tail }
        let outside = "it logged no FATAL or PANIC, so something outside it ended it (the kernel's out-of-memory killer: see dmesg; or another program); run the restore again"
        return tail.isEmpty ? outside : tail + " | " + outside
    }

    /// Stops the server at once (SIGQUIT, SIGKILL after 10 s). Returns once the postmaster has
    /// removed `postmaster.pid` (its children have exited and it writes no more files) or has
    /// exited. Idempotent; never throws.
    func stop() async {
        guard let pid = postmasterPID, Self.isAlive(pid) else { return }
        let pidFile = dataDirectory + "/postmaster.pid"
        let running = { Self.isAlive(pid) && access(pidFile, F_OK) == 0 }
        kill(pid, SIGQUIT)
        for _ in 0..<500 where running() { try? await Task.sleep(for: .milliseconds(20)) }
        guard running() else { return }
        kill(pid, SIGKILL)
        for _ in 0..<50 where Self.isAlive(pid) { try? await Task.sleep(for: .milliseconds(100)) }
    }

    /// Stops the server, deletes the folder, then waits (at most 10 s) until the postmaster
    /// has gone — it writes nothing after `postmaster.pid` is gone, so the folder goes first
    /// while the kernel frees the server's memory. Idempotent; never throws.
    public func remove() async {
        let pid = postmasterPID
        await stop()
        try? FileManager.default.removeItem(atPath: root)
        if let pid {
            for _ in 0..<500 where Self.isAlive(pid) { try? await Task.sleep(for: .milliseconds(20)) }
        }
        // A second pass for what went away (a file the server or the copy removed) or came
        // while the first one ran: Foundation stops at the first file it cannot remove.
        for _ in 0..<3 where FileManager.default.fileExists(atPath: root) {
            try? FileManager.default.removeItem(atPath: root)
            if FileManager.default.fileExists(atPath: root) { try? await Task.sleep(for: .milliseconds(100)) }
        }
    }

    func write(_ text: String, to name: String) throws {
        try SecureFile.writeAtomically(Data(text.utf8), to: dataDirectory + "/" + name, mode: 0o600, owner: account)
    }

    static func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
