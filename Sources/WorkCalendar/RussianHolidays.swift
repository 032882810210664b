import Foundation

/// Federal Russian production-calendar data.
///
/// Legal basis
/// * Labour Code art. 112 part 1 — non-working holidays: 1–6 and 8 January (New-Year holidays),
///   7 January (Christmas), 23 February, 8 March, 1 May, 9 May, 12 June, 4 November.
/// * art. 112 part 2 — a holiday that falls on a Saturday/Sunday moves to the next working day,
///   EXCEPT the January holidays: the government moves those two weekend days to other dates by decree
///   (and may also move other weekend days to bridge holidays — the yearly "переносы" decree).
/// * art. 95 — the working day immediately preceding a non-working holiday is one hour shorter.
///   The official calendars apply this to some (not all) working Saturdays created by transfers,
///   e.g. 28 Apr 2018 and 2 Nov 2024 were shortened but 27 Apr 2024 was not, so shortened days are
///   tabulated per year rather than derived.
///
/// Data provenance (each year's day lists are checked by the tests against the published yearly
/// totals — working days and the 40-hour-week norm):
/// * 2015–2020: open data set "Производственный календарь" of the Ministry of Economic Development
///   (data.gov.ru 7708660670-proizvcalendar), cross-checked with xmlcalendar.ru. 2020 is the
///   calendar as decreed; the 2020 pandemic and other presidential non-working days are kept apart
///   in `presidentialNonWorkingDays`.
/// * 2021–2026: the government's yearly transfer decrees as tabulated by xmlcalendar.ru
///   (2025 with the December 2024 correction that made Saturday 1 Nov 2025 a shortened day).
/// * 2027: xmlcalendar.ru table dated 2026-09-02 (transfer decree for 2027). It mirrors 2021
///   (same weekday layout). Verify against the published decree before relying on it for legal
///   deadlines; if it changes, correct it with `CalendarOverride`s.
/// * Any other year: `statutoryYear(_:)` — statutory rules only (weekend holidays other than
///   January's move to the next weekday; January weekend coincidences are NOT moved because only
///   a decree can say where; shortened = working day before a holiday). `isOfficial == false`.
public enum RussianHolidays {
    /// The art. 112 holiday dates of a year.
    public static func statutoryHolidays(_ year: Int) -> [CivilDate] {
        var d: [CivilDate] = (1...8).map { CivilDate(year, 1, $0) }
        d += [CivilDate(year, 2, 23), CivilDate(year, 3, 8), CivilDate(year, 5, 1), CivilDate(year, 5, 9),
              CivilDate(year, 6, 12), CivilDate(year, 11, 4)]
        return d
    }

    private static func parse(_ year: Int, _ list: String) -> Set<CivilDate> {
        var out = Set<CivilDate>()
        for item in list.split(separator: " ") {
            let p = item.split(separator: "-")
            if p.count == 2, let m = Int(p[0]), let d = Int(p[1]), let date = CivilDate(year: year, month: m, day: d) {
                out.insert(date)
            }
        }
        return out
    }

    private static func official(_ year: Int, daysOff: String, workingWeekend: String, shortened: String, source: String) -> CalendarYear {
        CalendarYear(year: year, holidays: Set(statutoryHolidays(year)), daysOff: parse(year, daysOff),
                     workingWeekendDays: parse(year, workingWeekend), shortenedDays: parse(year, shortened),
                     source: source, isOfficial: true)
    }

    private static let opendata = "Minekonomrazvitiya open data set (data.gov.ru), cross-checked with xmlcalendar.ru"
    private static let decree = "Government transfer decree, as tabulated by xmlcalendar.ru"

