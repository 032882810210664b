import Foundation
import Testing
import TextAnalysis
import WorkCalendar
import Workload
@testable import MediaMonitoring

@Suite struct CountStatisticsTests {
    @Test func poissonAndNegativeBinomialTails() {
        // P(X ≥ 3 | Poisson(1)) = 1 − e⁻¹(1 + 1 + ½)
        #expect(abs(CountStatistics.poissonUpperTail(3, mean: 1) - (1 - exp(-1) * 2.5)) < 1e-12)
        #expect(CountStatistics.poissonUpperTail(0, mean: 4) == 1)
        // NB with mean 2, variance 4: r = 2, p = ½ → P(X = 0) = ¼.
        #expect(abs(CountStatistics.negativeBinomialUpperTail(1, mean: 2, dispersion: 2) - 0.75) < 1e-12)
        // Overdispersion makes a large count less surprising.
        #expect(CountStatistics.negativeBinomialUpperTail(12, mean: 4, dispersion: 3) > CountStatistics.poissonUpperTail(12, mean: 4) * 10)
        #expect(CountStatistics.negativeBinomialUpperTail(12, mean: 4, dispersion: 1) == CountStatistics.poissonUpperTail(12, mean: 4))
    }

    @Test func benjaminiHochbergMatchesTheTextbookExample() {
        let q = CountStatistics.benjaminiHochberg([0.01, 0.04, 0.03, 0.005])
        #expect(zip(q, [0.02, 0.04, 0.04, 0.02]).allSatisfy { abs($0 - $1) < 1e-12 })
    }
}

/// Poisson draws with a deterministic generator (Knuth; small means).
func poisson(_ mean: Double, _ rng: inout SplitMix64) -> Int {
    let l = exp(-mean)
    var k = 0, p = 1.0
    repeat { k += 1; p *= Double(rng.next() >> 11) / Double(1 << 53) } while p > l
    return k - 1
}

@Suite struct SurgeDetectorTests {
    /// 60 synthetic series with a weekday/weekend rhythm, 120 days.
    func synthetic(seed: UInt64) -> [CountSeries] {
        var rng = SplitMix64(seed: seed)
        return (0..<60).map { i in
            let base = 0.5 + Double(i % 10)
            let counts = (0..<120).map { t in poisson(base * (t % 7 >= 5 ? 0.4 : 1.2), &rng) }
            return CountSeries(topic: "t\(i % 6)", territory: "m\(i / 6)", counts: counts)
        }
    }

    @Test func quietSeriesRaiseAlmostNoAlarmsAndAnInjectedSurgeIsFound() {
        let series = synthetic(seed: 7)
        let options = SurgeOptions()
        let buckets = SurgeDetector.firstTestableBucket(options)..<120
        let alarms = SurgeDetector.scan(series, buckets: buckets, options: options)
        // BH at q = 0.01 per bucket: under the null, P(any alarm in a bucket) ≤ 0.01 → ~1 in 91 buckets.
        #expect(alarms.count <= 3, "\(alarms)")
        var injected = series
        injected[13].counts[100] += 15
        let found = SurgeDetector.detect(injected, at: 100, options: options)
        #expect(found.contains { $0.topic == series[13].topic && $0.territory == series[13].territory })
        let hit = found.first { $0.territory == series[13].territory && $0.topic == series[13].topic }
        #expect((hit?.qValue ?? 1) <= 0.01 && (hit?.observed ?? 0) >= 15)
        #expect(SurgeDetector.detect(injected, at: 100, options: options) == found, "deterministic")
    }

    @Test func weekdayRhythmIsNotASurge() {
        // Every Monday triples; a flat baseline would flag each Monday, the seasonal profile does not.
        let counts = (0..<84).map { t in t % 7 == 0 ? 30 : 10 }
        let series = (0..<5).map { CountSeries(topic: "housing", territory: "d\($0)", counts: counts) }
        #expect(SurgeDetector.scan(series, buckets: 29..<84).isEmpty)
        var flat = SurgeOptions()
        flat.seasonPeriod = 1
        let monday = 77
        #expect(SurgeDetector.test(series, at: monday, options: flat)[0].pValue
                < SurgeDetector.test(series, at: monday, options: SurgeOptions())[0].pValue / 10,
                "without the profile a Monday looks far more surprising")
    }

    @Test func smallAbsoluteRiseIsNotReported() {
        var counts = [Int](repeating: 0, count: 40)
        counts[39] = 2
        #expect(SurgeDetector.detect([CountSeries(topic: "a", territory: "b", counts: counts)], at: 39).isEmpty)
        counts[39] = 4
        #expect(SurgeDetector.detect([CountSeries(topic: "a", territory: "b", counts: counts)], at: 39).count == 1)
    }

    /// Real St Petersburg appeals per (category, district) and day: most single-day injections of +7× the
    /// expected count are found, and the untouched series raise few alarms (measured 59 % and 2.3 per 1,000).
    @Test func realSPbSeriesWithInjections() throws {
        guard let dir = sharedData(), let first = CivilDate(year: 2020, month: 10, day: 19),
              let last = CivilDate(year: 2021, month: 4, day: 22) else { return }
        let rows = try SPbAppeals.load(dataDirectory: dir)
        let series = SPbAppeals.dailyCounts(rows, first: first, last: last) { $0.category + "|" + $0.district }
            .map { CountSeries(topic: $0.key, territory: "", counts: $0.counts) }
        let report = SurgeEvaluation.run(series, multiples: [7], trials: 120)
        #expect(report.alarmsPerSeriesBucket < 0.005, "\(report.summary)")
        let detected = report.power.reduce(0) { $0 + $1.detected }, trials = report.power.reduce(0) { $0 + $1.trials }
        #expect(trials == 120 && Double(detected) / Double(trials) >= 0.5, "\(report.summary)")
    }
}
