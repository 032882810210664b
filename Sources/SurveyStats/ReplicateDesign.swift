/// A jackknife replicate-weights design, as R's `as.svrepdesign(design)` (type JK1 for unstratified
/// designs, JKn for stratified ones). Variances are
/// `scale · Σ_r rscale_r · (θ_r − c)²` with `c` the full-sample estimate when `mse` is true
/// (R `options(survey.replicates.mse=TRUE)`) or the mean of the replicates otherwise (R default).
public struct ReplicateDesign: Sendable {
    /// Number of rows.
    public let count: Int
    /// Full-sample analysis weights.
    public private(set) var weights: [Double]
    /// Analysis weights of each replicate (replicates × rows).
    public private(set) var replicateWeights: [[Double]]
    /// Overall variance multiplier.
    public let scale: Double
    /// Per-replicate variance multipliers.
    public let replicateScales: [Double]
    /// Centre replicates at the full-sample estimate (true) or at their mean (false, R's default).
    public var mse: Bool
    /// Degrees of freedom (#PSU − #strata of the source design).
    public let degreesOfFreedom: Int

    /// Builds delete-one-PSU jackknife replicates from a linearisation design: stage-1 clusters
    /// within stage-1 strata; the stage-1 fpc (if any) is applied as in R's `jk1weights`/`jknweights`.
    /// - Throws: `SurveyError.lonelyPSU` when a stratum has a single PSU.
    public static func jackknife(from design: SurveyDesign, mse: Bool = false) throws -> ReplicateDesign {
        guard let st = design.stages.first else { throw SurveyError.emptyDesign }
        let n = design.count
        var strata: [Int: [Int]] = [:] // stratum -> clusters (first-seen order)
        var order: [Int] = []
        for i in 0..<n {
            if strata[st.stratum[i]] == nil { order.append(st.stratum[i]); strata[st.stratum[i]] = [] }
            if strata[st.stratum[i]]?.contains(st.cluster[i]) == false { strata[st.stratum[i]]?.append(st.cluster[i]) }
        }
        var reps: [[Double]] = []
        var rscales: [Double] = []
        var stratumFraction: [Int: Double] = [:]
        for i in 0..<n where stratumFraction[st.stratum[i]] == nil {
            if let pop = st.popSize?[i] { stratumFraction[st.stratum[i]] = (pop - Double(st.nPSU[i])) / pop }
            else { stratumFraction[st.stratum[i]] = 1 }
        }
        for s in order {
            guard let clusters = strata[s] else { continue }
            let nh = clusters.count
            guard nh > 1 else {
                throw SurveyError.lonelyPSU(stratum: design.stratumNames.indices.contains(s) ? design.stratumNames[s] : "\(s)", stage: 1)
            }
            let f = stratumFraction[s] ?? 1
            for c in clusters {
                var w = design.weights
                for i in 0..<n where st.stratum[i] == s {
                    w[i] = st.cluster[i] == c ? 0 : w[i] * Double(nh) / Double(nh - 1)
                }
                reps.append(w)
                rscales.append(order.count == 1 ? f : f * Double(nh - 1) / Double(nh))
            }
        }
        let scale: Double
        if order.count == 1, let nh = strata[order[0]]?.count {
            scale = Double(nh - 1) / Double(nh) // JK1: scale carries (n−1)/n, rscales the fpc
        } else { scale = 1 }
        return ReplicateDesign(count: n, weights: design.weights, replicateWeights: reps, scale: scale,
                               replicateScales: rscales, mse: mse, degreesOfFreedom: design.degreesOfFreedom)
    }

    private func variance(_ full: Double, _ thetas: [Double]) -> Double {
        let centre = mse ? full : thetas.reduce(0, +) / Double(max(1, thetas.count))
        var v = 0.0
        for (r, t) in thetas.enumerated() { v += replicateScales[r] * (t - centre) * (t - centre) }
        return scale * v
    }

    private func active(_ columns: [(String, [Double])], domain: [Bool]?, missing: MissingValuePolicy) throws -> [Bool] {
        var a = Array(repeating: true, count: count)
        if let domain {
            guard domain.count == count else { throw SurveyError.lengthMismatch(field: "domain", expected: count, actual: domain.count) }
            a = domain
        }
        for (name, v) in columns {
            guard v.count == count else { throw SurveyError.lengthMismatch(field: name, expected: count, actual: v.count) }
            for i in 0..<count where a[i] {
                if v[i].isNaN {
                    if missing == .fail { throw SurveyError.missingValue(field: name, row: i) }
                    a[i] = false
                } else if !v[i].isFinite { throw SurveyError.nonFiniteValue(field: name, row: i) }
            }
        }
        guard a.contains(true) else { throw SurveyError.emptyDomain("replicate estimate") }
        return a
    }

    private func estimate(_ active: [Bool], _ stat: ([Double]) -> Double) -> (Double, Double, Int, Double) {
        let full = stat(weights)
        let thetas = replicateWeights.map(stat)
        var n = 0, sw = 0.0
        for i in 0..<count where active[i] { n += 1; sw += weights[i] }
        return (full, variance(full, thetas), n, sw)
    }

