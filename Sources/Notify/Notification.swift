import Foundation

/// One message to the people who look after the backups: a title, a body and Apprise's type,
/// which most services show as a colour or an icon.
public struct Notification: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case info, success, warning, failure
    }

    public var title: String
    public var body: String
    public var kind: Kind

    public init(title: String, body: String, kind: Kind) {
        self.title = title
        self.body = body
        self.kind = kind
    }
}
