import Foundation
import LaterbaseCore

extension PostgresConnection {
    /// The server's `wal_segment_size` in bytes (pg_settings gives it in bytes on 11+, in 8 kB
    /// blocks or MB before); nil when it cannot be read.
    func walSegmentSize() throws -> UInt64? {
        try query("SELECT setting::bigint * CASE unit WHEN '8kB' THEN 8192 WHEN 'MB' THEN 1048576 ELSE 1 END FROM pg_settings WHERE name = 'wal_segment_size'")
            .scalar.flatMap { UInt64($0) }
    }
}
