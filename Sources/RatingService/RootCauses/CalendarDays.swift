import Contracts
import Foundation

/// Calendar days in the region's time zone for root-cause targets and indicators: ISO «YYYY-MM-DD» on the wire
/// and in the schema; people may also type «ДД.ММ.ГГГГ».
struct CalendarDays: Sendable {
    let timeZone: TimeZone

    private var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        return c
    }

    /// «2026-12-31» or «31.12.2026» → «2026-12-31»; "" → nil; anything else (or a day that does not exist) → 400.
    func parse(_ raw: String, field: String) throws -> String? {
        let t = raw.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return nil }
        var y = 0, m = 0, d = 0
        let dash = t.split(separator: "-", omittingEmptySubsequences: false)
        let dot = t.split(separator: ".", omittingEmptySubsequences: false)
        func num(_ s: Substring, _ n: Int) -> Int? { s.count == n && s.allSatisfy { $0.isASCII && $0.isNumber } ? Int(s) : nil }
        if dash.count == 3, let yy = num(dash[0], 4), let mm = num(dash[1], 2), let dd = num(dash[2], 2) {
            (y, m, d) = (yy, mm, dd)
        } else if dot.count == 3, let dd = num(dot[0], 2), let mm = num(dot[1], 2), let yy = num(dot[2], 4) {
            (y, m, d) = (yy, mm, dd)
        } else {
            throw RPCError.invalidArgument("\(field) must be a date ДД.ММ.ГГГГ or YYYY-MM-DD (got \"\(raw)\")")
        }
        guard (2000...2100).contains(y), let date = calendar.date(from: DateComponents(year: y, month: m, day: d)),
              calendar.dateComponents([.year, .month, .day], from: date) == DateComponents(year: y, month: m, day: d) else {
            throw RPCError.invalidArgument("\(field): \(raw) is not a day of the calendar (years 2000–2100)")
        }
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    /// The instant the ISO day starts.
    func start(_ iso: String) -> Date {
        let p = iso.split(separator: "-").compactMap { Int($0) }
        guard p.count == 3 else { return Date(timeIntervalSince1970: 0) }
        return calendar.date(from: DateComponents(year: p[0], month: p[1], day: p[2])) ?? Date(timeIntervalSince1970: 0)
    }

    /// The instant after the ISO day ends.
    func end(_ iso: String) -> Date { calendar.date(byAdding: .day, value: 1, to: start(iso)) ?? start(iso) }

    func iso(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 1970, c.month ?? 1, c.day ?? 1)
    }

    func adding(days: Int, to iso: String) -> String { self.iso(calendar.date(byAdding: .day, value: days, to: start(iso)) ?? start(iso)) }

    /// Whole days from the start of `from` to the start of `to` (ISO days).
    func days(from: String, to: String) -> Int { calendar.dateComponents([.day], from: start(from), to: start(to)).day ?? 0 }
}
