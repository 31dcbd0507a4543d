import Foundation
import LaterbaseCore

/// A JSON file of Laterbase's (state, manifest) that cannot be read, as one sentence naming the
/// file and what to do — never Foundation's `DecodingError…` or `NSCocoaErrorDomain…` text.
public enum JSONFileProblem {
    /// What is wrong with the JSON, in a few words: `it is not valid JSON`, `"lastPass.startedAt" has the wrong type`.
    public static func text(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "it is not valid JSON"
        case .dataCorrupted(let context):
            return "\"\(path(context.codingPath))\" holds a value that cannot be read"
        case .keyNotFound(let key, let context):
            return "\"\(path(context.codingPath + [key]))\" is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\"\(path(context.codingPath))\" has the wrong type"
        @unknown default:
            return "it cannot be read"
        }
    }

    /// Decodes `T` from the file at `path`; nil when there is no file.
    /// - Throws: ``BackupError`` `code` with one line: the file, what is wrong, and `advice`.
    public static func decode<T: Decodable>(_ type: T.Type, from path: String, code: BackupErrorCode, advice: String) throws -> T? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONCoding.decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw BackupError(code, "cannot read \(path): \(text(error)); \(advice)")
        } catch {
            throw BackupError(code, "cannot read \(path): \(oneLine(error)); \(advice)")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
