import Foundation
import LaterbaseCore

/// Asks the kernel for a free TCP port on 127.0.0.1 (``LoopbackPort``, as the agent does).
public enum FreePort {
    public static func find() throws -> Int {
        do { return try LoopbackPort.free() } catch { throw ClusterError("\(error)") }
    }
}
