import Foundation
@testable import LaterbaseCore
import LaterbaseTestSupport
import Testing

@Suite("standby-entrypoint command line")
struct StandbySmokeTests {
    @Test("a configuration error exits 78 with one line naming the variable")
    func configurationError() async throws {
        let (status, _, stderr) = try await runProduct("standby-entrypoint", ["status"], environment: ["PRIMARY_HOST": "h", "PGPORT": "0"])
        #expect(status == 78)
        #expect(stderr == "configuration error: PGPORT must be a TCP port number from 1 to 65535, got \"0\"\n")
    }
}
