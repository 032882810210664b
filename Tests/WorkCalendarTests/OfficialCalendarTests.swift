import Foundation
import Testing
import VecheTestSupport
@testable import WorkCalendar

/// The production calendar against the official xmlcalendar files, day by day.
@Suite struct OfficialCalendarTests {
    static let sharedDirectory = OfficialCalendarReference.directory()
    let cal = ProductionCalendar.russia

    /// Published yearly totals (working days, 40-hour-week norm) of the official calendars. The published
    /// 2020 and 2021 norms (248 days / 1979 h, 247 / 1972) count the presidential-decree non-working days
    /// (paid, outside the norm) as working; the day-level calendar does not: 29 days (two of them shortened)
    /// fewer in 2020, 7 (one shortened) in 2021.
    static let publishedTotals: [Int: (workingDays: Int, hours40: Int)] = [
        2013: (247, 1970), 2014: (247, 1970), 2015: (247, 1971), 2016: (247, 1974), 2017: (247, 1973),
        2018: (247, 1970), 2019: (247, 1970), 2020: (248 - 29, 1979 - 27 * 8 - 2 * 7), 2021: (247 - 7, 1972 - 6 * 8 - 7),
        2022: (247, 1973), 2023: (247, 1973), 2024: (248, 1979), 2025: (247, 1972), 2026: (247, 1972),
    ]

    static func className(_ k: DayKind) -> OfficialCalendarReference.Day {
        switch k {
        case .working: return .working
        case .shortened: return .shortened
        case .weekend, .holiday, .dayOff: return .nonWorking
        }
    }

    /// Days of `files` on which the calendar disagrees, as "date: expected / actual".
    func disagreements(_ files: [Int: URL]) throws -> (days: Int, wrong: [String]) {
        var n = 0
        var wrong: [String] = []
        for (year, file) in files.sorted(by: { $0.key < $1.key }) {
            for (iso, expected) in try OfficialCalendarReference.days(year: year, file: file) {
                let date = try #require(CivilDate(iso: iso))
                let actual = Self.className(cal.kind(of: date))
                n += 1
                if actual != expected { wrong.append("\(iso): \(expected) / \(actual)") }
            }
        }
        return (n, wrong)
    }

