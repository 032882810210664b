import TextAnalysis

/// Detection power and false-alarm rate of `SurgeDetector` on real count series, by synthetic injection.
public struct SurgeEvaluationReport: Sendable {
    /// Detection rate of injected surges of one size (`multiple`) within one expected-count stratum.
    public struct Power: Sendable {
        /// Injected extra items as a multiple of the expected count (at least 3 items).
        public let multiple: Double
        /// Expected-count stratum of the injected series-bucket: `< 1`, `1–5`, `≥ 5`.
        public let stratum: String
        public let trials: Int
        public let detected: Int
        public var rate: Double { trials == 0 ? 0 : Double(detected) / Double(trials) }
    }
    public let series: Int
    public let testedBuckets: Int
    /// Alarms on the untouched series (real surges included: the data is real).
    public let alarms: Int
    public var alarmsPerSeriesBucket: Double { Double(alarms) / Double(max(1, series * testedBuckets)) }
    /// Share of buckets with at least one alarm.
    public let bucketsWithAlarm: Int
    public let power: [Power]

    public var summary: String {
        var s = "series \(series), tested buckets \(testedBuckets) (\(series * testedBuckets) series-buckets)\n"
        s += "untouched data: \(alarms) alarms = \(fmt(alarmsPerSeriesBucket * 1000)) per 1,000 series-buckets; "
        s += "\(bucketsWithAlarm) of \(testedBuckets) buckets with any alarm\n"
        for p in power {
            s += "injected +\(fmt(p.multiple))× expected (≥3 items), expected \(p.stratum): detected \(p.detected)/\(p.trials) = \(fmt(p.rate * 100))%\n"
        }
        return s
    }

    private func fmt(_ x: Double) -> String { String(format: "%.2f", x) }
}

/// Measures `SurgeDetector` by injecting synthetic surges into real count series (`veche-tool surge-eval`).
public enum SurgeEvaluation {
    /// Scans the untouched series, then for each multiple runs `trials` single injections at random
    /// (series, bucket) pairs (seeded, deterministic) and checks whether that series is flagged there;
    /// detection is reported per stratum of the expected count (3 extra posts on a series that expects
    /// 0.2 a day are not significant among hundreds of series — that is the multiplicity control at work).
    public static func run(_ series: [CountSeries], options: SurgeOptions = SurgeOptions(),
                           multiples: [Double] = [1, 3, 7], trials: Int = 300, seed: UInt64 = 12) -> SurgeEvaluationReport {
        let length = series.map(\.counts.count).min() ?? 0
        let first = SurgeDetector.firstTestableBucket(options)
        guard length > first, !series.isEmpty else {
            return SurgeEvaluationReport(series: series.count, testedBuckets: 0, alarms: 0, bucketsWithAlarm: 0, power: [])
        }
        var alarms = 0, bucketsWithAlarm = 0
        for t in first..<length {
            let n = SurgeDetector.detect(series, at: t, options: options).count
            alarms += n
            if n > 0 { bucketsWithAlarm += 1 }
        }
        var rng = SplitMix64(seed: seed)
        var power: [SurgeEvaluationReport.Power] = []
        let strata = ["< 1", "1–5", "≥ 5"]
        for m in multiples {
            var detected = [Int](repeating: 0, count: 3), tried = [Int](repeating: 0, count: 3)
            for _ in 0..<trials {
                let s = Int(rng.next() % UInt64(series.count))
                let t = first + Int(rng.next() % UInt64(length - first))
                let expected = SurgeDetector.test(series, at: t, options: options)[s].expected
                let stratum = expected < 1 ? 0 : (expected < 5 ? 1 : 2)
                tried[stratum] += 1
                let extra = max(3, Int((m * expected).rounded(.up)))
                var injected = series
                injected[s].counts[t] += extra
                let hits = SurgeDetector.detect(injected, at: t, options: options)
                if hits.contains(where: { $0.topic == series[s].topic && $0.territory == series[s].territory }) { detected[stratum] += 1 }
            }
            for k in 0..<3 where tried[k] > 0 {
                power.append(.init(multiple: m, stratum: strata[k], trials: tried[k], detected: detected[k]))
            }
        }
        return SurgeEvaluationReport(series: series.count, testedBuckets: length - first, alarms: alarms,
                                     bucketsWithAlarm: bucketsWithAlarm, power: power)
    }
}
