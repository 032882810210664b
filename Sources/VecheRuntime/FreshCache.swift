import Foundation
import Synchronization

/// A short-lived cache of computed read models (aggregates, dashboard snapshots) shared by every caller of a
/// process. A value younger than `ttl` is served as is; an older one is still served (stale) to everyone
/// while exactly one recomputation runs — on the `BackgroundRefresher` when the cache has one (so even the caller
/// that found it stale gets the stale value at once), else in that caller's task; with no value yet one caller
/// computes and the others wait for it. A recomputation that has not ended after `stuckAfter` no longer holds
/// the others off. Errors are not cached.
public final class FreshCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value?
        var at: ContinuousClock.Instant
        var refreshing: Bool
        /// How long this value is served before it is recomputed.
        var fresh: Duration = .zero
        /// When the running recomputation started.
        var refreshStarted: ContinuousClock.Instant?
    }

    /// What a caller does with a key: serve a value, wait for the first computation, or compute (with the stale value).
    private enum Next { case serve(Value), wait, compute(stale: Value?) }

    /// A recomputation running this long is presumed lost (its job abandoned, its task hung): the next caller starts another.
    public static var stuckAfter: Duration { .seconds(60) }

    private let ttl: Duration
    private let costFactor: Int
    private let capacity: Int
    private let refresher: BackgroundRefresher?
    private let clock = ContinuousClock()
    private let entries = Mutex<[Key: Entry]>([:])
    private let computationsStarted = Atomic<Int>(0)

    /// Computations started so far (values computed, not served from the cache): observable by tests.
    public var computations: Int { computationsStarted.load(ordering: .relaxed) }

    /// `capacity`: keys kept (the oldest are dropped beyond it). `costFactor` > 0: a value that took `c` to compute
    /// is served for at least `costFactor × c`, so recomputing an expensive value (an aggregate over a million
    /// appeals) takes at most 1 / `costFactor` of one connection however many callers watch it.
    /// `refresher`: where stale values are recomputed (nil: in the task of the caller that found one stale).
    public init(ttl: Duration, costFactor: Int = 0, capacity: Int = 64, refresher: BackgroundRefresher? = nil) {
        self.ttl = ttl
        self.costFactor = costFactor
        self.capacity = capacity
        self.refresher = refresher
    }

    /// The value for `key`: cached, stale while another caller refreshes it, or computed now. When nothing
    /// is cached yet and another caller is computing it, waits for that result (polling, cancellable) instead
    /// of computing the same thing again.
    public func value(_ key: Key, compute: @escaping @Sendable () async throws -> Value) async throws -> Value {
        while true {
            let now = clock.now
            let next: Next = entries.withLock { entries in
                var e = entries[key] ?? Entry(value: nil, at: now, refreshing: false)
                let stuck = e.refreshing && (e.refreshStarted.map { now - $0 > Self.stuckAfter } ?? false)
                if let v = e.value, now - e.at < e.fresh || (e.refreshing && !stuck) { return .serve(v) }
                if e.refreshing && !stuck { return .wait }    // first computation in progress: wait for it
                e.refreshing = true                          // this caller computes; the others wait or get the stale value
                e.refreshStarted = now
                entries[key] = e
                return .compute(stale: e.value)
            }
            switch next {
            case .serve(let v):
                return v
            case .wait:
                try await Task.sleep(for: .milliseconds(10))
            case .compute(let stale?):
                if let refresher, refresher.submit(.init(run: { _ = try await self.recompute(key, compute) }, abandon: { self.release(key) })) {
                    return stale
                }
                return try await recompute(key, compute)
            case .compute(nil):
                return try await recompute(key, compute)
            }
        }
    }

    /// Computes and stores the value; on failure releases the entry (dropping it when it never had a value).
    private func recompute(_ key: Key, _ compute: @Sendable () async throws -> Value) async throws -> Value {
        do {
            let started = clock.now
            computationsStarted.add(1, ordering: .relaxed)
            let v = try await compute()
            store(key, v, fresh: max(ttl, (clock.now - started) * costFactor))
            return v
        } catch {
            release(key)
            throw error
        }
    }

    /// Ends a recomputation that produced nothing: the stale value stays (served until the next caller retries).
    private func release(_ key: Key) {
        entries.withLock { entries in
            if entries[key]?.value == nil { entries.removeValue(forKey: key) } else { entries[key]?.refreshing = false }
        }
    }

    private func store(_ key: Key, _ v: Value, fresh: Duration) {
        let now = clock.now
        entries.withLock { entries in
            entries[key] = Entry(value: v, at: now, refreshing: false, fresh: fresh)
            if entries.count > capacity, let oldest = entries.min(by: { $0.value.at < $1.value.at })?.key {
                entries.removeValue(forKey: oldest)
            }
        }
    }
}
