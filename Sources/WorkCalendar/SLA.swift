import Foundation

/// Unit in which an SLA term is expressed.
public enum SLAUnit: String, Hashable, Sendable, Codable {
    /// Calendar days: every day counts; only the *last* day may move (see `SLAPolicy.rollForward`).
    case calendarDays
    /// Working days of the production calendar.
    case workingDays
    /// Working hours on the business clock (paused outside `BusinessHours`).
    case workingHours
    /// Working minutes on the business clock.
    case workingMinutes
    /// Plain elapsed hours (24/7 clock).
    case elapsedHours
}

/// Where day counting starts.
public enum DayCounting: String, Hashable, Sendable, Codable {
    /// Civil Code art. 191: a term in days starts on the day *after* the event, so
    /// "30 days from registration on 1 March" ends on 31 March.
    case fromNextDay
    /// The event day is day 1 ("30 days" registered 1 March ends 30 March). Some regional
    /// regulations count this way; provided for configuration, not the default.
    case eventDayIsDayOne
}

/// When the last day of a day-based term expires.
public enum DayEnd: String, Hashable, Sendable, Codable {
    /// 24:00 local time of the last day (Civil Code art. 194 p.1) — the default.
    case midnight
    /// Close of business of the last day per `SLAPolicy.businessHours` (art. 194 p.1, second
    /// sentence: if the action must be done in an organisation, the term ends when its working
    /// hours end). On a shortened day that is one hour earlier.
    case closeOfBusiness
    /// The clock time the term started, on the last day: "N business days" of a city 311 service
    /// (opened Tue 10:15 → due 10:15 on the N-th business day after). For working-day terms the start is
    /// where the business clock starts: an event outside `SLAPolicy.businessHours` (or on a day off)
    /// starts at the next opening, so a case opened Friday 19:00 with 08:30–17:00 hours is due at 08:30.
    /// For calendar-day terms the start is the event itself.
    case startTime
}

/// A deadline rule for one stage of handling, per channel.
///
/// ## 59-ФЗ («О порядке рассмотрения обращений граждан РФ») — what the presets encode
/// * art. 8 part 2 — a written appeal is registered within **3 days** of receipt;
/// * art. 8 part 3 — an appeal outside the body's competence is forwarded to the competent body
///   within **7 days** of registration;
/// * art. 12 part 1 — answered within **30 days** of registration (part 1.1: 20 days for
///   migration-law violations reported to a regional governor);
/// * art. 12 part 2 — the head may extend the term **once by up to 30 days**, notifying the citizen.
///
/// The law says "дней" without "рабочих", i.e. **calendar days** (when federal law means working
/// days it says so, e.g. 210-ФЗ). 59-ФЗ does not say what happens when the last day is a day off;
/// practice (courts, prosecutors, most regional regulations) applies the Civil Code by analogy:
/// art. 191 — counting starts the day after registration; art. 193 — a last day that falls on a
/// non-working day moves to the **next working day**; art. 194 — the term ends at 24:00 of the
/// last day. These are the defaults (`.fromNextDay`, `rollForward = true`, `.midnight`).
///
/// Social-media incidents (ЦУР «Инцидент менеджмент») use working-hour clocks instead:
/// e.g. first reaction within N working hours, 09:00–18:00 local, Mon–Fri except holidays,
/// shortened pre-holiday days, clock paused outside hours — `SLAPolicy.incidentFirstReaction`.
public struct SLAPolicy: Hashable, Sendable, Codable {
    public var name: String
    public var amount: Int
    public var unit: SLAUnit
    public var counting: DayCounting
    /// Civil Code art. 193 roll-forward of a calendar-day term ending on a non-working day.
    public var rollForward: Bool
    public var dayEnd: DayEnd
    /// Business clock for working-hour units and `.closeOfBusiness`.
    public var businessHours: BusinessHours
    /// Length of one extension in `unit`s (59-ФЗ: 30 days), nil = not extendable.
    public var extensionAmount: Int?
    public var maxExtensions: Int

