import Contracts
import Foundation
import Logging
import ServiceLifecycle
import VecheRuntime

/// Where the relay publishes events: JetStream (a test wraps it to inject failures).
protocol EventPublishing: Sendable {
    /// Publishes in order with asynchronous acks; one result per message.
    func publish(_ messages: [NatsMessage]) async -> [Result<JetStream.PublishAck, any Error>]
}

/// JetStream as the relay's publisher.
struct JetStreamEventPublisher: EventPublishing {
    let jetStream: JetStream
    func publish(_ messages: [NatsMessage]) async -> [Result<JetStream.PublishAck, any Error>] {
        await jetStream.publish(messages)
    }
}

/// Transactional outbox relay: publishes committed lifecycle events (`appeal_events`) to JetStream, each with the
/// `traceparent` of the request that caused it.
///
/// * **Outside any transaction**: pending events (`EventOutbox`) are read, published, then removed from the
///   outbox in one DELETE; no row lock is held while JetStream answers. A crash between publishing and marking re-publishes, and
///   the stream drops the copy (`Nats-Msg-Id` = event id).
/// * **Strictly in per-appeal commit order**: an appeal's sequence is assigned under its row lock, so
///   sequence order is commit order; the relay publishes in waves — the next pending event of every active
///   appeal at once (asynchronous acks), the following event of an appeal only after the previous one was
///   acknowledged. A failed publish stops that appeal until the next batch, so a retry never overtakes.
/// * **An appeal's events close together in the stream**: each wave admits at most `admittedPerWave` more
///   appeals, so the events of one appeal lie within a few hundred stream positions and a consumer's batch
///   usually holds all of them (RatingService and the notifier then write an appeal's row once per batch, not
///   once per event; admitting every appeal of a 2,000-event batch in the first wave spread an intake's three
///   events per appeal 1,300 positions apart). A wave with a failure admits no more: the rest waits for the
///   next batch instead of timing out wave by wave.
/// * **One publisher across instances**: only the instance holding a PostgreSQL advisory lock (on a
///   dedicated session) publishes; if it dies, its session ends and another instance takes over.
final class EventRelay: Service, @unchecked Sendable {
    let pool: PGPool
    let publisher: any EventPublishing
    let logger: Logger
    let batchSize: Int
    let admittedPerWave: Int
    let pollInterval: Duration
    private let signal: AsyncStream<Void>.Continuation
    private let signals: AsyncStream<Void>

    static let leaderLock: SQL = "hashtextextended('veche.appeal.event-relay', 0)"

    init(pool: PGPool, publisher: any EventPublishing, logger: Logger, batchSize: Int = 2000, admittedPerWave: Int = Subjects.AppealEvents.relayAdmittedPerWave,
         pollInterval: Duration = .milliseconds(250)) {
        self.pool = pool
        self.publisher = publisher
        self.logger = logger
        self.batchSize = batchSize
        self.admittedPerWave = max(1, admittedPerWave)
        self.pollInterval = pollInterval
        (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the relay to look for pending events now.
    func kick() { signal.yield() }

    func run() async throws {
        let leadership = Leadership(pool: pool, logger: logger)
        defer { leadership.close() }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    while (try? await Task.sleep(for: self.pollInterval)) != nil { self.signal.yield() }
                }
                group.addTask {
                    for await _ in self.signals {
                        guard await leadership.holds() else { continue }
                        await self.drain()
                    }
                }
            }
        }
        // Final flush so events committed before shutdown are not left waiting.
        if await leadership.holds() { await drain() }
    }

    private func drain() async {
        do {
            while try await publishBatch() > 0 {}
        } catch is CancellationError {
            return   // shutting down; the final flush follows
        } catch {
            logger.warning("event relay: publish failed, will retry", metadata: ["error": "\(error)"])
        }
    }

    struct Pending {
        var outboxID: Int64
        var id: String
        var appeal: String
        var message: NatsMessage
    }

    /// Publishes up to `batchSize` pending events; returns how many were acknowledged. Throws when
    /// nothing could be published.
    func publishBatch() async throws -> Int {
        let rows = try await pool.query(EventOutbox.pending(limit: batchSize)).rows
        guard !rows.isEmpty else { return 0 }
        var queues: [String: ArraySlice<Pending>] = [:]
        var order: [String] = []
        for row in rows {
            guard let payload = row.bytes("payload") else { continue }
            let type = AppealV1.EventType(name: row.string("type")) ?? .unspecified
            var headers = ["Nats-Msg-Id": row.string("id")]
            // The trace context of the request that caused the event, so its consumers continue that trace.
            let trace = row.string("traceparent")
            if !trace.isEmpty { headers[TraceHeaders.traceParent] = trace }
            let p = Pending(outboxID: row.int("outbox_id"), id: row.string("id"), appeal: row.string("appeal"),
                            message: NatsMessage(subject: Subjects.AppealEvents.subject(for: type), headers: headers, payload: payload))
            if queues[p.appeal] == nil { order.append(p.appeal) }
            queues[p.appeal, default: []].append(p)
        }
        var published: [Int64] = []
        var lastError: (any Error)?
        var waiting = order[...]
        var active: [String] = []
        while true {
            if lastError == nil {
                active += waiting.prefix(admittedPerWave)
                waiting = waiting.dropFirst(admittedPerWave)
            }
            guard !active.isEmpty else { break }
            let wave = active.compactMap { queues[$0]?.first }
            let results = await publisher.publish(wave.map(\.message))
            var next: [String] = []
            for (event, result) in zip(wave, results) {
                switch result {
                case .success:
                    published.append(event.outboxID)
                    queues[event.appeal]?.removeFirst()
                    if queues[event.appeal]?.isEmpty == false { next.append(event.appeal) }
                case .failure(let error):
                    // This appeal's later events wait for the next batch: nothing overtakes the failed one.
                    lastError = error
                }
            }
            active = next
        }
        if !published.isEmpty {
            try await pool.query(EventOutbox.published(published))
        }
        if let lastError {
            if published.isEmpty { throw lastError }
            logger.warning("event relay: some events not acknowledged, will retry in order", metadata: ["error": "\(lastError)"])
        }
        return published.count
    }
}

/// The relay's leader lease: a session-level advisory lock on a dedicated connection. Lost with the session
/// (instance or database gone); re-tried on every tick.
final class Leadership: @unchecked Sendable {
    let pool: PGPool
    let logger: Logger
    // Touched only by the relay's single loop task.
    private var session: PGSession?
    private var leader = false
    /// The last attempt failed: the next failures are not logged again (the relay asks on every poll, four
    /// times a second, and a database outage filled the log with one warning per poll).
    private var failing = false

    init(pool: PGPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// True while this instance may publish.
    func holds() async -> Bool {
        do {
            let s: PGSession
            if let session { s = session } else { s = try await pool.makeSession(); session = s }
            let healthy = await s.isHealthy()
            if leader {
                if healthy { return true }
                logger.warning("event relay: leader session lost")
                leader = false
            }
            if !healthy { try await s.reconnect() }
            leader = try await s.run { conn in
                try conn.query("SELECT pg_try_advisory_lock(\(EventRelay.leaderLock)) AS ok").first?.bool("ok") ?? false
            }
            if leader { logger.info("event relay: this instance publishes events") }
            if failing { logger.notice("event relay: the database answers again") }
            failing = false
            return leader
        } catch {
            if !failing { logger.warning("event relay: cannot take the leader lock, retrying quietly", metadata: ["error": "\(error)"]) }
            failing = true
            leader = false
            return false
        }
    }

    func close() { session?.close() }
}
