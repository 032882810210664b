import Foundation

/// Confidence-interval construction.
public enum IntervalMethod: Sendable, Equatable {
    /// Normal quantile (R's default `confint()` on `svymean`/`svytotal`).
    case normal
    /// Student t quantile. `nil` uses the design degrees of freedom (#PSU − #strata, R's `degf`),
    /// as in `confint(x, df = degf(design))`.
    case studentT(degreesOfFreedom: Int?)
}

/// Which simple-random-sampling variance the design effect compares against (R's `deff=`).
public enum DesignEffectMode: Sendable, Equatable {
    /// No design effect.
    case none
    /// SRS without replacement of the same size from a population of size Σw (R `deff=TRUE`).
    case withoutReplacement
    /// SRS with replacement (R `deff="replace"`).
    case withReplacement
}

/// A point estimate with its design-based (Taylor linearisation) uncertainty.
public struct SurveyEstimate: Sendable, Equatable, CustomStringConvertible {
    /// The point estimate.
    public let estimate: Double
    /// Design-based variance.
    public let variance: Double
    /// Design effect (variance ratio vs SRS), nil when not requested.
    public let designEffect: Double?
    /// Design degrees of freedom used for `.studentT(nil)` intervals.
    public let degreesOfFreedom: Int
    /// Number of observations that contributed (in the domain, non-missing).
    public let sampleSize: Int
    /// Estimated population size Σw of the contributing rows.
    public let populationSize: Double

    public init(estimate: Double, variance: Double, designEffect: Double? = nil,
                degreesOfFreedom: Int, sampleSize: Int, populationSize: Double) {
        self.estimate = estimate
        self.variance = variance
        self.designEffect = designEffect
        self.degreesOfFreedom = degreesOfFreedom
        self.sampleSize = sampleSize
        self.populationSize = populationSize
    }

    /// Standard error, √variance.
    public var standardError: Double { variance > 0 ? variance.squareRoot() : 0 }

    /// Coefficient of variation SE/|estimate| (nil when the estimate is 0).
    public var coefficientOfVariation: Double? { estimate == 0 ? nil : standardError / abs(estimate) }

    /// Two-sided confidence interval; default 95 % normal (R `confint`).
    public func confidenceInterval(level: Double = 0.95, method: IntervalMethod = .normal) -> (lower: Double, upper: Double) {
        let lv = min(max(level, 1e-12), 1 - 1e-12)
        let p = 0.5 + lv / 2
        let q: Double
        switch method {
        case .normal: q = Distributions.normalQuantile(p)
        case .studentT(let df):
            let d = df ?? degreesOfFreedom
            q = d >= 1 ? Distributions.tQuantile(p, df: Double(d)) : Distributions.normalQuantile(p)
        }
        return (estimate - q * standardError, estimate + q * standardError)
    }

    public var description: String {
        var s = "estimate \(estimate) SE \(standardError)"
        if let d = designEffect { s += " DEff \(d)" }
        return s
    }

    func scaled(by k: Double) -> SurveyEstimate {
        SurveyEstimate(estimate: estimate * k, variance: variance * k * k, designEffect: designEffect,
                       degreesOfFreedom: degreesOfFreedom, sampleSize: sampleSize, populationSize: populationSize)
    }
}

/// An estimate for one domain (level of a grouping variable), as a row of R's `svyby`.
public struct DomainEstimate<Value: Sendable>: Sendable {
    /// The domain label.
    public let domain: String
    /// The estimate(s) for that domain.
    public let value: Value
}

extension DomainEstimate: Equatable where Value: Equatable {}

/// Normal and Student-t quantiles (no external dependencies).
public enum Distributions {
    /// Standard normal CDF.
    public static func normalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// Standard normal quantile (Acklam's rational approximation refined by Newton steps).
    public static func normalQuantile(_ p: Double) -> Double {
        guard p > 0 else { return -.infinity }
        guard p < 1 else { return .infinity }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let pl = 0.02425
        var x: Double
        if p < pl {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
                ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - pl {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
                (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
                ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        for _ in 0..<3 {
            let e = normalCDF(x) - p
            let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
            x -= u / (1 + x * u / 2)
        }
        return x
    }

    /// Student t CDF with `df` degrees of freedom.
    public static func tCDF(_ t: Double, df: Double) -> Double {
        let x = df / (df + t * t)
        let tail = 0.5 * regularizedIncompleteBeta(x, a: df / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// Student t quantile (bisection on the CDF; adequate for interval construction).
    public static func tQuantile(_ p: Double, df: Double) -> Double {
        guard p > 0 else { return -.infinity }
        guard p < 1 else { return .infinity }
        var lo = -1.0, hi = 1.0
        while tCDF(lo, df: df) > p { lo *= 2; if lo < -1e12 { return lo } }
        while tCDF(hi, df: df) < p { hi *= 2; if hi > 1e12 { return hi } }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if tCDF(mid, df: df) < p { lo = mid } else { hi = mid }
            if hi - lo < 1e-13 * max(1, abs(mid)) { break }
        }
        return (lo + hi) / 2
    }

    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lbeta = lgamma(a + b) - lgamma(a) - lgamma(b)
        let front = exp(lbeta + a * log(x) + b * log(1 - x))
        if x < (a + 1) / (a + b + 2) { return front * betaContinuedFraction(x, a: a, b: b) / a }
        return 1 - front * betaContinuedFraction(1 - x, a: b, b: a) / b
    }

    private static func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...300 {
            let m = Double(m)
            var aa = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = d * c
            h *= del
            if abs(del - 1) < 1e-15 { break }
        }
        return h
    }
}
