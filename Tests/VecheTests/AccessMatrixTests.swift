import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VecheAuth
import VecheRuntime
import VecheTestSupport
@testable import Gateway

/// Everyone the platform knows, as they authenticate: the demo users of every ЦУР role, the machines with their
/// own client credentials, a citizen with the token from intake, and nobody at all.
enum Who: String, CaseIterable, Sendable {
    case anonymous, curator, centerHead, sectorResponsible, sectorHead, `operator`, executor, media, sociologist, analyst
    case integration, surveyTeam, importer, gateway, service, citizen

    var principal: TestPrincipal? {
        switch self {
        case .anonymous, .citizen: return nil
        case .curator: return .user("kurator")
        case .centerHead: return .user("cur-head")
        case .sectorResponsible: return .user("sector-housing")
        case .sectorHead: return .user("sector-head-roads")
        case .operator: return .user("operator")
        case .executor: return .user("executor-zhkh")
        case .media: return .user("media")
        case .sociologist: return .user("sociologist")
        case .analyst: return .user("analyst")
        case .integration: return .client("veche-integration-pos")
        case .surveyTeam: return .client("veche-survey-team-1")
        case .importer: return .client("veche-import")
        case .gateway: return .client("veche-gateway")
        case .service: return .client("veche-rating-service")
        }
    }

    static let staff: Set<Who> = [.curator, .centerHead, .sectorResponsible, .sectorHead, .operator, .executor, .media, .sociologist, .analyst]
    static let authenticated = Set(allCases).subtracting([.anonymous, .citizen])
}

