import DataKit
import Foundation
import Testing
@testable import SurveyStats

@Suite struct NHANESTests {
    // reference_values.json: strata=stratid (31), psu=psuid (62), weight=finalwgt, with replacement
    @Test func nhanesZincAndHighBP() throws {
        let t = try Fixture.table("nhanes2_samplics.csv")
        let d = try SurveyDesign(weights: t.doubles("finalwgt"), strata: t.strings("stratid"),
                                 clusters: [t.strings("psuid")])
        #expect(d.degreesOfFreedom == 31)
        let zinc = try d.mean(t.doubles("zinc"), missing: .exclude)
        #expect(zinc.sampleSize == 9189)
        #expect(matchesPrinted(zinc.estimate, "87.182067"))
        #expect(matchesPrinted(zinc.standardError, "0.4944827"))
        let bp = try d.mean(t.doubles("highbp"))
        #expect(bp.sampleSize == 10337)
        #expect(matchesPrinted(bp.estimate, "0.368743"))
        #expect(matchesPrinted(bp.standardError, "0.0143201"))
        // proportions of a categorical variable equal means of indicators
        let props = try d.proportions(t.strings("highbp"))
        #expect(props.map(\.domain) == ["0", "1"])
        #expect(abs(props[1].value.estimate - bp.estimate) < 1e-12)
        #expect(abs(props[0].value.standardError - bp.standardError) < 1e-12)
        // t interval with design df 31
        let ci = bp.confidenceInterval(method: .studentT(degreesOfFreedom: nil))
        #expect(abs((ci.upper - bp.estimate) / bp.standardError - 2.039513) < 1e-5)
    }
}

@Suite struct SatisfactionIndexTests {
    // Equal weights, one-stage SRS with replacement: linearised variance of a mean is s²/n.
    static let answers: [Double] = [10, 9, 9, 8, 7, 6, 5, 10, 3, 0, 9, 8, .nan, 10, 2]

    static func srsVarianceOfMean(_ y: [Double]) -> Double {
        let n = Double(y.count), m = y.reduce(0, +) / n
        return y.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1) / n
    }

    @Test func nps() throws {
        let d = try SurveyDesign(weights: Array(repeating: 2.5, count: Self.answers.count))
        let r = try d.netPromoterScore(Self.answers)
        let valid = Self.answers.filter { !$0.isNaN }
        let score = valid.map { $0 >= 9 ? 100.0 : ($0 <= 6 ? -100.0 : 0) }
        let promoters = Double(valid.filter { $0 >= 9 }.count) / Double(valid.count)
        let detractors = Double(valid.filter { $0 <= 6 }.count) / Double(valid.count)
        #expect(abs(r.nps.estimate - 100 * (promoters - detractors)) < 1e-9)
        #expect(abs(r.promoters.estimate + r.passives.estimate + r.detractors.estimate - 1) < 1e-12)
        // the unanswered row stays in the design with zero influence (R na.rm=TRUE semantics)
        let m = score.reduce(0, +) / Double(score.count)
        let infl = Self.answers.map { $0.isNaN ? 0 : (($0 >= 9 ? 100.0 : ($0 <= 6 ? -100.0 : 0)) - m) / Double(score.count) }
        let n = Double(infl.count), xbar = infl.reduce(0, +) / n
        let expected = n / (n - 1) * infl.reduce(0) { $0 + ($1 - xbar) * ($1 - xbar) }
        #expect(abs(r.nps.variance - expected) < 1e-9)
        let complete = try SurveyDesign(weights: Array(repeating: 1, count: score.count)).mean(score)
        #expect(abs(complete.variance - Self.srsVarianceOfMean(score)) < 1e-9)
        #expect(r.nps.sampleSize == 14)
        #expect(throws: SurveyError.valueOutOfScale(field: "nps", row: 1, value: 11)) {
            _ = try d.netPromoterScore([1, 11] + Array(repeating: 5, count: Self.answers.count - 2))
        }
    }

    @Test func npsByDomainUsesFullDesign() throws {
        let groups = ["a", "b", "a", "b", "a", "b", "a", "b", "a", "b", "a", "b", "a", "b", "a"]
        let d = try SurveyDesign(weights: Array(repeating: 1, count: groups.count), strata: groups.map { _ in "s" })
        let by = try d.by(groups) { try d.netPromoterScore(Self.answers, domain: $0) }
        #expect(by.map(\.domain) == ["a", "b"])
        // domain SE: variance of zero-padded influence over all n rows, not the subset formula
        let a = by[0].value.nps
        #expect(a.sampleSize == 7)
        #expect(a.standardError > 0)
    }

    @Test func likertAndCSI() throws {
        let q1: [Double] = [5, 4, 4, 3, 2, 5, 1, 4, .nan, 5]
        let q2: [Double] = [4, 4, 5, 3, 1, 5, 2, 3, 4, .nan]
        let w: [Double] = [1, 2, 1, 2, 1, 2, 1, 2, 1, 2]
        let d = try SurveyDesign(weights: w)
        let l = try d.likert(q1)
        var sw = 0.0, sy = 0.0, top = 0.0
        for i in 0..<10 where !q1[i].isNaN { sw += w[i]; sy += w[i] * q1[i]; top += q1[i] >= 4 ? w[i] : 0 }
        #expect(abs(l.mean.estimate - sy / sw) < 1e-12)
        #expect(abs(l.topBox.estimate - top / sw) < 1e-12)
        let csi = try d.satisfactionIndex(items: [q1, q2])
        var num = 0.0, den = 0.0
        for i in 0..<10 {
            let items = [q1[i], q2[i]].filter { !$0.isNaN }
            let idx = items.map { 100 * ($0 - 1) / 4 }.reduce(0, +) / Double(items.count)
            num += w[i] * idx; den += w[i]
        }
        #expect(abs(csi.estimate - num / den) < 1e-9)
        #expect(csi.estimate >= 0 && csi.estimate <= 100)
        let strict = try d.satisfactionIndex(items: [q1, q2], minimumAnswered: 2)
        #expect(strict.sampleSize == 8)
        #expect(throws: SurveyError.valueOutOfScale(field: "item 1", row: 0, value: 6)) {
            _ = try d.satisfactionIndex(items: [[6] + q1.dropFirst(), q2])
        }
    }
}

