import Contracts
import Foundation
import Logging
@testable import AgencyDirectory
import Taxonomy
import Testing
import VecheRuntime
import VecheTestSupport
import WorkCalendar
@testable import AgencyService

/// Instant of a Moscow wall-clock time (UTC+3, no DST since 2014).
func msk(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 0, _ min: Int = 0) -> Int64 {
    let day = CivilDate(year: y, month: m, day: d)?.dayNumber ?? 0
    return Int64(day * 86_400 + h * 3600 + min * 60 - 3 * 3600) * 1000
}

func expectRPC(_ code: RPCStatusCode, contains text: String = "", _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected RPC error \(code)")
    } catch let e as RPCError {
        #expect(e.code == code, "\(e)")
        if !text.isEmpty { #expect(e.message.contains(text), "\(e.message)") }
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

/// A seeded AgencyService on a fresh cluster, a client acting as the ЦУР head, and the service's environment.
func withSeededAgencyService(_ body: (AgencyV1.AgencyService.Client, ServiceEnvironment) async throws -> Void) async throws {
    try await withCluster { cluster in
        let env = try await cluster.environment("agency", schema: AgencySchema.name)
        defer { env.close() }
        let built = try await AgencyServiceApp.build(env: env)
        try await withServices(built.services, logger: cluster.logger) {
            await built.host.waitUntilReady()
            try await body(try await cluster.agencies(as: .user("cur-head")), env)
        }
    }
}

@Suite("AgencyService end to end (real nats-server + PostgreSQL)", .serialized)
struct AgencyServiceTests {
    static func counts(_ pool: PGPool) async throws -> [Int64] {
        try await pool.withConnection { conn in
            try ["municipalities", "agencies", "agency_social_accounts", "agency_staff", "agency_topics", "topics", "categories",
                 "routing_rules", "sla_policies"].map { table in
                try conn.query("SELECT count(*) AS n FROM \(identifier: table)").first?.int("n") ?? -1
            }
        }
    }

    @Test func seedIsIdempotentAndDirectoryQueries() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("agency", schema: AgencySchema.name)
            defer { env.close() }
            let built = try await AgencyServiceApp.build(env: env)
            let pool = try env.requirePool()
            let first = try await Self.counts(pool)
            _ = try await AgencyServiceApp.build(env: env)
            _ = try await AgencyServiceApp.build(env: env)
            #expect(try await Self.counts(pool) == first)
            #expect(first[0] == Int64(KurskSeed.municipalities.count))
            #expect(first[1] == Int64(KurskSeed.agencies.count))
            #expect(first[7] == Int64(KurskSeed.rules.count))

            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let client = try await cluster.agencies(as: .user("cur-head"))

                // Taxonomy served from the schema, identical to Taxonomy.topics.
                let topics = try await client.listTopics(.init()).topics
                #expect(topics.map(\.code) == Taxonomy.topics.map(\.code))
                #expect(topics.count == 9)
                for t in topics where t.code != "other" { #expect(t.categories.count >= 3) }
                #expect(topics.first { $0.code == "housing" }?.categories.contains { $0.code == "housing.heating" && $0.name == "Отопление" } == true)

                let munis = try await client.listMunicipalities(.init()).municipalities
                let kursk = try #require(munis.first { $0.oktmo == "38701000" })
                #expect(kursk.name == "город Курск")
                #expect(kursk.type == .urbanOkrug)
                #expect(kursk.population > 400_000)
                #expect(munis.first { $0.oktmo == "38640101" }?.parentOktmo == "38640000")

                // ListAgencies filters.
                let inKursk = try await client.listAgencies(.init(municipalityOktmo: "38701000")).agencies
                #expect(Set(inKursk.map(\.id)).isSuperset(of: ["adm-38701000", "kursk-city-roads", "kursk-city-zhkh"]))
                #expect(inKursk.allSatisfy { $0.municipalityOktmo == "38701000" })
                let utilities = try await client.listAgencies(.init(kind: .utility)).agencies
                #expect(Set(utilities.map(\.id)) == ["kursk-waste-operator", "kurskenergo", "kursk-gas", "kursk-kvadra"])
                let federal = try await client.listAgencies(.init(kind: .federalTerritorial)).agencies
                #expect(federal.map(\.id) == ["rpn-kursk"])
                let energy = try await client.listAgencies(.init(topicCode: "energy")).agencies
                #expect(energy.allSatisfy { $0.topicCodes.contains("energy") })
                #expect(energy.contains { $0.id == "kurskenergo" })
                let roadsInKursk = try await client.listAgencies(.init(municipalityOktmo: "38701000", kind: .localGovernment, topicCode: "roads")).agencies
                #expect(Set(roadsInKursk.map(\.id)) == ["adm-38701000", "kursk-city-roads"])
                await expectRPC(.invalidArgument, contains: "unknown topic_code") { _ = try await client.listAgencies(.init(topicCode: "nope")) }

                // GetAgency with children, contacts, staff, competences.
                let gov = try await client.getAgency(.init(id: "kursk-government"))
                #expect(gov.agency?.name == "Правительство Курской области")
                #expect(Set(gov.children.map(\.id)).isSuperset(of: ["kursk-zhkh", "kursk-health", "kursk-education", "kursk-transport",
                                                                     "kursk-social", "kursk-nature", "kursk-cur", "kursk-gzhi"]))
                let zhkh = try #require(gov.children.first { $0.id == "kursk-zhkh" })
                #expect(zhkh.parentId == "kursk-government")
                #expect(Set(zhkh.socialAccounts.map(\.network)) == ["vk", "ok", "telegram"])
                #expect(zhkh.staff.contains { $0.role == "head" })
                #expect(zhkh.topicCodes == ["housing", "waste", "energy"])
                #expect(zhkh.active)
                let cityAdm = try await client.getAgency(.init(id: "adm-38701000"))
                #expect(Set(cityAdm.children.map(\.id)) == ["kursk-city-roads", "kursk-city-zhkh", "kursk-city-education", "kursk-city-transport"])
                let sudzhaDistrict = try await client.getAgency(.init(id: "adm-38640000"))
                #expect(sudzhaDistrict.children.map(\.id) == ["adm-38640101"])
                await expectRPC(.notFound, contains: "no-such") { _ = try await client.getAgency(.init(id: "no-such")) }
                await expectRPC(.invalidArgument) { _ = try await client.getAgency(.init(id: "")) }
            }
        }
    }

    /// AppealService routes from its local directory copy (no call per appeal): for every topic, category and a
    /// spread of territories (cities, districts, a settlement, an unknown settlement code of a known district, an
    /// 11-digit locality), the copy picks the same agency and specificity as AgencyService's Route.
    @Test func localRoutingFromTheDirectoryCopyAgreesWithRouteRPC() async throws {
        try await withSeededAgencyService { client, _ in
            let copy = DirectorySnapshot(try await client.getDirectorySnapshot(.init()), timeZone: TimeZone(identifier: "Europe/Moscow")!)
            #expect(!copy.routingRules.isEmpty)
            let territories = ["", "38701000", "38705000", "38640000", "38640101", "38640404", "38640101001", "38626000"]
                + copy.municipalities.prefix(6).map(\.oktmo)
            var compared = 0
            for topic in Taxonomy.topics {
                for category in [""] + topic.categories.map(\.code) {
                    for oktmo in territories {
                        let local = copy.route(topic: topic.code, category: category, oktmo: oktmo)
                        do {
                            let remote = try await client.route(.init(topicCode: topic.code, categoryCode: category, municipalityOktmo: oktmo))
                            #expect(local?.agencyID == remote.agency?.id, "\(topic.code)/\(category)/\(oktmo)")
                            #expect(local?.specificity == Int(remote.specificity), "\(topic.code)/\(category)/\(oktmo)")
                        } catch let e as RPCError where e.code == .notFound {
                            #expect(local == nil, "\(topic.code)/\(category)/\(oktmo)")
                        }
                        compared += 1
                    }
                }
            }
            #expect(compared > 100)
        }
    }

    @Test func routingSpecificityFallbackAndUpsert() async throws {
        try await withSeededAgencyService { client, env in
            func route(_ t: String, _ c: String = "", _ m: String = "") async throws -> AgencyV1.RouteResponse {
                try await client.route(.init(topicCode: t, categoryCode: c, municipalityOktmo: m))
            }

            // Every topic routes region-wide (no territory).
            for t in Taxonomy.topics {
                let r = try await route(t.code)
                #expect(r.specificity == 0)
                #expect(r.agency != nil)
            }
            // topic+category+municipality (3).
            var r = try await route("roads", "roads.potholes", "38701000")
            #expect(r.agency?.id == "kursk-city-roads")
            #expect(r.specificity == 3)
            // topic+category (2) beats topic+municipality (1).
            r = try await route("housing", "housing.billing", "38701000")
            #expect(r.agency?.id == "kursk-gzhi")
            #expect(r.specificity == 2)
            // topic+municipality (1) beats topic (0).
            r = try await route("roads", "roads.traffic_lights", "38701000")
            #expect(r.agency?.id == "kursk-city-roads")
            #expect(r.specificity == 1)
            r = try await route("roads", "", "38705000")
            #expect(r.agency?.id == "adm-38705000")
            // topic only.
            r = try await route("energy", "energy.power_supply", "38701000")
            #expect(r.agency?.id == "kurskenergo")
            #expect(r.specificity == 0)
            r = try await route("energy", "energy.gas_supply", "38626000")
            #expect(r.agency?.id == "kursk-gas")
            // Category without topic: topic derived from the category code.
            r = try await route("", "health.medicines")
            #expect(r.agency?.id == "kursk-health")
            // Settlement → parent district's rule.
            r = try await route("roads", "roads.potholes", "38640101")
            #expect(r.agency?.id == "adm-38640000")
            #expect(r.rule?.municipalityOktmo == "38640000")
            #expect(r.specificity == 1)
            // Unknown settlement code of a known district → district by OKTMO structure.
            r = try await route("roads", "", "38640404")
            #expect(r.agency?.id == "adm-38640000")
            // 11-digit locality code → its settlement → district.
            r = try await route("roads", "", "38640101001")
            #expect(r.agency?.id == "adm-38640000")
            // Fallback: "other" goes to the ЦУР.
            r = try await route("other", "other.stray_animals", "38701000")
            #expect(r.agency?.id == "kursk-cur")
            #expect(r.rule?.topicCode == "other")

            // Invalid codes → invalidArgument.
            await expectRPC(.invalidArgument, contains: "topic_code is required") { _ = try await route("") }
            await expectRPC(.invalidArgument, contains: "unknown topic_code 'heating'") { _ = try await route("heating") }
            await expectRPC(.invalidArgument, contains: "belongs to topic 'roads'") { _ = try await route("housing", "roads.potholes") }
            await expectRPC(.invalidArgument, contains: "unknown category_code") { _ = try await route("housing", "housing.nope") }
            await expectRPC(.invalidArgument, contains: "not an OKTMO") { _ = try await route("housing", "", "Курск") }
            await expectRPC(.invalidArgument, contains: "unknown municipality_oktmo") { _ = try await route("housing", "", "45000000") }

            // UpsertRoutingRule round trip: a settlement-specific rule beats its district's rule.
            let saved = try await client.upsertRoutingRule(.init(rule: .init(topicCode: "roads", municipalityOktmo: "38640101",
                                                                             agencyId: "adm-38640101", priority: 5))).rule
            let rule = try #require(saved)
            #expect(!rule.id.isEmpty)
            #expect(rule.priority == 5)
            r = try await route("roads", "roads.potholes", "38640101")
            #expect(r.agency?.id == "adm-38640101")
            #expect(r.rule == rule)
            // Same natural key without id → same rule, priority updated.
            let again = try await client.upsertRoutingRule(.init(rule: .init(topicCode: "roads", municipalityOktmo: "38640101",
                                                                             agencyId: "adm-38640101", priority: 7))).rule
            #expect(again?.id == rule.id)
            #expect(again?.priority == 7)
            // Update by id (move to another agency), then list.
            let moved = try await client.upsertRoutingRule(.init(rule: .init(id: rule.id, topicCode: "roads", municipalityOktmo: "38640101",
                                                                             agencyId: "kursk-transport", priority: 7))).rule
            #expect(moved?.agencyId == "kursk-transport")
            let listed = try await client.listRoutingRules(.init(topicCode: "roads")).rules
            #expect(listed.contains(try #require(moved)))
            #expect(listed.allSatisfy { $0.topicCode == "roads" })
            #expect(try await client.listRoutingRules(.init()).rules.count == KurskSeed.rules.count + 1)

            // Priority tie-break among equally specific rules (higher wins).
            _ = try await client.upsertRoutingRule(.init(rule: .init(id: "social-cur", topicCode: "social", agencyId: "kursk-cur", priority: 10)))
            #expect(try await route("social").agency?.id == "kursk-cur")
            _ = try await client.upsertRoutingRule(.init(rule: .init(id: "social-cur", topicCode: "social", agencyId: "kursk-cur", priority: -10)))
            #expect(try await route("social").agency?.id == "kursk-social")

            // Upsert validation.
            await expectRPC(.invalidArgument, contains: "unknown rule.topic_code") {
                _ = try await client.upsertRoutingRule(.init(rule: .init(topicCode: "roadz", agencyId: "kursk-transport")))
            }
            await expectRPC(.invalidArgument, contains: "belongs to topic") {
                _ = try await client.upsertRoutingRule(.init(rule: .init(topicCode: "roads", categoryCode: "housing.roof", agencyId: "kursk-transport")))
            }
            await expectRPC(.invalidArgument, contains: "not in the agency directory") {
                _ = try await client.upsertRoutingRule(.init(rule: .init(topicCode: "roads", agencyId: "ghost")))
            }
            await expectRPC(.invalidArgument, contains: "unknown rule.municipality_oktmo") {
                _ = try await client.upsertRoutingRule(.init(rule: .init(topicCode: "roads", municipalityOktmo: "99999999", agencyId: "kursk-transport")))
            }
            await expectRPC(.invalidArgument, contains: "rule is required") { _ = try await client.upsertRoutingRule(.init()) }
            // Rejected upserts lost nothing and added nothing.
            #expect(try await client.listRoutingRules(.init()).rules.count == KurskSeed.rules.count + 2)

            // An operator edit of a seeded rule survives a restart (the seed never overwrites rules).
            let edited = try await client.upsertRoutingRule(.init(rule: .init(id: "seed:roads::38705000", topicCode: "roads",
                                                                              municipalityOktmo: "38705000", agencyId: "kursk-transport"))).rule
            #expect(edited?.agencyId == "kursk-transport")
            _ = try await AgencyServiceApp.build(env: env)
            #expect(try await route("roads", "", "38705000").agency?.id == "kursk-transport")
            #expect(try await client.listRoutingRules(.init()).rules.count == KurskSeed.rules.count + 2)
        }
    }

    @Test func notFoundWithoutRules() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("agency", schema: AgencySchema.name)
            defer { env.close() }
            // No demo region, no demo people: a new region's first head of the ЦУР comes from VECHE_BOOTSTRAP_ADMIN.
            let built = try await AgencyServiceApp.build(env: env, seed: false, roles: RoleSeed(environment: ["VECHE_BOOTSTRAP_ADMIN": "user:cur-head"]))
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let client = try await cluster.agencies(as: .user("cur-head"))
                await expectRPC(.permissionDenied) { _ = try await cluster.agencies(as: .user("operator")).listTopics(.init()) }
                // Taxonomy is always synced, even without the demo region.
                let topics = try await client.listTopics(.init()).topics
                #expect(topics.count == Taxonomy.topics.count)
                await expectRPC(.notFound, contains: "no routing rule matches topic 'housing', category 'housing.heating'") {
                    _ = try await client.route(.init(topicCode: "housing", categoryCode: "housing.heating"))
                }
                let munis = try await client.listMunicipalities(.init()).municipalities
                #expect(munis.isEmpty)
            }
        }
    }

    @Test func deadlinesAndCalendar() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("agency", schema: AgencySchema.name)
            defer { env.close() }
            let built = try await AgencyServiceApp.build(env: env)
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let client = try await cluster.agencies(as: .user("cur-head"))

                let policies = try await client.getSlaPolicies(.init())
                #expect(policies.timeZone == "Europe/Moscow")
                let pos = try #require(policies.policies.first { $0.channel == "pos" })
                #expect((pos.registerDays, pos.forwardDays, pos.answerDays, pos.extensionDays) == (3, 7, 30, 30))
                #expect(!pos.workingDays)
                #expect(policies.policies.first { $0.channel == "social" }?.firstReactionWorkingHours == 4)

                // Registered Friday 2026-12-25 10:00 MSK (59-ФЗ, calendar days, Civil Code art. 191–194).
                let start = msk(2026, 12, 25, 10)
                let d = try await client.computeDeadlines(.init(channel: "email", startMs: start))
                #expect(d.timeZone == "Europe/Moscow")
                // Register: +3 → Mon 28 Dec, due at 24:00.
                #expect(d.registerDueMs == msk(2026, 12, 29))
                // Forward: +7 → Fri 1 Jan 2027 (holiday); New Year holidays 1–8 Jan + weekend 9–10 → Mon 11 Jan.
                #expect(d.forwardDueMs == msk(2027, 1, 12))
                // Answer: +30 → Sun 24 Jan 2027 → Mon 25 Jan.
                #expect(d.answerDueMs == msk(2027, 1, 26))
                #expect(d.firstReactionDueMs == 0)
                // Extended: +60 → Tue 23 Feb 2027 (holiday) → next working day per the calendar.
                let ext = try await client.computeDeadlines(.init(channel: "email", startMs: start, extended: true))
                let cal = ProductionCalendar.russia
                let expectedLast = cal.workingDay(onOrAfter: try #require(CivilDate(year: 2027, month: 2, day: 23)))
                #expect(expectedLast > (try #require(CivilDate(year: 2027, month: 2, day: 23))))
                let next = expectedLast.adding(days: 1)
                #expect(ext.answerDueMs == msk(next.year, next.month, next.day))

                // Social-media message at 17:30 on a working day → 4 working hours → next working day 12:30.
                let s = try await client.computeDeadlines(.init(channel: "social", startMs: msk(2026, 12, 16, 17, 30)))
                #expect(s.firstReactionDueMs == msk(2026, 12, 17, 12, 30))
                #expect(s.policy?.firstReactionWorkingHours == 4)
                // Friday 17:30 → Monday 12:30.
                let fri = try await client.computeDeadlines(.init(channel: "messenger", startMs: msk(2026, 12, 25, 17, 30)))
                #expect(fri.firstReactionDueMs == msk(2026, 12, 28, 12, 30))

                await expectRPC(.notFound, contains: "known channels") { _ = try await client.computeDeadlines(.init(channel: "pigeon", startMs: start)) }
                await expectRPC(.invalidArgument) { _ = try await client.computeDeadlines(.init(channel: "", startMs: start)) }

                // GetCalendar(2026): official 247 working days, 1972 h.
                let y = try await client.getCalendar(.init(year: 2026))
                #expect(y.days.count == 365)
                #expect(y.days.filter(\.working).count == 247)
                #expect(y.workingDays == 247)
                #expect(y.workingHours == 1972)
                #expect(y.days.reduce(0) { $0 + Int($1.workingHours) } == 1972)
                #expect(y.official)
                let jan7 = try #require(y.days.first { $0.date == "2026-01-07" })
                #expect(!jan7.working && jan7.kind == "holiday" && jan7.note == "Рождество Христово")
                #expect(y.days.first { $0.date == "2026-01-09" }?.kind == "day_off")
                #expect(y.days.first { $0.date == "2026-01-12" }?.workingHours == 8)

                // A regional override is stored and applied to the calendar and the deadlines.
                let set = try await client.setCalendarOverride(.init(entry: .init(date: "2027-01-25", kind: "non_working",
                                                                                  note: "Региональный нерабочий день (демо)", asHoliday: true)))
                #expect(set.overrides.map(\.date) == ["2027-01-25"])
                let moved = try await client.computeDeadlines(.init(channel: "email", startMs: start))
                #expect(moved.answerDueMs == msk(2027, 1, 27))
                let y27 = try await client.getCalendar(.init(year: 2027))
                #expect(y27.days.first { $0.date == "2027-01-25" }?.note == "Региональный нерабочий день (демо)")
                #expect(y27.days.first { $0.date == "2027-01-25" }?.kind == "holiday")
                #expect(y27.days.first { $0.date == "2027-01-24" }?.kind == "weekend")
                // 2027 has no official calendar file yet: statutory rules (249 working days) minus the override.
                #expect(!y27.official)
                #expect(y27.workingDays == 248)
                #expect(y27.overrides.count == 1)
                await expectRPC(.invalidArgument, contains: "must be one of") {
                    _ = try await client.setCalendarOverride(.init(entry: .init(date: "2027-01-26", kind: "holiday")))
                }
                await expectRPC(.invalidArgument, contains: "not a date") {
                    _ = try await client.setCalendarOverride(.init(entry: .init(date: "2027-02-30", kind: "working")))
                }
                let removed = try await client.setCalendarOverride(.init(entry: .init(date: "2027-01-25"), remove: true))
                #expect(removed.overrides.isEmpty)
                #expect(try await client.computeDeadlines(.init(channel: "email", startMs: start)).answerDueMs == msk(2027, 1, 26))
            }
        }
    }
}

