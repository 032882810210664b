import Foundation
import Testing
@testable import WorkCalendar

@Suite struct FZ59DeadlineTests {
    let cal = ProductionCalendar.russia

    @Test func answerThirtyCalendarDaysRollsForwardOffWeekend() throws {
        // Registered Fri 1 Mar 2024 10:00 MSK → day 30 is Sun 31 Mar → Mon 1 Apr, ends 24:00 MSK.
        let start = at(2024, 3, 1, 10)
        let dl = SLA.deadline(start: start, policy: .fz59Answer, calendar: cal, timeZone: moscow)
        #expect(dl.lastDay == d(2024, 4, 1))
        #expect(dl.dueAt == utc("2024-04-01T21:00:00Z"))
        // Inclusive boundary.
        #expect(dl.isOnTime(closedAt: dl.dueAt))
        #expect(!dl.isOnTime(closedAt: dl.dueAt.addingTimeInterval(1)))
        #expect(!dl.isOverdue(now: dl.dueAt))
        #expect(dl.isOverdue(now: dl.dueAt.addingTimeInterval(0.001)))
        // Without roll-forward the term ends on Sunday.
        var p = SLAPolicy.fz59Answer
        p.rollForward = false
        #expect(SLA.deadline(start: start, policy: p, calendar: cal, timeZone: moscow).lastDay == d(2024, 3, 31))
        // Event-day-is-day-one counting ends one day earlier (Sat 30 Mar → Mon 1 Apr after roll).
        p = .fz59Answer
        p.counting = .eventDayIsDayOne
        #expect(SLA.deadline(start: start, policy: p, calendar: cal, timeZone: moscow).lastDay == d(2024, 4, 1))
        p.rollForward = false
        #expect(SLA.deadline(start: start, policy: p, calendar: cal, timeZone: moscow).lastDay == d(2024, 3, 30))
    }

    @Test func extensionOnceByThirtyDays() throws {
        let start = at(2024, 3, 1, 10)
        let dl = SLA.deadline(start: start, policy: .fz59Answer, calendar: cal, timeZone: moscow)
        #expect(dl.canExtend)
        let ext = try SLA.extend(dl, calendar: cal, timeZone: moscow)
        // 60 days from 1 Mar = Tue 30 Apr 2024 (transferred day off), 1 May holiday → Thu 2 May.
        #expect(ext.lastDay == d(2024, 5, 2))
        #expect(ext.extensionsUsed == 1)
        #expect(!ext.canExtend)
        #expect(throws: SLAError.extensionLimitReached(1)) { try SLA.extend(ext, calendar: cal, timeZone: moscow) }
        let reg = SLA.deadline(start: start, policy: .fz59Registration, calendar: cal, timeZone: moscow)
        #expect(throws: SLAError.notExtendable) { try SLA.extend(reg, calendar: cal, timeZone: moscow) }
    }

    @Test func yearEndAndNewYearHolidays() {
        // Registered 1 Dec 2024: day 30 = 31 Dec (day off) → 1–8 Jan holidays → Thu 9 Jan 2025.
        let dl = SLA.deadline(start: at(2024, 12, 1, 15), policy: .fz59Answer, calendar: cal, timeZone: moscow)
        #expect(dl.lastDay == d(2025, 1, 9))
        #expect(dl.dueAt == at(2025, 1, 10, 0))
        // Received 23:59:59 on 31 Dec 2015 → registration day 3 = 3 Jan 2016 → Mon 11 Jan 2016.
        let r = SLA.deadline(start: at(2015, 12, 31, 23, 59, 59), policy: .fz59Registration, calendar: cal, timeZone: moscow)
        #expect(r.lastDay == d(2016, 1, 11))
    }

    @Test func transferredWorkingSaturdayIsAValidLastDay() {
        // Forwarding within 7 days from Sat 20 Apr 2024 → Sat 27 Apr 2024, a working Saturday: no roll.
        let dl = SLA.deadline(start: at(2024, 4, 20, 12), policy: .fz59Forwarding, calendar: cal, timeZone: moscow)
        #expect(dl.lastDay == d(2024, 4, 27))
        // From Sun 21 Apr → Sun 28 Apr → 29, 30 Apr days off, 1 May holiday → Thu 2 May.
        let dl2 = SLA.deadline(start: at(2024, 4, 21, 12), policy: .fz59Forwarding, calendar: cal, timeZone: moscow)
        #expect(dl2.lastDay == d(2024, 5, 2))
    }

    @Test func localDayDependsOnRegionTimeZone() {
        // 31 Mar 2024 20:00Z is still Sunday (23:00) in Moscow but already Monday 1 Apr 06:00 in Vladivostok.
        let t = utc("2024-03-31T20:00:00Z")
        let m = SLA.deadline(start: t, policy: .fz59Registration, calendar: cal, timeZone: moscow)
        let v = SLA.deadline(start: t, policy: .fz59Registration, calendar: cal, timeZone: vladivostok)
        #expect(m.lastDay == d(2024, 4, 3))
        #expect(v.lastDay == d(2024, 4, 4))
        #expect(v.dueAt == utc("2024-04-04T14:00:00Z"))
        #expect(m.dueAt == utc("2024-04-03T21:00:00Z"))
    }