@Suite struct ValidationTests {
    @Test func designErrors() {
        #expect(throws: SurveyError.nonPositiveWeight(row: 1, value: 0)) { _ = try SurveyDesign(weights: [1, 0, 2]) }
        #expect(throws: SurveyError.nonPositiveWeight(row: 0, value: -1)) { _ = try SurveyDesign(weights: [-1, 1]) }
        #expect(throws: SurveyError.self) { _ = try SurveyDesign(weights: [1, .nan]) }
        #expect(throws: SurveyError.lengthMismatch(field: "strata", expected: 3, actual: 2)) {
            _ = try SurveyDesign(weights: [1, 1, 1], strata: ["a", "b"])
        }
        #expect(throws: SurveyError.missingStratum(row: 1)) { _ = try SurveyDesign(weights: [1, 1], strata: ["a", ""]) }
        #expect(throws: SurveyError.missingCluster(row: 0, stage: 1)) { _ = try SurveyDesign(weights: [1, 1], clusters: [["", "x"]]) }
        #expect(throws: SurveyError.emptyDesign) { _ = try SurveyDesign(weights: []) }
        #expect(throws: SurveyError.missingWeights) { _ = try SurveyDesign(strata: ["a", "a"]) }
        #expect(throws: SurveyError.conflictingWeights) { _ = try SurveyDesign(weights: [1], probabilities: [1]) }
        #expect(throws: SurveyError.self) {
            _ = try SurveyDesign(weights: [1, 1, 1], fpc: [.populationSize([2, 2, 2])]) // N < n
        }
        #expect(throws: SurveyError.fpcNotConstantInStratum(stage: 1, stratum: "a")) {
            _ = try SurveyDesign(weights: [1, 1], strata: ["a", "a"], fpc: [.populationSize([10, 11])])
        }
        #expect(throws: SurveyError.self) { _ = try SurveyDesign(weights: [1, 1], fpc: [.samplingFraction([1.5, 1.5])]) }
    }

    @Test func estimatorErrors() throws {
        let d = try SurveyDesign(weights: [1, 2, 3])
        #expect(throws: SurveyError.lengthMismatch(field: "y", expected: 3, actual: 2)) { _ = try d.mean([1, 2]) }
        #expect(throws: SurveyError.missingValue(field: "y", row: 1)) { _ = try d.mean([1, .nan, 3]) }
        #expect(throws: SurveyError.nonFiniteValue(field: "y", row: 2)) { _ = try d.mean([1, 2, .infinity]) }
        #expect(throws: SurveyError.emptyDomain("mean")) { _ = try d.mean([1, 2, 3], domain: [false, false, false]) }
        #expect(throws: SurveyError.zeroDenominator("ratio")) { _ = try d.ratio(numerator: [1, 2, 3], denominator: [0, 0, 0]) }
        let m = try d.mean([1, .nan, 3], missing: .exclude)
        #expect(abs(m.estimate - 2.5) < 1e-12 && m.sampleSize == 2)
    }

    @Test func trimming() throws {
        let w: [Double] = [1, 2, 3, 50, 4]
        let d = try SurveyDesign(weights: w)
        let t = try d.trimmedWeights(upper: 20)
        #expect(abs(t.weights.reduce(0, +) - w.reduce(0, +)) < 1e-9)
        #expect(t.weights[3] == 20)
        #expect(abs(t.weights[0] - (1 + 30.0 / 4)) < 1e-12) // R trimWeights: equal redistribution
        let s = try d.trimmedWeights(lower: 1, upper: 15, strict: true)
        #expect(s.weights.allSatisfy { $0 >= 1 - 1e-9 && $0 <= 15 + 1e-9 })
        #expect(throws: SurveyError.self) { _ = try d.trimmedWeights(lower: 5, upper: 1) }
    }
}
