import ArgumentParser
import Contracts
import Foundation
import Logging
import VecheRuntime

@main
struct GatewayMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Veche HTTP gateway: JSON API, Open311, dashboard and governor report over the NATS services.")

    @Option(help: "Listen address (default VECHE_HTTP_HOST or 127.0.0.1).")
    var host: String?

    @Option(help: "Listen port (default VECHE_HTTP_PORT or 8080).")
    var port: Int?

    func run() async throws {
        var config = try VecheConfig()
        if let host { config.httpHost = host }
        if let port { config.httpPort = port }
        VecheLogging.bootstrap(config, process: "gateway")
        VecheMetrics.bootstrap()
        let env = try await ServiceEnvironment.connect(config: config, name: "gateway", schema: nil)
        await VecheProcess.runToEnd("gateway", logger: env.logger, close: env.close) {
            try await serve(env: env, config: config)
        }
    }

    /// Runs the HTTP application until SIGTERM; the live-update subscription ends with it.
    private func serve(env: ServiceEnvironment, config: VecheConfig) async throws {
        let identity = GatewayIdentity(verifier: env.verifier, own: env.credentials, config: config)
        // Appeal events for the workspace's live updates (a core subscription: hints, not a durable feed).
        let hub = AppealEventHub()
        let events = try env.nats.subscribe(subject: Subjects.AppealEvents.wildcard, queue: nil, pendingLimit: 4096) { hub.deliver($0.payload) }
        defer {
            events.unsubscribe()
            hub.finishAll()
        }
        let app = buildApplication(transport: env.nats, identity: identity, config: config, logger: env.logger, events: hub)
        let tracing = VecheTracing.bootstrap(serviceName: "gateway", logger: env.logger)
        try await VecheProcess.run((tracing.map { [$0] } ?? []) + [app] + (env.metricsServer.map { [$0] } ?? []), logger: env.logger)
    }
}
