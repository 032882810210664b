/// Paired bootstrap of the macro-F1 difference between two systems on the same test items
/// (Koehn 2004; Berg-Kirkpatrick et al. 2012): items are resampled with replacement, both systems
/// are scored on the same resample, and the percentile interval of the difference is reported.
public struct PairedBootstrap: Sendable {
    /// Observed macro-F1 of A and B and their difference A − B.
    public let macroF1A: Double, macroF1B: Double
    public var difference: Double { macroF1A - macroF1B }
    /// Percentile interval of A − B at `level`.
    public let lower: Double, upper: Double
    public let level: Double
    /// Share of resamples in which A − B ≤ 0 (one-sided bootstrap p-value for "A is better").
    public let shareNotBetter: Double
    public let resamples: Int

    /// - Parameters: gold and the two prediction arrays (same length, labels as strings); macro-F1 is
    ///   over the union of labels present in gold or either prediction (scikit-learn's convention).
    public init(gold: [String], a: [String], b: [String], resamples: Int = 2000, level: Double = 0.95, seed: UInt64 = 1) {
        precondition(gold.count == a.count && gold.count == b.count, "paired bootstrap needs aligned predictions")
        let labels = Array(Set(gold).union(a).union(b)).sorted()
        let code = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let g = gold.map { code[$0] ?? 0 }, pa = a.map { code[$0] ?? 0 }, pb = b.map { code[$0] ?? 0 }
        let k = labels.count
        func macroF1(_ pred: [Int], _ sample: [Int]?) -> Double {
            var tp = [Int](repeating: 0, count: k), fp = tp, fn = tp
            let items = sample ?? Array(g.indices)
            for i in items {
                if pred[i] == g[i] { tp[g[i]] += 1 } else { fp[pred[i]] += 1; fn[g[i]] += 1 }
            }
            var sum = 0.0, present = 0
            for c in 0..<k where tp[c] + fp[c] + fn[c] > 0 {
                present += 1
                let denom = Double(2 * tp[c] + fp[c] + fn[c])
                sum += denom > 0 ? Double(2 * tp[c]) / denom : 0
            }
            return present == 0 ? 0 : sum / Double(present)
        }
        macroF1A = macroF1(pa, nil)
        macroF1B = macroF1(pb, nil)
        var rng = SplitMix64(seed: seed)
        var diffs: [Double] = []
        diffs.reserveCapacity(resamples)
        let n = g.count
        for _ in 0..<resamples {
            let sample = (0..<n).map { _ in Int(rng.next() % UInt64(max(n, 1))) }
            diffs.append(macroF1(pa, sample) - macroF1(pb, sample))
        }
        diffs.sort()
        let alpha = (1 - level) / 2
        func quantile(_ q: Double) -> Double {
            guard !diffs.isEmpty else { return 0 }
            return diffs[min(diffs.count - 1, max(0, Int((q * Double(diffs.count - 1)).rounded())))]
        }
        lower = quantile(alpha)
        upper = quantile(1 - alpha)
        self.level = level
        self.resamples = resamples
        shareNotBetter = diffs.isEmpty ? 1 : Double(diffs.filter { $0 <= 0 }.count) / Double(diffs.count)
    }
}