    public init(name: String, amount: Int, unit: SLAUnit, counting: DayCounting = .fromNextDay,
                rollForward: Bool = true, dayEnd: DayEnd = .midnight, businessHours: BusinessHours = .standard,
                extensionAmount: Int? = nil, maxExtensions: Int = 0) {
        self.name = name
        self.amount = amount
        self.unit = unit
        self.counting = counting
        self.rollForward = rollForward
        self.dayEnd = dayEnd
        self.businessHours = businessHours
        self.extensionAmount = extensionAmount
        self.maxExtensions = extensionAmount == nil ? 0 : maxExtensions
    }

    /// 59-ФЗ art. 8 p.2: registration within 3 calendar days of receipt.
    public static let fz59Registration = SLAPolicy(name: "59-FZ registration", amount: 3, unit: .calendarDays)
    /// 59-ФЗ art. 8 p.3: forwarding to the competent body within 7 calendar days of registration.
    public static let fz59Forwarding = SLAPolicy(name: "59-FZ forwarding", amount: 7, unit: .calendarDays)
    /// 59-ФЗ art. 12: answer within 30 calendar days of registration, one extension of +30 days.
    public static let fz59Answer = SLAPolicy(name: "59-FZ answer", amount: 30, unit: .calendarDays,
                                             extensionAmount: 30, maxExtensions: 1)
    /// 59-ФЗ art. 12 p.1.1: 20 days (migration-law violations, governor's office), extendable.
    public static let fz59MigrationAnswer = SLAPolicy(name: "59-FZ answer (art.12 p.1.1)", amount: 20, unit: .calendarDays,
                                                      extensionAmount: 30, maxExtensions: 1)

    /// Social-media incident: first reaction within `hours` working hours.
    public static func incidentFirstReaction(hours: Int, businessHours: BusinessHours = .standard) -> SLAPolicy {
        SLAPolicy(name: "incident first reaction \(hours)wh", amount: hours, unit: .workingHours, businessHours: businessHours)
    }

    /// Social-media incident: resolution within `days` working days (ends at close of business).
    public static func incidentResolution(workingDays days: Int, businessHours: BusinessHours = .standard) -> SLAPolicy {
        SLAPolicy(name: "incident resolution \(days)wd", amount: days, unit: .workingDays, dayEnd: .closeOfBusiness,
                  businessHours: businessHours)
    }
}

/// A computed due instant. Closing exactly at `dueAt` is on time (the boundary is inclusive).
public struct Deadline: Hashable, Sendable, Codable {
    public var start: Date
    public var dueAt: Date
    /// Local last day of a day-based term (after roll-forward), nil for hour clocks / fixed deadlines.
    public var lastDay: CivilDate?
    public var policy: SLAPolicy?
    public var extensionsUsed: Int
    public var timeZoneIdentifier: String

    public init(start: Date, dueAt: Date, lastDay: CivilDate? = nil, policy: SLAPolicy? = nil,
                extensionsUsed: Int = 0, timeZone: TimeZone) {
        self.start = start
        self.dueAt = dueAt
        self.lastDay = lastDay
        self.policy = policy
        self.extensionsUsed = extensionsUsed
        self.timeZoneIdentifier = timeZone.identifier
    }

    public func isOnTime(closedAt: Date) -> Bool { closedAt <= dueAt }
    public func isOverdue(now: Date) -> Bool { now > dueAt }
    public var canExtend: Bool {
        guard let p = policy, p.extensionAmount != nil else { return false }
        return extensionsUsed < p.maxExtensions
    }
}

/// A deadline's status for dashboards (`SLA.status`): open — on track, due soon, overdue; or closed on time / late.
public enum DeadlineStatus: String, Sendable, Codable, Hashable {
    case onTrack, dueSoon, overdue, closedOnTime, closedLate
}

