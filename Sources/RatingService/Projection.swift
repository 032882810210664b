import Contracts
import Foundation
import Logging
import VecheRuntime

/// What applying one event did.
enum ApplyOutcome: String, Sendable, Equatable {
    /// The snapshot became the appeal's current state.
    case applied
    /// The event id was seen before (redelivery, re-publish): nothing changed.
    case duplicate
    /// A newer per-appeal sequence is already stored: the older snapshot was ignored (its id is recorded).
    case stale
    /// An earlier per-appeal sequence is missing: kept in `deferred_events` until the gap closes
    /// (counted in `gaps_detected`: AppealService publishes each appeal's events in order, so this is rare).
    case deferred
}

/// Projection of `veche.events.v1.appeal.>` into schema `rating`.
///
/// * Authentic: only messages of the stream it owns (`VECHE_APPEAL_EVENTS`, which only AppealService may
///   publish to) on the subject of their type are applied; anything else is rejected and kept.
/// * Idempotent: every event id is recorded in `applied_events` in the same transaction as the
///   snapshot, so redeliveries and re-publishes change nothing.
/// * Order-safe and gap-safe: per appeal, sequences apply strictly one after another. An event ahead of
///   the next expected sequence waits in `deferred_events` until the gap closes, so a forged or
///   out-of-range sequence can neither skip history nor freeze the appeal's projection; sequences beyond
///   `maxSequence` are rejected outright.
/// * Lossless: undecodable or invalid messages go to `rejected_events` with the reason (then acked);
///   database trouble leaves the message un-acked for redelivery.
/// * Replayable: `resetForRebuild` truncates the projection and switches to a fresh durable name,
///   so the consumer re-reads the stream from sequence 1.
struct RatingProjection: Sendable {
    let pool: PGPool
    let logger: Logger

    static let durablePrefix = "rating-projection-"
    /// How a snapshot row meets the stored one in `appeal_facts` (one event or a batch): it replaces every column
    /// only when its per-appeal sequence is newer.
    static let newerSnapshotWins: SQL = """
        ON CONFLICT (appeal_id) DO UPDATE SET
            last_sequence = EXCLUDED.last_sequence, last_event_id = EXCLUDED.last_event_id, status = EXCLUDED.status,
            agency_id = EXCLUDED.agency_id, municipality_oktmo = EXCLUDED.municipality_oktmo,
            topic_code = EXCLUDED.topic_code, category_code = EXCLUDED.category_code,
            problem_group_id = EXCLUDED.problem_group_id, author_key = EXCLUDED.author_key,
            sub_reason = EXCLUDED.sub_reason, registered_at = EXCLUDED.registered_at,
            answered_at = EXCLUDED.answered_at, closed_at = EXCLUDED.closed_at, answer_due = EXCLUDED.answer_due,
            extension_count = EXCLUDED.extension_count, reopen_count = EXCLUDED.reopen_count,
            satisfaction = EXCLUDED.satisfaction, answer_complete = EXCLUDED.answer_complete, updated_at = now()
        WHERE appeal_facts.last_sequence < EXCLUDED.last_sequence
        """

    /// No appeal has this many lifecycle events; a larger sequence is not an event of the platform.
    static let maxSequence: Int64 = 100_000

    /// One message on its own (the fallback when its batch could not be applied together; see `processBatch`).
    func process(_ item: JetStreamMessage) async -> ConsumeOutcome {
        let event: AppealV1.AppealEvent, seq: Int64
        switch Self.check(item) {
        case .rejected(let reason): return await reject(item, reason: reason)
        case .event(let e, let s): (event, seq) = (e, s)
        }
        do {
            let outcome = try await pool.transaction { conn in try Self.apply(conn, event: event, streamSequence: seq) }
            if outcome == .deferred {
                logger.warning("rating: per-appeal sequence gap, event deferred until the earlier ones arrive", metadata: [
                    "appeal": "\(event.appeal?.id ?? "")", "sequence": "\(event.sequence)"])
            } else if outcome != .applied {
                logger.debug("rating: event skipped", metadata: ["event": "\(event.eventId)", "outcome": "\(outcome.rawValue)"])
            }
            return .ack
        } catch {
            logger.warning("rating: applying event failed, will redeliver", metadata: ["error": "\(error)", "seq": "\(seq)"])
            return .retry(after: .seconds(1))
        }
    }

