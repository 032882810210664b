import Foundation
import Testing
@testable import RatingEngine

let t0 = Date(timeIntervalSince1970: 1_704_067_200) // 2024-01-01T00:00:00Z
func h(_ x: Double) -> Date { t0.addingTimeInterval(x * 3600) }
let period = RatingPeriod(label: "2024-01", start: t0, end: h(31 * 24), asOf: h(40 * 24))

func approx(_ a: Double?, _ b: Double, _ tol: Double = 1e-9) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= tol
}

/// Hand-built fixture. Agency A / municipality M1, B / M2, C / M3.
let facts: [AppealFact] = [
    AppealFact(id: "a1", agencyID: "A", municipalityID: "M1", topicCode: "roads", categoryCode: "pothole",
               registeredAt: t0, answeredAt: h(10), deadline: h(720), satisfaction: 5, completenessScore: 1.0),
    AppealFact(id: "a2", agencyID: "A", municipalityID: "M1", topicCode: "roads", categoryCode: "pothole",
               registeredAt: t0, answeredAt: h(20), deadline: h(720), reopenedCount: 1, satisfaction: 4, completenessScore: 0.5),
    AppealFact(id: "a3", agencyID: "A", municipalityID: "M1", topicCode: "roads", categoryCode: "lighting",
               registeredAt: t0, answeredAt: h(30), deadline: h(24), satisfaction: 2, isComplete: false, isRepeat: true),
    AppealFact(id: "a4", agencyID: "A", municipalityID: "M1", topicCode: "housing", categoryCode: "heating",
               registeredAt: t0, answeredAt: h(40), deadline: h(720)),
    AppealFact(id: "b1", agencyID: "B", municipalityID: "M2", topicCode: "roads", categoryCode: "pothole",
               registeredAt: t0, answeredAt: h(100), deadline: h(720), satisfaction: 3, isComplete: true),
    AppealFact(id: "b2", agencyID: "B", municipalityID: "M2", topicCode: "roads", categoryCode: "other",
               registeredAt: t0, deadline: h(48)), // unanswered, overdue by asOf
    AppealFact(id: "c1", agencyID: "C", municipalityID: "M3", topicCode: "housing", categoryCode: "heating",
               registeredAt: t0, answeredAt: h(5), deadline: h(720), satisfaction: 5),
    AppealFact(id: "c2", agencyID: "C", municipalityID: "M3", topicCode: "housing", categoryCode: "heating",
               registeredAt: h(35 * 24), answeredAt: h(35 * 24 + 1), deadline: h(60 * 24)), // outside period
    AppealFact(id: "c3", agencyID: "C", municipalityID: "M3", topicCode: "housing", categoryCode: "heating",
               registeredAt: h(30 * 24), deadline: h(41 * 24)), // unanswered, not yet due at asOf
]

func byAgency() -> [String: GroupMetrics] {
    var out: [String: GroupMetrics] = [:]
    for g in MetricsCalculator.compute(facts, by: [.agency], period: period) { out[g.key.entity] = g }
    return out
}

@Suite struct MetricTests {
    @Test func quantileDefinition() {
        #expect(Quantile.type7([1, 2, 3, 4], 0.5) == 2.5)
        #expect(approx(Quantile.type7(Array(1...10).map(Double.init), 0.9), 9.1))
        #expect(Quantile.type7([7], 0.9) == 7)
        #expect(Quantile.type7([], 0.5) == nil)
        #expect(Quantile.type7([10, 20, 30, 40], 0.9) == 37)
        #expect(Quantile.type7([1, 2], 0) == 1)
        #expect(Quantile.type7([1, 2], 1) == 2)
    }

    @Test func agencyA() throws {
        let a = try #require(byAgency()["A"])
        #expect(a.volume == 4)
        #expect(a.answered == 4)
        #expect(a.dueCount == 4)
        #expect(a.onTimeShare == 0.75)
        #expect(a.medianAnswerHours == 25)
        #expect(a.p90AnswerHours == 37)
        #expect(approx(a.meanSatisfaction, 11.0 / 3))
        #expect(approx(a.satisfiedShare, 2.0 / 3))
        #expect(a.reopenRate == 0.25)
        #expect(a.completeness == 0.5) // (1 + 0.5 + 0) / 3
        #expect(a.repeatRate == 0.25)
        #expect(a.appealsPer10k == nil) // agency grouping has no population
    }

    @Test func agencyBUnansweredOverdueCountsLate() throws {
        let b = try #require(byAgency()["B"])
        #expect(b.volume == 2)
        #expect(b.answered == 1)
        #expect(b.dueCount == 2)
        #expect(b.onTimeShare == 0.5)
        #expect(b.medianAnswerHours == 100)
        #expect(b.meanSatisfaction == 3)
        #expect(b.satisfiedShare == 0)
        #expect(b.completeness == 1)
        #expect(b.reopenRate == 0)
    }

