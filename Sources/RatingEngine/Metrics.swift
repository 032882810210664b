import Foundation

/// One citizen appeal as seen by the rating (input row; RatingService maps its DB rows to this).
public struct AppealFact: Hashable, Sendable, Codable {
    public var id: String
    public var agencyID: String
    public var municipalityID: String
    public var topicCode: String
    public var categoryCode: String
    /// Free-text or coded sub-reason, used to decompose "other" categories (may be nil).
    public var subReason: String?
    public var registeredAt: Date
    public var answeredAt: Date?
    public var closedAt: Date?
    /// Effective answer deadline (after extension if any), nil when none applies.
    public var deadline: Date?
    public var extended: Bool
    public var reopenedCount: Int
    /// Citizen satisfaction 1…5, nil when not rated.
    public var satisfaction: Int?
    /// Completeness of the answer in 0…1 (e.g. checklist score); nil when not assessed.
    public var completenessScore: Double?
    /// Binary completeness flag (answer addressed every question); used when `completenessScore` is nil.
    public var isComplete: Bool?
    /// Repeat appeal (same citizen, same issue, within the repeat window).
    public var isRepeat: Bool

    public init(id: String, agencyID: String, municipalityID: String, topicCode: String, categoryCode: String,
                subReason: String? = nil, registeredAt: Date, answeredAt: Date? = nil, closedAt: Date? = nil,
                deadline: Date? = nil, extended: Bool = false, reopenedCount: Int = 0, satisfaction: Int? = nil,
                completenessScore: Double? = nil, isComplete: Bool? = nil, isRepeat: Bool = false) {
        self.id = id
        self.agencyID = agencyID
        self.municipalityID = municipalityID
        self.topicCode = topicCode
        self.categoryCode = categoryCode
        self.subReason = subReason
        self.registeredAt = registeredAt
        self.answeredAt = answeredAt
        self.closedAt = closedAt
        self.deadline = deadline
        self.extended = extended
        self.reopenedCount = reopenedCount
        self.satisfaction = satisfaction
        self.completenessScore = completenessScore
        self.isComplete = isComplete
        self.isRepeat = isRepeat
    }

    /// Completeness value used by the metrics: the score, else 1/0 from the flag, else nil.
    public var completenessValue: Double? {
        if let s = completenessScore { return min(max(s, 0), 1) }
        if let f = isComplete { return f ? 1 : 0 }
        return nil
    }
}

/// A half-open reporting period [start, end). Appeals belong to the period of `registeredAt`.
/// `asOf` is the evaluation instant (default `end`): answers after it are ignored and unanswered
/// appeals whose deadline passed before it count as late.
public struct RatingPeriod: Hashable, Sendable, Codable {
    public var label: String
    public var start: Date
    public var end: Date
    public var asOf: Date

    public init(label: String, start: Date, end: Date, asOf: Date? = nil) {
        self.label = label
        self.start = start
        self.end = end
        self.asOf = asOf ?? end
    }

    public func contains(_ d: Date) -> Bool { d >= start && d < end }
}

/// Grouping dimension.
public enum Dimension: String, Hashable, Sendable, Codable, CaseIterable {
    case agency, municipality, topic, category

    func value(_ f: AppealFact) -> String {
        switch self {
        case .agency: return f.agencyID
        case .municipality: return f.municipalityID
        case .topic: return f.topicCode
        case .category: return f.categoryCode
        }
    }
}

/// Key of a group: one value per grouping dimension, plus the period label.
public struct GroupKey: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var dimensions: [Dimension]
    public var values: [String]
    public var period: String

    public init(dimensions: [Dimension], values: [String], period: String) {
        self.dimensions = dimensions
        self.values = values
        self.period = period
    }

    public func value(_ d: Dimension) -> String? {
        dimensions.firstIndex(of: d).map { values[$0] }
    }

    public static func < (a: GroupKey, b: GroupKey) -> Bool {
        if a.period != b.period { return a.period < b.period }
        return a.values.lexicographicallyPrecedes(b.values)
    }

    /// Stable identity across periods (dimension values only), used to match previous ranks.
    public var entity: String { values.joined(separator: "|") }
    public var description: String { "\(period):\(entity)" }
}