    /// Empty or white space only (`CharacterSet.whitespaces`), without bridging to NSString: checked for every event.
    static func isBlank(_ s: String) -> Bool { s.unicodeScalars.allSatisfy { CharacterSet.whitespaces.contains($0) } }

    /// Reasons an event that decoded cannot be applied (nil = fine).
    static func validate(_ e: AppealV1.AppealEvent) -> String? {
        var problems: [String] = []
        if isBlank(e.eventId) { problems.append("event_id is empty") }
        if e.sequence <= 0 || e.sequence > maxSequence { problems.append("sequence must be within 1...\(maxSequence) (got \(e.sequence))") }
        if let a = e.appeal {
            if isBlank(a.id) { problems.append("appeal.id is empty") }
            if a.registeredAtMs <= 0 && a.receivedAtMs <= 0 && e.occurredAtMs <= 0 {
                problems.append("appeal has neither registered_at_ms nor received_at_ms")
            }
        } else {
            problems.append("appeal snapshot is missing")
        }
        return problems.isEmpty ? nil : "invalid AppealEvent: " + problems.joined(separator: "; ")
    }

    private func reject(_ item: JetStreamMessage, reason: String) async -> ConsumeOutcome {
        do {
            try await pool.transaction { conn in try Self.storeRejection(conn, item, reason: reason) }
            logger.notice("rating: event rejected and kept", metadata: ["subject": "\(item.message.subject)", "seq": "\(item.streamSequence)", "reason": "\(reason)"])
            return .ack
        } catch {
            return .retry(after: .seconds(1))
        }
    }

    /// Applies one event inside the caller's transaction: at once when it is the appeal's next sequence (then
    /// every deferred successor), later when it is ahead, never when it is a duplicate or older.
    static func apply(_ conn: PGConnection, event e: AppealV1.AppealEvent, streamSequence: Int64) throws -> ApplyOutcome {
        let a = e.appeal ?? AppealV1.Appeal()
        // One appeal at a time (its events may arrive out of order; the projection decides under this lock).
        try conn.query("SELECT pg_advisory_xact_lock(hashtext(\(a.id)))")
        let seen = try conn.query("""
            SELECT 1 FROM applied_events WHERE event_id = \(e.eventId) UNION ALL SELECT 1 FROM deferred_events WHERE event_id = \(e.eventId)
            """).first != nil
        if seen {
            try conn.query("""
                UPDATE consumer_state SET duplicates_skipped = duplicates_skipped + 1,
                       last_stream_sequence = GREATEST(last_stream_sequence, \(streamSequence)) WHERE id = 1
                """)
            return .duplicate
        }
        let current = try conn.query("SELECT last_sequence FROM appeal_facts WHERE appeal_id = \(a.id)").first?.int("last_sequence") ?? 0
        if e.sequence > current + 1 {
            try conn.query("""
                INSERT INTO deferred_events (event_id, appeal_id, sequence, stream_sequence, payload)
                VALUES (\(e.eventId), \(a.id), \(e.sequence), \(streamSequence), \(PGBytes.encode(e.serializedBytes()))::bytea)
                """)
            try conn.query("""
                UPDATE consumer_state SET gaps_detected = gaps_detected + 1,
                       last_stream_sequence = GREATEST(last_stream_sequence, \(streamSequence)) WHERE id = 1
                """)
            return .deferred
        }
        let outcome = try applyNext(conn, event: e, streamSequence: streamSequence)
        if outcome == .applied { try drainDeferred(conn, appealID: a.id, after: e.sequence) }
        return outcome
    }

    /// Applies the deferred events that now follow without a gap.
    static func drainDeferred(_ conn: PGConnection, appealID: String, after sequence: Int64) throws {
        var next = sequence + 1
        while let row = try conn.query("""
            DELETE FROM deferred_events WHERE event_id = (
                SELECT event_id FROM deferred_events WHERE appeal_id = \(appealID) AND sequence = \(next) ORDER BY stream_sequence LIMIT 1)
            RETURNING payload, stream_sequence
            """).first {
            guard let bytes = row.bytes("payload"), let e = try? AppealV1.AppealEvent(serializedBytes: bytes) else { break }
            guard try applyNext(conn, event: e, streamSequence: row.int("stream_sequence")) == .applied else { break }
            next += 1
        }
    }

