import AgencyDirectory
import Contracts
import Foundation
import VecheAuth
import VecheRuntime

/// A validated, enriched new appeal (status `received`, register and first-reaction deadlines set) ready to be stored.
struct PreparedAppeal: Sendable {
    var appeal: AppealV1.Appeal
    var principal: Principal
    /// The agency the routing rules chose ("" = none: an operator assigns).
    var routedAgency: String
    /// The time of intake (never before receipt).
    var at: Date
    /// Handed to the submitter once in the reply; only its hash is stored. Nil where no reply carries it (JetStream
    /// intake, promoted mentions): a token nobody receives opens nothing, and its hash would only cost a random
    /// insert into the unique token index.
    var citizenToken: String? = nil
    /// The W3C trace context of the submitting request (taken where the appeal is prepared), stored with its events.
    var traceParent: String = TraceHeaders.currentTraceParent()
    /// Grouped with the earlier appeals when stored (nil: `appeal.problemGroupId` as the enricher set it).
    var grouping: GroupingInput? = nil
    /// The search lexemes of `appeal.redactedText` computed by the service (`SearchLexemes`); nil: PostgreSQL
    /// computes the vector when the row is stored (`AppealSearch`).
    var searchLexemes: [String]? = nil
}

/// What became of a prepared appeal.
enum StoredIntake: Sendable {
    /// Newly stored, in its state after intake (registered and assigned when automatic).
    case stored(AppealV1.Appeal, citizenToken: String?)
    /// (channel, external id) was already stored (an idempotent replay, or another instance won the race).
    case existed(AppealV1.Appeal)
}

/// Stores a batch of new appeals in the caller's transaction with a constant number of statements: one multi-row
/// INSERT … ON CONFLICT (channel, external_id) DO NOTHING RETURNING for the appeals (each written directly in its
/// state after intake), one for their lifecycle events (the outbox: received, then registered and assigned when
/// automatic — each carrying the appeal as it was after that step, with sequences 1, 2, 3) and one for the audit
/// entries. Appeals another transaction stored first get no events and are reported as `existed`.
struct IntakeWriter: Sendable {
    let timeZone: String
    let autoRegister: Bool
    let engine: DeadlineEngine
    let audit: AuditLog
    /// Duplicate grouping shared with the other instances, decided in the storing transaction (nil: none).
    var grouper: ProblemGrouper? = nil

    /// One step of intake: the event and the appeal right after it.
    struct Step {
        var type: AppealV1.EventType
        var from: AppealV1.Status
        var actor: String
        var comment: String
        var appeal: AppealV1.Appeal
    }

    /// The lifecycle steps of a new appeal at intake (the rule `submit` always applied, now computed before storing).
    func steps(_ p: PreparedAppeal) throws -> [Step] {
        var a = p.appeal
        a.version = 1
        var out = [Step(type: .received, from: .unspecified, actor: p.principal.actor, comment: "", appeal: a)]
        guard autoRegister else { return out }
        a = try AppealHandlers.registered(a, engine: engine, at: p.at)
        a.version += 1
        out.append(Step(type: .registered, from: .received, actor: "system:auto-registration", comment: "", appeal: a))
        guard !p.routedAgency.isEmpty else { return out }
        a.status = .assigned
        a.agencyId = p.routedAgency
        a.version += 1
        out.append(Step(type: .assigned, from: .registered, actor: "system:routing",
                        comment: "routed by topic \(a.topicCode)/\(a.categoryCode)", appeal: a))
        return out
    }

