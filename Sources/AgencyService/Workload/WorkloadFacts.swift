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

    /// Applies `events` (in stream order) with one multi-row upsert per round: round k holds the k-th event of each
    /// appeal in the batch, so no statement touches a row twice and every appeal's events meet its row in their
    /// order — the same result as one statement per event (a batch of the relay's waves is one round).
    static func apply(_ conn: PGConnection, _ events: [(AppealV1.AppealEvent, AppealV1.Appeal)]) throws {
        var rounds: [[(AppealV1.AppealEvent, AppealV1.Appeal)]] = []
        var seen: [String: Int] = [:]
        for item in events {
            let k = seen[item.1.id, default: 0]
            seen[item.1.id] = k + 1
            if k == rounds.count { rounds.append([]) }
            rounds[k].append(item)
        }
        for round in rounds { try upsert(conn, round) }
    }

    /// One statement for events of distinct appeals.
    private static func upsert(_ conn: PGConnection, _ round: [(AppealV1.AppealEvent, AppealV1.Appeal)]) throws {
        let events = round.map(\.0), appeals = round.map(\.1)
        let at = events.map { date($0.occurredAtMs) }
        let taken: [Date?] = zip(events, at).map { [.assigned, .forwarded, .started].contains($0.type) ? $1 : nil }
        let reaction: [Date?] = zip(events, at).map { e, at in
            e.type == .received || e.type == .deadlineMissed || e.type == .classified || e.type == .routed ? nil : at
        }
        let executor = events.map { $0.type == .answered ? $0.actor : "" }
        let received: [Date] = zip(appeals, at).map { a, at in date(a.receivedAtMs) ?? at ?? Date() }
        try conn.query("""
            INSERT INTO workload_facts AS w (appeal_id, last_sequence, topic_code, channel, status, received_at, taken_at,
                                             first_reaction_at, answered_at, closed_at, executor)
            SELECT * FROM unnest(\(appeals.map(\.id))::text[], \(events.map(\.sequence))::bigint[], \(appeals.map(\.topicCode))::text[],
                                 \(appeals.map(\.channel.name))::text[], \(appeals.map(\.status.name))::text[], \(received)::timestamptz[],
                                 \(taken)::timestamptz[], \(reaction)::timestamptz[], \(appeals.map { date($0.answeredAtMs) })::timestamptz[],
                                 \(appeals.map { date($0.closedAtMs) })::timestamptz[], \(executor)::text[])
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
        try conn.forEachRow("""
            SELECT * FROM workload_facts WHERE received_at < \(to)
              AND (received_at >= \(from) OR coalesce(LEAST(answered_at, closed_at), answered_at, closed_at, 'infinity') >= \(from))
            """) { r in
            out.append(AppealRecord(id: r.string("appeal_id"), block: r.string("topic_code").isEmpty ? "other" : r.string("topic_code"),
                                    channel: r.string("channel"), receivedAt: r.date("received_at") ?? from, takenAt: r.date("taken_at"),
                                    firstReactionAt: r.date("first_reaction_at"), answeredAt: r.date("answered_at"), closedAt: r.date("closed_at"),
                                    executor: r.string("executor").isEmpty ? nil : r.string("executor")))
        }
        return out
    }
}
