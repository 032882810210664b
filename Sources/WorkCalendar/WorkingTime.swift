import Foundation

/// Office hours in local wall-clock time, applied to the working days of a `ProductionCalendar`.
///
/// Default: 09:00–18:00 Monday–Friday (and on transferred working Saturdays), no breaks,
/// pre-holiday shortened days end one hour earlier (17:00), per Labour Code art. 95.
public struct BusinessHours: Hashable, Sendable, Codable {
    /// Opening time, seconds after local midnight.
    public var open: Int
    /// Closing time, seconds after local midnight (must be > open).
    public var close: Int
    /// Closing time per ISO weekday (1 = Mon … 7 = Sun) when it differs, e.g. [5: 16*3600+45*60]
    /// for the civil-service Friday 09:00–16:45.
    public var closeByWeekday: [Int: Int]
    /// Unpaid breaks inside the day, seconds after midnight, treated as half-open
    /// [lowerBound, upperBound) (e.g. lunch `46800...49680` = 13:00–13:48).
    public var breaks: [ClosedRange<Int>]
    /// How much earlier a shortened (pre-holiday) day closes, in seconds (3600 = one hour).
    public var preHolidayShortening: Int

    public init(open: Int = 9 * 3600, close: Int = 18 * 3600, closeByWeekday: [Int: Int] = [:],
                breaks: [ClosedRange<Int>] = [], preHolidayShortening: Int = 3600) {
        self.open = open
        self.close = max(close, open)
        self.closeByWeekday = closeByWeekday
        self.breaks = breaks
        self.preHolidayShortening = preHolidayShortening
    }

    public static func hours(_ openHour: Int, _ closeHour: Int) -> BusinessHours {
        BusinessHours(open: openHour * 3600, close: closeHour * 3600)
    }

    /// 09:00–18:00, shortened days to 17:00.
    public static let standard = BusinessHours()

    /// Working intervals of a civil day as [start, end) seconds after local midnight; empty on non-working days.
    public func intervals(on date: CivilDate, calendar: ProductionCalendar) -> [(Int, Int)] {
        let kind = calendar.kind(of: date)
        guard kind.isWorking else { return [] }
        var end = closeByWeekday[date.isoWeekday] ?? close
        // A working weekend day follows the regular (Monday) schedule.
        if date.isWeekend { end = close }
        if kind == .shortened { end -= preHolidayShortening }
        guard end > open else { return [] }
        var pieces: [(Int, Int)] = [(open, end)]
        for b in breaks.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            var next: [(Int, Int)] = []
            for (s, e) in pieces {
                if b.upperBound <= s || b.lowerBound >= e { next.append((s, e)); continue }
                if b.lowerBound > s { next.append((s, b.lowerBound)) }
                if b.upperBound < e { next.append((b.upperBound, e)) }
            }
            pieces = next
        }
        return pieces
    }
}

/// Working-time arithmetic ("business clock") over instants, in an explicit time zone.
///
/// The clock runs only inside `BusinessHours` on working days of the calendar and is paused
/// otherwise (nights, weekends, holidays, transferred days off, breaks). Boundaries are in local
/// wall-clock time and converted to instants with `LocalClock`, so DST days are handled: a business
/// day never straddles the 02:00–03:00 transition, and a day's hours are always its real elapsed time.
public enum WorkingTime {
    /// Instants [start, end) of the working intervals of `date`.
    static func instantIntervals(_ date: CivilDate, hours: BusinessHours, calendar: ProductionCalendar,
                                 timeZone: TimeZone) -> [(Date, Date)] {
        hours.intervals(on: date, calendar: calendar).map {
            (LocalClock.instant(date, secondsOfDay: $0.0, in: timeZone), LocalClock.instant(date, secondsOfDay: $0.1, in: timeZone))
        }
    }

    /// Working seconds elapsed between `from` and `to` (0 if `to <= from`).
    public static func between(_ from: Date, _ to: Date, hours: BusinessHours = .standard,
                               calendar: ProductionCalendar, timeZone: TimeZone) -> TimeInterval {
        guard to > from else { return 0 }
        var total: TimeInterval = 0
        var day = LocalClock.civilDate(of: from, in: timeZone).adding(days: -1)
        let last = LocalClock.civilDate(of: to, in: timeZone).adding(days: 1)
        while day <= last {
            for (s, e) in instantIntervals(day, hours: hours, calendar: calendar, timeZone: timeZone) {
                let lo = max(s, from), hi = min(e, to)
                if hi > lo { total += hi.timeIntervalSince(lo) }
            }
            day = day.adding(days: 1)
        }
        return total
    }

    /// The instant at which `seconds` of working time have elapsed after `start`.
    /// If `start` is outside working hours the clock starts at the next opening. A budget that runs
    /// out exactly at closing time yields the closing instant (not the next morning).
    /// `seconds <= 0` returns the first working instant at or after `start` (`start` itself when it is
    /// inside working hours; a `start` exactly at closing time counts as outside).
    public static func adding(_ seconds: TimeInterval, to start: Date, hours: BusinessHours = .standard,
                              calendar: ProductionCalendar, timeZone: TimeZone, maxDays: Int = 3660) -> Date {
        var left = max(0, seconds)
        var day = LocalClock.civilDate(of: start, in: timeZone).adding(days: -1)
        for _ in 0..<maxDays {
            for (s, e) in instantIntervals(day, hours: hours, calendar: calendar, timeZone: timeZone) where e > start {
                let lo = max(s, start)
                let avail = e.timeIntervalSince(lo)
                if left <= avail {
                    return lo.addingTimeInterval(left)
                }
                left -= avail
            }
            day = day.adding(days: 1)
        }
        return start.addingTimeInterval(left)
    }

    /// Whether `instant` lies inside working hours.
    public static func isWorkingInstant(_ instant: Date, hours: BusinessHours = .standard,
                                        calendar: ProductionCalendar, timeZone: TimeZone) -> Bool {
        let day = LocalClock.civilDate(of: instant, in: timeZone)
        return instantIntervals(day, hours: hours, calendar: calendar, timeZone: timeZone).contains { instant >= $0.0 && instant < $0.1 }
    }
}
