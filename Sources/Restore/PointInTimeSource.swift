import Foundation
import LaterbaseCore
import Logging
import UndoWindow

/// A library as it was at a moment of the undo window, as a restore's source (`restore --at`):
/// the new library is made (closed to connections) beside the unpack and the replay — `CREATE
/// DATABASE` waits for a checkpoint of the Resolve server before PostgreSQL 15 — then filled by
/// the copy from the scratch server (``PointInTimeRestore/copyLibrary(_:from:at:into:source:dumped:)``).
public struct PointInTimeSource: RestoreSource {
    public let restore: PointInTimeRestore
    public let database: String
    public let time: Date
    public var now = Date()

    public init(restore: PointInTimeRestore, database: String, time: Date, now: Date = Date()) {
        self.restore = restore
        self.database = database
        self.time = time
        self.now = now
    }

    public var label: String { "\(database) at \(UndoWindow.text(time))" }
    public var logName: String { "\(database)@\(UndoWindow.text(time))" }
    public var restoredName: String { "\(database) as it was at \(UndoWindow.text(time))" }

    public func write(into library: NewLibrary) async throws {
        let (restore, database, time) = (restore, database, time)
        try await restore.withServer(at: time, now: now, purpose: "restoring \(database) to a point in time", library: database, alongside: {
            // Once: a second pass (everything unpacked) finds it made (NewLibrary.create).
            guard !library.isCreated else { return }
            let started = ContinuousClock.now
            // Not cancellable: whether it was made decides whether it is dropped again. Closed to
            // connections until the copy starts: one left by a kill is plainly not a library.
            try await library.create(connectable: false, cancellable: false)
            restore.logger.debug("restore phase", metadata: ["phase": "new database made (beside the replay)",
                                                             LogKey.seconds: "\(PointInTimeRestore.seconds(ContinuousClock.now - started))"])
        }) { scratch, removal, selective in
            if let selective { try await PointInTimeRestore.requireKept(database, selective, on: scratch.connection(user: restore.user), at: time) }
            let started = ContinuousClock.now
            try await restore.copyLibrary(database, from: scratch, at: time, into: library, source: self, dumped: { await removal.begin() })
            restore.logger.info("library copied into the new database", metadata: [LogKey.seconds: "\(PointInTimeRestore.seconds(ContinuousClock.now - started))"])
        }
    }
}
