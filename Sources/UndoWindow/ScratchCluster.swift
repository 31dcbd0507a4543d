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

    /// Unpacks `base.tar.*` and `pg_wal.tar.*` of `base` (zstd, gzip or plain tar, see
    /// ``BaseBackupCompression``) and gives the files to the server's account. With `selective`,
    /// the other libraries' relation files are left out of the unpack and made as sparse files of
    /// their size instead (``SelectiveUnpack``), from `files`: the base backup's `backup_manifest`.
    public func unpack(_ base: StoredBaseBackup, selective: SelectiveUnpack? = nil, files: [(path: String, size: Int64)] = [],
                       tools: PostgresTools = PostgresTools()) async throws {
        let zeroFilled = selective.map { selective in files.filter { selective.isZeroed($0.path) } } ?? []
        guard try await Self.extract(base.path, "base", into: dataDirectory, excluding: selective?.tarExclusions ?? [], tools: tools) else {
            throw ArchiveError(.badBaseBackup, "the base backup \(base.path) holds no base.tar, base.tar.gz or base.tar.zst")
        }
        for file in zeroFilled { try makeZeroFilled(file.path, size: file.size) }
        try await unpackTablespaces(base, tools: tools)
        let pgWal = dataDirectory + "/pg_wal"
        try FileManager.default.createDirectory(atPath: pgWal, withIntermediateDirectories: true)
        _ = try await Self.extract(base.path, "pg_wal", into: pgWal, tools: tools)
        if let account { try account.own(recursively: dataDirectory) }
        chmod(dataDirectory, 0o700)
    }

    /// Unpacks the base backup's tablespaces (`tablespace_map`, from base.tar: one `OID PATH` line
    /// each, PATH a folder on the Resolve server) from their own tars (`OID.tar[.zst|.gz]`) into
    /// ``tablespaceDirectory``, and rewrites the map to point there. The server makes
    /// `pg_tblspc/OID` from the map when it starts: left as it was, the link would lead to the
    /// Resolve server's own folder, and where that path exists on this host replay would write
    /// into the live server's files. A link already in `pg_tblspc` is refused for the same reason.
    func unpackTablespaces(_ base: StoredBaseBackup, tools: PostgresTools) async throws {
        let manager = FileManager.default
        let links = dataDirectory + "/pg_tblspc"
        // pg_basebackup -Ft sends the map and leaves the links out; a link here came from elsewhere.
        for name in (try? manager.contentsOfDirectory(atPath: links)) ?? [] where (try? manager.destinationOfSymbolicLink(atPath: links + "/" + name)) != nil {
            throw ArchiveError(.badBaseBackup, "the base backup \(base.path) holds a link pg_tblspc/\(name); restore --at makes tablespace links only from tablespace_map, into the scratch folder")
        }
        guard let map = manager.contents(atPath: dataDirectory + "/tablespace_map") else { return }
        let oids = try Self.tablespaceOIDs(inMap: String(decoding: map, as: UTF8.self), base: base.path)
        // pg_basebackup writes an empty map when the server has no tablespace.
        guard !oids.isEmpty else { return }
        // The server reads a backslash as an escape and a newline as the end of an entry.
        guard !tablespaceDirectory.unicodeScalars.contains(where: { $0 == "\\" || $0 == "\n" || $0 == "\r" }) else {
            throw ArchiveError(.scratch, "the scratch folder \(root) has a backslash or a line break in its path, which tablespace_map cannot carry; choose a BACKUP_DIR without one")
        }
        var lines = ""
        for oid in oids {
            let directory = tablespaceDirectory + "/\(oid)"
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            guard try await Self.extract(base.path, "\(oid)", into: directory, tools: tools) else {
                throw ArchiveError(.badBaseBackup, "the base backup \(base.path) has the tablespace \(oid) in its tablespace_map but no \(oid).tar; choose a time that a later base backup covers")
            }
            lines += "\(oid) \(directory)\n"
        }
        try write(lines, to: "tablespace_map")
        if let account { try account.own(recursively: tablespaceDirectory) }
    }

    /// The OIDs of a `tablespace_map` (`OID PATH` per entry, where a backslash makes the next
    /// character part of PATH, a line break included, as the server reads it). Pure.
    static func tablespaceOIDs(inMap text: String, base: String) throws -> [UInt32] {
        var entries: [String] = []
        var entry = ""
        var escaped = false
        for character in text {
            if escaped {
                entry.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\n" || character == "\r" || character == "\r\n" {
                if !entry.isEmpty { entries.append(entry) }
                entry = ""
            } else {
                entry.append(character)
            }
        }
        if !entry.isEmpty { entries.append(entry) }
        return try entries.map { entry in
            guard let oid = entry.split(separator: " ", maxSplits: 1).first.flatMap({ UInt32($0) }) else {
                throw ArchiveError(.badBaseBackup, "the base backup \(base) has an unreadable tablespace_map entry: \(entry)")
            }
            return oid
        }
    }

    /// A sparse file of `size` bytes, all zeros, at `path` in the data directory (its folder was unpacked).
    private func makeZeroFilled(_ path: String, size: Int64) throws {
        let target = dataDirectory + "/" + path
        let descriptor = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ArchiveError(.scratch, "cannot make \(target): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(size)) == 0 else {
            throw ArchiveError(.scratch, "cannot size \(target): \(String(cString: strerror(errno)))")
        }
    }

    /// `tar -xf folder/name.tar[.zst|.gz] -C directory`; false when there is no such file.
    static func extract(_ folder: String, _ name: String, into directory: String, excluding exclusions: [String] = [], tools: PostgresTools) async throws -> Bool {
        guard let compression = BaseBackupCompression.allCases.first(where: { FileManager.default.fileExists(atPath: folder + "/" + name + $0.suffix) }) else {
            return false
        }
        let file = folder + "/" + name + compression.suffix
        var arguments = exclusions + ["-xf", file, "-C", directory]
        if compression == .zstd {
            guard let zstd = tools.find("zstd") else {
                throw ArchiveError(.badBaseBackup, "\(file) is zstd-compressed, but no zstd program was found on PATH; install zstd (the agent's image has it)")
            }
            arguments = ["-I", zstd] + arguments
        } else if compression == .gzip {
            arguments = ["-z"] + arguments
        }
        _ = try await ChildProcess("/bin/tar", arguments).output()
        return true
    }

    /// Copies archive segments to where `restore_command` finds them, each under its final
    /// name (a `.partial` too: it holds the last seconds before the receiver or the primary
    /// stopped), owned by the server's account. They are private copies, never links into the
    /// archive: `restore_command` moves them into `pg_wal`, where the server may recycle and
    /// overwrite segments. Each file is copied into a hidden folder first and renamed into place,
    /// so a server already replaying never takes a half-copied segment.
    public func stage(_ files: [WalFile]) async throws {
        let manager = FileManager.default
        let incoming = walDirectory + "/.incoming"
        try? manager.removeItem(atPath: incoming)
        try manager.createDirectory(atPath: incoming, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? manager.removeItem(atPath: incoming) }
        // cp (copy_file_range in the kernel), 500 files a call: Foundation's copy is several times slower.
        let named = files.filter { ($0.path as NSString).lastPathComponent == $0.segment.name }
        for start in stride(from: 0, to: named.count, by: 500) {
            let batch = named[start..<min(named.count, start + 500)].map(\.path)
            _ = try await ChildProcess("/bin/cp", ["--"] + batch + [incoming + "/"]).output()
        }
        for file in files where (file.path as NSString).lastPathComponent != file.segment.name {
            do {
                _ = try await ChildProcess("/bin/cp", ["--", file.path, incoming + "/" + file.segment.name]).output()
            } catch where file.isPartial && file.path.hasSuffix(".partial") {
                // The receiver finished the segment meanwhile and renamed it to its final name.
                let complete = String(file.path.dropLast(".partial".count))
                guard access(complete, F_OK) == 0 else { throw error }
                _ = try await ChildProcess("/bin/cp", ["--", complete, incoming + "/" + file.segment.name]).output()
            }
        }
        for file in files.sorted(by: { $0.segment < $1.segment }) {
            let copy = incoming + "/" + file.segment.name
            if let account { _ = lchown(copy, account.uid, account.gid) }
            chmod(copy, 0o600)
            guard rename(copy, walDirectory + "/" + file.segment.name) == 0 else {
                throw ArchiveError(.scratch, "cannot stage \(file.segment.name) in \(walDirectory): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Where `restore_command` appends the name of each segment it did not find.
    public var missLog: String { walDirectory + "/.missed" }

    /// What ``ReplayStall`` needs to know about the replay now.
    package func observeReplay(replayed: UInt64?) -> ReplayStall.Observation {
        let missed = Self.tail(of: missLog).flatMap(ReplayStall.missedAgain(inLog:))
        let staged = missed.map { missed in
            ((try? FileManager.default.contentsOfDirectory(atPath: walDirectory)) ?? []).contains {
                $0.utf8.count == 24 && ReplayStall.number(of: $0) == ReplayStall.number(of: missed)
            }
        } ?? false
        return ReplayStall.Observation(missedAgain: missed, staged: staged, replayed: replayed)
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

    /// The last kilobyte of a file (the miss log grows by a line every 0.1 s while replay waits).
    static func tail(of path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let end = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: end > 1024 ? end - 1024 : 0)
        return (try? handle.readToEnd()).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes the recovery settings (last in `postgresql.auto.conf`, so they win) and a
    /// `pg_hba.conf` that admits only the socket. Standby mode: the server pauses at `target` or
    /// waits for more WAL at the end of what is staged, never ends recovery (``ReplayStall``).
    /// With `zeroFilled` (``SelectiveUnpack``), invalid pages are warnings (`ignore_invalid_pages`).
    public func configure(target: Date, zeroFilled: Bool = false) throws {
        let manager = FileManager.default
        for name in ["recovery.signal", "postmaster.pid", "postmaster.opts"] { try? manager.removeItem(atPath: dataDirectory + "/" + name) }
        for name in ["postgresql.conf", "pg_ident.conf"] where !manager.fileExists(atPath: dataDirectory + "/" + name) {
            try write("", to: name)
        }
        try write("local all all trust\n", to: "pg_hba.conf")
        try write("", to: "standby.signal")
        // Segments are moved (they are private copies, see ``stage(_:)``), and a segment that is
        // not there is recorded for ``ReplayStall``; history files, which the server asks for
        // more than once, are copied.
        let wal = Self.shellQuoted(walDirectory)
        // Misses are silent: while replay waits at the end, the server asks ten times a second,
        // and the log's last lines are what error messages quote.
        let restore = "case %f in *.history) cp \(wal)/%f \"%p\" 2>/dev/null;; *) mv \(wal)/%f \"%p\" 2>/dev/null || { echo %f >> \(Self.shellQuoted(missLog)); exit 1; };; esac"
        let lines = [
            "port = \(port)", "listen_addresses = ''", "unix_socket_directories = \(ConfigFileText.quote(root))",
            "hba_file = \(ConfigFileText.quote(dataDirectory + "/pg_hba.conf"))", "ident_file = \(ConfigFileText.quote(dataDirectory + "/pg_ident.conf"))",
            "ssl = off", "archive_mode = off", "archive_command = ''", "hot_standby = on", "primary_conninfo = ''", "primary_slot_name = ''",
            "shared_preload_libraries = ''", "logging_collector = off",
            // The log is read for PostgreSQL's own words ("recovery stopping", ``HotStandbySettings``,
            // ``SelectiveUnpack``'s invalid-page warnings), whatever the Resolve server's configuration says.
            "lc_messages = 'C'", "log_min_messages = 'warning'",
            // A throwaway server: no fsync, no restartpoints. 128MB of shared_buffers (the primary's own,
            // copied with postgresql.conf, may not fit this host): a page written out goes to the page
            // cache, where the unpacked file already is, while every buffer is fresh memory the kernel
            // must zero on first touch; 512MB made restore --at of a 381 MB library 0.5-1.4 s slower.
            "fsync = off", "synchronous_commit = off", "max_wal_size = '64GB'", "checkpoint_timeout = '1d'",
            "shared_buffers = '128MB'", "huge_pages = 'try'", "maintenance_io_concurrency = 32", "log_destination = 'stderr'", "restore_command = \(ConfigFileText.quote(restore))",
            // More staged WAL is taken, and the end of the WAL seen (``ReplayStall``), within 0.1 s.
            "wal_retrieve_retry_interval = '100ms'",
            "recovery_target_time = \(ConfigFileText.quote(RestoreTime.postgresText(target)))", "recovery_target_action = 'pause'",
        ] + (zeroFilled ? ["ignore_invalid_pages = on"] : [])
        try appendToAutoConf("\n# laterbase restore --at\n" + lines.joined(separator: "\n") + "\n")
    }

    /// Stops the server for a start with `settings` (see ``HotStandbySettings``): `pg_ctl stop
    /// -m fast` (a restartpoint, so the next start replays from there), immediate when that
    /// fails; then appends the settings, last in `postgresql.auto.conf` so they win, and forgets
    /// the misses of the run before.
    package func stopForRestart(with settings: [(name: String, value: Int)], timeoutSeconds: Int) async throws {
        if isRunning() {
            var stop = ChildProcess(binaries + "/pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", String(min(timeoutSeconds, 60)), "stop"])
            stop.account = account
            if (try? await stop.output()) == nil { await self.stop() }
        }
        try appendToAutoConf(settings.map { "\($0.name) = \($0.value)\n" }.joined())
        unlink(missLog)
    }

    /// Appends to `postgresql.auto.conf`, read last, so what is appended wins.
    private func appendToAutoConf(_ text: String) throws {
        let existing = (try? String(contentsOfFile: dataDirectory + "/postgresql.auto.conf", encoding: .utf8)) ?? ""
        try write(existing + text, to: "postgresql.auto.conf")
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

    private func write(_ text: String, to name: String) throws {
        try SecureFile.writeAtomically(Data(text.utf8), to: dataDirectory + "/" + name, mode: 0o600, owner: account)
    }

    static func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
