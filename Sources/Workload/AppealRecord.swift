import Foundation

/// One appeal as the workload model sees it: plain event times from the lifecycle projection.
public struct AppealRecord: Sendable, Hashable, Codable {
    public var id: String
    /// Sector block (taxonomy topic code: housing, waste, …, other).
    public var block: String
    /// Intake channel (`pos`, `portal`, `email`, `social`, …).
    public var channel: String
    public var receivedAt: Date
    /// When an executor took it into work (assigned / in_progress); nil = not yet.
    public var takenAt: Date?
    /// First reaction (social-media clock) or first answer, whichever the channel measures.
    public var firstReactionAt: Date?
    /// Final answer.
    public var answeredAt: Date?
    /// Closed (answered and done, or withdrawn).
    public var closedAt: Date?
    /// Who answered (executor or agency id); nil when unknown.
    public var executor: String?

    public init(id: String, block: String, channel: String, receivedAt: Date, takenAt: Date? = nil,
                firstReactionAt: Date? = nil, answeredAt: Date? = nil, closedAt: Date? = nil, executor: String? = nil) {
        self.id = id
        self.block = block
        self.channel = channel
        self.receivedAt = receivedAt
        self.takenAt = takenAt
        self.firstReactionAt = firstReactionAt
        self.answeredAt = answeredAt
        self.closedAt = closedAt
        self.executor = executor
    }

    /// Open (received, not yet answered or closed) at `instant`.
    public func isOpen(at instant: Date) -> Bool {
        guard receivedAt <= instant else { return false }
        return doneAt.map { $0 > instant } ?? true
    }

    /// The earlier of the answer and the closing (nil while neither happened).
    public var doneAt: Date? {
        switch (answeredAt, closedAt) {
        case let (a?, c?): return min(a, c)
        case let (a?, nil): return a
        case let (nil, c?): return c
        case (nil, nil): return nil
        }
    }

    /// Time in work: from taking into work (or receipt) to the answer; nil while unanswered.
    public var timeInWork: TimeInterval? {
        guard let a = answeredAt else { return nil }
        return max(0, a.timeIntervalSince(takenAt ?? receivedAt))
    }
}
