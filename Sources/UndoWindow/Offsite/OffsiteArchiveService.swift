import Foundation
import LaterbaseCore
import Logging
import ServiceLifecycle

/// The undo window's offsite copy as a `Service` of `backup-agent run` (with `WAL_ARCHIVE=on`
/// and a remote): ``OffsiteArchiveSync`` every ``interval(maxLag:)``, cancelled on shutdown.
public struct OffsiteArchiveService: Service {
    public let sync: OffsiteArchiveSync
    public let interval: Duration

    public init(sync: OffsiteArchiveSync, interval: Duration) {
        self.sync = sync
        self.interval = interval
    }

    /// A tenth of `OFFSITE_MAX_WAL_LAG`, between 5 s and a minute: a segment closed locally is
    /// offsite within that.
    public static func interval(maxLag seconds: Int) -> Duration { .seconds(min(60, max(5, seconds / 10))) }
    /// A third of `OFFSITE_MAX_WAL_LAG`: how often the receiver's `.partial` may be copied again.
    public static func partialInterval(maxLag seconds: Int) -> TimeInterval { TimeInterval(seconds) / 3 }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    await sync.run()
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            sync.logger.info("offsite copies of the undo window stopped")
        }
    }
}
