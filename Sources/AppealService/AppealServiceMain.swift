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
        try await VecheProcess.serve(name: "appeal-service", schema: AppealSchema.name, migrateOnly: migrateOnly) { env in
            try await AppealServiceApp.build(env: env, autoRegister: autoRegister).services
        }
    }
}
