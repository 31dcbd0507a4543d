import Foundation
import LaterbaseCore

/// The I/O behind `healthcheck` and `status`: asks the local server and, for `status`, the primary.
public enum StandbyInspector {
    /// The health verdict; a local server that does not answer is unhealthy.
    public static func health(_ settings: StandbySettings) async -> HealthVerdict {
        let primary = "\(settings.primary.host):\(settings.primary.port)"
        do {
            let state = try await LocalServer.replicationState(settings)
            return HealthVerdict.judge(state, maxLagSeconds: settings.healthMaxLagSeconds, primary: primary)
        } catch let error as PostgresError {
            return HealthVerdict(healthy: false, line: unreadable(error, port: settings.localPort))
        } catch {
            return HealthVerdict(healthy: false, line: "unhealthy: \(error)")
        }
    }

    /// The health line when the local server's state could not be read: it does not answer, or
    /// it answers but the query failed (a lock replayed from the primary held past lock_timeout).
    static func unreadable(_ error: PostgresError, port: Int) -> String {
        switch error.kind {
        case .query, .cancelled:
            return "unhealthy: the standby's server on 127.0.0.1:\(port) answers, but its replication state could not be read: \(error.message)"
        default:
            return "unhealthy: the standby's server does not answer on 127.0.0.1:\(port): \(error.message)"
        }
    }

    /// The full status, local and primary asked at the same time.
    public static func status(_ settings: StandbySettings) async -> StandbyStatusReport {
        async let facts = PrimaryProbe.gather(primary: settings.primary, slotName: settings.slotName, timeoutSeconds: 5)
        var state: ReplicationState?
        var localError: String?
        do {
            state = try await LocalServer.replicationState(settings)
        } catch let error as PostgresError {
            localError = unreadable(error, port: settings.localPort)
        } catch {
            localError = "unhealthy: \(error)"
        }
        let primary = await facts
        // A primary that logged us in but failed a query (a lock held past lock_timeout) answers.
        let failedQuery = primary.connectionError.flatMap { $0.kind == .query || $0.kind == .cancelled ? $0 : nil }
        var report = StandbyStatusReport.build(settings: settings, state: state, localError: localError,
                                               primaryReachable: primary.connectionError == nil || failedQuery != nil,
                                               slotLooked: primary.slotLooked, slotFacts: primary.slot)
        if let failedQuery {
            report.warnings.append("the primary answers, but its view of the slot could not be read: \(failedQuery.message)")
        }
        return report
    }
}