/// Metrics of one group. Shares are in 0…1; times in hours. `nil` = no data (empty denominator).
///
/// Definitions (denominators in brackets):
/// * `volume` — appeals registered in the period.
/// * `answered` — appeals with `answeredAt ≤ asOf`.
/// * `onTimeShare` = answered by the deadline ÷ [appeals with a deadline that are answered or
///   whose deadline passed by `asOf`] — unanswered-and-overdue counts as late, unanswered-not-yet-due
///   is excluded. Boundary inclusive (answered exactly at the deadline is on time).
/// * `medianAnswerHours`, `p90AnswerHours` — quantiles of (answeredAt − registeredAt) over answered
///   appeals, **Hyndman–Fan type 7** (R's default, numpy "linear"): for sorted x₀…xₙ₋₁,
///   h = (n−1)·p, Q = x⌊h⌋ + (h−⌊h⌋)(x⌊h⌋₊₁ − x⌊h⌋). Median of [1,2,3,4] = 2.5; p90 of 1…10 = 9.1.
/// * `meanSatisfaction` — mean of ratings 1…5 [rated]; `satisfiedShare` — ratings ≥ threshold (4) [rated].
/// * `reopenRate` — appeals with `reopenedCount > 0` ÷ [answered].
/// * `completeness` — mean completeness value (score, or flag as 1/0) [appeals with a value].
/// * `repeatRate` — repeat appeals ÷ [volume].
/// * `extendedShare` — extended ÷ [volume].
/// * `appealsPer10k` — volume × 10 000 ÷ population; only when the group key contains the
///   municipality dimension and its population is known (or a population is given for the entity).
public struct GroupMetrics: Hashable, Sendable {
    public var key: GroupKey
    public var volume: Int
    public var answered: Int
    public var dueCount: Int
    public var onTimeCount: Int
    public var ratedCount: Int
    public var satisfiedCount: Int
    public var completenessCount: Int
    public var reopenedCount: Int
    public var repeatCount: Int
    public var extendedCount: Int
    public var population: Int?

    public var onTimeShare: Double?
    public var medianAnswerHours: Double?
    public var p90AnswerHours: Double?
    public var meanSatisfaction: Double?
    public var satisfiedShare: Double?
    public var reopenRate: Double?
    public var completeness: Double?
    public var repeatRate: Double?
    public var extendedShare: Double?
    public var appealsPer10k: Double?

    /// Value of a metric by identifier.
    public func value(_ m: Metric) -> Double? {
        switch m {
        case .volume: return Double(volume)
        case .onTimeShare: return onTimeShare
        case .medianAnswerHours: return medianAnswerHours
        case .p90AnswerHours: return p90AnswerHours
        case .meanSatisfaction: return meanSatisfaction
        case .satisfiedShare: return satisfiedShare
        case .reopenRate: return reopenRate
        case .completeness: return completeness
        case .repeatRate: return repeatRate
        case .extendedShare: return extendedShare
        case .appealsPer10k: return appealsPer10k
        }
    }

    /// Number of observations behind a metric (for shrinkage).
    public func support(_ m: Metric) -> Int {
        switch m {
        case .volume, .repeatRate, .extendedShare, .appealsPer10k: return volume
        case .onTimeShare: return dueCount
        case .medianAnswerHours, .p90AnswerHours, .reopenRate: return answered
        case .meanSatisfaction, .satisfiedShare: return ratedCount
        case .completeness: return completenessCount
        }
    }
}

/// Metric identifiers.
public enum Metric: String, Hashable, Sendable, Codable, CaseIterable {
    case volume, onTimeShare, medianAnswerHours, p90AnswerHours, meanSatisfaction, satisfiedShare,
         reopenRate, completeness, repeatRate, extendedShare, appealsPer10k

    /// Natural direction: is a higher value better?
    public var higherIsBetter: Bool {
        switch self {
        case .onTimeShare, .meanSatisfaction, .satisfiedShare, .completeness: return true
        case .volume, .medianAnswerHours, .p90AnswerHours, .reopenRate, .repeatRate, .extendedShare, .appealsPer10k: return false
        }
    }
}

/// Sample quantiles (Hyndman–Fan type 7) behind the median and p90 answer hours of `GroupMetrics`.
public enum Quantile {
    /// Hyndman–Fan type 7 quantile of an ascending-sorted array (nil if empty). `p` is clamped to 0…1.
    public static func type7(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let q = min(max(p, 0), 1)
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }
}

/// Computes `GroupMetrics` from appeal facts: one group per combination of dimension values in a period.
public enum MetricsCalculator {
    /// Computes metrics for every group of `facts` registered in `period`, grouped by `dimensions`
    /// (empty = one overall group). `population` maps municipality id → residents; `entityPopulation`
    /// (keyed by `GroupKey.entity`) overrides it for arbitrary groups.
    public static func compute(_ facts: [AppealFact], by dimensions: [Dimension], period: RatingPeriod,
                               population: [String: Int] = [:], entityPopulation: [String: Int] = [:],
                               satisfiedThreshold: Int = 4) -> [GroupMetrics] {
        var groups: [[String]: [AppealFact]] = [:]
        for f in facts where period.contains(f.registeredAt) {
            groups[dimensions.map { $0.value(f) }, default: []].append(f)
        }
        return groups.map { values, fs in
            let key = GroupKey(dimensions: dimensions, values: values, period: period.label)
            return metrics(of: fs, key: key, asOf: period.asOf, population: Self.population(of: key, population: population, entityPopulation: entityPopulation),
                           satisfiedThreshold: satisfiedThreshold)
        }.sorted { $0.key < $1.key }
    }

