import Contracts
import Foundation
import VecheRuntime
import Workload

/// Keeps `workload_facts` from the appeal events (in the notifier's transaction): the newest snapshot of each
/// appeal, plus the times only events tell (taken into work, first reaction, who answered).
enum WorkloadFacts {
    static func date(_ ms: Int64) -> Date? { ms > 0 ? Date(timeIntervalSince1970: Double(ms) / 1000) : nil }

    static func apply(_ conn: PGConnection, event: AppealV1.AppealEvent, appeal a: AppealV1.Appeal) throws {
        try apply(conn, [(event, a)])
    }

    /// Applies `events` (in stream order) with one multi-row upsert per round: round k holds the k-th row of each
    /// appeal in the batch, so no statement touches a row twice and every appeal's events meet its row in their
    /// order — the same result as one statement per event. An appeal's events that can be folded (`Row.folding`)
    /// are one row: the relay keeps an appeal's events close together in the stream, so an intake's three events
    /// usually arrive in one batch and the appeal's record is written once instead of three times.
    static func apply(_ conn: PGConnection, _ events: [(AppealV1.AppealEvent, AppealV1.Appeal)]) throws {
        var perAppeal: [String: [(AppealV1.AppealEvent, AppealV1.Appeal)]] = [:]
        var order: [String] = []
        for item in events {
            if perAppeal[item.1.id] == nil { order.append(item.1.id) }
            perAppeal[item.1.id, default: []].append(item)
        }
        var rounds: [[Row]] = []
        for id in order {
            let items = perAppeal[id] ?? []
            let rows = Row.folding(items).map { [$0] } ?? items.map { Row($0.0, $0.1) }
            for (k, row) in rows.enumerated() {
                if k == rounds.count { rounds.append([]) }
                rounds[k].append(row)
            }
        }
        for round in rounds { try upsert(conn, round) }
    }

    /// What one event (or a folded run of them) writes to an appeal's record.
    struct Row {
        var appeal: AppealV1.Appeal
        var sequence: Int64
        var received: Date
        var taken: Date?
        var reaction: Date?
        var executor: String

        init(_ e: AppealV1.AppealEvent, _ a: AppealV1.Appeal) {
            let at = WorkloadFacts.date(e.occurredAtMs)
            appeal = a
            sequence = e.sequence
            received = WorkloadFacts.date(a.receivedAtMs) ?? at ?? Date()
            taken = [.assigned, .forwarded, .started].contains(e.type) ? at : nil
            reaction = e.type == .received || e.type == .deadlineMissed || e.type == .classified || e.type == .routed ? nil : at
            executor = e.type == .answered ? e.actor : ""
        }

        /// One row equal in effect to applying `items` one by one, or nil when that cannot be guaranteed. Folding
        /// needs strictly increasing sequences (then the last event's snapshot is what the one-by-one upserts
        /// leave, whatever the stored sequence) and an executor on the last event only (the upsert takes an
        /// executor when its event is not older than the record, which for an earlier event depends on the stored
        /// sequence); the first-taken and first-reaction times are minima, and `received_at` is the first event's
        /// (it is written only by the insert).
        static func folding(_ items: [(AppealV1.AppealEvent, AppealV1.Appeal)]) -> Row? {
            guard zip(items, items.dropFirst()).allSatisfy({ $0.0.sequence < $1.0.sequence }) else { return nil }
            let rows = items.map { Row($0.0, $0.1) }
            guard var out = rows.last, rows.dropLast().allSatisfy({ $0.executor.isEmpty }) else { return nil }
            out.received = rows[0].received
            out.taken = rows.compactMap(\.taken).min()
            out.reaction = rows.compactMap(\.reaction).min()
            return out
        }
    }

    /// One statement for rows of distinct appeals.
    private static func upsert(_ conn: PGConnection, _ round: [Row]) throws {
        let appeals = round.map(\.appeal)
        try conn.query("""
            INSERT INTO workload_facts AS w (appeal_id, last_sequence, topic_code, channel, status, received_at, taken_at,
                                             first_reaction_at, answered_at, closed_at, executor)
            SELECT * FROM unnest(\(appeals.map(\.id))::text[], \(round.map(\.sequence))::bigint[], \(appeals.map(\.topicCode))::text[],
                                 \(appeals.map(\.channel.name))::text[], \(appeals.map(\.status.name))::text[], \(round.map(\.received))::timestamptz[],
                                 \(round.map(\.taken))::timestamptz[], \(round.map(\.reaction))::timestamptz[], \(appeals.map { date($0.answeredAtMs) })::timestamptz[],
                                 \(appeals.map { date($0.closedAtMs) })::timestamptz[], \(round.map(\.executor))::text[])
            ON CONFLICT (appeal_id) DO UPDATE SET
                taken_at = coalesce(LEAST(w.taken_at, excluded.taken_at), w.taken_at, excluded.taken_at),
                first_reaction_at = coalesce(LEAST(w.first_reaction_at, excluded.first_reaction_at), w.first_reaction_at, excluded.first_reaction_at),
                executor = CASE WHEN excluded.executor <> '' AND excluded.last_sequence >= w.last_sequence THEN excluded.executor ELSE w.executor END,
                last_sequence = GREATEST(w.last_sequence, excluded.last_sequence),
                topic_code = CASE WHEN excluded.last_sequence >= w.last_sequence THEN excluded.topic_code ELSE w.topic_code END,
                channel = CASE WHEN excluded.last_sequence >= w.last_sequence THEN excluded.channel ELSE w.channel END,
                status = CASE WHEN excluded.last_sequence >= w.last_sequence THEN excluded.status ELSE w.status END,
                answered_at = CASE WHEN excluded.last_sequence >= w.last_sequence THEN excluded.answered_at ELSE w.answered_at END,
                closed_at = CASE WHEN excluded.last_sequence >= w.last_sequence THEN excluded.closed_at ELSE w.closed_at END
            """)
    }

    /// The records of appeals received before `to` and still relevant after `from` (received, or open then).
    /// Read through a cursor (`PGConnection.forEachRow`; the caller's transaction): at a million appeals half a
    /// year of records is 300,000 rows, which as one result took hundreds of megabytes.
    static func records(_ conn: PGConnection, from: Date, to: Date) throws -> [AppealRecord] {
        var out: [AppealRecord] = []
        // Executors are few and their ids longer than Swift keeps inline: one shared copy of each, not one per record.
        var executors: [String: String] = [:]
        func executor(_ e: String) -> String? {
            guard !e.isEmpty else { return nil }
            if let known = executors[e] { return known }
            executors[e] = e
            return e
        }
        try conn.forEachRow("""
            SELECT * FROM workload_facts WHERE received_at < \(to)
              AND (received_at >= \(from) OR coalesce(LEAST(answered_at, closed_at), answered_at, closed_at, 'infinity') >= \(from))
            """) { r in
            out.append(AppealRecord(id: r.string("appeal_id"), block: r.string("topic_code").isEmpty ? "other" : r.string("topic_code"),
                                    channel: r.string("channel"), receivedAt: r.date("received_at") ?? from, takenAt: r.date("taken_at"),
                                    firstReactionAt: r.date("first_reaction_at"), answeredAt: r.date("answered_at"), closedAt: r.date("closed_at"),
                                    executor: executor(r.string("executor"))))
        }
        return out
    }
}
