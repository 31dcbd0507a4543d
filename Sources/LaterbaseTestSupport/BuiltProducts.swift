import Foundation

/// Paths of the executables `swift build` put beside the test bundle, so integration tests can
/// run `standby-entrypoint` and `backup-agent` as users do.
public enum BuiltProducts {
    /// The build products directory (`.build/debug`).
    public static var directory: String {
        var url = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        // …/.build/debug/laterbasePackageTests.xctest (a file on Linux, a bundle directory on macOS)
        while url.path != "/" && !url.lastPathComponent.hasSuffix(".xctest") { url.deleteLastPathComponent() }
        return url.path == "/" ? FileManager.default.currentDirectoryPath + "/.build/debug" : url.deletingLastPathComponent().path
    }

    /// The full path of `name`; throws when it was not built (run `swift build` first).
    public static func executable(_ name: String) throws -> String {
        let path = directory + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ClusterError("\(path) was not built; run `swift build` before `swift test`")
        }
        return path
    }
}