    /// The population behind a group's per-10k figure: the entity's own, else its municipality's when the key has
    /// the municipality dimension.
    public static func population(of key: GroupKey, population: [String: Int], entityPopulation: [String: Int]) -> Int? {
        if let pop = entityPopulation[key.entity] { return pop }
        return key.value(.municipality).flatMap { population[$0] }
    }

    /// Metrics of an explicit set of appeals (no period filtering).
    public static func metrics(of fs: [AppealFact], key: GroupKey, asOf: Date, population: Int?,
                               satisfiedThreshold: Int = 4) -> GroupMetrics {
        GroupMetrics(key: key, tally: GroupTally(fs, asOf: asOf, satisfiedThreshold: satisfiedThreshold), population: population)
    }
}

/// The counts and sums behind one group's metrics — what `MetricsCalculator` counts from facts in memory and
/// RatingService's aggregate query counts in PostgreSQL (`FactAggregates`); `GroupMetrics(key:tally:population:)`
/// derives the shares, means and rates from it in one place.
public struct GroupTally: Hashable, Sendable {
    public var volume = 0
    /// Answered by `asOf`.
    public var answered = 0
    /// With a deadline, and answered by `asOf` or past the deadline at `asOf`.
    public var due = 0
    /// Answered by `asOf` and no later than the deadline.
    public var onTime = 0
    /// Rated 1…5.
    public var rated = 0
    /// Rated at or above the satisfied threshold.
    public var satisfied = 0
    public var satisfactionSum = 0.0
    /// With a completeness value, and the sum of those values.
    public var completenessCount = 0
    public var completenessSum = 0.0
    /// Answered by `asOf` and reopened at least once.
    public var reopened = 0
    public var repeats = 0
    public var extended = 0
    /// Type 7 quantiles of the answered appeals' answer times in hours (nil: none answered).
    public var medianAnswerHours: Double?
    public var p90AnswerHours: Double?

    public init() {}

    /// Counts `fs` as of `asOf` (see `GroupMetrics` for the definitions).
    public init(_ fs: [AppealFact], asOf: Date, satisfiedThreshold: Int = 4) {
        var hours: [Double] = []
        for f in fs {
            let ans = f.answeredAt.flatMap { $0 <= asOf ? $0 : nil }
            if let a = ans {
                answered += 1
                hours.append(a.timeIntervalSince(f.registeredAt) / 3600)
                if f.reopenedCount > 0 { reopened += 1 }
            }
            if let dl = f.deadline {
                if let a = ans {
                    due += 1
                    if a <= dl { onTime += 1 }
                } else if dl < asOf {
                    due += 1
                }
            }
            if let s = f.satisfaction, (1...5).contains(s) {
                rated += 1
                satisfactionSum += Double(s)
                if s >= satisfiedThreshold { satisfied += 1 }
            }
            if let c = f.completenessValue {
                completenessCount += 1
                completenessSum += c
            }
            if f.isRepeat { repeats += 1 }
            if f.extended { extended += 1 }
        }
        hours.sort()
        volume = fs.count
        medianAnswerHours = Quantile.type7(hours, 0.5)
        p90AnswerHours = Quantile.type7(hours, 0.9)
    }
}

extension GroupMetrics {
    /// The metrics of a group from its counts; `population` gives `appealsPer10k`.
    public init(key: GroupKey, tally t: GroupTally, population: Int?) {
        func share(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }
        self.init(
            key: key, volume: t.volume, answered: t.answered, dueCount: t.due, onTimeCount: t.onTime, ratedCount: t.rated,
            satisfiedCount: t.satisfied, completenessCount: t.completenessCount, reopenedCount: t.reopened, repeatCount: t.repeats,
            extendedCount: t.extended, population: population,
            onTimeShare: share(t.onTime, t.due),
            medianAnswerHours: t.medianAnswerHours, p90AnswerHours: t.p90AnswerHours,
            meanSatisfaction: t.rated == 0 ? nil : t.satisfactionSum / Double(t.rated), satisfiedShare: share(t.satisfied, t.rated),
            reopenRate: share(t.reopened, t.answered), completeness: t.completenessCount == 0 ? nil : t.completenessSum / Double(t.completenessCount),
            repeatRate: share(t.repeats, t.volume), extendedShare: share(t.extended, t.volume),
            appealsPer10k: population.flatMap { $0 > 0 ? Double(t.volume) * 10_000 / Double($0) : nil })
    }
}
