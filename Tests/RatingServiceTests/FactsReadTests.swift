import Foundation
import RatingEngine
import Synchronization
import Testing
import VecheRuntime
import VecheTestSupport
@testable import RatingService

/// How RatingService reads the facts of a period: through a cursor in chunks, one read shared by concurrent
/// requests.
@Suite("RatingService: facts read in chunks and shared by concurrent requests")
struct FactsReadTests {
    @Test("Facts read through the cursor three rows at a time equal those read at once, repeat flags across chunk boundaries included")
    func chunkedReadEqualsOneRead() async throws {
        try await withCluster { cluster in
            let env = try await cluster.environment("rating", schema: RatingSchema.name)
            defer { env.close() }
            let pool = try env.requirePool()
            try await Migrator.migrate(pool: pool, schema: RatingSchema.name, migrations: RatingSchema.migrations)
            // 20 appeals of 4 authors in 2 categories and 3 problem groups, one a minute: repeats everywhere.
            let start = Date(timeIntervalSince1970: 1_780_000_000)
            for n in 0..<20 {
                try await pool.query("""
                    INSERT INTO appeal_facts (appeal_id, last_sequence, last_event_id, agency_id, topic_code, category_code,
                                              problem_group_id, author_key, registered_at, satisfaction)
                    VALUES (\("a-\(100 + n)"), 1, \("e-\(n)"), 'ag-1', 'housing', \(n % 2 == 0 ? "housing.heating" : "housing.water"),
                            \(n % 5 == 0 ? "" : "g\(n % 3)"), \(n % 7 == 0 ? "" : "author-\(n % 4)"),
                            \(start.addingTimeInterval(Double(n) * 60))::timestamptz, \(n % 3 == 0 ? nil : Int(n % 5 + 1)))
                    """)
            }
            let end = start.addingTimeInterval(3_600)
            let whole = try await RatingHandlers.readFacts(pool, start: start, end: end, topic: "", chunk: 10_000)
            let chunked = try await RatingHandlers.readFacts(pool, start: start, end: end, topic: "", chunk: 3)
            #expect(whole.count == 20)
            #expect(chunked == whole)
            #expect(whole.filter(\.isRepeat).count >= 8, "the data has repeats to carry across chunks")
            let exact = try await RatingHandlers.readFacts(pool, start: start, end: end, topic: "", chunk: 20)   // a last FETCH that returns nothing
            #expect(exact == whole)
            let narrow = try await RatingHandlers.readFacts(pool, start: start, end: start.addingTimeInterval(600), topic: "housing", chunk: 4)
            #expect(narrow == Array(whole.prefix(10)))
        }
    }

    @Test("Concurrent requests for the same facts share one read; a later request reads again; a failed read fails every caller that waited for it")
    func concurrentRequestsShareOneRead() async throws {
        let shared = SharedFactsLoad()
        let key = SharedFactsLoad.Key(start: Date(timeIntervalSince1970: 0), end: Date(timeIntervalSince1970: 60), topic: "")
        let fact = AppealFact(id: "a-1", agencyID: "ag-1", municipalityID: "", topicCode: "housing", categoryCode: "housing.heating",
                              subReason: nil, registeredAt: Date(timeIntervalSince1970: 1), answeredAt: nil, closedAt: nil,
                              deadline: nil, extended: false, reopenedCount: 0, satisfaction: nil, completenessScore: nil,
                              isComplete: nil, isRepeat: false)
        let entered = ReadCounter()
        let results = try await withThrowingTaskGroup(of: [AppealFact].self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await shared.facts(key) {
                        entered.count.add(1, ordering: .relaxed)
                        try await Task.sleep(for: .milliseconds(300))   // long enough for every caller to arrive
                        return [fact]
                    }
                }
            }
            return try await group.reduce(into: [[AppealFact]]()) { $0.append($1) }
        }
        #expect(results.count == 6 && results.allSatisfy { $0 == [fact] })
        #expect(entered.count.load(ordering: .relaxed) == 1 && shared.reads == 1)
        _ = try await shared.facts(key) { [fact] }
        #expect(shared.reads == 2)

        struct Broken: Error {}
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    do {
                        _ = try await shared.facts(key) {
                            try await Task.sleep(for: .milliseconds(300))
                            throw Broken()
                        }
                        return false
                    } catch { return error is Broken }
                }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(failures == 3 && shared.reads == 3)
    }
}

/// How many times a read closure ran.
final class ReadCounter: Sendable {
    let count = Atomic<Int>(0)
}
