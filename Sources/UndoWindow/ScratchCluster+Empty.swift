import Foundation
import LaterbaseCore

/// An empty scratch server (`initdb`), for loading a dump somewhere that is not the Resolve
/// server (`export --backup`): socket-only in its own folder, `trust` on the socket, no fsync.
extension ScratchCluster {
    /// `initdb` as the server's account (UTF8, locale C), then the scratch settings; not started.
    public func initialize(superuser: String) async throws {
        var initdb = ChildProcess(binaries + "/initdb", ["-D", dataDirectory, "-U", superuser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        initdb.account = account
        initdb.environment = ["PGPASSWORD": nil, "PGPASSFILE": nil, "REPL_PASSWORD": nil, "REPL_PASSWORD_FILE": nil]
        _ = try await initdb.output()
        try write("local all all trust\n", to: "pg_hba.conf")
        let lines = [
            "port = \(port)", "listen_addresses = ''", "unix_socket_directories = \(ConfigFileText.quote(root))",
            "ssl = off", "logging_collector = off", "lc_messages = 'C'", "log_min_messages = 'warning'", "log_destination = 'stderr'",
            "fsync = off", "synchronous_commit = off", "full_page_writes = off", "max_wal_size = '64GB'", "checkpoint_timeout = '1d'",
            "shared_buffers = '128MB'", "max_connections = 20",
        ]
        let existing = (try? String(contentsOfFile: dataDirectory + "/postgresql.auto.conf", encoding: .utf8)) ?? ""
        try write(existing + "\n# laterbase export\n" + lines.joined(separator: "\n") + "\n", to: "postgresql.auto.conf")
    }
}
