import Foundation
import Logging
import ServiceLifecycle
import VecheRuntime

/// Delivers the outbox through the configured channels.
///
/// A notification is claimed by pushing its `next_attempt_at` ahead (committed before sending, SKIP LOCKED,
/// so instances never send the same row at once), delivered, then marked `sent`. A sent row is never taken
/// again, so restarts send nothing twice; only a crash between the channel's acceptance and the mark can
/// repeat one, and then with the same Message-ID. Failures back off (`retryBase` × attempt); permanent
/// refusals and rows out of attempts become `failed` with the reason. Rows for a channel that is not
/// configured wait. Escalation alerts due for one person at once go as one digest (`DigestPolicy`).
final class NotificationSender: Service, @unchecked Sendable {
    let pool: PGPool
    let channels: [String: any NotificationChannel]
    let logger: Logger
    let interval: Duration
    let maxAttempts: Int
    let retryBase: Duration
    let batch: Int
    let digest: DigestPolicy?
    private let wakeup = Wakeup()

    init(pool: PGPool, channels: [any NotificationChannel], logger: Logger, interval: Duration, maxAttempts: Int, retryBase: Duration,
         batch: Int = 50, digest: DigestPolicy? = nil) {
        self.pool = pool
        self.channels = Dictionary(channels.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.logger = logger
        self.interval = interval
        self.maxAttempts = maxAttempts
        self.retryBase = retryBase
        self.batch = batch
        self.digest = digest.flatMap { $0.minimum >= 2 ? $0 : nil }
    }

    /// Asks for a pass now (something was queued).
    func kick() { wakeup.kick() }

    func run() async throws {
        defer { channels.values.forEach { $0.close() } }
        await wakeup.run(every: interval) {
            do {
                while try await self.sendBatch() >= self.batch {}
            } catch {
                self.logger.warning("notification pass failed, will retry", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Delivers the due digests, then claims and delivers up to `batch` due notifications one by one; returns
    /// how many outbox rows were claimed.
    @discardableResult
    func sendBatch() async throws -> Int {
        var claimed = 0
        if let digest { claimed += try await sendDigests(digest) }
        let rows = try await claim("""
            SELECT id FROM notification_outbox WHERE status = 'pending' AND next_attempt_at <= now()
              AND channel = ANY(\(Array(channels.keys))::text[])
            ORDER BY id LIMIT \(batch) FOR UPDATE SKIP LOCKED
            """)
        for r in rows { try await deliverOne(r) }
        return claimed + rows.count
    }

    /// One claimed outbox row.
    struct Claimed: Sendable {
        var notification: OutboxNotification
        var summary: String
        var attempts: Int64
    }

    /// Leases the rows `ids` selects (their next attempt pushed ahead, one attempt counted), committed before
    /// anything is sent; in id order.
    private func claim(_ ids: SQL) async throws -> [Claimed] {
        let leaseSeconds = Int64(retryBase.components.seconds)
        return try await pool.query("""
            UPDATE notification_outbox SET attempts = attempts + 1,
                   next_attempt_at = now() + make_interval(secs => \(leaseSeconds) * (attempts + 1))
            WHERE id IN (\(ids))
            RETURNING id, recipient, kind, channel, address, subject, body, summary, attempts
            """).rows.map { r in
            Claimed(notification: OutboxNotification(id: r.int("id"), recipient: r.string("recipient"), kind: r.string("kind"),
                                                     channel: r.string("channel"), address: r.string("address"),
                                                     subject: r.string("subject"), body: r.string("body")),
                    summary: r.string("summary"), attempts: r.int("attempts"))
        }.sorted { $0.notification.id < $1.notification.id }
    }

    private func deliverOne(_ c: Claimed) async throws {
        let n = c.notification
        guard let channel = channels[n.channel] else { return }
        do {
            try await channel.deliver(n)
            try await markSent([n.id])
        } catch {
            try await recordFailure(error, ids: [n.id], channel: n.channel, attempts: c.attempts)
        }
    }

    /// Rows `ids` delivered (never taken again); `digest`: the Message-ID of the digest that carried them.
    private func markSent(_ ids: [Int64], digest: String = "") async throws {
        try await pool.query("""
            UPDATE notification_outbox SET status = 'sent', sent_at = now(), last_error = '', digest = \(digest)
            WHERE id = ANY(\(ids)::bigint[])
            """)
    }

    /// A refused or failed delivery of rows `ids`: the reason kept, `failed` when permanent or out of attempts.
    private func recordFailure(_ error: any Error, ids: [Int64], channel: String, attempts: Int64) async throws {
        let permanent = (error as? DeliveryError)?.permanent ?? false
        let failed = permanent || attempts >= Int64(maxAttempts)
        logger.warning("notification not delivered", metadata: ["id": "\(ids.first ?? 0)", "rows": "\(ids.count)", "channel": "\(channel)",
                                                                "error": "\(error)", "final": "\(failed)"])
        try await pool.query("""
            UPDATE notification_outbox SET last_error = \(String(describing: error)),
                   status = CASE WHEN \(failed) THEN 'failed' ELSE status END WHERE id = ANY(\(ids)::bigint[])
            """)
    }

    /// Every recipient with at least `minimum` due alerts of a digested kind on one channel and address gets them
    /// as one message (up to `maximum` rows; more wait for the next pass). Fewer claimed (another instance took
    /// some meanwhile) go one by one. Returns the rows claimed.
    private func sendDigests(_ policy: DigestPolicy) async throws -> Int {
        let groups = try await pool.query("""
            SELECT recipient, channel, address FROM notification_outbox
            WHERE status = 'pending' AND next_attempt_at <= now() AND kind = ANY(\(DigestPolicy.kinds)::text[])
              AND channel = ANY(\(Array(channels.keys))::text[])
            GROUP BY recipient, channel, address HAVING count(*) >= \(policy.minimum)
            ORDER BY min(id) LIMIT 100
            """).rows
        var claimed = 0
        for g in groups {
            let rows = try await claim("""
                SELECT id FROM notification_outbox
                WHERE status = 'pending' AND next_attempt_at <= now() AND kind = ANY(\(DigestPolicy.kinds)::text[])
                  AND recipient = \(g.string("recipient")) AND channel = \(g.string("channel")) AND address = \(g.string("address"))
                ORDER BY id LIMIT \(policy.maximum) FOR UPDATE SKIP LOCKED
                """)
            claimed += rows.count
            guard rows.count >= policy.minimum, let first = rows.first, let channel = channels[first.notification.channel] else {
                for r in rows { try await deliverOne(r) }
                continue
            }
            let ids = rows.map(\.notification.id)
            let text = policy.text.escalationDigest(rows.map { $0.summary.isEmpty ? $0.notification.subject : $0.summary },
                                                    workspaceURL: policy.workspaceURL)
            var n = first.notification
            n.kind = DigestPolicy.kind
            n.subject = text.subject
            n.body = text.body
            let messageID = DigestPolicy.messageID(ids)
            do {
                try await channel.deliver(n, messageID: messageID)
                try await markSent(ids, digest: messageID)
                logger.info("escalation digest sent", metadata: ["recipient": "\(n.recipient)", "channel": "\(n.channel)", "rows": "\(ids.count)"])
            } catch {
                try await recordFailure(error, ids: ids, channel: n.channel, attempts: rows.map(\.attempts).max() ?? 0)
            }
        }
        return claimed
    }
}

/// When alerts go as one digest: a bulk import of overdue appeals or a stalled agency makes hundreds of escalation
/// alerts due for the same people in one pass, and one message listing them is what they can act on.
struct DigestPolicy: Sendable {
    /// From this many due alerts for one recipient, channel and address (below 2: never).
    var minimum: Int
    var text: NotificationText
    /// The workspace's origin for the digest's link ('' = no link).
    var workspaceURL: String
    /// Most rows one digest carries; a larger backlog goes in the next passes.
    var maximum: Int = 20_000

    /// The outbox kinds that are digested: only staff alerts (citizens hear about their own appeal one by one).
    static let kinds = [NoticeKind.escalation.rawValue]
    /// The `kind` a digest is delivered with (messenger bridges log it).
    static let kind = "escalation_digest"

    /// The digest's Message-ID / `Nats-Msg-Id`: the rows it carries, so a copy resent after a crash (same rows) is
    /// recognisable as the same message, and a digest of a different set of rows is never taken for it.
    static func messageID(_ ids: [Int64]) -> String {
        "digest-\(ids.first ?? 0)-\(ids.last ?? 0)-\(ids.count)"
    }
}
