import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VecheAuth
import VecheRuntime
import VecheTestSupport
import WorkspaceUI
@testable import AgencyService
@testable import Gateway

@Suite("Workspace: pure view logic")
struct WorkspaceViewTests {
    func appeal(_ status: AppealV1.Status, register: Int64 = 0, forward: Int64 = 0, answer: Int64 = 0, reaction: Int64 = 0) -> AppealV1.Appeal {
        var a = AppealV1.Appeal()
        a.status = status
        a.deadlines = AppealV1.Deadlines(registerDueMs: register, forwardDueMs: forward, answerDueMs: answer, firstReactionDueMs: reaction)
        return a
    }

    @Test func countdownColoursFollowTheClockThatRuns() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let ms = Int64(now.timeIntervalSince1970 * 1000), hour: Int64 = 3_600_000
        // Received social post: registration in 2 days (soon), first reaction 30 minutes ago (overdue), nearest first.
        let received = Countdown.clocks(appeal(.received, register: ms + 48 * hour, reaction: ms - hour / 2), now: now)
        #expect(received.map(\.label) == ["первая реакция", "регистрация"])
        #expect(received.map(\.level) == [.overdue, .soon])
        #expect(received[0].remaining == "просрочено на 30 мин")
        // First reaction is a working-hours clock: 3 hours left is already "soon", 30 minutes "urgent".
        #expect(Countdown.clocks(appeal(.received, reaction: ms + 3 * hour), now: now).first?.level == .soon)
        #expect(Countdown.clocks(appeal(.received, reaction: ms + hour / 2), now: now).first?.level == .urgent)
        // The first reaction runs on through registration and routing (intake does both at once), until work starts.
        let registered = Countdown.clocks(appeal(.registered, forward: ms + 100 * hour, answer: ms + 500 * hour, reaction: ms + 2 * hour), now: now)
        #expect(registered.map(\.label) == ["первая реакция", "перенаправление", "ответ"])
        #expect(Countdown.clocks(appeal(.assigned, answer: ms + 500 * hour, reaction: ms - hour), now: now).map(\.label) == ["первая реакция", "ответ"])
        #expect(Countdown.clocks(appeal(.inProgress, answer: ms + 500 * hour, reaction: ms - hour), now: now).map(\.label) == ["ответ"])
        // In work only the answer counts; 10 days left is green.
        let working = Countdown.clocks(appeal(.inProgress, register: ms - 100 * hour, answer: ms + 240 * hour), now: now)
        #expect(working.map(\.label) == ["ответ"])
        #expect(working[0].level == .ok && working[0].remaining == "осталось 10 дн 0 ч")
        #expect(Countdown.clocks(appeal(.inProgress, answer: ms + 20 * hour), now: now).first?.css == "cd-urgent")
        #expect(Countdown.clocks(appeal(.answered, answer: ms - hour), now: now).isEmpty)
    }

    @Test func mapPlacesMunicipalitiesAndHighlightsTheAppeals() {
        let munis = [
            AgencyV1.Municipality(oktmo: "38701000", name: "город Курск", type: .urbanOkrug, center: .init(latitude: 51.7304, longitude: 36.1926)),
            AgencyV1.Municipality(oktmo: "38705000", name: "город Железногорск", type: .urbanOkrug, center: .init(latitude: 52.339, longitude: 35.351)),
            AgencyV1.Municipality(oktmo: "38601000", name: "Беловский район", type: .municipalDistrict, center: .init(latitude: 51.153, longitude: 35.73)),
        ]
        let map = MunicipalityMap(municipalities: munis, highlight: "38701000", location: .init(latitude: 51.74, longitude: 36.19))
        #expect(map.caption == "город Курск")
        #expect(map.dots.filter { $0.css.contains("muni-here") }.map(\.name) == ["город Курск"])
        #expect(map.hasPin)
        // North is up: Железногорск (north-west) is above and left of Курск; everything inside the box.
        let kursk = map.dots[0], zhel = map.dots[1]
        #expect(Double(zhel.y)! < Double(kursk.y)! && Double(zhel.x)! < Double(kursk.x)!)
        #expect(map.dots.allSatisfy { (0...Double(map.width)).contains(Double($0.x)!) && (0...Double(map.height)).contains(Double($0.y)!) })
        let nowhere = MunicipalityMap(municipalities: munis, highlight: "", location: nil)
        #expect(!nowhere.hasPin && nowhere.caption.contains("не определено"))
    }

    @Test func templatesLoadAndEscapeWhatTheyShow() throws {
        let templates = try WorkspaceTemplates()
        struct Model { var chrome: Chrome; var heading: String; var message: String; var back: String }
        let html = try templates.render("error", Model(chrome: Chrome(title: "T", region: "Курская область"), heading: "<b>x</b>",
                                                       message: "<script>alert(1)</script>", back: "/ws"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("<script>alert"))
        #expect(html.contains("<script src=\"/ws/static/ws.js\" defer></script>"))
        #expect(templates.asset("ws.css")?.contentType.hasPrefix("text/css") == true)
        #expect(templates.asset("ws.js") != nil)
        #expect(templates.asset("../Templates/head.mustache") == nil)
    }

    @Test func lifecycleRulesOfferOnlyPossibleActions() {
        #expect(AppealLifecycleRules.actions(from: .received) == [.register])
        #expect(AppealLifecycleRules.actions(from: .answered) == [.close, .reopen])
        #expect(AppealLifecycleRules.actions(from: .inProgress) == [.assign, .forward, .extend])
        // One extension (59-ФЗ art. 12 p. 2): once used, the card offers none (AppealService would refuse it with 412),
        // also after a reopen, which keeps the count.
        var extended = appeal(.inProgress)
        extended.extensionCount = 1
        #expect(AppealLifecycleRules.actions(of: extended) == [.assign, .forward])
        #expect(AppealLifecycleRules.actions(of: appeal(.inProgress)) == [.assign, .forward, .extend])
    }

    /// The media officer's queue holds the channels the access rules call public (social posts and Open311 requests);
    /// before it filtered social posts and messenger messages, so Open311 requests were never in it.
    @Test func theMediaOfficersQueueHoldsThePublicChannels() {
        let officer = Principal(kind: .user, name: "media", grants: [Grant(role: .mediaOfficer)])
        let queue = QueuePage.queues(officer, directory: WorkspaceDirectory()).first { $0.key == "public" }
        #expect(queue?.channels == [.open311, .social])
    }

    /// A live event names the staff member only to viewers with the full view; an analyst sees "сотрудник", as the
    /// appeal's history reads to them (before, the login went to every viewer).
    @Test func liveEventsNameStaffOnlyToFullViewers() {
        var a = AppealV1.Appeal()
        a.id = "a1"
        let e = AppealV1.AppealEvent(eventId: "e1", type: .started, actor: "user:executor-zhkh")
        #expect(LiveEvents.frame(e, a, view: .full).contains("executor-zhkh"))
        let redacted = LiveEvents.frame(e, a, view: .redacted)
        #expect(!redacted.contains("executor-zhkh") && redacted.contains("сотрудник"))
    }

    /// The status page offers the rating form for a new answer after a reopen (AppealService accepts one rating per
    /// answer); before, any stored rating hid the form for good.
    @Test func aReopenedAppealsNewAnswerCanBeRatedAgain() {
        func history(_ types: [AppealV1.EventType]) -> [AppealV1.AppealEvent] {
            types.enumerated().map { AppealV1.AppealEvent(type: $0.element, sequence: Int64($0.offset + 1)) }
        }
        #expect(!AppealLifecycleRules.ratesLatestAnswer(satisfaction: 0, history: history([.received, .answered])))
        #expect(AppealLifecycleRules.ratesLatestAnswer(satisfaction: 4, history: history([.received, .answered, .rated])))
        #expect(!AppealLifecycleRules.ratesLatestAnswer(satisfaction: 4, history: history([.answered, .rated, .reopened, .started, .answered])))
        #expect(AppealLifecycleRules.ratesLatestAnswer(satisfaction: 2, history: history([.answered, .rated, .reopened, .answered, .rated])))
        // An imported appeal with a rating and no answer event: the stored rating stands.
        #expect(AppealLifecycleRules.ratesLatestAnswer(satisfaction: 3, history: history([.received])))
    }
}

