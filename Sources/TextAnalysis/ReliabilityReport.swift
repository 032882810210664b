import Foundation

/// Calibration of a confidence score: reliability diagram over equal-width bins and the expected
/// calibration error ECE = Σ_bins (n_bin / n) · |accuracy_bin − mean confidence_bin|.
public struct ReliabilityReport: Sendable {
    /// One confidence bin of the diagram: its bounds, count, mean confidence and accuracy.
    public struct Bin: Sendable {
        public let lower: Double, upper: Double
        public let count: Int
        public let meanConfidence: Double
        public let accuracy: Double
    }

    public let bins: [Bin]
    public let ece: Double
    public let count: Int

    public init(confidence: [Double], correct: [Bool], bins n: Int = 10) {
        var sums = [(n: Int, conf: Double, right: Int)](repeating: (0, 0, 0), count: n)
        for (c, ok) in zip(confidence, correct) {
            let b = min(n - 1, max(0, Int(c * Double(n))))
            sums[b].n += 1
            sums[b].conf += c
            if ok { sums[b].right += 1 }
        }
        let total = confidence.count
        bins = sums.enumerated().map { i, s in
            Bin(lower: Double(i) / Double(n), upper: Double(i + 1) / Double(n), count: s.n,
                meanConfidence: s.n > 0 ? s.conf / Double(s.n) : 0, accuracy: s.n > 0 ? Double(s.right) / Double(s.n) : 0)
        }
        ece = total == 0 ? 0 : bins.reduce(0) { $0 + Double($1.count) / Double(total) * abs($1.accuracy - $1.meanConfidence) }
        count = total
    }

    /// The diagram as text: one row per bin with a bar of its accuracy.
    public func render(title: String) -> String {
        var s = "\(title): ECE \(String(format: "%.3f", ece)) (n=\(count), \(bins.count) bins)\n"
        s += "    confidence      n   mean conf  accuracy\n"
        for b in bins where b.count > 0 {
            let bar = String(repeating: "█", count: Int((b.accuracy * 20).rounded()))
            s += String(format: "    %.1f–%.1f  %7d     %.3f     %.3f  ", b.lower, b.upper, b.count, b.meanConfidence, b.accuracy) + bar + "\n"
        }
        return s
    }
}

/// Share of appeals routed automatically at a confidence threshold and how often they are right.
public struct RoutingReport: Sendable {
    public let threshold: Double
    public let count: Int
    public let routed: Int
    public let topicAccuracy: Double
    public let categoryAccuracy: Double
    public var share: Double { count > 0 ? Double(routed) / Double(count) : 0 }

    public init(threshold: Double, outcomes: [(confidence: Double, topicCorrect: Bool, categoryCorrect: Bool)]) {
        let r = outcomes.filter { $0.confidence >= threshold }
        self.threshold = threshold
        count = outcomes.count
        routed = r.count
        topicAccuracy = r.isEmpty ? 0 : Double(r.filter(\.topicCorrect).count) / Double(r.count)
        categoryAccuracy = r.isEmpty ? 0 : Double(r.filter(\.categoryCorrect).count) / Double(r.count)
    }

    public var line: String {
        String(format: "threshold %.2f: %5.1f%% auto-routed (%d of %d), topic accuracy %.1f%%, category accuracy %.1f%%; %5.1f%% to triage",
               threshold, share * 100, routed, count, topicAccuracy * 100, categoryAccuracy * 100, (1 - share) * 100)
    }
}
