import Foundation
import Testing
@testable import WorkCalendar

func d(_ y: Int, _ m: Int, _ day: Int) -> CivilDate { CivilDate(y, m, day) }

let moscow = TimeZone(identifier: "Europe/Moscow") ?? TimeZone(secondsFromGMT: 3 * 3600) ?? .current
let newYork = TimeZone(identifier: "America/New_York") ?? .current
let vladivostok = TimeZone(identifier: "Asia/Vladivostok") ?? .current

/// Instant of a local wall time.
func at(_ y: Int, _ m: Int, _ day: Int, _ h: Int, _ mi: Int = 0, _ s: Int = 0, _ tz: TimeZone = moscow) -> Date {
    LocalClock.instant(LocalDateTime(date: d(y, m, day), hour: h, minute: mi, second: s), in: tz)
}

func utc(_ iso: String) -> Date {
    let f = ISO8601DateFormatter()
    return f.date(from: iso) ?? Date(timeIntervalSince1970: 0)
}

@Suite struct CivilDateTests {
    @Test func roundTripAndWeekday() {
        #expect(d(1970, 1, 1).dayNumber == 0)
        #expect(d(2024, 1, 1).isoWeekday == 1)
        #expect(d(2024, 4, 27).isoWeekday == 6)
        #expect(d(2000, 2, 29).dayNumber == 11_016)
        for n in stride(from: -800_000, through: 800_000, by: 997) {
            #expect(CivilDate(dayNumber: n).dayNumber == n)
        }
        #expect(CivilDate(year: 2023, month: 2, day: 29) == nil)
        #expect(CivilDate(iso: "2024-02-29") == d(2024, 2, 29))
        #expect(d(2024, 12, 31).adding(days: 1) == d(2025, 1, 1))
    }

    @Test func localClockMatchesFoundationAndHandlesDST() {
        // Moscow has no DST since 2014: always UTC+3.
        #expect(at(2024, 7, 1, 9) == utc("2024-07-01T06:00:00Z"))
        #expect(at(2024, 1, 1, 0) == utc("2023-12-31T21:00:00Z"))
        // New York gap: 02:30 on 8 Mar 2015 does not exist → 03:30 EDT (07:30Z).
        #expect(at(2015, 3, 8, 2, 30, 0, newYork) == utc("2015-03-08T07:30:00Z"))
        #expect(at(2015, 3, 8, 3, 0, 0, newYork) == utc("2015-03-08T07:00:00Z"))
        // Ambiguous 01:30 on 1 Nov 2015 → first occurrence (EDT, 05:30Z).
        #expect(at(2015, 11, 1, 1, 30, 0, newYork) == utc("2015-11-01T05:30:00Z"))
        #expect(at(2015, 11, 1, 2, 0, 0, newYork) == utc("2015-11-01T07:00:00Z"))
        // Against Foundation's Calendar for a sweep of hours.
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = newYork
        for h in stride(from: 0, to: 24 * 400, by: 7) {
            let inst = utc("2015-01-01T00:00:00Z").addingTimeInterval(TimeInterval(h * 3600 + 1234))
            let l = LocalClock.local(inst, in: newYork)
            let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: inst)
            #expect(l.date == d(c.year ?? 0, c.month ?? 0, c.day ?? 0))
            #expect(l.secondsOfDay == (c.hour ?? 0) * 3600 + (c.minute ?? 0) * 60 + (c.second ?? 0))
        }
    }
}

@Suite struct ProductionCalendarTests {
    let cal = ProductionCalendar.russia

