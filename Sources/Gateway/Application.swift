import Contracts
import Foundation
import Hummingbird
import HummingbirdAuth
import Logging
import VecheRuntime
import WorkspaceUI

/// Typed clients of every backend service, all over one transport (NATS in production).
struct ServiceClients: Sendable {
    var appeals: AppealV1.AppealService.Client
    var agencies: AgencyV1.AgencyService.Client
    var ratings: RatingV1.RatingService.Client
    var surveys: SurveyV1.SurveyService.Client
    var media: MediaV1.MediaService.Client

    init(transport: any RPCTransport) {
        appeals = .init(transport: transport)
        agencies = .init(transport: transport)
        ratings = .init(transport: transport)
        surveys = .init(transport: transport)
        media = .init(transport: transport)
    }
}

/// Per-call deadline for backend requests made while serving one HTTP request, and what the pages show.
struct GatewaySettings: Sendable {
    var callTimeout: Duration = .seconds(3)
    /// Per-call deadline of the dashboard's fan-out (built once per period and refresh for every viewer, who are served
    /// the previous snapshot meanwhile): long enough for the yearly indicators to be counted at a region's scale.
    var dashboardCallTimeout: Duration = .seconds(10)
    var regionName = "Курская область"
    /// The region's time zone (`VecheConfig.timeZone`; `buildApplication` sets it from the configuration).
    var timeZone = VecheConfig.defaults.timeZone
    /// Open311 api_key values allowed to create requests (VECHE_OPEN311_KEYS, comma separated; scripts/veche
    /// generates one). None configured: Open311 creates nothing.
    var open311Keys: Set<String> = []
}

/// Shared by `main` and the tests (Hummingbird 2 style). `transport` is the gateway's NATS connection;
/// each backend call carries the caller's token (or the gateway's own, for public data).
/// `events` feeds the workspace's live updates (nil: no `/ws/events`).
func buildApplication(transport: any RPCTransport, identity: GatewayIdentity, config: VecheConfig, logger: Logger,
                      settings: GatewaySettings = GatewaySettings(), events: AppealEventHub? = nil) -> some ApplicationProtocol {
    var settings = settings
    settings.timeZone = config.timeZone
    if let keys = ProcessInfo.processInfo.environment["VECHE_OPEN311_KEYS"], !keys.isEmpty {
        settings.open311Keys = Set(keys.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
    }
    let grantCache = GrantCache(source: nil, nats: transport as? NatsConnection, logger: logger)
    let backends = Backends(transport: transport, identity: identity, grantCache: grantCache)
    let router = Router(context: GatewayContext.self)
    // A server span per request (W3C `traceparent` from the caller continued), current while the handlers call
    // the services, so every RPC and JetStream message carries it; `traceresponse` tells the caller its trace id.
    router.add(middleware: TracingMiddleware(redactingQueryParameters: TraceResponse.redactedQueryParameters))
    router.add(middleware: TraceResponseMiddleware())
    // HTTP request count, duration and errors per route (Hummingbird's swift-metrics middleware).
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: RPCErrorMiddleware())
    router.add(middleware: InputHygieneMiddleware())
    router.add(middleware: SessionMiddleware(storage: MemoryPersistDriver(), configuration: .init(
        sessionCookieParameters: .init(name: "veche_session", path: "/", secure: identity.cookieSecure, sameSite: .lax))))
    router.add(middleware: CallerMiddleware(identity: identity))
    router.add(middleware: UnsafeRequestGuard(identity: identity))
    router.get("/health") { _, _ in "ok" }
    let templates = Result { try WorkspaceTemplates() }
    if case .failure(let error) = templates { logger.critical("the workspace cannot load its templates", metadata: ["error": "\(error)"]) }
    OperationsRoutes(transport: transport).register(on: router)
    SignInRoutes(identity: identity, backends: backends, settings: settings, templates: templates).register(on: router)
    AppealRoutes(backends: backends, settings: settings).register(on: router.group("api/v1/appeals"))
    CitizenRoutes(backends: backends, settings: settings).register(on: router.group("api/v1/citizen/appeal"))
    DirectoryRoutes(backends: backends, settings: settings).register(on: router.group("api/v1"))
    NotificationRoutes(backends: backends, settings: settings).register(on: router.group("api/v1"))
    SavedFilterRoutes(backends: backends, settings: settings).register(on: router.group("api/v1"))
    AccessRoutes(backends: backends, settings: settings).register(on: router.group("api/v1"))
    Open311Routes(backends: backends, settings: settings, apiKeys: settings.open311Keys).register(on: router.group("open311/v2"))
    RatingRoutes(backends: backends, settings: settings).register(on: router.group("api/v1"))
    RootCauseRoutes(backends: backends, settings: settings).register(on: router.group("api/v1"))
    MentionRoutes(backends: backends, settings: settings).register(on: router.group("api/v1/mentions"))
    SurveyRoutes(backends: backends, settings: settings).register(on: router.group("api/v1/surveys"))
    // Dashboard snapshots are rebuilt off the viewers' requests (a stale one is served meanwhile).
    let refresher = BackgroundRefresher(logger: logger)
    DashboardRoutes(backends: backends, settings: settings, refresher: refresher).register(on: router)
    WorkspaceRoutes(backends: backends, settings: settings, templates: templates, events: events).register(on: router)
    return Application(router: router,
                       configuration: .init(address: .hostname(config.httpHost, port: config.httpPort), serverName: "veche-gateway"),
                       services: [refresher, grantCache], logger: logger)
}
