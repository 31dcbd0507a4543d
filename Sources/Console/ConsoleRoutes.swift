import Agent
import Backups
import Foundation
import HTTPTypes
import Hummingbird
import LaterbaseCore
import Logging
import Restore
import UndoWindow

/// The console's routes. Pages are GET and change nothing; every POST goes through
/// ``ConsoleForm/read(_:context:)`` (session + CSRF token).
struct ConsoleRoutes: Sendable {
    let runtime: AgentRuntime
    let sessions: ConsoleSessions
    let jobs: ConsoleRestoreJobs
    let metrics: ConsoleMetrics
    let logger: Logger

    func register(on router: Router<ConsoleContext>) {
        router.get("/login") { _, _ in loginPage(problem: nil) }
        router.post("/login") { request, _ in try await login(request) }
        router.post("/logout") { request, context in try await logout(request, context) }
        router.get("/") { _, context in await overview(context) }
        router.get("/backups") { request, context in backups(request, context) }
        router.get("/search") { request, context in search(request, context) }
        router.get("/restore") { request, context in try restoreForm(request, context) }
        router.post("/restore") { request, context in try await startRestore(request, context) }
        router.get("/jobs") { _, context in await jobPage(context) }
        router.post("/jobs/cancel") { request, context in try await cancelRestore(request, context) }
        router.post("/verify") { request, context in try await verify(request, context) }
        router.get("/metrics") { _, _ in await metricsText() }
        router.get("/healthz") { _, _ in await healthz() }
    }

    private var zone: TimeZone { runtime.zone }

    // MARK: log in and out

