/// What `IDENTIFY_SYSTEM` reports about a server.
public struct SystemIdentity: Sendable, Equatable {
    /// The cluster's unique system identifier: changes when the primary is re-initialised.
    public let systemID: String
    public let timeline: Int
    /// The current WAL flush location, e.g. `0/3000148`.
    public let walPosition: String

    public init(systemID: String, timeline: Int, walPosition: String) {
        self.systemID = systemID
        self.timeline = timeline
        self.walPosition = walPosition
    }
}

/// Replication-protocol commands. They only work on a connection opened with
/// ``ConnectionParameters/replication`` set.
extension PostgresConnection {
    /// Slot names PostgreSQL accepts: lower-case letters, digits and underscores, at most 63.
    public static func isValidSlotName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 63
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// `IDENTIFY_SYSTEM`.
    public func identifySystem() throws(PostgresError) -> SystemIdentity {
        let result = try simpleQuery("IDENTIFY_SYSTEM")
        guard let systemID = result.value(0, "systemid"), let timeline = result.value(0, "timeline").flatMap({ Int($0) }),
              let position = result.value(0, "xlogpos") else {
            throw PostgresError(kind: .query, sqlState: nil, message: "IDENTIFY_SYSTEM returned an unexpected row", target: parameters.description)
        }
        return SystemIdentity(systemID: systemID, timeline: timeline, walPosition: position)
    }

    /// Creates a physical slot that reserves WAL from now on. The name must pass
    /// ``isValidSlotName(_:)``. Throws SQLSTATE 42710 when it already exists.
    public func createPhysicalSlot(_ name: String) throws(PostgresError) {
        guard Self.isValidSlotName(name) else {
            throw PostgresError(kind: .query, sqlState: "42602", message: "invalid replication slot name \"\(name)\"", target: parameters.description)
        }
        try simpleQuery("CREATE_REPLICATION_SLOT \(name) PHYSICAL RESERVE_WAL")
    }

    /// Drops a slot (`DROP_REPLICATION_SLOT`).
    public func dropSlot(_ name: String) throws(PostgresError) {
        guard Self.isValidSlotName(name) else {
            throw PostgresError(kind: .query, sqlState: "42602", message: "invalid replication slot name \"\(name)\"", target: parameters.description)
        }
        try simpleQuery("DROP_REPLICATION_SLOT \(name)")
    }
}
