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

    /// The clocks that run in the appeal's current status, nearest first. Answered and closed appeals have none.
    public static func clocks(_ a: AppealV1.Appeal, now: Date) -> [Countdown] {
        let d = a.deadlines ?? AppealV1.Deadlines()
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        var due: [(String, Int64, Bool)] = []
        switch a.status {
        case .received:
            due = [("регистрация", d.registerDueMs, false), ("первая реакция", d.firstReactionDueMs, true)]
        case .registered:
            due = [("перенаправление", d.forwardDueMs, false), ("ответ", d.answerDueMs, false)]
        case .answered, .closed, .unspecified:
            due = []
        default:
            due = [("ответ", d.answerDueMs, false)]
        }
        return due.filter { $0.1 > 0 }
            .map { make(label: $0.0, dueMs: $0.1, nowMs: nowMs, hoursClock: $0.2) }
            .sorted { $0.dueMs < $1.dueMs }
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
