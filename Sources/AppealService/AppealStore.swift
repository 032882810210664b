import Contracts
import Foundation
import VecheRuntime

/// SQL for the `appeal` schema. Every statement binds its values; nothing user-supplied is concatenated.
struct AppealStore: Sendable {
    let pool: PGPool

    static let columns: SQL = """
        a.id::text AS id, a.number, a.channel, a.external_id, a.status, a.author_name, a.author_email, a.author_phone,
        a.author_social, a.author_postal, a.title, a.body, a.redacted_body, a.address, a.latitude, a.longitude,
        a.municipality_oktmo, a.topic_code, a.category_code, a.classification_confidence, a.agency_id,
        a.problem_group_id, a.monitoring_flags, a.received_at, a.registered_at, a.register_due, a.forward_due,
        a.answer_due, a.first_reaction_due, a.extension_count, a.answered_at, a.closed_at, a.answer_text,
        a.answer_complete, a.satisfaction, a.reopen_count, a.version, a.source_url, a.attachment_urls,
        a.updated_at, a.is_public, a.classifier_version, a.needs_triage, a.topic_hint
        """

    static func appeal(from r: PGRow) -> AppealV1.Appeal {
        var a = AppealV1.Appeal()
        a.id = r.string("id")
        a.number = r.string("number")
        a.channel = AppealV1.Channel(name: r.string("channel")) ?? .unspecified
        a.externalId = r.string("external_id")
        a.status = AppealV1.Status(name: r.string("status")) ?? .unspecified
        let author = CommonV1.Person(fullName: r.string("author_name"), email: r.string("author_email"), phone: r.string("author_phone"),
                                     socialHandle: r.string("author_social"), postalAddress: r.string("author_postal"))
        a.author = author == CommonV1.Person() ? nil : author
        a.title = r.string("title")
        a.text = r.string("body")
        a.redactedText = r.string("redacted_body")
        a.address = r.string("address")
        if !r.isNull("latitude") { a.location = CommonV1.GeoPoint(latitude: r.double("latitude"), longitude: r.double("longitude")) }
        a.municipalityOktmo = r.string("municipality_oktmo")
        a.topicCode = r.string("topic_code")
        a.categoryCode = r.string("category_code")
        a.classificationConfidence = r.double("classification_confidence")
        a.agencyId = r.string("agency_id")
        a.problemGroupId = r.string("problem_group_id")
        a.monitoringFlags = r.stringArray("monitoring_flags")
        a.receivedAtMs = r.epochMs("received_at")
        a.registeredAtMs = r.epochMs("registered_at")
        a.deadlines = AppealV1.Deadlines(registerDueMs: r.epochMs("register_due"), forwardDueMs: r.epochMs("forward_due"),
                                         answerDueMs: r.epochMs("answer_due"), firstReactionDueMs: r.epochMs("first_reaction_due"))
        a.extensionCount = r.int32("extension_count")
        a.answeredAtMs = r.epochMs("answered_at")
        a.closedAtMs = r.epochMs("closed_at")
        a.answerText = r.string("answer_text")
        a.answerComplete = r.bool("answer_complete")
        a.satisfaction = r.int32("satisfaction")
        a.reopenCount = r.int32("reopen_count")
        a.version = r.int("version")
        a.sourceUrl = r.string("source_url")
        a.attachmentUrls = r.stringArray("attachment_urls")
        a.updatedAtMs = r.epochMs("updated_at")
        a.isPublic = r.bool("is_public")
        a.classifierVersion = r.string("classifier_version")
        a.needsTriage = r.bool("needs_triage")
        a.topicHint = r.string("topic_hint")
        return a
    }

    static func date(_ ms: Int64) -> Date? { ms == 0 ? nil : Date(timeIntervalSince1970: Double(ms) / 1000) }

    // MARK: reads

    /// The condition selecting an appeal by its id (a UUID) or its number.
    static func byIDOrNumber(_ idOrNumber: String) -> SQL {
        UUID(uuidString: idOrNumber) != nil ? "a.id = \(idOrNumber)::uuid" : "a.number = \(idOrNumber)"
    }

    /// An event from its stored payload's bytes; nil when they do not decode.
    static func event(_ bytes: [UInt8]) -> AppealV1.AppealEvent? { try? AppealV1.AppealEvent(serializedBytes: bytes) }

