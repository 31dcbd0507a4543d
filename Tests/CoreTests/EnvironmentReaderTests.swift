import Foundation
@testable import LaterbaseCore
import Testing

@Suite("Environment reading")
struct EnvironmentReaderTests {
    @Test("strings: set, unset, empty counts as unset, aliases in order")
    func strings() throws {
        let env = EnvironmentReader(["A": " x ", "EMPTY": "", "OLD": "legacy"])
        #expect(env.string("A") == "x")
        #expect(env.string("MISSING") == nil)
        #expect(env.string("EMPTY", default: "d") == "d")
        #expect(env.string("NEW", aliases: ["OLD"]) == "legacy")
        #expect(throws: ConfigurationError(variable: "NEED", problem: "is not set; expected a host")) {
            try env.requiredString("NEED", expected: "a host")
        }
    }

    @Test("integers and ports: defaults, bounds, garbage", arguments: [
        ("5432", 5432 as Int?), ("1", 1), ("65535", 65535), ("0", nil), ("65536", nil), ("54a", nil), ("-1", nil), ("5432.0", nil),
    ])
    func ports(text: String, expected: Int?) throws {
        let env = EnvironmentReader(["PRIMARY_PORT": text])
        if let expected {
            #expect(try env.port("PRIMARY_PORT", default: 1) == expected)
        } else {
            let error = #expect(throws: ConfigurationError.self) { try env.port("PRIMARY_PORT", default: 1) }
            #expect(error?.variable == "PRIMARY_PORT")
            #expect(error?.description.contains("port number from 1 to 65535") == true)
            #expect(error?.description.contains(text) == true)
        }
    }

    @Test("integer ranges name the range")
    func integerRange() throws {
        let env = EnvironmentReader(["LEVEL": "12"])
        #expect(try EnvironmentReader([:]).integer("LEVEL", default: 6, range: 1...9) == 6)
        let error = #expect(throws: ConfigurationError.self) { try env.integer("LEVEL", default: 6, range: 1...9) }
        #expect(error?.description == "configuration error: LEVEL must be a whole number from 1 to 9, got \"12\"")
    }

    @Test("booleans", arguments: [
        ("true", true as Bool?), ("TRUE", true), ("yes", true), ("1", true), ("on", true),
        ("false", false), ("No", false), ("0", false), ("off", false), ("maybe", nil), ("2", nil),
    ])
    func booleans(text: String, expected: Bool?) throws {
        let env = EnvironmentReader(["CREATE_SLOT": text])
        if let expected {
            #expect(try env.bool("CREATE_SLOT", default: !expected) == expected)
        } else {
            let error = #expect(throws: ConfigurationError.self) { try env.bool("CREATE_SLOT", default: true) }
            #expect(error?.description.contains("CREATE_SLOT must be true or false") == true)
        }
    }

    @Test("durations", arguments: [
        ("90", 90 as Int?), ("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), ("2H", 7200),
        ("", nil), ("m", nil), ("10x", nil), ("1.5h", nil), ("-5", nil), ("10 m", nil), ("99999999999999999999h", nil),
    ])
    func durations(text: String, expected: Int?) throws {
        #expect(ConfigDuration.parseSeconds(text) == expected)
        if !text.isEmpty {
            let env = EnvironmentReader(["HEALTH_MAX_LAG_SECONDS": text])
            if let expected {
                #expect(try env.duration("HEALTH_MAX_LAG_SECONDS", default: 1) == expected)
            } else {
                #expect(throws: ConfigurationError.self) { try env.duration("HEALTH_MAX_LAG_SECONDS", default: 1) }
            }
        }
    }

    @Test("comma lists drop blanks")
    func lists() {
        let env = EnvironmentReader(["PRIMARY_DB": " Resolve , ,Archive 2024,"])
        #expect(env.list("PRIMARY_DBS", aliases: ["PRIMARY_DB"]) == ["Resolve", "Archive 2024"])
        #expect(env.list("NOTHING").isEmpty)
    }

    @Test("CIDR subnets", arguments: [
        ("192.168.10.0/24", true), ("10.0.0.1/32", true), ("0.0.0.0/0", true), ("::1/128", true), ("fd00::/8", true),
        ("192.168.10.0", false), ("192.168.10.0/33", false), ("::1/129", false), ("300.1.1.1/24", false),
        ("host/24", false), ("10.0.0.0/-1", false), ("10.0.0.0/24/1", false), ("10.0.0.0/", false),
    ])
    func cidr(text: String, valid: Bool) {
        #expect((CIDRSubnet(text) != nil) == valid)
        if valid { #expect(CIDRSubnet(text)?.description == text) }
    }

    @Test("subnets are gathered from the new name and the old aliases, without repeats")
    func subnetsWithAliases() throws {
        let env = EnvironmentReader([
            "STANDBY_ACCESS_SUBNETS": "10.1.0.0/16, 192.168.0.0/24",
            "PGADMIN_ACCESS_SUBNET": "172.20.0.0/16",
            "PG_REALWORLD_SUBNET": "192.168.0.0/24",
        ])
        let subnets = try env.subnets("STANDBY_ACCESS_SUBNETS", aliases: ["PGADMIN_ACCESS_SUBNET", "PG_REALWORLD_SUBNET"])
        #expect(subnets.map(\.description) == ["10.1.0.0/16", "192.168.0.0/24", "172.20.0.0/16"])
        let bad = EnvironmentReader(["PG_REALWORLD_SUBNET": "192.168.0.0/24,lan"])
        let error = #expect(throws: ConfigurationError.self) {
            try bad.subnets("STANDBY_ACCESS_SUBNETS", aliases: ["PGADMIN_ACCESS_SUBNET", "PG_REALWORLD_SUBNET"])
        }
        #expect(error?.variable == "PG_REALWORLD_SUBNET")
        #expect(error?.description.contains("\"lan\"") == true)
    }

    @Test("choices are case-insensitive and list the allowed words")
    func choices() throws {
        #expect(try EnvironmentReader(["STANDBY_RECLONE": "AUTO"]).choice("STANDBY_RECLONE", ["never", "auto"], default: "never") == "auto")
        let error = #expect(throws: ConfigurationError.self) {
            try EnvironmentReader(["STANDBY_RECLONE": "always"]).choice("STANDBY_RECLONE", ["never", "auto"], default: "never")
        }
        #expect(error?.description == "configuration error: STANDBY_RECLONE must be one of never, auto, got \"always\"")
    }
}
