import Contracts
import VecheTestSupport
import Foundation
import Logging
import Testing
import VecheRuntime
@testable import AppealService

@Suite("AppealService end to end (real nats-server + PostgreSQL)", .serialized)
struct AppealServiceTests {
    static func incoming(_ ext: String, channel: AppealV1.Channel = .pos, text: String = "Не вывозят мусор с контейнерной площадки во дворе") -> AppealV1.IncomingAppeal {
        AppealV1.IncomingAppeal(channel: channel, externalId: ext, author: CommonV1.Person(fullName: "Петров П.П.", email: "p@example.ru"),
                                title: "Мусор", text: text, address: "Курск, ул. Ленина, 5", municipalityOktmo: "38701000")
    }

    @Test func submitLifecycleAnswerRateAndErrors() async throws {
        try await withAppealService { cluster, env, built, client in

        let first = try await client.submitAppeal(.init(appeal: Self.incoming("pos-1")))
        #expect(!first.alreadyExisted)
        let a = try #require(first.appeal)
        #expect(a.status == .registered)
        #expect(a.number.hasPrefix("20"))
        #expect(a.registeredAtMs > 0)
        let d = try #require(a.deadlines)
        #expect(d.registerDueMs > a.receivedAtMs)
        #expect(d.answerDueMs - a.registeredAtMs >= 30 * 86_400_000 - 86_400_000)

        // Idempotent on (channel, external id).
        let again = try await client.submitAppeal(.init(appeal: Self.incoming("pos-1")))
        #expect(again.alreadyExisted)
        #expect(again.appeal?.id == a.id)

        // Invalid input: clear error with a numeric code.
        await #expect(throws: RPCError(.invalidArgument, "text is empty")) {
            _ = try await client.submitAppeal(.init(appeal: .init(channel: .email, externalId: "e-1", text: "   ")))
        }

        // Illegal transition.
        do {
            _ = try await client.transition(.init(id: a.id, action: .close))
            Issue.record("closing a registered appeal must fail")
        } catch let e as RPCError {
            #expect(e.code == .failedPrecondition)
            #expect(e.message.contains("cannot close"))
        }

        let assigned = try await client.transition(.init(id: a.id, action: .assign, actor: "operator", agencyId: "kursk-zhkh"))
        #expect(assigned.appeal?.status == .assigned)
        let started = try await client.transition(.init(id: a.number, action: .start))
        #expect(started.appeal?.status == .inProgress)
        let extended = try await client.transition(.init(id: a.id, action: .extend, comment: "нужна проверка на месте"))
        #expect(extended.appeal?.status == .extended)
        #expect((extended.appeal?.deadlines?.answerDueMs ?? 0) > (started.appeal?.deadlines?.answerDueMs ?? 0))
        await #expect(throws: RPCError.self) { _ = try await client.transition(.init(id: a.id, action: .extend)) }

        // Optimistic concurrency.
        await #expect(throws: RPCError.self) {
            _ = try await client.answerAppeal(.init(id: a.id, answerText: "x", expectedVersion: 1))
        }
        let answered = try await client.answerAppeal(.init(id: a.id, answerText: "Контейнерная площадка убрана", actor: "УК", complete: true,
                                                           expectedVersion: extended.appeal?.version ?? 0))
        #expect(answered.appeal?.status == .answered)
        await #expect(throws: RPCError.self) { _ = try await client.rateAppeal(.init(id: a.id, satisfaction: 9)) }
        let rated = try await client.rateAppeal(.init(id: a.id, satisfaction: 2, comment: "убрали не полностью"))
        #expect(rated.appeal?.satisfaction == 2)
        let reopened = try await client.transition(.init(id: a.id, action: .reopen))
        #expect(reopened.appeal?.reopenCount == 1)

        let full = try await client.getAppeal(.init(id: a.id))
        #expect(full.history.map(\.type) == [.received, .registered, .assigned, .started, .extended, .answered, .rated, .reopened])
        #expect(full.history.map(\.sequence) == Array(1...8))