    /// Weighted mean with replicate variance.
    public func mean(_ y: [Double], domain: [Bool]? = nil, missing: MissingValuePolicy = .fail) throws -> SurveyEstimate {
        let a = try active([("y", y)], domain: domain, missing: missing)
        let (e, v, n, sw) = estimate(a) { w in
            var s = 0.0, t = 0.0
            for i in 0..<count where a[i] { s += w[i]; t += w[i] * y[i] }
            return s > 0 ? t / s : .nan
        }
        return SurveyEstimate(estimate: e, variance: v, degreesOfFreedom: degreesOfFreedom, sampleSize: n, populationSize: sw)
    }

    /// Weighted total with replicate variance.
    public func total(_ y: [Double], domain: [Bool]? = nil, missing: MissingValuePolicy = .fail) throws -> SurveyEstimate {
        let a = try active([("y", y)], domain: domain, missing: missing)
        let (e, v, n, sw) = estimate(a) { w in
            var t = 0.0
            for i in 0..<count where a[i] { t += w[i] * y[i] }
            return t
        }
        return SurveyEstimate(estimate: e, variance: v, degreesOfFreedom: degreesOfFreedom, sampleSize: n, populationSize: sw)
    }

    /// Ratio of weighted totals with replicate variance.
    public func ratio(numerator y: [Double], denominator x: [Double], domain: [Bool]? = nil,
                      missing: MissingValuePolicy = .fail) throws -> SurveyEstimate {
        let a = try active([("numerator", y), ("denominator", x)], domain: domain, missing: missing)
        var tx = 0.0
        for i in 0..<count where a[i] { tx += weights[i] * x[i] }
        guard tx != 0 else { throw SurveyError.zeroDenominator("ratio") }
        let (e, v, n, sw) = estimate(a) { w in
            var ty = 0.0, tx = 0.0
            for i in 0..<count where a[i] { ty += w[i] * y[i]; tx += w[i] * x[i] }
            return ty / tx
        }
        return SurveyEstimate(estimate: e, variance: v, degreesOfFreedom: degreesOfFreedom, sampleSize: n, populationSize: sw)
    }

    /// Post-stratifies the full-sample and every replicate weight set (R `postStratify` on a
    /// replicate design), so the replicate variance reflects the calibration.
    public func postStratified(by cells: [String], populationCounts: [String: Double]) throws -> ReplicateDesign {
        var d = self
        try d.applyPostStratification(cells, populationCounts, margin: 1)
        return d
    }

    /// Rakes full-sample and replicate weights (R `rake` on a replicate design); same convergence
    /// rule as `SurveyDesign.raked`.
    public func raked(to margins: [RakingMargin], options: RakingOptions = RakingOptions()) throws -> ReplicateDesign {
        guard !margins.isEmpty, options.maxIterations > 0, options.epsilon > 0 else {
            throw SurveyError.invalidArgument("raking needs margins, maxIterations > 0 and epsilon > 0")
        }
        let eps = options.epsilon < 1 ? options.epsilon * weights.reduce(0, +) : options.epsilon
        var keys: [String: Int] = [:]
        var joint = Array(repeating: 0, count: count)
        for m in margins where m.categories.count != count {
            throw SurveyError.lengthMismatch(field: "raking margin", expected: count, actual: m.categories.count)
        }
        for i in 0..<count {
            let k = margins.map { $0.categories[i] }.joined(separator: "\u{1F}")
            if let c = keys[k] { joint[i] = c } else { joint[i] = keys.count; keys[k] = keys.count }
        }
        func table(_ w: [Double]) -> [Double] {
            var t = Array(repeating: 0.0, count: keys.count)
            for i in 0..<count { t[joint[i]] += w[i] }
            return t
        }
        var d = self
        var old = table(d.weights)
        var delta = Double.infinity
        var iter = 0
        while iter < options.maxIterations {
            for (k, m) in margins.enumerated() { try d.applyPostStratification(m.categories, m.populationCounts, margin: k + 1) }
            let new = table(d.weights)
            delta = zip(old, new).map { abs($0 - $1) }.max() ?? 0
            if delta < eps { return d }
            old = new
            iter += 1
        }
        if options.failOnNonConvergence { throw SurveyError.rakingDidNotConverge(iterations: iter, maxChange: delta) }
        return d
    }

    private mutating func applyPostStratification(_ cells: [String], _ pop: [String: Double], margin: Int) throws {
        guard cells.count == count else { throw SurveyError.lengthMismatch(field: "cells", expected: count, actual: cells.count) }
        for c in cells where pop[c] == nil { throw SurveyError.cellMissingFromPopulation(margin: margin, cell: c) }
        let present = Set(cells)
        for (c, n) in pop.sorted(by: { $0.key < $1.key }) {
            guard n.isFinite, n > 0 else { throw SurveyError.invalidPopulationCount(margin: margin, cell: c) }
            guard present.contains(c) else { throw SurveyError.emptySampleCell(margin: margin, cell: c) }
        }
        func adjust(_ w: inout [Double]) {
            var sums: [String: Double] = [:]
            for i in 0..<count { sums[cells[i], default: 0] += w[i] }
            for i in 0..<count {
                if let s = sums[cells[i]], s > 0, let n = pop[cells[i]] { w[i] *= n / s }
            }
        }
        adjust(&weights)
        for r in replicateWeights.indices { adjust(&replicateWeights[r]) }
    }
}
