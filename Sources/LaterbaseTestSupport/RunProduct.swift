import Foundation
import Shared

/// Runs one of the built executables to completion with exactly `environment` (plus PATH) and
/// returns its exit status, standard output and standard error.
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
    async let errorData = Task.detached { errorPipe.fileHandleForReading.readDataToEndOfFile() }.value
    async let outputData = Task.detached { outputPipe.fileHandleForReading.readDataToEndOfFile() }.value
    let (err, out) = await (errorData, outputData)
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}
