import Contracts
import Foundation
import WorkCalendar

/// Pure calendar / SLA computations over `WorkCalendar` (no I/O), used by the handlers.
enum CalendarMath {
    static func overrideKind(_ s: String) -> CalendarOverride.Kind? {
        switch s {
        case "non_working": return .nonWorking
        case "working": return .working
        case "shortened": return .shortened
        default: return nil
        }
    }

    static func overrideKindName(_ k: CalendarOverride.Kind) -> String {
        switch k {
        case .nonWorking: return "non_working"
        case .working: return "working"
        case .shortened: return "shortened"
        }
    }

    static func dayKindName(_ k: DayKind) -> String {
        switch k {
        case .working: return "working"
        case .shortened: return "shortened"
        case .weekend: return "weekend"
        case .holiday: return "holiday"
        case .dayOff: return "day_off"
        }
    }

    /// Federal calendar (official xmlcalendar files, statutory rules for other years) with the region's
    /// stored overrides applied.
    static func calendar(overrides: [CalendarOverride]) -> ProductionCalendar {
        overrides.isEmpty ? .russia : ProductionCalendar.russia.applying(overrides)
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

    struct Due: Sendable, Equatable {
        var register: Date?
        var forward: Date?
        var answer: Date?
        var firstReaction: Date?
    }

    enum DueError: Error, Equatable { case noExtension(String) }

    /// Deadlines of one channel's policy for an appeal received/registered at `start`.
    /// Day terms follow 59-ФЗ + Civil Code art. 191–194 (count from the next day, a last day that is
    /// non-working moves to the next working day, due at 24:00 local); `working_days` policies count
    /// working days instead. The first reaction runs on the working-hour business clock.
    static func deadlines(policy p: AgencyV1.SlaPolicy, start: Date, extended: Bool,
                          calendar: ProductionCalendar, timeZone: TimeZone) throws -> Due {
        let unit: SLAUnit = p.workingDays ? .workingDays : .calendarDays
        let hours = BusinessHours(open: Int(p.businessDayStartMinute) * 60, close: Int(p.businessDayEndMinute) * 60)
        func due(_ name: String, _ amount: Int32, extensionDays: Int32 = 0, extend: Bool = false) throws -> Date? {
            guard amount > 0 else { return nil }
            let policy = SLAPolicy(name: "\(p.channel) \(name)", amount: Int(amount), unit: unit, businessHours: hours,
                                   extensionAmount: extensionDays > 0 ? Int(extensionDays) : nil, maxExtensions: 1)
            let d = SLA.deadline(start: start, policy: policy, calendar: calendar, timeZone: timeZone)
            guard extend else { return d.dueAt }
            do {
                return try SLA.extend(d, calendar: calendar, timeZone: timeZone).dueAt
            } catch {
                throw DueError.noExtension(p.channel)
            }
        }
        var out = Due()
        out.register = try due("registration", p.registerDays)
        out.forward = try due("forwarding", p.forwardDays)
        out.answer = try due("answer", p.answerDays, extensionDays: p.extensionDays, extend: extended)
        if p.firstReactionWorkingHours > 0 {
            let policy = SLAPolicy.incidentFirstReaction(hours: Int(p.firstReactionWorkingHours), businessHours: hours)
            out.firstReaction = SLA.deadline(start: start, policy: policy, calendar: calendar, timeZone: timeZone).dueAt
        }
        return out
    }
}