    /// Published calendars 2015–2027 (see the type documentation for sources).
    public static let officialYears: [CalendarYear] = [
        official(2015, daysOff: "01-09 03-09 05-04 05-11", workingWeekend: "",
                 shortened: "04-30 05-08 06-11 11-03 12-31", source: opendata),
        official(2016, daysOff: "02-22 03-07 05-02 05-03 06-13", workingWeekend: "02-20",
                 shortened: "02-20 11-03", source: opendata),
        official(2017, daysOff: "02-24 05-08 11-06", workingWeekend: "",
                 shortened: "02-22 03-07 11-03", source: opendata),
        official(2018, daysOff: "03-09 04-30 05-02 06-11 11-05 12-31", workingWeekend: "04-28 06-09 12-29",
                 shortened: "02-22 03-07 04-28 05-08 06-09 12-29", source: opendata),
        official(2019, daysOff: "05-02 05-03 05-10", workingWeekend: "",
                 shortened: "02-22 03-07 04-30 05-08 06-11 12-31", source: opendata),
        official(2020, daysOff: "02-24 03-09 05-04 05-05 05-11", workingWeekend: "",
                 shortened: "04-30 05-08 06-11 11-03 12-31", source: opendata + "; presidential non-working days excluded"),
        official(2021, daysOff: "02-22 05-03 05-10 06-14 11-05 12-31", workingWeekend: "02-20",
                 shortened: "02-20 04-30 06-11 11-03", source: decree + "; presidential non-working days excluded"),
        official(2022, daysOff: "03-07 05-02 05-03 05-10 06-13", workingWeekend: "03-05",
                 shortened: "02-22 03-05 11-03", source: decree),
        official(2023, daysOff: "02-24 05-08 11-06", workingWeekend: "",
                 shortened: "02-22 03-07 11-03", source: decree),
        official(2024, daysOff: "04-29 04-30 05-10 12-30 12-31", workingWeekend: "04-27 11-02 12-28",
                 shortened: "02-22 03-07 05-08 06-11 11-02", source: decree),
        official(2025, daysOff: "05-02 05-08 06-13 11-03 12-31", workingWeekend: "11-01",
                 shortened: "03-07 04-30 06-11 11-01", source: decree),
        official(2026, daysOff: "01-09 03-09 05-11 12-31", workingWeekend: "",
                 shortened: "04-30 05-08 06-11 11-03", source: decree),
        official(2027, daysOff: "02-22 05-03 05-10 06-14 11-05 12-31", workingWeekend: "02-20",
                 shortened: "02-20 04-30 06-11 11-03",
                 source: decree + " (snapshot dated 2026-09-02; verify against the published decree)"),
    ]

    /// Published yearly totals (working days, 40-hour norm) used by the tests to check the tables.
    public static let publishedTotals: [Int: (workingDays: Int, hours40: Int)] = [
        2015: (247, 1971), 2016: (247, 1974), 2017: (247, 1973), 2018: (247, 1970), 2019: (247, 1970),
        2020: (248, 1979), 2021: (247, 1972), 2022: (247, 1973), 2023: (247, 1973), 2024: (248, 1979),
        2025: (247, 1972),
    ]

    /// Nation-wide paid non-working days declared by presidential decree (not in the base calendar).
    /// 2020: pandemic (Указы № 206, 239, 294), 24 June (Victory parade, № 345), 1 July (constitutional
    /// vote, № 354); 2021: pandemic (№ 242 — 4–7 May; № 595 — 30 Oct–7 Nov). The pandemic decrees
    /// exempted state bodies, so for 59-ФЗ deadlines they normally should NOT be applied; add them
    /// with `ProductionCalendar.applying(_:)` only for organisations that did stop work.
    public static let presidentialNonWorkingDays: [CalendarOverride] = {
        var out: [CalendarOverride] = []
        func add(_ from: CivilDate, _ to: CivilDate, _ note: String) {
            var d = from
            while d <= to {
                if !d.isWeekend { out.append(CalendarOverride(date: d, kind: .nonWorking, note: note)) }
                d = d.adding(days: 1)
            }
        }
        add(CivilDate(2020, 3, 30), CivilDate(2020, 4, 30), "Указы Президента № 206, 239 (COVID-19)")
        add(CivilDate(2020, 5, 6), CivilDate(2020, 5, 8), "Указ Президента № 294 (COVID-19)")
        add(CivilDate(2020, 6, 24), CivilDate(2020, 6, 24), "Указ Президента № 345 (парад Победы)")
        add(CivilDate(2020, 7, 1), CivilDate(2020, 7, 1), "Указ Президента № 354 (голосование по поправкам)")
        add(CivilDate(2021, 5, 4), CivilDate(2021, 5, 7), "Указ Президента № 242 (COVID-19)")
        add(CivilDate(2021, 11, 1), CivilDate(2021, 11, 3), "Указ Президента № 595 (COVID-19)")
        return out
    }()

    /// Calendar derived from the Labour Code only (no decree transfers), for years without a table.
    public static func statutoryYear(_ year: Int) -> CalendarYear {
        let holidays = Set(statutoryHolidays(year))
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
                            shortenedDays: shortened,
                            source: "Statutory rules only (Labour Code arts. 95, 112); decree transfers unknown",
                            isOfficial: false)
    }
}
