import Foundation

/// Runs blocking work (a libpq call that may wait for a lock or a network peer) on a thread of
/// its own. Not on `DispatchQueue.global()`: its width is the number of cores, so on a small
/// machine two blocked libpq calls would hold up every other — including the cancel request
/// meant to unblock them.
package enum DedicatedThread {
    package static func run(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { body() }
        thread.name = name
        thread.start()
    }
}
