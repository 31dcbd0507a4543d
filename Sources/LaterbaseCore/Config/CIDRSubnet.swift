#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 subnet in CIDR notation (`192.168.10.0/24`, `fd00::/8`), as written into
/// `pg_hba.conf` lines.
public struct CIDRSubnet: Sendable, Hashable, CustomStringConvertible {
    /// The address part exactly as given (validated with `inet_pton`).
    public let address: String
    /// The prefix length: 0-32 for IPv4, 0-128 for IPv6.
    public let prefixLength: Int
    public let isIPv6: Bool

    /// Parses `text`; returns nil unless it is an address, a slash, and a prefix length in range.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let prefix = Int(parts[1]), prefix >= 0 else { return nil }
        let addr = String(parts[0])
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, addr, &v4) == 1 {
            guard prefix <= 32 else { return nil }
            isIPv6 = false
        } else if inet_pton(AF_INET6, addr, &v6) == 1 {
            guard prefix <= 128 else { return nil }
            isIPv6 = true
        } else {
            return nil
        }
        address = addr
        prefixLength = prefix
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
