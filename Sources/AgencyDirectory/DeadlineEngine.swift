import Contracts
import Foundation
import WorkCalendar

/// The platform's one deadline engine: the deadlines of an appeal from the per-channel SLA policies
/// (AgencyService's `sla_policies` table) on the Russian production calendar with the region's overrides,
/// in the region's time zone. AgencyService answers `ComputeDeadlines` (`/api/v1/deadlines`) with it and
/// AppealService sets every appeal's deadlines with it from its local copy of the same policies and
/// overrides, so the two always agree.
///
/// Day terms follow 59-ФЗ and Civil Code art. 191–194 (count from the next day; a last day that is not a
/// working day moves to the next working day; due at 24:00 local); `working_days` policies count working
/// days; the first reaction runs on the working-hour clock of the policy's business day.
public struct DeadlineEngine: Sendable {
    public let policies: [String: AgencyV1.SlaPolicy]
    public let calendar: ProductionCalendar
    public let timeZone: TimeZone

    public init(policies: [AgencyV1.SlaPolicy], overrides: [CalendarOverride], timeZone: TimeZone) {
        self.policies = Dictionary(policies.map { ($0.channel, $0) }, uniquingKeysWith: { _, last in last })
        self.calendar = .region(overrides: overrides)
        self.timeZone = timeZone
    }

    /// 59-ФЗ terms (register 3, forward 7, answer 30 calendar days, one +30 extension) for every channel,
    /// and a first reaction within 4 working hours (09:00–18:00) for social networks and messengers (ЦУР
    /// incident practice). AgencyService seeds its table with these; AppealService uses them until it has
    /// a copy of the table.
    public static let statutoryPolicies: [AgencyV1.SlaPolicy] = AppealV1.Channel.allCases.filter { $0 != .unspecified }.map { channel in
        AgencyV1.SlaPolicy(channel: channel.name, registerDays: 3, forwardDays: 7, answerDays: 30, extensionDays: 30, workingDays: false,
                           firstReactionWorkingHours: channel == .social || channel == .messenger ? 4 : 0,
                           businessDayStartMinute: 540, businessDayEndMinute: 1080)
    }

    /// The engine with `statutoryPolicies` and no regional overrides.
    public static func statutory(timeZone: TimeZone) -> DeadlineEngine {
        DeadlineEngine(policies: statutoryPolicies, overrides: [], timeZone: timeZone)
    }

    /// The channel's policy; a channel missing from the table gets the statutory 59-ФЗ policy.
    public func policy(for channel: String) -> AgencyV1.SlaPolicy {
        if let p = policies[channel] { return p }
        var p = Self.statutoryPolicies.first { $0.channel == channel } ?? Self.statutoryPolicies[0]
        p.channel = channel
        return p
    }

    // MARK: the stages of an appeal

    /// Registration deadline (nil when the channel's policy has none).
    public func registerDue(channel: String, received: Date) -> Date? {
        let p = policy(for: channel)
        return due(p, "registration", p.registerDays, start: received)?.dueAt
    }

    public func forwardDue(channel: String, registered: Date) -> Date? {
        let p = policy(for: channel)
        return due(p, "forwarding", p.forwardDays, start: registered)?.dueAt
    }

    /// The answer deadline after `extensionsUsed` extensions, always counted from the registration.
    public func answerDue(channel: String, registered: Date, extensionsUsed: Int = 0) throws -> Date? {
        let p = policy(for: channel)
        guard var d = due(p, "answer", p.answerDays, extensionDays: p.extensionDays, start: registered) else { return nil }
        for _ in 0..<extensionsUsed {
            do {
                d = try SLA.extend(d, calendar: calendar, timeZone: timeZone)
            } catch {
                throw DeadlineEngineError.notExtendable(channel: channel)
            }
        }
        return d.dueAt
    }

    /// First-reaction deadline on the working-hour clock (nil when the policy sets none).
    public func firstReactionDue(channel: String, received: Date) -> Date? {
        let p = policy(for: channel)
        guard p.firstReactionWorkingHours > 0 else { return nil }
        let policy = SLAPolicy.incidentFirstReaction(hours: Int(p.firstReactionWorkingHours), businessHours: Self.businessHours(p))
        return SLA.deadline(start: received, policy: policy, calendar: calendar, timeZone: timeZone).dueAt
    }

    /// Every deadline of a channel for an appeal received and registered at `start` (ComputeDeadlines).
    public struct Due: Sendable, Equatable {
        public var register: Date?
        public var forward: Date?
        public var answer: Date?
        public var firstReaction: Date?
    }

    public func deadlines(channel: String, start: Date, extended: Bool) throws -> Due {
        Due(register: registerDue(channel: channel, received: start), forward: forwardDue(channel: channel, registered: start),
            answer: try answerDue(channel: channel, registered: start, extensionsUsed: extended ? 1 : 0),
            firstReaction: firstReactionDue(channel: channel, received: start))
    }

    // MARK: policy → WorkCalendar

    static func businessHours(_ p: AgencyV1.SlaPolicy) -> BusinessHours {
        BusinessHours(open: Int(p.businessDayStartMinute) * 60, close: Int(p.businessDayEndMinute) * 60)
    }

    private func due(_ p: AgencyV1.SlaPolicy, _ stage: String, _ amount: Int32, extensionDays: Int32 = 0, start: Date) -> Deadline? {
        guard amount > 0 else { return nil }
        let policy = SLAPolicy(name: "\(p.channel) \(stage)", amount: Int(amount), unit: p.workingDays ? .workingDays : .calendarDays,
                               businessHours: Self.businessHours(p), extensionAmount: extensionDays > 0 ? Int(extensionDays) : nil,
                               maxExtensions: 1)
        return SLA.deadline(start: start, policy: policy, calendar: calendar, timeZone: timeZone)
    }
}

/// A deadline the policy does not allow.
public enum DeadlineEngineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The channel's answer term has no (further) extension.
    case notExtendable(channel: String)

    public var description: String {
        switch self {
        case .notExtendable(let channel): return "the answer term of channel '\(channel)' cannot be extended (again)"
        }
    }
}

extension ProductionCalendar {
    /// The federal production calendar with the region's overrides applied.
    public static func region(overrides: [CalendarOverride]) -> ProductionCalendar {
        overrides.isEmpty ? .russia : ProductionCalendar.russia.applying(overrides)
    }
}
