import Foundation

/// Paired bootstrap of the difference in macro-F1 (over gold ∪ predicted labels) between two
/// classifiers' predictions on the same rows: both are scored on the same resample each time.
public struct PairedBootstrap: Sendable {
    /// Observed difference a − b and its percentile 95 % interval.
    public let difference: Double
    public let low: Double
    public let high: Double
    public let resamples: Int

    /// `a`, `b`: predictions of the two classifiers for the rows with gold labels `gold`.
    public init(gold: [String], a: [String], b: [String], resamples: Int = 1000, seed: UInt64 = 13) {
        precondition(gold.count == a.count && gold.count == b.count)
        var codes: [String: Int] = [:]
        func code(_ s: String) -> Int {
            if let c = codes[s] { return c }
            codes[s] = codes.count
            return codes.count - 1
        }
        let g = gold.map(code), pa = a.map(code), pb = b.map(code)
        let k = codes.count
        let all = Array(0..<gold.count)
        difference = Self.macroF1(g, pa, all, k) - Self.macroF1(g, pb, all, k)
        var rng = SplitMix64(seed: seed)
        var diffs: [Double] = []
        diffs.reserveCapacity(resamples)
        var sample = [Int](repeating: 0, count: gold.count)
        for _ in 0..<resamples {
            for i in sample.indices { sample[i] = Int(rng.next() % UInt64(gold.count)) }
            diffs.append(Self.macroF1(g, pa, sample, k) - Self.macroF1(g, pb, sample, k))
        }
        diffs.sort()
        let lo = Int((Double(resamples) * 0.025).rounded(.down)), hi = Int((Double(resamples) * 0.975).rounded(.up)) - 1
        low = diffs.isEmpty ? difference : diffs[max(0, lo)]
        high = diffs.isEmpty ? difference : diffs[min(diffs.count - 1, hi)]
        self.resamples = resamples
    }

    /// Macro-F1 over the labels present in gold or predictions of the rows `rows` (scikit-learn convention).
    static func macroF1(_ gold: [Int], _ predicted: [Int], _ rows: [Int], _ k: Int) -> Double {
        var tp = [Int](repeating: 0, count: k), goldN = [Int](repeating: 0, count: k), predN = [Int](repeating: 0, count: k)
        for i in rows {
            goldN[gold[i]] += 1
            predN[predicted[i]] += 1
            if gold[i] == predicted[i] { tp[gold[i]] += 1 }
        }
        var sum = 0.0, n = 0
        for c in 0..<k where goldN[c] + predN[c] > 0 {
            n += 1
            sum += 2 * Double(tp[c]) / Double(goldN[c] + predN[c])
        }
        return n > 0 ? sum / Double(n) : 0
    }
}
