import ArgumentParser
import Foundation
import MediaMonitoring
import TextAnalysis
import WorkCalendar
import Workload

/// St Petersburg rows mapped to sector blocks through the classifier's dataset label mapping.
enum SPbBlocks {
    static func block(_ r: SPbAppeals.Row) -> String {
        DatasetLabelMapping.topicCode(ofCategory: DatasetLabelMapping.spbCategory(category: r.category, reason: r.reason))
    }
}

struct SurgeEval: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "surge-eval",
        abstract: "Surge detection on St Petersburg appeals per (category, district) and day: alarms on the untouched series, detection of injected surges.")
    @OptionGroup var data: DataOptions
    @Option(help: "Injections per magnitude.") var trials = 300
    @Option(help: "Benjamini-Hochberg false-discovery rate per day.") var fdr = 0.01

    func run() throws {
        let rows = try SPbAppeals.load(dataDirectory: try data.directory())
        // Full days only: the export starts 2020-10-18 14:50 and ends 2021-04-23.
        guard let first = CivilDate(year: 2020, month: 10, day: 19), let last = CivilDate(year: 2021, month: 4, day: 22) else { return }
        let series = SPbAppeals.dailyCounts(rows, first: first, last: last) { $0.category + "\u{1}" + $0.district }.map { kv -> CountSeries in
            let parts = kv.key.split(separator: "\u{1}", omittingEmptySubsequences: false).map(String.init)
            return CountSeries(topic: parts[0], territory: parts.count > 1 ? parts[1] : "", counts: kv.counts)
        }
        var options = SurgeOptions()
        options.falseDiscoveryRate = fdr
        print("St Petersburg \(first)…\(last): \(series.count) (category, district) series, daily buckets, baseline \(options.baselineWindow) days, FDR \(fdr)")
        let report = SurgeEvaluation.run(series, options: options, trials: trials)
        print(report.summary, terminator: "")
        let top = SurgeDetector.scan(series, buckets: SurgeDetector.firstTestableBucket(options)..<series[0].counts.count, options: options)
            .sorted { $0.pValue < $1.pValue }.prefix(5)
        print("strongest alarms on the real data:")
        for s in top {
            print(String(format: "  %@ %@ / %@: %d vs expected %.1f (p=%.2e, q=%.2e)",
                         first.adding(days: s.bucket).description, s.topic, s.territory, s.observed, s.expected, s.pValue, s.qValue))
        }
    }
}

struct ForecastEval: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "forecast-eval",
        abstract: "Next-month volume forecast (Holt-Winters, weekly season) on St Petersburg appeals: hold-out months against naive baselines.")
    @OptionGroup var data: DataOptions

    func run() throws {
        let rows = try SPbAppeals.load(dataDirectory: try data.directory())
        guard let first = CivilDate(year: 2020, month: 10, day: 19) else { return }
        print("Daily counts from 2020-10-19; each hold-out month is forecast from the days before it. Per method: error of the month total, daily MAE, daily MAPE.")
        print("series     hold-out  actual | auto (backtest-chosen)        | Holt-Winters (damped, weekly) | weekday-profiled 28-day mean  | seasonal naive (last week)    | naive 28-day mean")
        for (year, month) in [(2021, 2), (2021, 3)] {
            guard let start = CivilDate(year: year, month: month, day: 1) else { continue }
            let end = start.adding(days: CivilDate.daysInMonth(year: year, month: month) - 1)
            var keyed = SPbAppeals.dailyCounts(rows, first: first, last: end) { SPbBlocks.block($0) }
            keyed.insert(("all", SPbAppeals.dailyCounts(rows, first: first, last: end) { _ in "all" }.first?.counts ?? []), at: 0)
            for (key, counts) in keyed where counts.reduce(0, +) >= 300 {
                let split = first.days(until: start)
                let history = counts[..<split].map(Double.init), actual = counts[split...].map(Double.init)
                let h = actual.count
                let auto = Forecasting.autoForecast(history, horizon: h)
                let rows = [auto.forecast, Forecasting.Method.holtWinters.forecast(history, horizon: h),
                            Forecasting.profiledMean(history, horizon: h), Forecasting.seasonalNaive(history, horizon: h),
                            Forecasting.trailingMean(history, horizon: h)]
                    .map { ForecastAccuracy(forecast: $0, actual: actual) }
                var line = key.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: " %d-%02d  %6.0f ", year, month, rows[0].actualTotal)
                for a in rows { line += String(format: "| %+6.1f%% %6.1f %5.1f%%  ", (a.forecastTotal - a.actualTotal) / max(1, a.actualTotal) * 100, a.mae, a.mape) }
                line += " auto=" + auto.method.rawValue
                print(line)
            }
        }
    }
}

