import Foundation

/// The record of a model selection (`Resources/model-selection.json`, committed): every candidate's
/// settings and validation figures, the baseline's validation figures, and the one chosen. Selection
/// sees the training and validation parts only (`ClassifierSplits.load(includeTest: false)`).
public struct SelectionLog: Codable, Sendable {
    /// One candidate: settings, what was fitted on validation, and its validation macro-F1 per split.
    public struct Candidate: Codable, Sendable {
        public var config: ClassifierConfig
        public var calibration: Calibration
        public var validation: [String: Double]
        /// Smallest margin over the baseline across the splits (the selection criterion, `ModelSelection.criterion`).
        public var worstMargin: Double
        public var meanMacroF1: Double
    }

    public var date: String
    public var splits: ClassifierSplits.Settings
    public var trainRows: Int
    public var validationRows: Int
    public var baseline: String
    public var baselineValidation: [String: Double]
    public var criterion: String
    public var candidates: [Candidate]
    public var chosen: Int

    public var chosenCandidate: Candidate { candidates[chosen] }

    public static func load(from url: URL) throws -> SelectionLog {
        try JSONDecoder().decode(SelectionLog.self, from: Data(contentsOf: url))
    }

    public func save(to url: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        try enc.encode(self).write(to: url, options: .atomic)
    }

    public func render() -> String {
        let order = EvaluationSplit.allCases.filter { baselineValidation[$0.rawValue] != nil }
        var s = "validation macro-F1 (gold ∪ predicted) per split: " + order.map(\.title).joined(separator: " | ") + "\n"
        s += "baseline   " + order.map { fmt(baselineValidation[$0.rawValue] ?? 0) }.joined(separator: "  ") + "\n"
        for (i, c) in candidates.enumerated() {
            s += (i == chosen ? "→ " : "  ") + "#\(i)".padding(toLength: 8, withPad: " ", startingAt: 0)
                + order.map { fmt(c.validation[$0.rawValue] ?? 0) }.joined(separator: "  ")
                + String(format: "   worst margin %+.3f  mean %.3f  ", c.worstMargin, c.meanMacroF1) + c.config.summary + "\n"
        }
        return s
    }
}

/// Chooses the classifier settings on the validation split.
public enum ModelSelection {
    /// Each split's margin is the smaller of the margins in macro-F1 over gold ∪ predicted labels and over gold labels
    /// only: one month of St Petersburg validation lacks labels that the test months have, so a system that predicts
    /// such a label is penalised on validation by a whole zero-F1 class that the test does not charge (the released
    /// v2-533fe78cb844b350 led the baseline by +0.080 on validation St Petersburg categories, −0.007 over gold labels
    /// only, and was −0.014 on the test split).
    public static let criterion = "largest worst-case margin over the baseline across the four validation splits, each the smaller of the margins over gold ∪ predicted and over gold labels only (ties: mean macro-F1)"

    /// The margin of one split under `criterion`.
    static func margin(_ row: SideBySide.Row) -> Double {
        min(row.project.macroF1 - row.baseline.macroF1, row.project.macroF1Supported - row.baseline.macroF1Supported)
    }

    /// Trains each candidate on `train` and, for every category decoding, calibrates and scores it on
    /// `validation`; picks the one whose smallest margin over the baseline's validation predictions is largest.
    /// Returns the record and the chosen candidate's model as it was scored (trained on `train` only).
    public static func run(candidates: [ClassifierConfig], train: FeatureCache, validation: FeatureCache, baseline: Predictions,
                           baselineName: String, splits: ClassifierSplits.Settings,
                           log: (String) -> Void = { _ in }) throws -> (log: SelectionLog, chosenModel: ClassifierModel?) {
        var results: [SelectionLog.Candidate] = []
        var best: (index: Int, model: ClassifierModel)?
        var baselineScores: [String: Double] = [:]
        for trained in candidates {
            log("training: \(trained.summary)")
            let (fitted, _) = ClassifierTrainer.fit(trained, train: train, calibration: validation, log: log)
            for decoding in CategoryDecoding.allCases {
                var config = trained
                config.decoding = decoding
                var model = fitted
                model.decoding = decoding
                let calibration = Calibration.fit(model, on: validation)
                model.routingThreshold = calibration.routingThreshold
                let run = try ModelRun(model: model, rows: validation.rows)
                let table = SideBySide(rows: validation.rows, project: run.predictions, baseline: baseline, resamples: 0)
                var scores: [String: Double] = [:]
                for r in table.rows {
                    scores[r.split.rawValue] = r.project.macroF1
                    baselineScores[r.split.rawValue] = r.baseline.macroF1
                }
                let margin = table.rows.map(margin).min() ?? 0
                let mean = scores.values.reduce(0, +) / Double(max(1, scores.count))
                results.append(.init(config: config, calibration: calibration, validation: scores, worstMargin: margin, meanMacroF1: mean))
                if best.map({ Self.ranks(results[$0.index], below: results[results.count - 1]) }) ?? true { best = (results.count - 1, model) }
                log(String(format: "candidate #%d: worst margin %+.3f, mean %.3f, ", results.count - 1, margin, mean) + config.summary)
            }
        }
        let record = SelectionLog(date: ISO8601DateFormatter().string(from: Date()), splits: splits, trainRows: train.rows.count,
                                  validationRows: validation.rows.count, baseline: baselineName, baselineValidation: baselineScores,
                                  criterion: criterion, candidates: results, chosen: best?.index ?? 0)
        return (record, best?.model)
    }

    /// `criterion` as an order: by worst margin, then by mean macro-F1; the first of equal candidates stays chosen.
    static func ranks(_ a: SelectionLog.Candidate, below b: SelectionLog.Candidate) -> Bool {
        (a.worstMargin, a.meanMacroF1) < (b.worstMargin, b.meanMacroF1)
    }
}
