import Contracts
import Foundation
import Logging
import RatingEngine
import Testing
import VecheAuth
import VecheRuntime
import VecheTestSupport
@testable import RatingService

// MARK: - Synthetic appeal events

/// One appeal's state, turned into full `AppealEvent` snapshots.
struct Snap {
    var id: String
    var agency = "ag-a"
    var oktmo = "m1"
    var topic = "zhkh"
    var category = "zhkh.heat"
    var title = ""
    var redacted = ""
    var email = ""
    var group = ""
    var registered: Date
    var answered: Date? = nil
    var deadline: Date? = nil
    var extensions: Int32 = 0
    var reopens: Int32 = 0
    var satisfaction: Int32 = 0
    var complete = false

    func event(seq: Int64, type: AppealV1.EventType = .registered, eventID: String? = nil) -> AppealV1.AppealEvent {
        func ms(_ d: Date?) -> Int64 { d.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? 0 }
        var a = AppealV1.Appeal()
        a.id = id
        a.number = "2025-" + id
        a.channel = .pos
        a.status = answered == nil ? .inProgress : .answered
        a.author = CommonV1.Person(fullName: email.isEmpty ? "" : "Иванов И.И.", email: email)
        a.title = title
        a.text = redacted.isEmpty ? title : redacted
        a.redactedText = redacted
        a.municipalityOktmo = oktmo
        a.topicCode = topic
        a.categoryCode = category
        a.agencyId = agency
        a.problemGroupId = group
        a.receivedAtMs = ms(registered)
        a.registeredAtMs = ms(registered)
        a.deadlines = AppealV1.Deadlines(answerDueMs: ms(deadline))
        a.extensionCount = extensions
        a.answeredAtMs = ms(answered)
        a.satisfaction = satisfaction
        a.reopenCount = reopens
        a.answerComplete = complete
        a.version = seq
        return AppealV1.AppealEvent(eventId: eventID ?? "\(id)-e\(seq)", type: type, occurredAtMs: ms(registered) + seq * 1000,
                                    actor: "test", appeal: a, sequence: seq)
    }
}

let hour: TimeInterval = 3600
let day: TimeInterval = 86_400
/// 2025-03-10 09:00 UTC (12:00 Moscow).
let T = Date(timeIntervalSince1970: 1_741_597_200)
/// Evaluation instant: mid-June 2025, after every deadline below.
let NOW = Date(timeIntervalSince1970: 1_750_000_000)

/// Hand-checkable settings: no shrinkage, every group ranked.
var plainSettings: RatingSettings {
    var s = RatingSettings()
    s.base.priorStrength = nil
    s.base.minVolume = 1
    return s
}

@discardableResult
func publish(_ env: ServiceEnvironment, _ e: AppealV1.AppealEvent, dedupe: Bool = true) async throws -> UInt64 {
    try await env.jetStream.publish(subject: Subjects.AppealEvents.subject(for: e.type), payload: e.serializedBytes(),
                                    messageID: dedupe ? e.eventId : nil).sequence
}

func waitFor(_ client: RatingV1.RatingService.Client, streamSequence: UInt64) async throws {
    let ok = try await eventually(timeout: .seconds(20)) {
        try await client.getProgress(.init()).lastStreamSequence >= Int64(streamSequence)
    }
    #expect(ok, "projection did not reach stream sequence \(streamSequence)")
}

/// AgencyService's stand-in on NATS (the rating's own directory data for hand-checkable figures), under the
/// agency-service bus user: it verifies callers' tokens like the real one and resolves grants from a fixed table
/// (the rating service as `service`, the curator and the head of the ЦУР). `directory: false` serves grants only,
/// as if the directory data were unreachable.
func fakeAgencyHost(_ env: ServiceEnvironment, directory: Bool = true) -> NatsServiceHost {
    let grants: [String: [Grant]] = ["client:veche-rating-service": [Grant(role: .service)], "user:kurator": [Grant(role: .curator)],
                                     "user:cur-head": [Grant(role: .centerHead)], "user:analyst": [Grant(role: .analyst)],
                                     "user:sector-head-roads": [Grant(role: .sectorHead, topicCodes: ["roads"])],
                                     "user:sector-housing": [Grant(role: .sectorResponsible, topicCodes: ["zhkh"])]]
    var endpoints = [
        RPCEndpoint(AgencyV1.AgencyService.Method.ResolveGrants.self) { request, context in
            let caller = try context.requirePrincipal()
            let key = request.principal.isEmpty ? caller.key : request.principal
            try DirectoryAccess.checkResolveGrants(caller, for: key)
            return AgencyV1.ResolveGrantsResponse(principal: key, grants: (grants[key] ?? []).map(\.wire))
        },
    ]
    if directory {
        endpoints += [
            RPCEndpoint(AgencyV1.AgencyService.Method.ListMunicipalities.self) { _, _ in
                AgencyV1.ListMunicipalitiesResponse(municipalities: [
                    AgencyV1.Municipality(oktmo: "m1", name: "Город Один", population: 100_000),
                    AgencyV1.Municipality(oktmo: "m2", name: "Район Два", population: 50_000),
                    AgencyV1.Municipality(oktmo: "m2-1", name: "Посёлок в районе Два", population: 5_000, parentOktmo: "m2"),
                ])
            },
            RPCEndpoint(AgencyV1.AgencyService.Method.ListAgencies.self) { _, _ in
                AgencyV1.ListAgenciesResponse(agencies: [
                    AgencyV1.Agency(id: "ag-a", name: "Администрация города Один", municipalityOktmo: "m1"),
                    AgencyV1.Agency(id: "ag-b", name: "Администрация района Два", municipalityOktmo: "m2"),
                    AgencyV1.Agency(id: "ag-r", name: "Министерство ЖКХ", municipalityOktmo: ""),
                ])
            },
            RPCEndpoint(AgencyV1.AgencyService.Method.ListTopics.self) { _, _ in
                AgencyV1.ListTopicsResponse(topics: [
                    AgencyV1.Topic(code: "zhkh", name: "ЖКХ", categories: [AgencyV1.Category(code: "zhkh.heat", name: "Отопление")]),
                ])
            },
        ]
    }
    let fixed = FixedGrants(table: grants)
    return NatsServiceHost(info: .init(name: AgencyV1.AgencyService.name, version: "0.0.1", description: "test directory"),
                           endpoints: endpoints, connection: env.nats,
                           authenticator: TokenAuthenticator(verifier: env.verifier, grants: fixed), logger: env.logger)
}

