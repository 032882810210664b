import Contracts
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import HummingbirdTesting
import ServiceLifecycle
import Testing
import VecheAuth
import VecheRuntime
import VecheTestSupport
@testable import AgencyService
@testable import AppealService
@testable import Gateway
@testable import RatingService
@testable import SurveyService

/// Section headings of the governor report (Reports.ReportSection titles).
private let reportHeadings = [
    "Ключевые показатели", "Объём обращений по каналам и тематикам", "Динамика поступления обращений",
    "Соблюдение сроков и время ответа", "Рейтинг органов исполнительной власти", "Рейтинг муниципальных образований",
    "Основные проблемы по тематикам", "Обращения особого контроля", "Результаты социологических опросов", "Методика и примечания",
]

private let dashboardSections = ["appeals", "previousAppeals", "activity", "agencyRatings", "municipalityRatings", "topProblems",
                                 "previousTopProblems", "kpis", "previousKpis", "survey"]

private let chromiumPath: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/snap/bin/chromium"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

private let appealTexts: [(String, String)] = [
    ("Мусор", "Во дворе дома на улице Ленина 5 в Курске неделю не вывозят мусор, контейнерная площадка переполнена"),
    ("Яма", "На дороге по улице Дзержинского в Курске огромная яма, машины повреждают колёса"),
    ("Крыша", "В доме на улице Союзной 20 в Курске течёт крыша, управляющая компания не реагирует"),
    ("Горячая вода", "Нет горячей воды в доме на проспекте Победы в Курске уже третий день"),
    ("Автобус", "Автобус маршрута 1 в Курске не ходит по расписанию, люди ждут по часу на остановке"),
    ("Поликлиника", "В поликлинике номер 5 в Курске невозможно записаться к терапевту"),
]

/// A numeric and a Likert question; eight respondents in two municipalities.
private let surveyJSON = #"""
{"id":"transport-2026","title":"Оценка общественного транспорта","questions":[
 {"code":"wait","text":"Сколько минут вы обычно ждёте автобус?","type":"numeric","scaleMin":0,"scaleMax":120},
 {"code":"quality","text":"Оцените качество работы общественного транспорта","type":"likert","scaleMin":1,"scaleMax":5}]}
