import Foundation
import LaterbaseCore
import Logging

/// `standby-entrypoint promote`: turns the standby into the primary Resolve workstations use
/// after the Resolve server died.
///
/// Refuses when the local server is not a standby, and — unless forced — while the primary
/// still answers (two primaries would drift apart). Promotes with `pg_promote(wait => true)`,
/// then waits until a write succeeds.
public struct Promotion: Sendable {
    public var settings: StandbySettings
    public var force: Bool
    /// How long to wait for the server to become writable.
    public var timeoutSeconds: Int = 60

    public init(settings: StandbySettings, force: Bool) {
        self.settings = settings
        self.force = force
    }

    /// Promotes and returns the lines to print.
    /// - Throws: ``StandbyError`` saying why it refused or what went wrong.
    public func run(logger: Logger) async throws -> [String] {
        let local = LocalServer.parameters(settings, timeoutSeconds: 5)
        let state: ReplicationState
        do {
            state = try await LocalServer.replicationState(settings)
        } catch {
            throw StandbyError(.localServerUnreachable, "cannot reach the standby's server on 127.0.0.1:\(settings.localPort) to promote it: \(error)")
        }
        guard state.inRecovery else {
            throw StandbyError(.notAStandby, "this server is not a standby (it is already a primary): nothing to promote")
        }
        let primary = "\(settings.primary.host):\(settings.primary.port)"
        let answer = await primaryAnswers()
        if let answer, !force {
            throw StandbyError(.primaryStillAnswers, "the primary at \(primary) still answers (\(answer)); promoting now would leave two primaries that drift apart. "
                + "Stop PostgreSQL on the Resolve server (or make sure it is gone for good), then promote again; --force promotes anyway")
        }
        if answer != nil {
            logger.warning("promoting although the primary still answers (--force)", metadata: [LogKey.host: "\(primary)"])
        }
        let seconds = timeoutSeconds
        var promoting = local
        promoting.statementTimeoutSeconds = seconds + 30
        let timeline = try await PostgresConnection.withConnection(promoting) { connection -> Int? in
            let promoted = try connection.query("SELECT pg_promote(wait => true, wait_seconds => $1::int)", [String(seconds)]).scalar
            guard promoted == "t" else {
                throw StandbyError(.promotionTimeout, "pg_promote did not finish within \(seconds) s; look at the standby's log")
            }
            // Writable means out of recovery and able to write WAL: a temporary table proves it.
            let deadline = Date().addingTimeInterval(TimeInterval(seconds))
            while true {
                let stillRecovering = try connection.query("SELECT pg_is_in_recovery()").scalar == "t"
                if !stillRecovering {
                    do {
                        try connection.simpleQuery("BEGIN; CREATE TEMPORARY TABLE laterbase_promote_check (x int); ROLLBACK")
                        break
                    } catch {
                        _ = try? connection.simpleQuery("ROLLBACK")
                        if Date() > deadline { throw error }
                    }
                } else if Date() > deadline {
                    throw StandbyError(.promotionTimeout, "the server is still in recovery \(seconds) s after pg_promote")
                }
                usleep(200_000)
            }
            return try connection.query("SELECT timeline_id FROM pg_control_checkpoint()").scalar.flatMap { Int($0) }
        }
        logger.info("promoted", metadata: ["timeline": "\(timeline.map(String.init) ?? "?")"])
        return Self.instructions(localPort: settings.localPort, slot: settings.slotName, oldPrimary: primary)
    }

    /// What to tell the facility engineer after a promotion. Pure.
    public static func instructions(localPort: Int, slot: String, oldPrimary: String) -> [String] {
        let portLine = localPort == 5432
            ? "It listens on port 5432, the only port Resolve uses."
            : "It listens on port \(localPort) in here, but Resolve connects on 5432 only: publish it as port 5432 of this host (docker: ports \"5432:\(localPort)\")."
        return [
            "promoted: this standby is now a read-write primary.",
            "Resolve workstations must now connect to THIS host's address on port 5432 (in Resolve: Project Libraries > Connect, with this host's IP or name, the same database name, user and password). \(portLine)",
            "Do not start the old Resolve server (\(oldPrimary)) as a primary again: it no longer has the newest changes. Rebuild it from this server, and drop its slot \(slot) if it comes back (\(ResolveServerHints.dropSlotSQL(slot))).",
        ]
    }

    /// Nil when the primary does not answer three times in a row (about 20 s at most, so an
    /// overloaded server that is slow to answer is not taken for a dead one); otherwise how it
    /// answered.
    private func primaryAnswers(attempts: Int = 3) async -> String? {
        for attempt in 1...attempts {
            do {
                try await PostgresConnection.withConnection(settings.primary.connection(timeoutSeconds: 5)) { _ = try $0.query("SELECT 1") }
                return "it accepted a login"
            } catch let error as PostgresError where error.kind == .unreachable {
                if attempt < attempts { try? await Task.sleep(for: .seconds(2)) }
            } catch let error as PostgresError {
                return "it answered: \(error.message)"
            } catch {
                return nil
            }
        }
        return nil
    }
}
