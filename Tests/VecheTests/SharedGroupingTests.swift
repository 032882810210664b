import Contracts
import Foundation
import Testing
import VecheAuth
import VecheRuntime
import VecheTestSupport
@testable import AppealService
@testable import TextAnalysis

/// Duplicate grouping is one decision for the whole region, however many AppealService instances take intake
/// (real nats-server + PostgreSQL).
@Suite("AppealService: duplicate grouping shared by every instance", .serialized)
struct SharedGroupingTests {
    static let importer = AppealConsistencyTests.importPrincipal

    /// One appeal of an organised campaign: the same complaint about the same yard, a few metres apart.
    static func campaign(_ n: Int) -> AppealV1.IncomingAppeal {
        var a = AppealServiceTests.incoming("campaign-\(n)",
            text: "Во дворе дома \(n % 7 + 1) по улице Ленина третью неделю не вывозят мусор, контейнеры переполнены, мусор разносит ветер")
        a.location = CommonV1.GeoPoint(latitude: 51.7301 + Double(n % 5) * 0.00001, longitude: 36.1901)
        return a
    }

    @Test("Two instances taking a campaign's appeals in turn and at the same time put them in one problem group; a third started afterwards reads the groups from the log and continues them")
    func twoInstancesGroupACampaignAsOne() async throws {
        try await withCluster { cluster in
            let platform = try await TestPlatform.start(cluster, appeal: true)
            let env2 = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { platform.close(); env2.close() }
            let one = try #require(platform.appeal)
            let two = try await AppealServiceApp.build(env: env2)
            try await withServices(platform.services + two.services, logger: cluster.logger) {
                await platform.ready()
                await two.host.waitUntilReady()
                var groups: [String] = []
                // In turn: each instance must see the other's previous decision.
                for n in 0..<6 {
                    let handlers = n % 2 == 0 ? one.handlers : two.handlers
                    let a = try #require(try await handlers.submit(Self.campaign(n), by: Self.importer).appeal)
                    groups.append(a.problemGroupId)
                }
                // At the same time on both instances.
                let concurrent = try await withThrowingTaskGroup(of: String.self) { group in
                    for n in 6..<16 {
                        let handlers = n % 2 == 0 ? one.handlers : two.handlers
                        group.addTask { try #require(try await handlers.submit(Self.campaign(n), by: Self.importer).appeal).problemGroupId }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
                groups += concurrent
                #expect(Set(groups).count == 1, "campaign split into groups \(Set(groups))")
                // A different problem nearby is not part of it.
                var other = AppealServiceTests.incoming("other-1", text: "Врач в поликлинике требует взятку за выдачу справки")
                other.location = CommonV1.GeoPoint(latitude: 51.7301, longitude: 36.1901)
                let o = try #require(try await two.handlers.submit(other, by: Self.importer).appeal)
                #expect(o.problemGroupId != groups[0])

                // A third instance starts from the shared log (no text work) and continues the group.
                let env3 = try await cluster.environment("appeal", schema: AppealSchema.name)
                defer { env3.close() }
                let three = try await AppealServiceApp.build(env: env3)
                #expect(three.handlers.grouper?.count == 17)
                let late = try #require(try await three.handlers.submit(Self.campaign(16), by: Self.importer).appeal)
                #expect(late.problemGroupId == groups[0])
                let logged = try await platform.envs["appeal"]!.requirePool()
                    .query("SELECT count(*) AS n, count(DISTINCT group_id) AS g FROM appeal.duplicate_log").first
                #expect(logged?.int("n") == 18 && logged?.int("g") == 2)
            }
        }
    }

    /// A complaint received now, as the grouper sees it (features computed at grouping).
    static func request(_ id: String, _ text: String, category: String, latitude: Double, longitude: Double) -> ProblemGrouper.Request {
        let c = DuplicateCandidate(id: id, text: text, topicCode: String(category.prefix { $0 != "." }), categoryCode: category,
                                   latitude: latitude, longitude: longitude, date: Date())
        return ProblemGrouper.Request(appealID: id, input: GroupingInput(candidate: c, features: nil))
    }

    /// The same street-lighting complaint.
    static func lighting(_ id: String) -> ProblemGrouper.Request {
        request(id, "Не работает уличное освещение на улице Садовой, темно вечером", category: "roads.lighting", latitude: 51.74, longitude: 36.19)
    }

    /// A different problem (waste), for log entries that are not lighting complaints.
    static func waste(_ id: String) -> ProblemGrouper.Request {
        request(id, "Не вывозят мусор с контейнерной площадки у школы, переполнены баки", category: "waste.collection", latitude: 51.70, longitude: 36.15)
    }

    @Test("A grouping decision whose transaction rolled back is never used: the next turn finds it missing from the log and rebuilds the cache")
    func aRolledBackDecisionIsForgotten() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { env.close() }
            let built = try await AppealServiceApp.build(env: env, autoRegister: false)
            let grouper = try #require(built.handlers.grouper)
            let pool = try env.requirePool()
            let rebuildsAtStart = grouper.rebuilds
            struct Abort: Error {}
            let phantom = UUID().uuidString.lowercased()
            await #expect(throws: Abort.self) {
                try await pool.transaction { conn in
                    #expect(try grouper.assign(conn, [Self.lighting(phantom)]) == [phantom])
                    throw Abort()
                }
            }
            // The same problem again: the rolled-back appeal must not be its group.
            let real = UUID().uuidString.lowercased()
            let first = try await pool.transaction { conn in try grouper.assign(conn, [Self.lighting(real)]) }
            #expect(first == [real])
            #expect(grouper.rebuilds == rebuildsAtStart + 1)
            let next = UUID().uuidString.lowercased()
            let second = try await pool.transaction { conn in try grouper.assign(conn, [Self.lighting(next)]) }
            #expect(second == [real])
            #expect(grouper.rebuilds == rebuildsAtStart + 1)
        }
    }

