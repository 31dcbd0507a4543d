import Backups
import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 24, item 2: unauthenticated idle connections to the console must never take the
/// descriptors the agent's backups need. Against the built agent, started with a soft limit of
/// 1024 open files (as many systems start a process).
@Suite("console: connection limit, idle timeout, open files", .serialized, .timeLimit(.minutes(3)))
struct ConsoleLimitsTests {
    static let idleConnections = 1500

    @Test("1,500 idle connections: the agent's pass still runs, its descriptors stay bounded, idle ones are closed, the console answers")
    func idleFlood() async throws {
        try RawConnections.raiseOwnLimit()
        let directory = NSTemporaryDirectory() + "laterbase-console-\(UUID().uuidString)"
        // The test holds BACKUP_DIR's lock, so the agent's first pass waits (polling the lock file)
        // until the flood is in place.
        let lockFile = try Self.takeLock(in: directory)
        var lockHeld = true
        defer { if lockHeld { close(lockFile) } }
        let ready: @Sendable (ConsoleHarness) async -> Bool = { harness in
            (try? await harness.client.send("GET", "/login"))?.status == 200
        }
        try await ConsoleHarness.with(directory: directory, openFiles: 1024, ready: ready) { console in
            let pid = console.agent.processIdentifier
            let limits = RawConnections.openFilesLimit(of: pid)
            #expect(limits != nil && limits?.soft == limits?.hard, "the agent raises its soft limit of open files to the hard one: \(String(describing: limits))")
            let before = RawConnections.openDescriptors(of: pid)

            let started = ContinuousClock.now
            let flood = try IdleConnections(count: Self.idleConnections, port: console.port)
            defer { flood.closeAll() }
            try await Task.sleep(for: .seconds(2))
            let during = RawConnections.openDescriptors(of: pid)
            #expect(during - before <= 64 + 16, "the agent holds \(during) descriptors with \(Self.idleConnections) idle connections (\(before) before)")

            // The pass runs now, under the flood.
            close(lockFile)
            lockHeld = false
            let layout = BackupLayout(root: directory)
            _ = await poll(timeout: .seconds(60), every: .milliseconds(250)) {
                !StoredBackup.all(in: layout).isEmpty || console.log().contains("backup pass could not run")
            }
            #expect(StoredBackup.all(in: layout).contains { $0.database == ConsoleHarness.library },
                    "no backup under the flood: \(console.log().suffix(1500))")
            #expect(!console.log().contains("Too many open files"))

            // Connections that sent nothing are closed after the idle timeout (15 s), not kept.
            let closed = await poll(timeout: .seconds(30), every: .milliseconds(500)) { flood.closedByPeer() >= 64 }
            let waited = ContinuousClock.now - started
            #expect(closed, "after \(waited) the console had closed \(flood.closedByPeer()) of the idle connections")
            #expect(waited < .seconds(40))

            // Once the flood goes, the console answers an authenticated request at once.
            flood.closeAll()
            let answered = await poll(timeout: .seconds(20), every: .milliseconds(250)) {
                (try? await console.client.send("GET", "/healthz", basic: console.password, html: false))?.status == 200
            }
            #expect(answered, "the console did not answer after the flood: \(console.log().suffix(1500))")
            #expect(console.log().contains("max_connections=64"), "the console logs its connection limit")
            print("console limits: the agent's descriptors \(before) before, \(during) with \(Self.idleConnections) idle connections; limits \(String(describing: limits)); idle ones closed after \(waited)")
        }
    }

    /// Makes `BACKUP_DIR/.laterbase/lock` and holds an exclusive flock on it; the descriptor.
    static func takeLock(in directory: String) throws -> Int32 {
        let layout = BackupLayout(root: directory)
        try FileManager.default.createDirectory(atPath: layout.stateDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let fd = open(layout.lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else { throw SystemCallError("locking \(layout.lockFile)") }
        return fd
    }
}
