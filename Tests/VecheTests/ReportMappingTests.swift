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
        // Both cards' badges say there is nothing to measure yet (before: «нет цели», though on-time has a target).
        #expect(html.components(separatedBy: ">нет данных</span>").count - 1 == 2)
        // A month with answers still has both.
        var some = AppealV1.GetActivityResponse()
        some.answered = 5   // one of them to an appeal without a deadline: neither on time nor late
        some.onTime = 2
        some.late = 1
        some.overdueOpen = 1
        some.medianAnswerHours = 30
        let counted = ReportMapping.timeliness(AppealActivity(some, period: period, now: now), kpis: nil)
        #expect(counted.onTimeShare == 0.5 && counted.medianAnswerHours == 30)   // 2 ÷ (2 + 1 + 1), as RatingService counts
    }
}

@Suite("Dashboard periods: a month in progress is compared with the same span of the previous month")
struct ComparedSpanTests {
    let moscow = TimeZone(identifier: "Europe/Moscow")!

    func ms(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 0) -> Int64 {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = moscow
        return Int64(c.date(from: DateComponents(year: y, month: m, day: d, hour: h))!.timeIntervalSince1970 * 1000)
    }

    /// Before, 1–5 December was compared with all of November, so every early-month intake read as a steep fall.
    @Test func aRunningMonthIsComparedWithAsMuchOfThePreviousOne() throws {
        let december = try ReportPeriod.resolve("2026-12", timeZone: moscow)
        let fifth = Date(timeIntervalSince1970: Double(ms(2026, 12, 5, 12)) / 1000)
        #expect(december.comparedSpanOfPrevious(now: fifth) == (ms(2026, 11, 1), ms(2026, 11, 5, 12)))
        #expect(december.comparesPartOfPrevious(now: fifth))
        // Once the month is over, the whole previous month.
        let later = Date(timeIntervalSince1970: Double(ms(2027, 1, 10)) / 1000)
        #expect(december.comparedSpanOfPrevious(now: later) == (ms(2026, 11, 1), ms(2026, 12, 1)))
        #expect(!december.comparesPartOfPrevious(now: later))
        // 31 March against February: never past February's end.
        let march = try ReportPeriod.resolve("2027-03", timeZone: moscow)
        let lastDay = Date(timeIntervalSince1970: Double(ms(2027, 3, 31, 18)) / 1000)
        #expect(march.comparedSpanOfPrevious(now: lastDay) == (ms(2027, 2, 1), ms(2027, 3, 1)))
    }
}

@Suite("Report mapping: a backend that did not answer is reported as such")
struct ReportUnavailableSectionsTests {
    func snapshot(activity: Section<AppealActivity>, approval: Section<RatingV1.ReportApproval>) -> DashboardSnapshot {
        let down = "сервис не ответил вовремя"
        return DashboardSnapshot(period: "2026-12", previousPeriod: "2026-11", generatedAtMs: 1_800_000_000_000, timeZone: "Europe/Moscow",
                                 appeals: .unavailable(down), previousAppeals: .unavailable(down), activity: activity,
                                 agencyRatings: .unavailable(down), municipalityRatings: .unavailable(down),
                                 topProblems: .unavailable(down), previousTopProblems: .unavailable(down),
                                 kpis: .unavailable(down), previousKpis: .unavailable(down), survey: .unavailable(down),
                                 approval: approval)
    }

    /// Before, an unanswered backend left its sections empty, and the report read as if nothing had happened: «0»
    /// appeals of special monitoring, «Системных проблем не выявлено», «Опросы … не проводились», and a report the
    /// curator had approved was called a draft.
    @Test func sectionsWithoutAnAnswerSaySoInsteadOfShowingNothingHappened() {
        let s = snapshot(activity: .unavailable("сервис обращений не ответил"), approval: .unavailable("нет ответа"))
        let sections = ReportMapping.unavailableSections(s)
        #expect(sections[.flags] == "сервис обращений не ответил" && sections[.trend] != nil && sections[.timeliness] != nil)
        #expect(sections[.surveys] != nil && sections[.rootCauses] != nil && sections[.agencies] != nil)
        #expect(ReportMapping.approvalLine(s.approval).contains("сведения об утверждении недоступны"))
        #expect(ReportMapping.approvalLine(.data(RatingV1.ReportApproval())).contains("проект"))

        let settings = GatewaySettings()
        let html = ReportRenderer.governorReport(ReportMapping.governorReport(s, settings: settings))
        #expect(html.contains("сервис обращений не ответил"))
        #expect(!html.contains("Всего отметок особого контроля"))
        #expect(!html.contains("Системных проблем не выявлено"))
        #expect(!html.contains("не проводились"))
        #expect(!html.contains("не утверждён"))

        // With the activity answered, its sections are rendered as usual.
        let answered = snapshot(activity: .data(AppealActivity(AppealV1.GetActivityResponse(), period: try! ReportPeriod.resolve(
            "2026-12", timeZone: TimeZone(identifier: "Europe/Moscow")!), now: Date(timeIntervalSince1970: 1_800_000_000))),
                                approval: .data(RatingV1.ReportApproval()))
        #expect(ReportMapping.unavailableSections(answered)[.flags] == nil)
        #expect(ReportRenderer.governorReport(ReportMapping.governorReport(answered, settings: settings)).contains("Всего отметок особого контроля"))
    }
}

@Suite("Report mapping: survey panels name what they show")
struct SurveyPanelTitleTests {
    /// An NPS estimate (−100…100) was titled «среднее значение»; a mean on a scale still is.
    @Test func npsIsNotCalledAMean() {
        var survey = SurveyV1.Survey()
        survey.id = "s"
        survey.title = "Транспорт"
        var summary = SurveySummary(survey: survey)
        summary.estimates = [
            SurveyV1.EstimateResponse(surveyId: "s", questionCode: "nps", type: .nps, rows: [SurveyV1.EstimateRow(estimate: 12, n: 300)]),
            SurveyV1.EstimateResponse(surveyId: "s", questionCode: "score", type: .likert, rows: [SurveyV1.EstimateRow(estimate: 3.4, n: 300)]),
        ]
        let titles = ReportMapping.surveyPanels(summary, timeZone: TimeZone(identifier: "Europe/Moscow")!).map(\.title)
        #expect(titles == ["Транспорт: индекс NPS (−100…100)", "Транспорт: среднее значение"])
    }
}
