#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An address of this machine that a server can listen on: an IPv4 or IPv6 literal
/// (`0.0.0.0`, `127.0.0.1`, `::`) or `localhost`, checked by binding a socket to it once.
/// A host name is refused: which address it resolves to would change behind the operator's back.
public enum ListenAddress {
    /// Nil when `text` can be listened on; otherwise what is wrong, as the end of a sentence
    /// that starts with the variable's name.
    public static func problem(with text: String) -> String? {
        if text == "localhost" { return nil }
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        let bound: Int32
        if inet_pton(AF_INET, text, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            bound = tryBind(family: AF_INET, &v4, MemoryLayout<sockaddr_in>.size)
        } else if inet_pton(AF_INET6, text, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            bound = tryBind(family: AF_INET6, &v6, MemoryLayout<sockaddr_in6>.size)
        } else {
            return "must be an IP address of this machine such as 0.0.0.0 (all), 127.0.0.1 or ::, got \"\(text)\""
        }
        guard bound == 0 else {
            return "is \"\(text)\", which this machine cannot listen on (\(String(cString: strerror(bound)))); use 0.0.0.0 for every interface or one of this machine's addresses"
        }
        return nil
    }

    /// Binds a fresh socket to `address` port 0 and closes it: 0, or the errno of the failure.
    private static func tryBind<Address>(family: Int32, _ address: inout Address, _ size: Int) -> Int32 {
        #if canImport(Glibc)
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(family, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(size)) }
        }
        return result == 0 ? 0 : errno
    }
}

extension EnvironmentReader {
    /// An address to listen on (``ListenAddress``), or `defaultValue` when unset.
    public func listenAddress(_ name: String, default defaultValue: String) throws(ConfigurationError) -> String {
        guard let (used, text) = raw([name]) else { return defaultValue }
        if let problem = ListenAddress.problem(with: text) {
            throw ConfigurationError(variable: used, problem: problem)
        }
        return text
    }
}
