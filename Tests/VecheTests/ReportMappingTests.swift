import Contracts
import Foundation
import Reports
import Testing
@testable import Gateway

@Suite("Report mapping: what the dashboard and the report say when there is nothing to count")
struct ReportMappingTests {
    /// On the first days of a month nothing is answered or overdue yet. The timeliness cards then have no share and no
    /// median (shown as «—», no status); before, the mapping turned them into 0 % against a 95 % target — «критично» —
    /// and 0 hours.
    @Test func aMonthWithNothingAnsweredHasNoOnTimeShareOrMedian() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let period = try ReportPeriod.resolve("", timeZone: TimeZone(identifier: "Europe/Moscow")!, now: now)
        let empty = ReportMapping.timeliness(AppealActivity(AppealV1.GetActivityResponse(), period: period, now: now), kpis: nil)
        #expect(empty.onTimeShare.isNaN && empty.medianAnswerHours.isNaN)
        let report = GovernorReport(period: "2026-12", regionName: "Область", generatedAt: now,
                                    timeliness: Timeliness(onTimeShare: empty.onTimeShare, onTimeTarget: 0.95,
                                                           medianAnswerHours: empty.medianAnswerHours))
        let html = ReportRenderer.governorReport(report)
        #expect(!html.contains("0,0\(RuFormat.unitSpace)%"))
        #expect(!html.contains("0,0\(RuFormat.unitSpace)ч"))
        // A month with answers still has both.
        var some = AppealV1.GetActivityResponse()
        some.answered = 4
        some.onTime = 3
        some.medianAnswerHours = 30
        let counted = ReportMapping.timeliness(AppealActivity(some, period: period, now: now), kpis: nil)
        #expect(counted.onTimeShare == 0.75 && counted.medianAnswerHours == 30)
    }
}
