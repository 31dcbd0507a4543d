import Foundation

/// Runs one of the built executables to completion with exactly `environment` (plus PATH) and
/// returns its exit status, standard output and standard error.
///
/// The pipes are drained and the exit awaited on threads of its own: Swift's cooperative pool
/// is as wide as the machine has cores, and tests that run in parallel must not block it while
/// a child runs (timing measurements of other tests would wait for it).
public func runProduct(_ name: String, _ arguments: [String], environment: [String: String]) async throws
    -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try BuiltProducts.executable(name))
    process.arguments = arguments
    var env = environment
    env["PATH"] = env["PATH"] ?? ProcessInfo.processInfo.environment["PATH"]
    process.environment = env
    let errorPipe = Pipe()
    let outputPipe = Pipe()
    process.standardError = errorPipe
    process.standardOutput = outputPipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let output = ChildOutput()
    return await withCheckedContinuation { continuation in
        Thread {
            let errors = Thread { output.setErrors(errorPipe.fileHandleForReading.readDataToEndOfFile()) }
            errors.start()
            let out = outputPipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let err = output.waitForErrors()
            continuation.resume(returning: (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self)))
        }.start()
    }
}

/// Standard error of a child, read on another thread.
private final class ChildOutput: @unchecked Sendable {
    private let condition = NSCondition()
    private var errors: Data?

    func setErrors(_ data: Data) {
        condition.withLock {
            errors = data
            condition.signal()
        }
    }

    func waitForErrors() -> Data {
        condition.withLock {
            while errors == nil { condition.wait() }
            return errors!
        }
    }
}
