import AgencyDirectory
import ClassifierStore
import Contracts
import Foundation
import Logging
import TextAnalysis
import ServiceLifecycle
import VecheRuntime

/// Builds AppealService from connected infrastructure; shared by `main` and the tests.
enum AppealServiceApp {
    static let version = "1.0.0"

    struct Built: Sendable {
        var host: NatsServiceHost
        var handlers: AppealHandlers
        var relay: EventRelay
        var watcher: DeadlineWatcher
        var directory: LocalDirectory
        /// MediaService (mentions, surges, incidents), hosted in this process.
        var media: MediaServiceApp.Built
        var services: [any Service]
    }

    /// The bundled classifier, decoded once per process (immutable).
    static let bundledModel = Result { try ClassifierModel.loadBundled() }

    /// `enricher` nil: the standard text pipeline (classifier, PII redaction, monitoring flags,
    /// duplicate grouping) with routing through AgencyService; `classifierSettings` nil: from the environment.
    static func build(env: ServiceEnvironment, enricher: (any AppealEnricher)? = nil, autoRegister: Bool = true,
                      classifierSettings: ClassifierSettings? = nil) async throws -> Built {
        let pool = try env.requirePool()
        try await Migrator.migrate(pool: pool, schema: AppealSchema.name, migrations: AppealSchema.migrations)
        try await env.jetStream.ensureStream(Streams.intake)
        try await env.jetStream.ensureStream(Streams.appealEvents)
        let directory = LocalDirectory(nats: env.nats, transport: env.rpc, pool: pool, timeZone: env.config.timeZone, logger: env.logger)
        await directory.start()
        let relay = EventRelay(pool: pool, publisher: JetStreamEventPublisher(jetStream: env.jetStream), logger: env.logger)
        // Calls to the directory are made as the service itself (its own client credentials).
        let agencies = AgencyV1.AgencyService.Client(transport: env.rpc)
        let chosen: any AppealEnricher
        var modelWatcher: [any Service] = []
        var grouper: ProblemGrouper?
        if let enricher {
            chosen = enricher
        } else {
            let standard = try await standardEnricher(env: env, pool: pool, directory: directory,
                                                      settings: try classifierSettings ?? ClassifierSettings())
            chosen = standard.enricher
            modelWatcher = [standard.modelWatcher]
            grouper = standard.grouper
        }
        var handlers = AppealHandlers(pool: pool, relay: relay, enricher: chosen, directory: directory,
                                      timeZone: env.config.timeZone, autoRegister: autoRegister,
                                      checks: DirectoryChecks(agencies: agencies, directory: directory),
                                      views: AppealViews(redactor: PIIRedactor()), commits: IntakeGroupCommit(pool: pool))
        handlers.grouper = grouper
        let refresher = BackgroundRefresher(logger: env.logger)
        handlers.aggregates = AppealAggregates(refresher: refresher)
        let rpc = env.rpcHost(info: .init(name: AppealV1.AppealService.name, version: version,
                                          description: "Citizen appeals: intake, 59-FZ lifecycle, answers, satisfaction",
                                          metadata: ["schema": AppealSchema.name]),
                              endpoints: handlers.endpoints)
        // Two batches in flight: one is enriched while the other is stored (intake messages are independent appeals;
        // the same appeal twice meets the (channel, external id) key either way).
        let intake = IntakeProcessor(handlers: handlers, pool: pool, authenticator: env.authenticator, logger: env.logger)
        let consumer = JetStreamConsumer(jetStream: env.jetStream, stream: Subjects.Intake.stream, durable: Subjects.Intake.durable,
                                         filterSubject: Subjects.Intake.wildcard, batch: 256, pullers: 2, logger: env.logger) {
            await intake.processBatch($0)
        }
        let watcher = DeadlineWatcher(pool: pool, relay: relay, logger: env.logger)
        let media = try await MediaServiceApp.build(env: env, pool: pool, appeals: handlers)
        return Built(host: rpc.host, handlers: handlers, relay: relay, watcher: watcher, directory: directory, media: media,
                     services: [env.grants, directory, relay, refresher] + rpc.services + [consumer, watcher] + media.services + modelWatcher)
    }

    /// The standard enricher, classifying with the active stored model (else the bundled one), the
    /// watcher that switches models when another one is activated, and the shared duplicate grouping.
    static func standardEnricher(env: ServiceEnvironment, pool: PGPool, directory: LocalDirectory, settings: ClassifierSettings)
        async throws -> (enricher: any AppealEnricher, modelWatcher: ClassifierModelWatcher, grouper: ProblemGrouper) {
        let grouper = try ProblemGrouper()
        let warmed = try await grouper.warmUp(pool: pool)
        env.logger.info("duplicate index read from the shared grouping log", metadata: ["appeals": "\(warmed)"])
        let bundled = try bundledModel.get()
        let pipelines = TextPipelinePool(model: bundled, duplicateOptions: grouper.options)
        let modelWatcher = ClassifierModelWatcher(pool: pool, pipelines: pipelines, bundled: bundled, logger: env.logger)
        let version = try await modelWatcher.refresh()
        env.logger.info("classifier model", metadata: ["version": "\(version)"])
        let enricher = TextEnricher(pipelines: pipelines, settings: settings,
                                    directory: directory, logger: env.logger)
        return (enricher, modelWatcher, grouper)
    }
}
