import Foundation

/// The four pillars of the composite rating.
public enum Pillar: String, Hashable, Sendable, Codable, CaseIterable {
    case quantity, quality, speed, completeness
}

/// A metric's place in the composite: pillar, weight inside the pillar and direction.
public struct MetricWeight: Hashable, Sendable, Codable {
    public var metric: Metric
    public var pillar: Pillar
    public var weight: Double
    public var higherIsBetter: Bool

    public init(_ metric: Metric, pillar: Pillar, weight: Double, higherIsBetter: Bool? = nil) {
        self.metric = metric
        self.pillar = pillar
        self.weight = weight
        self.higherIsBetter = higherIsBetter ?? metric.higherIsBetter
    }
}

/// How metric values are put on a common scale across peers before pillar weighting.
public enum Normalisation: String, Hashable, Sendable, Codable {
    /// s = (x − min)/(max − min) ∈ [0, 1] across peers (reversed for lower-is-better);
    /// all peers equal → 0.5. Scaled score = 100 × composite.
    case minMax
    /// s = (x − mean)/sd with the population standard deviation across peers (sign reversed for
    /// lower-is-better); sd = 0 → 0. Scaled score = 50 + 10 × composite (T-score).
    case zScore
}

/// How peers whose scores are equal (within `tieTolerance`) are ranked.
public enum TieRule: String, Hashable, Sendable, Codable {
    /// "1224": tied peers share the best rank, the next rank skips.
    case competition
    /// "1223": no gaps after ties.
    case dense
}

/// Configuration of the composite rating.
///
/// Standard weights (`RatingConfig.standard`, sum of pillar weights = 1):
/// | pillar | weight | metrics (weight inside pillar, direction) |
/// |---|---|---|
/// | quantity | 0.15 | appeals per 10 000 residents (1.0, lower is better) |
/// | quality | 0.35 | mean satisfaction (0.5, ↑), reopen rate (0.25, ↓), repeat-appeal rate (0.25, ↓) |
/// | speed | 0.35 | on-time share (0.7, ↑), median answer hours (0.3, ↓) |
/// | completeness | 0.15 | completeness (1.0, ↑) |
///
/// Pipeline per metric: raw value → optional Bayesian shrinkage toward the peer mean (small
/// volumes) → normalisation across peers → pillar score = weighted mean of its available metrics →
/// composite = weighted mean of available pillars (weights renormalised over what is present, so a
/// missing metric neither rewards nor punishes) → rank.
///
/// Shrinkage (`priorStrength` = k): x̃ = (n·x + k·μ)/(n + k) where n is the metric's support
/// (e.g. rated appeals for satisfaction) and μ the support-weighted peer mean Σnᵢxᵢ/Σnᵢ. For a
/// share this is the posterior mean under a Beta(kμ, k(1−μ)) prior. Not applied to volume or
/// appeals per 10 000 (population normalisation is their adjustment).
public struct RatingConfig: Hashable, Sendable, Codable {
    public var pillarWeights: [Pillar: Double]
    public var metrics: [MetricWeight]
    public var normalisation: Normalisation
    /// Prior strength k for shrinkage; nil or 0 = off.
    public var priorStrength: Double?
    /// Groups with fewer appeals are reported but not ranked.
    public var minVolume: Int
    public var tieRule: TieRule
    /// Scores closer than this are ties.
    public var tieTolerance: Double

    public init(pillarWeights: [Pillar: Double], metrics: [MetricWeight], normalisation: Normalisation = .minMax,
                priorStrength: Double? = nil, minVolume: Int = 1, tieRule: TieRule = .competition, tieTolerance: Double = 1e-9) {
        self.pillarWeights = pillarWeights
        self.metrics = metrics
        self.normalisation = normalisation
        self.priorStrength = priorStrength
        self.minVolume = minVolume
        self.tieRule = tieRule
        self.tieTolerance = tieTolerance
    }

    public static let standard = RatingConfig(
        pillarWeights: [.quantity: 0.15, .quality: 0.35, .speed: 0.35, .completeness: 0.15],
        metrics: [
            MetricWeight(.appealsPer10k, pillar: .quantity, weight: 1),
            MetricWeight(.meanSatisfaction, pillar: .quality, weight: 0.5),
            MetricWeight(.reopenRate, pillar: .quality, weight: 0.25),
            MetricWeight(.repeatRate, pillar: .quality, weight: 0.25),
            MetricWeight(.onTimeShare, pillar: .speed, weight: 0.7),
            MetricWeight(.medianAnswerHours, pillar: .speed, weight: 0.3),
            MetricWeight(.completeness, pillar: .completeness, weight: 1),
        ],
        normalisation: .minMax, priorStrength: 10, minVolume: 5)
}

/// One rated peer.
public struct RatingEntry: Hashable, Sendable {
    public var key: GroupKey
    public var metrics: GroupMetrics
    /// Metric values after shrinkage (equal to raw when shrinkage is off).
    public var adjusted: [Metric: Double]
    /// Normalised per-metric scores.
    public var normalised: [Metric: Double]
    public var pillarScores: [Pillar: Double]
    /// Composite in normalised units (0…1 for min-max, z units for z-score); nil if no data.
    public var composite: Double?
    /// 0…100 for min-max, T-score (50 ± 10) for z-score.
    public var score: Double?
    /// nil when below `minVolume` or without data.
    public var rank: Int?
    public var previousRank: Int?
    public var previousScore: Double?
    /// previousRank − rank: positive = moved up.
    public var rankChange: Int?
    public var scoreChange: Double?
}

