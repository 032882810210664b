import Contracts
import Foundation

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
        if action == .extend, appeal.extensionCount >= AppealLifecycleRules.maxExtensions {
            throw RPCError.failedPrecondition("the answer deadline was already extended once (59-FZ art. 12 p. 2 allows one extension)")
        }
        return target
    }
}
