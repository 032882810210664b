import DataKit
import Foundation
import WorkCalendar

/// The St Petersburg «Наш Санкт-Петербург» appeals (shared/data, github:Timmy-Max/Appeals-to-Housing-and-
/// Communal-Services@f639e6e; eval-only) as workload records and daily count series.
public enum SPbAppeals {
    public static let file = "spb_nash_peterburg_appeals_2020_2021.csv.gz"
    public static let timeZone = TimeZone(identifier: "Europe/Moscow") ?? TimeZone(secondsFromGMT: 3 * 3600) ?? .current

    /// A row with the fields the workload and surge evaluations use.
    public struct Row: Sendable {
        public var id: String
        public var created: Date
        public var createdDay: CivilDate
        public var district: String
        /// Portal category (15 values: Благоустройство, Содержание МКД, …).
        public var category: String
        public var reason: String
        public var firstAnswer: Date?
        public var finalAnswer: Date?
        public var finalStatusAt: Date?
        public var closed: Bool
        /// Answering organisation (the portal does not name persons).
        public var executor: String
    }

    public static func load(dataDirectory: String) throws -> [Row] {
        let table = try CSVTable.load(path: (dataDirectory as NSString).appendingPathComponent(file))
        var out: [Row] = []
        out.reserveCapacity(table.rows.count)
        for r in table.rows {
            guard let created = parse(table.value(r, "created_dt")) else { continue }
            out.append(Row(id: table.value(r, "id"), created: created.instant, createdDay: created.day,
                           district: table.value(r, "district"), category: table.value(r, "category"),
                           reason: table.value(r, "reason"),
                           firstAnswer: parse(table.value(r, "first_answer_dt"))?.instant,
                           finalAnswer: parse(table.value(r, "final_answer_dt"))?.instant,
                           finalStatusAt: parse(table.value(r, "final_status_dt"))?.instant,
                           closed: table.value(r, "final_status").hasPrefix("Завершено"),
                           executor: table.value(r, "answer_author")))
        }
        return out
    }

    /// `2020-10-18T14:50:40.817676` (Moscow local time) → instant and civil day.
    static func parse(_ s: String) -> (instant: Date, day: CivilDate)? {
        guard s.count >= 19, let day = CivilDate(iso: String(s.prefix(10))) else { return nil }
        let t = s.dropFirst(11).prefix(8).split(separator: ":").compactMap { Int($0) }
        guard t.count == 3 else { return nil }
        return (LocalClock.instant(day, secondsOfDay: t[0] * 3600 + t[1] * 60 + t[2], in: timeZone), day)
    }

    /// Daily counts per key from `first` through `last` (inclusive), keys sorted.
    public static func dailyCounts(_ rows: [Row], first: CivilDate, last: CivilDate,
                                   key: (Row) -> String) -> [(key: String, counts: [Int])] {
        let n = first.days(until: last) + 1
        var byKey: [String: [Int]] = [:]
        for r in rows {
            let i = first.days(until: r.createdDay)
            guard i >= 0, i < n else { continue }
            byKey[key(r), default: [Int](repeating: 0, count: n)][i] += 1
        }
        return byKey.keys.sorted().map { ($0, byKey[$0] ?? []) }
    }

    /// Workload records: the portal is the channel, the answer is the final answer, «Завершено» closes.
    public static func records(_ rows: [Row], block: (Row) -> String) -> [AppealRecord] {
        rows.map { r in
            AppealRecord(id: r.id, block: block(r), channel: "portal", receivedAt: r.created, takenAt: nil,
                         firstReactionAt: r.firstAnswer, answeredAt: r.finalAnswer,
                         closedAt: r.closed ? r.finalStatusAt : nil, executor: r.executor.isEmpty ? nil : r.executor)
        }
    }
}
