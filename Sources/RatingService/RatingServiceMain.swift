import ArgumentParser
import Foundation
import VecheRuntime

@main
struct RatingServiceMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rating-service",
        abstract: "Veche RatingService: ratings, KPIs and top problems from appeal lifecycle events (config from VECHE_* environment variables).")

    @Flag(help: "Apply database migrations and exit.")
    var migrateOnly = false

    @Flag(help: "Truncate the rating projection and re-consume the appeal event stream from the start with a fresh durable consumer.")
    var rebuild = false

    @Flag(inversion: .prefixedNo, help: "Ask AgencyService for municipality populations and display names.")
    var agencyDirectory = true

    func run() async throws {
        try await VecheProcess.serve(name: "rating-service", schema: RatingSchema.name, migrateOnly: migrateOnly) { env in
            if rebuild { try await RatingServiceApp.rebuild(env: env) }
            var settings = RatingSettings()
            settings.rootCauses = RootCauseSettings(environment: ProcessInfo.processInfo.environment)
            return try await RatingServiceApp.build(env: env, settings: settings, useAgencyService: agencyDirectory).services
        }
    }
}
