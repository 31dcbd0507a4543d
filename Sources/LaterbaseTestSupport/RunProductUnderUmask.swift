import Foundation

/// Runs one of the built executables to completion, like ``runProduct(_:_:environment:)``, under
/// the file-creation mask `mask` (set by a `/bin/sh` wrapper just before it `exec`s the product,
/// so the test process's own umask is untouched).
public func runProduct(_ name: String, _ arguments: [String], environment: [String: String], umask mask: mode_t) async throws
    -> (status: Int32, stdout: String, stderr: String) {
    let executable = try BuiltProducts.executable(name)
    let directory = NSTemporaryDirectory() + "laterbase-umask-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let (out, err) = (directory + "/stdout", directory + "/stderr")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    let script = "umask \(String(mask, radix: 8)); out=$1; err=$2; shift 2; exec \"$@\" >\"$out\" 2>\"$err\""
    process.arguments = ["-c", script, "sh", out, err, executable] + arguments
    var env = environment
    env["PATH"] = env["PATH"] ?? ProcessInfo.processInfo.environment["PATH"]
    process.environment = env
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Waited for on a thread of its own: the cooperative pool must not block while the child runs.
    let status: Int32 = await withCheckedContinuation { continuation in
        Thread {
            process.waitUntilExit()
            continuation.resume(returning: process.terminationStatus)
        }.start()
    }
    let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    return (status, read(out), read(err))
}
