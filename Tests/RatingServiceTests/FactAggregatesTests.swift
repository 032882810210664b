import Foundation
import RatingEngine
import Testing
import VecheRuntime
import VecheTestSupport
@testable import RatingService

/// RatingService counts a period's facts in PostgreSQL (`FactAggregates`); these tests hold that query to the
/// in-memory definitions (`MetricsCalculator`, `ProblemAnalysis`) on the same facts.
@Suite("RatingService: figures counted in PostgreSQL equal RatingEngine's over the same facts")
struct FactAggregatesTests {
    /// A deterministic generator (SplitMix64) so a failure can be replayed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// One stored fact and what `RatingHandlers` reads from it (`problemGroup` and `author` decide repeats).
    struct Row {
        var fact: AppealFact
        var problemGroup: String
        var author: String
    }

    /// 600 facts over 40 days around a 30-day period: every field empty, absent, early, late or out of range
    /// somewhere; ties in registration time; authors and problem groups that repeat.
    static func rows(seed: UInt64, start: Date) -> [Row] {
        var g = Generator(state: seed)
        func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &g)] }
        return (0..<600).map { n in
            // Whole seconds, so the stored instants equal the Swift ones exactly; every tenth appeal shares the previous one's second.
            let offset = n % 10 == 9 ? Double((n - 1) * 5_760) : Double(n * 5_760)
            let registered = start.addingTimeInterval(-5 * 86_400 + offset)
            let answered: Date? = pick([nil, registered.addingTimeInterval(Double(Int.random(in: 60...(45 * 86_400), using: &g)))])
            let deadline: Date? = pick([nil, registered.addingTimeInterval(30 * 86_400), registered.addingTimeInterval(3 * 86_400)])
            let topic = pick(["housing", "roads", "waste", ""])
            let category = topic.isEmpty ? "" : pick(["\(topic).a", "\(topic).b", "\(topic).other", "other"])
            let fact = AppealFact(
                id: String(format: "a-%04d", n), agencyID: pick(["ag-1", "ag-2", "ag-3", ""]), municipalityID: pick(["38000000", "38600000", ""]),
                topicCode: topic, categoryCode: category, subReason: pick([nil, "Шум ночью", "шум   ночью.", "Запах", ""]),
                registeredAt: registered, answeredAt: answered, closedAt: nil, deadline: deadline, extended: Bool.random(using: &g),
                reopenedCount: pick([0, 0, 1, 2]), satisfaction: pick([nil, 0, 1, 2, 3, 4, 5, 5]),
                completenessScore: nil, isComplete: pick([nil, true, false]), isRepeat: false)
            return Row(fact: fact, problemGroup: pick(["", "", "g1", "g2", "g3"]), author: pick(["", "au-1", "au-2", "au-3", "au-4", "au-5"]))
        }
    }

    /// The repeat rule of `RatingHandlers`, applied to the facts of one window in registration order.
    static func withRepeats(_ rows: [Row], from start: Date, to end: Date, topic: String = "") -> [AppealFact] {
        var seenCategories = Set<String>(), seenGroups = Set<String>()
        let window = rows.filter { $0.fact.registeredAt >= start && $0.fact.registeredAt < end && (topic.isEmpty || $0.fact.topicCode == topic) }
            .sorted { ($0.fact.registeredAt, $0.fact.id) < ($1.fact.registeredAt, $1.fact.id) }
        return window.map { r in
            var f = r.fact
            guard !r.author.isEmpty else { return f }
            let category = r.author + "|" + f.topicCode + "|" + f.categoryCode, group = r.author + "|" + r.problemGroup
            f.isRepeat = seenCategories.contains(category) || (!r.problemGroup.isEmpty && seenGroups.contains(group))
            seenCategories.insert(category)
            if !r.problemGroup.isEmpty { seenGroups.insert(group) }
            return f
        }
    }

    static func store(_ rows: [Row], _ pool: PGPool) async throws {
        for r in rows {
            let f = r.fact
            try await pool.query("""
                INSERT INTO appeal_facts (appeal_id, last_sequence, last_event_id, agency_id, municipality_oktmo, topic_code, category_code,
                                          problem_group_id, author_key, sub_reason, registered_at, answered_at, answer_due,
                                          extension_count, reopen_count, satisfaction, answer_complete)
                VALUES (\(f.id), 1, \("e-" + f.id), \(f.agencyID), \(f.municipalityID), \(f.topicCode), \(f.categoryCode),
                        \(r.problemGroup), \(r.author), \(f.subReason), \(f.registeredAt)::timestamptz, \(f.answeredAt)::timestamptz,
                        \(f.deadline)::timestamptz, \(f.extended ? 1 : 0), \(f.reopenedCount), \(f.satisfaction), \(f.isComplete))
                """)
        }
    }

    /// Runs `body` with a migrated rating schema holding `rows(seed:start:)` and the 30-day period [start, end).
    static func withStoredFacts(seed: UInt64, test: String = #function,
                                _ body: @Sendable (PGPool, [Row], Date, Date) async throws -> Void) async throws {
        try await withCluster(test) { cluster in
            let env = try await cluster.environment("rating", schema: RatingSchema.name)
            defer { env.close() }
            let pool = try env.requirePool()
            try await Migrator.migrate(pool: pool, schema: RatingSchema.name, migrations: RatingSchema.migrations)
            let start = Date(timeIntervalSince1970: 1_780_000_000)
            let rows = Self.rows(seed: seed, start: start)
            try await Self.store(rows, pool)
            try await body(pool, rows, start, start.addingTimeInterval(30 * 86_400))
        }
    }

    /// Every count equal; shares, means and quantiles equal to rounding.
    static func expectSame(_ sql: [GroupMetrics], _ memory: [GroupMetrics], _ what: String) {
        #expect(sql.map(\.key) == memory.map(\.key), "\(what): groups")
        func close(_ a: Double?, _ b: Double?) -> Bool {
            switch (a, b) {
            case (nil, nil): return true
            case let (x?, y?): return abs(x - y) <= 1e-9 * max(1, abs(y))
            default: return false
            }
        }
        for (s, m) in zip(sql, memory) {
            let sqlCounts: [Int] = [s.volume, s.answered, s.dueCount, s.onTimeCount, s.ratedCount, s.satisfiedCount, s.completenessCount,
                                    s.reopenedCount, s.repeatCount, s.extendedCount]
            let memoryCounts: [Int] = [m.volume, m.answered, m.dueCount, m.onTimeCount, m.ratedCount, m.satisfiedCount, m.completenessCount,
                                       m.reopenedCount, m.repeatCount, m.extendedCount]
            #expect(sqlCounts == memoryCounts, "\(what) \(s.key): counts")
            #expect(s.population == m.population, "\(what) \(s.key): population")
            for metric in Metric.allCases {
                #expect(close(s.value(metric), m.value(metric)), "\(what) \(s.key): \(metric) \(String(describing: s.value(metric))) vs \(String(describing: m.value(metric)))")
            }
        }
    }

    @Test("Per agency, municipality, topic, category and overall (one query, grouping sets): the counts, shares, quantiles, repeats and overdue appeals equal RatingEngine's over the facts")
    func groupsEqualTheEngine() async throws {
        try await Self.withStoredFacts(seed: 20_261_204) { pool, rows, start, end in
            let asOf = end.addingTimeInterval(-10 * 86_400)    // answers and deadlines on both sides
            let period = RatingPeriod(label: "p", start: start, end: end, asOf: asOf)
            let population = ["38000000": 1_000_000, "38600000": 50_000], entity = ["ag-1": 1_000_000]

            for topic in ["", "housing"] {
                let facts = Self.withRepeats(rows, from: start, to: end, topic: topic)
                #expect(facts.filter(\.isRepeat).count >= 20, "the data has repeats")
                for dimension: RatingEngine.Dimension? in [.agency, .municipality, .topic, .category, nil] {
                    let dims = dimension.map { [$0] } ?? []
                    for skipEmpty in [true, false] {
                        let counted = try await pool.withConnection {
                            try FactAggregates.counts($0, scope: .init(start: start, end: end, topic: topic), asOf: asOf, satisfiedThreshold: 4)
                        }.groups(by: dimension, skipEmptyKeys: skipEmpty)
                        let kept = facts.filter { f in !skipEmpty || dimension.map { !Self.value(f, $0).isEmpty } ?? true }
                        let what = "topic '\(topic)', by \(dimension?.rawValue ?? "nothing"), skip empty \(skipEmpty)"
                        Self.expectSame(RatingHandlers.metrics(counted, by: dims, period: "p", population: population, entityPopulation: entity),
                                        MetricsCalculator.compute(kept, by: dims, period: period, population: population, entityPopulation: entity),
                                        what)
                        var overdue: [String: Int] = [:]
                        for f in kept where !(f.answeredAt.map { $0 <= asOf } ?? false) {
                            if let dl = f.deadline, dl < asOf { overdue[dimension.map { Self.value(f, $0) } ?? "", default: 0] += 1 }
                        }
                        #expect(Dictionary(counted.map { ($0.key, $0.overdueOpen) }, uniquingKeysWith: +).filter { $0.value > 0 } == overdue, "\(what): overdue")
                    }
                }
            }

            // An indicator's scope: repeats found over a longer window, counted up to an earlier instant (per category).
            let windowEnd = end.addingTimeInterval(5 * 86_400), countBefore = end.addingTimeInterval(-12 * 86_400)
            let counted = try await pool.withConnection {
                try FactAggregates.counts($0, scope: .init(start: start, end: windowEnd, countBefore: countBefore), asOf: asOf, satisfiedThreshold: 4)
            }.groups(by: .category, skipEmptyKeys: false)
            let facts = Self.withRepeats(rows, from: start, to: windowEnd).filter { $0.registeredAt < countBefore }
            #expect(facts.contains { $0.categoryCode == "roads.other" })
            Self.expectSame(RatingHandlers.metrics(counted, by: [.category], period: "p", population: [:], entityPopulation: [:]),
                            MetricsCalculator.compute(facts, by: [.category], period: RatingPeriod(label: "p", start: start, end: windowEnd, asOf: asOf)),
                            "indicator scope")

            // Nothing in the scope: no group (the handlers report "no data").
            let none = try await pool.withConnection {
                try FactAggregates.counts($0, scope: .init(start: end.addingTimeInterval(86_400 * 400), end: end.addingTimeInterval(86_400 * 430)),
                                          asOf: asOf, satisfiedThreshold: 4)
            }
            #expect(none.overall == nil && none.byDimension.isEmpty)
        }
    }

    @Test("Top problems from the query's counts equal those from the facts, sub-reasons of 'other' categories normalised and merged")
    func problemCountsEqualTheEngine() async throws {
        try await Self.withStoredFacts(seed: 7) { pool, rows, start, end in
            let facts = rows.map(\.fact).filter { $0.registeredAt >= start && $0.registeredAt < end }
            let others = Set(["other", "прочее", "иное"]).union(facts.map(\.categoryCode).filter { $0.hasSuffix(".other") })
            let counts = try await pool.withConnection { try FactAggregates.problemCounts($0, start: start, end: end, otherCodes: ["other", "прочее", "иное"]) }
            #expect(counts.count < facts.count, "rows are counted, not listed")
            let fromCounts = ProblemAnalysis.topProblems(counts: counts, limit: 3, otherCodes: others, subReasonLimit: 2)
            let fromFacts = ProblemAnalysis.topProblems(facts, limit: 3, otherCodes: others, subReasonLimit: 2)
            #expect(fromCounts == fromFacts)
            let noise = fromFacts.flatMap(\.top).flatMap(\.subReasons).first { $0.code == "шум ночью" }
            #expect((noise?.count ?? 0) > 1, "'Шум ночью' and 'шум   ночью.' count as one sub-reason")
        }
    }

    static func value(_ f: AppealFact, _ d: RatingEngine.Dimension) -> String {
        switch d {
        case .agency: return f.agencyID
        case .municipality: return f.municipalityID
        case .topic: return f.topicCode
        case .category: return f.categoryCode
        }
    }
}

@Suite("RatingService populations behind per-10k figures")
struct PopulationTests {
    /// The region-wide group (KPIs without a dimension) is per 10,000 of the region's residents, as topics and
    /// categories are; before, it had no population and a region-wide `appealsPer10k` KPI never had a value.
    @Test func theRegionWideGroupUsesTheRegionsPopulation() {
        var dir = Directory()
        dir.municipalities = ["m1": .init(name: "Город", population: 100_000, parent: ""),
                              "m2": .init(name: "Район", population: 50_000, parent: "")]
        let (_, region) = RatingHandlers.populations(.unspecified, keys: [""], directory: dir)
        #expect(region[""] == 150_000)
        let key = GroupKey(dimensions: [], values: [], period: "2025-03")
        #expect(MetricsCalculator.population(of: key, population: dir.populations, entityPopulation: region) == 150_000)
    }
}
