import Foundation

/// Fitted additive Holt-Winters model (damped trend, seasonal period m) and its forecast.
public struct HoltWintersFit: Sendable, Hashable {
    public var alpha: Double, beta: Double, gamma: Double, phi: Double
    /// One-step-ahead sum of squared errors on the training series (what the grid search minimises).
    public var sse: Double
    public var forecast: [Double]
}

/// Forecast accuracy on a hold-out period.
public struct ForecastAccuracy: Sendable, Hashable {
    /// Mean absolute error of the daily values.
    public var mae: Double
    /// Mean absolute percentage error of the daily values (days with actual 0 skipped), percent.
    public var mape: Double
    /// Forecast and actual total of the period, and the absolute percentage error of the total.
    public var forecastTotal: Double, actualTotal: Double
    public var totalAPE: Double { actualTotal == 0 ? 0 : abs(forecastTotal - actualTotal) / actualTotal * 100 }

    public init(forecast: [Double], actual: [Double]) {
        precondition(forecast.count == actual.count, "forecast and actual must align")
        let n = Double(max(1, actual.count))
        mae = zip(forecast, actual).reduce(0) { $0 + abs($1.0 - $1.1) } / n
        let pct = zip(forecast, actual).filter { $0.1 != 0 }.map { abs($0.0 - $0.1) / $0.1 }
        mape = pct.isEmpty ? 0 : pct.reduce(0, +) / Double(pct.count) * 100
        forecastTotal = forecast.reduce(0, +)
        actualTotal = actual.reduce(0, +)
    }
}

/// Volume forecasting from a daily count history.
public enum Forecasting {
    /// Additive Holt-Winters with a damped trend; smoothing parameters chosen by a deterministic grid search
    /// minimising the one-step-ahead SSE. Needs at least two seasons of history. Forecasts are clamped at 0.
    public static func holtWinters(_ y: [Double], period m: Int = 7, horizon: Int) -> HoltWintersFit? {
        guard m >= 1, y.count >= 2 * m else { return nil }
        var best: HoltWintersFit?
        for alpha in [0.05, 0.1, 0.2, 0.3, 0.5, 0.7] {
            for beta in [0.0, 0.01, 0.05, 0.1, 0.2] {
                for gamma in [0.0, 0.05, 0.1, 0.2, 0.3, 0.5] {
                    for phi in [0.8, 0.9, 0.95, 0.98, 1.0] {
                        let fit = run(y, m: m, alpha: alpha, beta: beta, gamma: gamma, phi: phi, horizon: horizon)
                        if best == nil || fit.sse < (best?.sse ?? .infinity) { best = fit }
                    }
                }
            }
        }
        return best
    }

    static func run(_ y: [Double], m: Int, alpha: Double, beta: Double, gamma: Double, phi: Double, horizon: Int) -> HoltWintersFit {
        let first = y[0..<m].reduce(0, +) / Double(m)
        let second = y[m..<(2 * m)].reduce(0, +) / Double(m)
        var level = first
        var trend = (second - first) / Double(m)
        var season = (0..<m).map { y[$0] - first }
        var sse = 0.0
        for t in m..<y.count {
            let s = season[t % m]
            let predicted = level + phi * trend + s
            let e = y[t] - predicted
            sse += e * e
            let newLevel = alpha * (y[t] - s) + (1 - alpha) * (level + phi * trend)
            trend = beta * (newLevel - level) + (1 - beta) * phi * trend
            season[t % m] = gamma * (y[t] - newLevel) + (1 - gamma) * s
            level = newLevel
        }
        var forecast: [Double] = []
        var damp = 0.0, power = 1.0
        for h in 1...max(1, horizon) {
            power *= phi
            damp += power
            forecast.append(max(0, level + damp * trend + season[(y.count + h - 1) % m]))
        }
        return HoltWintersFit(alpha: alpha, beta: beta, gamma: gamma, phi: phi, sse: sse, forecast: Array(forecast.prefix(horizon)))
    }

    /// Seasonal naive: the last full season repeated.
    public static func seasonalNaive(_ y: [Double], period m: Int = 7, horizon: Int) -> [Double] {
        guard y.count >= m, m > 0 else { return [Double](repeating: y.last ?? 0, count: horizon) }
        return (0..<horizon).map { y[y.count - m + ($0 % m)] }
    }

    /// Naive level: the mean of the last `window` days, flat.
    public static func trailingMean(_ y: [Double], window: Int = 28, horizon: Int) -> [Double] {
        let tail = y.suffix(window)
        let mean = tail.isEmpty ? 0 : tail.reduce(0, +) / Double(tail.count)
        return [Double](repeating: mean, count: horizon)
    }

    /// Level × weekday profile: the mean of the last `window` days times each weekday's share of the last
    /// `profileWindow` days (multiplicative season, no trend). Robust to the level shifts Holt-Winters chases.
    public static func profiledMean(_ y: [Double], period m: Int = 7, window: Int = 28, profileWindow: Int = 56,
                                    horizon: Int) -> [Double] {
        let level = trailingMean(y, window: window, horizon: 1).first ?? 0
        let n = min(y.count, profileWindow)
        guard m > 1, n >= m else { return [Double](repeating: level, count: horizon) }
        var sum = [Double](repeating: 0, count: m), cnt = [Double](repeating: 0, count: m)
        for t in (y.count - n)..<y.count { sum[t % m] += y[t]; cnt[t % m] += 1 }
        let mean = sum.reduce(0, +) / max(1, cnt.reduce(0, +))
        let profile = (0..<m).map { k in mean > 0 && cnt[k] > 0 ? (sum[k] / cnt[k]) / mean : 1 }
        return (0..<horizon).map { level * profile[(y.count + $0) % m] }
    }

    /// A forecasting method `nextMonthVolume` can choose.
    public enum Method: String, Sendable, CaseIterable {
        case holtWinters, profiledMean
        public func forecast(_ y: [Double], horizon: Int) -> [Double] {
            switch self {
            case .holtWinters: return Forecasting.holtWinters(y, period: 7, horizon: horizon)?.forecast ?? Forecasting.trailingMean(y, horizon: horizon)
            case .profiledMean: return Forecasting.profiledMean(y, horizon: horizon)
            }
        }
    }

    /// Picks the method with the lower MAE when the last `backtestDays` of the history are forecast from
    /// the rest (only the history is used, so the choice is honest), then forecasts with it.
    public static func autoForecast(_ y: [Double], horizon: Int, backtestDays: Int = 28) -> (method: Method, forecast: [Double]) {
        guard y.count >= backtestDays + 28 else { return (.profiledMean, profiledMean(y, horizon: horizon)) }
        let head = Array(y.dropLast(backtestDays)), tail = Array(y.suffix(backtestDays))
        let best = Method.allCases.min { a, b in
            ForecastAccuracy(forecast: a.forecast(head, horizon: backtestDays), actual: tail).mae
                < ForecastAccuracy(forecast: b.forecast(head, horizon: backtestDays), actual: tail).mae
        } ?? .profiledMean
        return (best, best.forecast(y, horizon: horizon))
    }

    /// Next month's expected volume from daily counts ending on the last day of a month.
    public static func nextMonthVolume(dailyCounts: [Double], daysInNextMonth: Int) -> Double {
        autoForecast(dailyCounts, horizon: daysInNextMonth).forecast.reduce(0, +)
    }
}