    static func find(_ conn: PGConnection, idOrNumber: String, forUpdate: Bool = false) throws -> AppealV1.Appeal? {
        let lock: SQL = forUpdate ? " FOR UPDATE" : ""
        return try conn.query("SELECT \(columns) FROM appeals a WHERE \(byIDOrNumber(idOrNumber))\(lock)").first.map(appeal(from:))
    }

    /// The appeal a citizen token opens (by the token's hash).
    static func find(_ conn: PGConnection, citizenTokenHash: String, forUpdate: Bool = false) throws -> AppealV1.Appeal? {
        let lock: SQL = forUpdate ? " FOR UPDATE" : ""
        return try conn.query("SELECT \(columns) FROM appeals a WHERE a.citizen_token_hash = \(citizenTokenHash)\(lock)").first.map(appeal(from:))
    }

    static func ratedAnswerAt(_ conn: PGConnection, appealID: String) throws -> Int64 {
        try conn.query("SELECT rated_answer_ms FROM appeals WHERE id = \(appealID)::uuid").first?.int("rated_answer_ms") ?? 0
    }

    static func markRated(_ conn: PGConnection, appealID: String, answeredAtMs: Int64) throws {
        try conn.query("UPDATE appeals SET rated_answer_ms = \(answeredAtMs) WHERE id = \(appealID)::uuid")
    }

    /// An appeal locked for a change (SELECT … FOR UPDATE) and the time of its last change.
    struct Locked {
        var appeal: AppealV1.Appeal
        /// The latest of receipt, registration, answer and every recorded event.
        var lastChange: Date
    }

    /// Locks the appeal row until the transaction ends. Every change of an appeal — and every event
    /// appended to it — happens under this lock, so changes of one appeal are serialised.
    static func lock(_ conn: PGConnection, idOrNumber: String) throws -> Locked? {
        try locked(conn, try find(conn, idOrNumber: idOrNumber, forUpdate: true))
    }

    /// Locks the appeal a citizen token opens, as `lock(_:idOrNumber:)`.
    static func lock(_ conn: PGConnection, citizenTokenHash: String) throws -> Locked? {
        try locked(conn, try find(conn, citizenTokenHash: citizenTokenHash, forUpdate: true))
    }

    private static func locked(_ conn: PGConnection, _ found: AppealV1.Appeal?) throws -> Locked? {
        guard let a = found else { return nil }
        let lastEvent = try conn.query("SELECT last_event_at FROM appeals WHERE id = \(a.id)::uuid").first?.date("last_event_at")
        let ms = max(a.receivedAtMs, a.registeredAtMs, a.answeredAtMs)
        return Locked(appeal: a, lastChange: max(Date(timeIntervalSince1970: Double(ms) / 1000), lastEvent ?? .distantPast))
    }

    static func find(_ conn: PGConnection, channel: AppealV1.Channel, externalID: String) throws -> AppealV1.Appeal? {
        try conn.query("SELECT \(columns) FROM appeals a WHERE a.channel = \(channel.name) AND a.external_id = \(externalID)")
            .first.map(appeal(from:))
    }

    /// Which of the (channel, external id) pairs are stored, as "channel\0external id" keys (one statement).
    static func existingKeys(_ conn: PGConnection, _ keys: [(AppealV1.Channel, String)]) throws -> Set<String> {
        guard !keys.isEmpty else { return [] }
        let rows = try conn.query("""
            SELECT a.channel, a.external_id FROM appeals a
            JOIN unnest(\(keys.map(\.0.name))::text[], \(keys.map(\.1))::text[]) AS k(channel, external_id)
              ON a.channel = k.channel AND a.external_id = k.external_id
            """).rows
        return Set(rows.map { $0.string("channel") + "\u{0}" + $0.string("external_id") })
    }

    /// An appeal (by id or number) and its history in one statement: GetAppeal's one round trip.
    static func findWithHistory(_ conn: PGConnection, idOrNumber: String) throws -> (AppealV1.Appeal, [AppealV1.AppealEvent])? {
        let history: SQL = """
            (SELECT string_agg(encode(e.payload, 'hex'), ',' ORDER BY e.seq) FROM appeal_events e WHERE e.appeal_id = a.id) AS history_hex
            """
        guard let row = try conn.query("SELECT \(columns), \(history) FROM appeals a WHERE \(byIDOrNumber(idOrNumber))").first else {
            return nil
        }
        return (appeal(from: row), (row.hexRuns("history_hex") ?? []).compactMap(event))
    }