/// The specification, written out independently of `MethodRules`: who gets past the access checks of each RPC
/// for the fixture below (everyone else: 401 without valid credentials, 403 with credentials that lack the grant).
/// The fixture is an appeal on channel `pos` about heating, assigned to the Ministry of housing (`kursk-zhkh`),
/// not public, not answered; requests are built so that an allowed caller is refused later for a harmless
/// reason (wrong version, bad input) and nothing changes.
enum Spec {
    static let directoryReaders = Who.staff.union([.service, .gateway, .importer, .integration])
    static let rpc: [String: Set<Who>] = [
        "AppealService.SubmitAppeal": [.integration, .importer],                       // channel pos: its system and the import
        "AppealService.GetAppeal": [.curator, .centerHead, .operator, .sectorResponsible, .executor, .analyst, .citizen],
        "AppealService.ListAppeals": Who.staff.subtracting([.sociologist]).union([.gateway]),
        "AppealService.GetStats": Who.staff.union([.importer, .gateway]),              // aggregates: also the public summary
        "AppealService.GetActivity": Who.staff.union([.gateway]),                      // dashboard aggregates (no personal data)
        "AppealService.Transition": [.centerHead, .operator, .sectorResponsible, .executor, .importer],     // close
        "AppealService.AnswerAppeal": [.sectorResponsible, .executor, .importer],
        "AppealService.ReclassifyAppeal": [.centerHead, .operator, .sectorResponsible],
        "AppealService.RateAppeal": [.citizen, .importer],
        "AgencyService.ListMunicipalities": directoryReaders,
        "AgencyService.ListAgencies": directoryReaders,
        "AgencyService.GetAgency": directoryReaders,
        "AgencyService.ListTopics": directoryReaders,
        "AgencyService.Route": directoryReaders,
        "AgencyService.ListRoutingRules": Who.staff.union([.service]),
        "AgencyService.UpsertRoutingRule": [.centerHead],
        "AgencyService.GetSlaPolicies": directoryReaders,
        "AgencyService.UpsertSlaPolicy": [.centerHead],
        "AgencyService.GetDirectorySnapshot": Who.staff.union([.service]),
        "AgencyService.ComputeDeadlines": directoryReaders,
        "AgencyService.GetCalendar": directoryReaders,
        "AgencyService.SetCalendarOverride": [.centerHead],
        "AgencyService.ListRoleAssignments": [.centerHead, .curator],
        "AgencyService.AssignRole": [.centerHead],
        "AgencyService.RevokeRole": [.centerHead],
        "AgencyService.ResolveGrants": Who.authenticated,
        "AgencyService.QueryAudit": [.curator],
        "AgencyService.GetNotificationPreferences": Who.staff,                         // each their own
        "AgencyService.SetNotificationPreferences": Who.staff,                         // (empty request: refused as invalid)
        "AgencyService.ListEscalationChains": Who.staff,
        "AgencyService.SetEscalationChain": [.centerHead],
        "AgencyService.GetWorkload": Who.staff,
        "AgencyService.SetBlockStaff": [.centerHead],
        "AgencyService.ListSavedFilters": Who.staff,                                   // each their own
        "AgencyService.CreateSavedFilter": Who.staff,                                  // (empty request: refused as invalid)
        "AgencyService.UpdateSavedFilter": Who.staff,
        "AgencyService.DeleteSavedFilter": Who.staff,
        "RatingService.GetRatings": Who.staff.union([.gateway]),                        // published on the public summary
        "RatingService.GetTopProblems": Who.staff,
        "RatingService.GetKpis": Who.staff,
        "RatingService.SetWeights": [.centerHead],
        "RatingService.GetProgress": [.centerHead, .curator, .analyst],
        "RatingService.SetKpiTargets": [.curator],
        "RatingService.ApproveReport": [.curator],
        "RatingService.GetReportApproval": Who.staff,
        "RatingService.DetectRootCauses": [.centerHead, .curator, .importer, .service],  // below the thresholds: opens nothing
        "RatingService.ListRootCauses": Who.staff,
        "RatingService.GetRootCause": Who.staff,                                         // (empty id: refused as invalid)
        "RatingService.UpdateRootCause": [.centerHead, .curator, .sectorHead, .sectorResponsible],   // own block: in the handler
        "RatingService.ListIndicators": Who.staff,
        "RatingService.SetIndicator": [.centerHead, .curator],
        "RatingService.DeleteIndicator": [.centerHead, .curator],
        // Public posts: the pos system is refused by MediaService itself (only social / messenger systems deliver posts).
        "MediaService.SubmitPost": [.importer],
        "MediaService.ListMentions": [.curator, .centerHead, .operator, .media, .analyst],
        "MediaService.GetToneSeries": [.curator, .centerHead, .operator, .media, .analyst],
        "MediaService.ListIncidents": [.curator, .centerHead, .operator, .media, .analyst],
        "MediaService.PromoteMention": [.operator, .media],
        "SurveyService.CreateSurvey": [.sociologist],
        "SurveyService.GetSurvey": Who.staff,
        "SurveyService.ListSurveys": Who.staff,
        "SurveyService.SetStatus": [.sociologist],
        "SurveyService.SubmitBatch": [.sociologist, .surveyTeam],
        "SurveyService.GetBatchReceipt": [.sociologist, .surveyTeam],
        "SurveyService.SetMargins": [.sociologist],
        "SurveyService.Estimate": Who.staff,
        "SurveyService.SatisfactionIndex": Who.staff,
    ]
}

