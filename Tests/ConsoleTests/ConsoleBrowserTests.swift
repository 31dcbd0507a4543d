import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing

/// Debian's headless Chromium, driven by Selenium and chromedriver, through log-in → find a
/// project → restore that backup, against a real agent and PostgreSQL. Screenshots of each step
/// are kept in the test's temp folder (printed), so a failure can be looked at.
@Suite("console: in a real browser", .timeLimit(.minutes(5)))
struct ConsoleBrowserTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser/console_flow.py").path

    @Test("log in, find a project, restore it as a new library, see it done")
    func logInSearchRestore() async throws {
        try await ConsoleHarness.with { console in
            let shots = NSTemporaryDirectory() + "laterbase-console-shots-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
            var browser = ChildProcess("/usr/bin/env", ["python3", Self.script])
            browser.environment = ["CONSOLE_URL": "http://127.0.0.1:\(console.port)", "SHOTS": shots,
                                   "PROJECT": "spot 2", "NEW_LIBRARY": "Spot 2 from the browser", "HOME": shots,
                                   "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
            browser.secretEnvironment = ["CONSOLE_PASSWORD": Secret(console.password)]
            browser.gracePeriod = .seconds(5)
            let output: String
            do {
                output = try await browser.output()
            } catch {
                Issue.record("the browser run failed: \(error); screenshots in \(shots)")
                return
            }
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
}
