import Contracts
import Foundation

/// A running 59-ФЗ clock of an appeal (registration, forwarding, answer, or the working-hours first reaction of
/// social-media incidents) as the queue shows it: what is due, how long is left and the colour of the badge.
public struct Countdown: Sendable, Hashable {
    /// Colour levels: `overdue` (red), `urgent` (orange: under a day, under an hour for first reaction),
    /// `soon` (yellow: under three days, under four hours for first reaction), `ok` (green).
    public enum Level: String, Sendable {
        case overdue, urgent, soon, ok
    }

    public var label: String
    public var dueMs: Int64
    public var remaining: String
    public var level: Level
    /// The level as a CSS class (`cd-overdue` …); stored, as templates read only stored properties.
    public var css: String

    /// The clocks that run in the appeal's current status, nearest first: each deadline the status still waits for
    /// (`AppealLifecycleRules.deadlineWaits`, the table the deadline watcher alerts by). Answered and closed appeals
    /// have none; a social incident's first reaction runs on through registration and routing.
    public static func clocks(_ a: AppealV1.Appeal, now: Date) -> [Countdown] {
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        return AppealLifecycleRules.waitingDeadlines(of: a)
            .map { make(label: label(of: $0.kind), dueMs: $0.dueMs, nowMs: nowMs, hoursClock: $0.kind == "first_reaction") }
            .sorted { $0.dueMs < $1.dueMs }
    }

    /// What the queue calls each deadline of `AppealLifecycleRules.deadlineWaits`.
    static func label(of kind: String) -> String {
        switch kind {
        case "register": return "регистрация"
        case "forward": return "перенаправление"
        case "first_reaction": return "первая реакция"
        case "answer": return "ответ"
        default: return kind
        }
    }

    static func make(label: String, dueMs: Int64, nowMs: Int64, hoursClock: Bool) -> Countdown {
        let left = dueMs - nowMs
        let hour: Int64 = 3_600_000
        let level: Level
        if left < 0 {
            level = .overdue
        } else if left < (hoursClock ? hour : 24 * hour) {
            level = .urgent
        } else if left < (hoursClock ? 4 * hour : 72 * hour) {
            level = .soon
        } else {
            level = .ok
        }
        let text = duration(abs(left))
        return Countdown(label: label, dueMs: dueMs, remaining: left < 0 ? "просрочено на \(text)" : "осталось \(text)", level: level,
                         css: "cd-" + level.rawValue)
    }

    /// "3 дн 4 ч", "5 ч 20 мин", "12 мин".
    static func duration(_ ms: Int64) -> String {
        let minutes = ms / 60_000
        let days = minutes / 1440, hours = (minutes % 1440) / 60, mins = minutes % 60
        if days > 0 { return "\(days) дн \(hours) ч" }
        if hours > 0 { return "\(hours) ч \(mins) мин" }
        return "\(max(mins, 1)) мин"
    }
}
