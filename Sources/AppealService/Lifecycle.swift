import Contracts
import Foundation

/// The appeal state machine. Pure: given a state and an action, the next state or a clear refusal.
enum Lifecycle {
    typealias Status = AppealV1.Status
    typealias Action = AppealV1.Action

    static let openStatuses: Set<Status> = [.received, .registered, .assigned, .forwarded, .inProgress, .reopened, .extended]

    /// Statuses from which each action is allowed.
    static let allowed: [Action: Set<Status>] = [
        .register: [.received],
        .assign: [.registered, .assigned, .reopened],
        .forward: [.registered, .assigned, .reopened],
        .start: [.assigned, .forwarded, .reopened, .extended],
        .extend: [.assigned, .forwarded, .inProgress],
        .close: [.answered],
        .reopen: [.answered, .closed],
    ]

    static let answerable: Set<Status> = [.assigned, .forwarded, .inProgress, .extended, .reopened]
    static let ratable: Set<Status> = [.answered, .closed]

    static func target(of action: Action) -> Status? {
        switch action {
        case .register: return .registered
        case .assign: return .assigned
        case .forward: return .forwarded
        case .start: return .inProgress
        case .extend: return .extended
        case .close: return .closed
        case .reopen: return .reopened
        case .unspecified: return nil
        }
    }

    static func eventType(of action: Action) -> AppealV1.EventType {
        switch action {
        case .register: return .registered
        case .assign: return .assigned
        case .forward: return .forwarded
        case .start: return .started
        case .extend: return .extended
        case .close: return .closed
        case .reopen: return .reopened
        case .unspecified: return .unspecified
        }
    }

    /// Validates `action` on `appeal` and returns the new status.
    static func check(_ action: Action, on appeal: AppealV1.Appeal, agencyID: String) throws -> Status {
        guard let target = target(of: action), let from = allowed[action] else {
            throw RPCError.invalidArgument("action is required (one of: \(Action.allCases.dropFirst().map(\.name).joined(separator: ", ")))")
        }
        guard from.contains(appeal.status) else {
            let allowedText = from.map(\.name).sorted().joined(separator: ", ")
            throw RPCError.failedPrecondition("cannot \(action.name) an appeal in status \(appeal.status.name); allowed from: \(allowedText)")
        }
        if action == .assign || action == .forward, agencyID.isEmpty {
            throw RPCError.invalidArgument("agency_id is required to \(action.name)")
        }
        if action == .extend, appeal.extensionCount >= 1 {
            throw RPCError.failedPrecondition("the answer deadline was already extended once (59-FZ art. 12 p. 2 allows one extension)")
        }
        return target
    }
}

/// 59-FZ deadlines in calendar days; a deadline that falls on a weekend moves to the next Monday
/// (Civil Code art. 193). The working-day calendar with holidays comes from AgencyService when available.
struct DeadlinePolicy: Sendable {
    var registerDays = 3
    var forwardDays = 7
    var answerDays = 30
    var extensionDays = 30
    var firstReactionHours = 0
    var timeZone = TimeZone(identifier: "Europe/Moscow") ?? .gmt
    var holidays: Set<String> = []   // YYYY-MM-DD non-working days besides weekends

    func addDays(_ days: Int, to start: Date) -> Date {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        guard let raw = cal.date(byAdding: .day, value: days, to: start) else { return start }
        // End of that day, moved forward past non-working days.
        var day = cal.startOfDay(for: raw)
        while isNonWorking(day, cal) {
            guard let next = cal.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        return cal.date(byAdding: DateComponents(day: 1, second: -1), to: day) ?? raw
    }

    private func isNonWorking(_ day: Date, _ cal: Calendar) -> Bool {
        let wd = cal.component(.weekday, from: day)
        if wd == 1 || wd == 7 { return true }
        let c = cal.dateComponents([.year, .month, .day], from: day)
        let key = String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
        return holidays.contains(key)
    }
}
