import VecheRuntime

/// The planner's row estimate per list filter, kept for `ttl`: the first page of a list asks PostgreSQL for
/// an estimate (an `EXPLAIN`: planning work as costly as the page's own) and every first page of the same
/// filter within the next seconds gets the same answer. Only estimates are kept — an exact total (a filter the
/// planner puts at most `AppealQuery.exactCountLimit`) is counted, and shared only while no appeal changed
/// (`ListCounts`) — and an estimate
/// is approximate anyway (statistics move only with ANALYZE). Keys hold the filter's binds: in memory only.
final class PlannerEstimates: Sendable {
    private let memo: StatementMemo<Int64>

    init(ttl: Duration = .seconds(30), capacity: Int = 512) {
        memo = StatementMemo(ttl: ttl, capacity: capacity)
    }

    /// The estimate for `filter`: remembered, or computed by `plan` (on the caller's connection) and remembered.
    func value(_ filter: SQL, plan: () throws -> Int64) throws -> Int64 {
        let key = StatementMemo<Int64>.key(filter)
        let now = ContinuousClock.now
        if let rows = memo.value(key, now: now) { return rows }
        let rows = try plan()
        memo.store(key, rows, now: now)
        return rows
    }
}
