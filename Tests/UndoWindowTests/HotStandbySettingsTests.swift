import Testing
@testable import UndoWindow

/// ``HotStandbySettings``: what the scratch server's log asks to raise. Pure.
@Suite("undo window: settings the primary had higher")
struct HotStandbySettingsTests {
    static let fatal = """
        2026-12-02 01:40:00.000 UTC [77] FATAL:  recovery aborted because of insufficient parameter settings
        2026-12-02 01:40:00.000 UTC [77] DETAIL:  max_connections = 100 is a lower setting than on the primary server, where its value was 150.
        2026-12-02 01:40:00.000 UTC [77] HINT:  You can restart the server after making the necessary configuration changes.
        """

    @Test("a FATAL or paused replay's DETAIL gives the name and the primary's value; other lines give nothing")
    func parse() {
        #expect(HotStandbySettings.required(inLog: Self.fatal).map { "\($0.name)=\($0.value)" } == ["max_connections=150"])
        #expect(HotStandbySettings.required(inLog: "").isEmpty)
        #expect(HotStandbySettings.required(inLog: "LOG:  recovery has paused\nDETAIL:  If recovery is unpaused, the server will shut down.").isEmpty)
        // A WARNING before the pause (14+) says the same.
        let warning = "WARNING:  hot standby is not possible because of insufficient parameter settings\nDETAIL:  max_worker_processes = 8 is a lower setting than on the primary server, where its value was 12."
        #expect(HotStandbySettings.required(inLog: warning).map { "\($0.name)=\($0.value)" } == ["max_worker_processes=12"])
        // PostgreSQL 13's words.
        let thirteen = "FATAL:  hot standby is not possible because max_connections = 40 is a lower setting than on the master server (its value was 150)"
        #expect(HotStandbySettings.required(inLog: thirteen).map { "\($0.name)=\($0.value)" } == ["max_connections=150"])
        #expect(HotStandbySettings.lastDetail(inLog: Self.fatal + "\n" + thirteen) == "max_connections = 40 is a lower setting than on the master server (its value was 150")
        // Not a number: ignored, never a guess.
        #expect(HotStandbySettings.required(inLog: "DETAIL:  max_connections = 100 is a lower setting than on the primary server, where its value was many.").isEmpty)
    }

    @Test("only values higher than those set are raised, the highest per name; set values are not asked again")
    func raises() {
        var settings = HotStandbySettings()
        let log = Self.fatal + "\nDETAIL:  max_connections = 150 is a lower setting than on the primary server, where its value was 200.\n"
            + "DETAIL:  max_locks_per_transaction = 64 is a lower setting than on the primary server, where its value was 128.\n"
        let first = settings.raises(inLog: log)
        #expect(first.map { "\($0.name)=\($0.value)" } == ["max_connections=200", "max_locks_per_transaction=128"])
        settings.set(first)
        // The same log again (it accumulates over restarts): nothing new, so no restart loop.
        #expect(settings.raises(inLog: log).isEmpty)
        let later = log + "DETAIL:  max_connections = 200 is a lower setting than on the primary server, where its value was 300.\n"
        #expect(settings.raises(inLog: later).map { "\($0.name)=\($0.value)" } == ["max_connections=300"])
    }
}
