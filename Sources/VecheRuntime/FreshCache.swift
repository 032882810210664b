import Foundation
import Synchronization

/// A short-lived cache of computed read models (aggregates, dashboard snapshots) shared by every caller of a
/// process. A value younger than `ttl` is served as is; an older one is still served (stale) to everyone
/// while exactly one caller recomputes it; with no value yet one caller computes and the others wait for it.
/// Computations run in the caller's task: nothing outlives a request. Errors are not cached.
public final class FreshCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value?
        var at: ContinuousClock.Instant
        var refreshing: Bool
        /// How long this value is served before it is recomputed.
        var fresh: Duration = .zero
    }

    private let ttl: Duration
    private let costFactor: Int
    private let capacity: Int
    private let clock = ContinuousClock()
    private let entries = Mutex<[Key: Entry]>([:])

    /// `capacity`: keys kept (the oldest are dropped beyond it). `costFactor` > 0: a value that took `c` to compute
    /// is served for at least `costFactor × c`, so recomputing an expensive value (an aggregate over a million
    /// appeals) takes at most 1 / `costFactor` of one connection however many callers watch it.
    public init(ttl: Duration, costFactor: Int = 0, capacity: Int = 64) {
        self.ttl = ttl
        self.costFactor = costFactor
        self.capacity = capacity
    }

    /// The value for `key`: cached, stale while another caller refreshes it, or computed now. When nothing
    /// is cached yet and another caller is computing it, waits for that result (polling, cancellable) instead
    /// of computing the same thing again.
    public func value(_ key: Key, compute: @Sendable () async throws -> Value) async throws -> Value {
        while true {
            let now = clock.now
            let state: (Value?, Bool) = entries.withLock { entries in
                var e = entries[key] ?? Entry(value: nil, at: now, refreshing: false)
                if let v = e.value, now - e.at < e.fresh || e.refreshing { return (v, false) }
                if e.refreshing { return (nil, false) }      // first computation in progress: wait for it
                e.refreshing = true                          // this caller computes; the others wait or get the stale value
                entries[key] = e
                return (nil, true)
            }
            if let cached = state.0 { return cached }
            if !state.1 {
                try await Task.sleep(for: .milliseconds(10))
                continue
            }
            do {
                let started = clock.now
                let v = try await compute()
                store(key, v, fresh: max(ttl, (clock.now - started) * costFactor))
                return v
            } catch {
                entries.withLock { entries in
                    if entries[key]?.value == nil { entries.removeValue(forKey: key) } else { entries[key]?.refreshing = false }
                }
                throw error
            }
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
