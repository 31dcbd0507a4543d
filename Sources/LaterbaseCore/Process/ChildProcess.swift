import Foundation
import Logging
import Subprocess
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs a PostgreSQL client tool or rclone as a child process.
///
/// - Secrets reach the child only through ``secretEnvironment`` (e.g. `PGPASSWORD`) or a
///   passfile, never its arguments; neither is ever logged.
/// - Standard output is streamed to a handler while standard error is drained at the same
///   time; the last ``stderrLimit`` bytes of it are kept for the error message.
/// - Cancelling the calling task sends SIGTERM, then SIGKILL after ``gracePeriod``.
/// - The child is killed (SIGKILL) when this process dies, however it dies (``ChildLaunch``).
/// - A non-zero exit throws ``ChildProcessError``.
public struct ChildProcess: Sendable {
    public var executable: String
    public var arguments: [String]
    /// Variables added to (or, when nil, removed from) the inherited environment.
    public var environment: [String: String?] = [:]
    /// Variables holding secrets; added like ``environment`` but never printed.
    public var secretEnvironment: [String: Secret] = [:]
    /// Run as this account instead of the current one (root only).
    public var account: SystemAccount?
    public var workingDirectory: String?
    public var gracePeriod: Duration = .seconds(10)
    public var stderrLimit = 16 * 1024

    /// Variables of Laterbase's own environment that no child inherits (``ChildEnvironment/laterbaseSecrets``).
    public static let withheld = ChildEnvironment.laterbaseSecrets

    public init(_ executable: String, _ arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }

    /// The tool's file name, for messages.
    public var toolName: String { (executable as NSString).lastPathComponent }

