import ArgumentParser
import Foundation
import VecheRuntime

@main
struct AppealServiceMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "appeal-service",
        abstract: "Veche AppealService: appeal intake and lifecycle over NATS (config from VECHE_* environment variables).")

    @Flag(help: "Apply database migrations and exit.")
    var migrateOnly = false

    @Flag(inversion: .prefixedNo, help: "Register e-channel appeals automatically on intake.")
    var autoRegister = true

    func run() async throws {
        let config = VecheConfig()
        VecheLogging.bootstrap(level: config.logLevel)
        let env = try await ServiceEnvironment.connect(config: config, name: "appeal-service", schema: AppealSchema.name)
        defer { env.close() }
        let built = try await AppealServiceApp.build(env: env, autoRegister: autoRegister)
        if migrateOnly { return }
        try await VecheProcess.run(built.services, logger: env.logger)
    }
}
