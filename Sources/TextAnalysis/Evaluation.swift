import Foundation

/// Per-class and macro metrics of one label level on one test set.
public struct ClassificationMetrics: Sendable {
    public struct PerClass: Sendable {
        public let label: String
        public let precision: Double, recall: Double, f1: Double
        public let support: Int
    }
    public let accuracy: Double
    /// Macro-F1 over the union of gold and predicted labels (scikit-learn convention).
    public let macroF1: Double
    /// Macro-F1 over gold labels only (classes with support > 0).
    public let macroF1Supported: Double
    public let perClass: [PerClass]
    /// Most frequent (gold → predicted) confusions.
    public let topConfusions: [(gold: String, predicted: String, count: Int)]
    public let count: Int

    public init(gold: [String], predicted: [String]) {
        precondition(gold.count == predicted.count)
        var tp: [String: Int] = [:], fp: [String: Int] = [:], fn: [String: Int] = [:], support: [String: Int] = [:]
        var conf: [String: Int] = [:]
        var correct = 0
        for (g, p) in zip(gold, predicted) {
            support[g, default: 0] += 1
            if g == p { tp[g, default: 0] += 1; correct += 1 } else {
                fp[p, default: 0] += 1; fn[g, default: 0] += 1
                conf[g + "\u{1}" + p, default: 0] += 1
            }
        }
        let labels = Set(gold).union(predicted).sorted()
        var rows: [PerClass] = []
        for l in labels {
            let t = Double(tp[l] ?? 0), f = Double(fp[l] ?? 0), m = Double(fn[l] ?? 0)
            let p = t + f > 0 ? t / (t + f) : 0, r = t + m > 0 ? t / (t + m) : 0
            rows.append(PerClass(label: l, precision: p, recall: r, f1: p + r > 0 ? 2 * p * r / (p + r) : 0, support: support[l] ?? 0))
        }
        perClass = rows
        macroF1 = rows.isEmpty ? 0 : rows.map(\.f1).reduce(0, +) / Double(rows.count)
        let supported = rows.filter { $0.support > 0 }
        macroF1Supported = supported.isEmpty ? 0 : supported.map(\.f1).reduce(0, +) / Double(supported.count)
        accuracy = gold.isEmpty ? 0 : Double(correct) / Double(gold.count)
        count = gold.count
        topConfusions = conf.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(10).map { kv in
            let parts = kv.key.split(separator: "\u{1}", omittingEmptySubsequences: false).map(String.init)
            return (parts.first ?? "", parts.count > 1 ? parts[1] : "", kv.value)
        }
    }

    public func report(title: String) -> String {
        var s = "== \(title): n=\(count) accuracy=\(fmt(accuracy)) macro-F1=\(fmt(macroF1)) (gold labels only: \(fmt(macroF1Supported)))\n"
        s += "   label                                   P      R      F1   support\n"
        for r in perClass {
            s += "   " + r.label.padding(toLength: 36, withPad: " ", startingAt: 0)
                + "  \(fmt(r.precision))  \(fmt(r.recall))  \(fmt(r.f1))  \(r.support)\n"
        }
        s += "   top confusions (gold → predicted):\n"
        for c in topConfusions { s += "     \(c.gold) → \(c.predicted): \(c.count)\n" }
        return s
    }
}

private func fmt(_ x: Double) -> String { String(format: "%.3f", x) }

/// Evaluation of a classifier model on the two hold-out sets.
public struct ClassifierEvaluationReport: Sendable {
    public let kurskTopic: ClassificationMetrics
    public let kurskCategory: ClassificationMetrics
    public let spbTopic: ClassificationMetrics
    public let spbCategory: ClassificationMetrics
    public let spbTestFrom: String

    public var summary: String {
        """
        Kursk test (n=\(kurskTopic.count)): topic macro-F1 \(fmt(kurskTopic.macroF1)) [gold-only \(fmt(kurskTopic.macroF1Supported))] (acc \(fmt(kurskTopic.accuracy))), \
        category macro-F1 \(fmt(kurskCategory.macroF1)) [gold-only \(fmt(kurskCategory.macroF1Supported))] (acc \(fmt(kurskCategory.accuracy)))
        SPb from \(spbTestFrom) (n=\(spbTopic.count)): topic macro-F1 \(fmt(spbTopic.macroF1)) [gold-only \(fmt(spbTopic.macroF1Supported))] (acc \(fmt(spbTopic.accuracy))), \
        category macro-F1 \(fmt(spbCategory.macroF1)) [gold-only \(fmt(spbCategory.macroF1Supported))] (acc \(fmt(spbCategory.accuracy)))
        """
    }

    public var fullReport: String {
        summary + "\n\n" + kurskTopic.report(title: "Kursk test / topic") + kurskCategory.report(title: "Kursk test / category")
            + spbTopic.report(title: "SPb \(spbTestFrom)… / topic") + spbCategory.report(title: "SPb \(spbTestFrom)… / category")
    }
}

public enum ClassifierEvaluation {
    /// Predictions of `model` for `rows` → (topic metrics, category metrics).
    public static func evaluate(model: ClassifierModel, rows: [LabeledAppeal]) throws -> (topic: ClassificationMetrics, category: ClassificationMetrics) {
        let clf = try AppealClassifier(model: model)
        var gt: [String] = [], pt: [String] = [], gc: [String] = [], pc: [String] = []
        for r in rows {
            let c = clf.classify(r.text)
            gt.append(r.topicCode); pt.append(c.topicCode); gc.append(r.categoryCode); pc.append(c.categoryCode)
        }
        return (ClassificationMetrics(gold: gt, predicted: pt), ClassificationMetrics(gold: gc, predicted: pc))
    }

    /// Kursk test set + SPb rows created on/after `spbTestFrom` (must match the model's training cutoff,
    /// `TrainingOptions.spbTrainBefore`, for an honest temporal hold-out).
    public static func evaluate(model: ClassifierModel, dataDirectory: String, spbTestFrom: String = "2021-03-01",
                                kurskOnly: Bool = false) throws -> ClassifierEvaluationReport {
        let index = try AppealDatasets.loadKurskTrain(dataDirectory: dataDirectory).index
        let kursk = try AppealDatasets.loadKurskTest(dataDirectory: dataDirectory, index: index)
        let k = try evaluate(model: model, rows: kursk)
        let spb = kurskOnly ? [] : try AppealDatasets.loadSPb(dataDirectory: dataDirectory).filter { $0.created >= spbTestFrom }
        let s = try evaluate(model: model, rows: spb)
        return ClassifierEvaluationReport(kurskTopic: k.topic, kurskCategory: k.category, spbTopic: s.topic,
                                          spbCategory: s.category, spbTestFrom: spbTestFrom)
    }
}
