import Foundation

/// "Nice" axis scale (Heckbert's algorithm): tick step is 1, 2, 2.5 or 5 × 10ⁿ, the axis bounds are
/// multiples of the step enclosing the data range.
public struct NiceScale: Sendable, Hashable {
    public let lower: Double
    public let upper: Double
    public let step: Double
    public let ticks: [Double]

    /// - Parameters:
    ///   - min, max: data range (order does not matter; non-finite values are treated as 0).
    ///   - maxTicks: desired maximum number of ticks (≥ 2).
    ///   - includeZero: extend the range to include 0 (bar charts).
    public init(min dataMin: Double, max dataMax: Double, maxTicks: Int = 6, includeZero: Bool = false) {
        var lo = dataMin.isFinite ? dataMin : 0
        var hi = dataMax.isFinite ? dataMax : 0
        if lo > hi { swap(&lo, &hi) }
        if includeZero {
            lo = Swift.min(lo, 0)
            hi = Swift.max(hi, 0)
        }
        if hi == lo {
            if hi == 0 {
                hi = 1
            } else if hi > 0 {
                if includeZero { lo = 0 } else { lo = hi - abs(hi) * 0.1; hi += abs(hi) * 0.1 }
            } else {
                if includeZero { hi = 0 } else { hi += abs(lo) * 0.1; lo -= abs(lo) * 0.1 }
            }
        }
        let n = Swift.max(2, maxTicks)
        let range = NiceScale.niceNumber(hi - lo, round: false)
        var step = NiceScale.niceNumber(range / Double(n - 1), round: true)
        if !(step > 0) || !step.isFinite { step = 1 }
        // Snap to a multiple of step, tolerant to floating noise.
        let eps = step * 1e-9
        let niceLo = (lo / step + 1e-9).rounded(.down) * step
        let niceHi = (hi / step - 1e-9).rounded(.up) * step
        var ticks: [Double] = []
        var k = 0
        while true {
            let t = niceLo + Double(k) * step
            if t > niceHi + eps || k > 1000 { break }
            // Clean floating noise (e.g. 0.30000000000000004 → 0.3).
            let cleaned = (t / step).rounded() * step
            ticks.append(abs(cleaned) < eps ? 0 : NiceScale.clean(cleaned, step: step))
            k += 1
        }
        self.lower = ticks.first ?? niceLo
        self.upper = ticks.last ?? niceHi
        self.step = step
        self.ticks = ticks
    }

    /// Nice number approximately equal to `x` (1, 2, 5, 10 × 10ⁿ; rounded or ceiling).
    public static func niceNumber(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let exponent = floor(log10(x))
        let base = pow(10, exponent)
        let fraction = x / base
        let nice: Double
        if round {
            if fraction < 1.5 { nice = 1 } else if fraction < 2.25 { nice = 2 } else if fraction < 3.5 { nice = 2.5 }
            else if fraction < 7 { nice = 5 } else { nice = 10 }
        } else {
            if fraction <= 1 { nice = 1 } else if fraction <= 2 { nice = 2 } else if fraction <= 2.5 { nice = 2.5 }
            else if fraction <= 5 { nice = 5 } else { nice = 10 }
        }
        return nice * base
    }

    /// Number of fraction digits needed to print ticks of the given step.
    public static func decimals(for step: Double) -> Int {
        guard step > 0, step.isFinite else { return 0 }
        var d = 0
        var s = step
        while d < 6 && abs(s - s.rounded()) > 1e-6 * Swift.max(1, abs(s)) {
            s *= 10
            d += 1
        }
        return d
    }

    /// Maps a value to [0, 1] within the scale (clamped).
    public func fraction(_ value: Double) -> Double {
        guard upper > lower, value.isFinite else { return 0 }
        return Swift.min(1, Swift.max(0, (value - lower) / (upper - lower)))
    }

    private static func clean(_ value: Double, step: Double) -> Double {
        let d = decimals(for: step)
        var p: Double = 1
        for _ in 0..<d { p *= 10 }
        return (value * p).rounded() / p
    }
}
