/// Finite population correction for one sampling stage, one value per row
/// (R: `fpc=~fpc` or `fpc=~fpc1+fpc2`).
public enum FPC: Sendable, Equatable {
    /// Number of units (PSUs at stage 1, SSUs within the PSU at stage 2, …) in the population
    /// stratum the row's unit was drawn from.
    case populationSize([Double])
    /// Sampling fraction n/N (0 < f ≤ 1) of the stage, per row.
    case samplingFraction([Double])
}

/// What to do with strata that contain a single PSU (R: `options(survey.lonely.psu=)`).
public enum LonelyPSUPolicy: String, Sendable, CaseIterable {
    /// Throw `SurveyError.lonelyPSU` (R default "fail").
    case fail
    /// The stratum contributes nothing to the variance ("remove").
    case remove
    /// Treat the lonely PSU as sampled with certainty: zero contribution ("certainty").
    case certainty
    /// Centre the lonely PSU at the grand mean of PSU totals instead of its stratum mean ("adjust").
    case adjust
    /// Replace the stratum's contribution by the average of the other strata ("average").
    case average
}

/// How missing values (NaN) in analysis variables are treated.
public enum MissingValuePolicy: Sendable {
    /// Throw `SurveyError.missingValue` (R: `na.rm=FALSE` gives NA).
    case fail
    /// Drop missing rows as a domain, keeping the full design for variance (R: `na.rm=TRUE`).
    case exclude
}

/// A sampling stage: codes are dense integer ids, cluster ids unique over the whole design.
struct Stage: Sendable {
    /// Stratum id per row (stage 1: design strata; later stages: the parent cluster).
    var stratum: [Int]
    /// Cluster id per row.
    var cluster: [Int]
    /// Number of sampled clusters in the row's stratum (computed on the full sample).
    var nPSU: [Int]
    /// Population number of clusters in the row's stratum, nil = sampled with replacement.
    var popSize: [Double]?
}

/// One calibration step applied to the weights; used to residualise influence functions the way
/// R's `svyrecvar` does, so that SEs account for post-stratification / raking.
public enum CalibrationStep: Sendable {
    /// `postStratify`: cell id per row, weights before and after the step.
    case postStratification(cells: [Int], oldWeights: [Double], newWeights: [Double])
    /// `rake`: one entry per margin, each with the margin's cell id per row and the weights right
    /// after that margin was fitted in the final raking pass.
    case raking(margins: [(cells: [Int], weights: [Double])])
}

/// A complex survey design with Taylor-linearisation variance estimation, modelled on
/// `survey::svydesign` (Lumley). Clusters are always treated as nested within strata and
/// second-stage units within first-stage clusters (R: `nest=TRUE`).
///
/// ```swift
/// // svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)
/// let d = try SurveyDesign(weights: pw, strata: stype, fpc: [.populationSize(fpc)])
/// // svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)
/// let d2 = try SurveyDesign(clusters: [dnum, snum], fpc: [.populationSize(fpc1), .populationSize(fpc2)])
/// ```
public struct SurveyDesign: Sendable {
    /// Number of rows (observations).
    public let count: Int
    /// Current analysis weights (after any calibration / trimming).
    public private(set) var weights: [Double]
    /// Lonely-PSU treatment used by all variance computations of this design.
    public var lonelyPSU: LonelyPSUPolicy
    /// Calibration steps applied so far, oldest first.
    public private(set) var calibration: [CalibrationStep]
    /// Stratum label per row at stage 1 (a single "1" stratum when unstratified).
    public let strataLabels: [String]
    /// Number of sampling stages (1 for `id=~1` or `id=~psu`, 2 for `id=~psu+ssu`).
    public var stageCount: Int { stages.count }
    /// Whether any fpc was supplied (without-replacement design, multistage variance used).
    public let hasFPC: Bool

    let stages: [Stage]
    let stratumNames: [String]

