import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing
import UndoWindow

/// Debian's headless Chromium, driven by Selenium and chromedriver, through log-in → find a
/// project → restore that backup, against a real agent and PostgreSQL. Screenshots of each step
/// are kept in the test's temp folder (printed), so a failure can be looked at.
@Suite("console: in a real browser", .timeLimit(.minutes(5)))
struct ConsoleBrowserTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser/console_flow.py").path

    /// Runs one of the Browser/ scripts against `console` (the password in its environment only);
    /// its output, or nil after recording why it failed.
    static func drive(_ script: String, _ console: ConsoleHarness, shots: String, _ environment: [String: String]) async -> String? {
        var browser = ChildProcess("/usr/bin/env", ["python3", script])
        browser.environment = ["CONSOLE_URL": "http://127.0.0.1:\(console.port)", "SHOTS": shots, "HOME": shots,
                               "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"].merging(environment) { _, new in new }
        browser.secretEnvironment = ["CONSOLE_PASSWORD": Secret(console.password)]
        browser.gracePeriod = .seconds(5)
        do {
            return try await browser.output()
        } catch {
            Issue.record("the browser run failed: \(error); screenshots in \(shots)")
            return nil
        }
    }

    @Test("log in, find a project, restore it as a new library, see it done")
    func logInSearchRestore() async throws {
        try await ConsoleHarness.with { console in
            let shots = NSTemporaryDirectory() + "laterbase-console-shots-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
            guard let output = await Self.drive(Self.script, console, shots: shots,
                                                ["PROJECT": "spot 2", "NEW_LIBRARY": "Spot 2 from the browser"]) else { return }
            print("console browser test: screenshots in \(shots)\n\(output)")
            #expect(output.contains("step: Restored in"), "\(output)")
            let projects = try await console.cluster.query(#"SELECT "ProjectName" FROM "SM_Project" ORDER BY 1"#, database: "Spot 2 from the browser")
            #expect(projects.rows.count == 3)
            for name in ["overview", "search", "restore-form", "restore-job"] {
                let png = FileManager.default.contents(atPath: shots + "/" + name + ".png") ?? Data()
                #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 5000, "\(name).png: \(png.count) bytes")
            }
        }
    }

    static let momentScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser/console_moment_flow.py").path

    @Test("find a project, restore it as it was at a moment, then download that moment for Resolve")
    func restoreAtAndDownload() async throws {
        try await ConsoleHarness.with(projects: 3, blobKilobytes: 16, replication: true, extra: ["WAL_ARCHIVE": "on"]) { console in
            let layout = ArchiveLayout(root: console.backupDirectory)
            let archiving = await poll(timeout: .seconds(120), every: .milliseconds(250)) {
                !StoredBaseBackup.all(in: layout).isEmpty && (ReceiverStatus.load(layout)?.isStreaming(now: Date()) ?? false)
            }
            #expect(archiving)
            try await console.cluster.execute("CREATE TABLE marker (x int); INSERT INTO marker VALUES (1), (2)", database: ConsoleHarness.library)
            try await Task.sleep(for: .milliseconds(1200))
            let moment = ArchiveHarness.text(Date())
            try await Task.sleep(for: .milliseconds(1200))
            try await console.cluster.execute("DELETE FROM marker", database: ConsoleHarness.library)
            try await Task.sleep(for: .milliseconds(1500))

            let shots = NSTemporaryDirectory() + "laterbase-console-shots-\(UUID().uuidString)"
            let downloads = shots + "/downloads"
            try FileManager.default.createDirectory(atPath: downloads, withIntermediateDirectories: true)
            guard let output = await Self.drive(Self.momentScript, console, shots: shots,
                                                ["DOWNLOADS": downloads, "PROJECT": "spot 2", "MOMENT": moment,
                                                 "NEW_LIBRARY": "Demo from the moment"]) else { return }
            print("console browser test (moment): screenshots in \(shots)\n\(output)")
            #expect(output.contains("step: Restored in") && output.contains("step: downloaded "), "\(output)")
            #expect(try await console.cluster.query("SELECT count(*) FROM marker", database: "Demo from the moment").scalar == "2")
            let files = try FileManager.default.contentsOfDirectory(atPath: downloads).filter { $0.hasSuffix(".backup") }
            let file = try #require(files.first, "\(files)")
            let listed = try await ChildProcess(try PostgresTools().require("pg_restore"), ["--list", downloads + "/" + file]).output()
            #expect(listed.contains("TABLE DATA public marker"), "\(listed.prefix(2000))")
            for name in ["restore-at-form", "restore-at-job", "downloads"] {
                let png = FileManager.default.contents(atPath: shots + "/" + name + ".png") ?? Data()
                #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 5000, "\(name).png: \(png.count) bytes")
            }
        }
    }
}
