import Foundation

/// Clusters that are still running, so that an exit handler can stop them (SIGQUIT to the
/// postmaster: immediate shutdown) and remove their directories if a test run ends early.
final class ClusterRegistry: @unchecked Sendable {
    static let shared = ClusterRegistry()
    private let lock = NSLock()
    private var running: [String: String] = [:]  // root → data directory

    private init() {
        atexit { ClusterRegistry.shared.stopAll() }
    }

    func add(root: String, data: String) { lock.withLock { running[root] = data } }
    func remove(root: String) { lock.withLock { _ = running.removeValue(forKey: root) } }

    private func stopAll() {
        let leftovers = lock.withLock { running }
        for (root, data) in leftovers {
            if let text = try? String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8),
               let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }) {
                kill(pid, SIGQUIT)
            }
            try? FileManager.default.removeItem(atPath: root)
        }
    }
}