    /// Creates a design.
    /// - Parameters:
    ///   - weights: sampling weights (`weights=~pw`), all positive and finite.
    ///   - probabilities: inclusion probabilities in (0, 1] (`probs=`); alternative to `weights`.
    ///   - strata: stage-1 stratum label per row (`strata=~stype`), nil = unstratified.
    ///   - clusters: cluster ids per stage, outermost first (`id=~dnum+snum`); empty = `id=~1`
    ///     (every row is its own PSU).
    ///   - fpc: per-stage fpc (`fpc=~fpc1+fpc2`); empty = with-replacement sampling. If weights and
    ///     probabilities are both nil, weights are derived from the fpc as in R.
    ///   - lonelyPSU: single-PSU strata treatment, default `.fail` like R.
    public init(weights: [Double]? = nil,
                probabilities: [Double]? = nil,
                strata: [String]? = nil,
                clusters: [[String]] = [],
                fpc: [FPC] = [],
                lonelyPSU: LonelyPSUPolicy = .fail) throws {
        if weights != nil && probabilities != nil { throw SurveyError.conflictingWeights }
        let n: Int
        if let w = weights { n = w.count }
        else if let p = probabilities { n = p.count }
        else if let s = strata { n = s.count }
        else if let c = clusters.first { n = c.count }
        else if let f = fpc.first {
            switch f { case .populationSize(let v), .samplingFraction(let v): n = v.count }
        } else { throw SurveyError.missingWeights }
        guard n > 0 else { throw SurveyError.emptyDesign }
        if let s = strata, s.count != n { throw SurveyError.lengthMismatch(field: "strata", expected: n, actual: s.count) }
        for (k, c) in clusters.enumerated() where c.count != n {
            throw SurveyError.lengthMismatch(field: "clusters[stage \(k + 1)]", expected: n, actual: c.count)
        }
        let nStages = max(1, clusters.count)
        if fpc.count > nStages {
            throw SurveyError.invalidArgument("fpc given for \(fpc.count) stages but the design has \(nStages)")
        }

        // Stage-1 strata.
        var stratumNames: [String] = []
        var stratumCode: [Int] = Array(repeating: 0, count: n)
        var labels: [String] = Array(repeating: "1", count: n)
        if let s = strata {
            var index: [String: Int] = [:]
            for i in 0..<n {
                guard !s[i].isEmpty else { throw SurveyError.missingStratum(row: i) }
                if let c = index[s[i]] { stratumCode[i] = c } else {
                    index[s[i]] = stratumNames.count; stratumCode[i] = stratumNames.count; stratumNames.append(s[i])
                }
            }
            labels = s
        } else {
            stratumNames = ["1"]
        }

        // Build stages: stage k strata = stage-1 strata (k = 0) or the parent cluster (k > 0).
        var built: [Stage] = []
        var parent = stratumCode
        var parentNames = stratumNames
        for k in 0..<nStages {
            var clusterCode = Array(repeating: 0, count: n)
            var clusterNames: [String] = []
            var key: [String: Int] = [:]
            for i in 0..<n {
                let id: String
                if clusters.isEmpty { id = String(i) } else {
                    id = clusters[k][i]
                    guard !id.isEmpty else { throw SurveyError.missingCluster(row: i, stage: k + 1) }
                }
                let composite = "\(parent[i])\u{1F}\(id)"
                if let c = key[composite] { clusterCode[i] = c } else {
                    key[composite] = clusterNames.count; clusterCode[i] = clusterNames.count
                    clusterNames.append(parentNames[parent[i]] + "/" + id)
                }
            }
            var perStratum: [Int: Set<Int>] = [:]
            for i in 0..<n { perStratum[parent[i], default: []].insert(clusterCode[i]) }
            let nPSU = (0..<n).map { perStratum[parent[$0]]?.count ?? 1 }

            var pop: [Double]? = nil
            if k < fpc.count {
                var p = Array(repeating: 0.0, count: n)
                let values: [Double]
                let isFraction: Bool
                switch fpc[k] {
                case .populationSize(let v): values = v; isFraction = false
                case .samplingFraction(let v): values = v; isFraction = true
                }
                guard values.count == n else {
                    throw SurveyError.lengthMismatch(field: "fpc[stage \(k + 1)]", expected: n, actual: values.count)
                }
                var seen: [Int: Double] = [:]
                for i in 0..<n {
                    let v = values[i]
                    guard v.isFinite else { throw SurveyError.nonFiniteValue(field: "fpc[stage \(k + 1)]", row: i) }
                    guard v > 0 else { throw SurveyError.invalidFPC(stage: k + 1, row: i, reason: "must be positive") }
                    if isFraction {
                        guard v <= 1 else { throw SurveyError.invalidFPC(stage: k + 1, row: i, reason: "sampling fraction above 1") }
                        p[i] = Double(nPSU[i]) / v
                    } else {
                        guard v + 1e-8 >= Double(nPSU[i]) else {
                            throw SurveyError.invalidFPC(stage: k + 1, row: i,
                                                         reason: "population size \(v) smaller than sample size \(nPSU[i])")
                        }
                        p[i] = v
                    }
                    if let old = seen[parent[i]] {
                        if abs(old - p[i]) > 1e-8 * max(1, abs(old)) {
                            throw SurveyError.fpcNotConstantInStratum(stage: k + 1, stratum: parentNames[parent[i]])
                        }
                    } else { seen[parent[i]] = p[i] }
                }
                pop = p
            }
            built.append(Stage(stratum: parent, cluster: clusterCode, nPSU: nPSU, popSize: pop))
            parent = clusterCode
            parentNames = clusterNames
        }

        // Weights.
        var w = Array(repeating: 0.0, count: n)
        if let weights {
            for i in 0..<n {
                guard weights[i].isFinite, weights[i] > 0 else { throw SurveyError.nonPositiveWeight(row: i, value: weights[i]) }
                w[i] = weights[i]
            }
        } else if let probabilities {
            guard probabilities.count == n else {
                throw SurveyError.lengthMismatch(field: "probabilities", expected: n, actual: probabilities.count)
            }
            for i in 0..<n {
                let p = probabilities[i]
                guard p.isFinite, p > 0, p <= 1 else { throw SurveyError.nonPositiveWeight(row: i, value: p) }
                w[i] = 1 / p
            }
        } else {
            guard !fpc.isEmpty else { throw SurveyError.missingWeights }
            for i in 0..<n {
                var prob = 1.0
                for st in built { if let pop = st.popSize { prob *= Double(st.nPSU[i]) / pop[i] } }
                w[i] = 1 / prob
            }
        }
        if let weights, weights.count != n { throw SurveyError.lengthMismatch(field: "weights", expected: n, actual: weights.count) }

        self.count = n
        self.weights = w
        self.lonelyPSU = lonelyPSU
        self.calibration = []
        self.strataLabels = labels
        self.stages = built
        self.stratumNames = stratumNames
        self.hasFPC = !fpc.isEmpty
    }

    /// Design degrees of freedom: number of PSUs minus number of strata (R: `degf()`).
    public var degreesOfFreedom: Int {
        guard let s = stages.first else { return 0 }
        return Set(s.cluster).count - Set(s.stratum).count
    }

    /// Returns a copy with the given lonely-PSU policy.
    public func with(lonelyPSU policy: LonelyPSUPolicy) -> SurveyDesign {
        var d = self
        d.lonelyPSU = policy
        return d
    }

    /// Replaces the weights (internal: used by calibration / trimming, which validate them).
    mutating func setWeights(_ w: [Double], step: CalibrationStep?) {
        weights = w
        if let step { calibration.append(step) }
    }

    func checkLength<T>(_ values: [T], _ field: String) throws {
        if values.count != count { throw SurveyError.lengthMismatch(field: field, expected: count, actual: values.count) }
    }
}
