import ArgumentParser
import Foundation
import LaterbaseCore
import Standby

/// `standby-entrypoint check-primary`: preflight of the primary, each failure with its fix.
struct CheckPrimaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-primary", abstract: "Preflight of the primary, each failure with its fix.")

    func run() async throws {
        try await CommandErrors.reporting {
            let settings = try loadSettings()
            let tools = PostgresTools()
            let binary = tools.find("postgres")
            let localVersion = try await binary.asyncMap { try await LocalPostgres.majorVersion(binary: $0) }
            let data = DataDirectory(path: settings.dataDirectory)
            var preflight = Preflight(primary: settings.primary, slotName: settings.slotName, createSlot: settings.createSlot,
                                      localVersion: localVersion, localBinary: binary ?? "postgres",
                                      sendersNeeded: data.inspect() == .absent ? 2 : 1)
            if let state = try? await LocalServer.replicationState(settings, timeoutSeconds: 3) {
                preflight.slotInUseByThisStandby = state.inRecovery && state.slotName == settings.slotName && state.receiverStatus != nil
            }
            let facts = await PrimaryProbe.gather(primary: settings.primary, slotName: settings.slotName)
            let checks = preflight.evaluate(facts)
            for check in checks { print(check.line) }
            // The password check counts too: with an MD5-stored password the clone works, but
            // healthcheck, status and promote can never log in to the standby (scram-sha-256).
            let failed = checks.filter { $0.outcome != .pass }
            if !failed.isEmpty { throw ExitCode(ExitStatus.failure.rawValue) }
        }
    }
}

extension Optional {
    /// `map` with an async throwing transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
