import Foundation
import LaterbaseCore

/// Whether the Resolve server and this standby's `postgres` can replicate, with the message
/// for people when they cannot. Pure.
public enum VersionCompatibility {
    /// Nil when `primary` equals `local`; otherwise one line naming both versions and the fix.
    public static func problem(primary: PostgresMajorVersion, local: PostgresMajorVersion, localBinary: String) -> String? {
        guard primary != local else { return nil }
        let resolveHint: String
        switch primary.code {
        case 13: resolveHint = " (Resolve 18 and later run PostgreSQL 13)"
        case 905: resolveHint = " (Resolve 12.5 to 17 run PostgreSQL 9.5)"
        default: resolveHint = ""
        }
        return "the primary runs PostgreSQL \(primary)\(resolveHint) but this standby's postgres (\(localBinary)) is PostgreSQL \(local); "
            + "physical replication needs the same major version on both sides: use the standby image built with PG_MAJOR=\(primary) "
            + "or put PostgreSQL \(primary)'s bin directory in PG_BINDIR"
    }
}