    static func history(_ conn: PGConnection, appealID: String) throws -> [AppealV1.AppealEvent] {
        try conn.query("SELECT payload FROM appeal_events WHERE appeal_id = \(appealID)::uuid ORDER BY seq").rows.compactMap {
            $0.bytes("payload").flatMap(event)
        }
    }

    // MARK: writes

    /// Writes the mutable part of an appeal, bumping its version.
    static func update(_ conn: PGConnection, _ a: AppealV1.Appeal) throws -> AppealV1.Appeal {
        let d = a.deadlines ?? AppealV1.Deadlines()
        try conn.query("""
            UPDATE appeals SET status = \(a.status.name), agency_id = \(a.agencyId), topic_code = \(a.topicCode),
                category_code = \(a.categoryCode), classification_confidence = \(a.classificationConfidence),
                classifier_version = \(a.classifierVersion), needs_triage = \(a.needsTriage),
                problem_group_id = \(a.problemGroupId), monitoring_flags = \(a.monitoringFlags)::text[],
                redacted_body = \(a.redactedText), municipality_oktmo = \(a.municipalityOktmo),
                registered_at = \(date(a.registeredAtMs))::timestamptz,
                register_due = \(date(d.registerDueMs))::timestamptz, forward_due = \(date(d.forwardDueMs))::timestamptz,
                answer_due = \(date(d.answerDueMs))::timestamptz, first_reaction_due = \(date(d.firstReactionDueMs))::timestamptz,
                extension_count = \(a.extensionCount), answered_at = \(date(a.answeredAtMs))::timestamptz,
                closed_at = \(date(a.closedAtMs))::timestamptz, answer_text = \(a.answerText), answer_complete = \(a.answerComplete),
                satisfaction = \(a.satisfaction), reopen_count = \(a.reopenCount),
                version = version + 1, updated_at = now()
            WHERE id = \(a.id)::uuid
            """)
        guard let fresh = try find(conn, idOrNumber: a.id) else { throw RPCError.notFound("appeal \(a.id) disappeared") }
        return fresh
    }

    /// Appends an event (state after the change) to the history/outbox in the same transaction, with the trace
    /// context of the current request (the relay publishes it in the event's headers). Its per-appeal
    /// sequence is taken from the appeal row by an UPDATE, which holds the row lock until commit: sequences
    /// are gap-free and in commit order even when a caller forgot to lock the row first.
    static func appendEvent(_ conn: PGConnection, appeal: AppealV1.Appeal, type: AppealV1.EventType, from: AppealV1.Status,
                            actor: String, comment: String, at: Date) throws -> AppealV1.AppealEvent {
        guard let seq = try conn.query("""
            UPDATE appeals SET event_seq = event_seq + 1, last_event_at = GREATEST(last_event_at, \(at)::timestamptz)
            WHERE id = \(appeal.id)::uuid RETURNING event_seq
            """).first?.int("event_seq") else { throw RPCError.notFound("appeal \(appeal.id) disappeared") }
        let event = AppealV1.AppealEvent(eventId: TimeOrderedUUID.string(), type: type, occurredAtMs: Int64(at.timeIntervalSince1970 * 1000),
                                         actor: actor, comment: comment, fromStatus: from, appeal: appeal, sequence: seq)
        try conn.query("""
            INSERT INTO appeal_events (id, appeal_id, seq, type, occurred_at, actor, comment, from_status, to_status, agency_id, payload, traceparent)
            VALUES (\(event.eventId)::uuid, \(appeal.id)::uuid, \(Int32(seq)), \(type.name), \(at), \(actor), \(comment),
                    \(from == .unspecified ? "" : from.name), \(appeal.status.name), \(appeal.agencyId), \(PGBytes.encode(event.serializedBytes()))::bytea,
                    \(TraceHeaders.currentTraceParent()))
            """)
        return event
    }

    static func rejectIntake(_ conn: PGConnection, subject: String, sequence: UInt64, reason: String, payload: [UInt8], headers: [String: String]) throws {
        let headersJSON = (try? JSONSerialization.data(withJSONObject: RPCHeader.withoutCredentials(headers), options: [.sortedKeys])).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        try conn.query("""
            INSERT INTO rejected_intake (subject, stream_sequence, reason, payload, headers)
            VALUES (\(subject), \(Int64(sequence)), \(reason), \(PGBytes.encode(payload))::bytea, \(headersJSON)::jsonb)
            ON CONFLICT (subject, stream_sequence) DO NOTHING
            """)
    }
}

