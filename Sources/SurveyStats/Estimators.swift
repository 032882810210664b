extension SurveyDesign {
    /// Rows that contribute: inside the domain and with all `columns` non-missing.
    /// Domain rows outside keep their place in the design (zero influence), so SEs are the
    /// correct domain SEs rather than those of a naively subset sample.
    func activeRows(_ columns: [(name: String, values: [Double])], domain: [Bool]?,
                    missing: MissingValuePolicy) throws -> [Bool] {
        var active = Array(repeating: true, count: count)
        if let domain {
            try checkLength(domain, "domain")
            active = domain
        }
        for (name, values) in columns {
            try checkLength(values, name)
            for i in 0..<count where active[i] {
                let v = values[i]
                if v.isNaN {
                    if missing == .fail { throw SurveyError.missingValue(field: name, row: i) }
                    active[i] = false
                } else if !v.isFinite {
                    throw SurveyError.nonFiniteValue(field: name, row: i)
                }
            }
        }
        return active
    }

    /// Weighted (n/(n−1)-corrected) population variance of `y` over active rows, as R's `svyvar`.
    func weightedVariance(_ y: [Double], active: [Bool], mean: Double) -> Double {
        var sw = 0.0, ss = 0.0, n = 0
        for i in 0..<count where active[i] {
            sw += weights[i]; ss += weights[i] * (y[i] - mean) * (y[i] - mean); n += 1
        }
        guard n > 1, sw > 0 else { return .nan }
        return ss / sw * Double(n) / Double(n - 1)
    }

    /// Weighted mean (R `svymean`), optionally within a domain (R `svyby` / `subset`).
    /// - Parameters:
    ///   - y: values per row; NaN = missing.
    ///   - domain: rows in the subpopulation (nil = everyone).
    ///   - missing: `.fail` (default) or `.exclude` (R `na.rm=TRUE`).
    ///   - deff: design effect mode (R `deff=`).
    public func mean(_ y: [Double], domain: [Bool]? = nil, missing: MissingValuePolicy = .fail,
                     deff: DesignEffectMode = .none) throws -> SurveyEstimate {
        let active = try activeRows([("y", y)], domain: domain, missing: missing)
        var sw = 0.0, swy = 0.0, n = 0
        for i in 0..<count where active[i] { sw += weights[i]; swy += weights[i] * y[i]; n += 1 }
        guard n > 0 else { throw SurveyError.emptyDomain("mean") }
        guard sw > 0 else { throw SurveyError.zeroDenominator("mean") }
        let m = swy / sw
        var x = Array(repeating: 0.0, count: count)
        for i in 0..<count where active[i] { x[i] = weights[i] * (y[i] - m) / sw }
        let v = try linearizedVariance(x)
        var d: Double? = nil
        if deff != .none {
            let s2 = weightedVariance(y, active: active, mean: m)
            var vsrs = s2 / Double(n)
            if deff == .withoutReplacement { vsrs *= max(0, (sw - Double(n)) / sw) }
            d = v / vsrs
        }
        return SurveyEstimate(estimate: m, variance: v, designEffect: d, degreesOfFreedom: degreesOfFreedom,
                              sampleSize: n, populationSize: sw)
    }

    /// Weighted (Horvitz–Thompson) total (R `svytotal`), optionally within a domain.
    public func total(_ y: [Double], domain: [Bool]? = nil, missing: MissingValuePolicy = .fail,
                      deff: DesignEffectMode = .none) throws -> SurveyEstimate {
        let active = try activeRows([("y", y)], domain: domain, missing: missing)
        var sw = 0.0, t = 0.0, n = 0
        var x = Array(repeating: 0.0, count: count)
        for i in 0..<count where active[i] {
            sw += weights[i]; t += weights[i] * y[i]; n += 1; x[i] = weights[i] * y[i]
        }
        guard n > 0 else { throw SurveyError.emptyDomain("total") }
        let v = try linearizedVariance(x)
        var d: Double? = nil
        if deff != .none {
            let s2 = weightedVariance(y, active: active, mean: t / sw)
            var vsrs = s2 * sw * sw / Double(n)
            if deff == .withoutReplacement { vsrs *= max(0, (sw - Double(n)) / sw) }
            d = v / vsrs
        }
        return SurveyEstimate(estimate: t, variance: v, designEffect: d, degreesOfFreedom: degreesOfFreedom,
                              sampleSize: n, populationSize: sw)
    }

    /// Estimated population size Σw (of a domain).
    public func populationSize(domain: [Bool]? = nil) throws -> SurveyEstimate {
        try total(Array(repeating: 1.0, count: count), domain: domain)
    }

    /// Ratio of totals Σw·y / Σw·x (R `svyratio`) with linearised SE
    /// (influence w·(y − R·x)/Σw·x). Rows with either value missing are excluded under `.exclude`.
    public func ratio(numerator y: [Double], denominator x: [Double], domain: [Bool]? = nil,
                      missing: MissingValuePolicy = .fail) throws -> SurveyEstimate {
        let active = try activeRows([("numerator", y), ("denominator", x)], domain: domain, missing: missing)
        var ty = 0.0, tx = 0.0, sw = 0.0, n = 0
        for i in 0..<count where active[i] {
            ty += weights[i] * y[i]; tx += weights[i] * x[i]; sw += weights[i]; n += 1
        }
        guard n > 0 else { throw SurveyError.emptyDomain("ratio") }
        guard tx != 0 else { throw SurveyError.zeroDenominator("ratio") }
        let r = ty / tx
        var z = Array(repeating: 0.0, count: count)
        for i in 0..<count where active[i] { z[i] = weights[i] * (y[i] - r * x[i]) / tx }
        let v = try linearizedVariance(z)
        return SurveyEstimate(estimate: r, variance: v, degreesOfFreedom: degreesOfFreedom,
                              sampleSize: n, populationSize: sw)
    }

    /// Proportion of each level of a categorical variable (R `svymean(~factor)`), levels sorted.
    /// Empty strings are treated as missing (subject to `missing`).
    public func proportions(_ categories: [String], domain: [Bool]? = nil, missing: MissingValuePolicy = .fail,
                            deff: DesignEffectMode = .none) throws -> [DomainEstimate<SurveyEstimate>] {
        try checkLength(categories, "categories")
        let levels = Set(categories.filter { !$0.isEmpty }).sorted()
        var result: [DomainEstimate<SurveyEstimate>] = []
        for level in levels {
            let ind = categories.map { $0.isEmpty ? Double.nan : ($0 == level ? 1.0 : 0.0) }
            result.append(DomainEstimate(domain: level, value: try mean(ind, domain: domain, missing: missing, deff: deff)))
        }
        return result
    }

    /// Weighted counts of each level (R `svytotal(~factor)`), levels sorted.
    public func levelTotals(_ categories: [String], domain: [Bool]? = nil,
                            missing: MissingValuePolicy = .fail) throws -> [DomainEstimate<SurveyEstimate>] {
        try checkLength(categories, "categories")
        let levels = Set(categories.filter { !$0.isEmpty }).sorted()
        return try levels.map { level in
            let ind = categories.map { $0.isEmpty ? Double.nan : ($0 == level ? 1.0 : 0.0) }
            return DomainEstimate(domain: level, value: try total(ind, domain: domain, missing: missing))
        }
    }

    /// Runs `estimator` once per level of `groups` with that level's domain mask (R `svyby`).
    /// Levels are sorted; rows with an empty group label belong to no domain.
    ///
    /// ```swift
    /// let byMunicipality = try design.by(municipality) { try design.mean(score, domain: $0) }
    /// ```
    public func by<T: Sendable>(_ groups: [String], _ estimator: ([Bool]) throws -> T) throws -> [DomainEstimate<T>] {
        try checkLength(groups, "groups")
        let levels = Set(groups.filter { !$0.isEmpty }).sorted()
        return try levels.map { level in
            DomainEstimate(domain: level, value: try estimator(groups.map { $0 == level }))
        }
    }

    /// Domain means (R `svyby(~y, ~g, design, svymean)`).
    public func mean(_ y: [Double], by groups: [String], missing: MissingValuePolicy = .fail,
                     deff: DesignEffectMode = .none) throws -> [DomainEstimate<SurveyEstimate>] {
        try by(groups) { try mean(y, domain: $0, missing: missing, deff: deff) }
    }

    /// Domain totals (R `svyby(~y, ~g, design, svytotal)`).
    public func total(_ y: [Double], by groups: [String], missing: MissingValuePolicy = .fail,
                      deff: DesignEffectMode = .none) throws -> [DomainEstimate<SurveyEstimate>] {
        try by(groups) { try total(y, domain: $0, missing: missing, deff: deff) }
    }

    /// Cross-tabulated proportions: for each domain, the share of every category level
    /// (e.g. answer distribution by municipality).
    public func proportions(_ categories: [String], by groups: [String],
                            missing: MissingValuePolicy = .fail) throws -> [DomainEstimate<[DomainEstimate<SurveyEstimate>]>] {
        try by(groups) { try proportions(categories, domain: $0, missing: missing) }
    }
}