"""#

private func batchJSON(_ id: String) -> String {
    let rows = (0..<8).map { i in
        let oktmo = i % 2 == 0 ? "38701000" : "38705000"
        return #"{"respondentId":"r\#(i)","municipalityOktmo":"\#(oktmo)","answers":[{"questionCode":"wait","number":\#(10 + i * 3),"hasNumber":true},{"questionCode":"quality","number":\#(1 + i % 5),"hasNumber":true}]}"#
    }
    return #"{"batchId":"\#(id)","teamId":"team-kursk","responses":[\#(rows.joined(separator: ","))]}"#
}

private func json(_ body: ByteBuffer) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
}

@Suite("Gateway dashboard, ratings, surveys and governor report", .serialized)
struct GatewayDashboardTests {
    @Test func fullStackDashboardRatingsSurveysAndReport() async throws {
        try await withPlatform(rating: true, survey: true) { platform in
                let cluster = platform.cluster
                let cur = try await bearer(.user("kurator")), head = try await bearer(.user("cur-head"))
                let sociologist = try await bearer(.user("sociologist")), analyst = try await bearer(.user("analyst"))
                try await platform.gateway().test(.router) { client in
                    // Appeals through the gateway from two integrating systems; three of them assigned, answered and rated.
                    var ids: [(String, String)] = []
                    for (i, (title, text)) in appealTexts.enumerated() {
                        let channel = i % 2 == 0 ? "portal" : "email"
                        let body = #"{"channel":"\#(channel)","externalId":"dash-\#(i)","title":"\#(title)","text":"\#(text)","municipalityOktmo":"38701000"}"#
                        let r = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: try await bearer(.client("veche-integration-\(channel)")),
                                                         body: ByteBuffer(string: body))
                        #expect(r.status == .created)
                        let created = try decode(AppealV1.SubmitAppealResponse.self, r.body)
                        ids.append((try #require(created.appeal).id, created.citizenToken))
                    }
                    for (id, token) in ids.prefix(3) {
                        let assign = try await client.execute(uri: "/api/v1/appeals/\(id)/transitions", method: .post, headers: try await bearer(operatorUser),
                                                              body: ByteBuffer(string: #"{"action":"assign","agencyId":"kursk-zhkh"}"#))
                        #expect(assign.status == .ok)
                        let answer = try await client.execute(uri: "/api/v1/appeals/\(id)/answer", method: .post, headers: try await bearer(housingExecutor),
                                                              body: ByteBuffer(string: #"{"answerText":"Меры приняты","complete":true}"#))
                        #expect(answer.status == .ok)
                        var citizen: HTTPFields = [.contentType: "application/json"]
                        citizen[CitizenRoutes.tokenHeader] = token
                        let rate = try await client.execute(uri: "/api/v1/citizen/appeal/rating", method: .post, headers: citizen, body: ByteBuffer(string: #"{"satisfaction":5}"#))
                        #expect(rate.status == .ok)
                    }

                    // Wait until RatingService has applied the events.
                    let applied = try await eventually(timeout: .seconds(30)) {
                        let p = try await client.execute(uri: "/api/v1/ratings/progress", method: .get, headers: cur)
                        guard p.status == .ok else { return false }
                        let progress = try JSONDecoder().decode(RatingV1.GetProgressResponse.self, from: Data(buffer: p.body))
                        guard progress.appealsTracked == Int64(ids.count) else { return false }
                        let period = ReportPeriod.current(now: Date(), timeZone: cluster.config.timeZone).label
                        let r = try await client.execute(uri: "/api/v1/ratings?dimension=agency&period=\(period)", method: .get, headers: cur)
                        let ratings = try JSONDecoder().decode(RatingV1.GetRatingsResponse.self, from: Data(buffer: r.body))
                        return ratings.rows.reduce(0) { $0 + ($1.metrics?.answered ?? 0) } == 3
                    }
                    #expect(applied)
                    let period = ReportPeriod.current(now: Date(), timeZone: cluster.config.timeZone).label

                    // Ratings API.
                    let ratingsResponse = try await client.execute(uri: "/api/v1/ratings?dimension=agency&period=\(period)", method: .get, headers: cur)
                    #expect(ratingsResponse.status == .ok)
                    let ratings = try JSONDecoder().decode(RatingV1.GetRatingsResponse.self, from: Data(buffer: ratingsResponse.body))
                    #expect(ratings.period == period)
                    #expect(ratings.rows.contains { $0.key == "kursk-zhkh" && ($0.metrics?.answered ?? 0) == 3 })
                    #expect(try await client.execute(uri: "/api/v1/ratings?dimension=municipality&period=\(period)", method: .get, headers: cur).status == .ok)
                    #expect(try await client.execute(uri: "/api/v1/ratings?dimension=galaxy", method: .get, headers: cur).status == .badRequest)
                    #expect(try await client.execute(uri: "/api/v1/ratings?period=2026-13", method: .get, headers: cur).status == .badRequest)
                    let problems = try await client.execute(uri: "/api/v1/ratings/top-problems?period=\(period)", method: .get, headers: cur)
                    #expect(problems.status == .ok)
                    #expect(String(buffer: problems.body).contains("topics"))
                    let kpis = try await client.execute(uri: "/api/v1/kpis?period=\(period)&dimension=agency", method: .get, headers: cur)
                    #expect(kpis.status == .ok)
                    let weights = try await client.execute(uri: "/api/v1/ratings/weights", method: .put, headers: head,
                                                           body: ByteBuffer(string: #"{"quantity":1,"speed":1,"quality":1,"completeness":1}"#))
                    #expect(weights.status == .ok)
                    #expect(String(buffer: weights.body).contains(#""quality":0.25"#))
                    let badWeights = try await client.execute(uri: "/api/v1/ratings/weights", method: .put, headers: head, body: ByteBuffer(string: #"{"quantity":-1}"#))
                    #expect(badWeights.status == .badRequest)

                    // Survey round trip.
                    let created = try await client.execute(uri: "/api/v1/surveys", method: .post, headers: sociologist, body: ByteBuffer(string: surveyJSON))
                    #expect(created.status == .created)
                    let dup = try await client.execute(uri: "/api/v1/surveys", method: .post, headers: sociologist, body: ByteBuffer(string: surveyJSON))
                    #expect(dup.status == .conflict)
                    let list = try await client.execute(uri: "/api/v1/surveys", method: .get, headers: sociologist)
                    #expect(String(buffer: list.body).contains("transport-2026"))
                    let early = try await client.execute(uri: "/api/v1/surveys/transport-2026/status", method: .post, headers: sociologist, body: ByteBuffer(string: #"{"status":"published"}"#))
                    #expect(early.status == .conflict)
                    let fieldwork = try await client.execute(uri: "/api/v1/surveys/transport-2026/status", method: .post, headers: sociologist, body: ByteBuffer(string: #"{"status":"fieldwork"}"#))
                    #expect(fieldwork.status == .ok)
                    #expect(String(buffer: fieldwork.body).contains(#""status":"fieldwork""#))
                    let batch = try await client.execute(uri: "/api/v1/surveys/transport-2026/batches", method: .post, headers: sociologist, body: ByteBuffer(string: batchJSON("b-1")))
                    #expect(batch.status == .created)
                    let receipt = try #require(try JSONDecoder().decode(SurveyV1.SubmitBatchResponse.self, from: Data(buffer: batch.body)).receipt)
                    #expect(receipt.status == .accepted)
                    #expect(receipt.acceptedRows == 8)
                    let replay = try await client.execute(uri: "/api/v1/surveys/transport-2026/batches", method: .post, headers: sociologist, body: ByteBuffer(string: batchJSON("b-1")))
                    #expect(replay.status == .ok)
                    let stored = try await client.execute(uri: "/api/v1/surveys/batches/b-1", method: .get, headers: sociologist)
                    #expect(stored.status == .ok)
                    #expect(String(buffer: stored.body).contains(#""acceptedRows":8"#))
                    #expect(try await client.execute(uri: "/api/v1/surveys/batches/nope", method: .get, headers: sociologist).status == .notFound)
                    let got = try await client.execute(uri: "/api/v1/surveys/transport-2026", method: .get, headers: sociologist)
                    #expect(String(buffer: got.body).contains(#""responses":8"#))

                    let mean = try await client.execute(uri: "/api/v1/surveys/transport-2026/estimates?question=wait&by=municipality", method: .get, headers: analyst)
                    #expect(mean.status == .ok)
                    let est = try JSONDecoder().decode(SurveyV1.EstimateResponse.self, from: Data(buffer: mean.body))
                    let overall = try #require(est.rows.first { $0.domain.isEmpty })
                    #expect(abs(overall.estimate - 20.5) < 1e-9)   // mean of 10, 13, …, 31
                    #expect(est.rows.contains { $0.domain == "38705000" })
                    let margins = try await client.execute(uri: "/api/v1/surveys/transport-2026/margins", method: .put, headers: sociologist, body: ByteBuffer(string: #"""
                        {"margins":[{"variable":"municipality","category":"38701000","population":440000},{"variable":"municipality","category":"38705000","population":98000}]}
                        """#))
                    #expect(margins.status == .ok)
                    let raked = try await client.execute(uri: "/api/v1/surveys/transport-2026/estimates?question=wait&weighting=rake&vars=municipality", method: .get, headers: analyst)
                    #expect(raked.status == .ok, "\(String(buffer: raked.body))")
                    let total = try await client.execute(uri: "/api/v1/surveys/transport-2026/estimates?question=wait&statistic=total", method: .get, headers: analyst)
                    #expect(total.status == .ok)
                    let csi = try await client.execute(uri: "/api/v1/surveys/transport-2026/satisfaction?questions=quality&by=municipality", method: .get, headers: analyst)
                    #expect(csi.status == .ok)
                    #expect(String(buffer: csi.body).contains(#""level":"csi""#))
                    #expect(try await client.execute(uri: "/api/v1/surveys/transport-2026/estimates?question=wait&weighting=magic", method: .get, headers: analyst).status == .badRequest)
                    #expect(try await client.execute(uri: "/api/v1/surveys/transport-2026/estimates", method: .get, headers: analyst).status == .badRequest)
                    #expect(try await client.execute(uri: "/api/v1/surveys/transport-2026/estimates?question=wait&trim_upper=lots", method: .get, headers: analyst).status == .badRequest)

                    // Dashboard JSON: every section present and loaded.
                    let dash = try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: cur)
                    #expect(dash.status == .ok)
                    let d = try json(dash.body)
                    #expect(d["period"] as? String == period)
                    for key in dashboardSections {
                        let section = try #require(d[key] as? [String: Any], "section \(key) missing")
                        #expect(section["unavailable"] == nil, "section \(key): \(section["unavailable"] ?? "")")
                    }
                    #expect((d["appeals"] as? [String: Any])?["total"] as? Int == appealTexts.count)
                    let survey = try #require(d["survey"] as? [String: Any])
                    #expect((survey["survey"] as? [String: Any])?["id"] as? String == "transport-2026")
                    #expect(((survey["estimates"] as? [Any]) ?? []).count == 2)
                    let activity = try #require(d["activity"] as? [String: Any])
                    #expect(activity["answered"] as? Int == 3)
                    #expect(try await client.execute(uri: "/api/v1/dashboard?period=2026-1", method: .get, headers: cur).status == .badRequest)

                    // Web dashboard.
                    let html = try await client.execute(uri: "/", method: .get, headers: cur)
                    #expect(html.status == .ok)
                    #expect(html.headers[.contentType]?.hasPrefix("text/html") == true)
                    let page = String(buffer: html.body)
                    #expect(page.contains("<svg"))
                    #expect(page.contains("Рейтинг органов исполнительной власти"))
                    #expect(!page.contains("Данные временно недоступны"))
                    #expect(try await client.execute(uri: "/dashboard?period=\(period)", method: .get, headers: cur).status == .ok)

                    // Governor report for the current period.
                    let report = try await client.execute(uri: "/reports/governor/\(period)", method: .get, headers: cur)
                    #expect(report.status == .ok)
                    let reportHTML = String(buffer: report.body)
                    for heading in reportHeadings { #expect(reportHTML.contains(heading), "missing heading \(heading)") }
                    #expect(reportHTML.contains("<svg"))
                    #expect(reportHTML.contains("Оценка общественного транспорта"))
                    #expect(!reportHTML.contains("не получены"))
                    #expect(reportHTML.contains("проект, не утверждён куратором"))
                    // The curator approves the month's report; the report says so. Nobody else may approve.
                    let denied = try await client.execute(uri: "/api/v1/reports/\(period)/approval", method: .post, headers: head,
                                                          body: ByteBuffer(string: #"{"note":"согласовано"}"#))
                    #expect(denied.status == .forbidden)
                    let approved = try await client.execute(uri: "/api/v1/reports/\(period)/approval", method: .post, headers: cur,
                                                            body: ByteBuffer(string: #"{"note":"согласовано"}"#))
                    #expect(approved.status == .ok)
                    #expect(try decode(RatingV1.ApproveReportResponse.self, approved.body).approval?.approvedBy == "user:kurator")
                    let approvedReport = String(buffer: try await client.execute(uri: "/reports/governor/\(period)", method: .get, headers: cur).body)
                    #expect(approvedReport.contains("утверждён куратором (user:kurator)"))
                    _ = cluster
                    _ = sociologist
                }
        }
    }

    @Test func partialResultsWhenRatingAndSurveyServicesAreDown() async throws {
        try await withPlatform(rating: false, survey: false) { platform in
                let settings: GatewaySettings = {
                    // The stopped services answer "no responders" at once; the timeout only bounds AppealService,
                    // which must answer (generous: a loaded CI machine is slow, not wrong). Waiting out a stopped
                    // service's deadline instead would take the whole 60 s, twice the bound below.
                    var s = GatewaySettings()
                    s.callTimeout = .seconds(60)
                    return s
                }()
                let cur = try await bearer(.user("kurator"))
                try await platform.gateway(settings: settings).test(.router) { client in
                    let body = #"{"channel":"portal","externalId":"p-1","title":"Яма","text":"На дороге по улице Дзержинского в Курске огромная яма"}"#
                    #expect(try await client.execute(uri: "/api/v1/appeals", method: .post, headers: try await bearer(.client("veche-integration-portal")),
                                                     body: ByteBuffer(string: body)).status == .created)

                    let started = ContinuousClock.now
                    let dash = try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: cur)
                    let took = ContinuousClock.now - started
                    #expect(took < .seconds(30), "the dashboard waited for the stopped services: \(took)")
                    #expect(dash.status == .ok)
                    let d = try json(dash.body)
                    for key in ["agencyRatings", "municipalityRatings", "topProblems", "kpis", "previousKpis", "survey"] {
                        let reason = (d[key] as? [String: Any])?["unavailable"] as? String
                        #expect(reason != nil, "section \(key) should be unavailable")
                    }
                    #expect(((d["agencyRatings"] as? [String: Any])?["unavailable"] as? String)?.contains("RatingService") == true)
                    #expect(((d["survey"] as? [String: Any])?["unavailable"] as? String)?.contains("SurveyService") == true)
                    #expect((d["appeals"] as? [String: Any])?["total"] as? Int == 1)
                    #expect((d["activity"] as? [String: Any])?["unavailable"] == nil)

                    let html = try await client.execute(uri: "/", method: .get, headers: cur)
                    #expect(html.status == .ok)
                    let page = String(buffer: html.body)
                    #expect(page.contains("Часть данных недоступна"))
                    #expect(page.contains("Данные временно недоступны"))
                    #expect(page.contains("RatingService"))
                    #expect(page.contains("Обращения по каналам поступления"))

                    let report = try await client.execute(uri: "/reports/governor/\(ReportPeriod.current(now: Date(), timeZone: settings.timeZone).label)", method: .get, headers: cur)
                    #expect(report.status == .ok)
                    #expect(String(buffer: report.body).contains("не получены"))

                    // Rating / survey endpoints themselves report the dead backend as 503.
                    #expect(try await client.execute(uri: "/api/v1/ratings", method: .get, headers: cur).status == .serviceUnavailable)
                    #expect(try await client.execute(uri: "/api/v1/surveys", method: .get, headers: cur).status == .serviceUnavailable)
                }
        }
    }

    @Test func governorReportRejectsMalformedPeriods() async throws {
        try await withPlatform(appeal: false) { platform in
            let cur = try await bearer(.user("kurator"))
            try await platform.gateway().test(.router) { client in
                for bad in ["2026-13", "2026-1", "26-10", "октябрь", "2026-10-01", "２０２６-10"] {
                    let uri = "/reports/governor/" + (bad.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? bad)
                    let r = try await client.execute(uri: uri, method: .get, headers: cur)
                    #expect(r.status == .badRequest, "period \(bad)")
                    #expect(String(buffer: r.body).contains("YYYY-MM"))
                }
                #expect(try await client.execute(uri: "/dashboard?period=x", method: .get, headers: cur).status == .badRequest)
                // Only the directory is up: the report still renders, every section explains what is missing.
                let r = try await client.execute(uri: "/reports/governor/2026-10", method: .get, headers: cur)
                #expect(r.status == .ok)
                let html = String(buffer: r.body)
                for heading in reportHeadings { #expect(html.contains(heading)) }
                #expect(html.contains("AppealService"))
                // HTML carries its security headers: a policy that allows only its own inline style, no framing, no sniffing.
                let csp = try #require(r.headers[.contentSecurityPolicy])
                #expect(csp.contains("default-src 'none'") && csp.contains("style-src 'sha256-") && csp.contains("frame-ancestors 'none'"))
                #expect(r.headers[SecurityHeaderNames.frameOptions] == "DENY")
                #expect(r.headers[.xContentTypeOptions] == "nosniff")
                // A browser that is not signed in is sent to the sign-in; a program gets 401; a machine without a staff role 403.
                let anonymous = try await client.execute(uri: "/reports/governor/2026-10", method: .get)
                #expect(anonymous.status == .seeOther)
                #expect(anonymous.headers[.location]?.hasPrefix("/auth/login?return_to=") == true)
                #expect(try await client.execute(uri: "/api/v1/dashboard", method: .get).status == .unauthorized)
                #expect(try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: try await bearer(importer)).status == .forbidden)
            }
        }
    }

    /// The gateway keeps a signed-in caller's roles (`CallerGrantSource`, as the services' `GrantCache`): repeated
    /// dashboard requests ask the directory nothing more, and a revoked role stops working at once, not after the
    /// cache's 60 s (AgencyService announces the change; the gateway drops the entry).
    @Test func theGatewayKeepsACallersRolesUntilTheDirectoryAnnouncesAChange() async throws {
        try await withPlatform { platform in
            try await platform.gateway().test(.router) { client in
                let agency = platform.hosts[0]
                #expect(try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: try await bearer(.user("analyst"))).status == .ok)
                let asked = agency.requestCount("ResolveGrants")
                for _ in 0..<3 {
                    #expect(try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: try await bearer(.user("analyst"))).status == .ok)
                }
                #expect(agency.requestCount("ResolveGrants") == asked, "the roles come from the gateway's cache")
                let head = try await bearer(.user("cur-head"))
                let listed = try await client.execute(uri: "/api/v1/roles?principal=user:analyst", method: .get, headers: head)
                let ids = (try json(listed.body)["assignments"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                #expect(!ids.isEmpty)
                for id in ids {
                    #expect(try await client.execute(uri: "/api/v1/roles/\(id)", method: .delete, headers: head).status == .ok)
                }
                var status = HTTPResponse.Status.ok
                let deadline = ContinuousClock.now + .seconds(10)
                while status == .ok, ContinuousClock.now < deadline {
                    status = try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: try await bearer(.user("analyst"))).status
                    if status == .ok { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(status == .forbidden, "a revoked role stops working within moments")
            }
        }
    }

    @Test func dashboardIsOneSnapshotSharedByStaffViewersAndThePageIsLive() async throws {
        try await withPlatform { platform in
            try await platform.gateway().test(.router) { client in
                let curator = try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: try await bearer(.user("kurator")))
                let analyst = try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: try await bearer(.user("analyst")))
                #expect(curator.status == .ok && analyst.status == .ok)
                // One fan-out served to both (the snapshot's generation time is the same), not one per viewer.
                #expect(try json(curator.body)["generatedAtMs"] as? Int == (try json(analyst.body)["generatedAtMs"] as? Int))
                // The page updates itself from the event stream: its script may run, no meta refresh for script-capable browsers.
                let page = try await client.execute(uri: "/", method: .get, headers: try await bearer(.user("kurator")))
                let html = String(buffer: page.body)
                #expect(html.contains("data-live=\"/ws/events\"") && html.contains("<script src=\"/ws/static/dash.js\" defer>"))
                #expect(html.contains("<noscript><meta http-equiv=\"refresh\""))
                #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
                let script = try await client.execute(uri: "/ws/static/dash.js", method: .get)
                #expect(script.status == .ok && String(buffer: script.body).contains("EventSource"))
            }
        }
    }

    @Test(.enabled(if: chromiumPath != nil, "no chromium binary (/usr/bin/chromium); headless rendering test skipped"))
    func headlessChromiumRendersDashboardAndReport() async throws {
        let chromium = try #require(chromiumPath)
        try await withPlatform(rating: true, survey: true) { platform in
                let cluster = platform.cluster
                try await seed(cluster)
                let period = ReportPeriod.current(now: Date(), timeZone: cluster.config.timeZone).label
                try await platform.gateway(publicURL: registeredPublicURL).test(.live) { client in
                    let port = try #require(client.port)
                    // A real browser session: signed in through the provider, the session cookie handed to Chromium.
                    let session = try await BrowserSession.signIn(client, user: "kurator")
                    let dir = URL(fileURLWithPath: ProcessInfo.processInfo.environment["VECHE_SCREENSHOT_DIR"]
                                  ?? FileManager.default.temporaryDirectory.appendingPathComponent("veche-screenshots").path)
                    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                    let browser = try await ChromeDriver.start(chromium: chromium)
                    defer { browser.stop() }
                    try await browser.open("http://localhost:\(port)/health")
                    try await browser.addCookie(session.cookie)
                    for (name, path, headings) in [("dashboard", "/", ["Оперативная панель ЦУР", "Обращения по каналам поступления",
                                                                       "Рейтинг органов исполнительной власти"]),
                                                   ("governor-report", "/reports/governor/\(period)", reportHeadings)] {
                        try await browser.open("http://localhost:\(port)\(path)")
                        let png = dir.appendingPathComponent("\(name).png")
                        let shot = try await browser.screenshot()
                        try shot.write(to: png)
                        #expect(shot.count > 20_000, "\(name).png is only \(shot.count) bytes")
                        let dom = try await browser.source()
                        try dom.write(to: dir.appendingPathComponent("\(name).html"), atomically: true, encoding: .utf8)
                        for h in headings { #expect(dom.contains(h), "\(name): DOM lacks \(h)") }
                        #expect(dom.contains("<svg"))
                    }
                }
        }
    }
}

/// Appeals (three answered and rated) and a survey in fieldwork with one batch, straight over NATS, each step by
/// the identity that does it in the ЦУР.
private func seed(_ cluster: TestCluster) async throws {
    var created: [(String, String)] = []
    let systems: [AppealV1.Channel: String] = [.portal: "veche-integration-portal", .email: "veche-integration-email",
                                               .social: "veche-integration-social"]
    for (i, (title, text)) in appealTexts.enumerated() {
        var a = AppealV1.IncomingAppeal()
        a.channel = [.portal, .email, .social, .phone][i % 4]
        a.externalId = "shot-\(i)"
        a.title = title
        a.text = text
        a.municipalityOktmo = i % 3 == 0 ? "38705000" : "38701000"
        let submitter = systems[a.channel].map { TestPrincipal.client($0) } ?? operatorUser
        let r = try await cluster.appeals(as: submitter).submitAppeal(.init(appeal: a))
        if let appeal = r.appeal { created.append((appeal.id, r.citizenToken)) }
    }
    let ops = try await cluster.appeals(as: operatorUser)
    let archive = try await cluster.appeals(as: importer)
    for (i, (id, token)) in created.prefix(4).enumerated() {
        _ = try await ops.transition(.init(id: id, action: .assign, agencyId: i % 2 == 0 ? "kursk-zhkh" : "kursk-transport"))
        _ = try await archive.answerAppeal(.init(id: id, answerText: "Меры приняты", complete: true))
        _ = try await cluster.appeals(citizen: token).rateAppeal(.init(satisfaction: Int32(3 + i % 3)))
    }
    let surveys = try await cluster.surveys(as: .user("sociologist"))
    _ = try await surveys.createSurvey(.init(survey: try JSONDecoder().decode(SurveyV1.Survey.self, from: Data(surveyJSON.utf8))))
    _ = try await surveys.setStatus(.init(id: "transport-2026", status: .fieldwork))
    var batch = try JSONDecoder().decode(SurveyV1.ResultBatch.self, from: Data(batchJSON("shot-1").utf8))
    batch.surveyId = "transport-2026"
    let receipt = try await surveys.submitBatch(.init(batch: batch)).receipt
    #expect(receipt?.acceptedRows == 8, "\(String(describing: receipt))")
    let period = ReportPeriod.current(now: Date(), timeZone: TimeZone(identifier: "Europe/Moscow") ?? .gmt).label
    let ratings = try await cluster.ratings(as: .user("kurator"))
    let applied = try await eventually(timeout: .seconds(30)) {
        guard let r = try? await ratings.getRatings(.init(dimension: .agency, period: period)) else { return false }
        return r.rows.reduce(0) { $0 + ($1.metrics?.answered ?? 0) } == 4
    }
    #expect(applied)
}

/// Headless Chromium through chromedriver (WebDriver): it can carry the session cookie a person's sign-in made.
final class ChromeDriver: @unchecked Sendable {
    let process: Process
    let base: String
    let session: String
    let profile: URL

    private init(process: Process, base: String, session: String, profile: URL) {
        self.process = process
        self.base = base
        self.session = session
        self.profile = profile
    }

    static func start(chromium: String) async throws -> ChromeDriver {
        let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let driver else { throw RPCError.unavailable("chromedriver not installed (Debian package chromium-driver)") }
        let port = try freeLoopbackPort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: driver)
        p.arguments = ["--port=\(port)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let base = "http://127.0.0.1:\(port)"
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("veche-chromium-\(NUID.next(length: 8))")
        var session: String?
        var last = ""
        for _ in 0..<100 where session == nil {
            try await Task.sleep(for: .milliseconds(200))
            let caps: [String: Any] = ["capabilities": ["alwaysMatch": ["goog:chromeOptions": [
                "binary": chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars", "--window-size=1280,2000",
                         "--user-data-dir=\(profile.path)"]]]]]
            do {
                let r = try await call(base + "/session", "POST", caps)
                session = (r["value"] as? [String: Any])?["sessionId"] as? String
                last = "\(r)"
            } catch {
                last = "\(error)"
            }
        }
        guard let session else { p.terminate(); throw RPCError.unavailable("chromedriver did not start a session: \(last)") }
        return ChromeDriver(process: p, base: base, session: session, profile: profile)
    }

    /// One WebDriver call (through curl: FoundationNetworking's client trips over chromedriver's responses).
    @discardableResult
    static func call(_ url: String, _ method: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        var args = ["-s", "--max-time", "90", "-X", method, url]
        if let body {
            args += ["-H", "Content-Type: application/json", "--data-binary", String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)]
        }
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    func open(_ url: String) async throws { try await Self.call("\(base)/session/\(session)/url", "POST", ["url": url]) }

    /// `name=value` set as a cookie of the current page's site.
    func addCookie(_ pair: String) async throws {
        let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
        try await Self.call("\(base)/session/\(session)/cookie", "POST", ["cookie": ["name": kv[0], "value": kv.count > 1 ? kv[1] : "", "path": "/"]])
    }

    func source() async throws -> String { try await Self.call("\(base)/session/\(session)/source", "GET")["value"] as? String ?? "" }

    func screenshot() async throws -> Data {
        let b64 = try await Self.call("\(base)/session/\(session)/screenshot", "GET")["value"] as? String ?? ""
        return Data(base64Encoded: b64) ?? Data()
    }

    func stop() {
        let base = self.base, session = self.session
        let done = DispatchSemaphore(value: 0)
        Task { _ = try? await Self.call("\(base)/session/\(session)", "DELETE"); done.signal() }
        _ = done.wait(timeout: .now() + 10)
        process.terminate()
        try? FileManager.default.removeItem(at: profile)
    }
}
