import Foundation

/// What of a notification URL may be shown on a page: its scheme and, when it is a real host
/// name or address, its host (`mailtos://…@smtp.gmail.com?…`, `json://127.0.0.1:…`); never a
/// user, a password, a port, a path or a query. Many Apprise services carry their token where
/// a host would be (`slack://T0000/B0000/XXXX`, `tgram://<bot token>/<chat>`,
/// `pbul://o.<token>`): a "host" that does not look like a host name (letters-only top-level
/// label), an IPv4 or IPv6 address or `localhost` is cut too (`slack://…`).
public enum MaskedTarget {
    /// `url` masked; `(not a URL)` for text without `scheme://`.
    public static func mask(_ url: String) -> String {
        guard let separator = url.range(of: "://") else { return "(not a URL)" }
        let scheme = url[..<separator.lowerBound]
        guard let first = scheme.first, first.isASCII, first.isLetter,
              scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+.-".contains($0)) }) else { return "(not a URL)" }
        let prefix = scheme.lowercased() + "://"
        let rest = url[separator.upperBound...]
        // The authority ends at the first `/`, `?` or `#`, as Apprise reads it.
        let authorityEnd = rest.firstIndex(where: { "/?#".contains($0) }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let beforeQuery = rest[..<(rest.firstIndex(where: { "?#".contains($0) }) ?? rest.endIndex)]
        // An `@` past the authority (a password with a raw `/`): nothing tells user from host.
        if beforeQuery[authorityEnd...].contains("@") { return prefix + "…" }
        var user = ""
        var hostAndPort = authority
        if let at = authority.lastIndex(of: "@") {
            user = "…@"
            hostAndPort = authority[authority.index(after: at)...]
        }
        let host: Substring
        if hostAndPort.hasPrefix("["), let close = hostAndPort.firstIndex(of: "]") {
            host = hostAndPort[...close]
        } else {
            host = hostAndPort[..<(hostAndPort.firstIndex(of: ":") ?? hostAndPort.endIndex)]
        }
        guard looksLikeHost(host) else { return prefix + user + "…" }
        let after = url[host.endIndex...]
        return prefix + user + host + (after.first.map { "\($0)…" } ?? "")
    }

    /// A DNS name whose last label is letters only, `localhost`, an IPv4 address or a bracketed
    /// IPv6 address.
    static func looksLikeHost(_ host: Substring) -> Bool {
        guard !host.isEmpty, host.count <= 253 else { return false }
        if host.hasPrefix("[") { return host.hasSuffix("]") && host.dropFirst().dropLast().allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } }
        if host.lowercased() == "localhost" { return true }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count == 4, labels.allSatisfy({ label in !label.isEmpty && label.count <= 3 && label.allSatisfy { $0.isASCII && $0.isNumber } && Int(label)! <= 255 }) {
            return true
        }
        guard labels.count >= 2, labels.allSatisfy({ label in
            (1...63).contains(label.count) && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }), let top = labels.last, (2...24).contains(top.count), top.allSatisfy({ $0.isASCII && $0.isLetter }) else { return false }
        return true
    }
}

extension NotifySettings {
    /// Each URL of ``urlList`` masked by ``MaskedTarget/mask(_:)``, for the console's page.
    public var maskedTargets: [String] { urlList.map(MaskedTarget.mask) }
}
