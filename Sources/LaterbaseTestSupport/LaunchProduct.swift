import Foundation

/// Where a launched product's output goes.
public enum ProductOutput: Sendable {
    /// Both streams discarded.
    case discard
    /// Standard error into the file (made empty first), standard output discarded.
    case errors(toFile: String)
    /// Both streams appended to the file (a `run` agent's log: it logs to standard output).
    case log(appendingTo: String)
}

/// Starts one of the built executables without waiting for it (`backup-agent run`, kill and
/// SIGTERM tests) with exactly `environment` plus PATH: the one way every test launches the
/// agent or the standby in the background (``runProduct(_:_:environment:)`` runs one to its end).
/// - Parameter wrapper: a program and its arguments that exec the product (`prlimit --nofile=… --`),
///   so the process is still the product itself.
public func launchProduct(_ name: String, _ arguments: [String], environment: [String: String],
                          output: ProductOutput = .discard, through wrapper: [String] = []) throws -> Process {
    let process = Process()
    let product = try BuiltProducts.executable(name)
    process.executableURL = URL(fileURLWithPath: wrapper.first ?? product)
    process.arguments = wrapper.isEmpty ? arguments : Array(wrapper.dropFirst()) + [product] + arguments
    var env = environment
    env["PATH"] = env["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    process.environment = env
    process.standardInput = FileHandle.nullDevice
    switch output {
    case .discard:
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
    case .errors(let file):
        _ = FileManager.default.createFile(atPath: file, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: file)
    case .log(let file):
        if !FileManager.default.fileExists(atPath: file) { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        let handle = FileHandle(forWritingAtPath: file)
        handle?.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
    }
    try process.run()
    return process
}

/// SIGTERM to a launched product, then waits for its exit; returns the exit status, or nil when
/// it still ran after `timeout` (it is then killed).
public func stopProduct(_ process: Process, timeout: Duration = .seconds(30)) async -> Int32? {
    kill(process.processIdentifier, SIGTERM)
    guard await poll(timeout: timeout, { !process.isRunning }) else {
        kill(process.processIdentifier, SIGKILL)
        return nil
    }
    return process.terminationStatus
}