@Suite("Workspace over the platform (real IdP sign-in)", .serialized)
struct WorkspaceGatewayTests {
    @Test func formsNeedTheSessionsCSRFTokenAndPagesHaveAStrictPolicy() async throws {
        try await withPlatform { platform in
            try await platform.gateway(publicURL: registeredPublicURL).test(.router) { client in
                let anonymous = try await client.execute(uri: "/ws", method: .get)
                #expect(anonymous.status == .seeOther)
                #expect(anonymous.headers[.location]?.hasPrefix("/auth/login?return_to=") == true)

                let session = try await BrowserSession.signIn(client, user: "operator", returnTo: "/ws")
                let queue = try await client.execute(uri: "/ws", method: .get, headers: session.headers())
                #expect(queue.status == .ok)
                #expect(queue.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
                #expect(String(buffer: queue.body).contains("Разбор: без исполнителя"))
                // The escalation digest's link opens everything the person may see, not the first queue (triage).
                let digestList = try await client.execute(uri: NotificationText.digestPath, method: .get, headers: session.headers())
                #expect(String(buffer: digestList.body).contains(#"class="active" aria-current="page">Все доступные<"#))

                let created = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: try await bearer(operatorUser),
                                                       body: ByteBuffer(string: #"{"channel":"phone","externalId":"ws-csrf-1","title":"Яма","text":"Большая яма на дороге по ул. Дзержинского"}"#))
                let appeal = try #require(try decode(AppealV1.SubmitAppealResponse.self, created.body).appeal)
                var form = session.headers()
                form[.contentType] = "application/x-www-form-urlencoded"
                let body = "action=close&expected_version=\(appeal.version)&idempotency_key=k1"
                let forged = try await client.execute(uri: "/ws/appeals/\(appeal.id)/transition", method: .post, headers: form,
                                                      body: ByteBuffer(string: body + "&_csrf=wrong"))
                #expect(forged.status == .forbidden)
                // With the session's token: the lifecycle refuses closing an unanswered appeal, in words, on the card.
                let refused = try await client.execute(uri: "/ws/appeals/\(appeal.id)/transition", method: .post, headers: form,
                                                       body: ByteBuffer(string: body + "&_csrf=" + session.csrf))
                #expect(refused.status == .conflict)
                #expect(String(buffer: refused.body).contains("Действие невозможно в текущем состоянии обращения"))
                // Form bodies are accepted only on the workspace's paths.
                let elsewhere = try await client.execute(uri: "/api/v1/appeals/\(appeal.id)/transitions", method: .post, headers: form,
                                                         body: ByteBuffer(string: body))
                #expect(elsewhere.status == .unsupportedMediaType)
            }
        }
    }

    /// The card shows the channel's rubric the citizen chose (it reaches the appeal and the classifier), and no rubric
    /// when the hint was a category code (then it is the category itself).
    @Test func cardShowsTheChannelsRubric() async throws {
        try await withPlatform { platform in
            try await platform.gateway(publicURL: registeredPublicURL).test(.router) { client in
                let session = try await BrowserSession.signIn(client, user: "operator", returnTo: "/ws")
                func file(_ ext: String, hint: String) async throws -> AppealV1.Appeal {
                    let body = #"{"channel":"phone","externalId":"\#(ext)","title":"Мусор","text":"Грязно во дворе, мусор не убирают","topicHint":"\#(hint)"}"#
                    let created = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: try await bearer(operatorUser),
                                                           body: ByteBuffer(string: body))
                    return try #require(try decode(AppealV1.SubmitAppealResponse.self, created.body).appeal)
                }
                let yard = try await file("ws-rubric-1", hint: "Двор")
                #expect(yard.topicHint == "Двор")
                let card = try await client.execute(uri: "/ws/appeals/\(yard.id)", method: .get, headers: session.headers())
                #expect(String(buffer: card.body).contains("Рубрика канала: Двор"))
                let coded = try await file("ws-rubric-2", hint: "waste.litter")
                #expect(coded.categoryCode == "waste.litter")
                let plain = try await client.execute(uri: "/ws/appeals/\(coded.id)", method: .get, headers: session.headers())
                #expect(plain.status == .ok && !String(buffer: plain.body).contains("Рубрика канала"))
            }
        }
    }

