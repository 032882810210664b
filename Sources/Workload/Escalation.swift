import Foundation

/// Who is alerted at one level of an escalation chain.
public enum EscalationRole: String, Sendable, Hashable, Codable, CaseIterable {
    case executor, agencyHead, blockLead, curHead, curator

    public var nameRu: String {
        switch self {
        case .executor: return "исполнитель"
        case .agencyHead: return "руководитель органа"
        case .blockLead: return "руководитель отраслевого блока"
        case .curHead: return "руководитель ЦУР"
        case .curator: return "куратор"
        }
    }
}

/// One level: `role` is alerted once the item has been overdue for `delay` seconds.
public struct EscalationLevel: Sendable, Hashable, Codable {
    public var role: EscalationRole
    public var delay: TimeInterval
    public init(role: EscalationRole, delay: TimeInterval) {
        self.role = role
        self.delay = delay
    }
}

/// Errors of chain configuration.
public enum EscalationError: Error, Equatable, CustomStringConvertible {
    case empty(String)
    case delaysNotIncreasing(String)
    case duplicateRole(String, EscalationRole)
    case negativeDelay(String)

    public var description: String {
        switch self {
        case .empty(let b): return "escalation chain of block \(b) has no levels"
        case .delaysNotIncreasing(let b): return "escalation chain of block \(b): delays must not decrease along the chain"
        case .duplicateRole(let b, let r): return "escalation chain of block \(b) names \(r.rawValue) twice"
        case .negativeDelay(let b): return "escalation chain of block \(b) has a negative delay"
        }
    }
}

/// The escalation chain of one sector block (executor → head of agency → block lead → руководитель ЦУР → куратор).
public struct EscalationChain: Sendable, Hashable, Codable {
    public var block: String
    public var levels: [EscalationLevel]

    /// Validates: at least one level, no negative delay, delays non-decreasing, each role once.
    public init(block: String, levels: [EscalationLevel]) throws {
        guard !levels.isEmpty else { throw EscalationError.empty(block) }
        var seen = Set<EscalationRole>()
        for (i, l) in levels.enumerated() {
            if l.delay < 0 { throw EscalationError.negativeDelay(block) }
            if i > 0, l.delay < levels[i - 1].delay { throw EscalationError.delaysNotIncreasing(block) }
            if !seen.insert(l.role).inserted { throw EscalationError.duplicateRole(block, l.role) }
        }
        self.block = block
        self.levels = levels
    }

    /// A default chain: executor at once, head of agency after 1 day, block lead after 2, руководитель ЦУР
    /// after 3, куратор after 5 days overdue.
    public static func standard(block: String) -> EscalationChain {
        let day: TimeInterval = 86_400
        // Static levels are valid by construction.
        return (try? EscalationChain(block: block, levels: [
            EscalationLevel(role: .executor, delay: 0), EscalationLevel(role: .agencyHead, delay: day),
            EscalationLevel(role: .blockLead, delay: 2 * day), EscalationLevel(role: .curHead, delay: 3 * day),
            EscalationLevel(role: .curator, delay: 5 * day),
        ])) ?? EscalationChain(unchecked: block)
    }

    private init(unchecked block: String) {
        self.block = block
        levels = [EscalationLevel(role: .executor, delay: 0)]
    }
}

/// One missed deadline of one appeal.
public struct OverdueItem: Sendable, Hashable, Codable {
    public var appealID: String
    /// Which deadline (`register`, `forward`, `answer`, `first_reaction`).
    public var deadlineKind: String
    /// The deadline that was missed. A new deadline (extension, reopening) starts a new escalation.
    public var deadline: Date
    /// When the missed step was finally done; escalation stops then.
    public var resolvedAt: Date?
    public init(appealID: String, deadlineKind: String, deadline: Date, resolvedAt: Date? = nil) {
        self.appealID = appealID
        self.deadlineKind = deadlineKind
        self.deadline = deadline
        self.resolvedAt = resolvedAt
    }
}

/// An alert to send (or already sent). `key` is what to persist in the "alerted" set.
public struct EscalationAlert: Sendable, Hashable, Codable {
    public var appealID: String
    public var deadlineKind: String
    public var role: EscalationRole
    /// When this level became due (deadline + delay, or on the business clock if one was given).
    public var dueAt: Date
    /// Stable idempotency key: appeal, deadline kind, deadline instant (ms) and role.
    public var key: String
}

/// The decision for one overdue item at one instant.
public struct EscalationDecision: Sendable, Hashable {
    /// Levels due now and not yet alerted: send these, then persist their keys.
    public var toSend: [EscalationAlert]
    /// Levels due now that were alerted before (not sent again).
    public var alreadySent: [EscalationAlert]
    /// When the next level becomes due (nil when the chain is exhausted or the item is resolved).
    public var nextDueAt: Date?
}

/// Pure escalation logic. Combined with a persisted set of sent keys it is idempotent: evaluating the same
/// item again (after a restart, twice in a row, on two replicas racing on a unique key) never yields a
/// level twice; levels that fell due while the service was down are all returned on the next evaluation.
public enum Escalation {
    /// The idempotency key of a level of an item.
    public static func key(_ item: OverdueItem, role: EscalationRole) -> String {
        let ms = Int64((item.deadline.timeIntervalSince1970 * 1000).rounded())
        return "\(item.appealID)|\(item.deadlineKind)|\(ms)|\(role.rawValue)"
    }

    /// - Parameters:
    ///   - addDelay: how a delay is added to the deadline; default elapsed time. Pass a business clock
    ///     (`WorkingTime.adding`) to count delays in working hours.
    public static func evaluate(_ item: OverdueItem, chain: EscalationChain, now: Date, alerted: Set<String>,
                                addDelay: (Date, TimeInterval) -> Date = { $0.addingTimeInterval($1) }) -> EscalationDecision {
        var send: [EscalationAlert] = [], sent: [EscalationAlert] = []
        var next: Date?
        // Once the missed step is done nothing new is sent, even for levels that fell due meanwhile.
        let resolved = item.resolvedAt.map { $0 <= now } ?? false
        for level in chain.levels {
            let due = addDelay(item.deadline, level.delay)
            let alert = EscalationAlert(appealID: item.appealID, deadlineKind: item.deadlineKind, role: level.role,
                                        dueAt: due, key: key(item, role: level.role))
            if alerted.contains(alert.key) {
                sent.append(alert)
            } else if !resolved, now > item.deadline, due <= now {
                send.append(alert)
            } else if !resolved, next == nil, due > now {
                next = due
            }
        }
        return EscalationDecision(toSend: send, alreadySent: sent, nextDueAt: next)
    }
}