    /// Applies an event that is not ahead of the projection (new snapshot, or stale when older).
    static func applyNext(_ conn: PGConnection, event e: AppealV1.AppealEvent, streamSequence: Int64) throws -> ApplyOutcome {
        let a = e.appeal ?? AppealV1.Appeal()
        try conn.query("""
            INSERT INTO applied_events (event_id, appeal_id, sequence, stream_sequence, outcome)
            VALUES (\(e.eventId), \(a.id), \(e.sequence), \(streamSequence), 'applied')
            """)
        let f = FactRow(appeal: a, occurredAtMs: e.occurredAtMs)
        let written = try conn.query("""
            INSERT INTO appeal_facts (appeal_id, last_sequence, last_event_id, status, agency_id, municipality_oktmo,
                topic_code, category_code, problem_group_id, author_key, sub_reason, registered_at, answered_at,
                closed_at, answer_due, extension_count, reopen_count, satisfaction, answer_complete, updated_at)
            VALUES (\(a.id), \(e.sequence), \(e.eventId), \(a.status.name), \(a.agencyId), \(a.municipalityOktmo),
                \(a.topicCode), \(a.categoryCode), \(a.problemGroupId),
                CASE WHEN \(f.authorIdentity)::text = '' THEN '' ELSE md5(\(f.authorIdentity)::text) END,
                \(f.subReason)::text, \(f.registeredAt)::timestamptz, \(f.answeredAt)::timestamptz,
                \(f.closedAt)::timestamptz, \(f.answerDue)::timestamptz, \(a.extensionCount), \(a.reopenCount),
                \(f.satisfaction)::int, \(f.answerComplete)::boolean, now())
            \(RatingProjection.newerSnapshotWins)
            """).affectedRows
        if written == 1 {
            try conn.query("""
                UPDATE consumer_state SET events_applied = events_applied + 1,
                       last_stream_sequence = GREATEST(last_stream_sequence, \(streamSequence)) WHERE id = 1
                """)
            return .applied
        }
        try conn.query("UPDATE applied_events SET outcome = 'stale' WHERE event_id = \(e.eventId)")
        try conn.query("""
            UPDATE consumer_state SET stale_skipped = stale_skipped + 1,
                   last_stream_sequence = GREATEST(last_stream_sequence, \(streamSequence)) WHERE id = 1
            """)
        return .stale
    }

    /// The durable consumer name currently feeding the projection.
    static func currentDurable(pool: PGPool) async throws -> String {
        try await pool.withConnection { conn in
            try conn.query("SELECT durable FROM consumer_state WHERE id = 1").first?.string("durable")
        } ?? durablePrefix + "1"
    }

    /// Truncates the projection (facts, applied ids, rejected messages, counters) and switches to a
    /// fresh durable name so the next consumer starts again from stream sequence 1.
    /// Returns (old durable, new durable). Weights and the directory cache are kept.
    static func resetForRebuild(pool: PGPool) async throws -> (old: String, new: String) {
        try await pool.transaction { conn in
            guard let row = try conn.query("SELECT generation, durable FROM consumer_state WHERE id = 1 FOR UPDATE").first else {
                throw RPCError.failedPrecondition("consumer_state is missing; run migrations")
            }
            let generation = Int(row.int("generation")) + 1
            let durable = durablePrefix + String(generation)
            try conn.unsafeExecute("TRUNCATE appeal_facts, applied_events, rejected_events, deferred_events")
            try conn.query("""
                UPDATE consumer_state SET generation = \(generation), durable = \(durable), events_applied = 0,
                       duplicates_skipped = 0, stale_skipped = 0, gaps_detected = 0, last_stream_sequence = 0, rebuilt_at = now() WHERE id = 1
                """)
            return (row.string("durable"), durable)
        }
    }
}

