/// What a child program — a PostgreSQL program, rclone, or postgres itself once the standby
/// execs it — keeps of Laterbase's own environment: the one list of what never passes.
public enum ChildEnvironment {
    /// Laterbase's secrets (and where they are read from): a child that needs a password gets it
    /// on its own channel (`PGPASSWORD` from ``ChildProcess/connect(to:application:)``, or a passfile).
    public static let laterbaseSecrets = ["REPL_PASSWORD", "REPL_PASSWORD_FILE", "CONSOLE_PASSWORD", "CONSOLE_PASSWORD_FILE"]

    /// libpq's password variables: a program that must use only the password Laterbase hands it
    /// (the standby's clone, the standby's postgres, which reads its passfile) never sees the
    /// caller's.
    public static let libpqPasswords = ["PGPASSWORD", "PGPASSFILE"]

    /// libpq's variables that would add to or override the connection Laterbase describes
    /// (``ChildProcess/connect(to:application:)`` removes them).
    public static let libpqOverrides = ["PGSERVICE", "PGOPTIONS"]

    /// `current` without ``laterbaseSecrets`` and ``libpqPasswords``: what postgres starts with. Pure.
    public static func withoutSecrets(_ current: [String: String]) -> [String: String] {
        let removed = Set(laterbaseSecrets + libpqPasswords)
        return current.filter { !removed.contains($0.key) }
    }
}
