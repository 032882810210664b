import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reader of production calendars in the xmlcalendar format (github.com/xmlcalendar/data, the data
/// behind xmlcalendar.ru): one file per year,
///
/// ```xml
/// <calendar year="2020" lang="ru" date="2020.06.17" country="ru">
///   <holidays><holiday id="9" title="Нерабочая неделя (Указ Президента от 25.03.2020 №206)"/></holidays>
///   <days><day d="03.30" t="1" h="9"/> <day d="06.11" t="2"/> <day d="02.20" t="3"/></days>
/// </calendar>
/// ```
///
/// `t="1"` is a non-working day (with `h` a named holiday or decree non-working day, without `h` a
/// transferred day off; `f` says where it was moved from), `t="2"` a shortened working day, `t="3"` a
/// working Saturday/Sunday. Every Saturday and Sunday not listed is a day off, every other weekday an
/// ordinary working day.
public enum XMLCalendar {
    /// Why a calendar file was rejected; names the file and, where known, the line.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let source: String
        public let line: Int
        public let reason: String
        public var description: String { "\(source):\(line): \(reason)" }
    }

    /// Parses one year. `source` names the file in errors and in `CalendarYear.source`; `expectedYear`,
    /// when given, must match the file's `year` attribute (a 2027 file saved as 2026.xml is refused).
    public static func parse(_ data: Data, source: String, expectedYear: Int? = nil) throws -> CalendarYear {
        let reader = Reader(source: source)
        let parser = XMLParser(data: data)
        parser.delegate = reader
        parser.shouldResolveExternalEntities = false
        // swift-corelibs-foundation's parse() can return true after a libxml2 error: check the error too.
        let ok = parser.parse()
        if let failure = reader.failure { throw failure }
        if !ok || parser.parserError != nil {
            let code = (parser.parserError as NSError?)?.code ?? -1
            throw ParseError(source: source, line: reader.errorLine ?? parser.lineNumber, reason: "malformed XML (parser error \(code))")
        }
        guard let year = reader.year else { throw ParseError(source: source, line: 1, reason: "no <calendar year=…> element") }
        if let expectedYear, expectedYear != year {
            throw ParseError(source: source, line: 1, reason: "file is for \(year), expected \(expectedYear)")
        }
        return try reader.build(year: year)
    }

    /// Collects elements; all validation that needs the year happens in `build`.
    private final class Reader: NSObject, XMLParserDelegate {
        struct Day { let monthDay: String; let type: String; let holiday: String?; let line: Int }
        let source: String
        var year: Int?
        var titles: [String: String] = [:]
        var days: [Day] = []
        var failure: ParseError?
        var errorLine: Int?

        init(source: String) { self.source = source }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            if errorLine == nil { errorLine = parser.lineNumber }
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes a: [String: String] = [:]) {
            switch name {
            case "calendar":
                guard let y = a["year"].flatMap({ Int($0) }), (1900...2200).contains(y) else {
                    return fail(parser, "calendar year \(a["year"] ?? "missing") is not a year")
                }
                year = y
            case "holiday":
                guard let id = a["id"], !id.isEmpty else { return fail(parser, "holiday without id") }
                titles[id] = a["title"] ?? ""
            case "day":
                guard let d = a["d"], let t = a["t"] else { return fail(parser, "day needs d and t attributes") }
                days.append(Day(monthDay: d, type: t, holiday: a["h"], line: parser.lineNumber))
            default:
                break
            }
        }

        private func fail(_ parser: XMLParser, _ reason: String) {
            if failure == nil { failure = ParseError(source: source, line: parser.lineNumber, reason: reason) }
            parser.abortParsing()
        }

        func build(year: Int) throws -> CalendarYear {
            var holidays = Set<CivilDate>(), daysOff = Set<CivilDate>(), workingWeekend = Set<CivilDate>(), shortened = Set<CivilDate>()
            var names: [CivilDate: String] = [:]
            var seen = Set<CivilDate>()
            for day in days {
                let parts = day.monthDay.split(separator: ".")
                guard parts.count == 2, let m = Int(parts[0]), let d = Int(parts[1]),
                      let date = CivilDate(year: year, month: m, day: d) else {
                    throw ParseError(source: source, line: day.line, reason: "d=\"\(day.monthDay)\" is not a date of \(year) (MM.DD)")
                }
                guard seen.insert(date).inserted else {
                    throw ParseError(source: source, line: day.line, reason: "\(date) is listed twice")
                }
                switch day.type {
                case "1":
                    if let h = day.holiday {
                        guard let title = titles[h] else {
                            throw ParseError(source: source, line: day.line, reason: "\(date) refers to undeclared holiday id \(h)")
                        }
                        holidays.insert(date)
                        names[date] = title
                    } else {
                        daysOff.insert(date)
                    }
                case "2": shortened.insert(date)
                case "3": workingWeekend.insert(date)
                default:
                    throw ParseError(source: source, line: day.line, reason: "\(date) has unknown type t=\"\(day.type)\" (1, 2 or 3)")
                }
            }
            return CalendarYear(year: year, holidays: holidays, daysOff: daysOff, workingWeekendDays: workingWeekend,
                                shortenedDays: shortened, holidayNames: names, source: source, isOfficial: true)
        }
    }
}
