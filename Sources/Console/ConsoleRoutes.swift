import Agent
import Backups
import Foundation
import HTTPTypes
import Hummingbird
import LaterbaseCore
import Logging
import Notify
import Restore
import UndoWindow

/// The console's routes, registered by ``buildConsoleApplication(settings:runtime:logger:)``.
/// Pages are GET and change nothing; every POST goes through ``ConsoleForm/read(_:context:)``
/// (session + CSRF token). A page is a view model (``OverviewPage``, ``BackupsPage``, …) that
/// ``ConsolePage`` renders with its template; `/metrics` and `/healthz` are plain text.
struct ConsoleRoutes: Sendable {
    let runtime: AgentRuntime
    let sessions: ConsoleSessions
    let jobs: ConsoleRestoreJobs
    let drills: ConsoleDrills
    let exports: ConsoleExports
    let metrics: ConsoleMetrics
    let notifications: AgentNotifications
    let templates: ConsoleTemplates
    let logger: Logger

    func register(on router: Router<ConsoleContext>) {
        router.get("/login") { request, context in try loginPage(request, context, problem: nil) }
        router.post("/login") { request, context in try await login(request, context) }
        router.post("/logout") { request, context in try await logout(request, context) }
        router.get("/") { _, context in await overview(context) }
        router.get("/backups") { request, context in backups(request, context) }
        router.get("/search") { request, context in search(request, context) }
        router.get("/restore") { request, context in try restoreForm(request, context) }
        router.post("/restore") { request, context in try await startRestore(request, context) }
        router.get("/restore-at") { request, context in restoreAtForm(request, context) }
        router.post("/restore-at") { request, context in try await startRestoreAt(request, context) }
        router.get("/jobs") { _, context in await jobPage(context) }
        router.post("/jobs/cancel") { request, context in try await cancelRestore(request, context) }
        router.post("/verify") { request, context in try await verify(request, context) }
        router.get("/notifications") { _, context in await notificationsPage(context) }
        router.post("/notifications/test") { request, context in try await testNotification(request, context) }
        router.post("/drill") { request, context in try await startDrill(request, context) }
        router.get("/exports") { _, context in await exportsPage(context) }
        router.post("/exports") { request, context in try await startExport(request, context) }
        router.get("/exports/download") { request, context in try await download(request, context) }
        router.get("/metrics") { _, _ in await metricsText() }
        router.get("/healthz") { _, _ in await healthz() }
    }

    private var zone: TimeZone { runtime.zone }

    // MARK: log in and out

    private func loginPage(_ request: Request, _ context: ConsoleContext, problem: String?,
                           status: HTTPResponse.Status = .ok) throws -> Response {
        let token = ConsoleSessions.randomToken()
        var response = try page("Log in", LoginPage(problem: problem, loginToken: token), session: nil, status: status)
            .response(from: request, context: context)
        response.setCookie(Cookie(name: ConsoleSessions.loginCookieName, value: token, maxAge: 3600, path: "/login", httpOnly: true, sameSite: .strict))
        return response
    }

