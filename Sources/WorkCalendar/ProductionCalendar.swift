import Foundation

/// Classification of one civil day in a production calendar (производственный календарь).
public enum DayKind: String, Sendable, Codable, Hashable {
    /// Ordinary working day (Mon–Fri, or a weekend day made working by a transfer decree).
    case working
    /// Working day shortened by one hour (предпраздничный день, Labour Code art. 95).
    case shortened
    /// Saturday or Sunday that is not a holiday.
    case weekend
    /// Named non-working day: an art. 112 holiday, or a day declared non-working by a presidential
    /// decree (the calendar file names it, e.g. the 2020 "Нерабочая неделя").
    case holiday
    /// Weekday made non-working by a transfer (перенос) — decree, the statutory
    /// "holiday on a weekend moves to the next working day" rule, or an override.
    case dayOff

    public var isWorking: Bool { self == .working || self == .shortened }
}

/// One day-level amendment of a calendar, e.g. a regional holiday
/// (Курбан-байрам in Tatarstan, Радоница in some regions) or a one-off presidential non-working day.
/// Stored by AgencyService and passed in; Codable for DB/JSON storage.
public struct CalendarOverride: Hashable, Sendable, Codable {
    /// What the override makes of its day.
    public enum Kind: String, Hashable, Sendable, Codable {
        /// Make the day non-working (reported as `.dayOff`, or `.holiday` with `asHoliday`).
        case nonWorking
        /// Make the day an ordinary full working day (removes a holiday / transfer / shortening).
        case working
        /// Make the day a shortened working day.
        case shortened
    }

    public var date: CivilDate
    public var kind: Kind
    public var note: String
    /// For `.nonWorking`: report as `.holiday` (a holiday in its own right, e.g. a regional
    /// holiday — it then also shortens the preceding working day) rather than `.dayOff`.
    public var asHoliday: Bool

    public init(date: CivilDate, kind: Kind, note: String = "", asHoliday: Bool = false) {
        self.date = date
        self.kind = kind
        self.note = note
        self.asHoliday = asHoliday
    }
}

/// Raw data for one year of a production calendar (days that differ from the Mon–Fri default).
public struct CalendarYear: Sendable, Hashable {
    public let year: Int
    /// Named non-working days (art. 112 holidays, decree non-working days).
    public let holidays: Set<CivilDate>
    /// Weekdays that are non-working because of a transfer.
    public let daysOff: Set<CivilDate>
    /// Saturdays/Sundays that are working days because of a transfer decree.
    public let workingWeekendDays: Set<CivilDate>
    /// Shortened (pre-holiday) working days, as published in the official calendar.
    public let shortenedDays: Set<CivilDate>
    /// Names of the `holidays` ("Рождество Христово", "Нерабочие дни (Указ Президента …)").
    public let holidayNames: [CivilDate: String]
    /// Where the data comes from (file name, or the rule set of a fallback year).
    public let source: String
    /// `true` when the year comes from a published calendar file,
    /// `false` when it was derived from rules only (`CalendarFallback`).
    public let isOfficial: Bool

    public init(year: Int, holidays: Set<CivilDate> = [], daysOff: Set<CivilDate> = [], workingWeekendDays: Set<CivilDate> = [],
                shortenedDays: Set<CivilDate> = [], holidayNames: [CivilDate: String] = [:], source: String = "custom",
                isOfficial: Bool = true) {
        self.year = year
        self.holidays = holidays
        self.daysOff = daysOff
        self.workingWeekendDays = workingWeekendDays
        self.shortenedDays = shortenedDays
        self.holidayNames = holidayNames
        self.source = source
        self.isOfficial = isOfficial
    }
}

/// How a calendar answers for a year it has no file for. Such years report `isOfficial == false`.
public enum CalendarFallback: String, Sendable, Hashable {
    /// Labour Code rules only (`RussianHolidays.statutoryYear`): art. 112 holidays, a weekend holiday
    /// other than January's moves to the next weekday, art. 95 shortened eves; decree transfers unknown.
    case russianStatutory
    /// Saturdays and Sundays off, no holidays.
    case weekendsOnly

    func year(_ y: Int) -> CalendarYear {
        switch self {
        case .russianStatutory: return RussianHolidays.statutoryYear(y)
        case .weekendsOnly: return CalendarYear(year: y, source: "weekends only (no calendar file)", isOfficial: false)
        }
    }
}

/// A production calendar: published years (xmlcalendar files, see `CalendarLibrary`) + a rule-based
/// fallback for other years + day-level overrides (regional corrections) on top.
public struct ProductionCalendar: Sendable {
    public let name: String
    public let fallback: CalendarFallback
    private let official: [Int: CalendarYear]
    /// Fallback years around the published ones (the years deadlines run into), derived once rather than on
    /// every `kind(of:)`.
    private let derived: [Int: CalendarYear]
    private let overrides: [CivilDate: CalendarOverride]

    public init(name: String, years: [CalendarYear], fallback: CalendarFallback = .russianStatutory,
                overrides: [CalendarOverride] = []) {
        var o: [Int: CalendarYear] = [:]
        for y in years { o[y.year] = y }
        var d: [Int: CalendarYear] = [:]
        if let lo = o.keys.min(), let hi = o.keys.max() {
            for y in (lo - 2)...(hi + 10) where o[y] == nil { d[y] = fallback.year(y) }
        }
        self.init(name: name, fallback: fallback, official: o, derived: d, overrides: overrides)
    }

