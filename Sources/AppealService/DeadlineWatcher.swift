import Contracts
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VecheRuntime

/// Watches 59-FZ deadlines: every `interval` it finds appeals whose registration, forwarding, answer or
/// social-media first-reaction deadline has passed while the appeal is still waiting for that step, records
/// each miss once in `deadline_alerts`, and appends a `deadline_missed` event (published by the outbox relay)
/// so dashboards, ratings and notification systems learn about it as it happens.
final class DeadlineWatcher: Service, @unchecked Sendable {
    let pool: PGPool
    let relay: EventRelay
    let logger: Logger
    let interval: Duration
    /// The most misses of one kind a pass takes up (earliest first); a check that found this many goes on at the next pass.
    let candidateLimit: Int
    static let defaultCandidateLimit = 1000

    init(pool: PGPool, relay: EventRelay, logger: Logger, interval: Duration = .seconds(30), candidateLimit: Int = defaultCandidateLimit) {
        self.pool = pool
        self.relay = relay
        self.logger = logger
        self.interval = interval
        self.candidateLimit = max(1, candidateLimit)
    }

    func run() async throws {
        // The pass number, and the checks whose last pass found `candidateLimit` misses (more are waiting).
        let state = Mutex((pass: 0, saturated: Set<String>()))
        await Periodic.run(every: interval, logger: logger, failure: "deadline watcher failed, will retry") {
            let kinds = state.withLock { s in defer { s.pass += 1 }; return Self.kinds(forPass: s.pass, saturated: s.saturated) }
            let done = try await self.pass(kinds: kinds)
            state.withLock { $0.saturated = done.saturated }
            if done.alerts > 0 {
                self.logger.notice("deadlines missed", metadata: ["alerts": "\(done.alerts)", "more waiting": "\(done.saturated.sorted())"])
            }
            if done.marked > 0 { self.logger.info("answer deadlines passed: appeals marked overdue", metadata: ["appeals": "\(done.marked)"]) }
        }
    }

    /// The day-scale 59-FZ deadlines (register 3 days, forward 7, answer 30) are checked on every
    /// `dayScaleEvery`-th pass (every 5 minutes at the default 30 s interval), the first reaction to a social-media
    /// incident (hours on a working-hours clock) on every pass: each pass of a check walks every overdue open appeal
    /// that already has its alert (for the answer 29,600 appeals, 200 ms, at 1.56 million appeals).
    static let dayScaleEvery = 10

    /// The checks pass `n` (0, 1, …) of the periodic loop runs; the first pass runs them all. A check whose last pass
    /// found `candidateLimit` misses runs again at the next pass, whatever its cadence: after a bulk import of appeals
    /// already past their deadlines, the day-scale checks took up 1,000 misses of a kind every five minutes, and the
    /// alerts of a 20,000-appeal import arrived over most of an hour.
    static func kinds(forPass n: Int, saturated: Set<String> = []) -> Set<String> {
        (n % dayScaleEvery == 0 ? Set(checks.map(\.kind)) : ["first_reaction"]).union(saturated)
    }

    /// What one pass did: the alerts it recorded, the checks that found `candidateLimit` misses (more may wait), and
    /// the appeals it marked overdue for the lists (`OverdueMarks`).
    struct Pass: Sendable, Equatable {
        var alerts = 0
        var saturated: Set<String> = []
        var marked = 0
    }

    /// One deadline check: the deadline kind, its column and the statuses that wait for it.
    typealias Check = (kind: String, column: String, statuses: [String])

    /// Which deadline applies while an appeal is in which statuses (the table is `AppealLifecycleRules.deadlineWaits`).
    static let checks: [Check] = AppealLifecycleRules.deadlineWaits.map { wait in
        (wait.kind, wait.kind + "_due", AppealV1.Status.allCases.filter(wait.statuses.contains).map(\.name))
    }

    /// One pass; returns the number of new alerts. Each alert is its own short transaction that locks the
    /// appeal row first and re-checks the miss, so it never races an operator's transition for the
    /// appeal's next event sequence and never alerts a deadline the transition just met.
    @discardableResult
    func tick(now: Date = Date(), kinds: Set<String>? = nil) async throws -> Int {
        try await pass(now: now, kinds: kinds).alerts
    }

    /// One pass of the checks named (all when nil).
    func pass(now: Date = Date(), kinds: Set<String>? = nil) async throws -> Pass {
        var done = Pass()
        for check in Self.checks where kinds?.contains(check.kind) ?? true {
            let candidates = try await pool.query(Self.candidatesSQL(check, now: now, limit: candidateLimit)).rows.map { $0.string("id") }
            if candidates.count >= candidateLimit { done.saturated.insert(check.kind) }
            for id in candidates where try await alert(id, check: check, now: now) {
                done.alerts += 1
            }
        }
        done.marked = try await OverdueMarks.markPending(pool)
        return done
    }

    /// Up to `limit` appeals that missed `check`'s deadline and have no alert for it, earliest first. Each check reads
    /// a partial index on its deadline over the statuses that wait for it (`appeals_register_due_idx`,
    /// `appeals_forward_due_idx`, `appeals_answer_due_idx`, `appeals_first_reaction_due_idx`), never the table.
    static func candidatesSQL(_ check: Check, now: Date, limit: Int = defaultCandidateLimit) -> SQL {
        let due = SQL(stringLiteral: "a.\(check.column)")
        return """
            SELECT a.id::text AS id FROM appeals a
            WHERE a.status = ANY(\(check.statuses)::text[]) AND \(due) IS NOT NULL AND \(due) < \(now)::timestamptz
              AND NOT EXISTS (SELECT 1 FROM deadline_alerts d WHERE d.appeal_id = a.id AND d.kind = \(check.kind) AND d.due_at = \(due))
            ORDER BY \(due) LIMIT \(integer: limit)
            """
    }

    /// Migration 19: the first-reaction check had no index and read the whole table every pass (a parallel
    /// sequential scan of 1.4 million appeals, 0.4–0.6 s on two cores, every 30 s). The statuses are
    /// `AppealLifecycleRules.deadlineWaits`' for `first_reaction` (a test checks the plan uses this index).
    static let firstReactionIndexSQL = """
        CREATE INDEX appeals_first_reaction_due_idx ON appeals (first_reaction_due)
            WHERE status IN ('received', 'registered', 'assigned', 'forwarded');
        """

    private func alert(_ id: String, check: Check, now: Date) async throws -> Bool {
        let due = SQL(stringLiteral: "a.\(check.column)")
        let added = try await pool.transaction { conn -> Bool in
            guard let locked = try AppealStore.lock(conn, idOrNumber: id) else { return false }
            let inserted = try conn.query("""
                INSERT INTO deadline_alerts (appeal_id, kind, due_at)
                SELECT a.id, \(check.kind), \(due) FROM appeals a
                WHERE a.id = \(id)::uuid AND a.status = ANY(\(check.statuses)::text[]) AND \(due) IS NOT NULL AND \(due) < \(now)::timestamptz
                ON CONFLICT DO NOTHING
                RETURNING due_at
                """).first
            guard let inserted else { return false }
            let appeal = locked.appeal
            let dueText = inserted.date("due_at").map(PGTime.format) ?? ""
            _ = try AppealStore.appendEvent(conn, appeal: appeal, type: .deadlineMissed, from: appeal.status, actor: "deadline-watcher",
                                            comment: "\(check.kind) deadline \(dueText) missed", at: max(now, locked.lastChange))
            return true
        }
        if added { relay.kick() }
        return added
    }
}
