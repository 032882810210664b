import Contracts
import Foundation
import VecheRuntime

/// A fetched batch of lifecycle events applied in one transaction with a constant number of statements
/// (issue #10): the appeals of the batch are locked in one consistent order, the ids already seen and the
/// projection's current sequences are read at once, and the outcome of every event is decided in memory by the
/// same rules as `RatingProjection.apply` — new snapshot when it is the appeal's next sequence, stale when
/// older, duplicate when seen. An appeal with a gap (an event ahead of the next sequence, or events already
/// waiting in `deferred_events`) is handled event by event through `apply` in the same transaction, so
/// deferral and draining stay exactly as they are for single events.
extension RatingProjection {
    /// What the checks decided about one message.
    enum Checked: Sendable {
        case event(AppealV1.AppealEvent, streamSequence: Int64)
        case rejected(String)
    }

    /// Counts of one batch's outcomes.
    struct BatchSummary: Sendable, Equatable {
        var applied = 0, duplicates = 0, stale = 0, deferred = 0
    }

    /// Decodes and validates one message (nothing stored).
    static func check(_ item: JetStreamMessage) -> Checked {
        let msg = item.message
        guard item.stream == Subjects.AppealEvents.stream else {
            return .rejected("message from stream \(item.stream), not \(Subjects.AppealEvents.stream)")
        }
        guard let event = try? AppealV1.AppealEvent(serializedBytes: msg.payload) else {
            return .rejected("payload is not a valid veche.appeal.v1.AppealEvent protobuf (\(msg.payload.count) bytes)")
        }
        if let problem = validate(event) { return .rejected(problem) }
        guard msg.subject == Subjects.AppealEvents.subject(for: event.type) else {
            return .rejected("a \(event.type.name) event on subject \(msg.subject)")
        }
        return .event(event, streamSequence: Int64(item.streamSequence))
    }

    /// Keeps a refused message with its reason and moves the consumer position past it.
    static func storeRejection(_ conn: PGConnection, _ item: JetStreamMessage, reason: String) throws {
        let seq = Int64(item.streamSequence)
        try conn.query("""
            INSERT INTO rejected_events (subject, stream_sequence, reason, payload)
            VALUES (\(item.message.subject), \(seq), \(reason), \(PGBytes.encode(item.message.payload))::bytea)
            ON CONFLICT (stream_sequence) DO NOTHING
            """)
        try conn.query("UPDATE consumer_state SET last_stream_sequence = GREATEST(last_stream_sequence, \(seq)) WHERE id = 1")
    }

    /// The consumer's batch handler: one transaction for the whole batch; if it fails for a reason other than a
    /// lost database, each message is handled on its own so one bad message cannot hold up the others.
    func processBatch(_ items: [JetStreamMessage]) async -> [ConsumeOutcome] {
        guard !items.isEmpty else { return [] }
        let checked = items.map(Self.check)
        var events: [(AppealV1.AppealEvent, Int64)] = []
        var rejected: [(JetStreamMessage, String)] = []
        for (item, c) in zip(items, checked) {
            switch c {
            case .event(let e, let seq): events.append((e, seq))
            case .rejected(let reason): rejected.append((item, reason))
            }
        }
        do {
            let summary = try await pool.transaction { [events, rejected] conn in
                for (item, reason) in rejected { try Self.storeRejection(conn, item, reason: reason) }
                return try Self.applyBatch(conn, events)
            }
            for (item, reason) in rejected {
                logger.notice("rating: event rejected and kept", metadata: ["subject": "\(item.message.subject)", "seq": "\(item.streamSequence)", "reason": "\(reason)"])
            }
            if summary.deferred > 0 {
                logger.warning("rating: per-appeal sequence gap, events deferred until the earlier ones arrive", metadata: ["deferred": "\(summary.deferred)"])
            }
            return items.map { _ in .ack }
        } catch let e as PGError where e.redeliversBatch {
            logger.warning("rating: database unavailable, batch will be redelivered", metadata: ["error": "\(e)"])
            return items.map { _ in .retry(after: .seconds(1)) }
        } catch {
            logger.warning("rating: batch not applied together, applying its events one by one", metadata: ["error": "\(error)"])
            var out: [ConsumeOutcome] = []
            for item in items { out.append(await process(item)) }
            return out
        }
    }

