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

    @Test("Without a cost factor a value is served while younger than its ttl")
    func servedWithinTTL() async throws {
        let cache = FreshCache<String, Int>(ttl: .seconds(60))
        let c = Computations()
        #expect(try await cache.value("k", compute: Self.compute(c, cost: .milliseconds(20))) == 1)
        #expect(try await cache.value("k", compute: Self.compute(c, cost: .milliseconds(20))) == 1)   // fresh
        #expect(c.value == 1)
    }

    @Test("Without a cost factor a value is recomputed once its ttl has passed")
    func recomputedAfterTTL() async throws {
        let cache = FreshCache<String, Int>(ttl: .milliseconds(1))
        let c = Computations()
        #expect(try await cache.value("k", compute: Self.compute(c, cost: .zero)) == 1)
        try await Task.sleep(for: .milliseconds(20))   // at least this long: the 1 ms ttl has passed whatever the load
        #expect(try await cache.value("k", compute: Self.compute(c, cost: .zero)) == 2)
    }

    @Test("With cost factor 10 a value that took over 1 s to compute is still served after a cheap value of the same cache was recomputed")
    func expensiveValuesStayFreshLonger() async throws {
        let cache = FreshCache<String, Int>(ttl: .milliseconds(50), costFactor: 10)
        // The two keys are compared with each other, not with the clock: the expensive one (computed first, so it is
        // the older) is fresh for at least 10 × 1 s; the cheap one for 10 × what the machine made of "nothing" (at
        // least the 50 ms ttl). Once the cheap one has been recomputed, a cache without the cost factor would have
        // recomputed the older expensive one too.
        let expensive = Computations(), cheap = Computations()
        #expect(try await cache.value("expensive", compute: Self.compute(expensive, cost: .seconds(1))) == 1)
        #expect(try await cache.value("cheap", compute: Self.compute(cheap, cost: .zero)) == 1)
        let deadline = ContinuousClock.now + .seconds(60)   // a guard against a hang, not a timing
        while cheap.value == 1, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            _ = try await cache.value("cheap", compute: Self.compute(cheap, cost: .zero))
        }
        #expect(cheap.value == 2, "the cheap value keeps (about) the plain ttl")
        #expect(try await cache.value("expensive", compute: Self.compute(expensive, cost: .seconds(1))) == 1)
        #expect(expensive.value == 1)
    }

    /// A gate a computation waits at until the test opens it.
    final class Gate: Sendable {
        let open = Atomic<Bool>(false)
        struct Closed: Error {}
        /// Waits for the gate, at most 10 s (then throws: a computation run where it should not have been fails the test instead of hanging it).
        func wait() async throws {
            for _ in 0..<2000 {
                if open.load(ordering: .relaxed) { return }
                try await Task.sleep(for: .milliseconds(5))
            }
            throw Closed()
        }
    }

    @Test("With a running background refresher the caller that finds a value stale gets the stale value at once and the refresher recomputes it; a refresher that is not running refuses, and the caller computes")
    func staleValuesAreRecomputedInTheBackground() async throws {
        let refresher = BackgroundRefresher()
        let cache = FreshCache<String, Int>(ttl: .zero, refresher: refresher)
        let gate = Gate()
        let c = Computations()
        let gated: @Sendable () async throws -> Int = { try await gate.wait(); return c.count.add(1, ordering: .relaxed).newValue }
        // Not running yet: the stale value's recomputation runs in the caller's task (it waits at the gate).
        #expect(try await cache.value("k", compute: Self.compute(c, cost: .zero)) == 1)
        gate.open.store(true, ordering: .relaxed)
        #expect(try await cache.value("k", compute: gated) == 2)
        gate.open.store(false, ordering: .relaxed)
        try await whileRunning(refresher) { () async throws in
            #expect(try await eventuallyTrue { () async throws in refresher.isAccepting })
            // Running: the computation is held at the gate, yet the caller is answered with the stale value.
            #expect(try await cache.value("k", compute: gated) == 2)
            #expect(try await cache.value("k", compute: gated) == 2)   // still recomputing: stale again, no second job
            gate.open.store(true, ordering: .relaxed)
            #expect(try await eventuallyTrue { () async throws in c.value == 3 })
            #expect(try await eventuallyTrue { () async throws in (try? await cache.value("k", compute: { 0 })) ?? 0 >= 3 })
            #expect(c.value <= 4)
        }
        #expect(!refresher.isAccepting)
    }

    struct SourceDown: Error {}

    @Test("A background rebuild that fails leaves the stale value served and the key free: the next stale read rebuilds it again")
    func aFailedBackgroundRebuildIsRetried() async throws {
        let refresher = BackgroundRefresher()
        let cache = FreshCache<String, Int>(ttl: .zero, refresher: refresher)
        #expect(try await cache.value("k", compute: { 1 }) == 1)
        let attempts = Computations()
        try await whileRunning(refresher) { () async throws in
            #expect(try await eventuallyTrue { () async throws in refresher.isAccepting })
            #expect(try await cache.value("k", compute: { attempts.count.add(1, ordering: .relaxed); throw SourceDown() }) == 1)
            #expect(try await eventuallyTrue { () async throws in attempts.value == 1 })
            // Released after the failure: a later read starts a rebuild that succeeds.
            #expect(try await eventuallyTrue { () async throws in (try await cache.value("k", compute: { 2 })) == 2 })
        }
    }

    /// Runs `refresher` while `body` runs, then cancels it.
    func whileRunning(_ refresher: BackgroundRefresher, _ body: @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await refresher.run() }
            try await body()
            group.cancelAll()
        }
    }

    /// Polls `condition` (up to 60 s, a guard against a hang, not a timing).
    func eventuallyTrue(_ condition: @Sendable () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }
}
