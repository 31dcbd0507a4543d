import Foundation
@testable import LaterbaseCore
import Logging
import Testing

@Suite("Quoting, passfiles, errors and log lines")
struct QuotingTests {
    @Test("identifiers", arguments: [
        ("SM_Project", "\"SM_Project\""), ("we\"ird", "\"we\"\"ird\""), ("Ünïcødé 项目", "\"Ünïcødé 项目\""), ("", "\"\""),
    ])
    func identifiers(name: String, quoted: String) {
        #expect(SQLQuoting.identifier(name) == quoted)
    }

    @Test("literals", arguments: [
        ("plain", "'plain'"), ("it's", "'it''s'"), ("C:\\Media\\x", "E'C:\\\\Media\\\\x'"), ("a'\\b", "E'a''\\\\b'"),
    ])
    func literals(text: String, quoted: String) {
        #expect(SQLQuoting.literal(text) == quoted)
    }

    @Test("passfile lines escape colons and backslashes")
    func passfileLine() {
        #expect(PassFile.line(host: "10.0.0.5", port: 5432, user: "postgres", password: Secret("a:b\\c")) == "10.0.0.5:5432:*:postgres:a\\:b\\\\c")
        #expect(PassFile.line(host: "::1", port: 5432, database: "replication", user: "u", password: Secret("p")) == "\\:\\:1:5432:replication:u:p")
    }

    @Test("passfiles are written 0600")
    func passfileMode() throws {
        let path = NSTemporaryDirectory() + "laterbase-pgpass-\(UUID().uuidString)"
        defer { unlink(path) }
        try PassFile.write(["h:1:*:u:p"], to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "h:1:*:u:p\n")
    }

    @Test("libpq messages become one line with the password masked")
    func errorCleaning() {
        let raw = "connection to server at \"10.0.0.1\", port 5432 failed: FATAL:  password authentication failed for user \"postgres\"\nDETAIL: tried hunter2\n"
        let line = PostgresError.clean(raw, password: Secret("hunter2"))
        #expect(!line.contains("\n"))
        #expect(!line.contains("hunter2"))
        #expect(line.contains("tried ****"))
        #expect(PostgresError.connectionKind(for: line).0 == .authentication)
        #expect(PostgresError.connectionKind(for: "connection to server at \"127.0.0.1\", port 1 failed: Connection refused").0 == .unreachable)
        #expect(PostgresError.connectionKind(for: "timeout expired").0 == .unreachable)
    }

    @Test("connection keywords never go through a conninfo string")
    func keywordPairs() {
        let parameters = ConnectionParameters(host: "resolve host", port: 5433, user: "o'brien", password: Secret("p w=x"), database: "Resolve Main", replication: true)
        let pairs = Dictionary(uniqueKeysWithValues: parameters.keywordValuePairs())
        #expect(pairs["host"] == "resolve host")
        #expect(pairs["user"] == "o'brien")
        #expect(pairs["password"] == "p w=x")
        #expect(pairs["dbname"] == "Resolve Main")
        #expect(pairs["replication"] == "true")
        #expect(pairs["connect_timeout"] == "10")
        #expect(parameters.description == "o'brien@resolve host:5433/Resolve Main")
    }

    @Test("log lines: text and JSON, one line each")
    func logLines() throws {
        let time = Date(timeIntervalSince1970: 1_790_000_000)
        let text = LineLogHandler.render(format: .text, time: time, level: .info, label: "backup-agent",
                                         message: "backup finished\nok", metadata: ["db": "Resolve Main", "bytes": "42"])
        #expect(text.hasSuffix("info backup finished ok bytes=42 db=\"Resolve Main\""))
        #expect(!text.contains("\n"))
        let json = LineLogHandler.render(format: .json, time: time, level: .error, label: "backup-agent",
                                         message: "quote \" and\nnewline", metadata: ["db": "x"])
        #expect(!json.contains("\n"))
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        #expect(object?["message"] == "quote \" and\nnewline")
        #expect(object?["level"] == "error")
        #expect(object?["db"] == "x")
    }
}
