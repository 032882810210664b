import Contracts
import Foundation
import Logging
import ServiceLifecycle
import VecheRuntime

/// Builds RatingService from connected infrastructure; shared by `main` and the tests.
enum RatingServiceApp {
    static let version = "1.0.0"

    struct Built: Sendable {
        var host: NatsServiceHost
        var handlers: RatingHandlers
        var projection: RatingProjection
        var consumer: JetStreamConsumer
        var directory: DirectoryCache
        var services: [any Service]
    }

    /// - Parameters:
    ///   - settings: rating configuration (metric set, shrinkage, minimum volume, KPI targets).
    ///   - useAgencyService: ask AgencyService for names and populations (cached; optional at run time).
    ///   - now: evaluation clock (tests pin it).
    static func build(env: ServiceEnvironment, settings: RatingSettings = RatingSettings(), useAgencyService: Bool = true,
                      now: @escaping @Sendable () -> Date = { Date() }) async throws -> Built {
        let pool = try env.requirePool()
        try await Migrator.migrate(pool: pool, schema: RatingSchema.name, migrations: RatingSchema.migrations)
        // The event stream is AppealService's (it creates it); the consumer waits for it.
        let directory = DirectoryCache(client: useAgencyService ? AgencyV1.AgencyService.Client(transport: env.rpc) : nil,
                                       pool: pool, logger: env.logger)
        let periods = PeriodCalendar(timeZone: env.config.timeZone)
        var handlers = RatingHandlers(pool: pool, directory: directory, periods: periods, settings: settings, now: now)
        let refresher = BackgroundRefresher(logger: env.logger)
        handlers.indicatorCounts = RatingHandlers.indicatorCountsCache(refresher: refresher)
        let rpc = env.rpcHost(info: .init(name: RatingV1.RatingService.name, version: version,
                                          description: "Ratings of agencies and municipalities from appeal lifecycle events",
                                          metadata: ["schema": RatingSchema.name]),
                              endpoints: handlers.endpoints)
        let projection = RatingProjection(pool: pool, logger: env.logger)
        let durable = try await RatingProjection.currentDurable(pool: pool)
        let consumer = JetStreamConsumer(jetStream: env.jetStream, stream: Subjects.AppealEvents.stream, durable: durable,
                                         filterSubject: Subjects.AppealEvents.wildcard, batch: Subjects.AppealEvents.projectionBatch, logger: env.logger) { await projection.processBatch($0) }
        return Built(host: rpc.host, handlers: handlers, projection: projection, consumer: consumer, directory: directory,
                     services: [env.grants, refresher] + rpc.services + [consumer,
                                RootCauseDetector(handlers: handlers, interval: settings.rootCauses.interval, logger: env.logger),
                                LedgerPruner(pool: pool, retention: settings.ledgerRetention, interval: settings.ledgerPruneInterval,
                                             logger: env.logger)])
    }

    /// Truncates the projection and switches to a fresh durable consumer (the next `build` re-reads
    /// the stream from sequence 1). The old durable is deleted from the server (best effort). Call
    /// while no RatingService instance is consuming. Returns the new durable name.
    @discardableResult
    static func rebuild(env: ServiceEnvironment) async throws -> String {
        let pool = try env.requirePool()
        try await Migrator.migrate(pool: pool, schema: RatingSchema.name, migrations: RatingSchema.migrations)
        let (old, new) = try await RatingProjection.resetForRebuild(pool: pool)
        do {
            _ = try await env.nats.request(subject: "$JS.API.CONSUMER.DELETE.\(Subjects.AppealEvents.stream).\(old)",
                                           payload: [], headers: [:], timeout: .seconds(2))
        } catch {
            env.logger.notice("rating: could not delete the old durable consumer", metadata: ["durable": "\(old)", "error": "\(error)"])
        }
        env.logger.notice("rating: projection truncated for rebuild", metadata: ["old": "\(old)", "new": "\(new)"])
        return new
    }
}
