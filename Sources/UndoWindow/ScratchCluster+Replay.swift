import Backups
import Foundation
import LaterbaseCore

/// Feeding the scratch server's replay: staged WAL, the timeline history, the recovery target
/// and the settings a restart needs.
extension ScratchCluster {
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
}
