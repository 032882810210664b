import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VecheRuntime
import VecheTestSupport
@testable import AppealService
@testable import Gateway

@Suite("Gateway JSON API over AppealService", .serialized)
struct GatewayAppealTests {
    @Test func appealsJSONRoundTrip() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { env.close() }
            let built = try await AppealServiceApp.build(env: env)
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let app = buildApplication(clients: ServiceClients(transport: env.nats), config: cluster.config, logger: cluster.logger)
                try await app.test(.router) { client in
                    let body = #"{"channel":"portal","externalId":"web-42","title":"Яма","text":"Большая яма на дороге по ул. Дзержинского","address":"Курск, ул. Дзержинского, 10","location":{"latitude":51.73,"longitude":36.19}}"#
                    let created = try await client.execute(uri: "/api/v1/appeals", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
                    #expect(created.status == .created)
                    let r = try JSONDecoder().decode(AppealV1.SubmitAppealResponse.self, from: Data(buffer: created.body))
                    let appeal = try #require(r.appeal)
                    #expect(appeal.status == .registered)
                    #expect(String(buffer: created.body).contains(#""channel":"portal""#))

                    let again = try await client.execute(uri: "/api/v1/appeals", method: .post, body: ByteBuffer(string: body))
                    #expect(again.status == .ok)

                    let bad = try await client.execute(uri: "/api/v1/appeals", method: .post, body: ByteBuffer(string: #"{"channel":"carrier-pigeon","text":"x"}"#))
                    #expect(bad.status == .badRequest)
                    #expect(String(buffer: bad.body).contains("carrier-pigeon"))
                    let empty = try await client.execute(uri: "/api/v1/appeals", method: .post, body: ByteBuffer(string: #"{"channel":"email","text":""}"#))
                    #expect(empty.status == .badRequest)
                    #expect(String(buffer: empty.body).contains("text is empty"))

                    let got = try await client.execute(uri: "/api/v1/appeals/\(appeal.number)", method: .get)
                    #expect(got.status == .ok)
                    let missing = try await client.execute(uri: "/api/v1/appeals/00000000-0000-0000-0000-000000000000", method: .get)
                    #expect(missing.status == .notFound)

                    let assign = try await client.execute(uri: "/api/v1/appeals/\(appeal.id)/transitions", method: .post,
                                                          body: ByteBuffer(string: #"{"action":"assign","agencyId":"kursk-roads","actor":"оператор ЦУР"}"#))
                    #expect(assign.status == .ok)
                    // Re-routing: the road committee hands the appeal to the regional ministry.
                    let reroute = try await client.execute(uri: "/api/v1/appeals/\(appeal.id)/transitions", method: .post,
                                                           body: ByteBuffer(string: #"{"action":"forward","agencyId":"kursk-transport","comment":"региональная дорога"}"#))
                    #expect(reroute.status == .ok)
                    let routing = try await client.execute(uri: "/api/v1/appeals/\(appeal.id)/routing", method: .get)
                    let history = try JSONDecoder().decode(RoutingHistory.self, from: Data(buffer: routing.body))
                    #expect(history.steps.map(\.toAgencyId) == ["kursk-roads", "kursk-transport"])
                    #expect(history.steps.last?.fromAgencyId == "kursk-roads")
                    #expect(history.steps.last?.comment == "региональная дорога")
                    #expect(history.currentAgencyId == "kursk-transport")
                    let illegal = try await client.execute(uri: "/api/v1/appeals/\(appeal.id)/transitions", method: .post, body: ByteBuffer(string: #"{"action":"close"}"#))
                    #expect(illegal.status == .conflict)
                    let answer = try await client.execute(uri: "/api/v1/appeals/\(appeal.id)/answer", method: .post,
                                                          body: ByteBuffer(string: #"{"answerText":"Яма заделана","complete":true}"#))
                    #expect(answer.status == .ok)
                    let rate = try await client.execute(uri: "/api/v1/appeals/\(appeal.id)/rating", method: .post, body: ByteBuffer(string: #"{"satisfaction":5}"#))
                    #expect(rate.status == .ok)

                    let list = try await client.execute(uri: "/api/v1/appeals?status=answered&channel=portal,email&page_size=5", method: .get)
                    #expect(list.status == .ok)
                    let page = try JSONDecoder().decode(AppealV1.ListAppealsResponse.self, from: Data(buffer: list.body))
                    #expect(page.totalCount == 1)
                    let badFilter = try await client.execute(uri: "/api/v1/appeals?status=lost", method: .get)
                    #expect(badFilter.status == .badRequest)
                    let badDate = try await client.execute(uri: "/api/v1/appeals?from=yesterday", method: .get)
                    #expect(badDate.status == .badRequest)
                    let stats = try await client.execute(uri: "/api/v1/appeals/stats", method: .get)
                    #expect(String(buffer: stats.body).contains(#""total":1"#))
                }
            }
        }
    }

    @Test func backendDownIsServiceUnavailable() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("gateway", schema: nil)
            defer { env.close() }
            let app = buildApplication(clients: ServiceClients(transport: env.nats), config: cluster.config, logger: cluster.logger)
            try await app.test(.router) { client in
                let r = try await client.execute(uri: "/api/v1/appeals", method: .get)
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body).contains("no responders"))
            }
        }
    }
}