    private func loginPage(problem: String?, status: HTTPResponse.Status = .ok) -> Response {
        let token = ConsoleSessions.randomToken()
        var body = problem.map { #"<p class="box bad">\#(HTMLPage.escape($0))</p>"# } ?? ""
        body += """
            <form method="post" action="/login"><input type="hidden" name="csrf" value="\(token)">
            <p><label>Console password <input type="password" name="password" autofocus required></label></p>
            <button>Log in</button></form>
            <p class="muted">The password is CONSOLE_PASSWORD of the backup agent.</p>
            """
        var response = HTMLPage.response(title: "Log in", body: body, session: nil, status: status)
        response.setCookie(Cookie(name: ConsoleSessions.loginCookieName, value: token, maxAge: 3600, path: "/login", httpOnly: true, sameSite: .strict))
        return response
    }

    private func login(_ request: Request) async throws -> Response {
        let form = try await ConsoleForm.parse(request)
        guard let token = form["csrf"], let cookie = request.cookies[ConsoleSessions.loginCookieName]?.value,
              ConsoleSessions.sameToken(token, cookie) else {
            return loginPage(problem: "The login form expired or came from elsewhere; log in again.", status: .forbidden)
        }
        guard sessions.isPassword(form["password"] ?? "") else {
            logger.notice("console: a login was refused (wrong password)")
            try await Task.sleep(for: .seconds(1))
            return loginPage(problem: "Wrong password.", status: .unauthorized)
        }
        let session = await sessions.create()
        var response = Response.redirect(to: "/", type: .found)
        response.setCookie(Cookie(name: ConsoleSessions.cookieName, value: session.token, path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    private func logout(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        _ = try await ConsoleForm.read(request, context: context)
        if let session = context.session { await sessions.remove(session.token) }
        var response = Response.redirect(to: "/login", type: .found)
        response.setCookie(Cookie(name: ConsoleSessions.cookieName, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    // MARK: pages

    private func overview(_ context: ConsoleContext) async -> Response {
        let now = Date()
        async let replication = ReplicationStatus.read(runtime.settings.primary)
        let health = await verdict()
        let body = OverviewPage.body(libraries: LibraryStatus.all(runtime: runtime, backups: StoredBackup.all(in: runtime.layout), ledger: offsiteLedger), health: health, replication: await replication,
                                     undoWindow: runtime.undoWindowListing(now: now), zone: zone, now: now)
        return HTMLPage.response(title: "Overview", body: body, session: context.session, refresh: 30)
    }

    private func backups(_ request: Request, _ context: ConsoleContext) -> Response {
        let database = query(request, "db")
        let stored = StoredBackup.all(in: runtime.layout).filter { $0.database == database }
        let ledger = offsiteLedger
        let body = BackupsPage.body(database: database, backups: stored, uploaded: { backup in ledger.map { $0.isUploaded(backup) } },
                                    session: context.session, zone: zone)
        return HTMLPage.response(title: "Backups of \(database)", body: body, session: context.session)
    }

    private func search(_ request: Request, _ context: ConsoleContext) -> Response {
        let text = query(request, "project")
        let hits = SearchPage.hits(text, in: StoredBackup.all(in: runtime.layout))
        return HTMLPage.response(title: "Find a project", body: SearchPage.body(query: text, hits: hits, zone: zone), session: context.session)
    }

    private func restoreForm(_ request: Request, _ context: ConsoleContext) throws -> Response {
        let backup = try findBackup(query(request, "file"))
        let body = RestorePage.form(backup, suggested: RestorePage.suggestedName(backup), problem: nil, session: context.session,
                                    target: targetText, zone: zone)
        return HTMLPage.response(title: "Restore \(backup.database)", body: body, session: context.session)
    }

    private func startRestore(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        let form = try await ConsoleForm.read(request, context: context)
        let backup = try findBackup(form["file"])
        let name = (form["as"] ?? "").trimmingCharacters(in: .whitespaces)
        do {
            _ = try await jobs.start(backup, as: name)
        } catch {
            let body = RestorePage.form(backup, suggested: name, problem: oneLine(error), session: context.session,
                                        target: targetText, zone: zone)
            return HTMLPage.response(title: "Restore \(backup.database)", body: body, session: context.session, status: .conflict)
        }
        return .redirect(to: "/jobs", type: .normal)
    }

    private func jobPage(_ context: ConsoleContext) async -> Response {
        let job = await jobs.current()
        let body = RestorePage.job(job, session: context.session, zone: zone, now: Date())
        return HTMLPage.response(title: "Restore job", body: body, session: context.session, refresh: job?.outcome == .running ? 2 : nil)
    }

    private func cancelRestore(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        _ = try await ConsoleForm.read(request, context: context)
        await jobs.cancel()
        return .redirect(to: "/jobs", type: .normal)
    }

    private func verify(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        let form = try await ConsoleForm.read(request, context: context)
        let backup = try findBackup(form["file"])
        let body: String
        do {
            let result = try await DumpSource.verifyChecksum(backup)
            let manifest = backup.manifest == nil ? "(no manifest to compare with)" : "matches its manifest"
            body = #"<p class="box ok" id="outcome">OK: \#(HTMLPage.escape(backup.relativePath)) decodes to \#(HTMLPage.bytes(result.rawBytes)) of SQL; SHA-256 \#(manifest).</p>"#
        } catch {
            body = #"<p class="box bad" id="outcome">FAILED: \#(HTMLPage.escape(oneLine(error)))</p>"#
        }
        let back = #"<p><a href="/backups?db=\#(HTMLPage.query(backup.database))">Back to the backups of \#(HTMLPage.escape(backup.database))</a></p>"#
        return HTMLPage.response(title: "Verify", body: body + back, session: context.session)
    }

    // MARK: machine-readable

    private func metricsText() async -> Response {
        let now = Date()
        async let replication = ReplicationStatus.read(runtime.settings.primary)
        let healthy = (try? await verdict().get().healthy) ?? false
        let backups = StoredBackup.all(in: runtime.layout)
        let ledger = offsiteLedger
        let backlog = ledger.map { ledger in backups.filter { !ledger.isUploaded($0) }.count }
        let window = UndoWindowSnapshot.exists(runtime.archiveLayout) ? UndoWindowSnapshot(layout: runtime.archiveLayout, now: now).window : nil
        let text = metrics.render(libraries: LibraryStatus.all(runtime: runtime, backups: backups, ledger: ledger), healthy: healthy, offsiteBacklog: backlog,
                                  replication: await replication, undoWindow: window, restoreRunning: await jobs.isRunning, now: now)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The verdict of `backup-agent healthcheck`: 200 when healthy, 503 when not, one line why.
    private func healthz() async -> Response {
        let (healthy, message): (Bool, String) = switch await verdict() {
        case .success(let verdict): (verdict.healthy, verdict.message)
        case .failure(let problem): (false, problem.description)
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: healthy ? .ok : .serviceUnavailable, headers: headers, body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    // MARK: helpers

    /// A query parameter as a browser's GET form sends it (`+` is a space, which
    /// `queryParameters` leaves as it is); "" when absent.
    private func query(_ request: Request, _ name: String) -> String {
        ConsoleForm.decode(request.uri.query ?? "")[name] ?? ""
    }

    private func verdict() async -> Result<BackupHealth.Verdict, ConsoleProblem> {
        do { return .success(try await runtime.healthWithUndoWindow()) } catch { return .failure(ConsoleProblem(oneLine(error))) }
    }

    /// The upload ledger, nil when offsite copies are off.
    private var offsiteLedger: UploadLedger? { runtime.remote == nil ? nil : UploadLedger.load(runtime.layout) }

    private var targetText: String { "\(runtime.settings.primary.host):\(runtime.settings.primary.port)" }

    private func findBackup(_ reference: String?) throws -> StoredBackup {
        guard let reference, !reference.isEmpty else { throw HTTPError(.badRequest, message: "no backup named; pick one from a library's backups") }
        do {
            return try StoredBackup.find(reference, in: runtime.layout)
        } catch {
            throw HTTPError(.notFound, message: oneLine(error))
        }
    }
}