    @Test func agencyCPeriodFilterAndNotYetDue() throws {
        let c = try #require(byAgency()["C"])
        #expect(c.volume == 2) // c2 registered after the period
        #expect(c.dueCount == 1) // c3 not yet due at asOf
        #expect(c.onTimeShare == 1)
        #expect(c.completeness == nil)
        #expect(c.medianAnswerHours == 5)
    }

    @Test func answersAfterAsOfAreIgnored() throws {
        let early = RatingPeriod(label: "early", start: t0, end: h(31 * 24), asOf: h(25))
        let a = try #require(MetricsCalculator.compute(facts, by: [.agency], period: early).first { $0.key.entity == "A" })
        #expect(a.answered == 2) // a1 (10h), a2 (20h)
        // due: a1, a2 answered; a3 deadline 24h passed → late; a4 not due.
        #expect(a.dueCount == 3)
        #expect(approx(a.onTimeShare, 2.0 / 3))
    }

    @Test func populationNormalisationAndMultiDimensionKeys() throws {
        let pop = ["M1": 20_000, "M2": 10_000]
        let gs = MetricsCalculator.compute(facts, by: [.municipality], period: period, population: pop)
        let m = Dictionary(uniqueKeysWithValues: gs.map { ($0.key.entity, $0) })
        #expect(m["M1"]?.appealsPer10k == 2.0)
        #expect(m["M2"]?.appealsPer10k == 2.0)
        #expect(m["M3"]?.appealsPer10k == nil)
        let two = MetricsCalculator.compute(facts, by: [.agency, .topic], period: period)
        let keys = two.map(\.key.entity)
        #expect(keys == ["A|housing", "A|roads", "B|roads", "C|housing"])
        #expect(two.first?.key.value(.topic) == "housing")
        let overall = MetricsCalculator.compute(facts, by: [], period: period)
        #expect(overall.count == 1)
        #expect(overall.first?.volume == 8)
    }
}

@Suite struct CompositeTests {
    static let simple = RatingConfig(
        pillarWeights: [.speed: 0.5, .quality: 0.5],
        metrics: [MetricWeight(.onTimeShare, pillar: .speed, weight: 1), MetricWeight(.meanSatisfaction, pillar: .quality, weight: 1)],
        normalisation: .minMax, priorStrength: nil, minVolume: 1)

    func peers() -> [GroupMetrics] { MetricsCalculator.compute(facts, by: [.agency], period: period) }

    @Test func minMaxHandComputed() {
        let r = CompositeRating.rate(peers(), config: Self.simple)
        let e = Dictionary(uniqueKeysWithValues: r.map { ($0.key.entity, $0) })
        // on-time: A .75 B .5 C 1 → .5, 0, 1; satisfaction: A 11/3, B 3, C 5 → 1/3, 0, 1.
        #expect(approx(e["A"]?.normalised[.onTimeShare], 0.5))
        #expect(approx(e["A"]?.normalised[.meanSatisfaction], 1.0 / 3))
        #expect(approx(e["A"]?.score, 100 * (0.5 * 0.5 + 0.5 / 3)))
        #expect(approx(e["B"]?.score, 0))
        #expect(approx(e["C"]?.score, 100))
        #expect(r.map(\.key.entity) == ["C", "A", "B"])
        #expect(r.map(\.rank) == [1, 2, 3])
    }

    @Test func bayesianShrinkage() {
        var cfg = Self.simple
        cfg.priorStrength = 2
        let r = CompositeRating.rate(peers(), config: cfg)
        let e = Dictionary(uniqueKeysWithValues: r.map { ($0.key.entity, $0) })
        // μ = (4·.75 + 2·.5 + 1·1)/7 = 5/7; x̃ = (n·x + 2μ)/(n + 2).
        let mu = 5.0 / 7
        #expect(approx(e["A"]?.adjusted[.onTimeShare], (3 + 2 * mu) / 6))
        #expect(approx(e["B"]?.adjusted[.onTimeShare], (1 + 2 * mu) / 4))
        #expect(approx(e["C"]?.adjusted[.onTimeShare], (1 + 2 * mu) / 3))
        // Satisfaction support: A 3 rated, B 1, C 1; μ = (11 + 3 + 5)/5 = 3.8.
        #expect(approx(e["C"]?.adjusted[.meanSatisfaction], (5 + 2 * 3.8) / 3))
        // C's perfect but tiny record is pulled toward the mean.
        let cAdj = e["C"]?.adjusted[.onTimeShare] ?? 1
        #expect(cAdj < 1)
    }

