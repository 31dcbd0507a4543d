import Foundation
@testable import LaterbaseCore
@testable import Standby
import Testing

@Suite("Standby pure functions: versions and quoting")
struct VersionAndQuotingTests {
    @Test("major versions from server_version_num", arguments: [
        (130012, "13"), (150004, "15"), (90524, "9.5"), (100023, "10"), (170000, "17"),
    ])
    func fromNumber(number: Int, major: String) {
        #expect(PostgresMajorVersion(serverVersionNumber: number)?.description == major)
    }

    @Test("major versions from postgres --version", arguments: [
        ("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", "15"),
        ("postgres (PostgreSQL) 13.12", "13"),
        ("postgres (PostgreSQL) 9.5.25", "9.5"),
        ("16beta2", "16"),
    ])
    func fromText(text: String, major: String) {
        #expect(PostgresMajorVersion(versionText: text)?.description == major)
    }

    @Test("unreadable versions are nil")
    func unreadable() {
        #expect(PostgresMajorVersion(versionText: "postgres (PostgreSQL)") == nil)
        #expect(PostgresMajorVersion(serverVersionNumber: 0) == nil)
    }

    @Test("equal majors are compatible; different ones name both versions and the fix")
    func compatibility() throws {
        let thirteen = PostgresMajorVersion(code: 13)
        let fifteen = PostgresMajorVersion(code: 15)
        #expect(VersionCompatibility.problem(primary: thirteen, local: PostgresMajorVersion(serverVersionNumber: 130012)!, localBinary: "/pg") == nil)
        let problem = try #require(VersionCompatibility.problem(primary: thirteen, local: fifteen, localBinary: "/usr/lib/postgresql/15/bin/postgres"))
        #expect(problem.contains("the primary runs PostgreSQL 13 (Resolve 18 and later run PostgreSQL 13)"))
        #expect(problem.contains("(/usr/lib/postgresql/15/bin/postgres) is PostgreSQL 15"))
        #expect(problem.contains("PG_MAJOR=13"))
        let old = try #require(VersionCompatibility.problem(primary: PostgresMajorVersion(code: 905), local: thirteen, localBinary: "/pg"))
        #expect(old.contains("PostgreSQL 9.5 (Resolve 12.5 to 17 run PostgreSQL 9.5)"))
        // 13.x minor versions differ but replicate.
        #expect(PostgresMajorVersion(versionText: "13.4") == PostgresMajorVersion(serverVersionNumber: 130014))
    }

    @Test("conninfo values are single-quoted with ' and \\ escaped", arguments: [
        ("plain", "'plain'"), ("", "''"), ("it's", #"'it\'s'"#), (#"C:\dir"#, #"'C:\\dir'"#),
        ("two words", "'two words'"), (#"a'\b"#, #"'a\'\\b'"#),
    ])
    func connInfoQuote(value: String, quoted: String) {
        #expect(ConnInfo.quote(value) == quoted)
    }

    @Test("rendered conninfo parses back to the same pairs")
    func connInfoRoundTrip() throws {
        let pairs = [("host", "resolve server"), ("port", "5432"), ("user", #"o'brien\x"#), ("passfile", "/var/lib/postgresql/data/x.pgpass")]
        let text = ConnInfo.render(pairs)
        #expect(text == #"host='resolve server' port='5432' user='o\'brien\\x' passfile='/var/lib/postgresql/data/x.pgpass'"#)
        let parsed = try #require(ConnInfo.parse(text))
        #expect(parsed.map(\.0) == pairs.map(\.0))
        #expect(parsed.map(\.1) == pairs.map(\.1))
        #expect(ConnInfo.parse("host=a port= 5432")?.map(\.1) == ["a", "5432"])
        #expect(ConnInfo.parse("host='unterminated") == nil)
    }

    @Test("primary_conninfo names the passfile and never holds a password")
    func primaryConnInfo() {
        let primary = PrimarySettings(host: "10.0.0.5", port: 5432, user: "postgres", password: Secret("DaVinci"), sslMode: "prefer")
        let text = StandbyConfigurator.primaryConnInfo(primary, passfile: "/data/laterbase_primary.pgpass", applicationName: "slot")
        #expect(text == "host='10.0.0.5' port='5432' user='postgres' passfile='/data/laterbase_primary.pgpass' sslmode='prefer' application_name='slot' connect_timeout='10'")
        #expect(!text.contains("DaVinci"))
    }

    @Test("postgresql.conf quoting doubles quotes and backslashes")
    func configQuote() {
        #expect(ConfigFileText.quote(#"user='o\'b'"#) == #"'user=''o\\''b'''"#)
        let text = "port = 5432\n" + "x = " + ConfigFileText.quote(#"a'b\c"#) + "\n"
        #expect(ConfigFileText.value(of: "x", in: text) == #"a'b\c"#)
        #expect(ConfigFileText.value(of: "port", in: text) == "5432")
    }
}
