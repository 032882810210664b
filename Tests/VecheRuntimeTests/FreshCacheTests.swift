import Foundation
import Synchronization
import Testing
import VecheRuntime

/// How long `FreshCache` serves a value before computing it again.
@Suite("FreshCache: served while fresh, expensive values fresh for longer")
struct FreshCacheTests {
    /// Counts computations.
    final class Computations: Sendable {
        let count = Atomic<Int>(0)
        var value: Int { count.load(ordering: .relaxed) }
    }

    /// A computation that takes `cost` and returns how many computations ran so far.
    static func compute(_ c: Computations, cost: Duration) -> @Sendable () async throws -> Int {
        { try await Task.sleep(for: cost); return c.count.add(1, ordering: .relaxed).newValue }
    }

    @Test("Without a cost factor a value is recomputed once its ttl has passed")
    func recomputedAfterTTL() async throws {
        let cache = FreshCache<String, Int>(ttl: .milliseconds(50))
        let c = Computations()
        #expect(try await cache.value("k", compute: Self.compute(c, cost: .milliseconds(200))) == 1)
        #expect(try await cache.value("k", compute: Self.compute(c, cost: .milliseconds(200))) == 1)   // fresh
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await cache.value("k", compute: Self.compute(c, cost: .milliseconds(200))) == 2)
    }

    @Test("With cost factor 10 a value that took 200 ms to compute is still served 300 ms later, past its 50 ms ttl")
    func expensiveValuesStayFreshLonger() async throws {
        let cache = FreshCache<String, Int>(ttl: .milliseconds(50), costFactor: 10)
        let c = Computations()
        #expect(try await cache.value("k", compute: Self.compute(c, cost: .milliseconds(200))) == 1)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await cache.value("k", compute: Self.compute(c, cost: .milliseconds(200))) == 1)
        #expect(c.value == 1)
        // A cheap value keeps (about) the plain ttl: recomputed well before the 2 s an expensive one would be
        // kept. Its own cost is what the machine made of "nothing" (tens of ms on a loaded CI runner, times 10),
        // so it is polled for rather than expected at one instant.
        #expect(try await cache.value("cheap", compute: Self.compute(c, cost: .zero)) == 2)
        let deadline = ContinuousClock.now + .milliseconds(1500)
        var cheap = 2
        while cheap == 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            cheap = try await cache.value("cheap", compute: Self.compute(c, cost: .zero))
        }
        #expect(cheap == 3)
    }
}
