import Contracts
import Foundation
import MediaMonitoring
import VecheRuntime

/// SQL of the `mentions` table (schema `appeal`, migration 8). Every statement goes through `SQL` binds.
enum MentionStore {
    /// Columns of a mention with its appeal's number (LEFT JOIN `appeals` as `a`).
    static let columns: SQL = """
        m.id::text AS id, m.source, m.external_id, m.url, m.author_handle, m.published_at, m.received_at, m.body, m.territory_hint,
        m.entities::text AS entities, m.tone, m.tone_confidence, m.topic_code, m.topic_confidence, m.municipality_oktmo,
        coalesce(m.incident_id::text, '') AS incident_id, coalesce(m.appeal_id::text, '') AS appeal_id, coalesce(a.number, '') AS appeal_number
        """

    static func mention(_ r: PGRow) -> MediaV1.Mention {
        let entities = (try? JSONDecoder().decode([StoredEntity].self, from: Data(r.string("entities").utf8))) ?? []
        return MediaV1.Mention(id: r.string("id"), source: r.string("source"), externalId: r.string("external_id"), url: r.string("url"),
                               authorHandle: r.string("author_handle"), publishedAtMs: r.epochMs("published_at"), text: r.string("body"),
                               territoryHint: r.string("territory_hint"), entities: entities.map(\.proto),
                               tone: MediaV1.Tone(name: r.string("tone")) ?? .unspecified, toneConfidence: r.double("tone_confidence"),
                               topicCode: r.string("topic_code"), topicConfidence: r.double("topic_confidence"),
                               municipalityOktmo: r.string("municipality_oktmo"), receivedAtMs: r.epochMs("received_at"),
                               incidentId: r.string("incident_id"), appealId: r.string("appeal_id"), appealNumber: r.string("appeal_number"))
    }

    /// Stores a post once per (source, external id); returns the stored row and whether it existed before.
    static func insert(_ conn: PGConnection, _ post: MediaV1.IncomingPost, _ a: PostAnalysis, published: Date, now: Date) throws -> (MediaV1.Mention, existed: Bool) {
        let entities = String(decoding: try JSONEncoder().encode(a.entities), as: UTF8.self)
        let ids = Array(Set(a.entities.map(\.entityId))).sorted()
        let inserted = try conn.query("""
            INSERT INTO mentions (id, source, external_id, url, author_handle, published_at, received_at, body, territory_hint, entities,
                                  entity_ids, tone, tone_confidence, topic_code, topic_confidence, municipality_oktmo)
            VALUES (\(UUID()), \(post.source), \(post.externalId), \(post.url), \(post.authorHandle), \(published), \(now), \(post.text),
                    \(post.territoryHint), \(entities)::jsonb, \(ids)::text[], \(a.tone.rawValue), \(a.toneConfidence), \(a.topicCode),
                    \(a.topicConfidence), \(a.municipalityOktmo))
            ON CONFLICT (source, external_id) DO NOTHING
            RETURNING id::text AS id
            """).first
        guard let row = try find(conn, source: post.source, externalID: post.externalId) else {
            throw RPCError.internalError("mention vanished during idempotent insert")
        }
        return (row, inserted == nil)
    }

    static func find(_ conn: PGConnection, source: String, externalID: String) throws -> MediaV1.Mention? {
        try conn.query("""
            SELECT \(columns) FROM mentions m LEFT JOIN appeals a ON a.id = m.appeal_id
            WHERE m.source = \(source) AND m.external_id = \(externalID)
            """).first.map(mention)
    }

    static func find(_ conn: PGConnection, id: String, lock: Bool = false) throws -> MediaV1.Mention? {
        guard UUID(uuidString: id) != nil else { return nil }
        let forUpdate: SQL = lock ? " FOR UPDATE OF m" : ""
        return try conn.query("""
            SELECT \(columns) FROM mentions m LEFT JOIN appeals a ON a.id = m.appeal_id WHERE m.id = \(id)::uuid\(forUpdate)
            """).first.map(mention)
    }

    /// Newest first, keyset on (published_at, id).
    static func list(_ conn: PGConnection, _ q: MediaV1.ListMentionsRequest, after: (ms: Int64, id: String)?, limit: Int) throws -> [MediaV1.Mention] {
        var filter: SQL = "TRUE"
        if !q.entityId.isEmpty { filter = filter + " AND m.entity_ids @> ARRAY[\(q.entityId)]::text[]" }
        if q.tone != .unspecified { filter = filter + " AND m.tone = \(q.tone.name)" }
        if !q.topicCode.isEmpty { filter = filter + " AND m.topic_code = \(q.topicCode)" }
        if !q.municipalityOktmo.isEmpty { filter = filter + " AND m.municipality_oktmo = \(q.municipalityOktmo)" }
        if q.fromMs > 0 { filter = filter + " AND m.published_at >= \(AppealStore.date(q.fromMs))::timestamptz" }
        if q.toMs > 0 { filter = filter + " AND m.published_at < \(AppealStore.date(q.toMs))::timestamptz" }
        if let after {
            filter = filter + " AND (m.published_at, m.id) < (\(AppealStore.date(after.ms))::timestamptz, \(after.id)::uuid)"
        }
        return try conn.query("""
            SELECT \(columns) FROM mentions m LEFT JOIN appeals a ON a.id = m.appeal_id
            WHERE \(filter) ORDER BY m.published_at DESC, m.id DESC LIMIT \(limit)
            """).rows.map(mention)
    }

    /// Posts per tone and bucket (`day` or `hour` in `timeZone`) over [from, to).
    static func toneSeries(_ conn: PGConnection, entity: String, topic: String, from: Date, to: Date, bucket: String,
                           timeZone: String) throws -> [(start: Date, tone: String, count: Int)] {
        var filter: SQL = "m.published_at >= \(from)::timestamptz AND m.published_at < \(to)::timestamptz"
        if !entity.isEmpty { filter = filter + " AND m.entity_ids @> ARRAY[\(entity)]::text[]" }
        if !topic.isEmpty { filter = filter + " AND m.topic_code = \(topic)" }
        return try conn.query("""
            SELECT date_trunc(\(bucket), m.published_at AT TIME ZONE \(timeZone)) AT TIME ZONE \(timeZone) AS start, m.tone, count(*) AS n
            FROM mentions m WHERE \(filter) GROUP BY 1, 2 ORDER BY 1
            """).rows.compactMap { r in r.date("start").map { ($0, r.string("tone"), Int(r.int("n"))) } }
    }
}
