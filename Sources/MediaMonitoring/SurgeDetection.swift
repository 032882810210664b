/// Counts of posts (or appeals) of one topic in one territory per time bucket.
public struct CountSeries: Sendable, Hashable, Codable {
    public var topic: String
    public var territory: String
    /// Counts per bucket; bucket i of every series in one call is the same time interval.
    public var counts: [Int]
    public init(topic: String, territory: String, counts: [Int]) {
        self.topic = topic
        self.territory = territory
        self.counts = counts
    }
}

/// A detected surge.
public struct Surge: Sendable, Hashable, Codable {
    public var topic: String
    public var territory: String
    public var bucket: Int
    public var observed: Int
    /// Expected count from the recent baseline (seasonally adjusted).
    public var expected: Double
    /// Overdispersion φ of the baseline (variance = φ · mean; 1 = Poisson).
    public var dispersion: Double
    /// One-sided exceedance p-value P(X ≥ observed).
    public var pValue: Double
    /// Benjamini–Hochberg adjusted p-value across the series tested in this bucket.
    public var qValue: Double
    public var ratio: Double { expected > 0 ? Double(observed) / expected : .infinity }
}

/// Options of `SurgeDetector`. Defaults suit daily buckets.
public struct SurgeOptions: Sendable, Hashable, Codable {
    /// Baseline length in buckets (28 days = four weeks of each weekday).
    public var baselineWindow = 28
    /// Buckets right before the tested one left out of the baseline, so a surge building over two
    /// buckets does not raise its own baseline.
    public var guardBuckets = 1
    /// Seasonal period in buckets (7 for daily buckets with a weekly rhythm, 24 for hourly, 1 = none).
    public var seasonPeriod = 7
    /// False-discovery rate for Benjamini–Hochberg across the series of one bucket. Under the global
    /// null (no real surge anywhere) this bounds the chance of any alarm in that bucket.
    public var falseDiscoveryRate = 0.01
    /// A surge needs at least this many items and at least `minimumRatio` × expected (practical relevance).
    public var minimumCount = 3
    public var minimumRatio = 1.5
    public init() {}
}

/// Surge detection: an exceedance test of each series' count in a bucket against its recent baseline.
///
/// Model: the count of series s in bucket t is negative binomial with mean μ = level_s · season(t) and
/// variance φ_s · μ. `season` is the weekly (or daily) profile of the *pooled* counts of all series over
/// the baseline window (stable even for sparse series); level_s = (Σ baseline counts + ½) / Σ season —
/// the ½ keeps a never-seen series from having mean 0; φ_s is the Pearson dispersion of the baseline,
/// floored at 1 (Poisson); both are refitted without baseline buckets that were themselves surges. The p-value is P(X ≥ observed). All series of a bucket are tested together
/// and the p-values are adjusted by Benjamini–Hochberg; a surge is q ≤ `falseDiscoveryRate` plus the
/// practical thresholds.
///
/// Why this test (rather than CUSUM/EWMA): a surge here is a sudden jump in one bucket, which the
/// exceedance test catches with full power at once; it gives a p-value per (topic, territory), so
/// hundreds of series can be corrected for multiplicity with a known false-alarm guarantee, whereas a
/// CUSUM's threshold would need per-series simulation of its run length under each baseline mean.
/// Overdispersion (real counts are burstier than Poisson) is absorbed by φ, the weekly rhythm by the
/// seasonal profile. It is the core of the Farrington/EARS family used in public-health surveillance.
/// Deterministic, pure.
public enum SurgeDetector {
    /// Surges in bucket `t` across `series`.
    public static func detect(_ series: [CountSeries], at t: Int, options: SurgeOptions = SurgeOptions()) -> [Surge] {
        let tested = test(series, at: t, options: options)
        guard !tested.isEmpty else { return [] }
        let q = CountStatistics.benjaminiHochberg(tested.map(\.pValue))
        var out: [Surge] = []
        for (i, s) in tested.enumerated() {
            var surge = s
            surge.qValue = q[i]
            if q[i] <= options.falseDiscoveryRate, s.observed >= options.minimumCount,
               Double(s.observed) >= options.minimumRatio * s.expected {
                out.append(surge)
            }
        }
        return out.sorted { ($0.pValue, $0.topic, $0.territory) < ($1.pValue, $1.topic, $1.territory) }
    }

    /// Surges in every bucket of `buckets` (each bucket tested and corrected on its own).
    public static func scan(_ series: [CountSeries], buckets: Range<Int>, options: SurgeOptions = SurgeOptions()) -> [Surge] {
        buckets.flatMap { detect(series, at: $0, options: options) }
    }

    /// First bucket that has a full baseline.
    public static func firstTestableBucket(_ options: SurgeOptions) -> Int { options.baselineWindow + options.guardBuckets }

    /// Unadjusted tests (qValue = pValue) for every series with a full baseline at `t`.
    static func test(_ series: [CountSeries], at t: Int, options: SurgeOptions) -> [Surge] {
        let hi = t - options.guardBuckets, lo = hi - options.baselineWindow
        guard lo >= 0, options.baselineWindow > 0 else { return [] }
        let window = Array(lo..<hi)
        let period = max(1, options.seasonPeriod)
        // Pooled seasonal profile over the window.
        var phaseSum = [Double](repeating: 0, count: period), phaseN = [Double](repeating: 0, count: period)
        for s in series where s.counts.count > t { for j in window { phaseSum[j % period] += Double(s.counts[j]); phaseN[j % period] += 1 } }
        let pooledMean = phaseSum.reduce(0, +) / max(1, phaseN.reduce(0, +))
        let season = (0..<period).map { k -> Double in
            guard pooledMean > 0, phaseN[k] > 0 else { return 1 }
            return max(0.05, (phaseSum[k] / phaseN[k]) / pooledMean)
        }
        var out: [Surge] = []
        for s in series where s.counts.count > t {
            let (level, phi) = baseline(s.counts, window: window, season: season, period: period)
            let mu = level * season[t % period]
            let observed = s.counts[t]
            let p = CountStatistics.negativeBinomialUpperTail(observed, mean: mu, dispersion: phi)
            out.append(Surge(topic: s.topic, territory: s.territory, bucket: t, observed: observed, expected: mu,
                             dispersion: phi, pValue: p, qValue: p))
        }
        return out
    }

    /// Level and dispersion of one series over the window, Farrington-style: a first fit on every
    /// baseline bucket, then a refit without buckets whose standardised residual exceeds 2.58 (earlier
    /// surges), so past outbreaks neither inflate the expected count nor the dispersion.
    static func baseline(_ counts: [Int], window: [Int], season: [Double], period: Int) -> (level: Double, phi: Double) {
        func fit(_ days: [Int]) -> (Double, Double) {
            let seasonSum = days.reduce(0.0) { $0 + season[$1 % period] }
            let total = days.reduce(0) { $0 + counts[$1] }
            let level = (Double(total) + 0.5) / max(seasonSum, 1e-9)
            var pearson = 0.0
            for j in days {
                let mu = level * season[j % period]
                let d = Double(counts[j]) - mu
                pearson += d * d / mu
            }
            return (level, max(1, pearson / Double(max(1, days.count - 1))))
        }
        let (level, phi) = fit(window)
        let kept = window.filter { j in
            let mu = level * season[j % period]
            return (Double(counts[j]) - mu) / (phi * mu).squareRoot() <= 2.58
        }
        return kept.count >= window.count / 2 && kept.count < window.count ? fit(kept) : (level, phi)
    }
}
