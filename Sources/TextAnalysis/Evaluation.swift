import Foundation

/// Per-class and macro metrics of one label level on one test set.
public struct ClassificationMetrics: Sendable {
    /// Precision, recall, F1 and gold support of one label.
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

func fmt(_ x: Double) -> String { String(format: "%.3f", x) }

/// The rows of the evaluation table: each dataset's hold-out, topics and categories (the four),
/// and the held-out operators' corrections when a database is involved (activation).
public enum EvaluationSplit: String, CaseIterable, Codable, Sendable {
    case kurskTopics, kurskCategories, spbTopics, spbCategories, correctionTopics, correctionCategories

    public var title: String {
        switch self {
        case .kurskTopics: return "Kursk, topics"
        case .kurskCategories: return "Kursk, categories"
        case .spbTopics: return "St Petersburg, topics"
        case .spbCategories: return "St Petersburg, categories"
        case .correctionTopics: return "Corrections, topics"
        case .correctionCategories: return "Corrections, categories"
        }
    }

    var isTopic: Bool { self == .kurskTopics || self == .spbTopics || self == .correctionTopics }

    func includes(_ r: LabeledAppeal) -> Bool {
        switch self {
        case .kurskTopics, .kurskCategories: return r.source == .kurskTrain || r.source == .kurskTest
        case .spbTopics, .spbCategories: return r.source == .spb
        case .correctionTopics, .correctionCategories: return r.source == .correction
        }
    }

    func gold(_ r: LabeledAppeal) -> String { isTopic ? r.topicCode : r.categoryCode }
}

/// Topic and category predicted for each row id.
public struct Predictions: Sendable {
    public var topic: [String: String] = [:]
    public var category: [String: String] = [:]
    public init() {}

    func label(_ split: EvaluationSplit, id: String) -> String { (split.isTopic ? topic[id] : category[id]) ?? "" }
}

/// A classifier's predictions on rows, with its confidence outcomes and speed.
public struct ModelRun: Sendable {
    public let predictions: Predictions
    public let outcomes: [(confidence: Double, topicCorrect: Bool, categoryCorrect: Bool)]
    /// Mean CPU time of the classifying thread per appeal (one core), seconds: the classifier's cost,
    /// independent of what else the machine runs.
    public let secondsPerAppeal: Double
    /// Mean elapsed (wall-clock) time per appeal, seconds: above `secondsPerAppeal` when other processes
    /// share the cores.
    public let wallSecondsPerAppeal: Double

    public init(model: ClassifierModel, rows: [LabeledAppeal]) throws {
        let clf = try AppealClassifier(model: model)
        var p = Predictions()
        var out: [(Double, Bool, Bool)] = []
        out.reserveCapacity(rows.count)
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = Self.threadCPUTime()
        for r in rows {
            let c = clf.classify(r.text, channel: r.channel, rubric: r.rubric)
            p.topic[r.id] = c.topicCode
            p.category[r.id] = c.categoryCode
            out.append((c.topicConfidence, c.topicCode == r.topicCode, c.categoryCode == r.categoryCode))
        }
        let cpu = Self.threadCPUTime() - cpuStart
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        predictions = p
        outcomes = out
        secondsPerAppeal = rows.isEmpty ? 0 : cpu / Double(rows.count)
        wallSecondsPerAppeal = rows.isEmpty ? 0 : elapsed / Double(rows.count)
    }

    /// CPU time consumed by the calling thread, seconds.
    static func threadCPUTime() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

/// The project model and the baseline side by side on every split, with paired-bootstrap intervals.
public struct SideBySide: Sendable {
    /// One split: both models' metrics and the paired bootstrap of project − baseline macro-F1.
    public struct Row: Sendable {
        public let split: EvaluationSplit
        public let count: Int
        public let project: ClassificationMetrics
        public let baseline: ClassificationMetrics
        public let bootstrap: PairedBootstrap
    }

    public let rows: [Row]

    public init(rows data: [LabeledAppeal], project: Predictions, baseline: Predictions, resamples: Int = 1000) {
        rows = EvaluationSplit.allCases.compactMap { split in
            let subset = data.filter(split.includes)
            guard !subset.isEmpty else { return nil }
            let gold = subset.map(split.gold)
            let a = subset.map { project.label(split, id: $0.id) }, b = subset.map { baseline.label(split, id: $0.id) }
            return Row(split: split, count: subset.count, project: ClassificationMetrics(gold: gold, predicted: a),
                       baseline: ClassificationMetrics(gold: gold, predicted: b),
                       bootstrap: PairedBootstrap(gold: gold, a: a, b: b, resamples: resamples))
        }
    }

    /// True when the project wins every split with the interval of the difference above zero.
    public var projectWinsEverywhere: Bool { rows.allSatisfy { $0.bootstrap.lower > 0 } }

    /// Mean macro-F1 over the splits (project, baseline).
    public var means: (project: Double, baseline: Double) {
        let n = Double(max(1, rows.count))
        return (rows.reduce(0) { $0 + $1.project.macroF1 } / n, rows.reduce(0) { $0 + $1.baseline.macroF1 } / n)
    }

    public func render(title: String) -> String {
        var s = "\(title)\nmacro-F1 over gold ∪ predicted labels (over gold labels only in brackets); difference project − baseline with its paired-bootstrap 95% interval (\(rows.first?.bootstrap.resamples ?? 0) resamples)\n"
        s += "split                          n     project          baseline         difference  95% interval\n"
        for r in rows {
            s += r.split.title.padding(toLength: 26, withPad: " ", startingAt: 0) + String(r.count).leftPadded(7)
                + "   \(fmt(r.project.macroF1)) (\(fmt(r.project.macroF1Supported)))  \(fmt(r.baseline.macroF1)) (\(fmt(r.baseline.macroF1Supported)))"
                + String(format: "   %+.3f     [%+.3f, %+.3f]%@\n", r.bootstrap.difference, r.bootstrap.lower, r.bootstrap.upper, r.bootstrap.lower > 0 ? "  win" : "")
        }
        s += "accuracy: " + rows.map { "\($0.split.title) \(fmt($0.project.accuracy)) vs \(fmt($0.baseline.accuracy))" }.joined(separator: "; ") + "\n"
        return s
    }
}
