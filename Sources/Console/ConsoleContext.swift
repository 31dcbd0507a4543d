import Hummingbird

/// The request context of the console: the session the auth middleware found, if any.
struct ConsoleContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// Nil for a request authorized by HTTP basic auth (scripts, Prometheus), which may only read.
    var session: ConsoleSessions.Session?

    init(source: Source) {
        coreContext = .init(source: source)
    }

    /// Forms are small: a restore form is well under 4 kB.
    var maxUploadSize: Int { 64 * 1024 }
}