/// The days GetCalendar (/api/v1/calendar/{year}) serves, against the official calendars of ../shared/data/calendar
/// (or, without the shared data, the bundled copies) read independently: every day of 2013–2026.
@Suite struct CalendarEndpointTests {
    @Test func everyDayAgreesWithTheOfficialCalendars() throws {
        let dir = try #require(OfficialCalendarReference.directory() ?? CalendarLibrary.bundledDirectory?.appendingPathComponent("ru"))
        let files = OfficialCalendarReference.files(in: dir)
        #expect(files.keys.sorted().starts(with: Array(2013...2026)))
        let calendar = ProductionCalendar.region(overrides: [])
        var compared = 0
        var wrong: [String] = []
        for (year, file) in files.sorted(by: { $0.key < $1.key }) {
            #expect(calendar.isOfficial(year: year))
            let served = Dictionary(uniqueKeysWithValues: CalendarMath.days(year: year, calendar: calendar, overrides: []).map { ($0.date, $0) })
            for (date, expected) in try OfficialCalendarReference.days(year: year, file: file) {
                let day = try #require(served[date])
                let actual: OfficialCalendarReference.Day = !day.working ? .nonWorking : day.workingHours == 7 ? .shortened : .working
                compared += 1
                if actual != expected { wrong.append("\(date): \(expected) / \(actual) \(day.kind)") }
            }
        }
        #expect(compared >= 5_113)
        #expect(wrong == [])
        let decree = CalendarMath.days(year: 2020, calendar: calendar, overrides: []).first { $0.date == "2020-04-15" }
        #expect(decree?.kind == "holiday" && decree?.note == "Нерабочие дни (Указ Президента от 02.04.2020 №239)")
        #expect(!calendar.isOfficial(year: 2027))
    }
}
