import Foundation

/// A libpq password file (`~/.pgpass` format), written with mode 0600 so that only its owner
/// can read it. Used to hand a password to `pg_basebackup`, `pg_dump` and the standby's
/// `primary_conninfo` without putting it into arguments or configuration files.
public enum PassFile {
    /// One `host:port:database:user:password` line; `:` and `\` escaped as libpq expects.
    public static func line(host: String, port: Int, database: String = "*", user: String, password: Secret) -> String {
        [host, String(port), database, user, password.reveal()].map(escape).joined(separator: ":")
    }

    static func escape(_ field: String) -> String {
        field == "*" ? field : field.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
    }

    /// Writes `lines` to `path` atomically (temporary file, fsync, rename) with mode 0600,
    /// owned by `owner` when given. The file never exists with wider permissions.
    public static func write(_ lines: [String], to path: String, owner: SystemAccount? = nil) throws {
        let contents = lines.joined(separator: "\n") + "\n"
        try SecureFile.writeAtomically(Data(contents.utf8), to: path, mode: 0o600, owner: owner)
    }
}
