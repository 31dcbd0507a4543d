import Foundation

/// Writes one line to standard error (the channel for command failures, so that standard
/// output stays clean for `--json`).
public enum StandardError {
    public static func line(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
