/// One raking margin: a category per row and the known population count of every category.
/// For a partial joint margin (R: `rake(list(~stype+sch.wide, …))`) pass combined labels such as `"E|Yes"`.
public struct RakingMargin: Sendable {
    public let categories: [String]
    public let populationCounts: [String: Double]
    public init(categories: [String], populationCounts: [String: Double]) {
        self.categories = categories
        self.populationCounts = populationCounts
    }
}

/// Raking control (R `rake(control=list(maxit=10, epsilon=1))`).
public struct RakingOptions: Sendable {
    /// Maximum number of full passes over the margins.
    public var maxIterations: Int
    /// Convergence tolerance on the largest absolute change of any cell of the joint weighted
    /// table of all margin variables between passes. Values below 1 are relative to Σw (as in R).
    public var epsilon: Double
    /// Throw `SurveyError.rakingDidNotConverge` (default) instead of returning the last weights.
    public var failOnNonConvergence: Bool
    public init(maxIterations: Int = 10, epsilon: Double = 1, failOnNonConvergence: Bool = true) {
        self.maxIterations = maxIterations
        self.epsilon = epsilon
        self.failOnNonConvergence = failOnNonConvergence
    }
}

extension SurveyDesign {
    /// Post-stratification (R `postStratify(design, ~cell, population)`): weights in each cell are
    /// scaled to the known population count. Variances then use residuals within post-strata, as R.
    /// - Throws: `cellMissingFromPopulation` for a sample cell without a count,
    ///   `emptySampleCell` for a population cell without sample, `invalidPopulationCount`.
    public func postStratified(by cells: [String], populationCounts: [String: Double]) throws -> SurveyDesign {
        let (codes, factors, _) = try poststratFactors(cells, populationCounts, weights: weights, margin: 1)
        var d = self
        let newW = (0..<count).map { weights[$0] * factors[codes[$0]] }
        d.setWeights(newW, step: .postStratification(cells: codes, oldWeights: weights, newWeights: newW))
        return d
    }

    private func poststratFactors(_ cells: [String], _ pop: [String: Double], weights w: [Double],
                                  margin: Int) throws -> (codes: [Int], factors: [Double], levels: [String]) {
        try checkLength(cells, "cells")
        var index: [String: Int] = [:]
        var levels: [String] = []
        var codes = Array(repeating: 0, count: count)
        for i in 0..<count {
            let c = cells[i]
            guard pop[c] != nil else { throw SurveyError.cellMissingFromPopulation(margin: margin, cell: c) }
            if let k = index[c] { codes[i] = k } else { index[c] = levels.count; codes[i] = levels.count; levels.append(c) }
        }
        for (cell, n) in pop.sorted(by: { $0.key < $1.key }) {
            guard n.isFinite, n > 0 else { throw SurveyError.invalidPopulationCount(margin: margin, cell: cell) }
            guard index[cell] != nil else { throw SurveyError.emptySampleCell(margin: margin, cell: cell) }
        }
        var sums = Array(repeating: 0.0, count: levels.count)
        for i in 0..<count { sums[codes[i]] += w[i] }
        var factors = Array(repeating: 1.0, count: levels.count)
        for (k, level) in levels.enumerated() {
            guard sums[k] > 0, let n = pop[level] else { throw SurveyError.emptySampleCell(margin: margin, cell: level) }
            factors[k] = n / sums[k]
        }
        return (codes, factors, levels)
    }

    /// Raking / iterative proportional fitting to several margins (R `rake`). Each pass
    /// post-stratifies to every margin in turn; convergence is judged as in R on the joint weighted
    /// table of all margins. The variance uses R's iterated projection on the final margins.
    public func raked(to margins: [RakingMargin], options: RakingOptions = RakingOptions()) throws -> SurveyDesign {
        guard !margins.isEmpty else { throw SurveyError.invalidArgument("raking needs at least one margin") }
        guard options.maxIterations > 0 else { throw SurveyError.invalidArgument("maxIterations must be positive") }
        guard options.epsilon > 0, options.epsilon.isFinite else { throw SurveyError.invalidArgument("epsilon must be positive") }
        for m in margins { try checkLength(m.categories, "raking margin") }
        let eps = options.epsilon < 1 ? options.epsilon * weights.reduce(0, +) : options.epsilon
        // Joint cell key over all margins, for the convergence table.
        var jointIndex: [String: Int] = [:]
        var joint = Array(repeating: 0, count: count)
        for i in 0..<count {
            let key = margins.map { $0.categories[i] }.joined(separator: "\u{1F}")
            if let k = jointIndex[key] { joint[i] = k } else { joint[i] = jointIndex.count; jointIndex[key] = jointIndex.count }
        }
        func table(_ w: [Double]) -> [Double] {
            var t = Array(repeating: 0.0, count: jointIndex.count)
            for i in 0..<count { t[joint[i]] += w[i] }
            return t
        }
        var w = weights
        var oldTable = table(w)
        var lastPass: [(cells: [Int], weights: [Double])] = []
        var converged = false
        var iter = 0
        var delta = Double.infinity
        while iter < options.maxIterations {
            lastPass = []
            for (k, m) in margins.enumerated() {
                let (codes, factors, _) = try poststratFactors(m.categories, m.populationCounts, weights: w, margin: k + 1)
                for i in 0..<count { w[i] *= factors[codes[i]] }
                lastPass.append((codes, w))
            }
            let newTable = table(w)
            delta = zip(oldTable, newTable).map { abs($0 - $1) }.max() ?? 0
            if delta < eps { converged = true; break }
            oldTable = newTable
            iter += 1
        }
        if !converged && options.failOnNonConvergence {
            throw SurveyError.rakingDidNotConverge(iterations: iter, maxChange: delta)
        }
        var d = self
        d.setWeights(w, step: .raking(margins: lastPass))
        return d
    }

    /// Weight trimming (R `trimWeights`): weights above `upper` / below `lower` are set to the bound
    /// and the trimmed amount is redistributed equally over the untrimmed observations, so Σw is
    /// unchanged. With `strict`, repeats until no weight lies outside the bounds.
    public func trimmedWeights(lower: Double = 0, upper: Double = .infinity, strict: Bool = false) throws -> SurveyDesign {
        guard !lower.isNaN, !upper.isNaN, lower < upper else { throw SurveyError.invalidArgument("trimming bounds must satisfy lower < upper") }
        var w = weights
        for _ in 0..<(strict ? 100 : 1) {
            let outside = w.map { $0 < lower || $0 > upper }
            guard outside.contains(true) else { break }
            let inside = outside.filter { !$0 }.count
            guard inside > 0 else { throw SurveyError.invalidArgument("all weights are outside the trimming bounds") }
            var trimmed = 0.0
            for i in 0..<count where outside[i] {
                let t = min(max(w[i], lower), upper)
                trimmed += t - w[i]
                w[i] = t
            }
            for i in 0..<count where !outside[i] { w[i] -= trimmed / Double(inside) }
        }
        for i in 0..<count where !(w[i] > 0) || !w[i].isFinite {
            throw SurveyError.nonPositiveWeight(row: i, value: w[i])
        }
        var d = self
        d.setWeights(w, step: nil)
        return d
    }
}
