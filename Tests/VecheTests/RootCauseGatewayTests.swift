import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VecheRuntime
import VecheTestSupport
@testable import Gateway

/// Root-cause cases over the whole platform: appeals through AppealService, RatingService's projection and
/// detection, the workspace's pages and form (real IdP sign-in), the dashboard panel and the governor report.
@Suite("Root-cause cases through the gateway (workspace form, dashboard, governor report)", .serialized)
struct RootCauseGatewayTests {
    static func formBody(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }

    @Test("Three appeals about one problem open a case; the workspace form edits it (CSRF, idempotency, role); the dashboard and the report show it escaped")
    func workspaceDashboardAndReport() async throws {
        try await withPlatform(rating: true) { platform in
            try await platform.gateway(publicURL: registeredPublicURL).test(.router) { client in
                let op = try await bearer(.user("operator"))
                for i in 0..<3 {
                    let body = #"{"channel":"phone","externalId":"rc-\#(i)","title":"Нет отопления","text":"В доме по улице Ленина 5 нет отопления, батареи холодные третий день","municipalityOktmo":"38701000"}"#
                    let r = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: op, body: ByteBuffer(string: body))
                    #expect(try decode(AppealV1.SubmitAppealResponse.self, r.body).appeal != nil)
                }
                // The projection receives the events on its own schedule: ask for detection (threshold 3) until it opens the case.
                let head = try await bearer(.user("cur-head"))
                var opened: [RatingV1.RootCauseCase] = []
                for _ in 0..<120 where opened.isEmpty {
                    let r = try await client.execute(uri: "/api/v1/root-causes/detect", method: .post, headers: head,
                                                     body: ByteBuffer(string: #"{"windowDays":30,"threshold":3}"#))
                    #expect(r.status == .ok)
                    opened = try decode(RatingV1.DetectRootCausesResponse.self, r.body).opened
                    if opened.isEmpty { try await Task.sleep(for: .milliseconds(250)) }
                }
                let c = try #require(opened.first { $0.kind == "category_territory" } ?? opened.first)
                #expect(c.appealsAtDetection == 3 && c.topicCode == "housing" && c.status == .open)
                let again = try await client.execute(uri: "/api/v1/root-causes/detect", method: .post, headers: head,
                                                     body: ByteBuffer(string: #"{"windowDays":30,"threshold":3}"#))
                #expect(try decode(RatingV1.DetectRootCausesResponse.self, again.body).opened.isEmpty, "a recurring problem is opened once")

                // The head of the ЦУР edits the case in the workspace.
                let session = try await BrowserSession.signIn(client, user: "cur-head", returnTo: "/ws/problems")
                let list = String(buffer: try await client.execute(uri: "/ws/problems", method: .get, headers: session.headers()).body)
                #expect(list.contains("href=\"/ws/problems/\(c.id)\""))
                let page = String(buffer: try await client.execute(uri: "/ws/problems/\(c.id)", method: .get, headers: session.headers()).body)
                #expect(page.contains("name=\"plan\""))
                var form = session.headers()
                form[.contentType] = "application/x-www-form-urlencoded"
                let fields: [(String, String)] = [("expected_version", "1"), ("idempotency_key", "rc-form-1"), ("status", "in_work"),
                                                  ("plan", "<script>alert(1)</script> Замена участка"), ("target_date", "31.12.2030"),
                                                  ("reduction_percent", "40"), ("measure_days", "30"), ("comment", "начато")]
                let forged = try await client.execute(uri: "/ws/problems/\(c.id)", method: .post, headers: form,
                                                      body: ByteBuffer(string: Self.formBody(fields + [("_csrf", "wrong")])))
                #expect(forged.status == .forbidden)
                let saved = try await client.execute(uri: "/ws/problems/\(c.id)", method: .post, headers: form,
                                                     body: ByteBuffer(string: Self.formBody(fields + [("_csrf", session.csrf)])))
                #expect(saved.status == .seeOther && saved.headers[.location] == "/ws/problems/\(c.id)?done=1")
                // A double submission of the same rendered form is the same request: still version 2.
                let twice = try await client.execute(uri: "/ws/problems/\(c.id)", method: .post, headers: form,
                                                     body: ByteBuffer(string: Self.formBody(fields + [("_csrf", session.csrf)])))
                #expect(twice.status == .seeOther)
                let stored = try decode(RatingV1.GetRootCauseResponse.self,
                                        try await client.execute(uri: "/api/v1/root-causes/\(c.id)", method: .get, headers: head).body)
                #expect(stored.rootCause?.version == 2 && stored.rootCause?.status == .inWork && stored.rootCause?.targetDate == "2030-12-31")
                #expect(stored.history.map(\.action) == ["detected", "status", "updated"])
                let shown = String(buffer: try await client.execute(uri: "/ws/problems/\(c.id)", method: .get, headers: session.headers()).body)
                #expect(shown.contains("&lt;script&gt;alert(1)&lt;/script&gt; Замена участка"))
                #expect(!shown.contains("<script>alert(1)"))
                #expect(shown.contains("value=\"31.12.2030\""))

                // An operator sees the case but gets no form, and the service refuses a forged post.
                let operatorSession = try await BrowserSession.signIn(client, user: "operator", returnTo: "/ws/problems")
                let seen = String(buffer: try await client.execute(uri: "/ws/problems/\(c.id)", method: .get, headers: operatorSession.headers()).body)
                #expect(seen.contains(c.title) && !seen.contains("name=\"plan\""))
                var opForm = operatorSession.headers()
                opForm[.contentType] = "application/x-www-form-urlencoded"
                let refused = try await client.execute(uri: "/ws/problems/\(c.id)", method: .post, headers: opForm,
                                                       body: ByteBuffer(string: Self.formBody([("expected_version", "2"), ("status", "closed"),
                                                                                               ("_csrf", operatorSession.csrf)])))
                #expect(refused.status == .forbidden)

                // The head of the ЦУР sets a category's KPI target of this year in the workspace; an operator may not.
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = GatewaySettings.underTest.timeZone
                let year = calendar.component(.year, from: Date())
                let indicatorFields: [(String, String)] = [("idempotency_key", "ind-1"), ("code", "heating-on-time"),
                                                           ("name", "Ответы в срок <по отоплению>"), ("metric", "onTimeShare"),
                                                           ("category_code", c.categoryCode), ("direction", "at_least"), ("target_value", "95"),
                                                           ("unit", "%"), ("due_date", "31.12.\(year)")]
                let setIndicator = try await client.execute(uri: "/ws/problems/indicators", method: .post, headers: form,
                                                            body: ByteBuffer(string: Self.formBody(indicatorFields + [("_csrf", session.csrf)])))
                #expect(setIndicator.status == .seeOther && setIndicator.headers[.location] == "/ws/problems?saved=1")
                let opIndicator = try await client.execute(uri: "/ws/problems/indicators", method: .post, headers: opForm,
                                                           body: ByteBuffer(string: Self.formBody(indicatorFields + [("_csrf", operatorSession.csrf)])))
                #expect(opIndicator.status == .forbidden)
                let withIndicator = String(buffer: try await client.execute(uri: "/ws/problems", method: .get, headers: session.headers()).body)
                #expect(withIndicator.contains("Ответы в срок &lt;по отоплению&gt;") && withIndicator.contains("≥ 95 %"))

                // The dashboard panel and the governor report's section.
                let cur = try await bearer(.user("kurator"))
                let dashboard = String(buffer: try await client.execute(uri: "/", method: .get, headers: cur).body)
                #expect(dashboard.contains("Основные открытые системные проблемы"))
                #expect(dashboard.contains(c.title))
                let period = ReportPeriod.current(now: Date(), timeZone: GatewaySettings.underTest.timeZone).label
                let report = String(buffer: try await client.execute(uri: "/reports/governor/\(period)", method: .get, headers: cur).body)
                #expect(report.contains("Системные проблемы и целевые показатели"))
                #expect(report.contains(c.title) && report.contains("<td>31.12.2030</td>"))
                #expect(report.contains("Ответы в срок &lt;по отоплению&gt;") && report.contains("<td>31.12.\(year)</td>"))
            }
        }
    }
}
