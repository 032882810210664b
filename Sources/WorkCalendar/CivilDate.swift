import Foundation

/// A date on the proleptic Gregorian calendar with no time and no time zone
/// ("14 May 2024" as printed on a decree). All calendar tables use it.
public struct CivilDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Creates a date; returns nil for impossible dates such as 30 February.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysInMonth(year: year, month: month) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Trusted initialiser for literal tables; invalid input is clamped into range rather than trapping.
    init(_ year: Int, _ month: Int, _ day: Int) {
        let m = min(max(month, 1), 12)
        self.year = year
        self.month = m
        self.day = min(max(day, 1), CivilDate.daysInMonth(year: year, month: m))
    }

    /// Parses "YYYY-MM-DD".
    public init?(iso: String) {
        let parts = iso.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01 (negative before). Algorithm: H. Hinnant, "days_from_civil".
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(dayNumber z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var isoWeekday: Int {
        let w = (dayNumber + 3) % 7 // 1970-01-01 was a Thursday (ISO 4)
        return (w < 0 ? w + 7 : w) + 1
    }

    public var isWeekend: Bool { isoWeekday >= 6 }

    public func adding(days: Int) -> CivilDate { CivilDate(dayNumber: dayNumber + days) }

    public func days(until other: CivilDate) -> Int { other.dayNumber - dayNumber }

    public static func < (a: CivilDate, b: CivilDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    public var description: String {
        let y = String(year)
        let m = month < 10 ? "0\(month)" : "\(month)"
        let d = day < 10 ? "0\(day)" : "\(day)"
        return "\(y)-\(m)-\(d)"
    }

    /// The date as Russian letters and notices write it: "31.03.2027".
    public var russian: String { String(format: "%02d.%02d.%04d", day, month, year) }

    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// A local wall-clock reading: civil date plus seconds since local midnight.
public struct LocalDateTime: Hashable, Sendable {
    public var date: CivilDate
    /// 0 ..< 86_400 (wall-clock seconds after midnight).
    public var secondsOfDay: Int

    public init(date: CivilDate, secondsOfDay: Int) {
        self.date = date
        self.secondsOfDay = secondsOfDay
    }

    public init(date: CivilDate, hour: Int, minute: Int = 0, second: Int = 0) {
        self.init(date: date, secondsOfDay: hour * 3600 + minute * 60 + second)
    }
}

/// Conversions between instants and local wall-clock time in an explicit `TimeZone`.
///
/// DST policy (same as Foundation's `Calendar` default):
/// * a wall time that does not exist (spring-forward gap, e.g. 02:30 on 8 Mar 2015 in New York)
///   is moved forward by the length of the gap (→ 03:30 EDT);
/// * an ambiguous wall time (autumn fall-back, 01:30 on 1 Nov 2015 in New York) resolves
///   to the *first* occurrence (EDT).
public enum LocalClock {
    public static func local(_ instant: Date, in tz: TimeZone) -> LocalDateTime {
        let t = Int(floor(instant.timeIntervalSince1970))
        let wall = t + tz.secondsFromGMT(for: instant)
        let day = floorDiv(wall, 86_400)
        return LocalDateTime(date: CivilDate(dayNumber: day), secondsOfDay: wall - day * 86_400)
    }

    public static func civilDate(of instant: Date, in tz: TimeZone) -> CivilDate { local(instant, in: tz).date }

    /// The last day of a term that ends at `dueAt`: a term ending at midnight is due at 00:00 of the next day, so this
    /// is the day of the instant just before it ("до 31.03", not "до 01.04").
    public static func lastDay(ofTermEndingAt dueAt: Date, in tz: TimeZone) -> CivilDate {
        civilDate(of: dueAt.addingTimeInterval(-0.001), in: tz)
    }

    /// The instant at which the local wall clock shows `date` + `secondsOfDay`.
    /// `secondsOfDay` may be 86_400 (= next midnight) or any value; it is added to local midnight in wall time.
    public static func instant(_ date: CivilDate, secondsOfDay: Int, in tz: TimeZone) -> Date {
        let wall = date.dayNumber * 86_400 + secondsOfDay
        var offsets = Set<Int>()
        for probe in [wall - 86_400, wall, wall + 86_400] {
            offsets.insert(tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(probe))))
        }
        var valid: [Int] = []
        for o in offsets where tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(wall - o))) == o {
            valid.append(o)
        }
        let chosen: Int
        if let maxValid = valid.max() {
            chosen = maxValid // earliest instant when ambiguous
        } else {
            chosen = offsets.min() ?? 0 // gap: interpret with the pre-transition offset → shifts forward
        }
        return Date(timeIntervalSince1970: TimeInterval(wall - chosen))
    }

    public static func instant(_ local: LocalDateTime, in tz: TimeZone) -> Date {
        instant(local.date, secondsOfDay: local.secondsOfDay, in: tz)
    }

    /// Local midnight at the start of `date`.
    public static func startOfDay(_ date: CivilDate, in tz: TimeZone) -> Date { instant(date, secondsOfDay: 0, in: tz) }

    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
