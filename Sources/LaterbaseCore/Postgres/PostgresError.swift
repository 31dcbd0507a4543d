import Foundation
/// A failure reported by libpq or the server.
///
/// Carries the SQLSTATE when the server sent one and the server's own message made into a
/// single line. The password of the connection is masked out of every text this type holds,
/// whatever libpq put into its message.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The server could not be reached (refused, timed out, unknown host).
        case unreachable
        /// The server refused the login (wrong password, no pg_hba line, unknown role).
        case authentication
        /// Any other failure to connect.
        case connection
        /// A statement failed.
        case query
        /// The work was stopped because its task was cancelled (shutdown, SIGTERM).
        case cancelled
    }

    public let kind: Kind
    /// The five-character SQLSTATE, when the server sent one (`28P01`, `42P01`, ...).
    public let sqlState: String?
    /// The server's message (or libpq's), one line, password masked.
    public let message: String
    /// `user@host:port/db` the error came from.
    public let target: String
    /// The server's DETAIL line, which can quote row values: for code that needs it, never
    /// part of ``description`` (so never in a log line, the state file or a message).
    public let detail: String?

    public init(kind: Kind, sqlState: String?, message: String, target: String, detail: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.target = target
        self.detail = detail
    }

    public var description: String {
        let state = sqlState.map { " [SQLSTATE \($0)]" } ?? ""
        switch kind {
        case .unreachable:
            return "cannot reach PostgreSQL at \(target): \(message)\(state); check the host, the port and that the server is running and listening on that address"
        case .authentication:
            return "PostgreSQL at \(target) refused the login: \(message)\(state); check the user, the password and that pg_hba.conf allows this host"
        case .connection:
            return "cannot connect to PostgreSQL at \(target): \(message)\(state)"
        case .query:
            return "query on \(target) failed: \(message)\(state)"
        case .cancelled:
            return "work on \(target) was cancelled: \(message)"
        }
    }

    /// Turns libpq's multi-line text into one line and masks `password` in it. Passwords
    /// shorter than four characters are not searched for: masking them would garble ordinary
    /// words ("e****pired"), and libpq does not echo passwords in the first place.
    static func clean(_ text: String, password: Secret?) -> String {
        var line = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
        while line.contains("  ") { line = line.replacingOccurrences(of: "  ", with: " ") }
        if let secret = password?.reveal(), secret.count >= 4 {
            line = line.replacingOccurrences(of: secret, with: "****")
        }
        return line
    }

    /// Classifies a connection failure from libpq's message (libpq exposes no SQLSTATE for it).
    static func connectionKind(for message: String) -> (Kind, String?) {
        let lowered = message.lowercased()
        if lowered.contains("password authentication failed") || lowered.contains("no password supplied")
            || lowered.contains("scram") && lowered.contains("failed") {
            return (.authentication, "28P01")
        }
        if lowered.contains("no pg_hba.conf entry") || lowered.contains("does not exist") && lowered.contains("role") {
            return (.authentication, "28000")
        }
        if lowered.contains("the database system is starting up") || lowered.contains("the database system is shutting down")
            || lowered.contains("the database system is in recovery mode") {
            return (.unreachable, "57P03")
        }
        if lowered.contains("too many clients") || lowered.contains("remaining connection slots are reserved") {
            return (.unreachable, "53300")
        }
        if lowered.contains("connection refused") || lowered.contains("timeout expired")
            || lowered.contains("could not translate host name") || lowered.contains("no route to host")
            || lowered.contains("network is unreachable") || lowered.contains("could not connect") {
            return (.unreachable, "08001")
        }
        if lowered.contains("database") && lowered.contains("does not exist") { return (.connection, "3D000") }
        return (.connection, nil)
    }
}
