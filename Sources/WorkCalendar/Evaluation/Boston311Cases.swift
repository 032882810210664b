import DataKit
import Foundation

/// One City of Boston 311 case with the deadline the city's system set (`shared/data/boston311_2015.csv.gz`,
/// City of Boston open data via github johnsliao/bostonservicemap, MIT).
public struct Boston311Case: Sendable, Hashable {
    public var id: String
    /// The `TYPE` column (158 case types in 2015).
    public var type: String
    /// `OPEN_DT` as an instant.
    public var open: Date
    /// `TARGET_DT`, the city's deadline, as an instant.
    public var target: Date
}

/// Reads the Boston 311 file: local "MM/dd/yyyy hh:mm:ss AM" timestamps in America/New_York, converted
/// with `LocalClock` (DST-aware).
public enum Boston311Cases {
    public static let timeZone = TimeZone(identifier: "America/New_York") ?? TimeZone(secondsFromGMT: -5 * 3600) ?? .gmt

    /// Every row, and the cases among them that have an opening time and a target.
    public struct File: Sendable {
        public var rows: Int
        public var cases: [Boston311Case]
        /// Rows with a `TARGET_DT` whose `OPEN_DT` or `TARGET_DT` does not parse.
        public var unparsable: Int
    }

    /// Default file location, found from this source file (or `VECHE_SHARED_DATA`).
    public static func defaultPath(from filePath: String = #filePath) -> String? {
        DataFiles.sharedDataDirectory(from: filePath).map { $0 + "/boston311_2015.csv.gz" }
    }

    public static func load(path: String) throws -> File { read(try CSVTable.load(path: path)) }

    public static func read(_ table: CSVTable) -> File {
        var file = File(rows: table.rows.count, cases: [], unparsable: 0)
        var clock = LocalInstants(timeZone: timeZone)
        for row in table.rows {
            let targetText = table.value(row, "TARGET_DT")
            guard !targetText.isEmpty else { continue }
            guard let open = parseLocal(table.value(row, "OPEN_DT")), let target = parseLocal(targetText) else {
                file.unparsable += 1
                continue
            }
            file.cases.append(Boston311Case(id: table.value(row, "CASE_ENQUIRY_ID"), type: table.value(row, "TYPE"),
                                            open: clock.instant(open), target: clock.instant(target)))
        }
        return file
    }

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
              let se = num(17, 2), let date = CivilDate(year: y, month: mo, day: d), (1...12).contains(h),
              mi < 60, se < 60, b[20] == UInt8(ascii: "A") || b[20] == UInt8(ascii: "P") else { return nil }
        let h24 = (h % 12) + (b[20] == UInt8(ascii: "P") ? 12 : 0)
        return LocalDateTime(date: date, hour: h24, minute: mi, second: se)
    }
}

/// `LocalClock.instant` with the UTC offset of each local hour remembered (a file of 10⁵ rows touches a
/// few thousand hours); hours at a DST transition are always converted afresh.
struct LocalInstants {
    let timeZone: TimeZone
    private var offsets: [Int: Int] = [:]

    init(timeZone: TimeZone) { self.timeZone = timeZone }

    mutating func instant(_ l: LocalDateTime) -> Date {
        let wall = l.date.dayNumber * 86_400 + l.secondsOfDay
        let hour = wall / 3600
        if let off = offsets[hour] { return Date(timeIntervalSince1970: TimeInterval(wall - off)) }
        let i = LocalClock.instant(l, in: timeZone)
        // Unambiguous and existing: the hour maps back to itself and an hour later is not the same wall time.
        if LocalClock.local(i, in: timeZone) == l, LocalClock.local(i.addingTimeInterval(3600), in: timeZone) != l {
            offsets[hour] = wall - Int(i.timeIntervalSince1970)
        }
        return i
    }
}