    /// The public page says the rating is unavailable when RatingService does not answer (here: not running), not
    /// that it is "not yet computed"; its on-time tile names the rating period it comes from.
    @Test func thePublicPageSaysWhenTheRatingsAreUnavailable() async throws {
        try await withPlatform(rating: false) { platform in
            try await platform.gateway().test(.router) { client in
                let page = try await client.execute(uri: "/public", method: .get)
                #expect(page.status == .ok)
                let html = String(buffer: page.body)
                #expect(html.contains("Рейтинг органов сейчас недоступен") && html.contains("Рейтинг территорий сейчас недоступен"))
                #expect(!html.contains("ещё не рассчитан"))
            }
        }
    }

    @Test func deadlineOrderPagesWithoutGapsOrRepeats() async throws {
        try await withPlatform { platform in
            try await platform.gateway().test(.router) { client in
                let ops = try await bearer(operatorUser)
                for i in 0..<5 {
                    let body = #"{"channel":"\#(i % 2 == 0 ? "phone" : "email")","externalId":"ws-order-\#(i)","title":"Обращение \#(i)","text":"Не вывозят мусор во дворе дома \#(i) по улице Ленина"}"#
                    let r = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: ops, body: ByteBuffer(string: body))
                    #expect(r.status == .created)
                }
                // A social incident is registered and routed at intake; its first reaction (working hours) is still
                // the nearest deadline of all, so the deadline order puts it first (migration 27).
                let post = AppealV1.IncomingAppeal(channel: .social, externalId: "ws-order-social", title: "Пост",
                                                   text: "Во дворе дома 7 по улице Ленина неделю не вывозят мусор")
                let incidentAppeal = try #require(try await platform.cluster.appeals(as: .client("veche-integration-social"))
                    .submitAppeal(.init(appeal: post)).appeal)
                #expect(incidentAppeal.status != .received && (incidentAppeal.deadlines?.firstReactionDueMs ?? 0) > 0)
                var seen: [String] = [], dues: [Int64] = [], token = ""
                repeat {
                    let r = try await client.execute(uri: "/api/v1/appeals?order=deadline&page_size=2&page_token=\(token)", method: .get, headers: ops)
                    #expect(r.status == .ok)
                    let page = try decode(AppealV1.ListAppealsResponse.self, r.body)
                    seen += page.appeals.map(\.id)
                    dues += page.appeals.map { Countdown.clocks($0, now: Date(timeIntervalSince1970: 0)).first?.dueMs ?? .max }
                    token = page.nextPageToken.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                } while !token.isEmpty
                #expect(seen.count == 6 && Set(seen).count == 6)
                #expect(dues == dues.sorted())
                #expect(seen.first == incidentAppeal.id)
                let wrong = try await client.execute(uri: "/api/v1/appeals?order=sideways", method: .get, headers: ops)
                #expect(wrong.status == .badRequest)
            }
        }
    }
}
