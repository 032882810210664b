import Foundation

/// Decides whether a retrained model may replace the active one: both classify the same held-out rows
/// (the test split and/or operators' corrections held out from training); the candidate is refused when
/// its mean macro-F1 over the splits is lower, or when it is significantly worse on any split (the paired
/// bootstrap 95% interval of the difference lies below zero).
public struct ActivationGate: Sendable {
    public let table: SideBySide
    public let accepted: Bool
    public let reason: String

    public init(candidate: ClassifierModel, current: ClassifierModel, heldOut rows: [LabeledAppeal], resamples: Int = 1000) throws {
        guard !rows.isEmpty else {
            table = SideBySide(rows: [], project: Predictions(), baseline: Predictions())
            accepted = false
            reason = "no held-out data to compare the models on"
            return
        }
        let a = try ModelRun(model: candidate, rows: rows), b = try ModelRun(model: current, rows: rows)
        table = SideBySide(rows: rows, project: a.predictions, baseline: b.predictions, resamples: resamples)
        let worse = table.rows.filter { $0.bootstrap.upper < 0 }
        let (mc, mb) = table.means
        if !worse.isEmpty {
            accepted = false
            reason = "significantly worse on " + worse.map(\.split.title).joined(separator: ", ")
        } else if mc < mb {
            accepted = false
            reason = String(format: "mean macro-F1 %.3f is below the current model's %.3f", mc, mb)
        } else {
            accepted = true
            reason = String(format: "mean macro-F1 %.3f ≥ %.3f and no split significantly worse", mc, mb)
        }
    }
}
