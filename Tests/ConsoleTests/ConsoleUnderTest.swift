import Backups
import Foundation
import LaterbaseTestSupport
import Testing

/// A console with a real PostgreSQL cluster holding a Resolve-like library and a first backup of
/// it: ``InProcessConsole`` (the router in-process) or ``ConsoleHarness`` (the built agent over
/// real HTTP). The tests that both can run take a ``ConsoleTransport``.
protocol ConsoleUnderTest: Sendable {
    associatedtype Client: ConsoleClient
    var cluster: PostgresCluster { get }
    var backupDirectory: String { get }
    var password: String { get }
    /// The first browser, not logged in.
    var client: Client { get }
    /// Another browser: a cookie jar of its own.
    func newClient() throws -> any ConsoleClient
    /// Everything the agent logged so far.
    func log() -> String
}

extension ConsoleUnderTest {
    /// The relative path (`folder/file`) of the library's newest backup.
    func newestBackup() -> String {
        let layout = BackupLayout(root: backupDirectory)
        return StoredBackup.all(in: layout).first { $0.database == ConsoleHarness.library }?.relativePath ?? ""
    }

    /// A copy of the newest backup whose restore waits inside psql's transaction until it is
    /// stopped (``StallingBackup``); its relative path.
    func stallingBackup() async throws -> String {
        try await StallingBackup.make(of: ConsoleHarness.library, in: backupDirectory)
    }

    /// Waits until the restore's psql sits in the stalling backup's last statement.
    func waitForStalledRestore() async -> Bool { await StallingBackup.waitUntilStalled(cluster) }
}

/// How a test reaches the console.
enum ConsoleTransport: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inProcess = "in-process"
    case http = "over HTTP"

    var testDescription: String { rawValue }

    func with(projects: Int = 3, replication: Bool = false, _ body: @escaping @Sendable (any ConsoleUnderTest) async throws -> Void) async throws {
        switch self {
        case .inProcess: try await InProcessConsole.with(projects: projects, replication: replication) { try await body($0) }
        case .http: try await ConsoleHarness.with(projects: projects, replication: replication) { try await body($0) }
        }
    }
}