    func store(_ conn: PGConnection, _ batch: [PreparedAppeal]) throws -> [StoredIntake] {
        guard !batch.isEmpty else { return [] }
        let items = try grouped(conn, batch)
        let plans = try items.map { try steps($0) }
        let finals = plans.map { $0[$0.count - 1].appeal }
        let inserted = try insertAppeals(conn, items, finals, eventCounts: plans.map(\.count))
        var out: [StoredIntake] = []
        var events: [(AppealV1.AppealEvent, at: Date)] = []
        var traces: [String] = []
        var audited: [(PreparedAppeal, AppealV1.Appeal)] = []
        for (i, item) in items.enumerated() {
            guard let row = inserted[item.appeal.id] else {
                guard let existing = try AppealStore.find(conn, channel: item.appeal.channel, externalID: item.appeal.externalId) else {
                    throw RPCError.internalError("appeal vanished during idempotent insert")
                }
                out.append(.existed(existing))
                continue
            }
            var last = finals[i]
            for (n, step) in plans[i].enumerated() {
                var state = step.appeal
                state.number = row.number
                state.updatedAtMs = row.updatedAtMs
                last = state
                events.append((AppealV1.AppealEvent(eventId: TimeOrderedUUID.string(), type: step.type, occurredAtMs: AppealHandlers.ms(item.at),
                                                    actor: step.actor, comment: step.comment, fromStatus: step.from, appeal: state,
                                                    sequence: Int64(n + 1)), item.at))
                traces.append(item.traceParent)
            }
            audited.append((item, last))
            out.append(.stored(last, citizenToken: item.citizenToken))
        }
        try insertEvents(conn, events, traces: traces)
        try audit.recordAll(conn, audited.map { ($0.0.principal, AuditLog.Entry(action: "appeal.submit", appealID: $0.1.id, detail: "channel \($0.1.channel.name)")) })
        return out
    }

    /// The appeals with their problem groups, decided under the grouping lock; appeals another transaction
    /// stored first (they will be reported as `existed`) are not grouped again. Under that lock no other intake
    /// stores appeals, so the check is exact.
    private func grouped(_ conn: PGConnection, _ batch: [PreparedAppeal]) throws -> [PreparedAppeal] {
        guard let grouper, batch.contains(where: { $0.grouping != nil }) else { return batch }
        let requests = batch.map { ProblemGrouper.Request(appealID: $0.appeal.id, input: $0.grouping) }
        let groups = try grouper.assign(conn, requests) { conn in
            let known = try AppealStore.existingKeys(conn, batch.map { ($0.appeal.channel, $0.appeal.externalId) })
            return Set(batch.filter { known.contains($0.appeal.channel.name + "\u{0}" + $0.appeal.externalId) }.map(\.appeal.id))
        }
        var out = batch
        for i in out.indices { if let g = groups[i] { out[i].appeal.problemGroupId = g } }
        return out
    }

    struct InsertedRow { var number: String; var updatedAtMs: Int64 }

