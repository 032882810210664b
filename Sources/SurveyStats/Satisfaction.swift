/// Net Promoter Score with its components; all weighted, SEs by linearisation.
public struct NPSResult: Sendable, Equatable {
    /// NPS in points, −100…100 (= 100 × (share of 9–10 − share of 0–6)).
    public let nps: SurveyEstimate
    /// Share (0–1) of promoters (9–10).
    public let promoters: SurveyEstimate
    /// Share (0–1) of passives (7–8).
    public let passives: SurveyEstimate
    /// Share (0–1) of detractors (0–6).
    public let detractors: SurveyEstimate
}

/// Likert item summary.
public struct LikertResult: Sendable, Equatable {
    /// Weighted mean score on the original scale.
    public let mean: SurveyEstimate
    /// Share (0–1) answering in the top `topBoxSize` categories (top-2-box by default).
    public let topBox: SurveyEstimate
    /// Share (0–1) answering in the bottom `topBoxSize` categories.
    public let bottomBox: SurveyEstimate
}

extension SurveyDesign {
    /// Net Promoter Score from 0–10 "would you recommend" answers (NaN = no answer).
    /// The NPS SE is that of the mean of the per-respondent score 100·(1[≥9] − 1[≤6]), which
    /// accounts for the covariance between promoter and detractor shares.
    /// - Throws: `valueOutOfScale` for answers outside 0…10 or non-integers.
    public func netPromoterScore(_ answers: [Double], domain: [Bool]? = nil,
                                 missing: MissingValuePolicy = .exclude) throws -> NPSResult {
        try checkLength(answers, "nps answers")
        for (i, a) in answers.enumerated() where !a.isNaN {
            guard a.isFinite, a >= 0, a <= 10, a == a.rounded() else {
                throw SurveyError.valueOutOfScale(field: "nps", row: i, value: a)
            }
        }
        func indicator(_ f: (Double) -> Bool) -> [Double] { answers.map { $0.isNaN ? .nan : (f($0) ? 1 : 0) } }
        let score = answers.map { $0.isNaN ? Double.nan : ($0 >= 9 ? 100.0 : ($0 <= 6 ? -100.0 : 0.0)) }
        return NPSResult(
            nps: try mean(score, domain: domain, missing: missing),
            promoters: try mean(indicator { $0 >= 9 }, domain: domain, missing: missing),
            passives: try mean(indicator { $0 >= 7 && $0 <= 8 }, domain: domain, missing: missing),
            detractors: try mean(indicator { $0 <= 6 }, domain: domain, missing: missing))
    }

    /// Likert item: weighted mean and top/bottom-box shares.
    /// - Parameters:
    ///   - answers: integer answers on `scale` (NaN = no answer).
    ///   - scale: admissible answers, e.g. `1...5`.
    ///   - topBoxSize: number of top (and bottom) categories counted, 2 = top-2-box.
    public func likert(_ answers: [Double], scale: ClosedRange<Int> = 1...5, topBoxSize: Int = 2,
                       domain: [Bool]? = nil, missing: MissingValuePolicy = .exclude) throws -> LikertResult {
        try checkLength(answers, "likert answers")
        guard scale.count >= 2, topBoxSize >= 1, topBoxSize < scale.count else {
            throw SurveyError.invalidArgument("Likert scale needs ≥ 2 points and 1 ≤ topBoxSize < scale size")
        }
        try validateScale(answers, scale, field: "likert")
        let hiCut = Double(scale.upperBound - topBoxSize + 1), loCut = Double(scale.lowerBound + topBoxSize - 1)
        let top = answers.map { $0.isNaN ? Double.nan : ($0 >= hiCut ? 1.0 : 0.0) }
        let bottom = answers.map { $0.isNaN ? Double.nan : ($0 <= loCut ? 1.0 : 0.0) }
        return LikertResult(mean: try mean(answers, domain: domain, missing: missing),
                            topBox: try mean(top, domain: domain, missing: missing),
                            bottomBox: try mean(bottom, domain: domain, missing: missing))
    }

    /// Customer Satisfaction Index on 0–100 from several Likert items.
    ///
    /// Each answer is rescaled to 0–100 as 100·(x − min)/(max − min); a respondent's index is the
    /// (optionally item-weighted) average over the items they answered; respondents with fewer than
    /// `minimumAnswered` answered items are excluded (as a domain, keeping the design intact).
    /// The CSI is the design-weighted mean of the respondent indices, with linearised SE.
    /// - Parameters:
    ///   - items: one array per item, each with one answer per row (NaN = no answer).
    ///   - itemWeights: importance weights per item (nil = equal).
    public func satisfactionIndex(items: [[Double]], scale: ClosedRange<Int> = 1...5, itemWeights: [Double]? = nil,
                                  minimumAnswered: Int = 1, domain: [Bool]? = nil) throws -> SurveyEstimate {
        guard !items.isEmpty else { throw SurveyError.invalidArgument("CSI needs at least one item") }
        guard scale.count >= 2 else { throw SurveyError.invalidArgument("CSI scale needs ≥ 2 points") }
        let iw = itemWeights ?? Array(repeating: 1.0, count: items.count)
        guard iw.count == items.count else {
            throw SurveyError.lengthMismatch(field: "itemWeights", expected: items.count, actual: iw.count)
        }
        guard iw.allSatisfy({ $0.isFinite && $0 >= 0 }), iw.contains(where: { $0 > 0 }) else {
            throw SurveyError.invalidArgument("item weights must be non-negative and not all zero")
        }
        guard minimumAnswered >= 1, minimumAnswered <= items.count else {
            throw SurveyError.invalidArgument("minimumAnswered must be between 1 and the number of items")
        }
        for (k, item) in items.enumerated() {
            try checkLength(item, "item \(k + 1)")
            try validateScale(item, scale, field: "item \(k + 1)")
        }
        let lo = Double(scale.lowerBound), range = Double(scale.upperBound - scale.lowerBound)
        var index = Array(repeating: Double.nan, count: count)
        for i in 0..<count {
            var s = 0.0, sw = 0.0, answered = 0
            for (k, item) in items.enumerated() where !item[i].isNaN {
                s += iw[k] * 100 * (item[i] - lo) / range; sw += iw[k]; answered += 1
            }
            if answered >= minimumAnswered, sw > 0 { index[i] = s / sw }
        }
        return try mean(index, domain: domain, missing: .exclude)
    }

    private func validateScale(_ answers: [Double], _ scale: ClosedRange<Int>, field: String) throws {
        for (i, a) in answers.enumerated() where !a.isNaN {
            guard a.isFinite, a >= Double(scale.lowerBound), a <= Double(scale.upperBound), a == a.rounded() else {
                throw SurveyError.valueOutOfScale(field: field, row: i, value: a)
            }
        }
    }
}
