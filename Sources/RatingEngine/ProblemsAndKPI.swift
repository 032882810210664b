import Foundation

/// Count of one category (or sub-reason) within a topic.
public struct ProblemCount: Hashable, Sendable {
    public var code: String
    public var count: Int
    /// Share of the topic's appeals (for sub-reasons: share of the "other" category).
    public var share: Double
    /// For "other" categories: most frequent sub-reasons (normalised text), else empty.
    public var subReasons: [ProblemCount]
}

/// The most frequent problem categories of one topic, with the topic's total appeals.
public struct TopicProblems: Hashable, Sendable {
    public var topic: String
    public var total: Int
    public var top: [ProblemCount]
}

/// Appeals of one topic and category (and, as written, one sub-reason) — a row of a count.
public struct ProblemTally: Hashable, Sendable {
    public var topic: String
    public var category: String
    public var subReason: String?
    public var count: Int

    public init(topic: String, category: String, subReason: String?, count: Int) {
        self.topic = topic
        self.category = category
        self.subReason = subReason
        self.count = count
    }
}

/// Finds the most frequent problem categories per topic, breaking catch-all «other» categories into sub-reasons.
public enum ProblemAnalysis {
    /// Normalises a free-text sub-reason for counting: trimmed, lower-cased, inner whitespace collapsed,
    /// trailing punctuation removed. Empty → nil.
    public static func normalise(_ text: String?) -> String? {
        guard let t = text else { return nil }
        let words = t.lowercased().split(whereSeparator: { $0.isWhitespace || $0.isNewline })
        var s = words.joined(separator: " ")
        while let last = s.last, ".,;:!?".contains(last) { s.removeLast() }
        return s.isEmpty ? nil : s
    }

    /// Top `limit` (≥ 3 recommended) problem categories per topic for appeals in `period`
    /// (all appeals if nil). Categories whose code is in `otherCodes` are decomposed into their
    /// `subReasonLimit` most frequent sub-reasons (`AppealFact.subReason`, normalised; missing →
    /// "(не указано)"). Ordering: count desc, then code asc — deterministic for ties.
    public static func topProblems(_ facts: [AppealFact], period: RatingPeriod? = nil, limit: Int = 3,
                                   otherCodes: Set<String> = ["other", "прочее", "иное"],
                                   subReasonLimit: Int = 3) -> [TopicProblems] {
        let counts = facts.filter { period?.contains($0.registeredAt) ?? true }.map {
            ProblemTally(topic: $0.topicCode, category: $0.categoryCode, subReason: $0.subReason, count: 1)
        }
        return topProblems(counts: counts, limit: limit, otherCodes: otherCodes, subReasonLimit: subReasonLimit)
    }

    /// The same from counted rows (RatingService counts them in PostgreSQL): rows of one topic, category and raw
    /// sub-reason may repeat and are summed; sub-reasons are normalised here and matter only for `otherCodes`.
    public static func topProblems(counts: [ProblemTally], limit: Int = 3,
                                   otherCodes: Set<String> = ["other", "прочее", "иное"],
                                   subReasonLimit: Int = 3) -> [TopicProblems] {
        var byTopic: [String: (total: Int, categories: [String: Int], subs: [String: [String: Int]])] = [:]
        for c in counts {
            byTopic[c.topic, default: (0, [:], [:])].total += c.count
            byTopic[c.topic]!.categories[c.category, default: 0] += c.count
            if otherCodes.contains(c.category) {
                byTopic[c.topic]!.subs[c.category, default: [:]][normalise(c.subReason) ?? "(не указано)", default: 0] += c.count
            }
        }
        return byTopic.map { topic, t in
            let top = ranked(t.categories, limit: limit, total: t.total).map { pc -> ProblemCount in
                var p = pc
                if let s = t.subs[pc.code] { p.subReasons = ranked(s, limit: subReasonLimit, total: pc.count) }
                return p
            }
            return TopicProblems(topic: topic, total: t.total, top: top)
        }.sorted { ($0.total, $1.topic) > ($1.total, $0.topic) }
    }

    static func ranked(_ counts: [String: Int], limit: Int, total: Int) -> [ProblemCount] {
        counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(max(limit, 0))
            .map { ProblemCount(code: $0.key, count: $0.value, share: total == 0 ? 0 : Double($0.value) / Double(total), subReasons: []) }
    }
}

/// Traffic-light status of a metric against its KPI target; `noData` when the metric has no value.
public enum KPIStatus: String, Hashable, Sendable, Codable {
    case green, amber, red, noData
}

/// A KPI target on one metric. Green when the target is met; amber when missed by no more than
/// `amberMargin` (in the metric's units); red otherwise; `noData` when the metric is nil.
/// Example: on-time ≥ 0.95 with margin 0.05 → 0.95 green, 0.92 amber, 0.899 red.
public struct KPITarget: Hashable, Sendable, Codable {
    /// Direction of the target: the value must be at least, or at most, `target`.
    public enum Comparison: String, Hashable, Sendable, Codable { case atLeast, atMost }

    public var metric: Metric
    public var comparison: Comparison
    public var target: Double
    public var amberMargin: Double

    public init(_ metric: Metric, _ comparison: Comparison, _ target: Double, amberMargin: Double) {
        self.metric = metric
        self.comparison = comparison
        self.target = target
        self.amberMargin = amberMargin
    }

    public func status(_ value: Double?) -> KPIStatus {
        guard let v = value else { return .noData }
        let eps = 1e-12
        switch comparison {
        case .atLeast:
            if v >= target - eps { return .green }
            return v >= target - amberMargin - eps ? .amber : .red
        case .atMost:
            if v <= target + eps { return .green }
            return v <= target + amberMargin + eps ? .amber : .red
        }
    }

    public func status(of m: GroupMetrics) -> KPIStatus { status(m.value(metric)) }

    /// Default ЦУР targets: on-time ≥ 95% (amber down to 90%), satisfaction ≥ 4.0 (amber ≥ 3.5),
    /// reopen rate ≤ 5% (amber ≤ 10%), repeat rate ≤ 10% (amber ≤ 15%).
    public static let defaults: [KPITarget] = [
        KPITarget(.onTimeShare, .atLeast, 0.95, amberMargin: 0.05),
        KPITarget(.meanSatisfaction, .atLeast, 4.0, amberMargin: 0.5),
        KPITarget(.reopenRate, .atMost, 0.05, amberMargin: 0.05),
        KPITarget(.repeatRate, .atMost, 0.10, amberMargin: 0.05),
    ]
}

/// One group's value and traffic-light status on one KPI target.
public struct KPIResult: Hashable, Sendable {
    public var key: GroupKey
    public var target: KPITarget
    public var value: Double?
    public var status: KPIStatus
}

/// Checks groups' metrics against KPI targets (the ЦУР defaults unless given) and finds a group's worst status.
public enum KPIEvaluator {
    public static func evaluate(_ groups: [GroupMetrics], targets: [KPITarget] = KPITarget.defaults) -> [KPIResult] {
        groups.flatMap { g in
            targets.map { t in KPIResult(key: g.key, target: t, value: g.value(t.metric), status: t.status(of: g)) }
        }
    }

    /// Worst status across a group's KPIs (red > amber > green; noData ignored unless all are noData).
    public static func overall(_ results: [KPIResult]) -> KPIStatus {
        let s = results.map(\.status).filter { $0 != .noData }
        if s.isEmpty { return .noData }
        if s.contains(.red) { return .red }
        if s.contains(.amber) { return .amber }
        return .green
    }
}