    private func insertAppeals(_ conn: PGConnection, _ items: [PreparedAppeal], _ finals: [AppealV1.Appeal],
                               eventCounts: [Int]) throws -> [String: InsertedRow] {
        func col<T: PGBindable>(_ f: (AppealV1.Appeal) -> T) -> [T] { finals.map(f) }
        func due(_ f: (AppealV1.Deadlines) -> Int64) -> [Date?] { finals.map { AppealStore.date(f($0.deadlines ?? .init())) } }
        let authors = finals.map { $0.author ?? CommonV1.Person() }
        let rows = try conn.query("""
            INSERT INTO appeals (id, number, channel, external_id, status, author_name, author_email, author_phone,
                author_social, author_postal, title, body, redacted_body, address, latitude, longitude, municipality_oktmo,
                topic_code, category_code, classification_confidence, agency_id, problem_group_id, monitoring_flags,
                received_at, registered_at, register_due, forward_due, answer_due, first_reaction_due, source_url, attachment_urls,
                is_public, citizen_token_hash, version, event_seq, last_event_at, classifier_version, needs_triage, search_vector, topic_hint)
            SELECT id, \(AppealNumbers.next(received: "received_at", timeZone: timeZone)),
                channel, external_id, status, author_name, author_email, author_phone, author_social, author_postal, title, body,
                redacted_body, address, latitude, longitude, municipality_oktmo, topic_code, category_code, confidence, agency_id,
                problem_group_id, flags::text[], received_at, registered_at, register_due, forward_due, answer_due, first_reaction_due,
                source_url, urls::text[], is_public, token_hash, version, event_seq, last_event_at, classifier_version, needs_triage,
                \(AppealSearch.suppliedVector), topic_hint
            FROM unnest(\(col(\.id))::uuid[], \(col(\.channel.name))::text[], \(col(\.externalId))::text[], \(col(\.status.name))::text[],
                \(authors.map(\.fullName))::text[], \(authors.map(\.email))::text[], \(authors.map(\.phone))::text[],
                \(authors.map(\.socialHandle))::text[], \(authors.map(\.postalAddress))::text[], \(col(\.title))::text[], \(col(\.text))::text[],
                \(col(\.redactedText))::text[], \(col(\.address))::text[], \(finals.map { $0.location?.latitude })::float8[],
                \(finals.map { $0.location?.longitude })::float8[], \(col(\.municipalityOktmo))::text[], \(col(\.topicCode))::text[],
                \(col(\.categoryCode))::text[], \(col(\.classificationConfidence))::float8[], \(col(\.agencyId))::text[],
                \(col(\.problemGroupId))::text[], \(finals.map { $0.monitoringFlags.pgText })::text[],
                \(finals.map { AppealStore.date($0.receivedAtMs) })::timestamptz[], \(finals.map { AppealStore.date($0.registeredAtMs) })::timestamptz[],
                \(due(\.registerDueMs))::timestamptz[], \(due(\.forwardDueMs))::timestamptz[], \(due(\.answerDueMs))::timestamptz[],
                \(due(\.firstReactionDueMs))::timestamptz[], \(col(\.sourceUrl))::text[], \(finals.map { $0.attachmentUrls.pgText })::text[],
                \(col(\.isPublic))::boolean[], \(items.map { $0.citizenToken.map(CitizenToken.hash) })::text[], \(finals.map { Int64($0.version) })::bigint[],
                \(eventCounts.map { Int32($0) })::int[], \(items.map(\.at))::timestamptz[], \(col(\.classifierVersion))::text[],
                \(col(\.needsTriage))::boolean[], \(items.map { AppealSearch.lexemeText($0.searchLexemes) })::text[],
                \(col(\.topicHint))::text[])
                AS r(id, channel, external_id, status, author_name, author_email, author_phone, author_social, author_postal, title, body,
                     redacted_body, address, latitude, longitude, municipality_oktmo, topic_code, category_code, confidence, agency_id,
                     problem_group_id, flags, received_at, registered_at, register_due, forward_due, answer_due, first_reaction_due,
                     source_url, urls, is_public, token_hash, version, event_seq, last_event_at, classifier_version, needs_triage, lexemes,
                     topic_hint)
            ON CONFLICT (channel, external_id) DO NOTHING
            RETURNING id::text AS id, number, updated_at
            """).rows
        var out: [String: InsertedRow] = [:]
        for r in rows { out[r.string("id")] = InsertedRow(number: r.string("number"), updatedAtMs: r.epochMs("updated_at")) }
        return out
    }

    private func insertEvents(_ conn: PGConnection, _ events: [(AppealV1.AppealEvent, at: Date)], traces: [String]) throws {
        guard !events.isEmpty else { return }
        let e = events.map(\.0)
        try conn.query("""
            INSERT INTO appeal_events (id, appeal_id, seq, type, occurred_at, actor, comment, from_status, to_status, agency_id, payload, traceparent)
            SELECT id, appeal_id, seq, type, occurred_at, actor, comment, from_status, to_status, agency_id, decode(payload, 'hex'), traceparent
            FROM unnest(\(e.map(\.eventId))::uuid[], \(e.map { $0.appeal?.id ?? "" })::uuid[], \(e.map { Int32($0.sequence) })::int[],
                        \(e.map(\.type.name))::text[], \(events.map(\.at))::timestamptz[], \(e.map(\.actor))::text[], \(e.map(\.comment))::text[],
                        \(e.map { $0.fromStatus == .unspecified ? "" : $0.fromStatus.name })::text[], \(e.map { $0.appeal?.status.name ?? "" })::text[],
                        \(e.map { $0.appeal?.agencyId ?? "" })::text[], \(e.map { PGBytes.hexDigits($0.serializedBytes()) })::text[], \(traces)::text[])
                AS r(id, appeal_id, seq, type, occurred_at, actor, comment, from_status, to_status, agency_id, payload, traceparent)
            """)
    }
}
