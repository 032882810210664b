import Contracts
import Foundation
import VecheRuntime

/// The demo's root-cause cases and target indicators: a detection pass once RatingService has projected the seeded
/// appeals, a plan with a target on the two largest untouched cases, and (when none exist) KPI targets per category
/// and yearly indicators of the regulations. Re-running changes nothing a person edited.
enum DemoRootCauses {
    static func seed(transport: any RPCTransport, now: Date = Date(), timeZone: TimeZone) async throws -> String {
        let ratings = RatingV1.RatingService.Client(transport: transport)
        // The projection catches up with the seeded events: detect until the appeals it sees stop growing.
        var previous: Int64 = -1
        var opened = 0
        for _ in 0..<90 {
            let r = try await ratings.detectRootCauses(.init())
            opened += r.opened.count
            if r.appealsConsidered > 0 && r.appealsConsidered == previous { break }
            previous = r.appealsConsidered
            try await Task.sleep(for: .seconds(1))
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let year = calendar.component(.year, from: now)
        func iso(_ d: Date) -> String {
            let c = calendar.dateComponents([.year, .month, .day], from: d)
            return String(format: "%04d-%02d-%02d", c.year ?? 1970, c.month ?? 1, c.day ?? 1)
        }
        let open = try await ratings.listRootCauses(.init(statuses: [.open], limit: 10)).cases
        var planned = 0
        for c in open.filter({ $0.version == 1 && $0.plan.isEmpty }).prefix(2) {
            let due = calendar.date(byAdding: .month, value: 6, to: now) ?? now
            let t = c.target ?? RatingV1.RootCauseTarget()
            _ = try await ratings.updateRootCause(.init(
                id: c.id, expectedVersion: c.version,
                plan: "1. Выездное обследование объектов с жалобами.\n2. Устранение причин по графику ответственного органа.\n3. Контроль по повторным обращениям ежемесячно.",
                targetDate: iso(due), target: RatingV1.RootCauseTarget(baselineFrom: t.baselineFrom, baselineTo: t.baselineTo, reductionPercent: 30, measureDays: 30),
                status: .inWork, comment: "план внесён при заполнении демо-данных"),
                options: CallOptions(timeout: .seconds(10), metadata: [RPCHeader.idempotencyKey: "demo-root-cause-\(c.id)"]))
            planned += 1
        }
        var indicators = 0
        if try await ratings.listIndicators(.init()).indicators.isEmpty {
            let due = "\(year)-12-31"
            let list = [
                RatingV1.Indicator(code: "heating-on-time", name: "Ответы в срок по отоплению", categoryCode: "housing.heating", metric: "onTimeShare",
                                   targetValue: 95, higherIsBetter: true, dueDate: due),
                RatingV1.Indicator(code: "potholes-satisfaction", name: "Удовлетворённость ответами о ямах на дорогах", unit: "балл",
                                   categoryCode: "roads.potholes", metric: "meanSatisfaction", targetValue: 4, higherIsBetter: true, dueDate: due),
                RatingV1.Indicator(code: "region-repeat", name: "Доля повторных обращений", metric: "repeatRate", targetValue: 10,
                                   higherIsBetter: false, dueDate: due),
                RatingV1.Indicator(code: "roofs-repaired", name: "Доля МКД с отремонтированной кровлей из заявленных", unit: "%",
                                   targetValue: 75, higherIsBetter: true, dueDate: "\(year)-11-30", enteredValue: 62, hasEnteredValue: true,
                                   note: "данные регионального оператора капремонта"),
            ]
            for i in list {
                _ = try await ratings.setIndicator(.init(indicator: i),
                                                   options: CallOptions(timeout: .seconds(10), metadata: [RPCHeader.idempotencyKey: "demo-indicator-\(i.code)"]))
                indicators += 1
            }
        }
        return "root-cause cases: \(opened) opened, \(planned) given a plan and target; indicators set: \(indicators)"
    }
}
