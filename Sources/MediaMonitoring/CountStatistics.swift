import Foundation

/// Tail probabilities of count distributions and multiple-testing adjustment used by surge detection.
public enum CountStatistics {
    /// P(X ≥ k) for X ~ Poisson(mean).
    public static func poissonUpperTail(_ k: Int, mean: Double) -> Double {
        guard k > 0 else { return 1 }
        guard mean > 0 else { return 0 }
        let logFirst = Double(k) * log(mean) - mean - lgamma(Double(k) + 1)
        return upperTail(k: k, logFirst: logFirst, mean: mean) { j in mean / Double(j + 1) }
    }

    /// P(X ≥ k) for a negative binomial with the given mean and variance = dispersion · mean
    /// (dispersion ≤ 1 falls back to Poisson). Size r = mean / (dispersion − 1), p = mean / (mean + r).
    public static func negativeBinomialUpperTail(_ k: Int, mean: Double, dispersion: Double) -> Double {
        guard dispersion > 1 + 1e-9 else { return poissonUpperTail(k, mean: mean) }
        guard k > 0 else { return 1 }
        guard mean > 0 else { return 0 }
        let r = mean / (dispersion - 1)
        let p = mean / (mean + r)
        let kd = Double(k)
        let logCoefficient: Double = lgamma(kd + r) - lgamma(r) - lgamma(kd + 1)
        let logProbabilities: Double = r * log(1 - p) + kd * log(p)
        let logFirst = logCoefficient + logProbabilities
        return upperTail(k: k, logFirst: logFirst, mean: mean) { j in (Double(j) + r) / Double(j + 1) * p }
    }

    /// Σ_{j≥k} pmf(j) from log pmf(k) and the ratio pmf(j+1)/pmf(j); stops when terms are negligible.
    private static func upperTail(k: Int, logFirst: Double, mean: Double, ratio: (Int) -> Double) -> Double {
        var term = exp(logFirst)
        var sum = 0.0
        var j = k
        for _ in 0..<100_000 {
            sum += term
            if Double(j) > mean, term < sum * 1e-15 { break }
            term *= ratio(j)
            j += 1
        }
        return min(1, sum)
    }

    /// Benjamini–Hochberg adjusted p-values (q-values), same order as `pValues`.
    public static func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        guard m > 0 else { return [] }
        let order = pValues.indices.sorted { pValues[$0] != pValues[$1] ? pValues[$0] < pValues[$1] : $0 < $1 }
        var q = [Double](repeating: 1, count: m)
        var running = 1.0
        for rank in stride(from: m, through: 1, by: -1) {
            let i = order[rank - 1]
            running = min(running, pValues[i] * Double(m) / Double(rank))
            q[i] = min(1, running)
        }
        return q
    }
}