    private func login(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        let form = try await ConsoleForm.parse(request)
        guard let token = form["csrf"], let cookie = request.cookies[ConsoleSessions.loginCookieName]?.value,
              ConsoleSessions.sameToken(token, cookie) else {
            return try loginPage(request, context, problem: "The login form expired or came from elsewhere; log in again.", status: .forbidden)
        }
        switch try await sessions.check(form["password"] ?? "") {
        case .right: break
        case .wrong:
            logger.notice("console: a login was refused (wrong password)")
            return try loginPage(request, context, problem: "Wrong password.", status: .unauthorized)
        case .throttled(let seconds):
            var response = try loginPage(request, context, problem: "Too many wrong passwords lately; try again in \(seconds) s.", status: .tooManyRequests)
            response.headers[.retryAfter] = String(seconds)
            return response
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

    private func page<View: ConsoleView>(_ title: String, _ view: View, session: ConsoleSessions.Session?, refresh: Int? = nil,
                                         status: HTTPResponse.Status = .ok) -> ConsolePage<View> {
        ConsolePage(templates: templates, title: title, view: view, session: session, refresh: refresh, status: status)
    }

    private func overview(_ context: ConsoleContext) async -> ConsolePage<OverviewPage> {
        let now = Date()
        async let replication = ReplicationStatus.forPage(runtime.settings.primary)
        let health = await verdict()
        let libraries = LibraryStatus.all(runtime: runtime, backups: StoredBackup.all(in: runtime.layout), ledger: offsiteLedger)
        let view = OverviewPage(libraries: libraries, health: health, replication: await replication,
                                undoWindow: runtime.undoWindowListing(now: now), drill: DrillRecord.load(runtime.layout.stateDirectory).first,
                                drillRunningSince: runtime.remote == nil ? nil : .some(await drills.runningSince), zone: zone, now: now)
        return page("Overview", view, session: context.session, refresh: 30)
    }

    private func backups(_ request: Request, _ context: ConsoleContext) -> ConsolePage<BackupsPage> {
        let database = query(request, "db")
        let stored = StoredBackup.all(in: runtime.layout).filter { $0.database == database }
        let ledger = offsiteLedger
        let view = BackupsPage(database: database, backups: stored, uploaded: { backup in ledger.map { $0.isUploaded(backup) } }, zone: zone)
        return page("Backups of \(database)", view, session: context.session)
    }

    /// A search, or one project's backups with `db` (and `folder`). Through the shared
    /// ``CatalogIndex``: only manifests that changed since the last search are read, also for an
    /// empty search (the form alone), so the first search after a start finds them read.
    private func search(_ request: Request, _ context: ConsoleContext) -> ConsolePage<SearchPage> {
        let text = query(request, "project")
        let pageNumber = Int(query(request, "page")) ?? 1
        let database = query(request, "db")
        let groups = CatalogIndex.shared(runtime.layout).groups()
        let view = if database.isEmpty {
            SearchPage(query: text, found: groups.search(ProjectMatcher(text), page: pageNumber, perPage: SearchPage.perPage,
                                                         backupsPerHit: SearchPage.backupsPerHit), zone: zone)
        } else {
            SearchPage(project: text, folder: query(request, "folder"), database: database,
                       found: groups.project(database: database, name: text, folder: query(request, "folder"), page: pageNumber,
                                             perPage: SearchPage.perPage), zone: zone)
        }
        return page("Find a project", view, session: context.session)
    }

    private func restoreForm(_ request: Request, _ context: ConsoleContext) throws -> ConsolePage<RestorePage> {
        let backup = try findBackup(query(request, "file"), unlisted: .notFound)
        let view = RestorePage(backup, suggested: RestorePage.suggestedName(backup), problem: nil, target: targetText, zone: zone)
        return page("Restore \(backup.database)", view, session: context.session)
    }

    private func startRestore(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        let form = try await ConsoleForm.read(request, context: context)
        let backup = try findBackup(form["file"])
        let name = (form["as"] ?? "").trimmingCharacters(in: .whitespaces)
        do {
            _ = try await jobs.start(.backup(backup), as: name)
        } catch {
            let view = RestorePage(backup, suggested: name, problem: oneLine(error), target: targetText, zone: zone)
            return try page("Restore \(backup.database)", view, session: context.session, status: .conflict).response(from: request, context: context)
        }
        return .redirect(to: "/jobs", type: .normal)
    }

    private func restoreAtForm(_ request: Request, _ context: ConsoleContext) -> ConsolePage<RestoreAtPage> {
        let database = query(request, "db")
        let project = query(request, "project")
        let at = query(request, "at")
        return page("Restore \(database) as it was at…", restoreAtPage(database, project: project.isEmpty ? nil : project, value: at.isEmpty ? nil : at,
                                                                         suggested: nil, problem: nil), session: context.session)
    }

    private func restoreAtPage(_ database: String, project: String?, value: String?, suggested: String?, problem: String?) -> RestoreAtPage {
        let now = Date()
        let window = UndoWindowSnapshot.exists(runtime.archiveLayout) ? UndoWindowSnapshot(layout: runtime.archiveLayout, now: now).window : nil
        return RestoreAtPage(database: database, project: project, value: value, suggested: suggested, problem: problem, window: window,
                             backups: project == nil ? [] : StoredBackup.all(in: runtime.layout), target: targetText, zone: zone, now: now)
    }

    /// Checks TIME against the undo window (the same refusals as `restore --at`), then starts the job.
    private func startRestoreAt(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        let form = try await ConsoleForm.read(request, context: context)
        let database = form["db"] ?? ""
        let text = (form["at"] ?? "").trimmingCharacters(in: .whitespaces)
        let name = (form["as"] ?? "").trimmingCharacters(in: .whitespaces)
        let problem: String
        do {
            _ = try await jobs.start(.moment(database: database, at: try moment(text)), as: name)
            return .redirect(to: "/jobs", type: .normal)
        } catch {
            problem = oneLine(error)
        }
        let view = restoreAtPage(database, project: nil, value: text, suggested: name, problem: problem)
        return try page("Restore \(database) as it was at…", view, session: context.session, status: .conflict).response(from: request, context: context)
    }

    /// TIME of a form, in `TZ`, inside the undo window: `restore --at`'s refusals, one line each.
    private func moment(_ text: String) throws(ConsoleProblem) -> Date {
        guard let time = RestoreTime.parse(text, zone: zone) else {
            throw ConsoleProblem("“\(text)” is not a time; write it like 2026-11-24 14:34:59 (in \(PageFormat.zoneName(zone))), or add Z / +01:00")
        }
        if case .failure(let refusal) = UndoWindowSnapshot(layout: runtime.archiveLayout).window.base(for: time) { throw ConsoleProblem(refusal.description) }
        return time
    }

    private func jobPage(_ context: ConsoleContext) async -> ConsolePage<JobPage> {
        let job = await jobs.current()
        return page("Restore job", JobPage(job, zone: zone, now: Date()), session: context.session, refresh: job?.outcome == .running ? 2 : nil)
    }

    private func cancelRestore(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        _ = try await ConsoleForm.read(request, context: context)
        await jobs.cancel()
        return .redirect(to: "/jobs", type: .normal)
    }

    private func verify(_ request: Request, _ context: ConsoleContext) async throws -> ConsolePage<VerifyPage> {
        let form = try await ConsoleForm.read(request, context: context)
        let backup = try findBackup(form["file"])
        let outcome: Result<Int64, ConsoleProblem>
        do {
            outcome = .success(try await DumpSource.verifyChecksum(backup).rawBytes)
        } catch {
            outcome = .failure(ConsoleProblem(oneLine(error)))
        }
        if case .failure(let problem) = outcome, let notifier = notifications.notifier {
            // Only recorded: delivery runs beside the page.
            await notifier.tell(Notify.Notification(
                title: "Laterbase: console verify found \(backup.file) damaged",
                body: "Verifying \(backup.relativePath) from the console failed: \(problem.description). Restore from another backup or the offsite copy; check the disk.",
                kind: .warning))
        }
        return page("Verify", VerifyPage(backup, outcome: outcome), session: context.session)
    }

    // MARK: notifications

    private func notificationsPage(_ context: ConsoleContext) async -> ConsolePage<NotificationsPage> {
        let state = await NotificationsPage.read(notifications)
        return page("Notifications", NotificationsPage(notifications, state: state, zone: zone), session: context.session,
                    refresh: NotificationsPage.anyPending(state) ? 5 : nil)
    }

    /// Records a test notification and returns to the page at once; the notifier delivers it
    /// beside (the page shows it pending, then sent or failed).
    private func testNotification(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        _ = try await ConsoleForm.read(request, context: context)
        guard let notifier = notifications.notifier else {
            throw HTTPError(.conflict, message: "notifications are off (NOTIFY_URLS is not set); nothing to test")
        }
        await notifier.tell(Notify.Notification(
            title: "Laterbase: test notification from the console",
            body: "Sent from the Laterbase console at \(UTCFormat.message(Date())) to check NOTIFY_URLS. If you read this, notifications reach you.",
            kind: .info))
        logger.notice("console: a test notification was queued")
        return .redirect(to: "/notifications", type: .normal)
    }

    private func startDrill(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        _ = try await ConsoleForm.read(request, context: context)
        do {
            try await drills.start()
        } catch let problem as ConsoleProblem {
            throw HTTPError(.conflict, message: problem.description)
        }
        return .redirect(to: "/", type: .normal)
    }

    private func exportsPage(_ context: ConsoleContext) async -> ConsolePage<ExportsPage> {
        let job = await exports.job
        let view = ExportsPage(job: job, files: await exports.files(), zone: zone, now: Date())
        return page("Download for Resolve", view, session: context.session, refresh: job?.outcome == .running ? 2 : nil)
    }

    /// `file=` a backup as the pages list it, or `db=` and `at=` a moment of the undo window.
    private func startExport(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        let form = try await ConsoleForm.read(request, context: context)
        do {
            if let file = form["file"], !file.isEmpty {
                let backup = try findBackup(file)
                try await exports.start(backup.database, source: .backup(backup), label: backup.relativePath)
            } else {
                let database = form["db"] ?? ""
                let time = try moment((form["at"] ?? "").trimmingCharacters(in: .whitespaces))
                try await exports.start(database, source: .at(time), label: "\(database) as it was at \(UTCFormat.message(time))")
            }
        } catch let problem as ConsoleProblem {
            throw HTTPError(.conflict, message: problem.description)
        }
        return .redirect(to: "/exports", type: .normal)
    }

    /// A file of `/exports` by its exact name (nothing else under BACKUP_DIR can be named).
    private func download(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        let name = query(request, "name")
        guard let path = await exports.path(of: name) else { throw HTTPError(.notFound, message: "no export named “\(name)” (they are kept for a day)") }
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        headers[.contentDisposition] = "attachment; filename=\"\(name.replacingOccurrences(of: "\"", with: "_"))\""
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: try await FileIO().loadFile(path: path, context: context))
    }

    // MARK: machine-readable

    private func metricsText() async -> Response {
        let now = Date()
        async let replication = ReplicationStatus.forPage(runtime.settings.primary)
        let healthy = (try? await verdict().get().healthy) ?? false
        let backups = StoredBackup.all(in: runtime.layout)
        let ledger = offsiteLedger
        let backlog = ledger.map { ledger in backups.filter { !ledger.isUploaded($0) }.count }
        let window = UndoWindowSnapshot.exists(runtime.archiveLayout) ? UndoWindowSnapshot(layout: runtime.archiveLayout, now: now).window : nil
        let offsite = runtime.offsiteArchiveSync.map { _ in
            let index = OffsiteArchiveIndex.load(runtime.archiveLayout)
            return ConsoleMetrics.OffsiteWindow(window: index.window, lag: window.flatMap { OffsiteArchiveHealth.lag(index: index, local: $0) })
        }
        var told: ConsoleMetrics.NotificationState?
        if let notifier = notifications.notifier {
            let counts = await notifier.deliveryCounts
            told = .init(sent: counts.sent, failed: counts.failed, openProblems: await notifier.openProblems.count)
        }
        let text = metrics.render(libraries: LibraryStatus.all(runtime: runtime, backups: backups, ledger: ledger), healthy: healthy, offsiteBacklog: backlog,
                                  replication: await replication, undoWindow: window, offsite: offsite, drill: DrillRecord.load(runtime.layout.stateDirectory).first, restoreRunning: await jobs.isRunning, notifications: told, now: now)
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

    /// The listed backup a form's `file` names (``BackupReference``): 400 with one line for
    /// anything else (absolute, `..`), `unlisted` for a well-formed name the listing lacks (404 for
    /// the restore form's GET, 400 for a POST).
    private func findBackup(_ reference: String?, unlisted: HTTPResponse.Status = .badRequest) throws -> StoredBackup {
        switch BackupReference.resolve(reference, in: runtime.layout) {
        case .success(let backup): return backup
        case .failure(.malformed(let reason)): throw HTTPError(.badRequest, message: reason)
        case .failure(.notListed(let reason)): throw HTTPError(unlisted, message: reason)
        }
    }
}
