import Foundation
import Logging
import ServiceLifecycle
import VecheRuntime
import Workload

/// Walks the open escalation items whose next level is due, alerts every level that fell due (each once:
/// `escalation_alerts` holds the keys, written with the outbox rows in the item's transaction) and schedules
/// the next. Items are taken with SKIP LOCKED, so several instances share the work without alerting twice.
final class EscalationTicker: Service, @unchecked Sendable {
    let pool: PGPool
    let text: NotificationText
    let messengers: Set<String>
    let logger: Logger
    let interval: Duration
    /// Called after a pass that queued notifications.
    let onQueued: @Sendable () -> Void
    private let wakeup = Wakeup()

    init(pool: PGPool, text: NotificationText, messengers: Set<String>, logger: Logger, interval: Duration,
         onQueued: @escaping @Sendable () -> Void = {}) {
        self.pool = pool
        self.text = text
        self.messengers = messengers
        self.logger = logger
        self.interval = interval
        self.onQueued = onQueued
    }

    /// Asks for a pass now (a new item was opened).
    func kick() { wakeup.kick() }

    /// Items one pass takes.
    static let passSize = 500
    /// Passes one wake-up runs back to back while they come back full, before the sender is told: a backlog (a bulk
    /// import of overdue appeals) is queued whole, so each person's alerts go out as one digest, not one per pass.
    static let passesPerWake = 100

    func run() async throws {
        await wakeup.run(every: interval) {
            do {
                var queued = 0
                for _ in 0..<Self.passesPerWake {
                    let pass = try await self.pass(now: Date())
                    queued += pass.queued
                    if pass.items < Self.passSize { break }
                }
                if queued > 0 { self.onQueued() }
            } catch {
                self.logger.warning("escalation pass failed, will retry", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One pass at `now`; returns the number of notifications queued.
    @discardableResult
    func tick(now: Date = Date()) async throws -> Int { try await pass(now: now).queued }

    /// One pass at `now`: the items it found due and the notifications it queued.
    private func pass(now: Date) async throws -> (items: Int, queued: Int) {
        let due = try await pool.query("""
            SELECT appeal_id, deadline_kind, deadline::text AS deadline FROM escalation_items
            WHERE resolved_at IS NULL AND next_due_at <= \(now)::timestamptz ORDER BY next_due_at LIMIT \(Self.passSize)
            """).rows
        var queued = 0
        // Levels with nobody to alert, reported once per pass and role (a bulk import makes thousands at once).
        var unreachable: [EscalationRole: (appeals: Int, example: String)] = [:]
        for key in due {
            let outcome = try await pool.transaction { conn -> (queued: Int, unreachable: [EscalationRole]) in
                guard let row = try conn.query("""
                    SELECT * FROM escalation_items WHERE appeal_id = \(key.string("appeal_id")) AND deadline_kind = \(key.string("deadline_kind"))
                      AND deadline = \(key.string("deadline"))::timestamptz AND resolved_at IS NULL AND next_due_at <= \(now)::timestamptz
                    FOR UPDATE SKIP LOCKED
                    """).first else { return (0, []) }
                return try self.escalate(conn, EscalationItemRow(row), now: now)
            }
            queued += outcome.queued
            for role in outcome.unreachable {
                unreachable[role, default: (0, key.string("appeal_id"))].appeals += 1
            }
        }
        for (role, n) in unreachable.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            logger.warning("escalation level has nobody to alert",
                           metadata: ["role": "\(role.rawValue)", "appeals": "\(n.appeals)", "appeal": "\(n.example)"])
        }
        return (due.count, queued)
    }

    /// The levels already alerted for an appeal (read through `escalation_alerts_appeal_idx`, AgencyService migration 8).
    static func alertedSQL(appealID: String) -> SQL { "SELECT key FROM escalation_alerts WHERE appeal_id = \(appealID)" }

    /// Alerts the levels of `item` that fell due; returns the notifications queued and the levels nobody could be told at.
    private func escalate(_ conn: PGConnection, _ item: EscalationItemRow, now: Date) throws -> (queued: Int, unreachable: [EscalationRole]) {
        let chain = try NotificationStore.chain(conn, block: item.topicCode)
        let alerted = Set(try conn.query(Self.alertedSQL(appealID: item.appealID)).rows.map { $0.string("key") })
        let decision = Escalation.evaluate(item.overdue, chain: chain, now: now, alerted: alerted)
        var queued = 0
        var unreachable: [EscalationRole] = []
        let names = decision.toSend.isEmpty ? nil : try conn.query("""
            SELECT (SELECT name FROM agencies WHERE id = \(item.agencyID)) AS agency, (SELECT name FROM topics WHERE code = \(item.topicCode)) AS topic
            """).first
        for alert in decision.toSend {
            let notice = text.escalation(alert, item: item, agencyName: names?.string("agency") ?? "", topicName: names?.string("topic") ?? "")
            let recipients = try NotificationStore.recipients(conn, role: alert.role, item: item)
            for r in recipients where try NotificationStore.enqueue(conn, notice, to: r, messengers: messengers) { queued += 1 }
            try conn.query("""
                INSERT INTO escalation_alerts (key, appeal_id, role, due_at, recipients)
                VALUES (\(alert.key), \(item.appealID), \(alert.role.rawValue), \(alert.dueAt), \(recipients.count))
                ON CONFLICT DO NOTHING
                """)
            if recipients.isEmpty { unreachable.append(alert.role) }
        }
        try conn.query("""
            UPDATE escalation_items SET next_due_at = coalesce(\(decision.nextDueAt)::timestamptz, 'infinity')
            WHERE appeal_id = \(item.appealID) AND deadline_kind = \(item.deadlineKind) AND deadline = \(item.deadline)
            """)
        return (queued, unreachable)
    }
}
