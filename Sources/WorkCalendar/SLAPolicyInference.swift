import Foundation

/// Finds the SLA policy behind observed deadlines: given cases with a start and the due instant someone
/// else's system computed, which `SLAPolicy` reproduces them through this engine?
///
/// For each example it derives one candidate amount per policy shape from the example itself and keeps
/// the candidates the engine (`SLA.deadline`) turns back into the same due instant to the minute:
/// * `.calendarDays` ending at the start time, no roll-forward ("30 days": same clock time 30 days later);
/// * `.workingDays` ending at the start time ("10 business days"; an event outside business hours starts at
///   the next opening, so its deadline is at the opening time);
/// * `.elapsedHours` (a 24/7 clock);
/// * `.workingHours` on the business clock, for spans up to `maxWorkingHourSpanDays` (a longer working-hour
///   term is a day term in practice, and the search over it is the costly one).
/// `infer` then votes: the policy that reproduces the most examples wins; ties go to the simpler shape in the
/// order above.
public struct SLAPolicyInference: Sendable {
    /// One observed deadline.
    public struct Example: Sendable {
        public var start: Date
        public var due: Date
        public init(start: Date, due: Date) {
            self.start = start
            self.due = due
        }
    }

    /// The winning policy and how many examples it reproduces.
    public struct Inferred: Sendable {
        public var policy: SLAPolicy
        public var matched: Int
        public var examples: Int
        public var share: Double { examples == 0 ? 0 : Double(matched) / Double(examples) }
    }

    public let engine: SLAEngine
    public let businessHours: BusinessHours
    public var maxWorkingHourSpanDays = 14

    public init(engine: SLAEngine, businessHours: BusinessHours) {
        self.engine = engine
        self.businessHours = businessHours
    }

    /// Two instants in the same clock minute (time-zone offsets are whole minutes, so UTC minutes do).
    public static func sameMinute(_ a: Date, _ b: Date) -> Bool {
        (a.timeIntervalSince1970 / 60).rounded(.down) == (b.timeIntervalSince1970 / 60).rounded(.down)
    }

    /// The policy of a shape with an amount, named for reports ("10 business days").
    public func policy(_ unit: SLAUnit, _ amount: Int) -> SLAPolicy {
        func name(_ what: String) -> String { "\(amount) \(what)" + (amount == 1 ? "" : "s") }
        switch unit {
        case .calendarDays:
            return SLAPolicy(name: name("calendar day"), amount: amount, unit: .calendarDays, rollForward: false,
                             dayEnd: .startTime, businessHours: businessHours)
        case .workingDays:
            return SLAPolicy(name: name("business day"), amount: amount, unit: .workingDays, dayEnd: .startTime,
                             businessHours: businessHours)
        case .workingHours:
            return SLAPolicy(name: name("business hour"), amount: amount, unit: .workingHours, businessHours: businessHours)
        case .workingMinutes:
            return SLAPolicy(name: name("business minute"), amount: amount, unit: .workingMinutes, businessHours: businessHours)
        case .elapsedHours:
            return SLAPolicy(name: name("hour"), amount: amount, unit: .elapsedHours, businessHours: businessHours)
        }
    }

    /// Whether the engine turns `start` into `due` (to the minute) under `policy`.
    public func reproduces(_ policy: SLAPolicy, _ e: Example) -> Bool {
        Self.sameMinute(engine.deadline(start: e.start, policy: policy).dueAt, e.due)
    }

    /// Candidate policies that reproduce one example, simplest shape first.
    public func candidates(_ e: Example) -> [SLAPolicy] {
        guard e.due >= e.start else { return [] }
        let tz = engine.timeZone, cal = engine.calendar
        let start = LocalClock.local(e.start, in: tz), due = LocalClock.local(e.due, in: tz)
        var out: [SLAPolicy] = []
        if start.secondsOfDay / 60 == due.secondsOfDay / 60 {
            out.append(policy(.calendarDays, start.date.days(until: due.date)))
        }
        let clockStart = LocalClock.local(WorkingTime.adding(0, to: e.start, hours: businessHours, calendar: cal, timeZone: tz), in: tz)
        if clockStart.secondsOfDay / 60 == due.secondsOfDay / 60, clockStart.date <= due.date {
            out.append(policy(.workingDays, cal.workingDays(from: clockStart.date.adding(days: 1), to: due.date.adding(days: 1))))
        }
        out.append(policy(.elapsedHours, Int((e.due.timeIntervalSince(e.start) / 3600).rounded())))
        if start.date.days(until: due.date) <= maxWorkingHourSpanDays {
            let worked = WorkingTime.between(e.start, e.due, hours: businessHours, calendar: cal, timeZone: tz)
            if worked >= 3600 { out.append(policy(.workingHours, Int((worked / 3600).rounded()))) }
        }
        return out.filter { reproduces($0, e) }
    }

    /// The policy reproducing the most examples, nil when none reproduces any.
    public func infer(_ examples: [Example]) -> Inferred? {
        var votes: [SLAPolicy: Int] = [:]
        for e in examples {
            for p in candidates(e) { votes[p, default: 0] += 1 }
        }
        let order: [SLAUnit] = [.calendarDays, .workingDays, .elapsedHours, .workingHours, .workingMinutes]
        func key(_ v: (key: SLAPolicy, value: Int)) -> (Int, Int, Int) {
            (v.value, -(order.firstIndex(of: v.key.unit) ?? order.count), -v.key.amount)
        }
        guard let best = votes.max(by: { key($0) < key($1) }) else { return nil }
        return Inferred(policy: best.key, matched: best.value, examples: examples.count)
    }
}
