import Contracts
import Foundation
import MediaMonitoring
import VecheRuntime

/// SQL of `media_incidents` and of the post counts the surge test reads.
enum IncidentStore {
    /// Statuses in which an incident's appeal no longer needs a reaction.
    static let finished = ["answered", "closed"]

    static func list(_ conn: PGConnection, openOnly: Bool, limit: Int) throws -> [MediaV1.Incident] {
        let open: SQL = openOnly ? "AND (a.status IS NULL OR NOT (a.status = ANY(\(finished)::text[])))" : ""
        return try conn.query("""
            SELECT i.id::text AS id, i.topic_code, i.municipality_oktmo, i.bucket_start, i.bucket_end, i.observed, i.expected, i.p_value,
                   i.q_value, i.opened_at, coalesce(i.appeal_id::text, '') AS appeal_id, coalesce(a.number, '') AS appeal_number,
                   coalesce(a.status, '') AS appeal_status, a.first_reaction_due,
                   (SELECT count(*) FROM mentions m WHERE m.incident_id = i.id) AS posts
            FROM media_incidents i LEFT JOIN appeals a ON a.id = i.appeal_id
            WHERE TRUE \(open)
            ORDER BY i.opened_at DESC, i.id DESC LIMIT \(limit)
            """).rows.map { r in
            MediaV1.Incident(id: r.string("id"), topicCode: r.string("topic_code"), municipalityOktmo: r.string("municipality_oktmo"),
                             bucketStartMs: r.epochMs("bucket_start"), bucketEndMs: r.epochMs("bucket_end"), observed: r.int32("observed"),
                             expected: r.double("expected"), pValue: r.double("p_value"), qValue: r.double("q_value"),
                             openedAtMs: r.epochMs("opened_at"), appealId: r.string("appeal_id"), appealNumber: r.string("appeal_number"),
                             appealStatus: r.string("appeal_status"), firstReactionDueMs: r.epochMs("first_reaction_due"),
                             posts: r.int32("posts"))
        }
    }

    /// Posts per (topic, territory, hour index since the epoch) over [from, to), topics known only.
    static func hourlyCounts(_ conn: PGConnection, from: Date, to: Date) throws -> [(topic: String, territory: String, hour: Int64, count: Int)] {
        try conn.query("""
            SELECT topic_code, municipality_oktmo, floor(extract(epoch FROM published_at) / 3600)::bigint AS h, count(*) AS n
            FROM mentions WHERE published_at >= \(from)::timestamptz AND published_at < \(to)::timestamptz AND topic_code <> ''
            GROUP BY 1, 2, 3
            """).rows.map { ($0.string("topic_code"), $0.string("municipality_oktmo"), $0.int("h"), Int($0.int("n"))) }
    }

    /// The incident of (topic, territory) whose appeal still waits for a reaction, if any.
    static func openIncident(_ conn: PGConnection, topic: String, territory: String) throws -> String? {
        try conn.query("""
            SELECT i.id::text AS id FROM media_incidents i LEFT JOIN appeals a ON a.id = i.appeal_id
            WHERE i.topic_code = \(topic) AND i.municipality_oktmo = \(territory)
              AND (a.status IS NULL OR NOT (a.status = ANY(\(finished)::text[])))
            ORDER BY i.opened_at DESC LIMIT 1
            """).first?.string("id")
    }

    /// A new incident for a surge (nil when that bucket already has one).
    static func insert(_ conn: PGConnection, _ s: Surge, start: Date, end: Date, now: Date) throws -> String? {
        try conn.query("""
            INSERT INTO media_incidents (id, topic_code, municipality_oktmo, bucket_start, bucket_end, observed, expected, p_value, q_value, opened_at)
            VALUES (\(UUID()), \(s.topic), \(s.territory), \(start), \(end), \(s.observed), \(s.expected), \(s.pValue), \(s.qValue), \(now))
            ON CONFLICT (topic_code, municipality_oktmo, bucket_start) DO NOTHING
            RETURNING id::text AS id
            """).first?.string("id")
    }

    /// Links the unlinked posts of (topic, territory) in [start, end) to an incident.
    static func link(_ conn: PGConnection, incident: String, topic: String, territory: String, start: Date, end: Date) throws {
        try conn.query("""
            UPDATE mentions SET incident_id = \(incident)::uuid
            WHERE incident_id IS NULL AND topic_code = \(topic) AND municipality_oktmo = \(territory)
              AND published_at >= \(start)::timestamptz AND published_at < \(end)::timestamptz
            """)
    }

    /// Incidents whose appeal has not been filed yet (a crash between the two steps is finished on the next pass).
    static func withoutAppeal(_ conn: PGConnection) throws -> [(id: String, topic: String, territory: String, start: Date, observed: Int, expected: Double)] {
        try conn.query("""
            SELECT id::text AS id, topic_code, municipality_oktmo, bucket_start, observed, expected FROM media_incidents
            WHERE appeal_id IS NULL ORDER BY opened_at LIMIT 100
            """).rows.map { ($0.string("id"), $0.string("topic_code"), $0.string("municipality_oktmo"), $0.date("bucket_start") ?? Date(),
                             Int($0.int("observed")), $0.double("expected")) }
    }

    static func posts(_ conn: PGConnection, incident: String, limit: Int) throws -> [MediaV1.Mention] {
        try conn.query("""
            SELECT \(MentionStore.columns) FROM mentions m LEFT JOIN appeals a ON a.id = m.appeal_id
            WHERE m.incident_id = \(incident)::uuid ORDER BY m.published_at, m.id LIMIT \(limit)
            """).rows.map(MentionStore.mention)
    }

    static func setAppeal(_ conn: PGConnection, incident: String, appeal: String) throws {
        try conn.query("UPDATE media_incidents SET appeal_id = \(appeal)::uuid WHERE id = \(incident)::uuid AND appeal_id IS NULL")
    }
}