    @Test func specificDays() {
        #expect(cal.kind(of: d(2024, 1, 1)) == .holiday)
        #expect(cal.kind(of: d(2024, 1, 9)) == .working)
        #expect(cal.kind(of: d(2024, 2, 22)) == .shortened)
        #expect(cal.kind(of: d(2024, 4, 27)) == .working)   // transferred working Saturday, full day
        #expect(cal.kind(of: d(2024, 4, 29)) == .dayOff)
        #expect(cal.kind(of: d(2024, 11, 2)) == .shortened) // working Saturday, shortened
        #expect(cal.kind(of: d(2024, 12, 28)) == .working)
        #expect(cal.kind(of: d(2024, 12, 31)) == .dayOff)
        #expect(cal.kind(of: d(2025, 11, 1)) == .shortened)
        #expect(cal.kind(of: d(2025, 11, 3)) == .dayOff)
        #expect(cal.kind(of: d(2023, 2, 24)) == .dayOff)
        #expect(cal.kind(of: d(2021, 11, 5)) == .dayOff)
        #expect(cal.kind(of: d(2018, 6, 9)) == .shortened)
        #expect(cal.kind(of: d(2015, 1, 9)) == .dayOff)
        #expect(cal.kind(of: d(2024, 6, 8)) == .weekend)
        // An organisation that worked through the 2020 decree non-working days overrides them back.
        #expect(!cal.isWorkingDay(d(2020, 4, 15)))
        #expect(cal.applying([CalendarOverride(date: d(2020, 4, 15), kind: .working)]).isWorkingDay(d(2020, 4, 15)))
    }

    @Test func statutoryFallbackForUntabulatedYear() {
        // 2030: 23 Feb is a Saturday → Monday 25 Feb off; Friday 22 Feb shortened.
        #expect(!cal.isOfficial(year: 2030))
        #expect(cal.kind(of: d(2030, 2, 23)) == .holiday)
        #expect(cal.kind(of: d(2030, 2, 25)) == .dayOff)
        #expect(cal.kind(of: d(2030, 2, 22)) == .shortened)
        #expect(cal.kind(of: d(2030, 12, 31)) == .shortened)
        // 12 June 2032 is a Saturday → Monday 14 June off.
        #expect(cal.kind(of: d(2032, 6, 14)) == .dayOff)
        // January weekend coincidences are not moved without a decree.
        #expect(cal.kind(of: d(2028, 1, 10)) == .working)
    }

    @Test func overrides() {
        // Tatarstan Republic Day, Friday 30 Aug 2024, as a regional holiday.
        let tat = cal.applying([CalendarOverride(date: d(2024, 8, 30), kind: .nonWorking, note: "День Республики Татарстан", asHoliday: true)])
        #expect(tat.kind(of: d(2024, 8, 30)) == .holiday)
        #expect(tat.kind(of: d(2024, 8, 29)) == .shortened)
        #expect(cal.kind(of: d(2024, 8, 30)) == .working) // original untouched (value semantics)
        // Removing a federal day off and adding a shortened day.
        let b = cal.applying([CalendarOverride(date: d(2024, 12, 31), kind: .working),
                              CalendarOverride(date: d(2024, 12, 27), kind: .shortened)])
        #expect(b.kind(of: d(2024, 12, 31)) == .working)
        #expect(b.kind(of: d(2024, 12, 27)) == .shortened)
        let c = b.removingOverrides(for: [d(2024, 12, 31)])
        #expect(c.kind(of: d(2024, 12, 31)) == .dayOff)
        #expect(c.activeOverrides.count == 1)
        // Later override for the same date wins.
        let e = b.applying([CalendarOverride(date: d(2024, 12, 31), kind: .nonWorking)])
        #expect(e.kind(of: d(2024, 12, 31)) == .dayOff)
    }

    @Test func workingDayArithmetic() {
        #expect(cal.workingDay(onOrAfter: d(2024, 12, 31)) == d(2025, 1, 9))
        #expect(cal.nextWorkingDay(after: d(2024, 4, 26)) == d(2024, 4, 27))
        #expect(cal.addingWorkingDays(3, to: d(2024, 2, 21)) == d(2024, 2, 27))
        #expect(cal.workingDays(from: d(2024, 1, 1), to: d(2025, 1, 1)) == 248)
        #expect(cal.addingWorkingDays(0, to: d(2024, 1, 1)) == d(2024, 1, 1))
    }
}