    private init(name: String, fallback: CalendarFallback, official: [Int: CalendarYear], derived: [Int: CalendarYear],
                 overrides: [CalendarOverride]) {
        self.name = name
        self.fallback = fallback
        self.official = official
        self.derived = derived
        var ov: [CivilDate: CalendarOverride] = [:]
        for x in overrides { ov[x.date] = x } // last one wins
        self.overrides = ov
    }

    /// A calendar with Saturday/Sunday weekends only (no holidays) — for jurisdictions without a
    /// table and for tests.
    public static func weekendsOnly(name: String = "weekends-only") -> ProductionCalendar {
        ProductionCalendar(name: name, years: [], fallback: .weekendsOnly)
    }

    /// Returns a copy with extra overrides applied on top of the existing ones (later wins).
    public func applying(_ extra: [CalendarOverride]) -> ProductionCalendar {
        ProductionCalendar(name: name, fallback: fallback, official: official, derived: derived,
                           overrides: Array(overrides.values) + extra)
    }

    /// Removes any override for the given dates (e.g. an AgencyService "delete override" action).
    public func removingOverrides(for dates: Set<CivilDate>) -> ProductionCalendar {
        ProductionCalendar(name: name, fallback: fallback, official: official, derived: derived,
                           overrides: overrides.values.filter { !dates.contains($0.date) })
    }

    public var activeOverrides: [CalendarOverride] { overrides.values.sorted { $0.date < $1.date } }

    /// Years that come from calendar files.
    public var officialYears: [Int] { official.keys.sorted() }

    public func isOfficial(year: Int) -> Bool { official[year]?.isOfficial ?? false }

    public func yearData(_ year: Int) -> CalendarYear { official[year] ?? derived[year] ?? fallback.year(year) }

    /// Published name of a holiday ("Рождество Христово"), before overrides; nil for other days.
    public func holidayName(_ d: CivilDate) -> String? { yearData(d.year).holidayNames[d] }

    /// Kind of the day before overrides.
    private func baseKind(_ d: CivilDate) -> DayKind {
        let y = yearData(d.year)
        if y.holidays.contains(d) { return .holiday }
        if y.daysOff.contains(d) { return .dayOff }
        if y.shortenedDays.contains(d) { return .shortened }
        if y.workingWeekendDays.contains(d) { return .working }
        return d.isWeekend ? .weekend : .working
    }

    public func kind(of d: CivilDate) -> DayKind {
        guard let o = overrides[d] else {
            let k = baseKind(d)
            // An override-added holiday shortens the preceding working day (art. 95).
            if k == .working, let next = overrides[d.adding(days: 1)], next.kind == .nonWorking, next.asHoliday {
                return .shortened
            }
            return k
        }
        switch o.kind {
        case .nonWorking: return o.asHoliday ? .holiday : .dayOff
        case .working: return .working
        case .shortened: return .shortened
        }
    }

    public func isWorkingDay(_ d: CivilDate) -> Bool { kind(of: d).isWorking }

    public func isShortened(_ d: CivilDate) -> Bool { kind(of: d) == .shortened }

    /// First working day on or after `d` (Civil Code art. 193 roll-forward). Searches up to 400 days.
    public func workingDay(onOrAfter d: CivilDate) -> CivilDate {
        var x = d
        for _ in 0..<400 {
            if isWorkingDay(x) { return x }
            x = x.adding(days: 1)
        }
        return d
    }

    /// First working day strictly after `d`.
    public func nextWorkingDay(after d: CivilDate) -> CivilDate { workingDay(onOrAfter: d.adding(days: 1)) }

    /// The `n`-th working day after `d` (n ≥ 1; `d` itself is not counted). n ≤ 0 returns `d`.
    public func addingWorkingDays(_ n: Int, to d: CivilDate) -> CivilDate {
        guard n > 0 else { return d }
        var x = d
        var left = n
        while left > 0 {
            x = x.adding(days: 1)
            if isWorkingDay(x) { left -= 1 }
        }
        return x
    }

    /// Number of working days in the half-open range [from, to).
    public func workingDays(from: CivilDate, to: CivilDate) -> Int {
        guard from < to else { return 0 }
        var n = 0
        var x = from
        while x < to {
            if isWorkingDay(x) { n += 1 }
            x = x.adding(days: 1)
        }
        return n
    }

    /// Summary of a year: number of working days and the 40-hour-week norm in hours
    /// (8 h per working day minus 1 h per shortened day), as printed in official calendars.
    public func yearSummary(_ year: Int) -> (workingDays: Int, nonWorkingDays: Int, hours40: Int) {
        guard let start = CivilDate(year: year, month: 1, day: 1), let end = CivilDate(year: year + 1, month: 1, day: 1) else {
            return (0, 0, 0)
        }
        var wd = 0, nw = 0, h = 0
        var x = start
        while x < end {
            switch kind(of: x) {
            case .working: wd += 1; h += 8
            case .shortened: wd += 1; h += 7
            default: nw += 1
            }
            x = x.adding(days: 1)
        }
        return (wd, nw, h)
    }
}
