import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// The built `backup-agent`: `notify-test`, and `run` refusing a URL Apprise cannot use.
@Suite("notify-test and run's check of NOTIFY_URLS", .timeLimit(.minutes(2)))
struct NotifyCommandTests {
    static let base = ["PRIMARY_HOST": "127.0.0.1", "REPL_PASSWORD": "x", "BACKUP_DIR": "/tmp/laterbase-notify-never-used", "BACKUP_ON_START": "false"]

    @Test("notify-test: delivered is exit 0; refused is exit 1 with Apprise's reason and no secret; unset is 78")
    func notifyTest() async throws {
        try await NotifyReceiver.with { receiver in
            let sent = try await runProduct("backup-agent", ["notify-test"], environment: Self.base.merging(["NOTIFY_URLS": "json://127.0.0.1:\(receiver.port)/ok?cto=60&rto=60"]) { $1 })
            #expect(sent.status == 0, "\(sent.stderr)")
            #expect(sent.stdout.contains("test notification delivered to 1 target(s)"))
            #expect(receiver.received.first?.body.contains("Laterbase: test notification") == true)

            let refused = try await runProduct("backup-agent", ["notify-test"], environment: Self.base.merging(["NOTIFY_URLS": "json://ops:t0ken-secret@127.0.0.1:\(receiver.port)/fail500?cto=60&rto=60"]) { $1 })
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("apprise could not deliver") && refused.stderr.contains("500"), "\(refused.stderr)")
            #expect(!refused.stderr.contains("t0ken-secret") && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        }
        let unset = try await runProduct("backup-agent", ["notify-test"], environment: Self.base)
        #expect(unset.status == 78 && unset.stderr.contains("NOTIFY_URLS is not set"), "\(unset.stderr)")
    }

    @Test("run with a URL Apprise cannot use stops with exit 78, one line, no secret")
    func runRefuses() async throws {
        let run = try await runProduct("backup-agent", ["run"], environment: Self.base.merging(["NOTIFY_URLS": "nosuch://user:hunter2@somewhere"]) { $1 })
        #expect(run.status == 78, "\(run.stderr)")
        #expect(run.stderr.contains("NOTIFY_URLS URL 1 of 1 (nosuch://…)"), "\(run.stderr)")
        #expect(!run.stderr.contains("hunter2") && run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    }
}
