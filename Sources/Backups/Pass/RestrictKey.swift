import Foundation
import LaterbaseCore

/// The key given to `pg_dump --restrict-key`: random, made once per backup folder and kept in
/// `BACKUP_DIR/.laterbase/restrict-key` (0600), so dumps of an unchanged library stay identical
/// while the key is still unknown to the database server (it never leaves the backup folder).
public enum RestrictKey {
    public static func load(_ layout: BackupLayout) throws -> String {
        let path = layout.stateDirectory + "/restrict-key"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !key.isEmpty && key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) { return key }
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        let key = String((0..<48).map { _ in alphabet.randomElement(using: &generator)! })
        try SecureFile.writeAtomically(Data((key + "\n").utf8), to: path, mode: 0o600)
        return key
    }
}
