import DataKit
import Foundation

/// Replays the City of Boston 311 cases of 2015 (`shared/data/boston311_2015.csv.gz`) through the
/// SLA engine and compares the engine's on-time verdict with the city's own `OnTime_Status`.
///
/// For every closed case (`CASE_STATUS == "Closed"`, `CLOSED_DT` present) that has a `TARGET_DT`,
/// the three local timestamps (America/New_York, "%m/%d/%Y %I:%M:%S %p") are converted to instants
/// with `LocalClock` (DST-aware), a fixed `Deadline` is built from OPEN_DT → TARGET_DT and
/// `Deadline.isOnTime(closedAt:)` (inclusive: closed ≤ target) gives ONTIME/OVERDUE.
///
/// ## Findings (2015 file, 121,145 rows)
/// * 79,208 closed cases have a target. The city labelled 79,126 of them; the engine agrees with
///   **every labelled case (100.000%)**.
/// * The remaining **82 cases have an empty `OnTime_Status`** (the city never computed it). All of
///   them were closed *after* their target (mostly "Abandoned Vehicles" and "Street Light Outages"
///   closed weeks or months late), so the engine says OVERDUE and they count as disagreements in
///   the raw comparison: 79,126 / 79,208 = **99.896%** over all closed-with-target cases.
///   `agreementShareOfLabelled` excludes them; `agreementShareOfAll` keeps them.
/// * No case is decided by the DST rules: the 2015-03-08 gap and the 2015-11-01 repeated hour
///   only matter when target and close fall within an hour of each other across a transition;
///   only one timestamp of the file lies in the repeated hour (`ambiguousTimestamps`) and it does not
///   change any verdict (agreement among labelled cases stays 100%).
/// * 27% of all targets are exactly 08:30 — Boston's SLA clock moves deadlines that would fall
///   outside business hours to the next business-day start, the same "move to the next working
///   moment" idea as Civil Code art. 193.
/// * Department stats are per the `Department` column; close time is CLOSED_DT − OPEN_DT in hours
///   over all closed cases (with or without a target).
public enum Boston311Replay {
    public struct DepartmentStats: Sendable, Hashable {
        public var department: String
        /// All cases of the department in the file.
        public var volume: Int
        public var closed: Int
        public var closedWithTarget: Int
        /// Closed-with-target cases the engine judges on time.
        public var onTime: Int
        public var onTimeShare: Double?
        /// Hours from OPEN_DT to CLOSED_DT over closed cases; quantiles use linear interpolation
        /// between order statistics (Hyndman–Fan type 7, R/numpy default).
        public var medianCloseHours: Double?
        public var p90CloseHours: Double?
    }

    public struct Disagreement: Sendable, Hashable {
        public var caseID: String
        public var type: String
        public var open: String
        public var target: String
        public var closed: String
        public var cityStatus: String
        public var engineOnTime: Bool
    }

    public struct Result: Sendable {
        public var rows: Int
        public var closedCases: Int
        public var closedWithTarget: Int
        /// Closed-with-target cases whose `OnTime_Status` is ONTIME or OVERDUE.
        public var labelled: Int
        public var agreements: Int
        /// Closed-with-target cases with an empty `OnTime_Status`.
        public var unlabelled: Int
        public var unlabelledEngineOverdue: Int
        public var disagreementsAmongLabelled: Int
        public var unparsable: Int
        public var ambiguousTimestamps: Int
        public var departments: [DepartmentStats]
        public var disagreements: [Disagreement]

        public var agreementShareOfLabelled: Double { labelled == 0 ? 0 : Double(agreements) / Double(labelled) }
        public var agreementShareOfAll: Double { closedWithTarget == 0 ? 0 : Double(agreements) / Double(closedWithTarget) }
    }

    public static let timeZone = TimeZone(identifier: "America/New_York") ?? TimeZone(secondsFromGMT: -5 * 3600) ?? .current

    /// Default file location, found from this source file (or `VECHE_SHARED_DATA`).
    public static func defaultPath(from filePath: String = #filePath) -> String? {
        guard let dir = DataFiles.sharedDataDirectory(from: filePath) else { return nil }
        return dir + "/boston311_2015.csv.gz"
    }

    public static func run(path: String) throws -> Result { run(table: try CSVTable.load(path: path)) }