@Suite("Trust boundaries: role × RPC and role × HTTP route matrices", .serialized)
struct AccessMatrixTests {
    /// The fixture appeal and its citizen token.
    static func fixture(_ cluster: TestCluster) async throws -> (AppealV1.Appeal, String) {
        let inc = AppealV1.IncomingAppeal(channel: .pos, externalId: "matrix-1", author: CommonV1.Person(fullName: "Петров П.П.", phone: "+79101112233"),
                                          text: "В квартире нет отопления, батареи холодные третий день", municipalityOktmo: "38701000")
        let r = try await cluster.appeals(as: .client("veche-integration-pos")).submitAppeal(.init(appeal: inc))
        let assigned = try await cluster.appeals(as: .user("operator")).transition(.init(id: try #require(r.appeal).id, action: .assign, agencyId: "kursk-zhkh"))
        let appeal = try #require(assigned.appeal)
        #expect(appeal.topicCode == "housing")
        return (appeal, r.citizenToken)
    }

    /// The request each RPC gets in the matrix (see `Spec`).
    static func payload(_ method: String, appeal: AppealV1.Appeal) -> [UInt8] {
        switch method {
        case "AppealService.SubmitAppeal": return AppealV1.SubmitAppealRequest(appeal: .init(channel: .pos, externalId: "m-2", text: "")).serializedBytes()
        case "AppealService.GetAppeal": return AppealV1.GetAppealRequest(id: appeal.id).serializedBytes()
        case "AppealService.Transition": return AppealV1.TransitionRequest(id: appeal.id, action: .close).serializedBytes()
        case "AppealService.AnswerAppeal": return AppealV1.AnswerAppealRequest(id: appeal.id, answerText: "ответ", expectedVersion: 999).serializedBytes()
        case "AppealService.ReclassifyAppeal":
            return AppealV1.ReclassifyAppealRequest(id: appeal.id, topicCode: "housing", categoryCode: "", expectedVersion: 999).serializedBytes()
        case "AppealService.RateAppeal": return AppealV1.RateAppealRequest(id: appeal.id, satisfaction: 5).serializedBytes()
        // An empty post (refused as invalid once the caller passed the access checks); an unknown mention (404).
        case "MediaService.SubmitPost": return MediaV1.SubmitPostRequest(post: .init(source: "vk", externalId: "m-1", text: "")).serializedBytes()
        case "MediaService.PromoteMention": return MediaV1.PromoteMentionRequest(mentionId: UUID().uuidString.lowercased()).serializedBytes()
        default: return []
        }
    }

    @Test func everyRPCRefusesEveryoneTheRulesDoNotAllow() async throws {
        // Every method of every contract is specified here and has a rule in the services (fail closed otherwise).
        let contract = [AppealV1.AppealService.self as any RPCServiceDescriptor.Type, AgencyV1.AgencyService.self,
                        RatingV1.RatingService.self, SurveyV1.SurveyService.self, MediaV1.MediaService.self]
            .flatMap { s in s.methodNames.map { (s.name, $0, s.subjectPrefix + "." + $0) } }
        #expect(Set(contract.map { "\($0.0).\($0.1)" }) == Set(Spec.rpc.keys))
        #expect(contract.allSatisfy { MethodRules.rule(service: $0.0, method: $0.1) != nil })

        try await withPlatform(rating: true, survey: true) { platform in
            let (appeal, citizenToken) = try await Self.fixture(platform.cluster)
            let bus = try await platform.cluster.callerBus()
            var mismatches: [String] = []
            for who in Who.allCases {
                var headers: [String: String] = [:]
                if let p = who.principal { headers[RPCHeader.authorization] = "Bearer " + (try await Tokens.shared.token(p)) }
                if who == .citizen { headers[RPCHeader.citizenToken] = citizenToken }
                for (service, method, subject) in contract {
                    let key = "\(service).\(method)"
                    // A busy machine may time a call out (503/504 from the service, or no reply in time at the client): ask
                    // again, the matrix is about 401 and 403.
                    func ask() async throws -> NatsMessage? {
                        do {
                            return try await bus.requestMessage(subject: subject, payload: Self.payload(key, appeal: appeal), headers: headers,
                                                                timeout: .seconds(30))
                        } catch let e as RPCError where e.code == .deadlineExceeded {
                            return nil
                        }
                    }
                    var reply = try await ask()
                    for _ in 0..<3 where reply.map({ ["503", "504"].contains($0.headers[RPCHeader.serviceErrorCode] ?? "") }) ?? true {
                        reply = try await ask()
                    }
                    guard let reply else {
                        mismatches.append("\(who.rawValue) \(key): no reply in 4 tries of 30 s")
                        continue
                    }
                    let code = reply.headers[RPCHeader.serviceErrorCode] ?? "200"
                    let expected: String
                    if Spec.rpc[key]?.contains(who) == true {
                        expected = "allowed"
                    } else {
                        expected = who == .anonymous || who == .citizen ? "401" : "403"
                    }
                    let got = code == "401" || code == "403" ? code : "allowed"
                    if got != expected { mismatches.append("\(who.rawValue) \(key): expected \(expected), got \(code) \(reply.headers[RPCHeader.serviceError] ?? "")") }
                }
            }
            #expect(mismatches.isEmpty, Comment(rawValue: "\(mismatches.count) mismatches:\n" + mismatches.joined(separator: "\n")))
            // Nothing in the matrix changed the fixture.
            let after = try await platform.cluster.appeals(as: .user("operator")).getAppeal(.init(id: appeal.id))
            #expect(after.appeal?.version == appeal.version)
        }
    }

    /// One row per HTTP route: nobody (401 unless public), someone whose role allows it, someone whose role does not (403).
    struct Route: Sendable {
        var method: HTTPRequest.Method
        var path: String
        var body: String?
        var allowed: Who?
        var denied: Who?
        /// Public routes answer without credentials.
        var isPublic = false
    }

    static func routes(_ a: AppealV1.Appeal) -> [Route] {
        let id = a.id
        return [
            Route(method: .post, path: "/api/v1/appeals", body: #"{"channel":"pos","text":""}"#, allowed: .integration, denied: .operator),
            Route(method: .get, path: "/api/v1/appeals", allowed: .analyst, denied: .sociologist),
            Route(method: .get, path: "/api/v1/appeals/stats", allowed: .importer, denied: .integration),
            Route(method: .get, path: "/api/v1/appeals/\(id)", allowed: .executor, denied: .sectorHead),
            Route(method: .get, path: "/api/v1/appeals/\(id)/routing", allowed: .operator, denied: .media),
            Route(method: .post, path: "/api/v1/appeals/\(id)/transitions", body: #"{"action":"close"}"#, allowed: .sectorResponsible, denied: .sectorHead),
            Route(method: .post, path: "/api/v1/appeals/\(id)/answer", body: #"{"answerText":"ответ","expectedVersion":999}"#,
                  allowed: .executor, denied: .operator),
            Route(method: .post, path: "/api/v1/appeals/\(id)/classification", body: #"{"topicCode":"housing","expectedVersion":999}"#,
                  allowed: .operator, denied: .executor),
            Route(method: .post, path: "/api/v1/appeals/\(id)/rating", body: #"{"satisfaction":5}"#, allowed: .importer, denied: .curator),
            Route(method: .get, path: "/api/v1/citizen/appeal", allowed: .citizen, denied: nil),
            Route(method: .post, path: "/api/v1/citizen/appeal/rating", body: #"{"satisfaction":5}"#, allowed: .citizen, denied: nil),
            Route(method: .get, path: "/api/v1/municipalities", allowed: .integration, denied: nil),
            Route(method: .get, path: "/api/v1/agencies", allowed: .analyst, denied: nil),
            Route(method: .get, path: "/api/v1/agencies/kursk-zhkh", allowed: .media, denied: nil),
            Route(method: .get, path: "/api/v1/topics", allowed: .sociologist, denied: nil),
            Route(method: .get, path: "/api/v1/routing/rules", allowed: .operator, denied: .integration),
            Route(method: .post, path: "/api/v1/routing/rules", body: #"{"topicCode":""}"#, allowed: .centerHead, denied: .operator),
            Route(method: .get, path: "/api/v1/routing/resolve?topic=roads", allowed: .operator, denied: nil),
            Route(method: .get, path: "/api/v1/calendar/2026", allowed: .executor, denied: nil),
            Route(method: .put, path: "/api/v1/calendar/overrides/2026-13-40", body: #"{"kind":"working"}"#, allowed: .centerHead, denied: .curator),
            Route(method: .delete, path: "/api/v1/calendar/overrides/2026-13-40", allowed: .centerHead, denied: .operator),
            Route(method: .get, path: "/api/v1/sla", allowed: .executor, denied: nil),
            Route(method: .put, path: "/api/v1/sla/pigeon", body: #"{"answerDays":30}"#, allowed: .centerHead, denied: .curator),
            Route(method: .get, path: "/api/v1/deadlines?channel=pos", allowed: .operator, denied: nil),
            Route(method: .get, path: "/api/v1/me", allowed: .surveyTeam, denied: nil),
            Route(method: .get, path: "/api/v1/roles", allowed: .curator, denied: .operator),
            Route(method: .post, path: "/api/v1/roles", body: #"{"principal":"user:x","role":"pilot"}"#, allowed: .centerHead, denied: .curator),
            Route(method: .delete, path: "/api/v1/roles/no-such-id", allowed: .centerHead, denied: .analyst),
            Route(method: .get, path: "/api/v1/audit?limit=1", allowed: .curator, denied: .centerHead),
            Route(method: .get, path: "/api/v1/ratings", allowed: .executor, denied: .integration),
            Route(method: .get, path: "/api/v1/ratings/top-problems", allowed: .analyst, denied: .importer),
            Route(method: .get, path: "/api/v1/kpis", allowed: .media, denied: .gateway),
            Route(method: .put, path: "/api/v1/kpis/targets", body: #"{"targets":[]}"#, allowed: .curator, denied: .centerHead),
            Route(method: .put, path: "/api/v1/ratings/weights", body: #"{"quantity":-1}"#, allowed: .centerHead, denied: .curator),
            Route(method: .get, path: "/api/v1/ratings/progress", allowed: .analyst, denied: .operator),
            Route(method: .get, path: "/api/v1/reports/2026-10/approval", allowed: .operator, denied: .service),
            Route(method: .post, path: "/api/v1/reports/2026-13/approval", body: "{}", allowed: .curator, denied: .centerHead),
            Route(method: .get, path: "/api/v1/mentions", allowed: .media, denied: .executor),
            Route(method: .get, path: "/api/v1/mentions/tone", allowed: .analyst, denied: .sociologist),
            Route(method: .get, path: "/api/v1/mentions/incidents", allowed: .curator, denied: .integration),
            Route(method: .post, path: "/api/v1/mentions/\(UUID().uuidString.lowercased())/promotion", body: "{}", allowed: .operator, denied: .analyst),
            Route(method: .post, path: "/api/v1/surveys", body: "{}", allowed: .sociologist, denied: .analyst),
            Route(method: .get, path: "/api/v1/surveys", allowed: .analyst, denied: .surveyTeam),
            Route(method: .get, path: "/api/v1/surveys/batches/none", allowed: .surveyTeam, denied: .analyst),
            Route(method: .get, path: "/api/v1/surveys/none", allowed: .curator, denied: .integration),
            Route(method: .post, path: "/api/v1/surveys/none/status", body: #"{"status":"closed"}"#, allowed: .sociologist, denied: .curator),
            Route(method: .post, path: "/api/v1/surveys/none/batches", body: #"{"batchId":""}"#, allowed: .surveyTeam, denied: .analyst),
            Route(method: .put, path: "/api/v1/surveys/none/margins", body: "{}", allowed: .sociologist, denied: .surveyTeam),
            Route(method: .get, path: "/api/v1/surveys/none/estimates?question=q", allowed: .analyst, denied: .surveyTeam),
            Route(method: .get, path: "/api/v1/surveys/none/satisfaction", allowed: .analyst, denied: .importer),
            Route(method: .get, path: "/api/v1/me/notifications", allowed: .executor, denied: .integration),
            Route(method: .put, path: "/api/v1/me/notifications", body: #"{"email":"not-an-address"}"#, allowed: .sociologist, denied: .surveyTeam),
            Route(method: .get, path: "/api/v1/me/filters", allowed: .analyst, denied: .integration),
            Route(method: .post, path: "/api/v1/me/filters", body: #"{"name":""}"#, allowed: .media, denied: .surveyTeam),
            Route(method: .put, path: "/api/v1/me/filters/not-a-uuid", body: #"{"name":"x"}"#, allowed: .executor, denied: .importer),
            Route(method: .delete, path: "/api/v1/me/filters/not-a-uuid", allowed: .operator, denied: .gateway),
            Route(method: .get, path: "/api/v1/escalation/chains", allowed: .operator, denied: .importer),
            Route(method: .put, path: "/api/v1/escalation/chains/nope", body: #"{"levels":[]}"#, allowed: .centerHead, denied: .curator),
            Route(method: .get, path: "/api/v1/workload?granularity=x", allowed: .analyst, denied: .integration),
            Route(method: .put, path: "/api/v1/workload/staff/nope", body: #"{"staff":1}"#, allowed: .centerHead, denied: .operator),
            Route(method: .get, path: "/api/v1/root-causes?status=closed", allowed: .analyst, denied: .importer),
            Route(method: .post, path: "/api/v1/root-causes/detect", body: #"{"windowDays":1}"#, allowed: .centerHead, denied: .operator),
            Route(method: .get, path: "/api/v1/root-causes/x", allowed: .executor, denied: .integration),
            Route(method: .put, path: "/api/v1/root-causes/x", body: "{}", allowed: .sectorHead, denied: .analyst),
            Route(method: .get, path: "/api/v1/indicators?year=2026", allowed: .media, denied: .importer),
            Route(method: .put, path: "/api/v1/indicators/BAD", body: #"{"name":""}"#, allowed: .curator, denied: .sectorHead),
            Route(method: .delete, path: "/api/v1/indicators/none", allowed: .centerHead, denied: .analyst),
            Route(method: .get, path: "/api/v1/dashboard?period=x", allowed: .analyst, denied: .importer),
            Route(method: .get, path: "/dashboard?period=x", allowed: .curator, denied: .integration),
            Route(method: .get, path: "/?period=x", allowed: .executor, denied: .service),
            Route(method: .get, path: "/reports/governor/x", allowed: .curator, denied: .surveyTeam),
            Route(method: .get, path: "/auth/session", allowed: .operator, denied: nil),
            Route(method: .get, path: "/health", allowed: nil, denied: nil, isPublic: true),
            Route(method: .get, path: "/ready", allowed: nil, denied: nil, isPublic: true),
            Route(method: .get, path: "/openapi.json", allowed: nil, denied: nil, isPublic: true),
            Route(method: .get, path: "/open311/v2/services.json", allowed: nil, denied: nil, isPublic: true),
            Route(method: .get, path: "/open311/v2/services/roads.potholes.json", allowed: nil, denied: nil, isPublic: true),
            Route(method: .get, path: "/open311/v2/requests.json", allowed: nil, denied: nil, isPublic: true),
            Route(method: .get, path: "/open311/v2/tokens/none.json", allowed: nil, denied: nil, isPublic: true),
        ]
    }

    @Test func everyHTTPRouteRefusesNobodyAndTheWrongRole() async throws {
        try await withPlatform(rating: true, survey: true) { platform in
            let (appeal, citizenToken) = try await Self.fixture(platform.cluster)
            try await platform.gateway().test(.router) { client in
                var mismatches: [String] = []
                func call(_ r: Route, as who: Who?) async throws -> HTTPResponse.Status {
                    var headers: HTTPFields = r.body == nil ? [:] : [.contentType: "application/json"]
                    if let p = who?.principal { headers[.authorization] = "Bearer " + (try await Tokens.shared.token(p)) }
                    if who == .citizen { headers[CitizenRoutes.tokenHeader] = citizenToken }
                    return try await client.execute(uri: r.path, method: r.method, headers: headers, body: r.body.map { ByteBuffer(string: $0) }).status
                }
                for r in Self.routes(appeal) {
                    let label = "\(r.method) \(r.path)"
                    let nobody = try await call(r, as: nil)
                    let html = r.path.hasPrefix("/dashboard") || r.path.hasPrefix("/?") || r.path.hasPrefix("/reports/")
                    if r.isPublic {
                        if nobody == .unauthorized || nobody == .forbidden { mismatches.append("\(label) public, got \(nobody) without credentials") }
                    } else if nobody != (html ? .seeOther : .unauthorized) {
                        mismatches.append("\(label) without credentials: \(nobody)")
                    }
                    if let who = r.allowed {
                        let s = try await call(r, as: who)
                        if s == .unauthorized || s == .forbidden { mismatches.append("\(label) as \(who): \(s), should pass the access check") }
                    }
                    if let who = r.denied {
                        let s = try await call(r, as: who)
                        if s != .forbidden { mismatches.append("\(label) as \(who): \(s), should be 403") }
                    }
                }
                #expect(mismatches.isEmpty, Comment(rawValue: "\(mismatches.count) mismatches:\n" + mismatches.joined(separator: "\n")))
            }
        }
    }
}
