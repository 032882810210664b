import VecheIdentity

/// Which lifecycle steps an appeal's status allows: the one table AppealService enforces (`Lifecycle`) and
/// the workspace reads to offer only the actions that can succeed.
public enum AppealLifecycleRules {
    /// Statuses from which each action is allowed.
    public static let allowed: [AppealV1.Action: Set<AppealV1.Status>] = [
        .register: [.received],
        // Re-routing: an agency that finds the appeal outside its competence hands it on, also mid-work.
        .assign: [.registered, .assigned, .forwarded, .inProgress, .reopened],
        .forward: [.registered, .assigned, .forwarded, .inProgress, .reopened],
        .start: [.assigned, .forwarded, .reopened, .extended],
        .extend: [.assigned, .forwarded, .inProgress],
        .close: [.answered],
        .reopen: [.answered, .closed],
    ]

    /// Statuses in which an answer may be given.
    public static let answerable: Set<AppealV1.Status> = [.assigned, .forwarded, .inProgress, .extended, .reopened]
    /// Statuses in which the citizen may rate the answer.
    public static let ratable: Set<AppealV1.Status> = [.answered, .closed]
    /// Statuses that no longer run an answer clock.
    public static let finished: Set<AppealV1.Status> = [.answered, .closed]

    /// Each 59-ФЗ deadline, its due field and the statuses in which the appeal still waits for the step it
    /// times: the DeadlineWatcher alerts a miss while the appeal is in one of them, escalation stops once it leaves.
    public static let deadlineWaits: [(kind: String, statuses: Set<AppealV1.Status>)] = [
        ("register", [.received]),
        ("forward", [.registered]),
        ("answer", [.registered, .assigned, .forwarded, .inProgress, .extended, .reopened]),
        ("first_reaction", [.received, .registered, .assigned, .forwarded]),
    ]

    /// Whether an appeal in `status` still waits for the step the deadline `kind` times (false for an unknown kind).
    public static func waits(_ kind: String, in status: AppealV1.Status) -> Bool {
        deadlineWaits.first { $0.kind == kind }?.statuses.contains(status) ?? false
    }

    /// The instant (ms) the deadline `kind` falls due in `deadlines` (0 = none).
    public static func due(_ kind: String, in deadlines: AppealV1.Deadlines?) -> Int64 {
        switch kind {
        case "register": return deadlines?.registerDueMs ?? 0
        case "forward": return deadlines?.forwardDueMs ?? 0
        case "answer": return deadlines?.answerDueMs ?? 0
        case "first_reaction": return deadlines?.firstReactionDueMs ?? 0
        default: return 0
        }
    }

    /// The deadlines `appeal` still waits for in its status and that are set (due > 0), in `deadlineWaits` order: the
    /// workspace's clocks (`Countdown.clocks`) and the deadline order's page token (`AppealQuery.nextDueMs`) both read them.
    public static func waitingDeadlines(of appeal: AppealV1.Appeal) -> [(kind: String, dueMs: Int64)] {
        deadlineWaits.filter { $0.statuses.contains(appeal.status) }
            .map { (kind: $0.kind, dueMs: due($0.kind, in: appeal.deadlines)) }
            .filter { $0.dueMs > 0 }
    }

    /// The actions `status` allows, in lifecycle order.
    public static func actions(from status: AppealV1.Status) -> [AppealV1.Action] {
        AppealV1.Action.allCases.filter { allowed[$0]?.contains(status) ?? false }
    }

    /// Extensions of the answer deadline an appeal may have (59-ФЗ art. 12 p. 2: one, by up to 30 days; a reopened
    /// appeal keeps its count).
    public static let maxExtensions: Int32 = 1

    /// The actions `appeal` allows now: those of its status, without `extend` once the deadline was extended
    /// `maxExtensions` times.
    public static func actions(of appeal: AppealV1.Appeal) -> [AppealV1.Action] {
        actions(from: appeal.status).filter { $0 != .extend || appeal.extensionCount < maxExtensions }
    }

    /// Whether the citizen's rating answers the latest answer: a rating event follows the last answer in `history`
    /// (a reopened appeal's new answer may be rated again; AppealService refuses a second rating of one answer).
    /// Without an answer in the history, any stored rating counts.
    public static func ratesLatestAnswer(satisfaction: Int32, history: [AppealV1.AppealEvent]) -> Bool {
        guard satisfaction > 0 else { return false }
        guard let answer = history.lastIndex(where: { $0.type == .answered }) else { return true }
        return history[answer...].contains { $0.type == .rated }
    }
}

extension AppealFacts {
    /// The facts of an appeal the access rules look at (the service and the workspace read them alike).
    public init(_ a: AppealV1.Appeal) {
        self.init(agencyID: a.agencyId, topicCode: a.topicCode, channel: a.channel.name, isPublic: a.isPublic)
    }
}
