import Synchronization
import VecheRuntime

/// Values kept per SQL statement (its text and bind values) for `ttl` in this process, at most `capacity` of them:
/// when full, expired entries go first, then all. The shared part of `PlannerEstimates` and `ListCounts`. Keys hold
/// bind values: in memory only.
final class StatementMemo<Value: Sendable>: Sendable {
    let ttl: Duration
    let capacity: Int
    private let entries = Mutex<[String: (value: Value, until: ContinuousClock.Instant)]>([:])

    init(ttl: Duration, capacity: Int) {
        self.ttl = ttl
        self.capacity = capacity
    }

    /// The key of `statement`: its text and every bind value (NULL distinct from any text).
    static func key(_ statement: SQL) -> String {
        statement.text + "\u{0}" + statement.binds.map { $0.map { "=" + $0 } ?? "-" }.joined(separator: "\u{0}")
    }

    /// The value kept for `key`, if it has not expired at `now`.
    func value(_ key: String, now: ContinuousClock.Instant) -> Value? {
        entries.withLock { entries in entries[key].flatMap { now < $0.until ? $0.value : nil } }
    }

    /// Keeps `value` for `key` until `now + ttl`.
    func store(_ key: String, _ value: Value, now: ContinuousClock.Instant) {
        entries.withLock { entries in
            if entries.count >= capacity { entries = entries.filter { $0.value.until > now } }
            if entries.count >= capacity { entries.removeAll() }
            entries[key] = (value, now + ttl)
        }
    }
}
