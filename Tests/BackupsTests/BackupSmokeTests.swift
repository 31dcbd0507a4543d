import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

@Suite("backup-agent command line")
struct BackupSmokeTests {
    @Test("a secret in a bad variable is never echoed")
    func configurationError() async throws {
        let (status, _, stderr) = try await runProduct("backup-agent", ["run"], environment: ["PRIMARY_HOST": "h", "REPL_PASSWORD": "Top-Secret", "REPL_PASSWORD_FILE": "/nonexistent"])
        #expect(status == 78)
        #expect(stderr.hasPrefix("configuration error: REPL_PASSWORD_FILE"))
        #expect(!stderr.contains("Top-Secret"))
        #expect(stderr.split(separator: "\n").count == 1)
    }
}
