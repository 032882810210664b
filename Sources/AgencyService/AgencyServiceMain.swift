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
        try await VecheProcess.serve(name: "agency-service", schema: AgencySchema.name, migrateOnly: migrateOnly) { env in
            try await AgencyServiceApp.build(env: env, seed: seed).services
        }
    }
}