    @Test func zScoreHandComputed() {
        var cfg = Self.simple
        cfg.normalisation = .zScore
        cfg.pillarWeights = [.speed: 1]
        let r = CompositeRating.rate(peers(), config: cfg)
        let e = Dictionary(uniqueKeysWithValues: r.map { ($0.key.entity, $0) })
        let sd = (0.125 / 3).squareRoot() // population sd of .75, .5, 1
        #expect(approx(e["A"]?.composite, 0))
        #expect(approx(e["B"]?.composite, -0.25 / sd))
        #expect(approx(e["C"]?.composite, 0.25 / sd))
        #expect(approx(e["C"]?.score, 50 + 10 * 0.25 / sd))
    }

    @Test func lowerIsBetterAndMissingMetricsRenormalise() {
        let cfg = RatingConfig(pillarWeights: [.speed: 1, .completeness: 1],
                               metrics: [MetricWeight(.medianAnswerHours, pillar: .speed, weight: 1),
                                         MetricWeight(.completeness, pillar: .completeness, weight: 1)],
                               minVolume: 1)
        let r = CompositeRating.rate(peers(), config: cfg)
        let e = Dictionary(uniqueKeysWithValues: r.map { ($0.key.entity, $0) })
        // median: A 25, B 100, C 5 → (100−x)/95: A 75/95, B 0, C 1.
        #expect(approx(e["A"]?.normalised[.medianAnswerHours], 75.0 / 95))
        // completeness: A .5, B 1, C nil → A 0, B 1; C uses speed only.
        #expect(approx(e["C"]?.score, 100))
        #expect(approx(e["A"]?.score, 100 * (75.0 / 95) / 2))
        #expect(approx(e["B"]?.score, 50))
        #expect(e["C"]?.pillarScores[.completeness] == nil)
    }

    /// A row below the minimum volume is not ranked, and its score stays within 0…100 although its values lie outside
    /// the ranked rows' range (before: 150 for an on-time share beyond the best ranked row's).
    @Test func unrankedRowsScoreWithinTheScale() {
        func g(_ id: String, _ n: Int, _ onTime: Int) -> GroupMetrics {
            let fs = (0..<n).map { i in
                AppealFact(id: "\(id)\(i)", agencyID: id, municipalityID: "M", topicCode: "t", categoryCode: "c",
                           registeredAt: t0, answeredAt: h(1), deadline: i < onTime ? h(2) : h(0.5))
            }
            return MetricsCalculator.metrics(of: fs, key: GroupKey(dimensions: [.agency], values: [id], period: "p"),
                                             asOf: h(100), population: nil)
        }
        var cfg = RatingConfig(pillarWeights: [.speed: 1], metrics: [MetricWeight(.onTimeShare, pillar: .speed, weight: 1)])
        cfg.minVolume = 5
        cfg.priorStrength = nil
        let rated = CompositeRating.rate([g("X", 10, 6), g("Y", 10, 4), g("S", 2, 2)], config: cfg)
        let small = rated.first { $0.key.entity == "S" }
        #expect(small?.rank == nil)
        #expect(small?.score.map { (0...100).contains($0) } == true)
    }

    @Test func tiesAndRankChanges() {
        func g(_ id: String, _ onTime: Int) -> GroupMetrics {
            let fs = (0..<10).map { i in
                AppealFact(id: "\(id)\(i)", agencyID: id, municipalityID: "M", topicCode: "t", categoryCode: "c",
                           registeredAt: t0, answeredAt: h(1), deadline: i < onTime ? h(2) : h(0.5))
            }
            return MetricsCalculator.metrics(of: fs, key: GroupKey(dimensions: [.agency], values: [id], period: "p"),
                                             asOf: h(100), population: nil)
        }
        let cfg = RatingConfig(pillarWeights: [.speed: 1], metrics: [MetricWeight(.onTimeShare, pillar: .speed, weight: 1)])
        let peers = [g("X", 9), g("Y", 9), g("Z", 5), g("W", 1)]
        let comp = CompositeRating.rate(peers, config: cfg)
        #expect(comp.map(\.key.entity) == ["X", "Y", "Z", "W"])
        #expect(comp.map(\.rank) == [1, 1, 3, 4])
        var dense = cfg
        dense.tieRule = .dense
        #expect(CompositeRating.rate(peers, config: dense).map(\.rank) == [1, 1, 2, 3])
        // Previous period: W was 1st, Z 2nd, X 3rd; Y absent.
        let prevPeers = [g("W", 9), g("Z", 7), g("X", 5)]
        let prev = CompositeRating.rate(prevPeers, config: cfg)
        let now = CompositeRating.rate(peers, config: cfg, previous: prev)
        let e = Dictionary(uniqueKeysWithValues: now.map { ($0.key.entity, $0) })
        #expect(e["X"]?.previousRank == 3)
        #expect(e["X"]?.rankChange == 2)
        #expect(e["W"]?.rankChange == -3)
        #expect(e["Z"]?.rankChange == -1)
        #expect(e["Y"]?.rankChange == nil)
        // Scores: now X 100 (0.9 max), Z (0.5−0.1)/0.8 = 50; prev Z (0.7−0.5)/0.4 = 50, X 0.
        #expect(approx(e["X"]?.scoreChange, 100))
        #expect(approx(e["Z"]?.scoreChange, 0))
    }

