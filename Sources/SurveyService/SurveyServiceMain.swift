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
        let config = VecheConfig()
        VecheLogging.bootstrap(level: config.logLevel)
        let env = try await ServiceEnvironment.connect(config: config, name: "survey-service", schema: SurveySchema.name)
        defer { env.close() }
        let built = try await SurveyServiceApp.build(env: env)
        if migrateOnly { return }
        try await VecheProcess.run(built.services, logger: env.logger)
    }
}
