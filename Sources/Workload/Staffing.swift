import Foundation
import Taxonomy
import WorkCalendar

/// Arrival rates per working hour of the day for the working-hours clock.
public struct WorkingHourArrivals: Sendable, Hashable {
    /// Mean arrivals per working day in each hour slot, starting at the opening hour.
    public var perSlot: [Double]
    public var openingHour: Int
    public var workingDays: Int
    /// The busiest slot's rate (items per hour).
    public var peakPerHour: Double { perSlot.max() ?? 0 }
    public var meanPerHour: Double { perSlot.isEmpty ? 0 : perSlot.reduce(0, +) / Double(perSlot.count) }

    /// Counts arrivals in each hour of the business day over the working days of [from, to). An item
    /// arriving outside working hours waits for the next opening, so it is counted in the first slot of
    /// the next working day — that morning queue is what the first-reaction clock meets.
    public static func measure(_ arrivals: [Date], from: Date, to: Date, hours: BusinessHours = .standard,
                               calendar: ProductionCalendar, timeZone: TimeZone) -> WorkingHourArrivals {
        let openHour = hours.open / 3600
        let slots = max(1, Int((Double(hours.close - hours.open) / 3600).rounded(.up)))
        var counts = [Double](repeating: 0, count: slots)
        for a in arrivals where a >= from && a < to {
            let start = WorkingTime.adding(0, to: a, hours: hours, calendar: calendar, timeZone: timeZone)
            guard start < to else { continue }
            let local = LocalClock.local(start, in: timeZone)
            let slot = min(slots - 1, max(0, (local.secondsOfDay - hours.open) / 3600))
            counts[slot] += 1
        }
        var days = 0
        var d = LocalClock.civilDate(of: from, in: timeZone)
        let last = LocalClock.civilDate(of: to.addingTimeInterval(-1), in: timeZone)
        while d <= last {
            if calendar.isWorkingDay(d) { days += 1 }
            d = d.adding(days: 1)
        }
        return WorkingHourArrivals(perSlot: counts.map { $0 / Double(max(1, days)) }, openingHour: openHour, workingDays: days)
    }
}

/// Staff requirement of one sector block and the recommendation against the recorded staff.
public struct StaffingAssessment: Sendable, Hashable {
    public var block: String
    /// Staff needed for the social-media first-reaction clock (Erlang C at the peak hour, with shrinkage).
    public var socialStaff: Int
    /// Staff needed for 59-ФЗ appeals (workload model).
    public var appealStaff: Int
    public var needed: Int { socialStaff + appealStaff }
    public var recorded: Int
    public var difference: Int { needed - recorded }

    public init(block: String, socialStaff: Int, appealStaff: Int, recorded: Int) {
        self.block = block
        self.socialStaff = socialStaff
        self.appealStaff = appealStaff
        self.recorded = recorded
    }

    /// «Блоку ЖКХ нужно +2 сотрудника (нужно 7, в штате 5)» / «Блоку ТКО штата достаточно …».
    public var recommendation: String {
        let name = Taxonomy.topic(code: block)?.nameRu ?? block
        let who = block == Taxonomy.otherTopicCode ? "Блоку «Прочее»" : "Блоку \(name)"
        if difference > 0 {
            return "\(who) нужно +\(difference) \(Staffing.employees(difference)) (нужно \(needed), в штате \(recorded))"
        }
        if difference < 0 {
            return "\(who) штата достаточно, резерв \(-difference) \(Staffing.employees(-difference)) (нужно \(needed), в штате \(recorded))"
        }
        return "\(who) штата достаточно (нужно \(needed), в штате \(recorded))"
    }
}

/// Staffing models.
public enum Staffing {
    /// Parameters of the social-media first-reaction queue.
    public struct SocialTarget: Sendable, Hashable {
        /// Share of items that must get a first reaction within `targetHours` working hours.
        public var serviceLevel = 0.9
        /// The first-reaction clock (SLA policy `firstReactionWorkingHours`; 4 in the Kursk seed).
        public var targetHours = 4.0
        /// Mean handling effort of a first reaction, hours.
        public var handleHours = 0.25
        public var maxOccupancy = 0.85
        /// Share of paid time not available for the queue (breaks, training, leave).
        public var shrinkage = 0.3
        public init() {}
    }

    /// Parameters of the 59-ФЗ workload model.
    public struct AppealTarget: Sendable, Hashable {
        /// Effort per appeal, hours (norm; see `effortHours(answersPerExecutorMonth:productiveHours:)`).
        public var effortHours = 2.0
        /// Productive hours per employee in the month (working hours of the production calendar × (1 − shrinkage)).
        public var productiveHoursPerMonth = 120.0
        /// Target utilisation: keeps slack so that answers meet the 30-day deadline despite fluctuation.
        public var utilisation = 0.85
        public init() {}
    }

    /// Erlang C staff for the working-hours first-reaction clock: agents for the peak hour, grossed up for shrinkage.
    public static func socialStaff(_ arrivals: WorkingHourArrivals, target: SocialTarget) -> Int {
        let agents = ErlangC(arrivalsPerHour: arrivals.peakPerHour, handleHours: target.handleHours)
            .agentsNeeded(serviceLevel: target.serviceLevel, targetHours: target.targetHours, maxOccupancy: target.maxOccupancy)
        guard agents > 0 else { return 0 }
        return Int((Double(agents) / max(0.05, 1 - target.shrinkage)).rounded(.up))
    }

    /// Workload-model staff for 59-ФЗ appeals: (forecast volume + backlog at risk of missing the deadline)
    /// × effort / (productive hours × utilisation), rounded up.
    public static func appealStaff(forecastVolume: Double, backlogAtRisk: Int = 0, target: AppealTarget) -> Int {
        let hours = (max(0, forecastVolume) + Double(max(0, backlogAtRisk))) * target.effortHours
        guard hours > 0 else { return 0 }
        return Int((hours / max(1e-9, target.productiveHoursPerMonth * target.utilisation)).rounded(.up))
    }

    /// Effort per appeal implied by observed throughput when executors are fully loaded: productive hours
    /// per month / answers per executor per month. An upper bound when executors have slack.
    public static func effortHours(answersPerExecutorMonth: Double, productiveHours: Double) -> Double? {
        answersPerExecutorMonth > 0 ? productiveHours / answersPerExecutorMonth : nil
    }

    /// Productive hours of one employee in a month: working hours of the production calendar (8 h days,
    /// 7 h shortened days) × (1 − shrinkage).
    public static func productiveHours(year: Int, month: Int, calendar: ProductionCalendar, shrinkage: Double = 0.15) -> Double {
        var hours = 0.0
        for day in 1...CivilDate.daysInMonth(year: year, month: month) {
            guard let d = CivilDate(year: year, month: month, day: day) else { continue }
            let kind = calendar.kind(of: d)
            if kind.isWorking { hours += kind == .shortened ? 7 : 8 }
        }
        return hours * (1 - shrinkage)
    }

    /// «сотрудник» / «сотрудника» / «сотрудников» for `n`.
    public static func employees(_ n: Int) -> String {
        RussianPlural.form(n, one: "сотрудник", few: "сотрудника", many: "сотрудников")
    }
}
