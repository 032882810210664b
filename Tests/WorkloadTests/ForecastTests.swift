import Foundation
import Testing
import DataKit
import WorkCalendar
@testable import Workload

@Suite struct ForecastTests {
    @Test func holtWintersContinuesASeasonalTrend() throws {
        let pattern: [Double] = [10, 12, 11, 13, 12, 4, 3]
        let y = (0..<84).map { pattern[$0 % 7] + 0.1 * Double($0) }
        let fit = try #require(Forecasting.holtWinters(y, period: 7, horizon: 14))
        let truth = (84..<98).map { pattern[$0 % 7] + 0.1 * Double($0) }
        #expect(ForecastAccuracy(forecast: fit.forecast, actual: truth).mae < 0.3)
        #expect(Forecasting.holtWinters(Array(y.prefix(10)), period: 7, horizon: 3) == nil, "needs two seasons")
    }

    @Test func naiveMethodsAndAccuracy() {
        let y: [Double] = (0..<28).map { [5, 5, 5, 5, 5, 1, 1][$0 % 7] }
        #expect(Forecasting.seasonalNaive(y, horizon: 8) == [5, 5, 5, 5, 5, 1, 1, 5])
        #expect(Forecasting.profiledMean(y, horizon: 7).map { ($0 * 1000).rounded() / 1000 } == [5, 5, 5, 5, 5, 1, 1])
        let a = ForecastAccuracy(forecast: [10, 20, 5], actual: [8, 25, 0])
        #expect(a.mae == 4 && abs(a.mape - 22.5) < 1e-9 && a.forecastTotal == 35 && a.actualTotal == 33)
    }

    /// Real St Petersburg daily volume: the hold-out month (March 2021, forecast from the days before it)
    /// is forecast better than by the naive baselines.
    @Test func spbHoldOutMonthBeatsNaiveBaselines() throws {
        guard let dir = DataFiles.sharedDataDirectory(from: #filePath) ?? (FileManager.default.fileExists(atPath: "/work/shared/data") ? "/work/shared/data" : nil),
              let first = CivilDate(year: 2020, month: 10, day: 19), let last = CivilDate(year: 2021, month: 3, day: 31) else { return }
        let counts = SPbAppeals.dailyCounts(try SPbAppeals.load(dataDirectory: dir), first: first, last: last) { _ in "all" }[0].counts.map(Double.init)
        let history = Array(counts.dropLast(31)), actual = Array(counts.suffix(31))
        let auto = ForecastAccuracy(forecast: Forecasting.autoForecast(history, horizon: 31).forecast, actual: actual)
        let naive = ForecastAccuracy(forecast: Forecasting.trailingMean(history, horizon: 31), actual: actual)
        let seasonal = ForecastAccuracy(forecast: Forecasting.seasonalNaive(history, horizon: 31), actual: actual)
        #expect(auto.mae < naive.mae && auto.mae < seasonal.mae, "auto \(auto.mae), naive \(naive.mae), seasonal \(seasonal.mae)")
        #expect(auto.actualTotal == 10_432)
    }
}