struct WorkloadReport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "workload-report",
        abstract: "Workload per sector block and month on St Petersburg appeals, next-month forecast and staff needed (workload model, Erlang C).")
    @OptionGroup var data: DataOptions
    @Option(help: "Recorded staff per block, e.g. housing=40,roads=6 (for the recommendation).") var staff = ""
    @Option(help: "Effort per appeal, hours (norm).") var effortHours = 0.5

    func run() throws {
        let rows = try SPbAppeals.load(dataDirectory: try data.directory())
        let records = SPbAppeals.records(rows, block: SPbBlocks.block)
        let tz = SPbAppeals.timeZone
        guard let from = CivilDate(year: 2020, month: 11, day: 1), let to = CivilDate(year: 2021, month: 4, day: 1) else { return }
        let stats = WorkloadStats.compute(records, from: LocalClock.startOfDay(from, in: tz), to: LocalClock.startOfDay(to, in: tz),
                                          granularity: .month, timeZone: tz)
        print("block       month    incoming  backlog  answered  median h in work  answers/executor (executors)")
        for s in stats {
            let month = LocalClock.civilDate(of: s.periodStart, in: tz).description.prefix(7)
            print(s.block.padding(toLength: 11, withPad: " ", startingAt: 0)
                  + String(format: " %@  %8d  %7d  %8d  %15.1f  %8.1f (%d)", String(month), s.incoming, s.backlogAtEnd, s.answered,
                           s.medianHoursInWork ?? 0, s.answersPerExecutor ?? 0, s.activeExecutors))
        }
        let recorded = Dictionary(uniqueKeysWithValues: staff.split(separator: ",").compactMap { kv -> (String, Int)? in
            let p = kv.split(separator: "=")
            guard p.count == 2, let n = Int(p[1]) else { return nil }
            return (String(p[0]), n)
        })
        guard let first = CivilDate(year: 2020, month: 10, day: 19), let lastDay = CivilDate(year: 2021, month: 3, day: 31) else { return }
        var target = Staffing.AppealTarget()
        target.effortHours = effortHours
        target.productiveHoursPerMonth = Staffing.productiveHours(year: 2021, month: 4, calendar: .russia)
        print(String(format: "\nApril 2021: productive hours per employee %.0f, effort %.2f h/appeal, utilisation %.2f", target.productiveHoursPerMonth, effortHours, target.utilisation))
        let aprilStart = LocalClock.startOfDay(lastDay.adding(days: 1), in: tz)
        for (block, counts) in SPbAppeals.dailyCounts(rows, first: first, last: lastDay, key: SPbBlocks.block) {
            let forecast = Forecasting.nextMonthVolume(dailyCounts: counts.map(Double.init), daysInNextMonth: 30)
            let atRisk = records.filter { $0.block == block && $0.isOpen(at: aprilStart) && aprilStart.timeIntervalSince($0.receivedAt) > 20 * 86_400 }.count
            let appealStaff = Staffing.appealStaff(forecastVolume: forecast, backlogAtRisk: atRisk, target: target)
            let marchStart = LocalClock.startOfDay(lastDay.adding(days: -30), in: tz)
            let arrivals = WorkingHourArrivals.measure(records.filter { $0.block == block }.map(\.receivedAt), from: marchStart,
                                                       to: aprilStart, calendar: .russia, timeZone: tz)
            let social = Staffing.socialStaff(arrivals, target: Staffing.SocialTarget())
            let a = StaffingAssessment(block: block, socialStaff: 0, appealStaff: appealStaff, recorded: recorded[block] ?? 0)
            print(String(format: "%@: forecast %.0f, backlog at risk %d → workload model %d; (if on the 4-h social clock: peak %.1f/h → Erlang C %d)  %@",
                         block, forecast, atRisk, appealStaff, arrivals.peakPerHour, social, a.recommendation))
        }
    }
}
