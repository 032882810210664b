import Foundation

/// Statutory rules of the Russian production calendar, for years without an official calendar file.
///
/// The published calendars (holidays, the government's yearly transfer decrees, pre-holiday shortened
/// days, presidential non-working days) are data: `Resources/calendars/ru/<year>.xml`, read by
/// `CalendarLibrary`. These rules only fill years no file covers, and such years say so
/// (`CalendarYear.isOfficial == false`).
///
/// Legal basis
/// * Labour Code art. 112 part 1 — non-working holidays: 1–6 and 8 January (New-Year holidays),
///   7 January (Christmas), 23 February, 8 March, 1 May, 9 May, 12 June, 4 November.
/// * art. 112 part 2 — a holiday that falls on a Saturday/Sunday moves to the next working day,
///   EXCEPT the January holidays: the government moves those two weekend days to other dates by decree
///   (and may also move other weekend days to bridge holidays — the yearly "переносы" decree), which
///   rules cannot foresee.
/// * art. 95 — the working day immediately preceding a non-working holiday is one hour shorter.
public enum RussianHolidays {
    /// The art. 112 holidays of a year with their names.
    public static func statutoryHolidays(_ year: Int) -> [(date: CivilDate, name: String)] {
        var d: [(CivilDate, String)] = (1...6).map { (CivilDate(year, 1, $0), "Новогодние каникулы") }
        d += [(CivilDate(year, 1, 7), "Рождество Христово"), (CivilDate(year, 1, 8), "Новогодние каникулы"),
              (CivilDate(year, 2, 23), "День защитника Отечества"), (CivilDate(year, 3, 8), "Международный женский день"),
              (CivilDate(year, 5, 1), "Праздник Весны и Труда"), (CivilDate(year, 5, 9), "День Победы"),
              (CivilDate(year, 6, 12), "День России"), (CivilDate(year, 11, 4), "День народного единства")]
        return d.map { (date: $0.0, name: $0.1) }
    }

    /// Calendar derived from the Labour Code only (no decree transfers), for years without a table.
    public static func statutoryYear(_ year: Int) -> CalendarYear {
        let named = statutoryHolidays(year)
        let holidays = Set(named.map(\.date))
        var daysOff = Set<CivilDate>()
        // art. 112 part 2: non-January holidays on a weekend → next weekday that is neither a holiday nor already off.
        for h in holidays where h.month != 1 && h.isWeekend {
            var d = h.adding(days: 1)
            while d.isWeekend || holidays.contains(d) || daysOff.contains(d) { d = d.adding(days: 1) }
            daysOff.insert(d)
        }
        var shortened = Set<CivilDate>()
        // art. 95: a working weekday immediately before a holiday (31 Dec precedes 1 Jan of the next year).
        var d = CivilDate(year, 1, 1)
        let end = CivilDate(year, 12, 31)
        while d <= end {
            let next = d.adding(days: 1)
            let nextIsHoliday = holidays.contains(next) || (next.month == 1 && next.day == 1)
            if nextIsHoliday, !d.isWeekend, !holidays.contains(d), !daysOff.contains(d) { shortened.insert(d) }
            d = next
        }
        return CalendarYear(year: year, holidays: holidays, daysOff: daysOff, workingWeekendDays: [],
                            shortenedDays: shortened, holidayNames: Dictionary(named.map { ($0.date, $0.name) }) { a, _ in a },
                            source: "Statutory rules only (Labour Code arts. 95, 112); decree transfers unknown",
                            isOfficial: false)
    }
}