/// The stand-in directory's grants.
struct FixedGrants: GrantSource {
    let table: [String: [Grant]]
    func grants(for principalKey: String) async throws -> [Grant] { table[principalKey] ?? [] }
}

/// A test cluster with the directory stand-in running, RatingService's environment, and the event publisher (the
/// appeal-service bus user: nobody else may publish appeal events).
func withRatingFixture(_ label: String = #function, directory: Bool = true,
                       _ body: (TestCluster, ServiceEnvironment, ServiceEnvironment) async throws -> Void) async throws {
    try await withCluster(label) { cluster in
        let agencyEnv = try await cluster.environment("agency", schema: nil)
        let events = try await cluster.environment("appeal", schema: nil)
        let env = try await cluster.environment("rating", schema: RatingSchema.name)
        defer { env.close(); events.close(); agencyEnv.close() }
        try await events.jetStream.ensureStream(Streams.appealEvents)
        let host = fakeAgencyHost(agencyEnv, directory: directory)
        try await withServices([host], logger: cluster.logger) {
            await host.waitUntilReady()
            try await body(cluster, env, events)
        }
    }
}

@Suite("RatingService end to end (real nats-server + PostgreSQL)", .serialized)
struct RatingServiceTests {
    /// Agency A, March 2025 (Moscow time), six appeals — expectations computed by hand in comments.
    static var agencyA: [Snap] {
        [
            // answered 24 h, on time, 5, complete; author e1
            Snap(id: "a1", email: "e1@x.ru", registered: T, answered: T + 24 * hour, deadline: T + 30 * day, satisfaction: 5, complete: true),
            // same author, same category, later the same month → repeat; 47 h, on time, 4, complete
            Snap(id: "a2", email: "E1@x.ru ", registered: T + hour, answered: T + 48 * hour, deadline: T + hour + 30 * day, satisfaction: 4, complete: true),
            // late (40 d vs 30 d), 960 h, 2, incomplete, reopened
            Snap(id: "a3", category: "zhkh.other", title: "Шум от соседей", email: "e2@x.ru", registered: T + 2 * hour,
                 answered: T + 2 * hour + 40 * day, deadline: T + 2 * hour + 30 * day, reopens: 1, satisfaction: 2, complete: false),
            // never answered, deadline passed → late and overdue-open
            Snap(id: "a4", email: "e3@x.ru", registered: T + 3 * hour, deadline: T + 3 * hour + 30 * day),
            // extended to 60 d, answered at 50 d (1200 h) → on time; not rated
            Snap(id: "a5", email: "e4@x.ru", registered: T + 4 * hour, answered: T + 4 * hour + 50 * day,
                 deadline: T + 4 * hour + 60 * day, extensions: 1, complete: true),
            // 2025-02-28 22:30 UTC = 1 March 01:30 Moscow → March; anonymous; 10 h
            Snap(id: "a6", registered: Date(timeIntervalSince1970: 1_740_781_800), answered: Date(timeIntervalSince1970: 1_740_781_800 + 10 * hour),
                 deadline: Date(timeIntervalSince1970: 1_740_781_800 + 30 * day), complete: true),
        ]
    }

    static var outsideMarch: [Snap] {
        [
            // 2025-02-28 20:30 UTC = 23:30 Moscow → February
            Snap(id: "f1", email: "e9@x.ru", registered: Date(timeIntervalSince1970: 1_740_774_600), answered: Date(timeIntervalSince1970: 1_740_774_600 + hour),
                 deadline: Date(timeIntervalSince1970: 1_740_774_600 + 30 * day), satisfaction: 1),
            Snap(id: "p1", email: "e9@x.ru", registered: T + 30 * day, answered: T + 31 * day, deadline: T + 60 * day),
        ]
    }

    static var agencyB: [Snap] {
        (1...3).map { i in
            Snap(id: "b\(i)", agency: "ag-b", oktmo: "m2", topic: "roads", category: "roads.pits", email: "b\(i)@x.ru",
                 registered: T + Double(i) * hour, answered: T + Double(i) * hour + 12 * hour, deadline: T + Double(i) * hour + 30 * day,
                 satisfaction: 5, complete: true)
        }
    }

