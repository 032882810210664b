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
/// configured wait.
final class NotificationSender: Service, @unchecked Sendable {
    let pool: PGPool
    let channels: [String: any NotificationChannel]
    let logger: Logger
    let interval: Duration
    let maxAttempts: Int
    let retryBase: Duration
    let batch: Int
    private let wakeup = Wakeup()

    init(pool: PGPool, channels: [any NotificationChannel], logger: Logger, interval: Duration, maxAttempts: Int, retryBase: Duration, batch: Int = 50) {
        self.pool = pool
        self.channels = Dictionary(channels.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.logger = logger
        self.interval = interval
        self.maxAttempts = maxAttempts
        self.retryBase = retryBase
        self.batch = batch
    }

    /// Asks for a pass now (something was queued).
    func kick() { wakeup.kick() }

    func run() async throws {
        defer { channels.values.forEach { $0.close() } }
        await wakeup.run(every: interval) {
            do {
                while try await self.sendBatch() == self.batch {}
            } catch {
                self.logger.warning("notification pass failed, will retry", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Claims and delivers up to `batch` due notifications; returns how many were claimed.
    @discardableResult
    func sendBatch() async throws -> Int {
        let leaseSeconds = Int64(retryBase.components.seconds)
        let claimed = try await pool.query("""
            UPDATE notification_outbox SET attempts = attempts + 1,
                   next_attempt_at = now() + make_interval(secs => \(leaseSeconds) * (attempts + 1))
            WHERE id IN (SELECT id FROM notification_outbox WHERE status = 'pending' AND next_attempt_at <= now()
                           AND channel = ANY(\(Array(channels.keys))::text[])
                         ORDER BY id LIMIT \(batch) FOR UPDATE SKIP LOCKED)
            RETURNING id, recipient, kind, channel, address, subject, body, attempts
            """).rows
        for r in claimed {
            let n = OutboxNotification(id: r.int("id"), recipient: r.string("recipient"), kind: r.string("kind"), channel: r.string("channel"),
                                       address: r.string("address"), subject: r.string("subject"), body: r.string("body"))
            guard let channel = channels[n.channel] else { continue }
            do {
                try await channel.deliver(n)
                try await pool.query("UPDATE notification_outbox SET status = 'sent', sent_at = now(), last_error = '' WHERE id = \(n.id)")
            } catch {
                let permanent = (error as? DeliveryError)?.permanent ?? false
                let failed = permanent || r.int("attempts") >= Int64(maxAttempts)
                logger.warning("notification not delivered", metadata: ["id": "\(n.id)", "channel": "\(n.channel)", "error": "\(error)",
                                                                        "final": "\(failed)"])
                try await pool.query("""
                    UPDATE notification_outbox SET last_error = \(String(describing: error)),
                           status = CASE WHEN \(failed) THEN 'failed' ELSE status END WHERE id = \(n.id)
                    """)
            }
        }
        return claimed.count
    }
}