/// Time left until a deadline, in several measures. Negative values mean overdue.
public struct Remaining: Hashable, Sendable {
    /// Wall-clock seconds to `dueAt` (negative if overdue).
    public var seconds: TimeInterval
    /// Working seconds to `dueAt` on the business clock (negative if overdue).
    public var workingSeconds: TimeInterval
    /// Local calendar days from today to the deadline's day (0 = due today).
    public var calendarDays: Int
    public var isOverdue: Bool { seconds < 0 }
}

/// Why `SLA.extend` refused: the policy allows no extension, or its extensions are used up.
public enum SLAError: Error, Equatable, Sendable {
    case notExtendable
    case extensionLimitReached(Int)
}

/// The SLA engine: pure functions of (instant, policy, calendar, time zone).
public enum SLA {
    /// Computes the deadline of `policy` for an event at `start` (receipt / registration / post time).
    public static func deadline(start: Date, policy: SLAPolicy, calendar: ProductionCalendar, timeZone: TimeZone) -> Deadline {
        deadline(start: start, policy: policy, amount: policy.amount, extensionsUsed: 0, calendar: calendar, timeZone: timeZone)
    }

    static func deadline(start: Date, policy: SLAPolicy, amount: Int, extensionsUsed: Int,
                         calendar: ProductionCalendar, timeZone: TimeZone) -> Deadline {
        switch policy.unit {
        case .calendarDays, .workingDays:
            // Where the term starts: the event, or for a working-day term ending at the start time, the
            // first instant the business clock runs.
            var from = LocalClock.local(start, in: timeZone)
            if policy.unit == .workingDays, policy.dayEnd == .startTime {
                from = LocalClock.local(WorkingTime.adding(0, to: start, hours: policy.businessHours, calendar: calendar,
                                                           timeZone: timeZone), in: timeZone)
            }
            let fromDay = from.date
            var last: CivilDate
            if policy.unit == .calendarDays {
                last = fromDay.adding(days: policy.counting == .fromNextDay ? amount : amount - 1)
                if policy.rollForward { last = calendar.workingDay(onOrAfter: last) }
            } else if policy.counting == .fromNextDay || !calendar.isWorkingDay(fromDay) {
                last = calendar.addingWorkingDays(amount, to: fromDay)
            } else {
                last = calendar.addingWorkingDays(amount - 1, to: fromDay)
            }
            if last < fromDay { last = fromDay }
            var endSeconds = 86_400
            switch policy.dayEnd {
            case .midnight: break
            case .closeOfBusiness:
                if let lastInterval = policy.businessHours.intervals(on: last, calendar: calendar).last { endSeconds = lastInterval.1 }
            case .startTime: endSeconds = from.secondsOfDay
            }
            var due = LocalClock.instant(last, secondsOfDay: endSeconds, in: timeZone)
            if due < start { due = start }
            return Deadline(start: start, dueAt: due, lastDay: last, policy: policy, extensionsUsed: extensionsUsed, timeZone: timeZone)
        case .workingHours, .workingMinutes:
            let secs = TimeInterval(amount) * (policy.unit == .workingHours ? 3600 : 60)
            let due = WorkingTime.adding(secs, to: start, hours: policy.businessHours, calendar: calendar, timeZone: timeZone)
            return Deadline(start: start, dueAt: due, policy: policy, extensionsUsed: extensionsUsed, timeZone: timeZone)
        case .elapsedHours:
            let due = start.addingTimeInterval(TimeInterval(amount) * 3600)
            return Deadline(start: start, dueAt: due, policy: policy, extensionsUsed: extensionsUsed, timeZone: timeZone)
        }
    }