    @Test func calendarDaysAcrossDSTInNewYork() {
        // 30 days from 15 Oct 2015 = Sat 14 Nov → Mon 16 Nov; 24:00 EST = 05:00Z (offset changed on 1 Nov).
        let plain = ProductionCalendar.weekendsOnly()
        let dl = SLA.deadline(start: at(2015, 10, 15, 12, 0, 0, newYork), policy: .fz59Answer, calendar: plain, timeZone: newYork)
        #expect(dl.lastDay == d(2015, 11, 16))
        #expect(dl.dueAt == utc("2015-11-17T05:00:00Z"))
    }

    @Test func workingDayPolicyClosesAtCloseOfBusiness() {
        // 1 working day from Thu 22 Feb 2024 → Mon 26 Feb, close of business 18:00 MSK.
        let p = SLAPolicy.incidentResolution(workingDays: 1)
        let dl = SLA.deadline(start: at(2024, 2, 22, 11), policy: p, calendar: cal, timeZone: moscow)
        #expect(dl.lastDay == d(2024, 2, 26))
        #expect(dl.dueAt == at(2024, 2, 26, 18))
        // Ending on a shortened day closes an hour earlier: 1 wd from Wed 6 Mar → Thu 7 Mar 17:00.
        let dl2 = SLA.deadline(start: at(2024, 3, 6, 11), policy: p, calendar: cal, timeZone: moscow)
        #expect(dl2.dueAt == at(2024, 3, 7, 17))
        // Event-day-is-day-one on a working day: 1 wd = same day.
        var p3 = p
        p3.counting = .eventDayIsDayOne
        #expect(SLA.deadline(start: at(2024, 3, 6, 11), policy: p3, calendar: cal, timeZone: moscow).lastDay == d(2024, 3, 6))
    }

    @Test func remainingAndStatus() {
        let dl = SLA.deadline(start: at(2024, 3, 1, 10), policy: .fz59Answer, calendar: cal, timeZone: moscow)
        let now = at(2024, 3, 29, 12) // Friday
        let r = SLA.remaining(now: now, deadline: dl, calendar: cal, timeZone: moscow)
        #expect(r.calendarDays == 3)
        #expect(r.seconds == 3 * 86_400 + 12 * 3600)
        // Working: Fri 12–18 (6h) + Mon 1 Apr 9–18 (9h) = 15h.
        #expect(r.workingSeconds == 15 * 3600)
        #expect(!r.isOverdue)
        let late = SLA.remaining(now: at(2024, 4, 2, 10), deadline: dl, calendar: cal, timeZone: moscow)
        #expect(late.isOverdue)
        #expect(late.seconds == -10 * 3600)
        #expect(late.workingSeconds == -3600)
        #expect(late.calendarDays == -1)
        #expect(SLA.status(now: now, closedAt: nil, deadline: dl) == .onTrack) // 3.5 days left
        #expect(SLA.status(now: at(2024, 3, 30, 12), closedAt: nil, deadline: dl) == .dueSoon)
        #expect(SLA.status(now: at(2024, 4, 3, 0), closedAt: nil, deadline: dl) == .overdue)
        #expect(SLA.status(now: at(2024, 3, 10, 0), closedAt: nil, deadline: dl) == .onTrack)
        #expect(SLA.status(now: now, closedAt: dl.dueAt, deadline: dl) == .closedOnTime)
        #expect(SLA.status(now: now, closedAt: nil, deadline: dl) != .overdue)
    }
}

@Suite struct WorkingHoursTests {
    let cal = ProductionCalendar.russia
    let p2 = SLAPolicy.incidentFirstReaction(hours: 2)

    @Test func insideHours() {
        let dl = SLA.deadline(start: at(2024, 3, 4, 10, 15), policy: p2, calendar: cal, timeZone: moscow)
        #expect(dl.dueAt == at(2024, 3, 4, 12, 15))
    }

    @Test func budgetEndingExactlyAtClosingStaysThatDay() {
        let dl = SLA.deadline(start: at(2024, 3, 4, 16), policy: p2, calendar: cal, timeZone: moscow)
        #expect(dl.dueAt == at(2024, 3, 4, 18))
        // Starting exactly at closing counts as outside → next morning.
        let dl2 = SLA.deadline(start: at(2024, 3, 4, 18), policy: p2, calendar: cal, timeZone: moscow)
        #expect(dl2.dueAt == at(2024, 3, 5, 11))
        // Starting exactly at opening.
        let dl3 = SLA.deadline(start: at(2024, 3, 5, 9), policy: p2, calendar: cal, timeZone: moscow)
        #expect(dl3.dueAt == at(2024, 3, 5, 11))
    }

