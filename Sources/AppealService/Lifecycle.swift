import Contracts
import Foundation
import WorkCalendar

/// The appeal state machine. Pure: given a state and an action, the next state or a clear refusal.
enum Lifecycle {
    typealias Status = AppealV1.Status
    typealias Action = AppealV1.Action

    /// Statuses from which each action is allowed (the table lives in Contracts, shared with the workspace).
    static let allowed = AppealLifecycleRules.allowed
    static let answerable = AppealLifecycleRules.answerable
    static let ratable = AppealLifecycleRules.ratable

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

/// 59-FZ deadlines on the Russian production calendar (WorkCalendar): registration 3 days from receipt,
/// forwarding 7 and answer 30 days from registration (calendar days, counted from the next day, a last day
/// that is a day off moves to the next working day, Civil Code art. 191-194), one +30 extension;
/// social-media and messenger incidents also get a first-reaction clock in working hours.
/// Per-channel policies can be replaced from AgencyService's SLA table.
struct DeadlinePolicy: Sendable {
    var engine: SLAEngine
    var register = SLAPolicy.fz59Registration
    var forward = SLAPolicy.fz59Forwarding
    var answer = SLAPolicy.fz59Answer
    var firstReaction: SLAPolicy? = .incidentFirstReaction(hours: 4)

    init(timeZone: TimeZone, overrides: [CalendarOverride] = []) {
        engine = SLAEngine(overrides: overrides, timeZone: timeZone)
    }

    func registerDue(received: Date) -> Date { engine.deadline(start: received, policy: register).dueAt }
    func forwardDue(registered: Date) -> Date { engine.deadline(start: registered, policy: forward).dueAt }
    func answerDue(registered: Date) -> Date { engine.deadline(start: registered, policy: answer).dueAt }

    /// The answer deadline after `extensionsUsed` extensions, always from the original registration.
    func extendedAnswerDue(registered: Date, extensionsUsed: Int) throws -> Date {
        var d = engine.deadline(start: registered, policy: answer)
        for _ in 0..<extensionsUsed {
            do {
                d = try engine.extend(d)
            } catch {
                throw RPCError.failedPrecondition("the answer deadline cannot be extended again (59-FZ art. 12 p. 2 allows one extension)")
            }
        }
        return d.dueAt
    }

    func firstReactionDue(received: Date, channel: AppealV1.Channel) -> Date? {
        guard channel == .social || channel == .messenger, let p = firstReaction else { return nil }
        return engine.deadline(start: received, policy: p).dueAt
    }
}
