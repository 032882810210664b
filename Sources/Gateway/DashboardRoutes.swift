import Contracts
import Foundation
import Hummingbird
import Reports

/// The three views of `DashboardFanOut`: GET /api/v1/dashboard (JSON), GET / and /dashboard (HTML),
/// GET /reports/governor/:period (monthly governor report, HTML with SVG charts).
struct DashboardRoutes: Sendable {
    let fanOut: DashboardFanOut
    var settings: GatewaySettings { fanOut.settings }

    init(clients: ServiceClients, settings: GatewaySettings) {
        fanOut = DashboardFanOut(clients: clients, settings: settings)
    }

    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("api/v1/dashboard") { request, _ in
            JSONResponse(await fanOut.snapshot(try period(request.queryString("period"))))
        }
        router.get("/") { request, _ in try await dashboardHTML(request) }
        router.get("dashboard") { request, _ in try await dashboardHTML(request) }
        router.get("reports/governor/:period") { _, context in
            let raw = try context.parameters.require("period")
            let label = raw.hasSuffix(".html") ? String(raw.dropLast(5)) : raw
            let p: ReportPeriod
            do { p = try period(label.isEmpty ? "-" : label) } catch let e as RPCError {
                return HTMLResponse(html: errorPage(e.message), status: .badRequest)
            }
            let snapshot = await fanOut.snapshot(p)
            return HTMLResponse(html: ReportRenderer.governorReport(ReportMapping.governorReport(snapshot, settings: settings)))
        }
    }

    func period(_ raw: String) throws -> ReportPeriod {
        try ReportPeriod.resolve(raw, timeZone: settings.timeZone, now: fanOut.now())
    }

    func dashboardHTML(_ request: Request) async throws -> HTMLResponse {
        let p: ReportPeriod
        do { p = try period(request.queryString("period")) } catch let e as RPCError {
            return HTMLResponse(html: errorPage(e.message), status: .badRequest)
        }
        let snapshot = await fanOut.snapshot(p)
        return HTMLResponse(html: ReportRenderer.dashboard(ReportMapping.dashboardPage(snapshot, settings: settings)))
    }

    func errorPage(_ message: String) -> String {
        let escaped = message.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        return "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"/><title>Неверный запрос</title></head>"
            + "<body><h1>Неверный запрос</h1><p>\(escaped)</p><p>Период задаётся как ГГГГ-ММ, например 2026-10.</p></body></html>\n"
    }
}
