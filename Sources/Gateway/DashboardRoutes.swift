import Contracts
import Foundation
import Hummingbird
import Reports
import VecheAuth
import VecheRuntime

/// The three views of `DashboardFanOut`: GET /api/v1/dashboard (JSON), GET / and /dashboard (HTML),
/// GET /reports/governor/:period (monthly governor report, HTML with SVG charts). They are for the staff of
/// the ЦУР and its partners: a browser that is not signed in is sent to the sign-in (HTML) or gets 401 (JSON);
/// a signed-in person without a staff role gets 403. Every backend call carries the person's token, so each
/// service checks the caller's roles.
///
/// The dashboard (JSON and HTML) is served from one snapshot per period shared by every staff viewer for
/// `snapshotTTL`: its sections are region-wide aggregates that every staff role may read alike, so a hundred
/// people watching `/` cost one fan-out per few seconds. The HTML page updates itself from the appeal event
/// stream (`/ws/events`, script `dash.js`). The governor report is always built fresh (it shows the curator's
/// approval the moment it is given).
struct DashboardRoutes: Sendable {
    let backends: Backends
    let settings: GatewaySettings
    var now: @Sendable () -> Date = { Date() }
    static let snapshotTTL: Duration = .seconds(5)
    /// Snapshots per period; a stale one is rebuilt by `refresher` (the gateway's) while every viewer, the one who
    /// found it stale included, gets the previous one.
    let snapshots: FreshCache<String, SharedDashboard>

    init(backends: Backends, settings: GatewaySettings, refresher: BackgroundRefresher? = nil) {
        self.backends = backends
        self.settings = settings
        snapshots = FreshCache(ttl: Self.snapshotTTL, capacity: 24, refresher: refresher)
    }

    /// A period's snapshot as JSON and as the HTML page, rendered once per refresh for every viewer (rendering per
    /// request was most of the dashboard's cost once the snapshot itself was shared).
    struct SharedDashboard: Sendable {
        let json: EncodedJSON
        let html: String
    }

    func register(on router: Router<GatewayContext>) {
        router.get("api/v1/dashboard") { request, context in
            let fanOut = try await staffFanOut(context)
            return try await shared(fanOut, try period(request.queryString("period"))).json
        }
        router.get("/") { request, context in try await dashboardHTML(request, context) }
        router.get("dashboard") { request, context in try await dashboardHTML(request, context) }
        router.get("reports/governor/:period") { request, context in
            guard context.identity != nil else { return try signIn(request) }
            let fanOut = try await staffFanOut(context)
            let raw = try context.parameters.require("period")
            let label = raw.hasSuffix(".html") ? String(raw.dropLast(5)) : raw
            let p: ReportPeriod
            do { p = try period(label.isEmpty ? "-" : label) } catch let e as RPCError {
                return try HTMLResponse(html: errorPage(e.message), status: .badRequest).response(from: request, context: context)
            }
            let snapshot = await fanOut.snapshot(p)
            return try HTMLResponse(html: ReportRenderer.governorReport(ReportMapping.governorReport(snapshot, settings: settings)))
                .response(from: request, context: context)
        }
    }

    /// The fan-out for the caller, once the directory confirms a staff role (403 otherwise).
    func staffFanOut(_ context: GatewayContext) async throws -> DashboardFanOut {
        let clients = try backends.caller(context)
        let grants = try await backends.grants(context, options: CallOptions(timeout: settings.callTimeout))
        guard grants.contains(where: { Role.staff.contains($0.role) }) else {
            throw AuthError.permissionDenied("the dashboard is for the staff of the ЦУР; \(context.identity?.principalKey ?? "the caller") holds no staff role")
        }
        return DashboardFanOut(clients: clients, settings: settings, now: now)
    }

    /// The period's snapshot from the shared cache (built by this caller's fan-out when missing or stale).
    /// The fan-out itself never fails: unavailable backends become sections that say so.
    func shared(_ fanOut: DashboardFanOut, _ p: ReportPeriod) async throws -> SharedDashboard {
        try await snapshots.value(p.label) { [settings] in
            let snapshot = await fanOut.snapshot(p)
            var page = ReportMapping.dashboardPage(snapshot, settings: settings)
            page.live = (events: "/ws/events", script: "/ws/static/dash.js")
            return SharedDashboard(json: try EncodedJSON(snapshot), html: ReportRenderer.dashboard(page))
        }
    }

    func signIn(_ request: Request) throws -> Response {
        SignInRoutes.redirect("/auth/login?return_to=" + (request.uri.path.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "/"))
    }

    func period(_ raw: String) throws -> ReportPeriod {
        try ReportPeriod.resolve(raw, timeZone: settings.timeZone, now: now())
    }

    func dashboardHTML(_ request: Request, _ context: GatewayContext) async throws -> Response {
        guard context.identity != nil else { return try signIn(request) }
        let fanOut = try await staffFanOut(context)
        let p: ReportPeriod
        do { p = try period(request.queryString("period")) } catch let e as RPCError {
            return try HTMLResponse(html: errorPage(e.message), status: .badRequest).response(from: request, context: context)
        }
        return try HTMLResponse(html: try await shared(fanOut, p).html, live: true).response(from: request, context: context)
    }

    func errorPage(_ message: String) -> String {
        let escaped = message.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        return "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"/><title>Неверный запрос</title></head>"
            + "<body><h1>Неверный запрос</h1><p>\(escaped)</p><p>Период задаётся как ГГГГ-ММ, например 2026-10.</p></body></html>\n"
    }
}
