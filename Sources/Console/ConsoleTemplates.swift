import Foundation
import Mustache

/// The console's page templates: `Sources/Console/Templates/*.mustache`, a resource of the Console
/// target, parsed once when the console starts (``buildConsoleApplication(settings:runtime:logger:)``)
/// and shared by every request. SwiftPM copies them into `laterbase_Console.resources/Templates`
/// beside the executable; the container image copies that folder next to `/usr/local/bin/backup-agent`.
struct ConsoleTemplates: Sendable {
    /// Every template a page renders; loading fails unless each one is there.
    static let names = ["layout", "login", "overview", "backups", "search", "restore", "restore-at", "job", "verify", "notifications", "exports"]
    /// The resource folder SwiftPM makes for the Console target of the package `laterbase`.
    static let resourceFolder = "laterbase_Console.resources"

    let library: MustacheLibrary

    /// Parses every `.mustache` file in `directory`.
    /// - Throws: ``ConsoleTemplatesError`` when a file does not parse or one of ``names`` is missing.
    init(directory: String) async throws(ConsoleTemplatesError) {
        do {
            library = try await MustacheLibrary(directory: directory)
        } catch let error as MustacheLibrary.ParserError {
            throw ConsoleTemplatesError("the page template \(error.filename) does not parse: line \(error.context.lineNumber), column \(error.context.columnNumber): \(error.error)")
        } catch {
            throw ConsoleTemplatesError("the page templates in \(directory) did not load: \(error)")
        }
        let missing = Self.names.filter { library.getTemplate(named: $0) == nil }
        guard missing.isEmpty else {
            throw ConsoleTemplatesError("the page templates \(missing.joined(separator: ", ")) are missing from \(directory)")
        }
    }

    /// The templates shipped with the console (its resource bundle).
    /// - Throws: ``ConsoleTemplatesError`` when the bundle is missing or a template does not load.
    static func load() async throws(ConsoleTemplatesError) -> ConsoleTemplates {
        try await ConsoleTemplates(directory: try bundledDirectory())
    }

    /// `Templates` in the Console target's resource bundle. The bundle must be beside the
    /// executable, where SwiftPM builds it and the image installs it; that is checked before
    /// `Bundle.module` is touched, because SwiftPM's accessor stops the whole process
    /// (`fatalError`) when it finds no bundle, and the console must never take the backups with it.
    static func bundledDirectory() throws(ConsoleTemplatesError) -> String {
        let beside = Bundle.main.bundleURL.appendingPathComponent(resourceFolder)
        guard FileManager.default.fileExists(atPath: beside.path) else {
            throw ConsoleTemplatesError("the page templates are missing: no \(resourceFolder) beside the executable in \(Bundle.main.bundlePath); install that folder of the build with the binary")
        }
        guard let resources = Bundle.module.resourceURL else {
            throw ConsoleTemplatesError("the console's resource bundle \(Bundle.module.bundlePath) has no resource folder")
        }
        return resources.appendingPathComponent("Templates").path
    }

    /// The page's view in its template, inside the layout; nil when no template has that name
    /// (``init(directory:)`` makes sure every page's has).
    func render<View>(_ page: ConsolePage<View>) -> String? {
        library.render(LayoutContext(title: page.title, refresh: page.refresh, csrf: page.session?.csrf, view: page.view),
                       withTemplate: View.template)
    }
}

/// The console's templates did not load: the message says which file and why.
struct ConsoleTemplatesError: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
