import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import ServiceLifecycle
import Testing
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

/// All four services on one cluster, each with its own schema, plus the gateway's own connection.
private struct Stack: Sendable {
    var envs: [ServiceEnvironment]
    var services: [any Service]
    var hosts: [NatsServiceHost]
    var gateway: ServiceEnvironment

    static func start(_ cluster: TestCluster, rating: Bool, survey: Bool) async throws -> Stack {
        let agencyEnv = try await cluster.environment("agency", schema: AgencySchema.name)
        let appealEnv = try await cluster.environment("appeal", schema: AppealSchema.name)
        var envs = [agencyEnv, appealEnv]
        let agency = try await AgencyServiceApp.build(env: agencyEnv, seed: true)
        let appeal = try await AppealServiceApp.build(env: appealEnv)
        var services = agency.services + appeal.services
        var hosts = [agency.host, appeal.host]
        if rating {
            let env = try await cluster.environment("rating", schema: RatingSchema.name)
            envs.append(env)
            let built = try await RatingServiceApp.build(env: env)
            services += built.services
            hosts.append(built.host)
        }
        if survey {
            let env = try await cluster.environment("survey", schema: SurveySchema.name)
            envs.append(env)
            let built = try await SurveyServiceApp.build(env: env)
            services += built.services
            hosts.append(built.host)
        }
        return Stack(envs: envs, services: services, hosts: hosts, gateway: try await cluster.environment("gateway", schema: nil))
    }

