import Contracts
import Foundation
import Logging
import ServiceLifecycle
import VecheRuntime

/// Builds AgencyService from connected infrastructure; shared by `main` and the tests.
enum AgencyServiceApp {
    static let version = "1.0.0"

    struct Built: Sendable {
        var host: NatsServiceHost
        var handlers: AgencyHandlers
        var notifications: NotificationServices
        var services: [any Service]
    }

    /// Migrates schema `agency`, syncs the taxonomy from `Taxonomy.topics`, and (when `seed`) seeds the
    /// demo region Курская область idempotently — safe on every start.
    /// `notifications`: SMTP relay, messenger channels and intervals of escalations and notifications.
    static func build(env: ServiceEnvironment, seed: Bool = true, roles: RoleSeed = RoleSeed(),
                      notifications: NotificationSettings = NotificationSettings()) async throws -> Built {
        let pool = try env.requirePool()
        try await Migrator.migrate(pool: pool, schema: AgencySchema.name, migrations: AgencySchema.migrations)
        let changes = DirectoryChanges(nats: env.nats, logger: env.logger)
        let revision = try await pool.transaction { conn in
            // One seeder at a time when several instances start together.
            try conn.query("SELECT pg_advisory_xact_lock(hashtext('agency-seed'))")
            try AgencyStore.syncTaxonomy(conn)
            if seed { try AgencyStore.seedDemoRegion(conn) }
            try roles.seed(conn, demo: seed)
            if seed {
                try NotificationServices.seedDemoPreferences(conn)
                try SavedFilterSchema.seedDemo(conn)
                try AgencyHandlers.seedBlockStaff(conn)
            }
            return try DirectoryChanges.bump(conn)
        }
        changes.announce(revision, what: "seed", pool: pool)
        // The directory holds the grants: it resolves them from its own table (cached and dropped on change).
        let grants = GrantCache(source: LocalGrantSource(pool: pool), nats: env.nats, logger: env.logger)
        var handlers = AgencyHandlers(pool: pool, timeZone: env.config.timeZone, changes: changes)
        handlers.messengers = notifications.messengers
        let refresher = BackgroundRefresher(logger: env.logger)
        handlers.workloadAnswers = AgencyHandlers.workloadAnswersCache(refresher: refresher)
        let nats = env.nats, logger = env.logger
        handlers.grantsChanged = { principal in
            grants.invalidate(principal)
            do {
                try nats.publish(subject: Subjects.Grants.changed, payload: Array(principal.utf8))
            } catch {
                logger.warning("could not announce a role change; caches expire within a minute", metadata: ["error": "\(error)"])
            }
        }
        let rpc = env.rpcHost(info: .init(name: AgencyV1.AgencyService.name, version: version,
                                          description: "Directory of municipalities and agencies, taxonomy, routing rules, SLA policies, working calendar",
                                          metadata: ["schema": AgencySchema.name]),
                              endpoints: handlers.endpoints,
                              authenticator: TokenAuthenticator(verifier: env.verifier, grants: grants))
        // Messenger bridges read their notifications from a stream, so none is lost while a bridge is down.
        if !notifications.messengers.isEmpty { try await env.jetStream.ensureStream(Streams.notifications) }
        let notify = NotificationServices(env: env, pool: pool, settings: notifications)
        return Built(host: rpc.host, handlers: handlers, notifications: notify, services: [grants, refresher] + rpc.services + notify.services)
    }
}
