import AgencyDirectory
import Contracts
import Foundation
import Synchronization
import Testing
import VecheAuth
import VecheRuntime
import VecheTestSupport
import WorkCalendar
@testable import AgencyService
@testable import AppealService

/// One deadline engine fed by AgencyService's SLA table and calendar overrides, one time zone.
@Suite("Deadlines from AgencyService's SLA policies and overrides; one time zone", .serialized)
struct DirectoryDeadlineTests {
    static func ms(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded()) }

    @Test func anOverrideAndAnSLAChangeReachRealAppealDeadlinesExactlyAsComputeDeadlinesSeesThem() async throws {
        try await withCluster { cluster in
            let agencyEnv = try await cluster.environment("agency", schema: AgencySchema.name)
            let appealEnv = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { agencyEnv.close(); appealEnv.close() }
            let agency = try await AgencyServiceApp.build(env: agencyEnv)
            try await withServices(agency.services, logger: cluster.logger) {
                await agency.host.waitUntilReady()
                let appeal = try await AppealServiceApp.build(env: appealEnv)
                try await withServices(appeal.services, logger: cluster.logger) {
                    await appeal.host.waitUntilReady()
                    let agencies = try await cluster.agencies(as: .user("cur-head"))
                    let appeals = try await cluster.appeals(as: .client("veche-integration-social"))
                    let received = Date().addingTimeInterval(-3600)
                    let before = try await agencies.computeDeadlines(.init(channel: "social", startMs: Self.ms(received)))
                    // The region declares the registration day a day off, and social media get a 2-hour first reaction.
                    let lastDay = LocalClock.civilDate(of: Date(timeIntervalSince1970: Double(before.registerDueMs - 1) / 1000),
                                                       in: cluster.config.timeZone)
                    _ = try await agencies.setCalendarOverride(.init(entry: .init(date: lastDay.description, kind: "non_working",
                                                                                  note: "региональный выходной")))
                    var social = try #require(before.policy)
                    social.firstReactionWorkingHours = 2
                    _ = try await agencies.upsertSlaPolicy(.init(policy: social))
                    // AppealService's local copy follows the announcements.
                    #expect(try await eventually(timeout: .seconds(30)) {
                        let copy = appeal.directory.snapshot
                        return copy.calendarOverrides.contains { $0.date == lastDay }
                            && copy.slaPolicies.first { $0.channel == "social" }?.firstReactionWorkingHours == 2
                    })
                    let after = try await agencies.computeDeadlines(.init(channel: "social", startMs: Self.ms(received)))
                    #expect(after.registerDueMs > before.registerDueMs)
                    #expect(after.firstReactionDueMs != before.firstReactionDueMs)

                    var incoming = AppealServiceTests.incoming("dl-1", channel: .social)
                    incoming.receivedAtMs = Self.ms(received)
                    let a = try #require(try await appeals.submitAppeal(.init(appeal: incoming)).appeal)
                    let d = try #require(a.deadlines)
                    #expect(d.registerDueMs == after.registerDueMs)
                    #expect(d.firstReactionDueMs == after.firstReactionDueMs)
                    let fromRegistration = try await agencies.computeDeadlines(.init(channel: "social", startMs: a.registeredAtMs))
                    #expect(d.answerDueMs == fromRegistration.answerDueMs)
                    #expect(d.forwardDueMs == fromRegistration.forwardDueMs)
                }
            }
            // Restarted while AgencyService is down, AppealService starts from its persisted copy.
            let pool = try appealEnv.requirePool()
            let restarted = LocalDirectory(nats: appealEnv.nats, transport: appealEnv.rpc, pool: pool, timeZone: cluster.config.timeZone, logger: cluster.logger,
                                           callTimeout: .milliseconds(300))
            await restarted.start()
            #expect(restarted.snapshot.slaPolicies.first { $0.channel == "social" }?.firstReactionWorkingHours == 2)
            // A caller served before `start()` ran (a late instance's first appeal) also gets the persisted
            // copy, not a 503 because AgencyService cannot answer.
            let early = LocalDirectory(nats: appealEnv.nats, transport: appealEnv.rpc, pool: pool, timeZone: cluster.config.timeZone, logger: cluster.logger,
                                       callTimeout: .milliseconds(300))
            #expect(await early.latest().slaPolicies.first { $0.channel == "social" }?.firstReactionWorkingHours == 2)
        }
    }

    @Test func aLostAnnouncementIsCaughtUpByPolling() async throws {
        try await withCluster { cluster in
            let agencyEnv = try await cluster.environment("agency", schema: AgencySchema.name)
            let appealEnv = try await cluster.environment("appeal", schema: nil)
            defer { agencyEnv.close(); appealEnv.close() }
            let agency = try await AgencyServiceApp.build(env: agencyEnv)
            try await withServices(agency.services, logger: cluster.logger) {
                await agency.host.waitUntilReady()
                // AppealService's copy (its bus user and token; no database: nothing persisted).
                let copy = LocalDirectory(nats: appealEnv.nats, transport: appealEnv.rpc, pool: nil, timeZone: cluster.config.timeZone, logger: cluster.logger,
                                          pollInterval: .milliseconds(200))
                await copy.start()
                try await withServices([copy], logger: cluster.logger) {
                    // A change whose announcement never went out (written behind AgencyService's back).
                    let pool = try agencyEnv.requirePool()
                    try await pool.transaction { conn in
                        try conn.query("UPDATE agency.sla_policies SET answer_days = 15 WHERE channel = 'email'")
                        _ = try DirectoryChanges.bump(conn)
                    }
                    #expect(try await eventually(timeout: .seconds(30)) { copy.snapshot.slaPolicies.first { $0.channel == "email" }?.answerDays == 15 })
                }
            }
        }
    }

    /// A refresh that fails after an announcement is tried again after `retryInterval`, not at the next poll (the
    /// poll loop may have just gone to sleep for a whole `pollInterval`).
    @Test func aFailedRefreshAfterAnAnnouncementIsRetriedSoonNotAtTheNextPoll() async throws {
        try await withCluster { cluster in
            let agencyEnv = try await cluster.environment("agency", schema: AgencySchema.name)
            let appealEnv = try await cluster.environment("appeal", schema: nil)
            defer { agencyEnv.close(); appealEnv.close() }
            let agency = try await AgencyServiceApp.build(env: agencyEnv)
            try await withServices(agency.services, logger: cluster.logger) {
                await agency.host.waitUntilReady()
                let flaky = FailingRequests(base: appealEnv.rpc)
                let copy = LocalDirectory(nats: appealEnv.nats, transport: flaky, pool: nil, timeZone: cluster.config.timeZone, logger: cluster.logger,
                                          pollInterval: .seconds(600), retryInterval: .milliseconds(200))
                await copy.start()
                try await withServices([copy], logger: cluster.logger) {
                    let agencies = try await cluster.agencies(as: .user("cur-head"))
                    var social = try #require(try await agencies.computeDeadlines(.init(channel: "social", startMs: Self.ms(Date()))).policy)
                    #expect(social.firstReactionWorkingHours != 3)
                    flaky.failNext(1)   // the refresh the announcement triggers fails
                    social.firstReactionWorkingHours = 3
                    _ = try await agencies.upsertSlaPolicy(.init(policy: social))
                    #expect(try await eventually(timeout: .seconds(20)) {
                        copy.snapshot.slaPolicies.first { $0.channel == "social" }?.firstReactionWorkingHours == 3
                    })
                    #expect(flaky.failed == 1, "the announced refresh failed once and was retried")
                }
            }
        }
    }

    @Test func withoutAgencyServiceTheStatutoryPoliciesApply() {
        let engine = DeadlineEngine.statutory(timeZone: VecheConfig.defaults.timeZone)
        #expect(engine.policy(for: "social").firstReactionWorkingHours == 4)
        #expect(engine.policy(for: "email").firstReactionWorkingHours == 0)
        #expect(engine.policy(for: "carrier_pigeon").answerDays == 30, "unknown channels get 59-FZ terms")
    }

    @Test func aBadTimeZoneIsAClearStartUpError() {
        do {
            _ = try VecheConfig(environment: ["VECHE_TIMEZONE": "Mars/Olympus_Mons"])
            Issue.record("an unknown time zone must be refused")
        } catch let e as ConfigError {
            #expect(e.description.contains("VECHE_TIMEZONE='Mars/Olympus_Mons'"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(throws: ConfigError.self) { _ = try VecheConfig(environment: ["VECHE_DB_POOL": "many"]) }
    }

    @Test func appealNumbersCarryTheLocalYearOfTheConfiguredTimeZone() async throws {
        try await withCluster { cluster in
            var config = cluster.config("appeal", schema: AppealSchema.name)
            config.timeZone = try #require(TimeZone(identifier: "Asia/Kamchatka"))   // UTC+12
            var env = try await ServiceEnvironment.connect(config: config, name: "appeal", schema: AppealSchema.name)
            env.logger = cluster.logger
            defer { env.close() }
            let built = try await AppealServiceApp.build(env: env)
            // 13:00 UTC on 31 December 2025 is already 1 January 2026 in Kamchatka (and still 2025 in Moscow).
            var incoming = AppealServiceTests.incoming("tz-1")
            (incoming.municipalityOktmo, incoming.address) = ("", "")   // AgencyService does not run: nothing to confirm
            incoming.receivedAtMs = Self.ms(try #require(ISO8601DateFormatter().date(from: "2025-12-31T13:00:00Z")))
            let importer = Principal(kind: .client, name: "veche-import", grants: [Grant(role: .importer)])
            let a = try #require(try await built.handlers.submit(incoming, by: importer).appeal)
            #expect(a.number.hasPrefix("2026-"))
        }
    }
}

/// A real transport whose next `n` requests fail as an unreachable service would (fault injection for a test).
private final class FailingRequests: RPCTransport, Sendable {
    let base: any RPCTransport
    private let state = Mutex((toFail: 0, failed: 0))
    init(base: any RPCTransport) { self.base = base }

    func failNext(_ n: Int) { state.withLock { $0.toFail = n } }
    var failed: Int { state.withLock { $0.failed } }

    func request(subject: String, payload: [UInt8], headers: [String: String], timeout: Duration) async throws -> [UInt8] {
        let fail = state.withLock { s -> Bool in
            guard s.toFail > 0 else { return false }
            s.toFail -= 1
            s.failed += 1
            return true
        }
        if fail { throw RPCError.unavailable("injected: AgencyService unreachable") }
        return try await base.request(subject: subject, payload: payload, headers: headers, timeout: timeout)
    }
}
