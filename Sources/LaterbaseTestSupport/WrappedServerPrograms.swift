import Foundation
import LaterbaseCore

/// A folder for `PG_BINDIR`: links to the test run's PostgreSQL programs, one of them replaced by
/// a shell script (a test fault) that runs the real program from ``real`` when it is done.
/// The caller removes the folder (it sits beside `BACKUP_DIR`).
public struct WrappedServerPrograms: Sendable {
    /// The folder to pass as `PG_BINDIR`.
    public let folder: String
    /// The folder of the real programs.
    public let real: String

    /// - Parameters:
    ///   - program: the program the script stands in for (`pg_dump`, `pg_ctl`, …).
    ///   - script: the script's text, given the folder of the real programs.
    ///   - tools: where the real programs are (default the test run's, `PG_BINDIR` first).
    public init(tools: PostgresTools = PostgresTools(), folder: String, wrapping program: String, script: (_ real: String) -> String) throws {
        self.folder = folder
        real = URL(fileURLWithPath: try tools.require("pg_ctl")).deletingLastPathComponent().path
        let manager = FileManager.default
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        for name in try manager.contentsOfDirectory(atPath: real) where name != program {
            try manager.createSymbolicLink(atPath: folder + "/" + name, withDestinationPath: real + "/" + name)
        }
        try Data(script(real).utf8).write(to: URL(fileURLWithPath: folder + "/" + program))
        chmod(folder + "/" + program, 0o755)
    }
}

/// `pg_dump` that, when it is to read a scratch server (`PGHOST` a socket folder, as
/// `restore --at` and `export --at` run it; backups of the Resolve server go over TCP), waits
/// while ``closed`` holds: a test can stop a point-in-time restore in its copy step however fast
/// the machine is, and knows when it got there (``isHeld``).
public struct HeldScratchDump: Sendable {
    public let programs: WrappedServerPrograms
    private var gate: String { programs.folder + "/closed" }
    private var held: String { programs.folder + "/held" }

    /// Starts open: copies run through until ``close()``.
    public init(folder: String) throws {
        let gate = folder + "/closed", held = folder + "/held"
        programs = try WrappedServerPrograms(folder: folder, wrapping: "pg_dump") { real in
            """
            #!/bin/sh
            # Laterbase test fault: a copy from a scratch server waits while \(gate) exists.
            case "$PGHOST" in
              /*) while [ -e "\(gate)" ]; do touch "\(held)"; sleep 0.1; done ;;
            esac
            exec "\(real)/pg_dump" "$@"

            """
        }
    }

    /// The next copies from a scratch server wait.
    public func close() throws {
        guard FileManager.default.createFile(atPath: gate, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
    }

    /// Whether a copy is waiting at the gate now or has waited since ``close()``.
    public var isHeld: Bool { FileManager.default.fileExists(atPath: held) }

    public func remove() { try? FileManager.default.removeItem(atPath: programs.folder) }
}