    @Test func metricsMatchHandComputation() async throws {
        try await withRatingFixture { cluster, env, events in
            let built = try await RatingServiceApp.build(env: env, settings: plainSettings, now: { NOW })
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let client = try await cluster.ratings(as: .user("kurator"))
                var last: UInt64 = 0
                for s in Self.agencyA + Self.outsideMarch + Self.agencyB {
                    // An earlier, unanswered snapshot first, then the final one.
                    var early = s
                    early.answered = nil; early.satisfaction = 0; early.reopens = 0
                    try await publish(events, early.event(seq: 1))
                    last = try await publish(events, s.event(seq: 2, type: s.answered == nil ? .started : .answered))
                }
                try await waitFor(client, streamSequence: last)

                let r = try await client.getRatings(.init(dimension: .agency, period: "2025-03"))
                #expect(r.period == "2025-03")
                #expect(r.previousPeriod == "2025-02")
                #expect(r.rows.map(\.key).sorted() == ["ag-a", "ag-b"])
                let a = try #require(r.rows.first { $0.key == "ag-a" })
                let m = try #require(a.metrics)
                #expect(a.name == "Администрация города Один")
                #expect(m.volume == 6)
                #expect(m.answered == 5)
                #expect(abs(m.onTimeShare - 4.0 / 6.0) < 1e-9)
                #expect(abs(m.medianAnswerHours - 47) < 1e-6)
                #expect(abs(m.p90AnswerHours - 1104) < 1e-6)          // type 7 over [10, 24, 47, 960, 1200]: 960 + 0.6 × 240
                #expect(abs(m.meanSatisfaction - 11.0 / 3.0) < 1e-9)
                #expect(abs(m.satisfiedShare - 2.0 / 3.0) < 1e-9)
                #expect(abs(m.reopenRate - 0.2) < 1e-9)
                #expect(abs(m.completeness - 0.8) < 1e-9)
                #expect(abs(m.repeatRate - 1.0 / 6.0) < 1e-9)
                #expect(m.repeatCount == 1)
                #expect(m.overdueOpen == 1)
                #expect(m.population == 100_000)
                #expect(abs(m.per10kPopulation - 0.6) < 1e-9)
                let b = try #require(r.rows.first { $0.key == "ag-b" })
                #expect(b.metrics?.volume == 3)
                #expect(abs((b.metrics?.per10kPopulation ?? 0) - 0.6) < 1e-9)   // 3 × 10 000 / 50 000
                // B is better on every pillar but quantity (tied): rank 1.
                // Quantity pillar tied (0.5 each); B best on speed, quality, completeness:
                // B = 0.15·0.5 + 0.35 + 0.35 + 0.15 = 0.925 → 92.5; A = 0.15·0.5 = 0.075 → 7.5.
                #expect(b.rank == 1 && a.rank == 2)
                #expect(abs(b.score - 92.5) < 1e-9)
                #expect(abs(a.score - 7.5) < 1e-9)

                let mun = try await client.getRatings(.init(dimension: .municipality, period: "2025-03"))
                #expect(mun.rows.first { $0.key == "m1" }?.name == "Город Один")
                #expect(mun.rows.first { $0.key == "m1" }?.metrics?.volume == 6)

                let topic = try await client.getRatings(.init(dimension: .category, period: "2025-03", topicCode: "zhkh"))
                #expect(Set(topic.rows.map(\.key)) == ["zhkh.heat", "zhkh.other"])
                #expect(topic.rows.first { $0.key == "zhkh.heat" }?.name == "Отопление")
                #expect(topic.rows.first { $0.key == "zhkh.heat" }?.metrics?.population == 150_000)   // region: m1 + m2

                let feb = try await client.getRatings(.init(dimension: .agency, period: "2025-02"))
                #expect(feb.rows.map(\.key) == ["ag-a"])
                #expect(feb.rows.first?.metrics?.volume == 1)

                // Region KPIs: on-time 7/9 → red; satisfaction (5+4+2+5+5+5)/6 = 4.33 → green;
                // reopen 1/8 = 0.125 → red (target 0.05 + 0.05); repeat 1/9 = 0.111 → amber.
                let kpis = try await client.getKpis(.init(period: "2025-03"))
                func kpi(_ code: String) -> RatingV1.Kpi? { kpis.kpis.first { $0.code == code } }
                #expect(abs((kpi("onTimeShare")?.value ?? 0) - 7.0 / 9.0) < 1e-9)
                #expect(kpi("onTimeShare")?.status == .red)
                #expect(kpi("meanSatisfaction")?.status == .green)
                #expect(kpi("reopenRate")?.status == .red)
                #expect(kpi("repeatRate")?.status == .amber)
                #expect(kpi("onTimeShare")?.groupKey == "region")
                let byAgency = try await client.getKpis(.init(period: "2025-03", dimension: .agency))
                #expect(byAgency.kpis.first { $0.groupKey == "ag-b" && $0.code == "onTimeShare" }?.status == .green)

                let progress = try await client.getProgress(.init())
                #expect(progress.appealsTracked == 11)
                #expect(progress.eventsApplied == 22)
                #expect(progress.lastStreamSequence == Int64(last))

                // Bad input: clear errors.
                await #expect(throws: RPCError.self) { _ = try await client.getRatings(.init(period: "2025-13")) }
                await #expect(throws: RPCError.self) { _ = try await client.getRatings(.init(dimension: .agency, period: "March")) }
            }
            // AgencyService gone: a fresh cache falls back to the copy stored in the schema.
            let pool = try env.requirePool()
            let cache = DirectoryCache(client: nil, pool: pool, logger: env.logger, timeout: .milliseconds(300))
            let dir = await cache.directory()
            #expect(dir.populations["m1"] == 100_000)
            #expect(dir.name(.agency, "ag-b") == "Администрация района Два")
        }
    }

    @Test func worksWithoutAgencyService() async throws {
        try await withRatingFixture(directory: false) { cluster, env, events in
            let built = try await RatingServiceApp.build(env: env, settings: plainSettings, now: { NOW })
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let client = try await cluster.ratings(as: .user("kurator"))
                var last: UInt64 = 0
                for s in Self.agencyA + Self.agencyB { last = try await publish(events, s.event(seq: 1)) }
                try await waitFor(client, streamSequence: last)
                let r = try await client.getRatings(.init(dimension: .agency, period: "2025-03"))
                #expect(r.rows.count == 2)
                #expect(r.rows.first { $0.key == "ag-a" }?.name == "ag-a")      // no names: keys shown
                #expect(r.rows.first { $0.key == "ag-a" }?.metrics?.per10kPopulation == 0)
                #expect(r.rows.allSatisfy { $0.rank > 0 })
            }
        }
    }

    /// Appeals nobody has been assigned to are no authority's record: the agency rating has no "(не указано)"
    /// row (issue #11), and the agencies' ranks are computed without them.
    @Test func appealsWithoutAnAgencyAreNotRanked() async throws {
        try await withRatingFixture { cluster, env, events in
            let built = try await RatingServiceApp.build(env: env, settings: plainSettings, now: { NOW })
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let client = try await cluster.ratings(as: .user("kurator"))
                let unassigned = (1...4).map { i in
                    Snap(id: "u\(i)", agency: "", oktmo: "m1", registered: T + Double(i) * hour, deadline: T + 30 * day)
                }
                var last: UInt64 = 0
                for s in Self.agencyA + Self.agencyB + unassigned { last = try await publish(events, s.event(seq: 1)) }
                try await waitFor(client, streamSequence: last)
                let r = try await client.getRatings(.init(dimension: .agency, period: "2025-03"))
                #expect(r.rows.map(\.key).sorted() == ["ag-a", "ag-b"])
                #expect(!r.rows.contains { $0.name == "(не указано)" })
                #expect(Set(r.rows.map(\.rank)) == [1, 2])
                // The territory still counts them: they were filed there.
                let mun = try await client.getRatings(.init(dimension: .municipality, period: "2025-03"))
                #expect(mun.rows.first { $0.key == "m1" }?.metrics?.volume == 10)
            }
        }
    }

    @Test func idempotentOutOfOrderAndRejected() async throws {
        try await withRatingFixture { cluster, env, events in
            let built = try await RatingServiceApp.build(env: env, settings: plainSettings, now: { NOW })
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let client = try await cluster.ratings(as: .user("kurator"))
                var s = Snap(id: "x1", email: "x@x.ru", registered: T, deadline: T + 30 * day)
                try await publish(events, s.event(seq: 1, type: .registered))
                s.answered = T + 10 * hour; s.complete = true
                let answered = s.event(seq: 2, type: .answered)
                s.satisfaction = 5
                let rated = s.event(seq: 3, type: .rated)
                // Newest first, then the older one: the older must not overwrite.
                try await publish(events, rated)
                try await publish(events, answered)
                // Duplicates that bypass the stream's de-duplication (no Nats-Msg-Id): consumer-level idempotency.
                try await publish(events, rated, dedupe: false)
                try await publish(events, rated, dedupe: false)
                // Garbage and an invalid event: kept with the reason.
                try await events.jetStream.publish(subject: Subjects.AppealEvents.subject(for: .answered), payload: [0xFF, 0x01, 0x02])
                let last = try await publish(events, AppealV1.AppealEvent(eventId: "", type: .answered, sequence: 0), dedupe: false)
                try await waitFor(client, streamSequence: last)

                let p = try await client.getProgress(.init())
                #expect(p.eventsApplied == 3)      // seq 1; seq 3 waited for seq 2, then both applied in order
                #expect(p.staleSkipped == 0)
                #expect(p.deferredEvents == 0)
                #expect(p.gapsDetected == 1)       // seq 3 arrived before seq 2 (deferred once)
                #expect(p.duplicatesSkipped == 2)
                #expect(p.rejectedEvents == 2)
                #expect(p.appealsTracked == 1)
                let r = try await client.getRatings(.init(dimension: .agency, period: "2025-03"))
                let m = try #require(r.rows.first?.metrics)
                #expect(m.volume == 1)
                #expect(m.meanSatisfaction == 5)   // snapshot of seq 3 kept
                #expect(m.answered == 1)

                let pool = try env.requirePool()
                let rejected = try await pool.query("SELECT reason, length(payload) AS n FROM rejected_events ORDER BY stream_sequence").rows
                #expect(rejected.count == 2)
                #expect(rejected.first?.string("reason").contains("not a valid veche.appeal.v1.AppealEvent") == true)
                #expect(rejected.first?.int("n") == 3)
                #expect(rejected.last?.string("reason").contains("event_id is empty") == true)
            }
        }
    }

    /// A forged event with a far-off sequence (published by a compromised publisher — the bus refuses it from
    /// anyone but AppealService) waits in `deferred_events` and does not freeze the appeal: later genuine events
    /// still apply. Sequences beyond any real history and events on the wrong subject are rejected and kept.
    @Test func forgedSequencesCannotFreezeAProjection() async throws {
        try await withRatingFixture { cluster, env, events in
            let built = try await RatingServiceApp.build(env: env, settings: plainSettings, now: { NOW })
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let client = try await cluster.ratings(as: .user("kurator"))
                var s = Snap(id: "v1", email: "v@x.ru", registered: T, deadline: T + 30 * day)
                try await publish(events, s.event(seq: 1))
                var forged = s
                forged.satisfaction = 1
                try await publish(events, forged.event(seq: 99_999, type: .rated, eventID: "forged-1"))
                try await publish(events, forged.event(seq: 1_000_000, type: .rated, eventID: "forged-2"))
                let phantom = Snap(id: "phantom", registered: T, deadline: T + 30 * day)
                try await publish(events, phantom.event(seq: 500, type: .registered))
                // An event whose subject does not match its type.
                try await events.jetStream.publish(subject: Subjects.AppealEvents.subject(for: .closed),
                                                   payload: s.event(seq: 2, type: .answered, eventID: "wrong-subject").serializedBytes())
                s.answered = T + 5 * hour
                s.satisfaction = 5
                s.complete = true
                try await publish(events, s.event(seq: 2, type: .answered))
                let last = try await publish(events, s.event(seq: 3, type: .rated))
                try await waitFor(client, streamSequence: last)
                let p = try await client.getProgress(.init())
                #expect(p.eventsApplied == 3)
                #expect(p.deferredEvents == 2)          // seq 99 999 of v1 and seq 500 of a phantom appeal wait forever
                #expect(p.rejectedEvents == 2)          // 1 000 000 is out of range; the mismatched subject
                #expect(p.appealsTracked == 1)          // no phantom appeal
                let r = try await client.getRatings(.init(dimension: .agency, period: "2025-03"))
                #expect(r.rows.first?.metrics?.meanSatisfaction == 5)   // the genuine history, not the forgery
                let pool = try env.requirePool()
                let reasons = try await pool.query("SELECT reason FROM rating.rejected_events ORDER BY stream_sequence").rows.map { $0.string("reason") }
                #expect(reasons.contains { $0.contains("sequence must be within 1...100000") })
                #expect(reasons.contains { $0.contains("on subject veche.events.v1.appeal.closed") })
            }
        }
    }

    /// Mixed data: several agencies, periods, out-of-order and duplicate deliveries.
    static func mixedEvents() -> [(AppealV1.AppealEvent, Bool)] {
        var out: [(AppealV1.AppealEvent, Bool)] = []
        let agencies = ["ag-a", "ag-b", "ag-c"]
        for i in 0..<30 {
            let reg = T + Double(i) * 20 * hour - 20 * day
            var s = Snap(id: "m\(i)", agency: agencies[i % 3], oktmo: i % 2 == 0 ? "m1" : "m2",
                         topic: i % 4 == 0 ? "roads" : "zhkh", category: i % 5 == 0 ? "zhkh.other" : "zhkh.heat",
                         title: i % 2 == 0 ? "Шум ночью" : "Запах подвала", email: "u\(i % 7)@x.ru", registered: reg,
                         deadline: reg + 30 * day)
            out.append((s.event(seq: 1), true))
            s.answered = reg + Double(i % 9 + 1) * 30 * hour
            s.complete = i % 3 != 0
            s.satisfaction = Int32(i % 5 + 1)
            s.reopens = i % 6 == 0 ? 1 : 0
            let e3 = s.event(seq: 3, type: .rated)
            s.satisfaction = 0
            let e2 = s.event(seq: 2, type: .answered)
            if i % 4 == 0 { out += [(e3, true), (e2, true)] } else { out += [(e2, true), (e3, true)] }
            if i % 5 == 0 { out.append((e3, false)) }
        }
        return out
    }

    static func snapshot(_ client: RatingV1.RatingService.Client) async throws -> [String] {
        var lines: [String] = []
        for period in ["2025-02", "2025-03", "2025-04"] {
            for d in [RatingV1.Dimension.agency, .municipality, .topic, .category] {
                let r = try await client.getRatings(.init(dimension: d, period: period))
                for row in r.rows {
                    let m = row.metrics ?? .init()
                    func f(_ x: Double) -> String { String(format: "%.9f", x) }
                    lines.append("\(period) \(d.rawValue) \(row.key) v=\(m.volume) a=\(m.answered) ot=\(f(m.onTimeShare)) med=\(f(m.medianAnswerHours)) "
                                 + "p90=\(f(m.p90AnswerHours)) sat=\(f(m.meanSatisfaction)) rep=\(f(m.repeatRate)) ro=\(f(m.reopenRate)) "
                                 + "c=\(f(m.completeness)) s=\(f(row.score)) r=\(row.rank) pr=\(row.previousRank) rc=\(row.rankChange)")
                }
            }
            let tp = try await client.getTopProblems(.init(period: period))
            for t in tp.topics {
                lines.append("\(period) top \(t.topicCode) \(t.volume) " + t.top.map { "\($0.code):\($0.count)[" + $0.breakdown.map { "\($0.code):\($0.count)" }.joined(separator: ",") + "]" }.joined(separator: " "))
            }
        }
        return lines
    }

    @Test func rebuildEqualsIncremental() async throws {
        try await withRatingFixture { cluster, env, events in
            var last: UInt64 = 0
            let first = try await RatingServiceApp.build(env: env, settings: plainSettings, now: { NOW })
            let (incremental, firstProgress) = try await withServices(first.services, logger: cluster.logger) {
                await first.host.waitUntilReady()
                let client = try await cluster.ratings(as: .user("kurator"))
                // Delivered one by one while the consumer runs (incremental).
                for (e, dedupe) in Self.mixedEvents() { last = try await publish(events, e, dedupe: dedupe) }
                try await waitFor(client, streamSequence: last)
                return (try await Self.snapshot(client), try await client.getProgress(.init()))
            }
            #expect(incremental.count > 20)
            #expect(firstProgress.durable == "rating-projection-1")

            let newDurable = try await RatingServiceApp.rebuild(env: env)
            #expect(newDurable == "rating-projection-2")
            let pool = try env.requirePool()
            #expect(try await pool.query("SELECT count(*) AS n FROM appeal_facts").first?.int("n") == 0)

            let built = try await RatingServiceApp.build(env: env, settings: plainSettings, now: { NOW })
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let client = try await cluster.ratings(as: .user("kurator"))
                try await waitFor(client, streamSequence: last)
                let rebuilt = try await Self.snapshot(client)
                #expect(rebuilt == incremental)
                let p = try await client.getProgress(.init())
                #expect(p.durable == "rating-projection-2")
                #expect(p.eventsApplied == firstProgress.eventsApplied)
                #expect(p.staleSkipped == firstProgress.staleSkipped)
                #expect(p.duplicatesSkipped == firstProgress.duplicatesSkipped)
                #expect(p.appealsTracked == 30)
            }
        }
    }

    /// Issue #10: a fetched batch applied in one transaction (`applyBatch`) leaves exactly the projection, the
    /// per-event outcomes and the counters that applying the same events one at a time (`apply`) leaves —
    /// out-of-order, duplicate, stale and gap (deferred, then drained) events included.
    @Test func batchApplyEqualsOneByOne() async throws {
        var events = Self.mixedEvents().map(\.0)
        // A gap: seq 3 of g1 before its seq 2 (deferred in both paths, drained when seq 2 arrives in the same batch),
        // and an appeal whose only event is far ahead (stays deferred).
        var g = Snap(id: "g1", email: "g@x.ru", registered: T, deadline: T + 30 * day)
        events.append(g.event(seq: 1))
        g.answered = T + 3 * hour
        events.append(g.event(seq: 3, type: .rated))
        events.append(g.event(seq: 2, type: .answered))
        events.append(Snap(id: "g2", registered: T, deadline: T + 30 * day).event(seq: 7, type: .registered))
        let numbered = events.enumerated().map { ($0.element, Int64($0.offset + 1)) }
        struct State: Equatable { var facts: [String] = [], outcomes: [String] = [], deferred: [String] = [], counters: [Int64] = [] }
        func state(_ pool: PGPool) async throws -> State {
            var st = State()
            st.facts = try await pool.query("""
                SELECT appeal_id, last_sequence, last_event_id, status, agency_id, municipality_oktmo, topic_code, category_code,
                       author_key, coalesce(sub_reason, '-') AS sr, registered_at::text AS r, coalesce(answered_at::text, '-') AS a,
                       coalesce(answer_due::text, '-') AS d, coalesce(satisfaction, -1) AS s, coalesce(answer_complete::text, '-') AS c
                FROM appeal_facts ORDER BY appeal_id
                """).rows.map { r in ["appeal_id", "last_sequence", "last_event_id", "status", "agency_id", "municipality_oktmo", "topic_code",
                                      "category_code", "author_key", "sr", "r", "a", "d", "s", "c"].map { r.string($0) }.joined(separator: "|") }
            st.outcomes = try await pool.query("SELECT event_id, outcome, stream_sequence FROM applied_events ORDER BY event_id").rows
                .map { "\($0.string("event_id")) \($0.string("outcome")) \($0.string("stream_sequence"))" }
            st.deferred = try await pool.query("SELECT event_id FROM deferred_events ORDER BY event_id").rows.map { $0.string("event_id") }
            if let r = try await pool.query("""
                SELECT events_applied, duplicates_skipped, stale_skipped, gaps_detected, last_stream_sequence FROM consumer_state
                """).first {
                st.counters = ["events_applied", "duplicates_skipped", "stale_skipped", "gaps_detected", "last_stream_sequence"].map { r.int($0) }
            }
            return st
        }
        var oneByOne = State()
        try await withRatingFixture("batchApplyEqualsOneByOne-single") { _, env, _ in
            let pool = try env.requirePool()
            try await Migrator.migrate(pool: pool, schema: RatingSchema.name, migrations: RatingSchema.migrations)
            for (e, seq) in numbered { _ = try await pool.transaction { conn in try RatingProjection.apply(conn, event: e, streamSequence: seq) } }
            oneByOne = try await state(pool)
        }
        #expect(oneByOne.facts.count == 31 && !oneByOne.deferred.isEmpty)   // 30 mixed + g1; g2 waits (deferred)
        try await withRatingFixture("batchApplyEqualsOneByOne-batch") { _, env, _ in
            let pool = try env.requirePool()
            try await Migrator.migrate(pool: pool, schema: RatingSchema.name, migrations: RatingSchema.migrations)
            // Two batches, the second repeating 20 events of the first (a redelivery after a lost ack).
            let first = try await pool.transaction { conn in try RatingProjection.applyBatch(conn, Array(numbered.prefix(60))) }
            #expect(first.applied > 0 && first.duplicates > 0 && first.deferred > 0)
            _ = try await pool.transaction { conn in try RatingProjection.applyBatch(conn, Array(numbered.dropFirst(40))) }
            var batched = try await state(pool)
            #expect(batched.facts == oneByOne.facts)
            #expect(batched.outcomes == oneByOne.outcomes)
            #expect(batched.deferred == oneByOne.deferred)
            // The same counters, but the 20 redelivered events were counted as duplicates.
            batched.counters[1] -= 20
            #expect(batched.counters == oneByOne.counters)
        }
    }

    /// The applied-event ledger is pruned by age: rows older than the retention go, newer ones stay; an event whose
    /// row was pruned and that comes back is counted stale and changes no fact (its sequence is at or below its
    /// appeal's projected one), while the others still count as duplicates.
    @Test func ledgerIsPrunedByAgeAndAPrunedEventComingBackChangesNothing() async throws {
        try await withRatingFixture { _, env, _ in
            let pool = try env.requirePool()
            try await Migrator.migrate(pool: pool, schema: RatingSchema.name, migrations: RatingSchema.migrations)
            var events: [(AppealV1.AppealEvent, Int64)] = []
            for (k, id) in ["p1", "p2", "p3"].enumerated() {
                var s = Snap(id: id, email: "\(id)@x.ru", registered: T, deadline: T + 30 * day)
                events.append((s.event(seq: 1), Int64(3 * k + 1)))
                s.answered = T + Double(k + 1) * hour
                events.append((s.event(seq: 2, type: .answered), Int64(3 * k + 2)))
                s.satisfaction = 5
                events.append((s.event(seq: 3, type: .rated), Int64(3 * k + 3)))
            }
            let batch = events
            let first = try await pool.transaction { conn in try RatingProjection.applyBatch(conn, batch) }
            #expect(first.applied == 9)
            func facts() async throws -> [String] {
                try await pool.query("SELECT appeal_id, last_sequence, last_event_id, status, coalesce(satisfaction, -1) AS s FROM appeal_facts ORDER BY appeal_id")
                    .rows.map { r in ["appeal_id", "last_sequence", "last_event_id", "status", "s"].map { r.string($0) }.joined(separator: "|") }
            }
            let before = try await facts()
            _ = try await pool.query("UPDATE applied_events SET applied_at = now() - interval '40 days' WHERE appeal_id = 'p1'")
            let removed = try await LedgerPruner.prune(pool: pool, olderThan: Date().addingTimeInterval(-30 * 86_400))
            #expect(removed == 3)
            #expect(try await pool.query("SELECT count(*) AS n FROM applied_events").first?.int("n") == 6)
            // The whole batch again (a redelivery long after p1's rows went).
            let again = try await pool.transaction { conn in try RatingProjection.applyBatch(conn, batch) }
            #expect(again == RatingProjection.BatchSummary(applied: 0, duplicates: 6, stale: 3, deferred: 0))
            #expect(try await facts() == before)
        }
    }

    @Test func weightsChangeRankingAndRankChange() async throws {
        try await withRatingFixture { cluster, env, events in
            let built = try await RatingServiceApp.build(env: env, settings: plainSettings, now: { NOW })
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let client = try await cluster.ratings(as: .user("kurator"))
                var last: UInt64 = 0
                // "fast": answers in 2 h but citizens rate 2; "kind": answers in 200 h (on time) and citizens rate 5.
                for i in 0..<4 {
                    let reg = T + Double(i) * hour
                    last = try await publish(events, Snap(id: "f\(i)", agency: "fast", email: "f\(i)@x.ru", registered: reg, answered: reg + 2 * hour,
                                                       deadline: reg + 30 * day, satisfaction: 2, complete: true).event(seq: 1))
                    last = try await publish(events, Snap(id: "k\(i)", agency: "kind", email: "k\(i)@x.ru", registered: reg, answered: reg + 200 * hour,
                                                       deadline: reg + 30 * day, satisfaction: 5, complete: true).event(seq: 1))
                }
                // February: "fast" ranked second then.
                let feb = T - 20 * day
                last = try await publish(events, Snap(id: "pf", agency: "fast", email: "pf@x.ru", registered: feb, answered: feb + 900 * hour,
                                                   deadline: feb + 30 * day, satisfaction: 1).event(seq: 1))
                last = try await publish(events, Snap(id: "pk", agency: "kind", email: "pk@x.ru", registered: feb, answered: feb + hour,
                                                   deadline: feb + 30 * day, satisfaction: 5, complete: true).event(seq: 1))
                try await waitFor(client, streamSequence: last)

                let speed = try await cluster.ratings(as: .user("cur-head")).setWeights(.init(weights: .init(quantity: 0, speed: 2, quality: 0, completeness: 0)))
                #expect(speed.weights == RatingV1.Weights(quantity: 0, speed: 1, quality: 0, completeness: 0))
                var r = try await client.getRatings(.init(dimension: .agency, period: "2025-03"))
                #expect(r.rows.map(\.key) == ["fast", "kind"])
                #expect(r.weights?.speed == 1)
                #expect(r.rows.first?.previousRank == 2)
                #expect(r.rows.first?.rankChange == 1)

                _ = try await cluster.ratings(as: .user("cur-head")).setWeights(.init(weights: .init(quantity: 1, speed: 0, quality: 3, completeness: 0)))
                r = try await client.getRatings(.init(dimension: .agency, period: "2025-03"))
                #expect(r.rows.map(\.key) == ["kind", "fast"])
                #expect(abs((r.weights?.quality ?? 0) - 0.75) < 1e-12)
                #expect(r.rows.first?.rankChange == 0)

                await #expect(throws: RPCError(.invalidArgument, "speed must be a non-negative number (got -1.0)")) {
                    _ = try await cluster.ratings(as: .user("cur-head")).setWeights(.init(weights: .init(quantity: 1, speed: -1, quality: 1, completeness: 1)))
                }
                await #expect(throws: RPCError(.invalidArgument, "weights must not all be zero")) {
                    _ = try await cluster.ratings(as: .user("cur-head")).setWeights(.init(weights: .init()))
                }
                await #expect(throws: RPCError(.invalidArgument, "weights are required")) {
                    _ = try await cluster.ratings(as: .user("cur-head")).setWeights(.init())
                }
                // The stored (normalised) weights survived the failed calls.
                r = try await client.getRatings(.init(dimension: .agency, period: "2025-03"))
                #expect(abs((r.weights?.quantity ?? 0) - 0.25) < 1e-12)
            }
        }
    }

    @Test func topProblemsPerTopic() async throws {
        try await withRatingFixture { cluster, env, events in
            let built = try await RatingServiceApp.build(env: env, settings: plainSettings, now: { NOW })
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let client = try await cluster.ratings(as: .user("kurator"))
                var last: UInt64 = 0
                var n = 0
                func add(_ topic: String, _ category: String, _ count: Int, title: String = "", redacted: String = "") async throws {
                    for _ in 0..<count {
                        n += 1
                        last = try await publish(events, Snap(id: "t\(n)", topic: topic, category: category, title: title, redacted: redacted,
                                                           registered: T + Double(n) * 60, deadline: T + 30 * day).event(seq: 1))
                    }
                }
                try await add("zhkh", "zhkh.heat", 5)
                try await add("zhkh", "zhkh.water", 4)
                try await add("zhkh", "zhkh.other", 3, title: "Шум соседей ночью")
                try await add("zhkh", "zhkh.other", 2, title: "Запах в подъезде")
                try await add("zhkh", "zhkh.other", 1, redacted: "Прошу разобраться: крысы в подвале")
                try await add("zhkh", "zhkh.lift", 1)
                try await add("roads", "roads.pits", 3)
                try await add("roads", "roads.light", 2)
                try await add("roads", "roads.snow", 1)
                try await add("roads", "roads.signs", 1)
                try await waitFor(client, streamSequence: last)

                let tp = try await client.getTopProblems(.init(period: "2025-03"))
                #expect(tp.topics.map(\.topicCode) == ["zhkh", "roads"])
                let zhkh = try #require(tp.topics.first)
                #expect(zhkh.volume == 16)
                #expect(zhkh.top.map(\.code) == ["zhkh.other", "zhkh.heat", "zhkh.water"])
                let other = try #require(zhkh.top.first)
                #expect(other.count == 6)
                #expect(other.breakdown.map(\.code) == ["шум соседей", "запах подъезде", "крысы подвале"])
                #expect(other.breakdown.map(\.count) == [3, 2, 1])
                #expect(abs(other.breakdown[0].share - 0.5) < 1e-12)
                let roads = try #require(tp.topics.last)
                #expect(roads.top.count == 3)
                #expect(roads.top.map(\.code) == ["roads.pits", "roads.light", "roads.signs"])   // tie 1–1: code order
                // per_topic below 3 is raised to 3; above is honoured.
                #expect(try await client.getTopProblems(.init(period: "2025-03", perTopic: 1)).topics.allSatisfy { $0.top.count >= 3 })
                #expect(try await client.getTopProblems(.init(period: "2025-03", perTopic: 4)).topics.first?.top.count == 4)
            }
        }
    }

    @Test func restartResumesFromDurableConsumer() async throws {
        try await withRatingFixture { cluster, env, events in
            let snaps = (0..<10).map { i in
                Snap(id: "r\(i)", email: "r\(i)@x.ru", registered: T + Double(i) * hour, answered: T + Double(i) * hour + 5 * hour,
                     deadline: T + 30 * day, satisfaction: 4, complete: true)
            }
            var last: UInt64 = 0
            do {
                let built = try await RatingServiceApp.build(env: env, settings: plainSettings, now: { NOW })
                try await withServices(built.services, logger: cluster.logger) {
                    await built.host.waitUntilReady()
                    for s in snaps.prefix(4) { last = try await publish(events, s.event(seq: 1)) }
                    try await waitFor(try await cluster.ratings(as: .user("kurator")), streamSequence: last)
                }
            }
            // Published while RatingService is down (events 5–10, plus a redelivery of an applied one).
            for s in snaps.dropFirst(4) { last = try await publish(events, s.event(seq: 1)) }
            last = try await publish(events, snaps[0].event(seq: 1), dedupe: false)

            let built = try await RatingServiceApp.build(env: env, settings: plainSettings, now: { NOW })
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let client = try await cluster.ratings(as: .user("kurator"))
                try await waitFor(client, streamSequence: last)
                let p = try await client.getProgress(.init())
                #expect(p.eventsApplied == 10)
                #expect(p.duplicatesSkipped == 1)
                #expect(p.appealsTracked == 10)
                #expect(p.durable == "rating-projection-1")
                let r = try await client.getRatings(.init(dimension: .agency, period: "2025-03"))
                #expect(r.rows.first?.metrics?.volume == 10)
            }
        }
    }

    @Test func overlappingDirectoryRefreshesNeverCollide() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("rating", schema: RatingSchema.name)
            defer { env.close() }
            let pool = try env.requirePool()
            try await Migrator.migrate(pool: pool, schema: RatingSchema.name, migrations: RatingSchema.migrations)
            // Two instances refreshing at once (the old DELETE-then-INSERT raced into 23505 directory_cache_pkey).
            let caches = (0..<2).map { _ in DirectoryCache(client: nil, pool: pool, logger: env.logger) }
            var d = Directory()
            for i in 0..<50 { d.municipalities["3870\(1000 + i)"] = .init(name: "МО \(i)", population: 1000 + i, parent: "") }
            d.agencies["ag-1"] = ("Агентство", "38701000")
            let dir = d
            try await withThrowingTaskGroup(of: Void.self) { group in
                for round in 0..<3 {
                    for cache in caches {
                        group.addTask { try await cache.store(round % 2 == 0 ? dir : Directory(municipalities: dir.municipalities)) }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await pool.query("SELECT count(*) AS n FROM rating.directory_cache WHERE kind = 'municipality'").first?.int("n") == 50)
        }
    }

    @Test func pureHelpers() throws {
        #expect(SubReason.extract(title: "", redactedText: "Прошу разобраться: крысы в подвале дома") == "крысы подвале")
        #expect(SubReason.extract(title: "Шум!", redactedText: "") == "шум")
        #expect(SubReason.extract(title: "", redactedText: "") == nil)
        // The early-stopping scan finds the same words as splitting the whole lower-cased text.
        func wholeTextSplit(_ text: String) -> String? {
            let words = text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "-" })
                .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "-")) }
                .filter { $0.count >= 3 && $0.contains(where: \.isLetter) && !SubReason.stopWords.contains($0) }
            return words.isEmpty ? nil : words.prefix(2).joined(separator: " ")
        }
        for text in ["--Вода-- не идёт", "ул. Ленина, д. 5: ПРОТЕЧКА кровли", "Прошу, прошу... 123 456 ямы", "Яма", "—северо-западный— район",
                     "ТКО: мусор не вывозят 3 дня", "Нет-нет, уже нет", "a b c", "2024 год: Отопление", "x-- --y -z- длинное"] {
            #expect(SubReason.keywords(text) == wholeTextSplit(text), "«\(text)»")
        }
        #expect(FactRow.authorIdentity(CommonV1.Person(email: " A@B.ru ")) == "e:a@b.ru")
        #expect(FactRow.authorIdentity(CommonV1.Person(phone: "+7 (912) 345-67-89")) == "p:9123456789")
        let cal = PeriodCalendar(timeZone: try #require(TimeZone(identifier: "Europe/Moscow")))
        #expect(cal.label(of: Date(timeIntervalSince1970: 1_740_781_800)) == "2025-03")
        #expect(cal.previous("2025-01") == "2024-12")
        #expect(throws: RPCError.self) { try cal.period("2025-3", asOf: NOW) }
        let w = try RatingHandlers.normalise(.init(quantity: 1, speed: 1, quality: 1, completeness: 1))
        #expect(w.quantity == 0.25)
    }
}
