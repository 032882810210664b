import Contracts
import Foundation
import SurveyStats
import VecheRuntime

/// Turns stored responses into a `SurveyStats.SurveyDesign` (weights, strata, clusters, fpc, calibration,
/// trimming) and runs the library's estimators. No statistics are computed here.
struct Estimator {
    let sample: Sample
    let margins: [String: [String: Double]]

    struct Weighting {
        var kind: SurveyV1.Weighting
        var variables: [String]
        var trimLower: Double
        var trimUpper: Double
    }

    /// Maps a SurveyStats error to a caller-facing error with context.
    static func rpc(_ error: any Error, _ context: String) -> any Error {
        if let e = error as? SurveyError { return RPCError.failedPrecondition("\(context): \(e.description)") }
        return error
    }

    // MARK: design

    func design(_ w: Weighting) throws -> (SurveyDesign, String) {
        let n = sample.count
        var parts: [String] = []
        let stratified = sample.stratum.contains { !$0.isEmpty }
        let clustered = sample.cluster.contains { !$0.isEmpty }
        if stratified, let i = sample.stratum.firstIndex(of: "") {
            throw RPCError.failedPrecondition("respondent \(sample.respondents[i]) has no stratum while other responses are stratified; every response needs one")
        }
        if clustered, let i = sample.cluster.firstIndex(of: "") {
            throw RPCError.failedPrecondition("respondent \(sample.respondents[i]) has no cluster while other responses are clustered; every response needs one")
        }
        let withFPC = sample.fpc.allSatisfy { $0 > 0 }
        if !withFPC, sample.fpc.contains(where: { $0 > 0 }), let i = sample.fpc.firstIndex(of: 0) {
            throw RPCError.failedPrecondition("respondent \(sample.respondents[i]) has no fpc while other responses have one; give fpc for all responses or none")
        }
        var d: SurveyDesign
        do {
            d = try SurveyDesign(weights: sample.weight, strata: stratified ? sample.stratum : nil,
                                 clusters: clustered ? [sample.cluster] : [], fpc: withFPC ? [.populationSize(sample.fpc)] : [],
                                 lonelyPSU: .adjust)
        } catch { throw Self.rpc(error, "survey design") }
        let strata = Set(sample.stratum).count, psus = Set(zip(sample.stratum, sample.cluster).map { "\($0)\u{1F}\($1)" }).count
        var designText = stratified ? "stratified (\(strata) strata)" : "unstratified"
        designText += clustered ? ", one-stage cluster sample (\(psus) PSUs)" : ", element sample"
        designText += withFPC ? ", without replacement (fpc)" : ", with-replacement variance"
        parts.append("design: \(designText), n=\(n); base weights = inverse inclusion probabilities")

        switch w.kind {
        case .unspecified:
            break
        case .poststratify:
            let variable: String
            if w.variables.isEmpty {
                guard margins.count == 1, let only = margins.keys.first else {
                    throw RPCError.invalidArgument("post-stratification needs weighting_variables (stored margins: \(marginList))")
                }
                variable = only
            } else {
                variable = w.variables.joined(separator: "+")
            }
            let (cells, pop) = try cellsAndCounts(variable)
            do { d = try d.postStratified(by: cells, populationCounts: pop) } catch { throw Self.rpc(error, "post-stratification on \(variable)") }
            parts.append("post-stratified on \(variable) (\(pop.count) cells, population \(fmt(pop.values.reduce(0, +))))")
        case .rake:
            let variables = w.variables.isEmpty ? margins.keys.sorted() : w.variables
            guard !variables.isEmpty else { throw RPCError.failedPrecondition("raking needs population margins; none are stored (SetMargins)") }
            var rakingMargins: [RakingMargin] = []
            for v in variables {
                let (cells, pop) = try cellsAndCounts(v)
                rakingMargins.append(RakingMargin(categories: cells, populationCounts: pop))
            }
            do {
                d = try d.raked(to: rakingMargins, options: RakingOptions(maxIterations: 50, epsilon: 1e-7))
            } catch { throw Self.rpc(error, "raking on \(variables.joined(separator: ", "))") }
            parts.append("raked to margins \(variables.joined(separator: ", ")) (iterative proportional fitting)")
        }
        if w.trimLower < 0 || w.trimUpper < 0 || !w.trimLower.isFinite || !w.trimUpper.isFinite {
            throw RPCError.invalidArgument("trim_lower and trim_upper must be non-negative numbers (0 = no trimming)")
        }
        if w.trimLower > 0 || w.trimUpper > 0 {
            let upper = w.trimUpper > 0 ? w.trimUpper : .infinity
            guard w.trimLower < upper else {
                throw RPCError.invalidArgument("trim_lower \(fmt(w.trimLower)) must be below trim_upper \(fmt(w.trimUpper))")
            }
            do { d = try d.trimmedWeights(lower: w.trimLower, upper: upper, strict: true) } catch { throw Self.rpc(error, "weight trimming") }
            parts.append("weights trimmed to [\(fmt(w.trimLower)), \(upper.isFinite ? fmt(upper) : "∞")] with the excess spread over untrimmed weights (Σw kept)")
        }
        parts.append("Taylor-linearisation SE (residuals within calibration cells), 95% normal CI, deff vs SRS without replacement")
        return (d, parts.joined(separator: "; "))
    }

