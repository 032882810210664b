import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VecheAuth
import VecheRuntime
import VecheTestSupport
import WorkCalendar
@testable import AgencyService
@testable import AppealService
@testable import Gateway

@Suite("Open311 GeoReport v2 and routing through AgencyService", .serialized)
struct Open311Tests {
    static func form(_ pairs: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(string: pairs.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&"))
    }

    @Test func georeportFlowWithRouting() async throws {
        try await withPlatform { platform in
                var settings = GatewaySettings.underTest
                settings.open311Keys = ["test-open311-key"]
                let ops = try await bearer(operatorUser)
                try await platform.gateway(settings: settings).test(.router) { client in
                    let services = try await client.execute(uri: "/open311/v2/services.json", method: .get)
                    #expect(services.status == .ok)
                    let list = try #require(try JSONSerialization.jsonObject(with: Data(buffer: services.body)) as? [[String: Any]])
                    #expect(list.count >= 8 * 4)
                    #expect(list.contains { $0["service_code"] as? String == "roads.potholes" })
                    #expect(list.allSatisfy { $0["metadata"] as? Bool == true && $0["type"] as? String == "realtime" })

                    let xml = try await client.execute(uri: "/open311/v2/services.xml", method: .get)
                    #expect(String(buffer: xml.body).hasPrefix(#"<?xml version="1.0" encoding="utf-8"?><services><service><service_code>"#))

                    let def = try await client.execute(uri: "/open311/v2/services/roads.potholes.json", method: .get)
                    #expect(def.status == .ok)
                    #expect(String(buffer: def.body).contains(#""datatype":"singlevaluelist""#))
                    let noDef = try await client.execute(uri: "/open311/v2/services/no.such.json", method: .get)
                    #expect(noDef.status == .notFound)
                    #expect(String(buffer: noDef.body).hasPrefix(#"[{"code":404,"description":"#))

                    // Creating needs a key.
                    let denied = try await client.execute(uri: "/open311/v2/requests.json", method: .post,
                                                          headers: [.contentType: "application/x-www-form-urlencoded"],
                                                          body: Self.form([("service_code", "roads.potholes"), ("description", "Яма"), ("lat", "51.73"), ("long", "36.19")]))
                    #expect(denied.status == .forbidden)
                    let badCode = try await client.execute(uri: "/open311/v2/requests.json", method: .post,
                                                           body: Self.form([("api_key", "test-open311-key"), ("service_code", "nope"), ("description", "x"), ("lat", "1"), ("long", "2")]))
                    #expect(badCode.status == .badRequest)

                    let created = try await client.execute(uri: "/open311/v2/requests.json", method: .post,
                                                           headers: [.contentType: "application/x-www-form-urlencoded"],
                                                           body: Self.form([("api_key", "test-open311-key"), ("service_code", "roads.potholes"),
                                                                            ("description", "Глубокая яма на проезжей части, уже повредили колесо. Звоните 8-910-111-22-33"),
                                                                            ("lat", "51.7304"), ("long", "36.1926"), ("address_string", "г. Курск, ул. Ленина, 2"),
                                                                            ("first_name", "Анна"), ("last_name", "Смирнова"), ("email", "anna@example.ru"),
                                                                            ("attribute[urgency]", "high")]))
                    #expect(created.status == .ok)
                    let receipt = try #require(try JSONSerialization.jsonObject(with: Data(buffer: created.body)) as? [[String: Any]])
                    let id = try #require(receipt.first?["service_request_id"] as? String)
                    let token = try #require(receipt.first?["token"] as? String)

                    // Routed by AgencyService: Курск roads → the city's road committee (most specific rule).
                    let stored = try await platform.cluster.appeals(as: operatorUser).getAppeal(.init(id: id))
                    #expect(stored.appeal?.categoryCode == "roads.potholes")
                    #expect(stored.appeal?.channel == .open311)
                    #expect(stored.appeal?.status == .assigned)
                    #expect(stored.appeal?.agencyId.isEmpty == false)
                    // The notice names this appeal's own answer term (its last day), not a fixed "30 дней".
                    let due = Date(timeIntervalSince1970: Double(stored.appeal?.deadlines?.answerDueMs ?? 0) / 1000)
                    let last = LocalClock.lastDay(ofTermEndingAt: due, in: TimeZone(identifier: "Europe/Moscow")!)
                    #expect(receipt.first?["service_notice"] as? String
                            == "Обращение зарегистрировано, ответ будет дан до \(String(format: "%02d.%02d.%04d", last.day, last.month, last.year)) (59-ФЗ)")

                    let one = try await client.execute(uri: "/open311/v2/requests/\(id).json", method: .get)
                    let reqs = try #require(try JSONSerialization.jsonObject(with: Data(buffer: one.body)) as? [[String: Any]])
                    #expect(reqs.first?["status"] as? String == "open")
                    #expect(reqs.first?["service_code"] as? String == "roads.potholes")
                    #expect((reqs.first?["description"] as? String)?.contains("111-22-33") == false)   // published text is redacted
                    #expect(reqs.first?["lat"] as? Double == 51.7304)

                    // An unknown id among known ones is left out of the list.
                    let mixed = try await client.execute(uri: "/open311/v2/requests.json?service_request_id=\(id),2099-999999", method: .get)
                    #expect(mixed.status == .ok)
                    let mixedList = try #require(try JSONSerialization.jsonObject(with: Data(buffer: mixed.body)) as? [[String: Any]])
                    #expect(mixedList.map { $0["service_request_id"] as? String } == [id])

                    let byToken = try await client.execute(uri: "/open311/v2/tokens/\(token).json", method: .get)
                    #expect(String(buffer: byToken.body).contains(id))
                    // The citizen token given with the request opens it for its author.
                    let citizenToken = try #require(receipt.first?["citizen_token"] as? String)
                    #expect(CitizenToken.isWellFormed(citizenToken))
                    // Bypassing the api_key through the JSON API is refused: anonymous 401, a system without the
                    // open311 channel 403.
                    let bypass = #"{"channel":"open311","externalId":"x-1","text":"Яма во дворе дома 5 по улице Ленина"}"#
                    #expect(try await client.execute(uri: "/api/v1/appeals", method: .post, headers: [.contentType: "application/json"],
                                                     body: ByteBuffer(string: bypass)).status == .unauthorized)
                    #expect(try await client.execute(uri: "/api/v1/appeals", method: .post, headers: try await bearer(.client("veche-integration-portal")),
                                                     body: ByteBuffer(string: bypass)).status == .forbidden)
                    let all = try await client.execute(uri: "/open311/v2/requests.xml?status=open&service_code=roads.potholes", method: .get)
                    #expect(String(buffer: all.body).contains("<service_request_id>\(id)</service_request_id>"))
                    let badStatus = try await client.execute(uri: "/open311/v2/requests.json?status=lost", method: .get)
                    #expect(badStatus.status == .badRequest)

                    // Directory endpoints.
                    let resolve = try await client.execute(uri: "/api/v1/routing/resolve?topic=roads&category=roads.potholes&municipality=38701000", method: .get, headers: ops)
                    #expect(resolve.status == .ok)
                    #expect(String(buffer: resolve.body).contains(stored.appeal?.agencyId ?? "?"))
                    let cal = try await client.execute(uri: "/api/v1/calendar/2026", method: .get, headers: ops)
                    #expect(String(buffer: cal.body).contains(#""workingDays":247"#))
                    let munis = try await client.execute(uri: "/api/v1/municipalities", method: .get, headers: ops)
                    #expect(String(buffer: munis.body).contains("38701000"))
                    #expect(try await client.execute(uri: "/api/v1/municipalities", method: .get).status == .unauthorized)
                }
        }
    }

    /// A look-up by id while AppealService does not answer (here: not running) fails with a 5xx error instead of an
    /// empty list, which read as "no such requests"; unknown ids are still simply left out (checked in the flow above).
    @Test func aLookUpByIdFailsWhenTheAppealServiceDoesNotAnswer() async throws {
        try await withPlatform(appeal: false) { platform in
            try await platform.gateway().test(.router) { client in
                let r = try await client.execute(uri: "/open311/v2/requests.json?service_request_id=2026-000001", method: .get)
                #expect(r.status.code >= 500)
                #expect(String(buffer: r.body).contains("description"))
            }
        }
    }
}