    /// Runs the child, handing each chunk of its standard output to `onOutput` as it arrives.
    /// When `input` is given, it is called with a function that writes to the child's standard
    /// input, which is closed when `input` returns.
    /// Each line of standard error is also passed to `onStderrLine` (progress reports).
    /// - Returns: the captured standard error (tail).
    /// - Throws: ``ChildProcessError`` on a non-zero exit or a failure to start; whatever
    ///   `onOutput` throws (the child is then terminated).
    @discardableResult
    public func run(
        feeding input: (@Sendable (_ write: @Sendable ([UInt8]) async throws -> Void) async throws -> Void)? = nil,
        onOutput: @escaping @Sendable ([UInt8]) async throws -> Void,
        onStderrLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> String {
        var options = PlatformOptions()
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: gracePeriod)]
        // Through setpriv: as `account`, and killed when this process dies (``ChildLaunch``).
        let launch = await ChildLaunch.current(executable, arguments, account: account)
        let (program, programArguments) = (launch.program, launch.arguments)
        if let account = launch.switchAccount {
            options.userID = account.uid
            options.groupID = account.gid
            options.supplementaryGroups = []
        }
        // The programs' own secrets stay with them: a child gets the password it needs as
        // PGPASSWORD (``connect(to:application:)``) or a passfile, never the agent's variables.
        var updates: [Environment.Key: String?] = Dictionary(uniqueKeysWithValues: Self.withheld.map { (Environment.Key(stringLiteral: $0), nil) })
        for (key, value) in environment { updates[Environment.Key(stringLiteral: key)] = value }
        for (key, value) in secretEnvironment { updates[Environment.Key(stringLiteral: key)] = value.reveal() }
        let limit = stderrLimit
        let status: TerminationStatus
        let stderr: String
        do {
            if let input {
                let outcome = try await Subprocess.run(
                    .path(FilePath(program)), arguments: Arguments(programArguments), environment: .inherit.updating(updates),
                    workingDirectory: workingDirectory.map { FilePath($0) }, platformOptions: options,
                    input: .inputWriter, output: .sequence, error: .sequence
                ) { execution in
                    let writer = execution.standardInputWriter
                    return try await Self.drain(execution.standardOutput, execution.standardError, limit: limit,
                                                onOutput: onOutput, onStderrLine: onStderrLine) {
                        do {
                            try await input { bytes in
                                do { _ = try await writer.write(bytes) } catch { throw InputClosed() }
                            }
                            try await writer.finish()
                        } catch is InputClosed {
                            // The child stopped reading (it failed, or needed no more): its exit
                            // status and stderr tell what happened.
                        }
                    }
                }
                (status, stderr) = (outcome.terminationStatus, outcome.closureResult)
            } else {
                let outcome = try await Subprocess.run(
                    .path(FilePath(program)), arguments: Arguments(programArguments), environment: .inherit.updating(updates),
                    workingDirectory: workingDirectory.map { FilePath($0) }, platformOptions: options,
                    input: .none, output: .sequence, error: .sequence
                ) { execution in
                    try await Self.drain(execution.standardOutput, execution.standardError, limit: limit,
                                         onOutput: onOutput, onStderrLine: onStderrLine, feed: nil)
                }
                (status, stderr) = (outcome.terminationStatus, outcome.closureResult)
            }
        } catch let error as SubprocessError {
            throw ChildProcessError(tool: toolName, status: nil, stderr: "could not start: \(error)")
        }
        guard status.isSuccess else {
            throw ChildProcessError(tool: toolName, status: "\(status)", stderr: stderr)
        }
        return stderr
    }

    /// Streams stdout to `onOutput` and drains stderr at the same time (and feeds stdin when
    /// `feed` is given); returns the tail of stderr. Once the child has closed both its outputs
    /// (it ended: psql stopped at an error), a feed still waiting for its input is cancelled,
    /// so the exit is told at once rather than when the feeder next has something to write.
    private static func drain(
        _ standardOutput: SubprocessOutputSequence, _ standardError: SubprocessOutputSequence, limit: Int,
        onOutput: @escaping @Sendable ([UInt8]) async throws -> Void, onStderrLine: (@Sendable (String) -> Void)?,
        feed: (@Sendable () async throws -> Void)?
    ) async throws -> String {
        enum Part: Sendable { case fed, output, stderr(String) }
        return try await withThrowingTaskGroup(of: Part.self) { group in
            if let feed {
                group.addTask {
                    do {
                        try await feed()
                    } catch where Task.isCancelled {
                        // Cancelled below (the child ended) or with the caller: the exit status tells.
                    }
                    return .fed
                }
            }
            group.addTask {
                for try await chunk in standardOutput {
                    try await onOutput(chunk.withUnsafeBytes { Array($0) })
                }
                return .output
            }
            group.addTask {
                var tail = ""
                for try await line in standardError.strings() {
                    onStderrLine?(line)
                    tail += line + "\n"
                    if tail.utf8.count > limit { tail = String(tail.suffix(limit / 2)) }
                }
                return .stderr(tail)
            }
            var stderr = ""
            var closed = 0
            for try await part in group {
                switch part {
                case .fed: continue
                case .output: closed += 1
                case .stderr(let tail): stderr = tail; closed += 1
                }
                if closed == 2 { group.cancelAll() }
            }
            return stderr
        }
    }

    /// Runs the child and collects its standard output (at most `limit` bytes) as text.
    @discardableResult
    public func output(limit: Int = 4 * 1024 * 1024) async throws -> String {
        let collector = OutputCollector(limit: limit)
        try await run(onOutput: { collector.append($0) })
        return collector.text
    }
}

/// The child closed its standard input while we were still writing to it.
struct InputClosed: Error {}

/// A child process that failed: which tool, how it ended, and what it said on stderr.
/// Never holds arguments or environment, so never a password.
public struct ChildProcessError: Error, CustomStringConvertible, Sendable {
    public let tool: String
    /// `exited(1)`, `unhandledException(15)`, … or nil when it did not start.
    public let status: String?
    /// The tail of its standard error, unfiltered (for code that looks for a known message).
    public let stderr: String

    /// The tool, how it ended and the last lines it printed — without the server's `DETAIL:`
    /// lines, which can quote row values (a duplicate key during a restore).
    public var description: String {
        let said = stderr.split(whereSeparator: \.isNewline)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("DETAIL:") }
            .suffix(6).joined(separator: " | ")
        let how = status.map { "failed (\($0))" } ?? "failed"
        return said.isEmpty ? "\(tool) \(how)" : "\(tool) \(how): \(said)"
    }
}

/// Collects bytes up to a limit; thread-safe so a `@Sendable` output handler can fill it.
package final class OutputCollector: Sendable {
    private let data = Mutex(Data())
    private let limit: Int

    package init(limit: Int) { self.limit = limit }

    package func append(_ bytes: [UInt8]) {
        data.withLock { data in
            let room = max(0, limit - data.count)
            data.append(contentsOf: bytes.prefix(room))
        }
    }

    package var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
}
