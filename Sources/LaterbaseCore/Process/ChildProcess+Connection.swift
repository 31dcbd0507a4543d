/// Pointing a PostgreSQL client tool at a server through libpq's environment variables.
extension ChildProcess {
    /// Sets `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGSSLMODE`, `PGAPPNAME` and
    /// `PGCONNECT_TIMEOUT` from `parameters`, and the password as the secret `PGPASSWORD`.
    /// Nothing about the connection goes into the arguments: a database name holding `=` would
    /// be read as a connection string there, and a password would be visible in `ps`.
    /// `PGSERVICE` and `PGOPTIONS` from the agent's own environment are removed.
    public mutating func connect(to parameters: ConnectionParameters, application: String) {
        environment.merge([
            "PGHOST": parameters.host, "PGPORT": String(parameters.port), "PGUSER": parameters.user,
            "PGDATABASE": parameters.database, "PGSSLMODE": parameters.sslMode, "PGAPPNAME": application,
            "PGCONNECT_TIMEOUT": String(max(2, parameters.connectTimeoutSeconds)),
        ]) { _, new in new }
        // A nil value removes the variable from the child's environment (a missing key would inherit it).
        for name in ChildEnvironment.libpqOverrides { environment.updateValue(nil, forKey: name) }
        if let password = parameters.password { secretEnvironment["PGPASSWORD"] = password }
    }
}
