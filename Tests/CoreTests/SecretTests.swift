import Foundation
@testable import LaterbaseCore
import Testing

@Suite("Secrets and _FILE variables")
struct SecretTests {
    @Test("a secret never prints its value")
    func redaction() {
        let secret = Secret("DaVinci")
        #expect("\(secret)" == "****")
        #expect(String(reflecting: secret) == "****")
        #expect(!String(describing: [secret]).contains("DaVinci"))
        #expect(secret.reveal() == "DaVinci")
    }

    @Test("NAME_FILE is read, one trailing newline removed")
    func fromFile() throws {
        let path = try temporaryFile("s3cr:et\\pw\n")
        defer { unlink(path) }
        let env = EnvironmentReader(["REPL_PASSWORD_FILE": path])
        #expect(try env.secret("REPL_PASSWORD")?.reveal() == "s3cr:et\\pw")
    }

    @Test("setting both NAME and NAME_FILE is an error that shows neither value")
    func both() throws {
        let path = try temporaryFile("from-file")
        defer { unlink(path) }
        let env = EnvironmentReader(["REPL_PASSWORD": "direct-value", "REPL_PASSWORD_FILE": path])
        let error = #expect(throws: ConfigurationError.self) { try env.secret("REPL_PASSWORD") }
        #expect(error?.variable == "REPL_PASSWORD_FILE")
        #expect(error?.description.contains("direct-value") == false)
        #expect(error?.description.contains("from-file") == false)
    }

    @Test("an unreadable or empty NAME_FILE names the file, not the secret")
    func unreadable() throws {
        let missing = EnvironmentReader(["REPL_PASSWORD_FILE": "/nonexistent/secret"])
        let error = #expect(throws: ConfigurationError.self) { try missing.secret("REPL_PASSWORD") }
        #expect(error?.description.contains("/nonexistent/secret") == true)
        let emptyFile = try temporaryFile("\n")
        defer { unlink(emptyFile) }
        let empty = EnvironmentReader(["REPL_PASSWORD_FILE": emptyFile])
        let emptyError = #expect(throws: ConfigurationError.self) { try empty.secret("REPL_PASSWORD") }
        #expect(emptyError?.description.contains("empty") == true)
    }

    @Test("a required secret that is missing says how to provide it")
    func required() {
        let error = #expect(throws: ConfigurationError.self) { try EnvironmentReader([:]).requiredSecret("REPL_PASSWORD") }
        #expect(error?.description == "configuration error: REPL_PASSWORD is not set; set it (or REPL_PASSWORD_FILE naming a file that holds it)")
    }

    @Test("settings structs never print the password")
    func settingsRedaction() throws {
        let settings = try PrimarySettings(environment: EnvironmentReader(["PRIMARY_HOST": "resolve", "REPL_PASSWORD": "DaVinci-Secret"]))
        #expect(!String(describing: settings).contains("DaVinci-Secret"))
        #expect(!String(reflecting: settings.connection()).contains("DaVinci-Secret"))
        #expect(settings.connection().keywordValuePairs().contains { $0 == ("password", "DaVinci-Secret") })
    }

    /// A 0600 file holding `contents`, as a Docker secret would be; the caller removes it.
    private func temporaryFile(_ contents: String) throws -> String {
        let path = NSTemporaryDirectory() + "laterbase-secret-\(UUID().uuidString)"
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }
}
