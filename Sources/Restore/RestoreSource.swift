/// Where a restore's library comes from: a dump file (``DumpSource``) or a moment of the undo
/// window (``PointInTimeSource``). A source decides when the new library is made
/// (``NewLibrary/create(connectable:cancellable:)``: at once for a dump, beside the replay for a
/// point in time) and fills it through ``NewLibrary/fill(_:)``; the ``NewLibrary`` owns the rest.
public protocol RestoreSource: Sendable {
    /// Names the source in messages: a file name, or "Resolve at 2026-11-24 14:34:59 UTC".
    var label: String { get }
    /// The source in the log line.
    var logName: String { get }
    /// What the finished restore's report calls it (``RestoredLibrary/source``).
    var restoredName: String { get }
    /// Makes and fills `library`. Anything it throws after ``NewLibrary/create(connectable:cancellable:)``
    /// drops the library again (``NewLibrary/restore(from:)``).
    func write(into library: NewLibrary) async throws
}
