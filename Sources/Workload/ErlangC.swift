import Foundation

/// Erlang C (M/M/N) queue: N agents, Poisson arrivals at `arrivalsPerHour`, exponential handling with
/// mean `handleHours`. Used for the social-media first-reaction clock, which runs in working hours.
public struct ErlangC: Sendable, Hashable {
    public var arrivalsPerHour: Double
    public var handleHours: Double
    public init(arrivalsPerHour: Double, handleHours: Double) {
        self.arrivalsPerHour = max(0, arrivalsPerHour)
        self.handleHours = max(1e-9, handleHours)
    }

    /// Offered load in Erlangs (λ · AHT).
    public var load: Double { arrivalsPerHour * handleHours }

    /// Probability that an item waits (Erlang C formula via the stable Erlang B recursion); 1 when N ≤ load.
    public func probabilityOfWaiting(agents n: Int) -> Double {
        let a = load
        guard n > 0, Double(n) > a else { return 1 }
        guard a > 0 else { return 0 }
        var b = 1.0
        for k in 1...n { b = a * b / (Double(k) + a * b) }
        return Double(n) * b / (Double(n) - a * (1 - b))
    }

    /// Share of items whose wait is at most `targetHours`: 1 − C · e^{−(N − A) · T / AHT}.
    public func serviceLevel(agents n: Int, targetHours: Double) -> Double {
        let a = load
        guard Double(n) > a else { return 0 }
        return 1 - probabilityOfWaiting(agents: n) * exp(-(Double(n) - a) * targetHours / handleHours)
    }

    /// Mean wait in hours (ASA).
    public func averageWaitHours(agents n: Int) -> Double {
        let a = load
        guard Double(n) > a else { return .infinity }
        return probabilityOfWaiting(agents: n) * handleHours / (Double(n) - a)
    }

    /// Smallest N reaching `serviceLevel` within `targetHours` and occupancy ≤ `maxOccupancy`; 0 with no load.
    public func agentsNeeded(serviceLevel target: Double, targetHours: Double, maxOccupancy: Double = 0.85) -> Int {
        guard load > 0 else { return 0 }
        var n = max(1, Int(load.rounded(.down)) + 1)
        while n < 10_000 {
            if serviceLevel(agents: n, targetHours: targetHours) >= target, load / Double(n) <= maxOccupancy { return n }
            n += 1
        }
        return n
    }
}
