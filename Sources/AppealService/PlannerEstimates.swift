import Foundation
import Synchronization
import VecheRuntime

/// The planner's row estimate per list filter, kept for `ttl`: the first page of a list asks PostgreSQL for
/// an estimate (an `EXPLAIN`: planning work as costly as the page's own) and every first page of the same
/// filter within the next seconds gets the same answer. Only estimates are kept — an exact total (a filter the
/// planner puts at most `AppealQuery.exactCountLimit`) is still counted on every first page — and an estimate
/// is approximate anyway (statistics move only with ANALYZE). Keys hold the filter's binds: in memory only.
final class PlannerEstimates: Sendable {
    let ttl: Duration
    let capacity: Int
    private let entries = Mutex<[String: (rows: Int64, until: ContinuousClock.Instant)]>([:])

    init(ttl: Duration = .seconds(30), capacity: Int = 512) {
        self.ttl = ttl
        self.capacity = capacity
    }

    /// The estimate for `filter`: remembered, or computed by `plan` (on the caller's connection) and remembered.
    func value(_ filter: SQL, plan: () throws -> Int64) throws -> Int64 {
        let key = filter.text + "\u{0}" + filter.binds.map { $0.map { "=" + $0 } ?? "-" }.joined(separator: "\u{0}")
        let now = ContinuousClock.now
        if let hit = entries.withLock({ $0[key] }), now < hit.until { return hit.rows }
        let rows = try plan()
        entries.withLock { entries in
            if entries.count >= capacity { entries = entries.filter { $0.value.until > now } }
            if entries.count >= capacity { entries.removeAll() }
            entries[key] = (rows, now + ttl)
        }
        return rows
    }
}