    @Test(.enabled(if: sharedDirectory != nil))
    func everyDayOfEveryYearAgreesWithSharedData() throws {
        let files = OfficialCalendarReference.files(in: try #require(Self.sharedDirectory))
        #expect(files.keys.sorted() == Array(2013...2026))
        let r = try disagreements(files)
        #expect(r.days == 5_113)
        #expect(r.wrong == [])
        for y in files.keys { #expect(cal.isOfficial(year: y)) }
    }

    @Test func everyDayAgreesWithTheBundledFilesReadIndependently() throws {
        let dir = try #require(CalendarLibrary.bundledDirectory).appendingPathComponent("ru")
        let files = OfficialCalendarReference.files(in: dir)
        #expect(files.count >= 14)
        #expect(try disagreements(files).wrong == [])
    }

    @Test(arguments: Array(publishedTotals.keys).sorted())
    func yearTotalsMatchPublishedCalendars(year: Int) {
        let s = cal.yearSummary(year)
        #expect(s.workingDays == Self.publishedTotals[year]?.workingDays)
        #expect(s.hours40 == Self.publishedTotals[year]?.hours40)
    }

    @Test func decreeNonWorkingDaysAreInTheCalendar() {
        // Указ № 206: 30 Mar – 3 Apr 2020; № 239: to 30 Apr; № 345: 24 Jun; № 354: 1 Jul; 2021: № 242 (4–7 May), № 595 (1–3 Nov).
        for date in [d(2020, 3, 30), d(2020, 4, 15), d(2020, 5, 6), d(2020, 6, 24), d(2020, 7, 1), d(2021, 5, 4), d(2021, 11, 2)] {
            #expect(cal.kind(of: date) == .holiday, "\(date)")
        }
        #expect(cal.holidayName(d(2020, 3, 30)) == "Нерабочая неделя (Указ Президента от 25.03.2020 №206)")
        #expect(cal.holidayName(d(2026, 1, 7)) == "Рождество Христово")
        // 2013 and 2014 transfers come from the files too (not derivable from the statute).
        #expect(cal.kind(of: d(2013, 5, 2)) == .dayOff)
        #expect(cal.kind(of: d(2014, 3, 10)) == .dayOff)
        #expect(cal.kind(of: d(2014, 11, 3)) == .dayOff)
    }

    @Test func yearWithoutFileFallsBackToStatuteWithMarker() {
        #expect(!cal.isOfficial(year: 2027))
        #expect(cal.yearData(2027).source.contains("Statutory rules only"))
        #expect(cal.yearData(2026).source == "ru/2026.xml")
        // Statute: 23 Feb 2027 is a Tuesday — a holiday, and Monday 22 Feb is its shortened eve.
        #expect(cal.kind(of: d(2027, 2, 23)) == .holiday)
        #expect(cal.kind(of: d(2027, 2, 22)) == .shortened)
        #expect(cal.holidayName(d(2027, 1, 7)) == "Рождество Христово")
    }

    @Test func extraDirectoryAddsAndReplacesYears() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("veche-cal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("ru"), withIntermediateDirectories: true)
        let y2027 = #"<calendar year="2027"><holidays><holiday id="1" title="Новый год"/></holidays><days><day d="01.01" t="1" h="1"/><day d="02.22" t="1"/><day d="02.20" t="2"/></days></calendar>"#
        try Data(y2027.utf8).write(to: dir.appendingPathComponent("ru/2027.xml"))
        let y2026 = #"<calendar year="2026"><days><day d="01.12" t="1"/></days></calendar>"#
        try Data(y2026.utf8).write(to: dir.appendingPathComponent("ru/2026.xml"))
        let c = try CalendarLibrary.calendar("ru", fallback: .russianStatutory, extraDirectory: dir.path)
        #expect(c.isOfficial(year: 2027))
        #expect(c.kind(of: d(2027, 2, 22)) == .dayOff)
        #expect(c.kind(of: d(2027, 2, 20)) == .shortened)
        #expect(c.kind(of: d(2026, 1, 12)) == .dayOff)  // replaced year
        #expect(c.kind(of: d(2026, 1, 7)) == .working)  // … entirely: its holidays are gone too (a Wednesday)
        #expect(c.kind(of: d(2025, 1, 7)) == .holiday)  // other bundled years untouched
    }

    @Test func malformedFilesAreRefusedWithFileAndLine() throws {
        func error(_ xml: String, year: Int? = 2024) -> String {
            do {
                _ = try XMLCalendar.parse(Data(xml.utf8), source: "x.xml", expectedYear: year)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(error(#"<calendar year="2024"><days><day d="02.30" t="1"/></days></calendar>"#).contains("x.xml:1: d=\"02.30\" is not a date of 2024"))
        #expect(error(#"<calendar year="2024"><days><day d="03.01" t="7"/></days></calendar>"#).contains("unknown type t=\"7\""))
        #expect(error(#"<calendar year="2024"><days><day d="03.01" t="1" h="4"/></days></calendar>"#).contains("undeclared holiday id 4"))
        #expect(error(#"<calendar year="2024"><days><day d="03.01" t="1"/><day d="03.01" t="2"/></days></calendar>"#).contains("listed twice"))
        #expect(error(#"<calendar year="2025"></calendar>"#).contains("file is for 2025, expected 2024"))
        #expect(error(#"<calendar year="soon"></calendar>"#).contains("is not a year"))
        #expect(error(#"<calendar year="2024"><days><day d="03.01"/></days></calendar>"#).contains("needs d and t"))
        #expect(error("<calendar year=\"2024\">\n<days><day d=\"03.01\" t=\"1\"></calendar>").contains("x.xml:2: malformed XML"))
        #expect(error(#"<calendar year="2024"><days><day d="03.01" t="1"/>"#).contains("x.xml:1: malformed XML"))
        #expect(error(#"<calendar year="2024">"#).contains("x.xml:1: malformed XML"))
        #expect(error("").contains("x.xml:1: no <calendar"))
    }

    @Test func massachusettsCalendarAsBostonObservesIt() {
        let ma = ProductionCalendar.massachusetts
        #expect(ma.isOfficial(year: 2015))
        #expect(ma.kind(of: d(2015, 4, 20)) == .holiday)      // Patriots' Day
        #expect(ma.holidayName(d(2015, 4, 20)) == "Patriots' Day")
        #expect(ma.isWorkingDay(d(2015, 3, 17)))              // Evacuation Day: business day
        #expect(ma.isWorkingDay(d(2015, 6, 17)))              // Bunker Hill Day: business day
        #expect(ma.isWorkingDay(d(2015, 7, 3)))               // 4 July on a Saturday is not moved
        #expect(ma.isWorkingDay(d(2015, 11, 27)))             // day after Thanksgiving
        #expect(ma.kind(of: d(2016, 12, 26)) == .dayOff)      // Christmas on a Sunday → Monday
        #expect(!ma.isOfficial(year: 2017))
        #expect(ma.kind(of: d(2017, 12, 25)) == .working)     // no file: weekends only
    }
}