    var marginList: String { margins.isEmpty ? "none" : margins.keys.sorted().joined(separator: ", ") }

    private func cellsAndCounts(_ variable: String) throws -> ([String], [String: Double]) {
        guard let pop = margins[variable], !pop.isEmpty else {
            throw RPCError.failedPrecondition("no population margins for \(variable) (stored: \(marginList)); "
                + "use SetMargins, for crossed cells with variable \"a+b\" and categories \"x|y\"")
        }
        let cells = sample.column(variable)
        if let i = cells.firstIndex(of: "") {
            let missing = cells.filter(\.isEmpty).count
            throw RPCError.failedPrecondition("\(missing) response(s) have no value for weighting variable \(variable) (e.g. respondent \(sample.respondents[i]))")
        }
        return (cells, pop)
    }

    func fmt(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x) }

    // MARK: domains

    /// Runs `rows` for the whole sample (domain "") and, with `by`, for every level of the domain variable.
    func overallAndDomains(design d: SurveyDesign, by: String, _ rows: ([Bool]?) throws -> [SurveyV1.EstimateRow]) throws -> [SurveyV1.EstimateRow] {
        var out = try Self.skippingEmpty { try rows(nil) }
        guard !by.isEmpty else { return out }
        let groups = sample.column(by)
        guard groups.contains(where: { !$0.isEmpty }) else {
            throw RPCError.invalidArgument("no response has a value for domain variable '\(by)' (use municipality, stratum, cluster or an attribute key)")
        }
        let perDomain = try d.by(groups) { mask in try Self.skippingEmpty { try rows(mask) } }
        for domain in perDomain {
            out += domain.value.map { var r = $0; r.domain = domain.domain; return r }
        }
        return out
    }

    static func skippingEmpty(_ body: () throws -> [SurveyV1.EstimateRow]) throws -> [SurveyV1.EstimateRow] {
        do { return try body() } catch let e as SurveyError {
            switch e {
            case .emptyDomain, .zeroDenominator: return []
            default: throw rpc(e, "estimation")
            }
        }
    }

    static func row(_ e: SurveyEstimate, level: String = "", withDeff: Bool = true) -> SurveyV1.EstimateRow {
        func clean(_ x: Double) -> Double { x.isFinite ? x : 0 }
        let ci = e.confidenceInterval()
        return SurveyV1.EstimateRow(level: level, estimate: clean(e.estimate), se: clean(e.standardError), ciLow: clean(ci.lower),
                                    ciHigh: clean(ci.upper), deff: withDeff ? clean(e.designEffect ?? 0) : 0,
                                    n: Int64(e.sampleSize), weightedN: clean(e.populationSize))
    }

    // MARK: question columns

    func numbers(_ answers: [String: StoredAnswer]) -> [Double] {
        sample.respondents.map { answers[$0]?.number ?? .nan }
    }

    /// 1/0 per row for choosing `option` (NaN when the question was not answered).
    func indicator(_ answers: [String: StoredAnswer], option: String) -> [Double] {
        sample.respondents.map { id in answers[id].map { $0.options.contains(option) ? 1.0 : 0.0 } ?? .nan }
    }
}
