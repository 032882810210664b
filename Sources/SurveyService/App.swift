import Contracts
import Foundation
import Logging
import ServiceLifecycle
import VecheRuntime

/// Builds SurveyService from connected infrastructure; shared by `main` and the tests.
enum SurveyServiceApp {
    static let version = "1.0.0"
    static let durable = Subjects.SurveyBatches.durable

    struct Built: Sendable {
        var host: NatsServiceHost
        var handlers: SurveyHandlers
        var services: [any Service]
    }

    static func build(env: ServiceEnvironment) async throws -> Built {
        let pool = try env.requirePool()
        try await Migrator.migrate(pool: pool, schema: SurveySchema.name, migrations: SurveySchema.migrations)
        try await env.jetStream.ensureStream(Streams.surveyBatches)
        let intake = BatchIntake(pool: pool, nats: env.nats, authenticator: env.authenticator, logger: env.logger)
        let handlers = SurveyHandlers(pool: pool, intake: intake)
        let rpc = env.rpcHost(info: .init(name: SurveyV1.SurveyService.name, version: version,
                                          description: "Sociological surveys: result batches from field teams, weighting, design-based estimates",
                                          metadata: ["schema": SurveySchema.name]),
                              endpoints: handlers.endpoints)
        let consumer = JetStreamConsumer(jetStream: env.jetStream, stream: Subjects.SurveyBatches.stream, durable: durable,
                                         filterSubject: Subjects.SurveyBatches.wildcard, logger: env.logger) { await intake.consume($0) }
        return Built(host: rpc.host, handlers: handlers, services: [env.grants] + rpc.services + [consumer])
    }
}
