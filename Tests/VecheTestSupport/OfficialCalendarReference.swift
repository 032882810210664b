import Foundation

/// The official Russian production calendars of `../shared/data/calendar/ru_YYYY.xml`, read independently of
/// the product's parser (a regular expression over `<day d= t=>` and the weekday rule), so that a test
/// comparing the two can catch a parser or semantics defect instead of repeating it.
public enum OfficialCalendarReference {
    /// Expected class of a day in the published calendar.
    public enum Day: String, Sendable {
        case working, nonWorking, shortened
    }

    /// `shared/data/calendar`, found like the other evaluation data (`VECHE_SHARED_DATA` or next to the repository).
    public static func directory(from file: String = #filePath) -> URL? {
        var url = URL(fileURLWithPath: file)
        let env = ProcessInfo.processInfo.environment["VECHE_SHARED_DATA"].map { URL(fileURLWithPath: $0) }
        if let env, FileManager.default.fileExists(atPath: env.appendingPathComponent("calendar").path) {
            return env.appendingPathComponent("calendar")
        }
        for _ in 0..<8 {
            url.deleteLastPathComponent()
            for base in [url, url.deletingLastPathComponent()] {
                let c = base.appendingPathComponent("shared/data/calendar")
                if FileManager.default.fileExists(atPath: c.path) { return c }
            }
        }
        return nil
    }

    /// Year files of a directory, named `ru_YYYY.xml` (shared data) or `YYYY.xml` (the bundle's layout).
    public static func files(in dir: URL) -> [Int: URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        var out: [Int: URL] = [:]
        for n in names where n.hasSuffix(".xml") {
            let stem = n.hasPrefix("ru_") ? n.dropFirst(3).dropLast(4) : n.dropLast(4)
            if let y = Int(stem) { out[y] = dir.appendingPathComponent(n) }
        }
        return out
    }

    /// Every day of `year` in `file` as ("YYYY-MM-DD", expected class).
    public static func days(year: Int, file: URL) throws -> [(date: String, day: Day)] {
        let text = try String(contentsOf: file, encoding: .utf8)
        var listed: [String: Day] = [:]
        let pattern = try NSRegularExpression(pattern: #"<day\s+d="(\d\d)\.(\d\d)"\s+t="(\d)""#)
        for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let g = (1...3).map { String(text[Range(m.range(at: $0), in: text)!]) }
            listed["\(year)-\(g[0])-\(g[1])"] = g[2] == "1" ? .nonWorking : g[2] == "2" ? .shortened : .working
        }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        var date = cal.date(from: DateComponents(year: year, month: 1, day: 1))!
        var out: [(String, Day)] = []
        while cal.component(.year, from: date) == year {
            let c = cal.dateComponents([.month, .day, .weekday], from: date)
            let key = String(format: "%04d-%02d-%02d", year, c.month!, c.day!)
            let weekend = c.weekday == 1 || c.weekday == 7
            out.append((key, listed[key] ?? (weekend ? .nonWorking : .working)))
            date = cal.date(byAdding: .day, value: 1, to: date)!
        }
        return out
    }
}
