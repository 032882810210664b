import Contracts
import Foundation
import Reports
import Taxonomy
import WorkspaceUI

extension ReportMapping {
    /// How many open cases the dashboard shows.
    static let dashboardRootCauses = 5

    /// The dashboard's top open root-cause cases: open or in work, most appeals in the measured period first.
    static func topOpenRootCauses(_ r: RatingV1.ListRootCausesResponse) -> [RootCauseRow] {
        r.cases.filter { $0.status == .open || $0.status == .inWork }
            .sorted { ($0.progress?.currentCount ?? 0, $0.appealsAtDetection) > ($1.progress?.currentCount ?? 0, $1.appealsAtDetection) }
            .prefix(dashboardRootCauses).map(rootCause)
    }

    static func rootCause(_ c: RatingV1.RootCauseCase) -> RootCauseRow {
        let p = c.progress ?? RatingV1.RootCauseProgress()
        let t = c.target ?? RatingV1.RootCauseTarget()
        let hasTarget = p.verdict != "no_target" && !p.verdict.isEmpty
        return RootCauseRow(id: c.id, title: c.title, block: c.topicName.isEmpty ? topic(c.topicCode).name : c.topicName,
                            agencies: c.agencyNames, status: RootCauseLabels.status(c.status), targetDate: RootCauseLabels.date(c.targetDate),
                            appealsAtDetection: Int(c.appealsAtDetection), baselineRate: p.baselineRate, currentCount: Int(p.currentCount),
                            targetRate: hasTarget ? p.targetRate : nil, measureDays: Int(t.measureDays), reductionPercent: t.reductionPercent,
                            progress: p.progress, verdict: RootCauseLabels.verdict(p.verdict), tone: RootCauseLabels.tone(p.verdict))
    }

    static func indicator(_ i: RatingV1.Indicator) -> IndicatorRow {
        let scope = i.categoryCode.isEmpty ? "Регион" : (Taxonomy.category(code: i.categoryCode)?.nameRu ?? i.categoryCode)
        return IndicatorRow(name: i.name, scope: scope, unit: i.unit, target: i.targetValue, higherIsBetter: i.higherIsBetter,
                            dueDate: RootCauseLabels.date(i.dueDate), current: i.hasCurrentValue ? i.currentValue : nil,
                            source: i.metric.isEmpty ? "введено" : "рассчитано", tone: RootCauseLabels.tone(i.status))
    }
}
