import ArgumentParser
import Foundation
import VecheRuntime

@main
struct SurveyServiceMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "survey-service",
        abstract: "Veche SurveyService: surveys, result batches over JetStream, weighted estimates (config from VECHE_* environment variables).")

    @Flag(help: "Apply database migrations and exit.")
    var migrateOnly = false

    func run() async throws {
        try await VecheProcess.serve(name: "survey-service", schema: SurveySchema.name, migrateOnly: migrateOnly) { env in
            try await SurveyServiceApp.build(env: env).services
        }
    }
}
