import Foundation

/// When a recurring problem becomes a root-cause case, and how often the detector looks (environment:
/// `VECHE_ROOT_CAUSE_WINDOW_DAYS`, `VECHE_ROOT_CAUSE_THRESHOLD`, `VECHE_ROOT_CAUSE_GROUP_THRESHOLD`,
/// `VECHE_ROOT_CAUSE_INTERVAL_MINUTES`).
struct RootCauseSettings: Sendable {
    /// The detection window: appeals registered in the last `windowDays` days.
    var windowDays = 90
    /// Appeals of one category in one municipality within the window that make a case.
    var threshold = 10
    /// Appeals of one duplicate/problem group (AppealService's grouping) within the window that make a case.
    var groupThreshold = 5
    /// Length of the measured period of a new case's target (days).
    var measureDays = 30
    /// How often the detector runs (it also runs at start).
    var interval: Duration = .seconds(3600)

    init() {}

    init(environment env: [String: String]) {
        func int(_ name: String, _ range: ClosedRange<Int>) -> Int? { env[name].flatMap(Int.init).flatMap { range.contains($0) ? $0 : nil } }
        if let v = int("VECHE_ROOT_CAUSE_WINDOW_DAYS", 7...730) { windowDays = v }
        if let v = int("VECHE_ROOT_CAUSE_THRESHOLD", 2...100_000) { threshold = v }
        if let v = int("VECHE_ROOT_CAUSE_GROUP_THRESHOLD", 2...100_000) { groupThreshold = v }
        if let v = int("VECHE_ROOT_CAUSE_INTERVAL_MINUTES", 1...10_080) { interval = .seconds(60 * v) }
    }
}
