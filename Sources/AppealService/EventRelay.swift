import Contracts
import Foundation
import Logging
import ServiceLifecycle
import VecheRuntime

/// Transactional outbox relay: publishes committed lifecycle events to JetStream in commit order
/// (Nats-Msg-Id = event id, so a re-publish after a crash is de-duplicated by the stream), then marks them.
final class EventRelay: Service, @unchecked Sendable {
    let pool: PGPool
    let jetStream: JetStream
    let logger: Logger
    private let signal: AsyncStream<Void>.Continuation
    private let signals: AsyncStream<Void>

    init(pool: PGPool, jetStream: JetStream, logger: Logger) {
        self.pool = pool
        self.jetStream = jetStream
        self.logger = logger
        (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the relay to look for pending events now.
    func kick() { signal.yield() }

    func run() async throws {
        let ticker = Task { [signal] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                signal.yield()
            }
        }
        defer { ticker.cancel() }
        await cancelWhenGracefulShutdown {
            for await _ in self.signals {
                do {
                    while try await self.publishBatch() > 0 {}
                } catch {
                    self.logger.warning("event relay: publish failed, will retry", metadata: ["error": "\(error)"])
                }
            }
        }
        // Final flush so events committed before shutdown are not left waiting.
        _ = try? await publishBatch()
    }

    /// Publishes up to 500 pending events; returns how many.
    func publishBatch() async throws -> Int {
        let js = jetStream
        return try await pool.transaction { conn in
            let rows = try conn.query("""
                SELECT id::text AS id, type, payload FROM appeal_events WHERE published_at IS NULL
                ORDER BY occurred_at, appeal_id, seq LIMIT 500 FOR UPDATE SKIP LOCKED
                """).rows
            var done: [String] = []
            for row in rows {
                guard let payload = PGBytes.decode(row.string("payload")) else { continue }
                let type = AppealV1.EventType(name: row.string("type")) ?? .unspecified
                _ = try js.publishBlocking(NatsMessage(subject: Subjects.AppealEvents.subject(for: type),
                                                       headers: ["Nats-Msg-Id": row.string("id")], payload: payload))
                done.append(row.string("id"))
            }
            if !done.isEmpty {
                try conn.query("UPDATE appeal_events SET published_at = now() WHERE id = ANY(\(done)::uuid[])")
            }
            return done.count
        }
    }
}
