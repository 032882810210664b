import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VecheAuth
import VecheRuntime
import VecheTestSupport
@testable import AppealService
@testable import Gateway

@Suite("Gateway JSON API over AppealService", .serialized)
struct GatewayAppealTests {
    @Test func appealsJSONRoundTrip() async throws {
        try await withPlatform { platform in
            try await platform.gateway().test(.router) { client in
                let portal = try await bearer(.client("veche-integration-portal"))
                let ops = try await bearer(operatorUser)
                let body = #"{"channel":"portal","externalId":"web-42","title":"Яма","text":"Большая яма на дороге по ул. Дзержинского","address":"Курск, ул. Дзержинского, 10","location":{"latitude":51.73,"longitude":36.19}}"#
                let created = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: portal, body: ByteBuffer(string: body))
                #expect(created.status == .created)
                let r = try decode(AppealV1.SubmitAppealResponse.self, created.body)
                let appeal = try #require(r.appeal)
                #expect([.registered, .assigned].contains(appeal.status))
                #expect(String(buffer: created.body).contains(#""channel":"portal""#))
                let citizenToken = r.citizenToken
                #expect(CitizenToken.isWellFormed(citizenToken))

                let again = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: portal, body: ByteBuffer(string: body))
                #expect(again.status == .ok)

                let bad = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: portal, body: ByteBuffer(string: #"{"channel":"carrier-pigeon","text":"x"}"#))
                #expect(bad.status == .badRequest)
                #expect(String(buffer: bad.body).contains("carrier-pigeon"))
                let empty = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: portal, body: ByteBuffer(string: #"{"channel":"portal","text":""}"#))
                #expect(empty.status == .badRequest)
                #expect(String(buffer: empty.body).contains("text is empty"))

                let got = try await client.execute(uri: "/api/v1/appeals/\(appeal.number)", method: .get, headers: ops)
                #expect(got.status == .ok)
                let missing = try await client.execute(uri: "/api/v1/appeals/00000000-0000-0000-0000-000000000000", method: .get, headers: ops)
                #expect(missing.status == .notFound)

                // The actor cannot be chosen by the body; unknown agencies are refused before anything is stored.
                let named = try await client.execute(uri: "/api/v1/appeals/\(appeal.id)/transitions", method: .post, headers: ops,
                                                     body: ByteBuffer(string: #"{"action":"assign","agencyId":"kursk-city-roads","actor":"Губернатор Курской области"}"#))
                #expect(named.status == .badRequest)
                let unknown = try await client.execute(uri: "/api/v1/appeals/\(appeal.id)/transitions", method: .post, headers: ops,
                                                       body: ByteBuffer(string: #"{"action":"assign","agencyId":"kursk-roads"}"#))
                #expect(unknown.status == .badRequest)
                #expect(String(buffer: unknown.body).contains("not an agency in the directory"))
                let assign = try await client.execute(uri: "/api/v1/appeals/\(appeal.id)/transitions", method: .post, headers: ops,
                                                      body: ByteBuffer(string: #"{"action":"assign","agencyId":"kursk-city-roads"}"#))
                #expect(assign.status == .ok)
                // Re-routing: the road committee hands the appeal to the regional ministry.
                let reroute = try await client.execute(uri: "/api/v1/appeals/\(appeal.id)/transitions", method: .post, headers: ops,
                                                       body: ByteBuffer(string: #"{"action":"forward","agencyId":"kursk-transport","comment":"региональная дорога"}"#))
                #expect(reroute.status == .ok)
                let routing = try await client.execute(uri: "/api/v1/appeals/\(appeal.id)/routing", method: .get, headers: ops)
                let history = try decode(RoutingHistory.self, routing.body)
                #expect(history.steps.map(\.toAgencyId).suffix(2) == ["kursk-city-roads", "kursk-transport"])
                #expect(history.steps.last?.fromAgencyId == "kursk-city-roads")
                #expect(history.steps.last?.comment == "региональная дорога")
                #expect(history.steps.last?.actor == "user:operator")
                #expect(history.currentAgencyId == "kursk-transport")
                let illegal = try await client.execute(uri: "/api/v1/appeals/\(appeal.id)/transitions", method: .post, headers: ops, body: ByteBuffer(string: #"{"action":"close"}"#))
                #expect(illegal.status == .conflict)
                // The roads block answers (the appeal is about roads).
                let answer = try await client.execute(uri: "/api/v1/appeals/\(appeal.id)/answer", method: .post, headers: try await bearer(.user("sector-head-roads")),
                                                      body: ByteBuffer(string: #"{"answerText":"Яма заделана","complete":true}"#))
                #expect(answer.status == .ok)
                // The citizen, with the token from intake, sees the answer and rates it once.
                var citizen = HTTPFields()
                citizen[CitizenRoutes.tokenHeader] = citizenToken
                let own = try await client.execute(uri: "/api/v1/citizen/appeal", method: .get, headers: citizen)
                #expect(own.status == .ok)
                #expect(String(buffer: own.body).contains("Яма заделана"))
                citizen[.contentType] = "application/json"
                let rate = try await client.execute(uri: "/api/v1/citizen/appeal/rating", method: .post, headers: citizen, body: ByteBuffer(string: #"{"satisfaction":5}"#))
                #expect(rate.status == .ok)
                let twice = try await client.execute(uri: "/api/v1/citizen/appeal/rating", method: .post, headers: citizen, body: ByteBuffer(string: #"{"satisfaction":1}"#))
                #expect(twice.status == .conflict)
                var wrong = citizen
                wrong[CitizenRoutes.tokenHeader] = CitizenToken.generate()
                #expect(try await client.execute(uri: "/api/v1/citizen/appeal", method: .get, headers: wrong).status == .unauthorized)

                let list = try await client.execute(uri: "/api/v1/appeals?status=answered&channel=portal,email&page_size=5", method: .get, headers: ops)
                #expect(list.status == .ok)
                let page = try decode(AppealV1.ListAppealsResponse.self, list.body)
                #expect(page.totalCount == 1)
                let badFilter = try await client.execute(uri: "/api/v1/appeals?status=lost", method: .get, headers: ops)
                #expect(badFilter.status == .badRequest)
                let badDate = try await client.execute(uri: "/api/v1/appeals?from=yesterday", method: .get, headers: ops)
                #expect(badDate.status == .badRequest)
                let stats = try await client.execute(uri: "/api/v1/appeals/stats", method: .get, headers: ops)
                #expect(String(buffer: stats.body).contains(#""total":1"#))
            }
        }
    }

    /// POST /api/v1/appeals/{id}/classification (ReclassifyAppeal): the operator's correction marks the appeal as
    /// classified by a person and out of the triage queue; a category of another topic is 400, an unknown appeal 404.
    @Test func classificationCorrectionRoute() async throws {
        try await withPlatform { platform in
            try await platform.gateway().test(.router) { client in
                let portal = try await bearer(.client("veche-integration-portal"))
                let ops = try await bearer(operatorUser)
                let body = #"{"channel":"portal","externalId":"gw-cls-1","text":"Во дворе дома 5 по ул. Ленина переполнены мусорные контейнеры"}"#
                let created = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: portal, body: ByteBuffer(string: body))
                let a = try #require(try decode(AppealV1.SubmitAppealResponse.self, created.body).appeal)
                let ok = try await client.execute(uri: "/api/v1/appeals/\(a.number)/classification", method: .post, headers: ops,
                                                  body: ByteBuffer(string: #"{"topicCode":"waste","categoryCode":"waste.container_sites","comment":"площадка"}"#))
                #expect(ok.status == .ok)
                let r = try decode(AppealV1.ReclassifyAppealResponse.self, ok.body)
                #expect(r.appeal?.categoryCode == "waste.container_sites" && r.appeal?.classifierVersion == "operator")
                #expect(r.appeal?.needsTriage == false)
                let bad = try await client.execute(uri: "/api/v1/appeals/\(a.id)/classification", method: .post, headers: ops,
                                                   body: ByteBuffer(string: #"{"topicCode":"roads","categoryCode":"waste.container_sites"}"#))
                #expect(bad.status == .badRequest)
                #expect(String(buffer: bad.body).contains("is not a category of topic 'roads'"))
                let missing = try await client.execute(uri: "/api/v1/appeals/00000000-0000-0000-0000-000000000000/classification", method: .post,
                                                       headers: ops, body: ByteBuffer(string: #"{"topicCode":"waste","categoryCode":"waste.container_sites"}"#))
                #expect(missing.status == .notFound)
                let queue = try await client.execute(uri: "/api/v1/appeals?triage=true", method: .get, headers: ops)
                #expect(try decode(AppealV1.ListAppealsResponse.self, queue.body).appeals.allSatisfy { $0.id != a.id })
            }
        }
    }

    /// `/ready` is 200 only when every backend service (MediaService runs in AppealService's process) answers its ADR-32 PING, and names each.
    @Test func readinessWhenEveryServiceAnswers() async throws {
        try await withPlatform(rating: true, survey: true) { platform in
            try await platform.gateway().test(.router) { client in
                let r = try await client.execute(uri: "/ready", method: .get)
                #expect(r.status == .ok)
                let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any])
                #expect(body["ready"] as? Bool == true)
                #expect((body["services"] as? [String: String]) == ["AppealService": "ready", "AgencyService": "ready",
                                                                    "RatingService": "ready", "SurveyService": "ready",
                                                                    "MediaService": "ready"])
            }
        }
    }

    @Test func backendDownIsServiceUnavailable() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("gateway", schema: nil)
            defer { env.close() }
            let identity = GatewayIdentity(verifier: env.verifier, own: env.credentials, config: cluster.config)
            let app = buildApplication(transport: env.nats, identity: identity, config: cluster.config, logger: cluster.logger)
            try await app.test(.router) { client in
                #expect(try await client.execute(uri: "/api/v1/appeals", method: .get).status == .unauthorized)
                let r = try await client.execute(uri: "/api/v1/appeals", method: .get, headers: try await bearer(operatorUser))
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body).contains("no responders"))
                // Readiness says the same, per service, without credentials.
                let ready = try await client.execute(uri: "/ready", method: .get)
                #expect(ready.status == .serviceUnavailable)
                #expect(String(buffer: ready.body).contains(#""AppealService":"not ready"#))
            }
        }
    }
}
