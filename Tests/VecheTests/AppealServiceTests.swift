import Contracts
import VecheTestSupport
import Foundation
import Logging
import Testing
import VecheAuth
import VecheRuntime
@testable import AgencyService
@testable import AppealService

/// Who acts in these tests: an integrating system files, the operator triages, the executor of the
/// Ministry of housing works and answers, the citizen rates with the token given at intake.
let posSystem = TestPrincipal.client("veche-integration-pos")
let importer = TestPrincipal.client("veche-import")
let operatorUser = TestPrincipal.user("operator")
let housingExecutor = TestPrincipal.user("executor-zhkh")

@Suite("AppealService end to end (real nats-server, PostgreSQL and OIDC provider)", .serialized)
struct AppealServiceTests {
    static func incoming(_ ext: String, channel: AppealV1.Channel = .pos, text: String = "Не вывозят мусор с контейнерной площадки во дворе") -> AppealV1.IncomingAppeal {
        AppealV1.IncomingAppeal(channel: channel, externalId: ext, author: CommonV1.Person(fullName: "Петров П.П.", email: "p@example.ru"),
                                title: "Мусор", text: text, address: "Курск, ул. Ленина, 5", municipalityOktmo: "38701000")
    }

    @Test func submitLifecycleAnswerRateAndErrors() async throws {
        try await withAppealService { cluster, env, built, _ in
        let intake = try await cluster.appeals(as: posSystem)
        let ops = try await cluster.appeals(as: operatorUser)
        let executor = try await cluster.appeals(as: housingExecutor)

        let first = try await intake.submitAppeal(.init(appeal: Self.incoming("pos-1")))
        #expect(!first.alreadyExisted)
        let a = try #require(first.appeal)
        #expect(a.status == .assigned)                     // registered and routed by AgencyService
        #expect(a.number.hasPrefix("20"))
        #expect(a.registeredAtMs > 0)
        let d = try #require(a.deadlines)
        #expect(d.registerDueMs > a.receivedAtMs)
        #expect(d.answerDueMs - a.registeredAtMs >= 30 * 86_400_000 - 86_400_000)
        let citizenToken = first.citizenToken
        #expect(CitizenToken.isWellFormed(citizenToken))

        // Idempotent on (channel, external id); the replay names the appeal but returns no token and no personal data.
        let again = try await intake.submitAppeal(.init(appeal: Self.incoming("pos-1")))
        #expect(again.alreadyExisted)
        #expect(again.appeal?.id == a.id)
        #expect(again.citizenToken.isEmpty)
        #expect(again.appeal?.author == nil)

        // Invalid input: clear error with a numeric code.
        await #expect(throws: RPCError(.invalidArgument, "text is empty")) {
            _ = try await intake.submitAppeal(.init(appeal: .init(channel: .pos, externalId: "e-1", text: "   ")))
        }
        // An integrating system files only on its own channel.
        await #expect(throws: RPCError.self) { _ = try await intake.submitAppeal(.init(appeal: Self.incoming("mail-1", channel: .email))) }

        // Illegal transition.
        do {
            _ = try await ops.transition(.init(id: a.id, action: .close))
            Issue.record("closing an assigned appeal must fail")
        } catch let e as RPCError {
            #expect(e.code == .failedPrecondition)
            #expect(e.message.contains("cannot close"))
        }

        let assigned = try await ops.transition(.init(id: a.id, action: .assign, agencyId: "kursk-zhkh"))
        #expect(assigned.appeal?.status == .assigned)
        let started = try await executor.transition(.init(id: a.number, action: .start))
        #expect(started.appeal?.status == .inProgress)
        let extended = try await executor.transition(.init(id: a.id, action: .extend, comment: "нужна проверка на месте"))
        #expect(extended.appeal?.status == .extended)
        #expect((extended.appeal?.deadlines?.answerDueMs ?? 0) > (started.appeal?.deadlines?.answerDueMs ?? 0))
        await #expect(throws: RPCError.self) { _ = try await executor.transition(.init(id: a.id, action: .extend)) }

        // Optimistic concurrency.
        await #expect(throws: RPCError.self) {
            _ = try await executor.answerAppeal(.init(id: a.id, answerText: "x", expectedVersion: 1))
        }
        let answered = try await executor.answerAppeal(.init(id: a.id, answerText: "Контейнерная площадка убрана", complete: true,
                                                             expectedVersion: extended.appeal?.version ?? 0))
        #expect(answered.appeal?.status == .answered)
        // The citizen rates the answer, once.
        let citizen = try await cluster.appeals(citizen: citizenToken)
        await #expect(throws: RPCError.self) { _ = try await citizen.rateAppeal(.init(satisfaction: 9)) }
        let rated = try await citizen.rateAppeal(.init(satisfaction: 2, comment: "убрали не полностью"))
        #expect(rated.appeal?.satisfaction == 2)
        do {
            _ = try await citizen.rateAppeal(.init(satisfaction: 5))
            Issue.record("a second rating of the same answer must be refused")
        } catch let e as RPCError {
            #expect(e.code == .failedPrecondition)
        }
        // Staff cannot rate on the citizen's behalf.
        await #expect(throws: RPCError(.permissionDenied, "user:operator may not call AppealService.RateAppeal")) {
            _ = try await ops.rateAppeal(.init(id: a.id, satisfaction: 5))
        }
        let reopened = try await ops.transition(.init(id: a.id, action: .reopen))
        #expect(reopened.appeal?.reopenCount == 1)

        let full = try await ops.getAppeal(.init(id: a.id))
        #expect(full.history.map(\.type) == [.received, .registered, .assigned, .assigned, .started, .extended, .answered, .rated, .reopened])
        #expect(full.history.map(\.sequence) == Array(1...9))
        #expect(try await ops.getAppeal(.init(id: a.number)).history == full.history, "by number: the same appeal and history")
        // Every actor is the authenticated identity that acted.
        #expect(full.history.map(\.actor) == ["client:veche-integration-pos", "system:auto-registration", "system:routing", "user:operator",
                                              "user:executor-zhkh", "user:executor-zhkh", "user:executor-zhkh", "citizen", "user:operator"])
        // The citizen sees the own appeal by token, staff named by role only.
        let own = try await citizen.getAppeal(.init())
        #expect(own.appeal?.id == a.id)
        #expect(own.history.contains { $0.actor == "staff" })
        #expect(!own.history.contains { $0.actor.hasPrefix("user:") })

        await #expect(throws: RPCError(.notFound, "appeal 00000000-0000-0000-0000-000000000000 not found")) {
            _ = try await ops.getAppeal(.init(id: "00000000-0000-0000-0000-000000000000"))
        }
        _ = built
        _ = env
        }
    }

    @Test func intakeClassifiesRedactsFlagsAndGroupsDuplicates() async throws {
        try await withAppealService { cluster, _, _, ops in
        var heating = Self.incoming("pos-heat", text: "В квартире нет отопления, батареи холодные. Мой телефон +7 (910) 123-45-67, Иванов Иван Петрович, кв. 15")
        heating.location = CommonV1.GeoPoint(latitude: 51.7373, longitude: 36.1873)
        let pos = try await cluster.appeals(as: posSystem)
        let a = try #require(try await pos.submitAppeal(.init(appeal: heating)).appeal)
        #expect(a.topicCode == "housing")
        #expect(a.classificationConfidence > 0.5)
        #expect(!a.redactedText.contains("123-45-67"))
        #expect(!a.redactedText.contains("Иванов Иван Петрович"))
        #expect(a.monitoringFlags.isEmpty)
        #expect(!a.agencyId.isEmpty)   // routed by topic through AgencyService
        let stored = try #require(try await ops.getAppeal(.init(id: a.id)).appeal)
        #expect(stored.text.contains("123-45-67"))   // the original is kept for the answer

        // The same problem reported in a social network a few metres away joins the group.
        var again = Self.incoming("vk-heat", channel: .social, text: "Нет отопления в доме, батареи холодные, в квартирах холодно")
        again.location = CommonV1.GeoPoint(latitude: 51.7374, longitude: 36.1874)
        let b = try #require(try await cluster.appeals(as: .client("veche-integration-social")).submitAppeal(.init(appeal: again)).appeal)
        #expect(b.problemGroupId == a.problemGroupId)
        #expect((b.deadlines?.firstReactionDueMs ?? 0) > 0)   // social media: working-hours clock

        let bribe = try #require(try await pos.submitAppeal(.init(appeal: Self.incoming("pos-bribe",
            text: "Врач в поликлинике требует взятку за выдачу справки"))).appeal)
        let flagged = try #require(try await ops.getAppeal(.init(id: bribe.id)).appeal)
        #expect(flagged.monitoringFlags.contains("corruption"))
        #expect(flagged.problemGroupId != a.problemGroupId)
        let group = try await ops.listAppeals(.init(problemGroupId: a.problemGroupId))
        #expect(group.totalCount == 2)
        }
    }

    @Test func deadlineWatcherAlertsOncePerMissedDeadline() async throws {
        try await withAppealService { cluster, _, built, ops in
        // Imported from a legacy system: received and registered 40 days ago, never forwarded or answered.
        let archive = try await cluster.appeals(as: importer)
        var old = Self.incoming("legacy-1")
        let then = Int64(Date().addingTimeInterval(-40 * 86_400).timeIntervalSince1970 * 1000)
        old.receivedAtMs = then
        old.text = "Просьба разъяснить порядок получения субсидии"
        let backdated = CallOptions(metadata: [RPCHeader.effectiveTime: String(then)])
        let a = try #require(try await archive.submitAppeal(.init(appeal: old), options: backdated).appeal)
        #expect(a.registeredAtMs == then)
        // Only the import role may backdate: anyone else is refused, nothing is stored.
        var other = Self.incoming("legacy-2")
        other.receivedAtMs = then
        do {
            _ = try await cluster.appeals(as: posSystem).submitAppeal(.init(appeal: other), options: backdated)
            Issue.record("backdating by an integrating system must be refused")
        } catch let e as RPCError {
            #expect(e.code == .permissionDenied)
            #expect(e.message.contains("Veche-Effective-Time-Ms"))
        }
        await #expect(throws: RPCError.self) {
            _ = try await ops.transition(.init(id: a.id, action: .forward, agencyId: "kursk-zhkh"), options: backdated)
        }
        let fresh = try #require(try await cluster.appeals(as: posSystem).submitAppeal(.init(appeal: Self.incoming("fresh-1"))).appeal)

        let missed = try await built.watcher.tick()
        #expect(missed >= 1)                               // the answer (30 days) of the imported one; forward too if not routed
        #expect(try await built.watcher.tick() == 0)       // once only
        let history = try await ops.getAppeal(.init(id: a.id)).history.filter { $0.type == .deadlineMissed }
        #expect(Set(history.map { String($0.comment.prefix(while: { $0 != " " })) }).isSuperset(of: ["answer"]))
        #expect(try await ops.getAppeal(.init(id: fresh.id)).history.allSatisfy { $0.type != .deadlineMissed })
        let overdue = try await ops.listAppeals(.init(overdueOnly: true))
        #expect(overdue.appeals.map(\.id) == [a.id])

        // Importing an action earlier than the appeal's last change is refused.
        await #expect(throws: RPCError.self) {
            _ = try await archive.transition(.init(id: a.id, action: .assign, agencyId: "kursk-zhkh"),
                                             options: CallOptions(metadata: [RPCHeader.effectiveTime: String(then - 1000)]))
        }
        }
    }

    @Test func listFiltersAndPaging() async throws {
        try await withAppealService { cluster, _, _, ops in
        let archive = try await cluster.appeals(as: importer)
        for i in 0..<23 {
            var inc = Self.incoming("p-\(i)", channel: i % 2 == 0 ? .pos : .email,
                                    text: i % 3 == 0 ? "Яма на дороге у школы" : "Нет отопления в квартире")
            inc.receivedAtMs = 1_760_000_000_000 + Int64(i) * 60_000
            _ = try await archive.submitAppeal(.init(appeal: inc))
        }
        var seen: [String] = []
        var token = ""
        repeat {
            let page = try await ops.listAppeals(.init(page: .init(pageSize: 10, pageToken: token)))
            #expect(page.totalCount == 23)
            seen += page.appeals.map(\.externalId)
            token = page.nextPageToken
        } while !token.isEmpty
        #expect(seen.count == 23)
        #expect(Set(seen).count == 23)
        #expect(seen.first == "p-22")   // newest first

        let emails = try await ops.listAppeals(.init(channels: [.email]))
        #expect(emails.totalCount == 11)
        let roads = try await ops.listAppeals(.init(textQuery: "дорога"))   // Russian stemming: дороге ~ дорога
        #expect(roads.totalCount == 8)
        await #expect(throws: RPCError.self) { _ = try await ops.listAppeals(.init(page: .init(pageToken: "garbage"))) }
        let stats = try await ops.getStats(.init())
        #expect(stats.total == 23)
        #expect(stats.byChannel.first(where: { $0.key == "pos" })?.count == 12)
        }
    }

    /// Starts a seeded AgencyService and AppealService on `env` (intake published before is consumed now) and runs
    /// `body` with the appeal database while they run.
    static func startingAgencyAndAppealService(_ cluster: TestCluster, _ env: ServiceEnvironment,
                                               _ body: (PGPool) async throws -> Void) async throws {
        let agencyEnv = try await cluster.environment("agency", schema: AgencySchema.name)
        defer { agencyEnv.close() }
        let agency = try await AgencyServiceApp.build(env: agencyEnv, seed: true)
        let built = try await AppealServiceApp.build(env: env)
        let pool = try env.requirePool()
        try await withServices(agency.services + built.services, logger: cluster.logger) { try await body(pool) }
    }

    @Test func intakeOverJetStreamSurvivesServiceDowntimeAndKeepsBadInput() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { env.close() }
            try await env.jetStream.ensureStream(Streams.intake)
            let (bus, js) = try await cluster.jetStream(as: BusPermissions.integration("messenger"))
            let (mailBus, mailJS) = try await cluster.jetStream(as: BusPermissions.integration("email"))
            let (portalBus, portalJS) = try await cluster.jetStream(as: BusPermissions.integration("portal"))
            defer { bus.close(); mailBus.close(); portalBus.close() }
            func auth(_ client: String) async throws -> [String: String] {
                [RPCHeader.authorization: "Bearer " + (try await Tokens.shared.token(.client(client)))]
            }
            let messenger = try await auth("veche-integration-messenger")
            let mail = try await auth("veche-integration-email")
            // Published while AppealService is not running.
            for i in 0..<5 {
                let msg = Self.incoming("tg-\(i)", channel: .messenger)
                try await js.publish(subject: Subjects.Intake.subject(for: .messenger), payload: msg.serializedBytes(), messageID: "messenger:tg-\(i)",
                                     headers: messenger)
            }
            // A duplicate delivery from the publisher (different msg id) and bad messages.
            try await js.publish(subject: Subjects.Intake.subject(for: .messenger), payload: Self.incoming("tg-0", channel: .messenger).serializedBytes(),
                                 headers: messenger)
            try await mailJS.publish(subject: Subjects.Intake.subject(for: .email), payload: [0xFF, 0x01, 0x02], headers: mail)
            try await mailJS.publish(subject: Subjects.Intake.subject(for: .email),
                                     payload: AppealV1.IncomingAppeal(channel: .email, externalId: "e-empty").serializedBytes(), headers: mail)
            // No token: refused and kept. Another system's token on this channel: refused and kept.
            try await mailJS.publish(subject: Subjects.Intake.subject(for: .email), payload: Self.incoming("mail-anon", channel: .email).serializedBytes())
            try await mailJS.publish(subject: Subjects.Intake.subject(for: .email), payload: Self.incoming("mail-foreign", channel: .email).serializedBytes(),
                                     headers: messenger)
            // A NUL inside the external id: refused and kept, never cut short into another appeal's id.
            try await mailJS.publish(subject: Subjects.Intake.subject(for: .email),
                                     payload: Self.incoming("mail-1%00evil", channel: .email).serializedBytesWithRawBytes(), headers: mail)
            // Channel taken from the subject when the publisher left it unset.
            try await portalJS.publish(subject: Subjects.Intake.subject(for: .portal), payload: Self.incoming("portal-1", channel: .unspecified).serializedBytes(),
                                       headers: try await auth("veche-integration-portal"))

            try await Self.startingAgencyAndAppealService(cluster, env) { pool in
                let done = try await eventually(timeout: .seconds(30)) {
                    let n = try await pool.query("SELECT (SELECT count(*) FROM appeal.appeals) AS a, (SELECT count(*) FROM appeal.rejected_intake) AS r").first
                    return n?.int("a") == 6 && n?.int("r") == 5
                }
                #expect(done)
                let reasons = try await pool.query("SELECT reason, headers::text AS h FROM appeal.rejected_intake ORDER BY stream_sequence").rows
                #expect(reasons.map { $0.string("reason") }.contains { $0.contains("not a valid veche.appeal.v1.IncomingAppeal") })
                #expect(reasons.map { $0.string("reason") }.contains("text is empty"))
                #expect(reasons.map { $0.string("reason") }.contains { $0.hasPrefix("refused: ") && $0.contains("needs credentials") })
                #expect(reasons.map { $0.string("reason") }.contains { $0.contains("may not submit appeals on channel email") })
                #expect(reasons.map { $0.string("reason") }.contains { $0.contains("external_id contains a NUL character") })
                // Credentials are never stored with a rejected message.
                #expect(reasons.allSatisfy { !$0.string("h").contains("Bearer") })
                let portal = try await pool.query("SELECT channel FROM appeal.appeals WHERE external_id = 'portal-1'").first
                #expect(portal?.string("channel") == "portal")
                let actors = try await pool.query("SELECT DISTINCT actor FROM appeal.appeal_events WHERE type = 'received' ORDER BY 1").rows.map { $0.string("actor") }
                #expect(actors == ["client:veche-integration-messenger", "client:veche-integration-portal"])
            }
        }
    }

    /// Intake stores a fetched batch as a unit: 300 messages (more than one fetch of 256) with 20 re-sent external
    /// ids become 280 appeals, each once; every appeal's outbox events run received → registered (→ assigned) with
    /// sequences 1…n matching the row's event counter, each event carries the appeal as it was after that step
    /// (version = sequence, the stored number), and every appeal has its one audit entry.
    @Test func batchIntakeStoresEachAppealOnceWithOrderedEventsAndAudit() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { env.close() }
            try await env.jetStream.ensureStream(Streams.intake)
            let (bus, js) = try await cluster.jetStream(as: BusPermissions.integration("portal"))
            defer { bus.close() }
            let headers = [RPCHeader.authorization: "Bearer " + (try await Tokens.shared.token(.client("veche-integration-portal")))]
            let texts = ["Не вывозят мусор с контейнерной площадки во дворе", "Яма на дороге у дома, прошу отремонтировать",
                         "Нет горячей воды третий день", "В подъезде не горит свет"]
            var messages: [NatsMessage] = []
            for i in 0..<300 {
                let ext = i < 280 ? "batch-\(i)" : "batch-\(i - 280)"   // the last 20 repeat earlier ids (new message ids)
                let payload = Self.incoming(ext, channel: .portal, text: texts[i % texts.count] + " (\(i))").serializedBytes()
                messages.append(NatsMessage(subject: Subjects.Intake.subject(for: .portal), headers: headers.merging(["Nats-Msg-Id": "m-\(i)"]) { a, _ in a },
                                            payload: payload))
            }
            for r in await js.publish(messages) { _ = try r.get() }

            try await Self.startingAgencyAndAppealService(cluster, env) { pool in
                let stored = try await eventually(timeout: .seconds(60)) {
                    try await pool.query("SELECT count(*) AS n FROM appeal.appeals").first?.int("n") == 280
                }
                #expect(stored)
                // Each appeal's events commit with it (one transaction per batch), so they are all visible now.
                #expect(try await pool.query("SELECT count(*) AS n FROM appeal.rejected_intake").first?.int("n") == 0)
                // No reply carries a citizen token back over JetStream, so none is made (the RPC's is tested above).
                #expect(try await pool.query("SELECT count(*) AS n FROM appeal.appeals WHERE citizen_token_hash IS NOT NULL").first?.int("n") == 0)
                let rows = try await pool.query("SELECT id::text AS id, number, version, event_seq FROM appeal.appeals").rows
                var byID: [String: (number: String, version: Int64, events: Int64)] = [:]
                for r in rows { byID[r.string("id")] = (r.string("number"), r.int("version"), r.int("event_seq")) }
                let events = try await pool.query("SELECT appeal_id::text AS a, seq, type, payload FROM appeal.appeal_events ORDER BY appeal_id, seq").rows
                var seen: [String: [AppealV1.AppealEvent]] = [:]
                for e in events {
                    let decoded = try AppealV1.AppealEvent(serializedBytes: try #require(PGBytes.decode(e.string("payload"))))
                    #expect(decoded.sequence == e.int("seq"))
                    #expect(decoded.type.name == e.string("type"))
                    seen[e.string("a"), default: []].append(decoded)
                }
                #expect(seen.count == 280)
                for (id, list) in seen {
                    let row = try #require(byID[id])
                    #expect(list.map(\.sequence) == Array(1...Int64(list.count)))
                    #expect(Int64(list.count) == row.events)
                    #expect(list.first?.type == .received)
                    #expect(list.count < 2 || list[1].type == .registered)
                    #expect(list.allSatisfy { $0.appeal?.version == $0.sequence && $0.appeal?.number == row.number && $0.appeal?.id == id })
                    #expect(list.last?.appeal?.version == row.version)
                }
                // The audit log is append-only for services; the ЦУР's curator reads it through AgencyService.
                let audited = try await cluster.agencies(as: .user("kurator")).queryAudit(.init(action: "appeal.submit", limit: 1000)).entries
                #expect(audited.count == 280 && Set(audited.map(\.appealId)).count == 280)
            }
        }
    }

    @Test func lifecycleEventsArePublishedInOrderToJetStream() async throws {
        try await withAppealService { cluster, env, _, ops in
        let a = try #require(try await cluster.appeals(as: posSystem).submitAppeal(.init(appeal: Self.incoming("ev-1"))).appeal)
        _ = try await ops.transition(.init(id: a.id, action: .forward, agencyId: "rpn-kursk"))
        _ = try await cluster.appeals(as: importer).answerAppeal(.init(id: a.id, answerText: "Ответ дан"))
        _ = try await ops.transition(.init(id: a.id, action: .close))
        let pool = try env.requirePool()
        #expect(try await eventually { try await pool.query("SELECT count(*) AS n FROM appeal.appeal_outbox").first?.int("n") == 0 })
        // Read the stream back from the start, as the only service allowed to consume it does.
        let reader = try await cluster.environment("rating", schema: nil)
        defer { reader.close() }
        let consumed = EventsSeen()
        let consumer = JetStreamConsumer(jetStream: reader.jetStream, stream: Subjects.AppealEvents.stream, durable: "test-reader",
                                         filterSubject: Subjects.AppealEvents.wildcard, logger: cluster.logger) { msg in
            if let e = try? AppealV1.AppealEvent(serializedBytes: msg.message.payload) { consumed.add(e, subject: msg.message.subject) }
            return .ack
        }
        let all = try await withServices([consumer], logger: cluster.logger) {
            try await eventually { consumed.count == 6 }
        }
        #expect(all)
        #expect(consumed.types == [.received, .registered, .assigned, .forwarded, .answered, .closed])
        #expect(consumed.subjects.last == "veche.events.v1.appeal.closed")
        #expect(consumed.last?.appeal?.status == .closed)
        }
    }

    @Test func deadlineHeaderAndNoResponders() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { env.close() }
            let client = try await cluster.appeals(as: operatorUser)
            await #expect(throws: RPCError.self) {
                _ = try await client.getAppeal(.init(id: "x"), options: CallOptions(timeout: .milliseconds(500)))
            }
            do {
                _ = try await client.getAppeal(.init(id: "x"))
            } catch let e as RPCError {
                #expect(e.code == .unavailable)
            }
            let built = try await AppealServiceApp.build(env: env)
            let bus = try await cluster.callerBus()
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                // A request whose deadline already passed is refused with 504 before any work.
                let past = String(Int64(Date().timeIntervalSince1970 * 1000) - 1000)
                let reply = try await bus.requestMessage(subject: AppealV1.AppealService.Method.GetStats.subject, payload: [],
                                                         headers: [RPCHeader.deadline: past], timeout: .seconds(30))
                #expect(reply.headers[RPCHeader.serviceErrorCode] == "504")
                // No credentials: 401 before the payload is looked at.
                let anonymous = try await bus.requestMessage(subject: AppealV1.AppealService.Method.GetAppeal.subject, payload: [0xFF, 0xFF],
                                                             headers: [:], timeout: .seconds(30))
                #expect(anonymous.headers[RPCHeader.serviceErrorCode] == "401")
                // A token the provider never issued (signed by another key): 401.
                let forged = try await bus.requestMessage(subject: AppealV1.AppealService.Method.GetAppeal.subject, payload: [],
                                                          headers: [RPCHeader.authorization: "Bearer " + ForgedToken.tampered(try await Tokens.shared.token(operatorUser), claim: "username", value: "kurator")],
                                                          timeout: .seconds(30))
                #expect(forged.headers[RPCHeader.serviceErrorCode] == "401")
            }
        }
    }

    @Test func discoveryFollowsADR32() async throws {
        try await withAppealService { cluster, _, built, client in
        _ = try await client.getStats(.init())
        _ = try? await client.getAppeal(.init(id: "nope"))
        let ops = try await cluster.connectBus(as: BusPermissions.ops)
        defer { ops.close() }
        func json(_ subject: String) async throws -> [String: Any] {
            let reply = try await ops.requestMessage(subject: subject, payload: [], headers: [:], timeout: .seconds(30))
            return try #require(try JSONSerialization.jsonObject(with: Data(reply.payload)) as? [String: Any])
        }
        let ping = try await json("$SRV.PING.AppealService")
        #expect(ping["type"] as? String == "io.nats.micro.v1.ping_response")
        #expect(ping["id"] as? String == built.host.id)
        let info = try await json("$SRV.INFO.AppealService.\(built.host.id)")
        let endpoints = try #require(info["endpoints"] as? [[String: Any]])
        #expect(endpoints.count == 9)
        #expect(endpoints.allSatisfy { $0["queue_group"] as? String == "q" })
        let stats = try await json("$SRV.STATS.AppealService")
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

/// A running AppealService with AgencyService (the directory and the grants), and an operator's client.
func withAppealService(_ body: (TestCluster, ServiceEnvironment, AppealServiceApp.Built, AppealV1.AppealService.Client) async throws -> Void) async throws {
    try await withPlatform { platform in
        let client = try await platform.cluster.appeals(as: operatorUser)
        try await body(platform.cluster, platform.envs["appeal"]!, platform.appeal!, client)
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
    var all: [AppealV1.AppealEvent] { lock.withLock { events.map(\.0) } }
}
