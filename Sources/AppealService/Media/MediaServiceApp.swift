import Contracts
import Foundation
import ServiceLifecycle
import VecheRuntime

/// Builds MediaService inside AppealService's process: the handlers, their RPC host (ADR-32 name
/// `MediaService`), the mention stream's consumer and the surge watcher.
enum MediaServiceApp {
    struct Built: Sendable {
        var handlers: MediaHandlers
        var surges: SurgeWatcher
        var host: NatsServiceHost
        var services: [any Service]
    }

    static func build(env: ServiceEnvironment, pool: PGPool, appeals: AppealHandlers) async throws -> Built {
        try await env.jetStream.ensureStream(Streams.mentions)
        let analyzer = PostAnalyzer(toneModel: try PostAnalyzer.bundledToneModel.get(), topicModel: try AppealServiceApp.bundledModel.get())
        let filing = MediaAppeals(handlers: appeals)
        let handlers = MediaHandlers(pool: pool, analyzer: analyzer, directory: appeals.directory, appeals: filing, timeZone: env.config.timeZone)
        let rpc = env.rpcHost(info: .init(name: MediaV1.MediaService.name, version: AppealServiceApp.version,
                                          description: "Public posts: mentions, tone, surges and incidents, promotion to appeals",
                                          metadata: ["schema": AppealSchema.name]),
                              endpoints: handlers.endpoints)
        let intake = MentionIntake(handlers: handlers, authenticator: env.authenticator, logger: env.logger)
        let consumer = JetStreamConsumer(jetStream: env.jetStream, stream: Subjects.Mentions.stream, durable: Subjects.Mentions.durable,
                                         filterSubject: Subjects.Mentions.wildcard, logger: env.logger) { await intake.process($0) }
        let surges = SurgeWatcher(pool: pool, appeals: filing, logger: env.logger)
        return Built(handlers: handlers, surges: surges, host: rpc.host, services: rpc.services + [consumer, surges])
    }
}
