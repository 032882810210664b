import Contracts
import Foundation
import WorkCalendar

/// The calendar view of GetCalendar over `WorkCalendar` (pure; deadlines are `DeadlineEngine`'s).
enum CalendarMath {
    static func dayKindName(_ k: DayKind) -> String {
        switch k {
        case .working: return "working"
        case .shortened: return "shortened"
        case .weekend: return "weekend"
        case .holiday: return "holiday"
        case .dayOff: return "day_off"
        }
    }

    static func days(year: Int, calendar: ProductionCalendar, overrides: [CalendarOverride]) -> [AgencyV1.CalendarDay] {
        guard let start = CivilDate(year: year, month: 1, day: 1), let end = CivilDate(year: year + 1, month: 1, day: 1) else { return [] }
        let byDate = Dictionary(overrides.map { ($0.date, $0) }, uniquingKeysWith: { _, last in last })
        var out: [AgencyV1.CalendarDay] = []
        out.reserveCapacity(366)
        var d = start
        while d < end {
            let kind = calendar.kind(of: d)
            var note = ""
            if let o = byDate[d], !o.note.isEmpty {
                note = o.note
            } else {
                switch kind {
                case .holiday: note = calendar.holidayName(d) ?? "Нерабочий праздничный день"
                case .dayOff: note = "Выходной день (перенос)"
                case .shortened: note = "Предпраздничный день, сокращён на 1 час"
                case .working: note = d.isWeekend ? "Рабочий день (перенос выходного)" : ""
                case .weekend: note = ""
                }
            }
            let hours: Int32 = kind == .working ? 8 : kind == .shortened ? 7 : 0
            out.append(AgencyV1.CalendarDay(date: d.description, working: kind.isWorking, workingHours: hours, note: note, kind: dayKindName(kind)))
            d = d.adding(days: 1)
        }
        return out
    }
}
