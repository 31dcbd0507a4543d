import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

@Suite("unknown Laterbase variables")
struct KnownVariablesTests {
    @Test("a misspelled variable gets one warning naming the nearest known name",
          arguments: [("BACKUP_RETAIN_DAYS", "BACKUP_RETENTION_DAYS"), ("BACKUP_SCHEDUEL", "BACKUP_SCHEDULE"),
                      ("CONSOLE_PASSWRD", "CONSOLE_PASSWORD"), ("REPL_PASWORD", "REPL_PASSWORD"),
                      ("STANDBY_RECLONED", "STANDBY_RECLONE"), ("WAL_ARCHVE", "WAL_ARCHIVE")])
    func nearest(typed: String, meant: String) {
        let warnings = KnownVariables.warnings(in: [typed: "x", "PATH": "/bin"])
        #expect(warnings == ["\(typed) is not a Laterbase variable and is ignored; did you mean \(meant)?"])
    }

    @Test("known names, other programs' variables and far-off names")
    func quietAndFar() {
        let quiet = ["PATH": "/bin", "HOSTNAME": "x", "PGHOST": "h", "PGPASSWORD": "p", "RCLONE_CONFIG_OFFSITE_TYPE": "s3",
                     "TZ": "UTC", "BACKUP_SCHEDULE": "@hourly", "CONSOLE": "on", "REPL_PASSWORD_FILE": "/run/secrets/x"]
        #expect(KnownVariables.warnings(in: quiet).isEmpty)
        #expect(KnownVariables.warnings(in: ["BACKUP_SOMETHING_ELSE_ENTIRELY": "1"])
            == ["BACKUP_SOMETHING_ELSE_ENTIRELY is not a Laterbase variable and is ignored; docs/configuration.md lists them all"])
    }

    @Test("`backup-agent run` and `standby-entrypoint run` log the warning at start")
    func loggedAtStart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("laterbase-known-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let log = folder + "/agent.log"
        let agent = try launchProduct("backup-agent", ["run"], environment: [
            "PRIMARY_HOST": "127.0.0.1", "REPL_PASSWORD": "x", "BACKUP_DIR": folder + "/backups", "BACKUP_ON_START": "false",
            "BACKUP_SCHEDUEL": "@daily",
        ], output: .log(appendingTo: log))
        let warned = await poll(timeout: .seconds(20)) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("BACKUP_SCHEDUEL is not a Laterbase variable and is ignored; did you mean BACKUP_SCHEDULE?")
        }
        _ = await stopProduct(agent)
        #expect(warned, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        // The standby: a misspelling that causes the configuration error is named in its line …
        let standby = try await runProduct("standby-entrypoint", ["run"], environment: ["PRIMARY_HST": "resolve.local", "PGDATA": folder + "/pgdata"])
        #expect(standby.status == 78)
        #expect(standby.stderr.contains("PRIMARY_HST is set: did you mean PRIMARY_HOST?"), "\(standby.stderr)")
        // … and any other is a warning in its log at start (here it then waits for a primary that is not there).
        let standbyLog = folder + "/standby.log"
        let running = try launchProduct("standby-entrypoint", ["run"], environment: [
            "PRIMARY_HOST": "127.0.0.1", "PRIMARY_PORT": String(try FreePort.find()), "REPL_PASWORD": "x", "PGDATA": folder + "/pgdata",
        ], output: .log(appendingTo: standbyLog))
        let standbyWarned = await poll(timeout: .seconds(20)) {
            ((try? String(contentsOfFile: standbyLog, encoding: .utf8)) ?? "").contains("REPL_PASWORD is not a Laterbase variable and is ignored; did you mean REPL_PASSWORD?")
        }
        _ = await stopProduct(running)
        #expect(standbyWarned, "\((try? String(contentsOfFile: standbyLog, encoding: .utf8)) ?? "")")
    }

    /// The list cannot drift from the code and the documentation: every name a setting reads
    /// (a quoted upper-case name passed to `EnvironmentReader`), every row of
    /// docs/configuration.md and every line of .env.example is known.
    @Test("every variable read in Sources, documented, or in .env.example is known")
    func listIsComplete() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var read = Set<String>()
        let getter = try Regex(#"(?:env|environment)\.(?:string|requiredString|integer|port|bool|duration|list|subnets|choice|secret|requiredSecret|listenAddress|raw)\(\[?"([A-Z][A-Z0-9_]*)""#)
        let enumerator = try #require(FileManager.default.enumerator(at: root.appendingPathComponent("Sources"), includingPropertiesForKeys: nil))
        for case let file as URL in enumerator where file.pathExtension == "swift" && !file.path.contains("LaterbaseTestSupport") {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: getter) { read.insert(String(match.output[1].substring!)) }
        }
        #expect(read.count > 30, "the scan found \(read.count) names; has the reader's API changed?")
        let configuration = try String(contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let documented = configuration.matches(of: try Regex(#"(?m)^\| `([A-Z][A-Z0-9_]*)`"#)).map { String($0.output[1].substring!) }
        let example = try String(contentsOf: root.appendingPathComponent(".env.example"), encoding: .utf8)
        let listed = example.matches(of: try Regex(#"(?m)^#? ?([A-Z][A-Z0-9_]*)="#)).map { String($0.output[1].substring!) }
        let ours = (read.union(documented).union(listed)).filter { name in KnownVariables.prefixes.contains { name.hasPrefix($0) } }
        #expect(ours.subtracting(KnownVariables.names).sorted() == [])
    }
}
