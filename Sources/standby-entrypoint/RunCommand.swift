import ArgumentParser
import LaterbaseCore
import Logging
import Standby

/// `standby-entrypoint run`: prepare the standby, then exec postgres.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Prepare the standby, then exec postgres.")

    @Argument(parsing: .postTerminator, help: "Arguments passed through to postgres.")
    var postgresArguments: [String] = []

    func run() async throws {
        try await CommandErrors.reporting {
            let settings = try loadSettings()
            // After loadSettings, which sets up logging (LOG_FORMAT, LOG_LEVEL) first.
            let logger = Logger(label: "standby")
            KnownVariables.warnAboutUnknown(logger: logger)
            let options = try StandbyCloneOptions(environment: EnvironmentReader())
            var account: SystemAccount?
            if SystemAccount.isRoot {
                guard let postgres = SystemAccount(named: "postgres") else {
                    throw CommandFailure("running as root but there is no postgres account to run the server as; create it or run as the server's user")
                }
                account = postgres
            }
            let preparer = StandbyPreparer(settings: settings, options: options, tools: PostgresTools(), account: account, logger: logger)
            let prepared = try await TerminationSignals.cancelling(outcome: "before postgres started; nothing was left half-done") {
                try await preparer.prepare()
            }
            logger.info("starting postgres", metadata: [LogKey.path: "\(settings.dataDirectory)"])
            try PostgresExec.exec(binary: prepared.postgres, dataDirectory: settings.dataDirectory, extra: postgresArguments,
                                  account: account, lock: prepared.lock)
        }
    }
}
