import Foundation
import LaterbaseCore

/// Asks the kernel for a free TCP port on 127.0.0.1 (``LoopbackPort``, as the agent does).
///
/// Below the kernel's ephemeral range (`ip_local_port_range`, 32768 and up by default) when it
/// can: a port from that range may be handed to another test's outgoing connection (a client,
/// rclone, apprise, 1,500 idle sockets) between this call and the server's bind.
public enum FreePort {
    public static func find() throws -> Int {
        let ceiling = ephemeralStart()
        if ceiling > 20_000 {
            for _ in 0..<64 {
                let port = Int.random(in: 15_000..<ceiling)
                if LoopbackPort.isFree(port) { return port }
            }
        }
        do { return try LoopbackPort.free() } catch { throw ClusterError("\(error)") }
    }

    /// The first port of the ephemeral range.
    static func ephemeralStart() -> Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32_768
    }
}