    /// Parses "MM/dd/yyyy hh:mm:ss AM" into a local reading.
    public static func parseLocal(_ s: String) -> LocalDateTime? {
        let b = Array(s.utf8)
        guard b.count >= 22 else { return nil }
        func num(_ from: Int, _ len: Int) -> Int? {
            var v = 0
            for i in from..<(from + len) {
                let c = b[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let mo = num(0, 2), let d = num(3, 2), let y = num(6, 4), let h = num(11, 2), let mi = num(14, 2),
              let se = num(17, 2), let date = CivilDate(year: y, month: mo, day: d), (1...12).contains(h) else { return nil }
        let pm = b[20] == UInt8(ascii: "P")
        let h24 = (h % 12) + (pm ? 12 : 0)
        return LocalDateTime(date: date, hour: h24, minute: mi, second: se)
    }

    static func isAmbiguous(_ l: LocalDateTime, tz: TimeZone) -> Bool {
        let i = LocalClock.instant(l, in: tz)
        let later = i.addingTimeInterval(3600)
        return LocalClock.local(later, in: tz) == l
    }

    public static func run(table: CSVTable) -> Result {
        let tz = timeZone
        var res = Result(rows: table.rows.count, closedCases: 0, closedWithTarget: 0, labelled: 0, agreements: 0,
                         unlabelled: 0, unlabelledEngineOverdue: 0, disagreementsAmongLabelled: 0, unparsable: 0,
                         ambiguousTimestamps: 0, departments: [], disagreements: [])
        struct Acc { var volume = 0, closed = 0, withTarget = 0, onTime = 0; var hours: [Double] = [] }
        var depts: [String: Acc] = [:]
        var offsetCache: [Int: Int] = [:] // local hour bucket → resolved instant offset, speeds up conversion
        func instant(_ l: LocalDateTime) -> Date {
            let key = l.date.dayNumber * 24 + l.secondsOfDay / 3600
            if let off = offsetCache[key] {
                return Date(timeIntervalSince1970: TimeInterval(l.date.dayNumber * 86_400 + l.secondsOfDay - off))
            }
            let i = LocalClock.instant(l, in: tz)
            let off = l.date.dayNumber * 86_400 + l.secondsOfDay - Int(i.timeIntervalSince1970)
            // Cache only hours unaffected by a transition (a gap hour shifts, an ambiguous one repeats).
            if LocalClock.local(i, in: tz) == l && !isAmbiguous(l, tz: tz) { offsetCache[key] = off }
            return i
        }
        for row in table.rows {
            let dept = table.value(row, "Department")
            var acc = depts[dept] ?? Acc()
            acc.volume += 1
            defer { depts[dept] = acc }
            let closedS = table.value(row, "CLOSED_DT")
            guard table.value(row, "CASE_STATUS") == "Closed", !closedS.isEmpty else { continue }
            guard let openL = parseLocal(table.value(row, "OPEN_DT")), let closedL = parseLocal(closedS) else {
                res.unparsable += 1
                continue
            }
            res.closedCases += 1
            acc.closed += 1
            let open = instant(openL), closed = instant(closedL)
            acc.hours.append(closed.timeIntervalSince(open) / 3600)
            let targetS = table.value(row, "TARGET_DT")
            guard !targetS.isEmpty else { continue }
            guard let targetL = parseLocal(targetS) else { res.unparsable += 1; continue }
            for l in [openL, closedL, targetL] where l.date.month == 11 && l.date.day <= 7 && isAmbiguous(l, tz: tz) {
                res.ambiguousTimestamps += 1
            }
            let deadline = Deadline.fixed(start: open, dueAt: instant(targetL), timeZone: tz)
            let engineOnTime = deadline.isOnTime(closedAt: closed)
            res.closedWithTarget += 1
            acc.withTarget += 1
            if engineOnTime { acc.onTime += 1 }
            let city = table.value(row, "OnTime_Status")
            if city == "ONTIME" || city == "OVERDUE" {
                res.labelled += 1
                if (city == "ONTIME") == engineOnTime {
                    res.agreements += 1
                    continue
                }
                res.disagreementsAmongLabelled += 1
            } else {
                res.unlabelled += 1
                if !engineOnTime { res.unlabelledEngineOverdue += 1 }
            }
            res.disagreements.append(Disagreement(caseID: table.value(row, "CASE_ENQUIRY_ID"), type: table.value(row, "TYPE"),
                                                  open: table.value(row, "OPEN_DT"), target: targetS, closed: closedS,
                                                  cityStatus: city, engineOnTime: engineOnTime))
        }
        res.departments = depts.map { key, a in
            let sorted = a.hours.sorted()
            return DepartmentStats(department: key, volume: a.volume, closed: a.closed, closedWithTarget: a.withTarget,
                                   onTime: a.onTime, onTimeShare: a.withTarget == 0 ? nil : Double(a.onTime) / Double(a.withTarget),
                                   medianCloseHours: quantile7(sorted, 0.5), p90CloseHours: quantile7(sorted, 0.9))
        }.sorted { ($0.volume, $1.department) > ($1.volume, $0.department) }
        return res
    }

    /// Type-7 quantile of an ascending array: h = (n−1)p, x[⌊h⌋] + (h−⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]).
    static func quantile7(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let h = Double(sorted.count - 1) * p
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }
}