    func ready() async { for h in hosts { await h.waitUntilReady() } }
    func close() { for e in envs + [gateway] { e.close() } }
    var clients: ServiceClients { ServiceClients(transport: gateway.nats) }
}

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
        try await withCluster { cluster in
            let stack = try await Stack.start(cluster, rating: true, survey: true)
            defer { stack.close() }
            try await withServices(stack.services, logger: cluster.logger) {
                await stack.ready()
                let app = buildApplication(clients: stack.clients, config: cluster.config, logger: cluster.logger)
                try await app.test(.router) { client in
                    // Appeals through the gateway; three of them assigned, answered and rated.
                    var ids: [String] = []
                    for (i, (title, text)) in appealTexts.enumerated() {
                        let body = #"{"channel":"\#(i % 2 == 0 ? "portal" : "email")","externalId":"dash-\#(i)","title":"\#(title)","text":"\#(text)","municipalityOktmo":"38701000"}"#
                        let r = try await client.execute(uri: "/api/v1/appeals", method: .post, body: ByteBuffer(string: body))
                        #expect(r.status == .created)
                        let appeal = try #require(try JSONDecoder().decode(AppealV1.SubmitAppealResponse.self, from: Data(buffer: r.body)).appeal)
                        ids.append(appeal.id)
                    }
                    for id in ids.prefix(3) {
                        let assign = try await client.execute(uri: "/api/v1/appeals/\(id)/transitions", method: .post,
                                                              body: ByteBuffer(string: #"{"action":"assign","agencyId":"kursk-zhkh"}"#))
                        #expect(assign.status == .ok)
                        let answer = try await client.execute(uri: "/api/v1/appeals/\(id)/answer", method: .post,
                                                              body: ByteBuffer(string: #"{"answerText":"Меры приняты","complete":true}"#))
                        #expect(answer.status == .ok)
                        let rate = try await client.execute(uri: "/api/v1/appeals/\(id)/rating", method: .post, body: ByteBuffer(string: #"{"satisfaction":5}"#))
                        #expect(rate.status == .ok)
                    }

                    // Wait until RatingService has applied the events.
                    let applied = try await eventually(timeout: .seconds(30)) {
                        let p = try await client.execute(uri: "/api/v1/ratings/progress", method: .get)
                        guard p.status == .ok else { return false }
                        let progress = try JSONDecoder().decode(RatingV1.GetProgressResponse.self, from: Data(buffer: p.body))
                        guard progress.appealsTracked == Int64(ids.count) else { return false }
                        let period = ReportPeriod.current(now: Date(), timeZone: TimeZone(identifier: cluster.config.timeZone) ?? .gmt).label
                        let r = try await client.execute(uri: "/api/v1/ratings?dimension=agency&period=\(period)", method: .get)
                        let ratings = try JSONDecoder().decode(RatingV1.GetRatingsResponse.self, from: Data(buffer: r.body))
                        return ratings.rows.reduce(0) { $0 + ($1.metrics?.answered ?? 0) } == 3
                    }
                    #expect(applied)
                    let period = ReportPeriod.current(now: Date(), timeZone: TimeZone(identifier: cluster.config.timeZone) ?? .gmt).label

                    // Ratings API.
                    let ratingsResponse = try await client.execute(uri: "/api/v1/ratings?dimension=agency&period=\(period)", method: .get)
                    #expect(ratingsResponse.status == .ok)
                    let ratings = try JSONDecoder().decode(RatingV1.GetRatingsResponse.self, from: Data(buffer: ratingsResponse.body))
                    #expect(ratings.period == period)
                    #expect(ratings.rows.contains { $0.key == "kursk-zhkh" && ($0.metrics?.answered ?? 0) == 3 })
                    #expect(try await client.execute(uri: "/api/v1/ratings?dimension=municipality&period=\(period)", method: .get).status == .ok)
                    #expect(try await client.execute(uri: "/api/v1/ratings?dimension=galaxy", method: .get).status == .badRequest)
                    #expect(try await client.execute(uri: "/api/v1/ratings?period=2026-13", method: .get).status == .badRequest)
                    let problems = try await client.execute(uri: "/api/v1/ratings/top-problems?period=\(period)", method: .get)
                    #expect(problems.status == .ok)
                    #expect(String(buffer: problems.body).contains("topics"))
                    let kpis = try await client.execute(uri: "/api/v1/kpis?period=\(period)&dimension=agency", method: .get)
                    #expect(kpis.status == .ok)
                    let weights = try await client.execute(uri: "/api/v1/ratings/weights", method: .put,
                                                           body: ByteBuffer(string: #"{"quantity":1,"speed":1,"quality":1,"completeness":1}"#))
                    #expect(weights.status == .ok)
                    #expect(String(buffer: weights.body).contains(#""quality":0.25"#))
                    let badWeights = try await client.execute(uri: "/api/v1/ratings/weights", method: .put, body: ByteBuffer(string: #"{"quantity":-1}"#))
                    #expect(badWeights.status == .badRequest)

                    // Survey round trip.
                    let created = try await client.execute(uri: "/api/v1/surveys", method: .post, body: ByteBuffer(string: surveyJSON))
                    #expect(created.status == .created)
                    let dup = try await client.execute(uri: "/api/v1/surveys", method: .post, body: ByteBuffer(string: surveyJSON))
                    #expect(dup.status == .conflict)
                    let list = try await client.execute(uri: "/api/v1/surveys", method: .get)
                    #expect(String(buffer: list.body).contains("transport-2026"))
                    let early = try await client.execute(uri: "/api/v1/surveys/transport-2026/status", method: .post, body: ByteBuffer(string: #"{"status":"published"}"#))
                    #expect(early.status == .conflict)
                    let fieldwork = try await client.execute(uri: "/api/v1/surveys/transport-2026/status", method: .post, body: ByteBuffer(string: #"{"status":"fieldwork"}"#))
                    #expect(fieldwork.status == .ok)
                    #expect(String(buffer: fieldwork.body).contains(#""status":"fieldwork""#))
                    let batch = try await client.execute(uri: "/api/v1/surveys/transport-2026/batches", method: .post, body: ByteBuffer(string: batchJSON("b-1")))
                    #expect(batch.status == .created)
                    let receipt = try #require(try JSONDecoder().decode(SurveyV1.SubmitBatchResponse.self, from: Data(buffer: batch.body)).receipt)
                    #expect(receipt.status == .accepted)
                    #expect(receipt.acceptedRows == 8)
                    let replay = try await client.execute(uri: "/api/v1/surveys/transport-2026/batches", method: .post, body: ByteBuffer(string: batchJSON("b-1")))
                    #expect(replay.status == .ok)
                    let stored = try await client.execute(uri: "/api/v1/surveys/batches/b-1", method: .get)
                    #expect(stored.status == .ok)
                    #expect(String(buffer: stored.body).contains(#""acceptedRows":8"#))
                    #expect(try await client.execute(uri: "/api/v1/surveys/batches/nope", method: .get).status == .notFound)
                    let got = try await client.execute(uri: "/api/v1/surveys/transport-2026", method: .get)
                    #expect(String(buffer: got.body).contains(#""responses":8"#))

                    let mean = try await client.execute(uri: "/api/v1/surveys/transport-2026/estimates?question=wait&by=municipality", method: .get)
                    #expect(mean.status == .ok)
                    let est = try JSONDecoder().decode(SurveyV1.EstimateResponse.self, from: Data(buffer: mean.body))
                    let overall = try #require(est.rows.first { $0.domain.isEmpty })
                    #expect(abs(overall.estimate - 20.5) < 1e-9)   // mean of 10, 13, …, 31
                    #expect(est.rows.contains { $0.domain == "38705000" })
                    let margins = try await client.execute(uri: "/api/v1/surveys/transport-2026/margins", method: .put, body: ByteBuffer(string: #"""
                        {"margins":[{"variable":"municipality","category":"38701000","population":440000},{"variable":"municipality","category":"38705000","population":98000}]}
                        """#))
                    #expect(margins.status == .ok)
                    let raked = try await client.execute(uri: "/api/v1/surveys/transport-2026/estimates?question=wait&weighting=rake&vars=municipality", method: .get)
                    #expect(raked.status == .ok, "\(String(buffer: raked.body))")
                    let total = try await client.execute(uri: "/api/v1/surveys/transport-2026/estimates?question=wait&statistic=total", method: .get)
                    #expect(total.status == .ok)
                    let csi = try await client.execute(uri: "/api/v1/surveys/transport-2026/satisfaction?questions=quality&by=municipality", method: .get)
                    #expect(csi.status == .ok)
                    #expect(String(buffer: csi.body).contains(#""level":"csi""#))
                    #expect(try await client.execute(uri: "/api/v1/surveys/transport-2026/estimates?question=wait&weighting=magic", method: .get).status == .badRequest)
                    #expect(try await client.execute(uri: "/api/v1/surveys/transport-2026/estimates", method: .get).status == .badRequest)
                    #expect(try await client.execute(uri: "/api/v1/surveys/transport-2026/estimates?question=wait&trim_upper=lots", method: .get).status == .badRequest)

                    // Dashboard JSON: every section present and loaded.
                    let dash = try await client.execute(uri: "/api/v1/dashboard", method: .get)
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
                    #expect(try await client.execute(uri: "/api/v1/dashboard?period=2026-1", method: .get).status == .badRequest)

                    // Web dashboard.
                    let html = try await client.execute(uri: "/", method: .get)
                    #expect(html.status == .ok)
                    #expect(html.headers[.contentType]?.hasPrefix("text/html") == true)
                    let page = String(buffer: html.body)
                    #expect(page.contains("<svg"))
                    #expect(page.contains("Рейтинг органов исполнительной власти"))
                    #expect(!page.contains("Данные временно недоступны"))
                    #expect(try await client.execute(uri: "/dashboard?period=\(period)", method: .get).status == .ok)

                    // Governor report for the current period.
                    let report = try await client.execute(uri: "/reports/governor/\(period)", method: .get)
                    #expect(report.status == .ok)
                    let reportHTML = String(buffer: report.body)
                    for heading in reportHeadings { #expect(reportHTML.contains(heading), "missing heading \(heading)") }
                    #expect(reportHTML.contains("<svg"))
                    #expect(reportHTML.contains("Оценка общественного транспорта"))
                    #expect(!reportHTML.contains("не получены"))
                }
            }
        }
    }

    @Test func partialResultsWhenRatingAndSurveyServicesAreDown() async throws {
        try await withCluster { cluster in
            let stack = try await Stack.start(cluster, rating: false, survey: false)
            defer { stack.close() }
            try await withServices(stack.services, logger: cluster.logger) {
                await stack.ready()
                let settings: GatewaySettings = {
                    var s = GatewaySettings()
                    s.callTimeout = .seconds(2)
                    return s
                }()
                let app = buildApplication(clients: stack.clients, config: cluster.config, logger: cluster.logger, settings: settings)
                try await app.test(.router) { client in
                    let body = #"{"channel":"portal","externalId":"p-1","title":"Яма","text":"На дороге по улице Дзержинского в Курске огромная яма"}"#
                    #expect(try await client.execute(uri: "/api/v1/appeals", method: .post, body: ByteBuffer(string: body)).status == .created)

                    let started = ContinuousClock.now
                    let dash = try await client.execute(uri: "/api/v1/dashboard", method: .get)
                    #expect(ContinuousClock.now - started < .seconds(10))
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

                    let html = try await client.execute(uri: "/", method: .get)
                    #expect(html.status == .ok)
                    let page = String(buffer: html.body)
                    #expect(page.contains("Часть данных недоступна"))
                    #expect(page.contains("Данные временно недоступны"))
                    #expect(page.contains("RatingService"))
                    #expect(page.contains("Обращения по каналам поступления"))

                    let report = try await client.execute(uri: "/reports/governor/\(ReportPeriod.current(now: Date(), timeZone: settings.timeZone).label)", method: .get)
                    #expect(report.status == .ok)
                    #expect(String(buffer: report.body).contains("не получены"))

                    // Rating / survey endpoints themselves report the dead backend as 503.
                    #expect(try await client.execute(uri: "/api/v1/ratings", method: .get).status == .serviceUnavailable)
                    #expect(try await client.execute(uri: "/api/v1/surveys", method: .get).status == .serviceUnavailable)
                }
            }
        }
    }

    @Test func governorReportRejectsMalformedPeriods() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("gateway", schema: nil)
            defer { env.close() }
            let app = buildApplication(clients: ServiceClients(transport: env.nats), config: cluster.config, logger: cluster.logger)
            try await app.test(.router) { client in
                for bad in ["2026-13", "2026-1", "26-10", "октябрь", "2026-10-01", "２０２６-10"] {
                    let uri = "/reports/governor/" + (bad.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? bad)
                    let r = try await client.execute(uri: uri, method: .get)
                    #expect(r.status == .badRequest, "period \(bad)")
                    #expect(String(buffer: r.body).contains("YYYY-MM"))
                }
                #expect(try await client.execute(uri: "/dashboard?period=x", method: .get).status == .badRequest)
                // No backend at all: the report still renders, every section explains what is missing.
                let r = try await client.execute(uri: "/reports/governor/2026-10", method: .get)
                #expect(r.status == .ok)
                let html = String(buffer: r.body)
                for heading in reportHeadings { #expect(html.contains(heading)) }
                #expect(html.contains("AppealService"))
            }
        }
    }

    @Test(.enabled(if: chromiumPath != nil, "no chromium binary (/usr/bin/chromium); headless rendering test skipped"))
    func headlessChromiumRendersDashboardAndReport() async throws {
        let chromium = try #require(chromiumPath)
        try await withCluster { cluster in
            let stack = try await Stack.start(cluster, rating: true, survey: true)
            defer { stack.close() }
            try await withServices(stack.services, logger: cluster.logger) {
                await stack.ready()
                try await seed(stack.clients)
                let app = buildApplication(clients: stack.clients, config: cluster.config, logger: cluster.logger)
                let period = ReportPeriod.current(now: Date(), timeZone: TimeZone(identifier: cluster.config.timeZone) ?? .gmt).label
                try await app.test(.live) { client in
                    let port = try #require(client.port)
                    let dir = URL(fileURLWithPath: ProcessInfo.processInfo.environment["VECHE_SCREENSHOT_DIR"]
                                  ?? FileManager.default.temporaryDirectory.appendingPathComponent("veche-screenshots").path)
                    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                    for (name, path, headings) in [("dashboard", "/", ["Оперативная панель ЦУР", "Обращения по каналам поступления",
                                                                       "Рейтинг органов исполнительной власти"]),
                                                   ("governor-report", "/reports/governor/\(period)", reportHeadings)] {
                        let url = "http://localhost:\(port)\(path)"
                        let png = dir.appendingPathComponent("\(name).png")
                        try? FileManager.default.removeItem(at: png)
                        _ = try await runChromium(chromium, ["--screenshot=\(png.path)", "--window-size=1280,2000", url])
                        let size = (try FileManager.default.attributesOfItem(atPath: png.path)[.size] as? NSNumber)?.intValue ?? 0
                        #expect(size > 20_000, "\(name).png is only \(size) bytes")
                        let dom = try await runChromium(chromium, ["--dump-dom", url])
                        try dom.write(to: dir.appendingPathComponent("\(name).html"), atomically: true, encoding: .utf8)
                        for h in headings { #expect(dom.contains(h), "\(name): DOM lacks \(h)") }
                        #expect(dom.contains("<svg"))
                    }
                }
            }
        }
    }
}

/// Appeals (three answered and rated) and a survey in fieldwork with one batch, straight over NATS.
private func seed(_ c: ServiceClients) async throws {
    var ids: [String] = []
    for (i, (title, text)) in appealTexts.enumerated() {
        var a = AppealV1.IncomingAppeal()
        a.channel = [.portal, .email, .social, .phone][i % 4]
        a.externalId = "shot-\(i)"
        a.title = title
        a.text = text
        a.municipalityOktmo = i % 3 == 0 ? "38705000" : "38701000"
        if let appeal = try await c.appeals.submitAppeal(.init(appeal: a)).appeal { ids.append(appeal.id) }
    }
    for (i, id) in ids.prefix(4).enumerated() {
        _ = try await c.appeals.transition(.init(id: id, action: .assign, agencyId: i % 2 == 0 ? "kursk-zhkh" : "kursk-transport"))
        _ = try await c.appeals.answerAppeal(.init(id: id, answerText: "Меры приняты", complete: true))
        _ = try await c.appeals.rateAppeal(.init(id: id, satisfaction: Int32(3 + i % 3)))
    }
    _ = try await c.surveys.createSurvey(.init(survey: try JSONDecoder().decode(SurveyV1.Survey.self, from: Data(surveyJSON.utf8))))
    _ = try await c.surveys.setStatus(.init(id: "transport-2026", status: .fieldwork))
    var batch = try JSONDecoder().decode(SurveyV1.ResultBatch.self, from: Data(batchJSON("shot-1").utf8))
    batch.surveyId = "transport-2026"
    let receipt = try await c.surveys.submitBatch(.init(batch: batch)).receipt
    #expect(receipt?.acceptedRows == 8, "\(String(describing: receipt))")
    let period = ReportPeriod.current(now: Date(), timeZone: TimeZone(identifier: "Europe/Moscow") ?? .gmt).label
    let applied = try await eventually(timeout: .seconds(30)) {
        guard let r = try? await c.ratings.getRatings(.init(dimension: .agency, period: period)) else { return false }
        return r.rows.reduce(0) { $0 + ($1.metrics?.answered ?? 0) } == 4
    }
    #expect(applied)
}

/// Runs headless Chromium with a private profile; returns stdout. Fails after 90 s.
private func runChromium(_ path: String, _ args: [String]) async throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("veche-chromium-\(NUID.next(length: 8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("stdout")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    let handle = try FileHandle(forWritingTo: out)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                   "--user-data-dir=\(dir.appendingPathComponent("profile").path)"] + args
    p.standardOutput = handle
    p.standardError = FileHandle.nullDevice
    try p.run()
    let started = ContinuousClock.now
    while p.isRunning {
        if ContinuousClock.now - started > .seconds(90) {
            p.terminate()
            throw RPCError.deadlineExceeded("chromium did not finish in 90 s: \(args)")
        }
        try await Task.sleep(for: .milliseconds(100))
    }
    try handle.close()
    return (try? String(contentsOf: out, encoding: .utf8)) ?? ""
}
