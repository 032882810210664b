import Contracts
import Foundation
import Reports

extension ReportMapping {
    /// The staffing rows of the report period: each block's figures of that month (the period whose start is
    /// the first of the others' latest), the forecast with its hold-out error and the recommendation.
    static func staffing(_ w: AgencyV1.GetWorkloadResponse, period: String) -> [StaffingRow] {
        let latest = w.periods.map(\.periodStartMs).max() ?? 0
        let month = Dictionary(w.periods.filter { $0.periodStartMs == latest }.map { ($0.topicCode, $0) }, uniquingKeysWith: { a, _ in a })
        return w.staffing.map { s in
            let p = month[s.topicCode]
            return StaffingRow(block: topic(s.topicCode).name, incoming: Int(p?.incoming ?? 0), backlog: Int(s.openBacklog),
                               medianHoursInWork: p.flatMap { $0.medianHoursInWork >= 0 ? $0.medianHoursInWork : nil },
                               forecastNextMonth: s.forecastNextMonth, holdoutError: s.holdoutError >= 0 ? s.holdoutError : nil,
                               needed: Int(s.needed), recorded: Int(s.recorded), recommendation: s.recommendation)
        }
    }
}
