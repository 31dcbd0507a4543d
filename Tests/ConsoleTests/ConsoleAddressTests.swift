@testable import Console
import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

@Suite("console: CONSOLE_ADDRESS", .timeLimit(.minutes(2)))
struct ConsoleAddressTests {
    static let base = ["PRIMARY_HOST": "127.0.0.1", "REPL_PASSWORD": "x", "BACKUP_DIR": "/tmp/laterbase-console-never-used",
                       "BACKUP_ON_START": "false", "CONSOLE": "on", "CONSOLE_PASSWORD": "long-enough"]

    @Test("an address this machine cannot listen on stops `run` with exit 78 and one line naming CONSOLE_ADDRESS",
          arguments: ["not-an-ip", "999.1.1.1", "192.0.2.1", "127.0.0.1:8080"])
    func unusableAddress(address: String) async throws {
        let run = try await runProduct("backup-agent", ["run"], environment: Self.base.merging(["CONSOLE_ADDRESS": address]) { $1 })
        #expect(run.status == 78, "\(address): \(run.status) \(run.stderr)")
        #expect(run.stderr.contains("CONSOLE_ADDRESS") && run.stderr.contains(address), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
    }

    @Test("addresses of this machine are accepted; with the console off the address is not checked")
    func usableAddresses() throws {
        for address in ["0.0.0.0", "127.0.0.1", "localhost"] {
            let settings = try ConsoleSettings(environment: EnvironmentReader(Self.base.merging(["CONSOLE_ADDRESS": address]) { $1 }))
            #expect(settings.address == address)
        }
        let off = try ConsoleSettings(environment: EnvironmentReader(Self.base.merging(["CONSOLE": "off", "CONSOLE_ADDRESS": "not-an-ip"]) { $1 }))
        #expect(!off.enabled)
    }

    @Test("a misspelled console variable is named beside the error it causes")
    func misspelledPassword() async throws {
        var environment = Self.base
        environment["CONSOLE_PASSWORD"] = nil
        environment["CONSOLE_PASSWRD"] = "long-enough-secret"
        let run = try await runProduct("backup-agent", ["run"], environment: environment)
        #expect(run.status == 78, "\(run.stderr)")
        #expect(run.stderr.contains("CONSOLE_PASSWRD is set: did you mean CONSOLE_PASSWORD?"), "\(run.stderr)")
        #expect(!run.stderr.contains("long-enough-secret"))
        #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
    }
}
