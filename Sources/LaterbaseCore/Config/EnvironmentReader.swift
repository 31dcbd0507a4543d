import Foundation

/// Typed, validating access to environment variables.
///
/// Every getter throws ``ConfigurationError`` naming the variable and what is expected when a
/// value is malformed; required getters also throw when it is missing. An empty value counts
/// as unset, as in the original `.env` files. Secrets are read with ``secret(_:)``, which also
/// honours `NAME_FILE` (Docker secrets) and never puts the value into an error.
public struct EnvironmentReader: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// The trimmed value of the first of `names` that is set and non-empty, with the name it came from.
    public func raw(_ names: [String]) -> (name: String, value: String)? {
        for name in names {
            if let value = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty {
                return (name, value)
            }
        }
        return nil
    }

    public func string(_ name: String, aliases: [String] = [], default defaultValue: String? = nil) -> String? {
        raw([name] + aliases)?.value ?? defaultValue
    }

    public func requiredString(_ name: String, aliases: [String] = [], expected: String) throws(ConfigurationError) -> String {
        guard let value = raw([name] + aliases)?.value else {
            throw ConfigurationError(variable: name, problem: "is not set; expected \(expected)")
        }
        return value
    }

    public func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int> = 0...Int.max) throws(ConfigurationError) -> Int {
        guard let (used, text) = raw([name]) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(variable: used, problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    public func port(_ name: String, default defaultValue: Int) throws(ConfigurationError) -> Int {
        guard let (used, text) = raw([name]) else { return defaultValue }
        guard let value = Int(text), (1...65535).contains(value) else {
            throw ConfigurationError(variable: used, problem: "must be a TCP port number from 1 to 65535, got \"\(text)\"")
        }
        return value
    }

    /// Accepts true/false, yes/no, on/off, 1/0 in any case.
    public func bool(_ name: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        guard let (used, text) = raw([name]) else { return defaultValue }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default:
            throw ConfigurationError(variable: used, problem: "must be true or false, got \"\(text)\"")
        }
    }

    /// A duration in whole seconds: `90`, `30s`, `10m`, `2h`, `1d`.
    public func duration(_ name: String, default defaultValue: Int) throws(ConfigurationError) -> Int {
        guard let (used, text) = raw([name]) else { return defaultValue }
        guard let seconds = ConfigDuration.parseSeconds(text) else {
            throw ConfigurationError(variable: used, problem: "must be a duration such as 90, 30s, 10m or 2h, got \"\(text)\"")
        }
        return seconds
    }

    /// A comma-separated list; blanks around items and empty items are dropped.
    public func list(_ name: String, aliases: [String] = []) -> [String] {
        guard let (_, text) = raw([name] + aliases) else { return [] }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Comma-separated CIDR subnets, gathered from `name` and every alias that is set.
    public func subnets(_ name: String, aliases: [String] = []) throws(ConfigurationError) -> [CIDRSubnet] {
        var result: [CIDRSubnet] = []
        for variable in [name] + aliases {
            for item in list(variable) {
                guard let subnet = CIDRSubnet(item) else {
                    throw ConfigurationError(variable: variable, problem: "must be comma-separated subnets in CIDR form such as 192.168.10.0/24, got \"\(item)\"")
                }
                if !result.contains(subnet) { result.append(subnet) }
            }
        }
        return result
    }

    /// One of a fixed set of words (case-insensitive); returns the lowercased word.
    public func choice(_ name: String, _ allowed: [String], default defaultValue: String) throws(ConfigurationError) -> String {
        guard let (used, text) = raw([name]) else { return defaultValue }
        let lowered = text.lowercased()
        guard allowed.contains(lowered) else {
            throw ConfigurationError(variable: used, problem: "must be one of \(allowed.joined(separator: ", ")), got \"\(text)\"")
        }
        return lowered
    }

    /// A secret from `NAME` or from the file named by `NAME_FILE` (one trailing newline removed).
    /// Setting both is an error, so nobody wonders which one won. Errors never contain the value.
    public func secret(_ name: String, aliases: [String] = []) throws(ConfigurationError) -> Secret? {
        let fileVariable = name + "_FILE"
        let direct = (values[name].flatMap { $0.isEmpty ? nil : $0 })
            ?? aliases.lazy.compactMap { values[$0].flatMap { $0.isEmpty ? nil : $0 } }.first
        if let path = values[fileVariable]?.trimmingCharacters(in: .whitespaces), !path.isEmpty {
            if direct != nil {
                throw ConfigurationError(variable: fileVariable, problem: "and \(name) are both set; keep only one of them")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(variable: fileVariable, problem: "names \"\(path)\", which cannot be read; point it at a readable file holding only the secret")
            }
            guard var text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError(variable: fileVariable, problem: "names \"\(path)\", which is not UTF-8 text")
            }
            if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
            guard !text.isEmpty else {
                throw ConfigurationError(variable: fileVariable, problem: "names \"\(path)\", which is empty; write the secret into it")
            }
            return Secret(text)
        }
        return direct.map(Secret.init)
    }

    public func requiredSecret(_ name: String, aliases: [String] = []) throws(ConfigurationError) -> Secret {
        guard let secret = try secret(name, aliases: aliases) else {
            throw ConfigurationError(variable: name, problem: "is not set; set it (or \(name)_FILE naming a file that holds it)")
        }
        return secret
    }
}
