import Agent
import Backups
import Console
import Foundation
import HummingbirdTesting
import LaterbaseCore
import LaterbaseTestSupport
import Logging
import UndoWindow

/// The console's router in-process (``buildConsoleApplication(settings:runtime:logger:)`` under
/// HummingbirdTesting's `app.test(.router)`), over a real PostgreSQL cluster holding a
/// Resolve-like library and a real first backup, made in-process by ``AgentRuntime/backUp(only:lockTimeout:)``.
struct InProcessConsole: ConsoleUnderTest {
    let cluster: PostgresCluster
    let backupDirectory: String
    let password: String
    let client: InProcessClient
    let captured: LogCapture

    func newClient() -> any ConsoleClient { InProcessClient(client.client) }
    func log() -> String { captured.text }

    /// - Parameters:
    ///   - replication: a primary a standby can clone.
    ///   - otherLibraries: more Resolve-like libraries, backed up in the same first pass.
    static func with(projects: Int = 3, blobKilobytes: Int = 64, replication: Bool = false, otherLibraries: [String] = [],
                     _ body: @escaping @Sendable (InProcessConsole) async throws -> Void) async throws {
        try await PostgresCluster.withCluster(.init(replication: replication)) { cluster in
            for library in [ConsoleHarness.library] + otherLibraries {
                try await cluster.createDatabase(library)
                try await ResolveFixture.populate(cluster, database: library, projects: projects, blobKilobytes: blobKilobytes)
            }
            let directory = NSTemporaryDirectory() + "laterbase-console-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let password = "console-\(UUID().uuidString.prefix(12))"
            let environment = EnvironmentReader(cluster.agentEnvironment(backupDirectory: directory, [
                "BACKUP_SCHEDULE": "0 0 1 1 *", "CONSOLE": "on", "CONSOLE_ADDRESS": "127.0.0.1", "CONSOLE_PASSWORD": password,
            ]))
            let captured = LogCapture()
            let logger = captured.logger()
            let settings = try BackupSettings(environment: environment)
            let runtime = AgentRuntime(settings: settings, archive: try ArchiveSettings(environment: environment),
                                       schedule: try ScheduleSettings(settings: settings, environment: environment), logger: logger)
            let pass = try await runtime.backUp(lockTimeout: .seconds(60))
            guard pass.failed.isEmpty, pass.succeeded.contains(ConsoleHarness.library) else {
                throw ClusterError("the first backup pass did not back up \(ConsoleHarness.library): \(pass.failed)")
            }
            let app = try await buildConsoleApplication(settings: try ConsoleSettings(environment: environment), runtime: runtime, logger: logger)
            try await app.test(.router) { client in
                try await body(InProcessConsole(cluster: cluster, backupDirectory: directory, password: password,
                                                client: InProcessClient(client), captured: captured))
            }
        }
    }
}