    @Test("An instance whose last applied log entry was cleaned away rebuilds from the log: it no longer groups with an appeal the log dropped, as a fresh instance would not")
    func anInstanceBehindACleanedLogRebuilds() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { env.close() }
            let built = try await AppealServiceApp.build(env: env, autoRegister: false)
            let idle = try #require(built.handlers.grouper)
            let busy = try ProblemGrouper()
            let pool = try env.requirePool()
            let first = UUID().uuidString.lowercased()
            #expect(try await pool.transaction { try idle.assign($0, [Self.lighting(first)]) } == [first])
            // Another instance logs another problem; the idle one then groups one more of that problem.
            let other = UUID().uuidString.lowercased()
            _ = try await pool.transaction { try busy.assign($0, [Self.waste(other)]) }
            let own = UUID().uuidString.lowercased()
            #expect(try await pool.transaction { try idle.assign($0, [Self.waste(own)]) } == [other])
            let rebuildsBefore = idle.rebuilds
            // Cleaning removes the log's prefix before the idle instance's own last decision: the lighting complaint
            // and the entry it last applied are gone.
            try await pool.withConnection { conn in
                try conn.query("DELETE FROM duplicate_log WHERE seq < (SELECT seq FROM duplicate_log WHERE appeal_id = \(own)::uuid)")
            }
            // It finds its last applied entry gone, rebuilds, and the dropped complaint is no group to join any more.
            let after = UUID().uuidString.lowercased()
            #expect(try await pool.transaction { try idle.assign($0, [Self.lighting(after)]) } == [after])
            #expect(idle.rebuilds == rebuildsBefore + 1)
            let last = UUID().uuidString.lowercased()
            #expect(try await pool.transaction { try idle.assign($0, [Self.lighting(last)]) } == [after])
            #expect(idle.rebuilds == rebuildsBefore + 1, "caught up from then on")
        }
    }

    @Test("After the upgrade (appeals stored, the log still empty) start-up fills the log from the recent appeals with their stored groups, and new appeals join those groups")
    func startUpFillsAnEmptyLogFromRecentAppeals() async throws {
        try await withCluster { cluster in
            let platform = try await TestPlatform.start(cluster, appeal: true)
            defer { platform.close() }
            let one = try #require(platform.appeal)
            try await withServices(platform.services, logger: cluster.logger) {
                await platform.ready()
                var first: [String] = []
                for n in 0..<3 { first.append(try #require(try await one.handlers.submit(Self.campaign(n), by: Self.importer).appeal).problemGroupId) }
                #expect(Set(first).count == 1)
                let pool = try platform.envs["appeal"]!.requirePool()
                try await pool.query("DELETE FROM appeal.duplicate_log")   // as before migration 17 filled it
                let env2 = try await cluster.environment("appeal", schema: AppealSchema.name)
                defer { env2.close() }
                let two = try await AppealServiceApp.build(env: env2)
                #expect(two.handlers.grouper?.count == 3)
                let stored = try await pool.query("SELECT group_id FROM appeal.duplicate_log").rows.map { $0.string("group_id") }
                #expect(stored == Array(repeating: first[0], count: 3))
                let next = try #require(try await two.handlers.submit(Self.campaign(3), by: Self.importer).appeal)
                #expect(next.problemGroupId == first[0])
            }
        }
    }

    @Test("Features survive the log: stem hashes and band keys written as bytea read back equal")
    func featuresRoundTripThroughTheLogEncoding() throws {
        let words: [UInt64] = [0, 1, 0xFF, 0x0123_4567_89AB_CDEF, .max, 1 << 63]
        #expect(ProblemGrouper.words(PGBytes.decode("\\x" + ProblemGrouper.hex(words))) == words)
        #expect(ProblemGrouper.words(PGBytes.decode("\\x")) == [])
    }
}
