import Foundation
import LaterbaseCore
import Logging

/// Writes the standby's configuration into a data directory: `standby.signal`, the passfile,
/// the managed block of `postgresql.auto.conf` and `pg_hba.conf`. Idempotent: every start
/// runs it again from the current environment, so a password change needs only a restart.
///
/// The password only ever goes into the passfile (mode 0600, owned by the server's account, in
/// the 0700 directory ``DataDirectory/privatePath`` beside `PGDATA` — never inside it, where a
/// pg_basebackup of the standby would copy it); `primary_conninfo` names that file and holds no
/// password. A passfile an older version left inside `PGDATA` is removed.
public struct StandbyConfigurator: Sendable {
    public var settings: StandbySettings
    /// Owner of everything written (the `postgres` account when running as root).
    public var account: SystemAccount?
    /// The primary's hot-standby parameters, when it was reachable (see ``PrimaryFacts``).
    public var hotStandbyParameters: [(String, String)] = []
    /// Where the server puts its unix socket.
    public var socketDirectory: String

    public init(settings: StandbySettings, account: SystemAccount?, hotStandbyParameters: [(String, String)] = []) {
        self.settings = settings
        self.account = account
        self.hotStandbyParameters = hotStandbyParameters
        self.socketDirectory = Self.defaultSocketDirectory()
    }

    /// `/var/run/postgresql` where it exists (Debian, the official images), otherwise `/tmp`.
    public static func defaultSocketDirectory() -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "/var/run/postgresql", isDirectory: &isDirectory), isDirectory.boolValue,
           access("/var/run/postgresql", W_OK) == 0 || SystemAccount.isRoot {
            return "/var/run/postgresql"
        }
        return "/tmp"
    }

    /// The `primary_conninfo` value. `passfile` is the final path of the passfile, nil without a password.
    public static func primaryConnInfo(_ primary: PrimarySettings, passfile: String?, applicationName: String) -> String {
        var pairs: [(String, String)] = [("host", primary.host), ("port", String(primary.port)), ("user", primary.user)]
        if let passfile { pairs.append(("passfile", passfile)) }
        pairs += [("sslmode", primary.sslMode), ("application_name", applicationName), ("connect_timeout", "10")]
        return ConnInfo.render(pairs)
    }

    /// The settings written to `postgresql.auto.conf`, in order.
    public func managedSettings(finalPath: String) -> [(String, String)] {
        let directory = DataDirectory(path: finalPath)
        let passfile = settings.primary.password == nil ? nil : directory.passfilePath
        var values: [(String, String)] = [
            ("primary_conninfo", Self.primaryConnInfo(settings.primary, passfile: passfile, applicationName: settings.slotName)),
            ("primary_slot_name", settings.slotName),
            ("hot_standby", "on"),
            // Backups read from the standby (BACKUP_HOST): without feedback, the primary's VACUUM
            // removes rows a running pg_dump still sees and the standby cancels the dump
            // ("conflict with recovery"). With it the slot holds back the primary's xmin while a
            // query runs on the standby.
            ("hot_standby_feedback", "on"),
            ("listen_addresses", "*"),
            ("port", String(settings.localPort)),
            ("unix_socket_directories", socketDirectory),
            ("hba_file", finalPath + "/pg_hba.conf"),
            ("ident_file", finalPath + "/pg_ident.conf"),
        ]
        values += hotStandbyParameters
        return values
    }

    /// Writes the configuration into `directory` (the clone in progress or `PGDATA`) for a data
    /// directory that will live at `finalPath`. Creates `standby.signal` when `createSignal`.
    public func write(into directory: String, finalPath: String, createSignal: Bool, logger: Logger) throws {
        let manager = FileManager.default
        let data = DataDirectory(path: finalPath)
        if let password = settings.primary.password {
            try data.createPrivateDirectory(owner: account)
            try PassFile.write([PassFile.line(host: settings.primary.host, port: settings.primary.port,
                                              user: settings.primary.user, password: password)],
                               to: data.passfilePath, owner: account)
        } else if manager.fileExists(atPath: data.passfilePath) {
            try manager.removeItem(atPath: data.passfilePath)
        }
        let legacy = directory + "/" + StandbyFiles.legacyPassfileName
        if manager.fileExists(atPath: legacy) {
            try manager.removeItem(atPath: legacy)
            logger.notice("moved the passfile out of PGDATA; primary_conninfo names the new one",
                          metadata: [LogKey.path: "\(data.passfilePath)"])
        }

        let autoConf = directory + "/postgresql.auto.conf"
        // Without the primary's parameters (it did not answer) the lines of an earlier start stay.
        let managed = managedSettings(finalPath: finalPath)
        let existing = (try? String(contentsOfFile: autoConf, encoding: .utf8))
            ?? "# Do not edit this file manually!\n# It will be overwritten by the ALTER SYSTEM command.\n"
        try writeFile(ConfigFileText.merge(existing: existing, settings: managed), to: autoConf)

        // A primary laid out the Debian way keeps postgresql.conf outside the data directory.
        let mainConf = directory + "/postgresql.conf"
        if !manager.fileExists(atPath: mainConf) {
            try writeFile("# Created by standby-entrypoint: the primary kept its postgresql.conf outside its data directory.\n", to: mainConf)
        }
        let hba = directory + "/pg_hba.conf"
        let hbaCopy = directory + "/" + StandbyFiles.primaryHbaCopy
        if manager.fileExists(atPath: hba), !manager.fileExists(atPath: hbaCopy),
           let original = manager.contents(atPath: hba), !String(decoding: original, as: UTF8.self).hasPrefix("# Written by standby-entrypoint") {
            try SecureFile.writeAtomically(original, to: hbaCopy, mode: 0o600, owner: account)
        }
        try writeFile(ConfigFileText.hba(subnets: settings.accessSubnets), to: hba)
        let ident = directory + "/pg_ident.conf"
        if !manager.fileExists(atPath: ident) { try writeFile("", to: ident) }
        if createSignal {
            try writeFile("", to: directory + "/standby.signal")
        }
        logger.debug("standby configuration written", metadata: [LogKey.path: "\(directory)"])
    }

    private func writeFile(_ text: String, to path: String) throws {
        try SecureFile.writeAtomically(Data(text.utf8), to: path, mode: 0o600, owner: account)
    }
}