    @Test func minVolumeExcludesFromRanking() {
        var cfg = Self.simple
        cfg.minVolume = 3
        let r = CompositeRating.rate(peers(), config: cfg)
        let e = Dictionary(uniqueKeysWithValues: r.map { ($0.key.entity, $0) })
        #expect(e["A"]?.rank == 1)
        #expect(e["B"]?.rank == nil)
        #expect(e["C"]?.rank == nil)
        #expect(approx(e["A"]?.score, 50)) // the only eligible peer: all equal → 0.5
        #expect(r.first?.key.entity == "A")
    }

    @Test func standardConfigRunsEndToEnd() {
        let gs = MetricsCalculator.compute(facts, by: [.municipality], period: period, population: ["M1": 20_000, "M2": 10_000, "M3": 5_000])
        var cfg = RatingConfig.standard
        cfg.minVolume = 1
        let r = CompositeRating.rate(gs, config: cfg)
        #expect(r.count == 3)
        #expect(r.allSatisfy { $0.rank != nil && ($0.score ?? -1) >= 0 && ($0.score ?? 101) <= 100 })
        let weights = RatingConfig.standard.pillarWeights.values.reduce(0, +)
        #expect(approx(weights, 1))
    }
}

@Suite struct ProblemAndKPITests {
    @Test func topProblemsWithOtherDecomposed() throws {
        func f(_ i: Int, _ cat: String, _ sub: String? = nil) -> AppealFact {
            AppealFact(id: "p\(i)", agencyID: "A", municipalityID: "M", topicCode: "roads", categoryCode: cat, subReason: sub, registeredAt: t0)
        }
        var fs: [AppealFact] = []
        for i in 0..<5 { fs.append(f(i, "pothole")) }
        for i in 5..<8 { fs.append(f(i, "lighting")) }
        fs += [f(8, "other", "Яма во дворе"), f(9, "other", "  яма   во дворе. "), f(10, "other", "шум"), f(11, "other", nil)]
        fs.append(f(12, "snow"))
        fs.append(AppealFact(id: "z", agencyID: "A", municipalityID: "M", topicCode: "housing", categoryCode: "heating", registeredAt: t0))
        let res = ProblemAnalysis.topProblems(fs, limit: 3)
        #expect(res.map(\.topic) == ["roads", "housing"])
        let roads = try #require(res.first)
        #expect(roads.total == 13)
        #expect(roads.top.map(\.code) == ["pothole", "other", "lighting"])
        #expect(approx(roads.top.first?.share, 5.0 / 13))
        let other = roads.top[1]
        #expect(other.subReasons.map(\.code) == ["яма во дворе", "(не указано)", "шум"])
        #expect(other.subReasons.map(\.count) == [2, 1, 1])
        #expect(approx(other.subReasons.first?.share, 0.5))
        #expect(roads.top[0].subReasons.isEmpty)
    }

    @Test func kpiStatuses() {
        let onTime = KPITarget(.onTimeShare, .atLeast, 0.95, amberMargin: 0.05)
        #expect(onTime.status(0.95) == .green)
        #expect(onTime.status(0.92) == .amber)
        #expect(onTime.status(0.90) == .amber)
        #expect(onTime.status(0.899) == .red)
        #expect(onTime.status(nil) == .noData)
        let reopen = KPITarget(.reopenRate, .atMost, 0.05, amberMargin: 0.05)
        #expect(reopen.status(0.0) == .green)
        #expect(reopen.status(0.08) == .amber)
        #expect(reopen.status(0.2) == .red)
        let a = byAgency()
        // A: on-time .75 red, satisfaction 3.67 amber, reopen .25 red, repeat .25 red.
        if let ga = a["A"] {
            let res = KPIEvaluator.evaluate([ga])
            #expect(res.map(\.status) == [.red, .amber, .red, .red])
            #expect(KPIEvaluator.overall(res) == .red)
        }
        // C: on-time 1 green, satisfaction 5 green, reopen 0 green, repeat 0 green.
        if let gc = a["C"] { #expect(KPIEvaluator.overall(KPIEvaluator.evaluate([gc])) == .green) }
        #expect(KPIEvaluator.overall([]) == .noData)
    }
}
