import Contracts
import Foundation
import Taxonomy
import WorkCalendar
import Workload

/// Workload, forecast and staff need of every sector block from the appeal records (pure; GetWorkload and the
/// tests call it). Social-media items are staffed with Erlang C on the working-hours first-reaction clock,
/// 59-ФЗ appeals with the workload model on next month's forecast plus the backlog near its answer deadline.
struct WorkloadModel: Sendable {
    var timeZone: TimeZone
    var calendar: ProductionCalendar
    var social = Staffing.SocialTarget()
    var appeals = Staffing.AppealTarget()
    /// An open appeal older than this is at risk of missing its 30-day answer deadline.
    var atRiskAfterDays = 20.0
    /// The days of history the forecast and the hold-out use.
    var historyDays = Self.defaultHistoryDays
    static let defaultHistoryDays = 180

    static let socialChannels: Set<String> = ["social", "messenger"]
    static func ms(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded()) }

    /// Daily counts of `arrivals` on the local days [first, first + days).
    func daily(_ arrivals: [Date], first: CivilDate, days: Int) -> [Double] {
        var counts = [Double](repeating: 0, count: max(0, days))
        for a in arrivals {
            let i = LocalClock.civilDate(of: a, in: timeZone).dayNumber - first.dayNumber
            if i >= 0 && i < days { counts[i] += 1 }
        }
        return counts
    }

    func periods(_ records: [AppealRecord], from: Date, to: Date, granularity: WorkloadGranularity) -> [AgencyV1.BlockPeriodWorkload] {
        WorkloadStats.compute(records, from: from, to: to, granularity: granularity, timeZone: timeZone,
                              blocks: Taxonomy.topics.map(\.code)).map { w in
            AgencyV1.BlockPeriodWorkload(
                topicCode: w.block, periodStartMs: Self.ms(w.periodStart), periodEndMs: Self.ms(w.periodEnd),
                incomingByChannel: w.incomingByChannel.sorted { $0.key < $1.key }.map { CommonV1.KeyValue(key: $0.key, value: String($0.value)) },
                incoming: Int32(w.incoming), backlogAtEnd: Int32(w.backlogAtEnd), answered: Int32(w.answered),
                medianHoursInWork: w.medianHoursInWork ?? -1, activeExecutors: Int32(w.activeExecutors), answersPerExecutor: w.answersPerExecutor ?? -1)
        }
    }

    /// Staffing of every block (the 8 sector blocks and «Прочее»), at `now`, against `recorded` staff.
    func staffing(_ records: [AppealRecord], recorded: [String: Int], now: Date) -> [AgencyV1.BlockStaffing] {
        let today = LocalClock.civilDate(of: now, in: timeZone)
        let first = today.adding(days: -historyDays)
        // Next month and the last complete month (the hold-out).
        let nextMonth = today.month == 12 ? (today.year + 1, 1) : (today.year, today.month + 1)
        let daysNext = CivilDate.daysInMonth(year: nextMonth.0, month: nextMonth.1)
        let monthStart = CivilDate(year: today.year, month: today.month, day: 1) ?? today
        let lastMonthStart = monthStart.adding(days: -1).adding(days: -(monthStart.adding(days: -1).day - 1))
        let productive = Staffing.productiveHours(year: nextMonth.0, month: nextMonth.1, calendar: calendar)
        var target = appeals
        target.productiveHoursPerMonth = productive
        // Each block's record positions, not a grouped copy of the records: 228,000 records are about 30 MB, and a
        // grouped copy of all of them held twice that at once; one block's records are copied at a time instead.
        var byBlock: [String: [Int]] = [:]
        for (i, r) in records.enumerated() { byBlock[r.block, default: []].append(i) }
        return Taxonomy.topics.map(\.code).map { block in
            let rs = (byBlock[block] ?? []).map { records[$0] }
            let formal = rs.filter { !Self.socialChannels.contains($0.channel) }
            // Forecast next month from the history up to yesterday.
            let history = daily(formal.map(\.receivedAt), first: first, days: today.dayNumber - first.dayNumber)
            let forecast = Forecasting.nextMonthVolume(dailyCounts: history, daysInNextMonth: daysNext)
            // Hold-out: the last complete month forecast from the days before it.
            let before = Array(history.prefix(max(0, lastMonthStart.dayNumber - first.dayNumber)))
            let actual = history.dropFirst(before.count).prefix(monthStart.dayNumber - lastMonthStart.dayNumber).reduce(0, +)
            let holdout = before.count >= 56 && actual > 0
                ? abs(Forecasting.nextMonthVolume(dailyCounts: before, daysInNextMonth: monthStart.dayNumber - lastMonthStart.dayNumber) - actual) / actual
                : -1
            let open = formal.filter { $0.isOpen(at: now) }
            let atRisk = open.filter { now.timeIntervalSince($0.receivedAt) > atRiskAfterDays * 86_400 }.count
            let socialArrivals = rs.filter { Self.socialChannels.contains($0.channel) }.map(\.receivedAt)
            let arrivals = WorkingHourArrivals.measure(socialArrivals, from: now.addingTimeInterval(-28 * 86_400), to: now,
                                                       calendar: calendar, timeZone: timeZone)
            let assessment = StaffingAssessment(block: block, socialStaff: Staffing.socialStaff(arrivals, target: social),
                                                appealStaff: Staffing.appealStaff(forecastVolume: forecast, backlogAtRisk: atRisk, target: target),
                                                recorded: recorded[block] ?? 0)
            return AgencyV1.BlockStaffing(topicCode: block, forecastNextMonth: forecast, holdoutError: holdout,
                                          openBacklog: Int32(rs.filter { $0.isOpen(at: now) }.count),
                                          socialStaff: Int32(assessment.socialStaff), appealStaff: Int32(assessment.appealStaff),
                                          needed: Int32(assessment.needed), recorded: Int32(assessment.recorded),
                                          recommendation: assessment.recommendation)
        }
    }
}
