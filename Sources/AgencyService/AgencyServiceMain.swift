import ArgumentParser
import Foundation
import VecheRuntime

@main
struct AgencyServiceMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agency-service",
        abstract: "Veche AgencyService: agencies, municipalities, taxonomy, routing, SLA and calendar over NATS (config from VECHE_* environment variables).")

    @Flag(help: "Apply database migrations (and the seed) and exit.")
    var migrateOnly = false

    @Flag(inversion: .prefixedNo, help: "Seed the demo region (Курская область) idempotently on start.")
    var seed = true

    func run() async throws {
        let config = VecheConfig()
        VecheLogging.bootstrap(level: config.logLevel)
        let env = try await ServiceEnvironment.connect(config: config, name: "agency-service", schema: AgencySchema.name)
        defer { env.close() }
        let built = try await AgencyServiceApp.build(env: env, seed: seed)
        if migrateOnly { return }
        try await VecheProcess.run(built.services, logger: env.logger)
    }
}
