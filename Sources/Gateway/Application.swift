import Contracts
import Foundation
import Hummingbird
import Logging
import VecheRuntime

/// Typed clients of every backend service, all over one transport (NATS in production).
struct ServiceClients: Sendable {
    var appeals: AppealV1.AppealService.Client
    var agencies: AgencyV1.AgencyService.Client
    var ratings: RatingV1.RatingService.Client
    var surveys: SurveyV1.SurveyService.Client

    init(transport: any RPCTransport) {
        appeals = .init(transport: transport)
        agencies = .init(transport: transport)
        ratings = .init(transport: transport)
        surveys = .init(transport: transport)
    }
}

/// Per-call deadline for backend requests made while serving one HTTP request.
struct GatewaySettings: Sendable {
    var callTimeout: Duration = .seconds(3)
    var regionName = "Курская область"
    var timeZone = TimeZone(identifier: "Europe/Moscow") ?? .gmt
    /// Open311 api_key values allowed to create requests (VECHE_OPEN311_KEYS, comma separated).
    var open311Keys: Set<String> = ["demo-open311-key"]
}

/// Shared by `main` and the tests (Hummingbird 2 style).
func buildApplication(clients: ServiceClients, config: VecheConfig, logger: Logger,
                      settings: GatewaySettings = GatewaySettings()) -> some ApplicationProtocol {
    var settings = settings
    settings.timeZone = TimeZone(identifier: config.timeZone) ?? settings.timeZone
    let router = Router()
    router.add(middleware: RPCErrorMiddleware())
    router.get("/health") { _, _ in "ok" }
    if let keys = ProcessInfo.processInfo.environment["VECHE_OPEN311_KEYS"], !keys.isEmpty {
        settings.open311Keys = Set(keys.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
    }
    AppealRoutes(clients: clients, settings: settings).register(on: router.group("api/v1/appeals"))
    DirectoryRoutes(clients: clients, settings: settings).register(on: router.group("api/v1"))
    Open311Routes(clients: clients, settings: settings, apiKeys: settings.open311Keys).register(on: router.group("open311/v2"))
    RatingRoutes(clients: clients, settings: settings).register(on: router.group("api/v1"))
    SurveyRoutes(clients: clients, settings: settings).register(on: router.group("api/v1/surveys"))
    DashboardRoutes(clients: clients, settings: settings).register(on: router)
    return Application(router: router,
                       configuration: .init(address: .hostname(config.httpHost, port: config.httpPort), serverName: "veche-gateway"),
                       logger: logger)
}