    /// Applies one extension (59-ФЗ art. 12 p.2: once, by up to 30 days).
    /// The extended term is computed from the original start as `amount + k·extensionAmount`
    /// and then rolled forward, i.e. the extension runs from the *un-rolled* end of the original
    /// term (the earlier, conservative reading when the original last day was a day off).
    public static func extend(_ d: Deadline, calendar: ProductionCalendar, timeZone: TimeZone) throws -> Deadline {
        guard let p = d.policy, let ext = p.extensionAmount else { throw SLAError.notExtendable }
        guard d.extensionsUsed < p.maxExtensions else { throw SLAError.extensionLimitReached(p.maxExtensions) }
        let used = d.extensionsUsed + 1
        return deadline(start: d.start, policy: p, amount: p.amount + used * ext, extensionsUsed: used,
                        calendar: calendar, timeZone: timeZone)
    }

    public static func remaining(now: Date, deadline d: Deadline, hours: BusinessHours = .standard,
                                 calendar: ProductionCalendar, timeZone: TimeZone) -> Remaining {
        let secs = d.dueAt.timeIntervalSince(now)
        let working = secs >= 0
            ? WorkingTime.between(now, d.dueAt, hours: hours, calendar: calendar, timeZone: timeZone)
            : -WorkingTime.between(d.dueAt, now, hours: hours, calendar: calendar, timeZone: timeZone)
        let today = LocalClock.civilDate(of: now, in: timeZone)
        let dueDay = d.lastDay ?? LocalClock.lastDay(ofTermEndingAt: d.dueAt, in: timeZone)
        return Remaining(seconds: secs, workingSeconds: working, calendarDays: today.days(until: dueDay))
    }

    public static func isOnTime(closedAt: Date, deadline: Deadline) -> Bool { deadline.isOnTime(closedAt: closedAt) }

    public static func isOverdue(now: Date, deadline: Deadline) -> Bool { deadline.isOverdue(now: now) }

    /// Status for dashboards: `dueSoon` when less than `dueSoonWithin` wall-clock seconds remain.
    public static func status(now: Date, closedAt: Date?, deadline: Deadline, dueSoonWithin: TimeInterval = 3 * 86_400) -> DeadlineStatus {
        if let c = closedAt { return deadline.isOnTime(closedAt: c) ? .closedOnTime : .closedLate }
        if deadline.isOverdue(now: now) { return .overdue }
        return deadline.dueAt.timeIntervalSince(now) <= dueSoonWithin ? .dueSoon : .onTrack
    }

    /// Working time between two instants on the business clock.
    public static func workingTime(from: Date, to: Date, hours: BusinessHours = .standard,
                                   calendar: ProductionCalendar, timeZone: TimeZone) -> TimeInterval {
        WorkingTime.between(from, to, hours: hours, calendar: calendar, timeZone: timeZone)
    }
}

/// Convenience bundle of a calendar (with the agency's overrides applied) and a region's time zone.
public struct SLAEngine: Sendable {
    public let calendar: ProductionCalendar
    public let timeZone: TimeZone

    public init(calendar: ProductionCalendar = .russia, overrides: [CalendarOverride] = [], timeZone: TimeZone) {
        self.calendar = overrides.isEmpty ? calendar : calendar.applying(overrides)
        self.timeZone = timeZone
    }

    public func deadline(start: Date, policy: SLAPolicy) -> Deadline {
        SLA.deadline(start: start, policy: policy, calendar: calendar, timeZone: timeZone)
    }

    public func extend(_ d: Deadline) throws -> Deadline { try SLA.extend(d, calendar: calendar, timeZone: timeZone) }

    public func remaining(now: Date, deadline: Deadline, hours: BusinessHours = .standard) -> Remaining {
        SLA.remaining(now: now, deadline: deadline, hours: hours, calendar: calendar, timeZone: timeZone)
    }

    public func workingTime(from: Date, to: Date, hours: BusinessHours = .standard) -> TimeInterval {
        WorkingTime.between(from, to, hours: hours, calendar: calendar, timeZone: timeZone)
    }
}
