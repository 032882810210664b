import Foundation

/// Where production calendars come from: xmlcalendar files laid out as `<jurisdiction>/<year>.xml`.
///
/// The package ships `Resources/calendars` (see its README for origin): `ru` — the official Russian
/// production calendars 2013–2026 (github xmlcalendar/data, commit ccba74a); `us-ma` — Massachusetts
/// legal holidays as the City of Boston's 311 SLA clock observes them (used by the Boston replay).
/// A deployment adds a year or corrects one without a rebuild by putting a file into
/// `$VECHE_CALENDAR_DIR/<jurisdiction>/<year>.xml`; such a file replaces the bundled year. Years
/// without any file fall back to rules (`CalendarFallback`) and report `isOfficial == false`.
public enum CalendarLibrary {
    /// Environment variable naming an extra calendar directory (same layout as the bundle).
    public static let directoryVariable = "VECHE_CALENDAR_DIR"

    /// The bundled `calendars` directory.
    public static var bundledDirectory: URL? {
        Bundle.module.url(forResource: "calendars", withExtension: nil, subdirectory: "Resources")
            ?? Bundle.module.url(forResource: "calendars", withExtension: nil)
    }

    /// Every year file of `jurisdiction` in `directory` (missing directory = no years).
    public static func years(jurisdiction: String, in directory: URL) throws -> [CalendarYear] {
        let dir = directory.appendingPathComponent(jurisdiction, isDirectory: true)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        var out: [CalendarYear] = []
        for name in names.sorted() where name.hasSuffix(".xml") {
            let file = dir.appendingPathComponent(name)
            guard let year = Int(name.dropLast(4)) else {
                throw XMLCalendar.ParseError(source: file.path, line: 0, reason: "file name must be <year>.xml")
            }
            let data = try Data(contentsOf: file)
            out.append(try XMLCalendar.parse(data, source: "\(jurisdiction)/\(name)", expectedYear: year))
        }
        return out
    }

    /// A calendar of `jurisdiction` from the bundle, overlaid by `extraDirectory` (default: `VECHE_CALENDAR_DIR`).
    public static func calendar(_ jurisdiction: String, fallback: CalendarFallback,
                                extraDirectory: String? = ProcessInfo.processInfo.environment[directoryVariable]) throws -> ProductionCalendar {
        var byYear: [Int: CalendarYear] = [:]
        var directories: [URL] = []
        if let bundled = bundledDirectory { directories.append(bundled) }
        if let extra = extraDirectory, !extra.isEmpty { directories.append(URL(fileURLWithPath: extra, isDirectory: true)) }
        for dir in directories {
            for y in try years(jurisdiction: jurisdiction, in: dir) { byYear[y.year] = y }
        }
        return ProductionCalendar(name: jurisdiction, years: Array(byYear.values), fallback: fallback)
    }
}

extension ProductionCalendar {
    /// The federal Russian production calendar: official files (bundled, plus `VECHE_CALENDAR_DIR/ru`),
    /// statutory rules for other years.
    public static let russia = bundled("ru", fallback: .russianStatutory)

    /// Massachusetts legal holidays as observed by the City of Boston 311 SLA clock (bundled `us-ma`),
    /// weekends only for other years.
    public static let massachusetts = bundled("us-ma", fallback: .weekendsOnly)

    /// A bundled file that does not parse is a packaging defect: stop with the parser's message rather
    /// than silently compute wrong deadlines.
    private static func bundled(_ jurisdiction: String, fallback: CalendarFallback) -> ProductionCalendar {
        do {
            return try CalendarLibrary.calendar(jurisdiction, fallback: fallback)
        } catch {
            preconditionFailure("production calendar files: \(error)")
        }
    }
}