    /// Applies `events` (in stream order) inside the caller's transaction.
    static func applyBatch(_ conn: PGConnection, _ events: [(AppealV1.AppealEvent, Int64)]) throws -> BatchSummary {
        guard !events.isEmpty else { return BatchSummary() }
        let appealIDs = Array(Set(events.map { $0.0.appeal?.id ?? "" })).sorted()
        // Every appeal of the batch, locked in one order (ids sorted) so two instances never wait on each other in a cycle.
        try conn.query("""
            SELECT count(pg_advisory_xact_lock(hashtext(id))) AS n FROM (SELECT id FROM unnest(\(appealIDs)::text[]) AS u(id) ORDER BY id) s
            """)
        var current: [String: Int64] = [:]
        for r in try conn.query("SELECT appeal_id, last_sequence FROM appeal_facts WHERE appeal_id = ANY(\(appealIDs)::text[])").rows {
            current[r.string("appeal_id")] = r.int("last_sequence")
        }
        var seen = try seenEventIDs(conn, events, current: current)
        var slow = Set(try conn.query("""
            SELECT DISTINCT appeal_id FROM deferred_events WHERE appeal_id = ANY(\(appealIDs)::text[])
            """).rows.map { $0.string("appeal_id") })
        // Which appeals have a gap inside this batch (decided on a copy: nothing is written yet).
        var simulated = current
        var simulatedSeen = seen
        for (e, _) in events {
            let id = e.appeal?.id ?? ""
            guard !slow.contains(id), simulatedSeen.insert(e.eventId).inserted else { continue }
            let cur = simulated[id] ?? 0
            if e.sequence > cur + 1 { slow.insert(id) } else if e.sequence == cur + 1 { simulated[id] = e.sequence }
        }

        var summary = BatchSummary()
        var applied: [(event: AppealV1.AppealEvent, seq: Int64, outcome: String)] = []
        var latest: [String: AppealV1.AppealEvent] = [:]
        var order: [String] = []
        var maxStreamSequence: Int64 = 0
        for (e, seq) in events {
            let id = e.appeal?.id ?? ""
            if slow.contains(id) {
                switch try apply(conn, event: e, streamSequence: seq) {
                case .applied: summary.applied += 1
                case .duplicate: summary.duplicates += 1
                case .stale: summary.stale += 1
                case .deferred: summary.deferred += 1
                }
                continue
            }
            maxStreamSequence = max(maxStreamSequence, seq)
            guard seen.insert(e.eventId).inserted else { summary.duplicates += 1; continue }
            let cur = current[id] ?? 0
            if e.sequence == cur + 1 {
                current[id] = e.sequence
                if latest[id] == nil { order.append(id) }
                latest[id] = e
                applied.append((e, seq, "applied"))
                summary.applied += 1
            } else {
                applied.append((e, seq, "stale"))
                summary.stale += 1
            }
        }
        if !applied.isEmpty {
            try conn.query("""
                INSERT INTO applied_events (event_id, appeal_id, sequence, stream_sequence, outcome)
                SELECT * FROM unnest(\(applied.map(\.event.eventId))::text[], \(applied.map { $0.event.appeal?.id ?? "" })::text[],
                                     \(applied.map(\.event.sequence))::bigint[], \(applied.map(\.seq))::bigint[], \(applied.map(\.outcome))::text[])
                """)
        }
        if !order.isEmpty { try upsertFacts(conn, order.compactMap { latest[$0] }) }
        let fast = summary.applied + summary.duplicates + summary.stale
        if fast > 0 {
            // The slow path counted its own events; these are the fast path's (deferred ones are never fast).
            let fastApplied = applied.filter { $0.outcome == "applied" }.count
            let fastStale = applied.count - fastApplied
            let fastDuplicates = events.filter { !slow.contains($0.0.appeal?.id ?? "") }.count - applied.count
            try conn.query("""
                UPDATE consumer_state SET events_applied = events_applied + \(fastApplied), stale_skipped = stale_skipped + \(fastStale),
                       duplicates_skipped = duplicates_skipped + \(fastDuplicates),
                       last_stream_sequence = GREATEST(last_stream_sequence, \(maxStreamSequence)) WHERE id = 1
                """)
        }
        return summary
    }