    @Test func pausesOverNightWeekendAndHolidayAndShortenedDay() {
        // Thu 7 Mar 2024 is shortened (closes 17:00); 8 Mar holiday; 9–10 weekend.
        let dl = SLA.deadline(start: at(2024, 3, 7, 16, 30), policy: p2, calendar: cal, timeZone: moscow)
        #expect(dl.dueAt == at(2024, 3, 11, 10, 30))
        // Evening post → clock starts next opening.
        let dl2 = SLA.deadline(start: at(2024, 3, 4, 20), policy: p2, calendar: cal, timeZone: moscow)
        #expect(dl2.dueAt == at(2024, 3, 5, 11))
        // Working Saturday 27 Apr 2024 has full hours.
        let dl3 = SLA.deadline(start: at(2024, 4, 27, 10), policy: p2, calendar: cal, timeZone: moscow)
        #expect(dl3.dueAt == at(2024, 4, 27, 12))
        // Over New Year: Fri 27 Dec 17:00 + 4h → 1h Fri, Sat 28 Dec (working, 9–18) 3h → 12:00.
        let dl4 = SLA.deadline(start: at(2024, 12, 27, 17), policy: .incidentFirstReaction(hours: 4), calendar: cal, timeZone: moscow)
        #expect(dl4.dueAt == at(2024, 12, 28, 12))
        // 10 working hours from Sat 28 Dec 17:00 → 1h on 28 Dec, then 30/31 Dec off, 1–8 Jan → 9 Jan 18:00.
        let dl5 = SLA.deadline(start: at(2024, 12, 28, 17), policy: .incidentFirstReaction(hours: 10), calendar: cal, timeZone: moscow)
        #expect(dl5.dueAt == at(2025, 1, 9, 18))
    }

    @Test func workingTimeBetween() {
        #expect(SLA.workingTime(from: at(2024, 3, 7, 8), to: at(2024, 3, 11, 12), calendar: cal, timeZone: moscow) == 11 * 3600)
        #expect(SLA.workingTime(from: at(2024, 3, 11, 12), to: at(2024, 3, 7, 8), calendar: cal, timeZone: moscow) == 0)
        // Whole 2024 year = 1979 h (40-hour norm).
        let y = SLA.workingTime(from: at(2024, 1, 1, 0), to: at(2025, 1, 1, 0), hours: .hours(9, 17), calendar: cal, timeZone: moscow)
        #expect(y == 1979 * 3600)
    }

    @Test func breaksAndFridaySchedule() {
        let civil = BusinessHours(open: 9 * 3600, close: 18 * 3600, closeByWeekday: [5: 16 * 3600 + 45 * 60],
                                  breaks: [13 * 3600...(13 * 3600 + 48 * 60)])
        // Mon: 9–13 + 13:48–18 = 8h12m.
        #expect(SLA.workingTime(from: at(2024, 3, 4, 0), to: at(2024, 3, 5, 0), hours: civil, calendar: cal, timeZone: moscow) == 8 * 3600 + 12 * 60)
        // Fri: 9–13 + 13:48–16:45 = 6h57m.
        #expect(SLA.workingTime(from: at(2024, 3, 1, 0), to: at(2024, 3, 2, 0), hours: civil, calendar: cal, timeZone: moscow) == 6 * 3600 + 57 * 60)
        // 4h30m from 12:00 Mon: 12–13 (1h), 13:48–17:18 (3h30).
        let p = SLAPolicy(name: "x", amount: 270, unit: .workingMinutes, businessHours: civil)
        #expect(SLA.deadline(start: at(2024, 3, 4, 12), policy: p, calendar: cal, timeZone: moscow).dueAt == at(2024, 3, 4, 17, 18))
    }

    @Test func dstWeekendInNewYork() {
        // Fri 6 Mar 2015 17:00 EST + 2 working hours → Mon 9 Mar 10:00 EDT; 64 h elapsed (clock lost an hour).
        let plain = ProductionCalendar.weekendsOnly()
        let start = at(2015, 3, 6, 17, 0, 0, newYork)
        let dl = SLA.deadline(start: start, policy: p2, calendar: plain, timeZone: newYork)
        #expect(dl.dueAt == utc("2015-03-09T14:00:00Z"))
        #expect(dl.dueAt.timeIntervalSince(start) == 64 * 3600)
        #expect(SLA.workingTime(from: start, to: dl.dueAt, calendar: plain, timeZone: newYork) == 2 * 3600)
        // Elapsed-hours policy ignores the calendar.
        let e = SLAPolicy(name: "24h", amount: 24, unit: .elapsedHours)
        #expect(SLA.deadline(start: start, policy: e, calendar: plain, timeZone: newYork).dueAt == start.addingTimeInterval(86_400))
    }

    @Test func engineBundlesOverrides() {
        let engine = SLAEngine(overrides: [CalendarOverride(date: d(2024, 3, 5), kind: .nonWorking, note: "regional")], timeZone: moscow)
        let dl = engine.deadline(start: at(2024, 3, 4, 17), policy: p2)
        #expect(dl.dueAt == at(2024, 3, 6, 10))
        #expect(engine.workingTime(from: at(2024, 3, 4, 17), to: dl.dueAt) == 2 * 3600)
    }
}
