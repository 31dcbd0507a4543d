@testable import Backups
@testable import LaterbaseCore
import Testing

/// ``BackupSource/staleness(of:standby:maxLagSeconds:)``: when a standby's data is too old to back up.
@Suite("which server a pass reads from")
struct BackupSourceTests {
    static let streaming = ReplicationState(inRecovery: true, receiverStatus: "streaming", lagBytes: 0,
                                            replayAgeSeconds: 7200, lastContactAgeSeconds: 3)

    static func verdict(_ state: ReplicationState) -> String? {
        BackupSource.staleness(of: state, standby: "standby:5432", maxLagSeconds: 300)
    }

    @Test("streaming and caught up is current, however long the primary has been idle")
    func idlePrimary() {
        #expect(Self.verdict(Self.streaming) == nil)
    }

    @Test("a promoted standby is current; a receiver the role may not see is not judged")
    func promotedOrHidden() {
        #expect(Self.verdict(ReplicationState(inRecovery: false)) == nil)
        var hidden = ReplicationState(inRecovery: true, lagBytes: 0)
        hidden.receiverHidden = true
        #expect(Self.verdict(hidden) == nil)
    }

    @Test("cut off from the primary: no receiver or a receiver not streaming; a silent idle stream is not")
    func cutOff() {
        #expect(Self.verdict(ReplicationState(inRecovery: true, lagBytes: 0))
            == "the standby at standby:5432 does not stream from the primary (its WAL receiver is not running), so its data may be old")
        #expect(Self.verdict(ReplicationState(inRecovery: true, receiverStatus: "waiting", lagBytes: 0))?
            .contains("(its WAL receiver is waiting)") == true)
        var silent = Self.streaming
        silent.lastContactAgeSeconds = 3600
        #expect(Self.verdict(silent) == nil)
    }

    @Test("replay behind: lag past the bound, or paused with WAL waiting")
    func replayBehind() {
        var lagging = Self.streaming
        lagging.lagBytes = 1000
        lagging.replayAgeSeconds = 400
        #expect(Self.verdict(lagging) == "the standby at standby:5432 lags 400 s behind the primary, over BACKUP_MAX_STANDBY_LAG (300 s)")
        lagging.replayAgeSeconds = 10
        #expect(Self.verdict(lagging) == nil)
        lagging.replayPaused = true
        #expect(Self.verdict(lagging)?.hasPrefix("replay on the standby at standby:5432 is paused with 1000 bytes of WAL waiting") == true)
    }
}