    /// The events of `events` already in `applied_events` or `deferred_events`. `applied_events` is probed only for
    /// events at or below their appeal's projected sequence (`current`): every applied or stale event was at or below
    /// it when it was recorded, and the projected sequence only grows (facts and applied ids are truncated together),
    /// so an event above it cannot be there. New events — nearly all of them — thus cost no probe of a table that
    /// holds one row per event ever applied (its random-uuid index outgrows memory: about 12 ms per batch of 700 at
    /// 2.4 million events). `deferred_events` is small and probed for every event.
    static func seenEventIDs(_ conn: PGConnection, _ events: [(AppealV1.AppealEvent, Int64)], current: [String: Int64]) throws -> Set<String> {
        let eventIDs = events.map(\.0.eventId)
        let known = events.filter { $0.0.sequence <= (current[$0.0.appeal?.id ?? ""] ?? 0) }.map(\.0.eventId)
        return Set(try conn.query("""
            SELECT event_id FROM applied_events WHERE event_id = ANY(\(known)::text[])
            UNION ALL SELECT event_id FROM deferred_events WHERE event_id = ANY(\(eventIDs)::text[])
            """).rows.map { $0.string("event_id") })
    }

    /// Writes the newest snapshot of each appeal (one per appeal, each its next sequence under the batch's locks).
    static func upsertFacts(_ conn: PGConnection, _ events: [AppealV1.AppealEvent]) throws {
        let appeals = events.map { $0.appeal ?? AppealV1.Appeal() }
        let facts = zip(events, appeals).map { FactRow(appeal: $1, occurredAtMs: $0.occurredAtMs) }
        func col<T: PGBindable>(_ f: (AppealV1.Appeal) -> T) -> [T] { appeals.map(f) }
        try conn.query("""
            INSERT INTO appeal_facts (appeal_id, last_sequence, last_event_id, status, agency_id, municipality_oktmo,
                topic_code, category_code, problem_group_id, author_key, sub_reason, registered_at, answered_at,
                closed_at, answer_due, extension_count, reopen_count, satisfaction, answer_complete, updated_at)
            SELECT appeal_id, last_sequence, last_event_id, status, agency_id, municipality_oktmo, topic_code, category_code,
                problem_group_id, CASE WHEN author = '' THEN '' ELSE md5(author) END, sub_reason, registered_at, answered_at,
                closed_at, answer_due, extension_count, reopen_count, satisfaction, answer_complete, now()
            FROM unnest(\(col(\.id))::text[], \(events.map(\.sequence))::bigint[], \(events.map(\.eventId))::text[],
                        \(col(\.status.name))::text[], \(col(\.agencyId))::text[], \(col(\.municipalityOktmo))::text[],
                        \(col(\.topicCode))::text[], \(col(\.categoryCode))::text[], \(col(\.problemGroupId))::text[],
                        \(facts.map(\.authorIdentity))::text[], \(facts.map(\.subReason))::text[], \(facts.map(\.registeredAt))::timestamptz[],
                        \(facts.map(\.answeredAt))::timestamptz[], \(facts.map(\.closedAt))::timestamptz[], \(facts.map(\.answerDue))::timestamptz[],
                        \(col { Int64($0.extensionCount) })::int[], \(col { Int64($0.reopenCount) })::int[],
                        \(facts.map(\.satisfaction))::int[], \(facts.map(\.answerComplete))::boolean[])
                AS r(appeal_id, last_sequence, last_event_id, status, agency_id, municipality_oktmo, topic_code, category_code,
                     problem_group_id, author, sub_reason, registered_at, answered_at, closed_at, answer_due, extension_count,
                     reopen_count, satisfaction, answer_complete)
            \(RatingProjection.newerSnapshotWins)
            """)
    }
}
