import ArgumentParser
import Foundation
import Logging
import VecheRuntime

/// Writes the nats-server configuration with one user per component and least-privilege permissions
/// (`BusPermissions`); passwords are generated once into the secrets directory (`nats/<user>`).
struct BusConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bus-config",
        abstract: "Generate the nats-server configuration: users, bcrypt passwords, per-user subject permissions.")
    @Option(help: "Listen port.") var port: Int
    @Option(help: "Listen address.") var host = "127.0.0.1"
    @Option(help: "JetStream store directory.") var store: String
    @Option(help: "Secrets directory (passwords are kept as nats/<user>).") var secrets: String
    @Option(help: "Where to write the configuration.") var out: String
    @Option(help: "Integrating systems: one NATS user per channel.") var integrations = "pos,portal,email,social,messenger"
    @Option(help: "Survey field teams: one NATS user per team.") var teams = "team-1,team-2"
    /// The passwords are 190-bit random strings, so the hash only keeps them out of the file; a low cost keeps
    /// nats-server from spending seconds per connection on a busy machine.
    @Option(help: "bcrypt cost of the stored password hashes.") var bcryptCost: UInt8 = 6

    func run() throws {
        let store = SecretStore(directory: secrets)
        let users = BusPermissions.users(integrations: Self.list(integrations), teams: Self.list(teams))
        var passwords: [String: String] = [:]
        for u in users { passwords[u.name] = try store.value("nats/\(u.name)") }
        let text = BusPermissions.serverConfig(host: host, port: port, storeDir: self.store, users: users, passwords: passwords, bcryptCost: bcryptCost)
        try SecretStore(directory: (out as NSString).deletingLastPathComponent).write((out as NSString).lastPathComponent, text)
        print("nats-server configuration with \(users.count) users written to \(out)")
    }

    static func list(_ s: String) -> [String] {
        s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// Creates the services' PostgreSQL roles (passwords from the secrets directory, `pg/<role>`), prepares the
/// database (schemas owned by their service, the append-only audit schema) and writes the libpq password
/// file `pgpass` the services' conninfo points at.
struct DBSetup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "db-setup",
        abstract: "Create the per-service PostgreSQL roles and prepare a database for least privilege.")
    @Option(help: "Administrator conninfo (to the maintenance database, e.g. dbname=postgres).") var admin: String
    @Option(help: "The platform's database.") var database = "veche"
    @Option(help: "Secrets directory.") var secrets: String

    func run() async throws {
        var logger = Logger(label: "veche.db-setup")
        logger.logLevel = .warning
        let store = SecretStore(directory: secrets)
        var passwords: [String: String] = [:]
        for s in DatabaseRoles.services { passwords[s.role] = try store.value("pg/\(s.role)") }
        let pw = passwords
        let maintenance = try await PGPool(conninfo: admin, size: 1, logger: logger, connectTimeout: .seconds(10))
        try await maintenance.withConnection { try DatabaseRoles.ensureRoles($0, passwords: pw, resetPasswords: true) }
        maintenance.close()
        let target = try await PGPool(conninfo: Self.conninfo(admin, database: database), size: 1, logger: logger, connectTimeout: .seconds(10))
        let db = database
        try await target.withConnection { try DatabaseRoles.prepareDatabase($0, database: db) }
        target.close()
        try store.write("pgpass", DatabaseRoles.passfile(passwords: passwords))
        print("roles \(DatabaseRoles.services.map(\.role).joined(separator: ", ")) ready; database \(database) prepared; \(store.path("pgpass")) written")
    }

    /// The same conninfo with another `dbname`.
    static func conninfo(_ base: String, database: String) -> String {
        (base.split(separator: " ").filter { !$0.hasPrefix("dbname=") }.map(String.init) + ["dbname=\(database)"]).joined(separator: " ")
    }
}
