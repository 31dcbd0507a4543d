import Foundation

/// Tells when the scratch server's replay has stopped for want of a WAL segment nobody will
/// supply: the end of the copied archive (or a hole in it).
///
/// The scratch server runs in standby mode, which never ends recovery at the end of the WAL: its
/// startup process asks `restore_command` for the next segment, then looks in `pg_wal`, then
/// sleeps `wal_retrieve_retry_interval` (0.1 s) and asks again. `restore_command` appends the
/// name of each segment it did not find to ``ScratchCluster/missLog``. The same segment number
/// missed ``repeats`` times in a row, on any timeline, and no file of that number staged now,
/// means the server is in that loop: a single miss is normal (during a timeline switch the
/// server asks for a number on the newer timeline before it takes it from the older one, and a
/// segment may come from the base backup's own `pg_wal`); a server stuck at a switch asks for
/// the number on both timelines in turn. The signs must hold at two observations ``settle``
/// apart, with the replay position unchanged where it is known. Pure.
package struct ReplayStall {
    package struct Observation: Equatable {
        /// The segment `restore_command` missed last, when its number was missed ``repeats`` times in a row; else nil.
        var missedAgain: String?
        /// Whether a file of that number (any timeline) is in the staging folder now.
        var staged: Bool
        /// `pg_last_wal_replay_lsn()` once the server accepts connections, else nil.
        var replayed: UInt64?
    }

    static let repeats = 3
    let settle: Duration
    private var first: (observation: Observation, at: ContinuousClock.Instant)?

    package init(settle: Duration = .milliseconds(300)) { self.settle = settle }

    /// Feeds one observation; returns the segment replay is stuck on once that is certain.
    package mutating func observe(_ observation: Observation, at now: ContinuousClock.Instant) -> String? {
        guard let segment = observation.missedAgain, !observation.staged else {
            first = nil
            return nil
        }
        guard let earlier = first, earlier.observation == observation else {
            first = (observation, now)
            return nil
        }
        return now - earlier.at >= settle ? segment : nil
    }

    /// Forgets what it saw (after more WAL was staged).
    package mutating func reset() {
        first = nil
        untakenSince = nil
    }

    /// How long replay may keep missing a segment while a file of its number is staged: the
    /// server takes a staged file within ``ScratchCluster``'s `wal_retrieve_retry_interval` (0.1 s).
    static let untakenLimit: Duration = .seconds(10)
    private var untakenSince: (segment: String, at: ContinuousClock.Instant)?

    /// Feeds one observation; returns the segment replay keeps missing although a file of its
    /// number has been staged for ``untakenLimit``: `restore_command` cannot move it (ownership,
    /// a full disk) or the server wants another timeline's file (a history file is missing).
    package mutating func untaken(_ observation: Observation, at now: ContinuousClock.Instant) -> String? {
        guard let segment = observation.missedAgain, observation.staged else {
            untakenSince = nil
            return nil
        }
        guard let since = untakenSince, since.segment == segment else {
            untakenSince = (segment, now)
            return nil
        }
        return now - since.at >= Self.untakenLimit ? segment : nil
    }

    /// The last segment of a miss log when its last ``repeats`` lines are all of its number.
    static func missedAgain(inLog text: String) -> String? {
        let lines = text.split(whereSeparator: \.isNewline).suffix(repeats)
        guard lines.count == repeats, let last = lines.last, lines.allSatisfy({ number(of: $0) == number(of: last) }) else { return nil }
        return String(last)
    }

    /// The segment number part of a segment name (the 16 hex digits after the timeline).
    static func number(of name: some StringProtocol) -> Substring { Substring(name.suffix(16)) }
}