/// Scores peer groups (agencies, municipalities…) under a `RatingConfig` and ranks them, with changes versus
/// the previous period.
public enum CompositeRating {
    /// Rates peers (all `metrics` are compared with each other; pass one period's groups).
    /// `previous` (the previous period's result) fills rank/score changes, matched by `GroupKey.entity`.
    /// Note: min-max/z scores are relative to the peer set, so a score change mixes own change and peers'.
    public static func rate(_ metrics: [GroupMetrics], config: RatingConfig = .standard,
                            previous: [RatingEntry] = []) -> [RatingEntry] {
        let eligible = metrics.map { $0.volume >= config.minVolume && $0.volume > 0 }
        var adjusted = Array(repeating: [Metric: Double](), count: metrics.count)
        var normalised = Array(repeating: [Metric: Double](), count: metrics.count)
        let k = config.priorStrength ?? 0
        for mw in config.metrics {
            let m = mw.metric
            // Shrinkage toward the support-weighted mean of eligible peers.
            var num = 0.0, den = 0.0
            for (i, g) in metrics.enumerated() where eligible[i] {
                if let x = g.value(m) { num += Double(g.support(m)) * x; den += Double(g.support(m)) }
            }
            let mu = den > 0 ? num / den : nil
            for (i, g) in metrics.enumerated() {
                guard let x = g.value(m) else { continue }
                if k > 0, let mu, m != .volume, m != .appealsPer10k {
                    let n = Double(g.support(m))
                    adjusted[i][m] = (n * x + k * mu) / (n + k)
                } else {
                    adjusted[i][m] = x
                }
            }
            // Normalisation across eligible peers.
            let vals = metrics.indices.compactMap { eligible[$0] ? adjusted[$0][m] : nil }
            guard !vals.isEmpty else { continue }
            for i in metrics.indices {
                guard let x = adjusted[i][m] else { continue }
                normalised[i][m] = normalise(x, among: vals, method: config.normalisation, higherIsBetter: mw.higherIsBetter)
            }
        }
        var entries: [RatingEntry] = metrics.indices.map { i in
            var pillarScores: [Pillar: Double] = [:]
            for p in Pillar.allCases {
                var s = 0.0, w = 0.0
                for mw in config.metrics where mw.pillar == p && mw.weight > 0 {
                    if let v = normalised[i][mw.metric] { s += mw.weight * v; w += mw.weight }
                }
                if w > 0 { pillarScores[p] = s / w }
            }
            var s = 0.0, w = 0.0
            for (p, v) in pillarScores {
                let pw = config.pillarWeights[p] ?? 0
                if pw > 0 { s += pw * v; w += pw }
            }
            let composite: Double? = w > 0 ? s / w : nil
            let score = composite.map { config.normalisation == .minMax ? 100 * $0 : 50 + 10 * $0 }
            return RatingEntry(key: metrics[i].key, metrics: metrics[i], adjusted: adjusted[i], normalised: normalised[i],
                               pillarScores: pillarScores, composite: composite, score: score, rank: nil,
                               previousRank: nil, previousScore: nil, rankChange: nil, scoreChange: nil)
        }
        // Ranking.
        let ranked = entries.indices.filter { eligible[$0] && entries[$0].score != nil }
        let scores = ranked.compactMap { entries[$0].score }
        var levels: [Double] = []
        for s in scores.sorted(by: >) where levels.last.map({ abs($0 - s) > config.tieTolerance }) ?? true {
            levels.append(s)
        }
        for i in ranked {
            guard let s = entries[i].score else { continue }
            switch config.tieRule {
            case .competition:
                entries[i].rank = 1 + scores.filter { $0 > s + config.tieTolerance }.count
            case .dense:
                entries[i].rank = 1 + levels.filter { $0 > s + config.tieTolerance }.count
            }
        }
        // Changes vs previous period.
        var prev: [String: RatingEntry] = [:]
        for p in previous { prev[p.key.entity] = p }
        for i in entries.indices {
            guard let p = prev[entries[i].key.entity] else { continue }
            entries[i].previousRank = p.rank
            entries[i].previousScore = p.score
            if let r = entries[i].rank, let pr = p.rank { entries[i].rankChange = pr - r }
            if let s = entries[i].score, let ps = p.score { entries[i].scoreChange = s - ps }
        }
        return entries.sorted {
            switch ($0.rank, $1.rank) {
            case let (a?, b?): return a != b ? a < b : $0.key.entity < $1.key.entity
            case (.some, .none): return true
            case (.none, .some): return false
            case (.none, .none): return $0.key.entity < $1.key.entity
            }
        }
    }

    static func normalise(_ x: Double, among vals: [Double], method: Normalisation, higherIsBetter: Bool) -> Double {
        switch method {
        case .minMax:
            guard let lo = vals.min(), let hi = vals.max(), hi > lo else { return 0.5 }
            // Clamped: a row below the minimum volume is scored against the eligible rows' range and may lie outside
            // it; its score stays within 0…100 as the contract says (unclamped it could top every ranked row).
            let s = min(1, max(0, (x - lo) / (hi - lo)))
            return higherIsBetter ? s : 1 - s
        case .zScore:
            let n = Double(vals.count)
            let mean = vals.reduce(0, +) / n
            let sd = (vals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
            guard sd > 0 else { return 0 }
            let z = (x - mean) / sd
            return higherIsBetter ? z : -z
        }
    }
}
