import Contracts
import Foundation
import RatingEngine
import VecheRuntime

/// Calendar months ("YYYY-MM") in the region's time zone.
struct PeriodCalendar: Sendable {
    let timeZone: TimeZone

    private var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        return c
    }

    func label(of date: Date) -> String {
        let c = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", c.year ?? 1970, c.month ?? 1)
    }

    /// Parses "YYYY-MM"; nil when malformed.
    func month(_ label: String) -> (year: Int, month: Int)? {
        let parts = label.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), (1...12).contains(m), (1900...9999).contains(y) else { return nil }
        return (y, m)
    }

    /// The period `label`, evaluated as of `asOf` (answers known by then count; see RatingPeriod).
    func period(_ label: String, asOf: Date) throws -> RatingPeriod {
        guard let (y, m) = month(label) else {
            throw RPCError.invalidArgument("period must be YYYY-MM (got \"\(label)\")")
        }
        let c = calendar
        guard let start = c.date(from: DateComponents(year: y, month: m, day: 1)),
              let end = c.date(byAdding: .month, value: 1, to: start) else {
            throw RPCError.invalidArgument("period \(label) is out of range")
        }
        return RatingPeriod(label: label, start: start, end: end, asOf: max(asOf, start))
    }

    func previous(_ label: String) -> String? {
        guard let (y, m) = month(label) else { return nil }
        return m == 1 ? String(format: "%04d-12", y - 1) : String(format: "%04d-%02d", y, m - 1)
    }

    /// The last complete month before `now`.
    func lastComplete(now: Date) -> String {
        previous(label(of: now)) ?? label(of: now)
    }
}
