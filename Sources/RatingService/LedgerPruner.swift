import Foundation
import Logging
import ServiceLifecycle
import VecheRuntime

/// Keeps RatingService's ledger of applied events (`applied_events`) to a window instead of a row per event for
/// ever. The ledger only tells a redelivered event from a new one; a redelivery follows a lost acknowledgement within
/// the consumer's ack wait (seconds), and a rebuild truncates the ledger with the facts. An event whose row was pruned
/// and that still came back would be counted as stale instead of duplicate and change nothing: its sequence is at or
/// below its appeal's projected one (`RatingProjection.seenEventIDs`), so the facts never take it again.
struct LedgerPruner: Service {
    let pool: PGPool
    /// Rows older than this go.
    let retention: Duration
    let interval: Duration
    let logger: Logger
    /// Rows deleted per statement (short transactions beside the projection's batches).
    static let chunk = 10_000

    func run() async throws {
        await Periodic.run(every: interval, immediately: false, logger: logger, failure: "event ledger pruning failed, will retry") {
            [pool, retention, logger] in
            let removed = try await Self.prune(pool: pool, olderThan: Date().addingTimeInterval(-retention.inSeconds))
            if removed > 0 { logger.info("event ledger pruned", metadata: ["rows": "\(removed)"]) }
        }
    }

    /// Deletes the ledger rows applied before `cutoff`, a chunk per transaction; returns how many went.
    static func prune(pool: PGPool, olderThan cutoff: Date) async throws -> Int {
        var total = 0
        while true {
            let n = try await pool.withConnection { conn in
                try conn.query("""
                    DELETE FROM applied_events WHERE event_id IN (
                        SELECT event_id FROM applied_events WHERE applied_at < \(cutoff) ORDER BY applied_at LIMIT \(integer: chunk))
                    """).affectedRows
            }
            total += n
            if n < chunk { return total }
            try Task.checkCancellation()
        }
    }

    static let migrationSQL = """
        -- Pruning reads the ledger by age (LedgerPruner).
        CREATE INDEX applied_events_applied_at_idx ON applied_events (applied_at);
        """
}