        await #expect(throws: RPCError(.notFound, "appeal 00000000-0000-0000-0000-000000000000 not found")) {
            _ = try await client.getAppeal(.init(id: "00000000-0000-0000-0000-000000000000"))
        }
        }
    }

    @Test func intakeClassifiesRedactsFlagsAndGroupsDuplicates() async throws {
        try await withAppealService { cluster, env, built, client in
        var heating = Self.incoming("pos-heat", text: "В квартире нет отопления, батареи холодные. Мой телефон +7 (910) 123-45-67, Иванов Иван Петрович, кв. 15")
        heating.location = CommonV1.GeoPoint(latitude: 51.7373, longitude: 36.1873)
        let a = try #require(try await client.submitAppeal(.init(appeal: heating)).appeal)
        #expect(a.topicCode == "housing")
        #expect(a.classificationConfidence > 0.5)
        #expect(!a.redactedText.contains("123-45-67"))
        #expect(!a.redactedText.contains("Иванов Иван Петрович"))
        #expect(a.text.contains("123-45-67"))   // the original is kept for the answer
        #expect(a.monitoringFlags.isEmpty)
        // No AgencyService running: the appeal is registered and waits for manual assignment.
        #expect(a.status == .registered)
        #expect(a.agencyId.isEmpty)

        // The same problem reported in a social network a few metres away joins the group.
        var again = Self.incoming("vk-heat", channel: .social, text: "Нет отопления в доме, батареи холодные, в квартирах холодно")
        again.location = CommonV1.GeoPoint(latitude: 51.7374, longitude: 36.1874)
        let b = try #require(try await client.submitAppeal(.init(appeal: again)).appeal)
        #expect(b.problemGroupId == a.problemGroupId)
        #expect((b.deadlines?.firstReactionDueMs ?? 0) > 0)   // social media: working-hours clock

        let bribe = try #require(try await client.submitAppeal(.init(appeal: Self.incoming("pos-bribe",
            text: "Врач в поликлинике требует взятку за выдачу справки"))).appeal)
        #expect(bribe.monitoringFlags.contains("corruption"))
        #expect(bribe.problemGroupId != a.problemGroupId)
        let group = try await client.listAppeals(.init(problemGroupId: a.problemGroupId))
        #expect(group.totalCount == 2)
        // Not routed (no AgencyService): all three wait in the operators' queue.
        #expect(try await client.listAppeals(.init(unassignedOnly: true)).totalCount == 3)
        }
    }

    @Test func deadlineWatcherAlertsOncePerMissedDeadline() async throws {
        try await withAppealService { cluster, env, built, client in
        // Imported from a legacy system: received and registered 40 days ago, never forwarded or answered.
        var old = Self.incoming("legacy-1")
        let then = Int64(Date().addingTimeInterval(-40 * 86_400).timeIntervalSince1970 * 1000)
        old.receivedAtMs = then
        let a = try #require(try await client.submitAppeal(.init(appeal: old),
                                                           options: CallOptions(metadata: [RPCHeader.effectiveTime: String(then)])).appeal)
        #expect(a.registeredAtMs == then)
        let fresh = try #require(try await client.submitAppeal(.init(appeal: Self.incoming("fresh-1"))).appeal)

        #expect(try await built.watcher.tick() == 2)   // forward (7 days) and answer (30 days)
        #expect(try await built.watcher.tick() == 0)   // once only
        let history = try await client.getAppeal(.init(id: a.id)).history.filter { $0.type == .deadlineMissed }
        #expect(Set(history.map { String($0.comment.prefix(while: { $0 != " " })) }) == ["forward", "answer"])
        #expect(try await client.getAppeal(.init(id: fresh.id)).history.allSatisfy { $0.type != .deadlineMissed })
        let overdue = try await client.listAppeals(.init(overdueOnly: true))
        #expect(overdue.appeals.map(\.id) == [a.id])

        // Importing an action earlier than the appeal's last change is refused.
        await #expect(throws: RPCError.self) {
            _ = try await client.transition(.init(id: a.id, action: .assign, agencyId: "x"),
                                            options: CallOptions(metadata: [RPCHeader.effectiveTime: String(then - 1000)]))
        }
        }
    }

    @Test func listFiltersAndPaging() async throws {
        try await withAppealService { cluster, env, built, client in
        for i in 0..<23 {
            var inc = Self.incoming("p-\(i)", channel: i % 2 == 0 ? .pos : .email,
                                    text: i % 3 == 0 ? "Яма на дороге у школы" : "Нет отопления в квартире")
            inc.receivedAtMs = 1_760_000_000_000 + Int64(i) * 60_000
            _ = try await client.submitAppeal(.init(appeal: inc))
        }
        var seen: [String] = []
        var token = ""
        repeat {
            let page = try await client.listAppeals(.init(page: .init(pageSize: 10, pageToken: token)))
            #expect(page.totalCount == 23)
            seen += page.appeals.map(\.externalId)
            token = page.nextPageToken
        } while !token.isEmpty
        #expect(seen.count == 23)
        #expect(Set(seen).count == 23)
        #expect(seen.first == "p-22")   // newest first

        let emails = try await client.listAppeals(.init(channels: [.email]))
        #expect(emails.totalCount == 11)
        let roads = try await client.listAppeals(.init(textQuery: "дорога"))   // Russian stemming: дороге ~ дорога
        #expect(roads.totalCount == 8)
        await #expect(throws: RPCError.self) { _ = try await client.listAppeals(.init(page: .init(pageToken: "garbage"))) }
        let stats = try await client.getStats(.init())
        #expect(stats.total == 23)
        #expect(stats.byChannel.first(where: { $0.key == "pos" })?.count == 12)
        }
    }

    @Test func intakeOverJetStreamSurvivesServiceDowntimeAndKeepsBadInput() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { env.close() }
            try await env.jetStream.ensureStream(Streams.intake)
            // Published while AppealService is not running.
            for i in 0..<5 {
                let msg = Self.incoming("tg-\(i)", channel: .messenger)
                try await env.jetStream.publish(subject: Subjects.Intake.subject(for: .messenger), payload: msg.serializedBytes(), messageID: "messenger:tg-\(i)")
            }
            // A duplicate delivery from the publisher (different msg id) and two bad messages.
            try await env.jetStream.publish(subject: Subjects.Intake.subject(for: .messenger), payload: Self.incoming("tg-0", channel: .messenger).serializedBytes())
            try await env.jetStream.publish(subject: Subjects.Intake.subject(for: .email), payload: [0xFF, 0x01, 0x02])
            try await env.jetStream.publish(subject: Subjects.Intake.subject(for: .email), payload: AppealV1.IncomingAppeal(channel: .email, externalId: "e-empty").serializedBytes())
            // Channel taken from the subject when the publisher left it unset.
            try await env.jetStream.publish(subject: Subjects.Intake.subject(for: .portal), payload: Self.incoming("portal-1", channel: .unspecified).serializedBytes())

            let built = try await AppealServiceApp.build(env: env)
            let pool = try env.requirePool()
            try await withServices(built.services, logger: cluster.logger) {
                let done = try await eventually {
                    let n = try await pool.query("SELECT (SELECT count(*) FROM appeal.appeals) AS a, (SELECT count(*) FROM appeal.rejected_intake) AS r").first
                    return n?.int("a") == 6 && n?.int("r") == 2
                }
                #expect(done)
                let reasons = try await pool.query("SELECT reason FROM appeal.rejected_intake ORDER BY reason").rows.map { $0.string("reason") }
                #expect(reasons.first?.contains("not a valid veche.appeal.v1.IncomingAppeal") == true)
                #expect(reasons.last == "text is empty")
                let portal = try await pool.query("SELECT channel FROM appeal.appeals WHERE external_id = 'portal-1'").first
                #expect(portal?.string("channel") == "portal")
            }
        }
    }

    @Test func lifecycleEventsArePublishedInOrderToJetStream() async throws {
        try await withAppealService { cluster, env, built, client in
        let a = try #require(try await client.submitAppeal(.init(appeal: Self.incoming("ev-1"))).appeal)
        _ = try await client.transition(.init(id: a.id, action: .forward, agencyId: "rpn-kursk"))
        _ = try await client.answerAppeal(.init(id: a.id, answerText: "Ответ дан"))
        _ = try await client.transition(.init(id: a.id, action: .close))
        let pool = try env.requirePool()
        #expect(try await eventually { try await pool.query("SELECT count(*) AS n FROM appeal.appeal_events WHERE published_at IS NULL").first?.int("n") == 0 })
        // Read the stream back from the start.
        let consumed = EventsSeen()
        let consumer = JetStreamConsumer(jetStream: env.jetStream, stream: Subjects.AppealEvents.stream, durable: "test-reader",
                                         filterSubject: Subjects.AppealEvents.wildcard, logger: cluster.logger) { msg in
            if let e = try? AppealV1.AppealEvent(serializedBytes: msg.message.payload) { consumed.add(e, subject: msg.message.subject) }
            return .ack
        }
        let all = try await withServices([consumer], logger: cluster.logger) {
            try await eventually { consumed.count == 5 }
        }
        #expect(all)
        #expect(consumed.types == [.received, .registered, .forwarded, .answered, .closed])
        #expect(consumed.subjects.last == "veche.events.v1.appeal.closed")
        #expect(consumed.last?.appeal?.status == .closed)
        }
    }

    @Test func deadlineHeaderAndNoResponders() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { env.close() }
            let client = AppealV1.AppealService.Client(transport: env.nats)
            await #expect(throws: RPCError.self) {
                _ = try await client.getAppeal(.init(id: "x"), options: CallOptions(timeout: .milliseconds(500)))
            }
            do {
                _ = try await client.getAppeal(.init(id: "x"))
            } catch let e as RPCError {
                #expect(e.code == .unavailable)
            }
            let built = try await AppealServiceApp.build(env: env)
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                // A request whose deadline already passed is refused with 504 before any work.
                let past = String(Int64(Date().timeIntervalSince1970 * 1000) - 1000)
                let reply = try await env.nats.requestMessage(subject: AppealV1.AppealService.Method.GetStats.subject, payload: [],
                                                              headers: [RPCHeader.deadline: past], timeout: .seconds(2))
                #expect(reply.headers[RPCHeader.serviceErrorCode] == "504")
                // Garbage payload: 400 with the message type named.
                let bad = try await env.nats.requestMessage(subject: AppealV1.AppealService.Method.GetAppeal.subject, payload: [0xFF, 0xFF],
                                                            headers: [:], timeout: .seconds(2))
                #expect(bad.headers[RPCHeader.serviceErrorCode] == "400")
                #expect(bad.headers[RPCHeader.serviceError]?.contains("veche.appeal.v1.GetAppealRequest") == true)
            }
        }
    }

    @Test func discoveryFollowsADR32() async throws {
        try await withAppealService { cluster, env, built, client in
        _ = try await client.getStats(.init())
        _ = try? await client.getAppeal(.init(id: "nope"))
        func json(_ subject: String) async throws -> [String: Any] {
            let reply = try await env.nats.requestMessage(subject: subject, payload: [], headers: [:], timeout: .seconds(2))
            return try #require(try JSONSerialization.jsonObject(with: Data(reply.payload)) as? [String: Any])
        }
        let ping = try await json("$SRV.PING.AppealService")
        #expect(ping["type"] as? String == "io.nats.micro.v1.ping_response")
        #expect(ping["id"] as? String == built.host.id)
        let info = try await json("$SRV.INFO.AppealService.\(built.host.id)")
        let endpoints = try #require(info["endpoints"] as? [[String: Any]])
        #expect(endpoints.count == 7)
        #expect(endpoints.allSatisfy { $0["queue_group"] as? String == "q" })
        let stats = try await json("$SRV.STATS")
        let started = try #require(stats["started"] as? String)
        #expect(started.contains("."))
        let es = try #require(stats["endpoints"] as? [[String: Any]])
        let getAppeal = try #require(es.first { $0["name"] as? String == "GetAppeal" })
        #expect(getAppeal["num_requests"] as? Int == 1)
        #expect(getAppeal["num_errors"] as? Int == 1)
        #expect((getAppeal["last_error"] as? String)?.hasPrefix("404") == true)
        }
    }
}

/// A running AppealService (own nats-server and database) with a typed client, for one test.
func withAppealService(_ body: (TestCluster, ServiceEnvironment, AppealServiceApp.Built, AppealV1.AppealService.Client) async throws -> Void) async throws {
    try await withCluster { cluster in
        let env = try await cluster.environment("appeal", schema: AppealSchema.name)
        defer { env.close() }
        let built = try await AppealServiceApp.build(env: env)
        try await withServices(built.services, logger: cluster.logger) {
            await built.host.waitUntilReady()
            try await body(cluster, env, built, AppealV1.AppealService.Client(transport: env.nats))
        }
    }
}

final class EventsSeen: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [(AppealV1.AppealEvent, String)] = []
    func add(_ e: AppealV1.AppealEvent, subject: String) { lock.withLock { events.append((e, subject)) } }
    var count: Int { lock.withLock { events.count } }
    var types: [AppealV1.EventType] { lock.withLock { events.map(\.0.type) } }
    var subjects: [String] { lock.withLock { events.map(\.1) } }
    var last: AppealV1.AppealEvent? { lock.withLock { events.last?.0 } }
}
