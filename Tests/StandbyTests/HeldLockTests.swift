import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// `check-primary` and `status` while another session holds `LOCK TABLE pg_proc IN ACCESS
/// EXCLUSIVE MODE` on the primary (every query that looks up a function waits; the lock is
/// replayed on the standby too): they end within Laterbase's lock_timeout instead of hanging.
@Suite("standby commands under a held lock", .timeLimit(.minutes(4)))
struct HeldLockTests {
    @Test("check-primary and status end within the lock_timeout bound, naming it")
    func boundedUnderLock() async throws {
        try await PostgresCluster.withCluster(.init(replication: true)) { primary in
            try await StandbyProcess.withStandby(primary: primary) { standby in
                try standby.start()
                try await standby.waitUntilHealthy()
                try await primary.withTableLocked("pg_proc", database: "postgres") {
                    let started = ContinuousClock.now
                    let check = try await standby.command(["check-primary"])
                    let checkTime = ContinuousClock.now - started
                    print("measured: check-primary with pg_proc locked exited \(check.status) after \(checkTime)")
                    #expect(check.status == 1)
                    #expect(check.stdout.contains("canceling statement due to lock timeout; Laterbase's lock_timeout for this session is 10 s"),
                            "\(check.stdout)\(check.stderr)")
                    #expect(checkTime < .seconds(45), "took \(checkTime)")

                    let again = ContinuousClock.now
                    let status = try await standby.command(["status"])
                    let statusTime = ContinuousClock.now - again
                    print("measured: status with pg_proc locked exited \(status.status) after \(statusTime)")
                    #expect(statusTime < .seconds(45), "took \(statusTime)")
                    // The standby replays the primary's lock too, sooner or later: then its own state is
                    // unreadable as well (exit 1); either way each part says which bound it hit.
                    #expect(status.stdout.contains("the primary answers, but its view of the slot could not be read: canceling statement due to lock timeout"),
                            "\(status.stdout)")
                    if status.status != 0 {
                        #expect(status.stdout.contains("answers, but its replication state could not be read: canceling statement due to lock timeout"),
                                "\(status.stdout)")
                    }
                }
            }
        }
    }
}
