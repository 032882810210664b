/// Errors thrown by SurveyStats. Every invalid input is reported through one of these cases;
/// the library never traps on user data.
public enum SurveyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The design has no rows.
    case emptyDesign
    /// An input column has a different number of rows than the design.
    case lengthMismatch(field: String, expected: Int, actual: Int)
    /// A sampling weight is zero, negative or infinite (or a probability is outside (0, 1]).
    case nonPositiveWeight(row: Int, value: Double)
    /// A required numeric value is NaN or infinite.
    case nonFiniteValue(field: String, row: Int)
    /// A missing value (NaN) was found while `MissingValuePolicy.fail` is in effect.
    case missingValue(field: String, row: Int)
    /// A stratum label is empty.
    case missingStratum(row: Int)
    /// A cluster id is empty at the given (1-based) sampling stage.
    case missingCluster(row: Int, stage: Int)
    /// Neither weights, probabilities nor population-size fpc were given.
    case missingWeights
    /// Both weights and probabilities were given.
    case conflictingWeights
    /// The fpc is invalid (non-positive, a fraction above 1, or a population smaller than the sample).
    case invalidFPC(stage: Int, row: Int, reason: String)
    /// The fpc differs between rows of the same stratum.
    case fpcNotConstantInStratum(stage: Int, stratum: String)
    /// A stratum has a single PSU and `LonelyPSUPolicy.fail` is in effect (R: survey.lonely.psu = "fail").
    case lonelyPSU(stratum: String, stage: Int)
    /// A domain (subpopulation) has no observations with non-missing data.
    case emptyDomain(String)
    /// The denominator of a ratio (or a mean's weight total) is zero.
    case zeroDenominator(String)
    /// A sample cell/category has no population count.
    case cellMissingFromPopulation(margin: Int, cell: String)
    /// A population cell has no sampled observation, so it cannot be weighted up.
    case emptySampleCell(margin: Int, cell: String)
    /// A population count is not a positive finite number.
    case invalidPopulationCount(margin: Int, cell: String)
    /// Raking did not reach the tolerance within the allowed iterations.
    case rakingDidNotConverge(iterations: Int, maxChange: Double)
    /// A response falls outside the admissible scale (e.g. NPS 0–10, Likert 1–5).
    case valueOutOfScale(field: String, row: Int, value: Double)
    /// Any other invalid argument.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .emptyDesign: return "survey design has no rows"
        case let .lengthMismatch(f, e, a): return "\(f) has \(a) values but the design has \(e) rows"
        case let .nonPositiveWeight(r, v): return "row \(r): weight/probability \(v) is not a positive finite number"
        case let .nonFiniteValue(f, r): return "row \(r): \(f) is NaN or infinite"
        case let .missingValue(f, r): return "row \(r): \(f) is missing (NaN); use MissingValuePolicy.exclude to drop missing values"
        case let .missingStratum(r): return "row \(r): stratum label is empty"
        case let .missingCluster(r, s): return "row \(r): cluster id at stage \(s) is empty"
        case .missingWeights: return "no weights, probabilities or population-size fpc given"
        case .conflictingWeights: return "give either weights or probabilities, not both"
        case let .invalidFPC(s, r, why): return "stage \(s), row \(r): invalid fpc (\(why))"
        case let .fpcNotConstantInStratum(s, st): return "stage \(s): fpc not constant within stratum \(st)"
        case let .lonelyPSU(st, s): return "stratum \(st) has only one PSU at stage \(s)"
        case let .emptyDomain(d): return "domain \(d) has no observations"
        case let .zeroDenominator(what): return "zero denominator in \(what)"
        case let .cellMissingFromPopulation(m, c): return "margin \(m): sample cell \(c) has no population count"
        case let .emptySampleCell(m, c): return "margin \(m): population cell \(c) has no sampled observations"
        case let .invalidPopulationCount(m, c): return "margin \(m): population count for \(c) is not a positive finite number"
        case let .rakingDidNotConverge(it, d): return "raking did not converge after \(it) iterations (max change \(d))"
        case let .valueOutOfScale(f, r, v): return "row \(r): \(f) value \(v) is outside the admissible scale"
        case let .invalidArgument(s): return s
        }
    }
}