/// Column values derived from an appeal snapshot.
struct FactRow: Sendable {
    var registeredAt: Date
    var answeredAt: Date?
    var closedAt: Date?
    var answerDue: Date?
    var satisfaction: Int?
    var answerComplete: Bool?
    /// Normalised e-mail, else phone digits, else full name ("" when anonymous); hashed by the database.
    var authorIdentity: String
    var subReason: String?

    init(appeal a: AppealV1.Appeal, occurredAtMs: Int64) {
        func date(_ ms: Int64) -> Date? { ms > 0 ? Date(timeIntervalSince1970: Double(ms) / 1000) : nil }
        registeredAt = date(a.registeredAtMs) ?? date(a.receivedAtMs) ?? date(occurredAtMs) ?? Date(timeIntervalSince1970: 0)
        answeredAt = date(a.answeredAtMs)
        closedAt = date(a.closedAtMs)
        answerDue = date(a.deadlines?.answerDueMs ?? 0)
        satisfaction = (1...5).contains(a.satisfaction) ? Int(a.satisfaction) : nil
        answerComplete = a.answeredAtMs > 0 ? a.answerComplete : nil
        authorIdentity = FactRow.authorIdentity(a.author)
        subReason = SubReason.extract(title: a.title, redactedText: a.redactedText)
    }

    static func authorIdentity(_ p: CommonV1.Person?) -> String {
        guard let p else { return "" }
        // Most appeals lack some of these: the empty ones skip Foundation's trimming (checked for every event).
        let email = p.email.isEmpty ? "" : p.email.trimmingCharacters(in: .whitespaces).lowercased()
        if !email.isEmpty { return "e:" + email }
        let digits = p.phone.isEmpty ? "" : p.phone.filter(\.isNumber)
        if digits.count >= 7 { return "p:" + String(digits.suffix(10)) }
        let social = p.socialHandle.isEmpty ? "" : p.socialHandle.trimmingCharacters(in: .whitespaces).lowercased()
        if !social.isEmpty { return "s:" + social }
        let name = p.fullName.isEmpty ? "" : p.fullName.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return name.isEmpty ? "" : "n:" + name
    }
}

/// Sub-reason keywords used to decompose "other" categories: the first two significant words
/// (≥ 3 letters, not a stop word) of the title, else of the redacted (PII-free) text; lower-cased.
enum SubReason {
    static let stopWords: Set<String> = [
        "прошу", "просим", "просьба", "пожалуйста", "здравствуйте", "добрый", "день", "вечер", "очень", "когда",
        "почему", "который", "которая", "которые", "этот", "этом", "этой", "также", "уже", "есть", "нету", "нет",
        "было", "будет", "более", "всех", "весь", "наш", "нашем", "нашей", "моей", "мной", "меня", "вопрос",
        "обращение", "жалоба", "просьбой", "прошу", "разобраться", "помогите", "принять", "меры", "связи",
        "для", "при", "без", "над", "под", "про", "что", "как", "там", "тут", "все", "всё", "его", "она", "они",
        "это", "так", "уже", "нас", "вас", "мне", "или", "еще", "ещё", "где", "кто", "чем", "the", "and", "for",
        "please", "with", "from", "that", "this", "there",
    ]

    static func extract(title: String, redactedText: String) -> String? {
        keywords(title) ?? keywords(redactedText)
    }

    /// Reads words (runs of letters, digits and hyphens) from the start and stops at the second significant one:
    /// lower-casing and splitting the whole redacted text for every event was a quarter of RatingService's CPU.
    static func keywords(_ text: String) -> String? {
        var words: [String] = []
        var raw = ""
        func take() {
            defer { raw = "" }
            var w = Substring(raw.lowercased())
            while w.first == "-" { w = w.dropFirst() }
            while w.last == "-" { w = w.dropLast() }
            guard w.count >= 3, w.contains(where: \.isLetter), !stopWords.contains(String(w)) else { return }
            words.append(String(w))
        }
        for ch in text {
            if ch.isLetter || ch.isNumber || ch == "-" {
                raw.append(ch)
            } else if !raw.isEmpty {
                take()
                if words.count == 2 { break }
            }
        }
        if words.count < 2, !raw.isEmpty { take() }
        return words.isEmpty ? nil : words.joined(separator: " ")
    }
}
