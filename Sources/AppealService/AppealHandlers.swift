import Contracts
import Foundation
import Logging
import VecheRuntime

/// AppealService handlers (`AppealV1.AppealService.Handler`).
struct AppealHandlers: AppealV1.AppealService.Handler {
    let pool: PGPool
    let relay: EventRelay
    let enricher: any AppealEnricher
    let policy: DeadlinePolicy
    let autoRegister: Bool
    var now: @Sendable () -> Date = { Date() }

    static let maxTextLength = 50_000

    // MARK: intake

    static func validate(_ incoming: AppealV1.IncomingAppeal, now: Date) throws {
        var problems: [String] = []
        if incoming.channel == .unspecified { problems.append("channel is required") }
        if incoming.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { problems.append("text is empty") }
        if incoming.text.count > maxTextLength { problems.append("text is longer than \(maxTextLength) characters") }
        if incoming.externalId.count > 200 { problems.append("external_id is longer than 200 characters") }
        if let loc = incoming.location, loc != CommonV1.GeoPoint() {
            if !(-90...90).contains(loc.latitude) || !(-180...180).contains(loc.longitude) {
                problems.append("location is out of range (latitude -90..90, longitude -180..180)")
            }
        }
        if incoming.receivedAtMs < 0 || Double(incoming.receivedAtMs) / 1000 > now.timeIntervalSince1970 + 86_400 {
            problems.append("received_at_ms is in the future")
        }
        if let email = incoming.author?.email, !email.isEmpty, !email.contains("@") { problems.append("author.email is not an e-mail address") }
        if !problems.isEmpty { throw RPCError.invalidArgument(problems.joined(separator: "; ")) }
    }

    func submitAppeal(request: AppealV1.SubmitAppealRequest, context: RPCContext) async throws -> AppealV1.SubmitAppealResponse {
        guard let incoming = request.appeal else { throw RPCError.invalidArgument("appeal is required") }
        return try await submit(incoming, actor: context.actor.isEmpty ? "intake" : context.actor, at: try effectiveTime(context))
    }

    func submit(_ incoming: AppealV1.IncomingAppeal, actor: String, at effective: Date? = nil) async throws -> AppealV1.SubmitAppealResponse {
        let now = effective ?? self.now()
        try Self.validate(incoming, now: now)
        let externalID = incoming.externalId.isEmpty ? "auto-" + UUID().uuidString.lowercased() : incoming.externalId
        // Cheap idempotency check before enrichment (the insert below is the real guard).
        if let existing = try await pool.withConnection({ try AppealStore.find($0, channel: incoming.channel, externalID: externalID) }) {
            return AppealV1.SubmitAppealResponse(appeal: existing, alreadyExisted: true)
        }
        let received = incoming.receivedAtMs > 0 ? Date(timeIntervalSince1970: Double(incoming.receivedAtMs) / 1000) : now
        var appeal = AppealV1.Appeal()
        appeal.id = UUID().uuidString.lowercased()
        appeal.channel = incoming.channel
        appeal.externalId = externalID
        appeal.status = .received
        appeal.author = incoming.author
        appeal.title = incoming.title
        appeal.text = incoming.text
        appeal.address = incoming.address
        if let loc = incoming.location, loc != CommonV1.GeoPoint() { appeal.location = loc }
        appeal.municipalityOktmo = incoming.municipalityOktmo
        appeal.receivedAtMs = Int64(received.timeIntervalSince1970 * 1000)
        appeal.sourceUrl = incoming.sourceUrl
        appeal.attachmentUrls = incoming.attachmentUrls
        appeal.isPublic = incoming.isPublic

        let e = await enricher.enrich(appeal, categoryHint: incoming.topicHint)
        appeal.topicCode = e.topicCode
        appeal.categoryCode = e.categoryCode
        appeal.classificationConfidence = e.confidence
        appeal.redactedText = e.redactedText
        appeal.monitoringFlags = e.monitoringFlags
        appeal.problemGroupId = e.problemGroupID
        if !e.municipalityOktmo.isEmpty { appeal.municipalityOktmo = e.municipalityOktmo }
        let policy = self.policy
        appeal.deadlines = AppealV1.Deadlines(registerDueMs: ms(policy.registerDue(received: received)),
                                              firstReactionDueMs: policy.firstReactionDue(received: received, channel: incoming.channel).map(ms) ?? 0)
        let routedAgency = e.agencyID
        let autoRegister = self.autoRegister
        let nowDate = max(now, received)
        let captured = appeal
        let result: AppealV1.SubmitAppealResponse = try await pool.transaction { conn in
            guard var stored = try AppealStore.insert(conn, captured) else {
                guard let existing = try AppealStore.find(conn, channel: captured.channel, externalID: captured.externalId) else {
                    throw RPCError.internalError("appeal vanished during idempotent insert")
                }
                return AppealV1.SubmitAppealResponse(appeal: existing, alreadyExisted: true)
            }
            _ = try AppealStore.appendEvent(conn, appeal: stored, type: .received, from: .unspecified, actor: actor, comment: "", at: nowDate)
            if autoRegister {
                stored = try Self.applyRegister(conn, stored, policy: policy, at: nowDate, actor: "auto-registration")
                if !routedAgency.isEmpty {
                    var next = stored
                    let from = next.status
                    next.status = .assigned
                    next.agencyId = routedAgency
                    stored = try AppealStore.update(conn, next)
                    _ = try AppealStore.appendEvent(conn, appeal: stored, type: .assigned, from: from, actor: "routing",
                                                    comment: "routed by topic \(stored.topicCode)/\(stored.categoryCode)", at: nowDate)
                }
            }
            return AppealV1.SubmitAppealResponse(appeal: stored, alreadyExisted: false)
        }
        relay.kick()
        return result
    }

    static func applyRegister(_ conn: PGConnection, _ a: AppealV1.Appeal, policy: DeadlinePolicy, at: Date, actor: String) throws -> AppealV1.Appeal {
        var next = a
        let from = next.status
        next.status = .registered
        next.registeredAtMs = Int64(at.timeIntervalSince1970 * 1000)
        var d = next.deadlines ?? AppealV1.Deadlines()
        d.forwardDueMs = Int64(policy.forwardDue(registered: at).timeIntervalSince1970 * 1000)
        d.answerDueMs = Int64(policy.answerDue(registered: at).timeIntervalSince1970 * 1000)
        next.deadlines = d
        let stored = try AppealStore.update(conn, next)
        _ = try AppealStore.appendEvent(conn, appeal: stored, type: .registered, from: from, actor: actor, comment: "", at: at)
        return stored
    }

    private func ms(_ d: Date) -> Int64 { Int64(d.timeIntervalSince1970 * 1000) }

    /// The time an action takes effect: now, or the source system's time for imported history.
    func effectiveTime(_ context: RPCContext) throws -> Date {
        let now = self.now()
        guard let raw = context.metadata[RPCHeader.effectiveTime] else { return now }
        guard let ms = Int64(raw), ms > 0 else { throw RPCError.invalidArgument("\(RPCHeader.effectiveTime) must be epoch milliseconds") }
        let t = Date(timeIntervalSince1970: Double(ms) / 1000)
        guard t <= now.addingTimeInterval(60) else { throw RPCError.invalidArgument("\(RPCHeader.effectiveTime) is in the future") }
        return t
    }

    static func checkOrder(_ at: Date, after current: AppealV1.Appeal) throws {
        let last = Date(timeIntervalSince1970: Double(max(current.registeredAtMs, current.answeredAtMs, current.receivedAtMs)) / 1000)
        if at < last { throw RPCError.invalidArgument("\(RPCHeader.effectiveTime) is earlier than the appeal's last change") }
    }

    // MARK: reads

    func getAppeal(request: AppealV1.GetAppealRequest, context: RPCContext) async throws -> AppealV1.GetAppealResponse {
        let id = request.id.trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty else { throw RPCError.invalidArgument("id is required") }
        return try await pool.withConnection { conn in
            guard let a = try AppealStore.find(conn, idOrNumber: id) else { throw RPCError.notFound("appeal \(id) not found") }
            return AppealV1.GetAppealResponse(appeal: a, history: try AppealStore.history(conn, appealID: a.id))
        }
    }

    func listAppeals(request: AppealV1.ListAppealsRequest, context: RPCContext) async throws -> AppealV1.ListAppealsResponse {
        let query = try AppealQuery(request)
        return try await pool.withConnection { try query.run($0) }
    }

    func getStats(request: AppealV1.GetStatsRequest, context: RPCContext) async throws -> AppealV1.GetStatsResponse {
        let from = AppealStore.date(request.fromMs), to = AppealStore.date(request.toMs)
        return try await pool.withConnection { conn in
            let window: SQL = "received_at >= coalesce(\(from)::timestamptz, '-infinity') AND received_at < coalesce(\(to)::timestamptz, 'infinity')"
            let totals = try conn.query("""
                SELECT count(*) AS total,
                       count(*) FILTER (WHERE status NOT IN ('answered','closed')) AS open,
                       count(*) FILTER (WHERE status NOT IN ('answered','closed') AND answer_due < now()) AS overdue,
                       count(*) FILTER (WHERE answered_at IS NOT NULL) AS answered,
                       coalesce(avg(satisfaction) FILTER (WHERE satisfaction > 0), 0) AS sat
                FROM appeals WHERE \(window)
                """).first
            func counts(_ column: String) throws -> [AppealV1.CountByKey] {
                try conn.query("SELECT \(identifier: column) AS k, count(*) AS n FROM appeals WHERE \(window) GROUP BY 1 ORDER BY 2 DESC, 1")
                    .rows.map { AppealV1.CountByKey(key: $0.string("k"), count: $0.int("n")) }
            }
            return AppealV1.GetStatsResponse(total: totals?.int("total") ?? 0, open: totals?.int("open") ?? 0,
                                             overdue: totals?.int("overdue") ?? 0, answered: totals?.int("answered") ?? 0,
                                             byStatus: try counts("status"), byChannel: try counts("channel"),
                                             byTopic: try counts("topic_code"), meanSatisfaction: totals?.double("sat") ?? 0)
        }
    }

    // MARK: lifecycle

    func transition(request: AppealV1.TransitionRequest, context: RPCContext) async throws -> AppealV1.TransitionResponse {
        let actor = request.actor.isEmpty ? context.actor : request.actor
        let policy = self.policy
        let now = try effectiveTime(context)
        let appeal = try await mutate(id: request.id, expectedVersion: request.expectedVersion) { conn, current in
            try Self.checkOrder(now, after: current)
            let target = try Lifecycle.check(request.action, on: current, agencyID: request.agencyId)
            if request.action == .register {
                return try Self.applyRegister(conn, current, policy: policy, at: now, actor: actor)
            }
            var next = current
            next.status = target
            switch request.action {
            case .assign, .forward:
                next.agencyId = request.agencyId
            case .extend:
                next.extensionCount += 1
                var d = next.deadlines ?? AppealV1.Deadlines()
                let registered = current.registeredAtMs > 0 ? Date(timeIntervalSince1970: Double(current.registeredAtMs) / 1000) : now
                d.answerDueMs = Int64(try policy.extendedAnswerDue(registered: registered, extensionsUsed: Int(next.extensionCount)).timeIntervalSince1970 * 1000)
                next.deadlines = d
            case .close:
                next.closedAtMs = Int64(now.timeIntervalSince1970 * 1000)
            case .reopen:
                next.reopenCount += 1
                next.closedAtMs = 0
                var d = next.deadlines ?? AppealV1.Deadlines()
                d.answerDueMs = Int64(policy.answerDue(registered: now).timeIntervalSince1970 * 1000)
                next.deadlines = d
            default:
                break
            }
            let stored = try AppealStore.update(conn, next)
            _ = try AppealStore.appendEvent(conn, appeal: stored, type: Lifecycle.eventType(of: request.action), from: current.status,
                                            actor: actor, comment: request.comment, at: now)
            return stored
        }
        return AppealV1.TransitionResponse(appeal: appeal)
    }

    func answerAppeal(request: AppealV1.AnswerAppealRequest, context: RPCContext) async throws -> AppealV1.AnswerAppealResponse {
        let text = request.answerText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw RPCError.invalidArgument("answer_text is empty") }
        guard text.count <= Self.maxTextLength else { throw RPCError.invalidArgument("answer_text is longer than \(Self.maxTextLength) characters") }
        let actor = request.actor.isEmpty ? context.actor : request.actor
        let now = try effectiveTime(context)
        let appeal = try await mutate(id: request.id, expectedVersion: request.expectedVersion) { conn, current in
            try Self.checkOrder(now, after: current)
            guard Lifecycle.answerable.contains(current.status) else {
                throw RPCError.failedPrecondition("cannot answer an appeal in status \(current.status.name); assign or forward it first")
            }
            var next = current
            next.status = .answered
            next.answerText = text
            next.answerComplete = request.complete
            next.answeredAtMs = Int64(now.timeIntervalSince1970 * 1000)
            let stored = try AppealStore.update(conn, next)
            _ = try AppealStore.appendEvent(conn, appeal: stored, type: .answered, from: current.status, actor: actor, comment: "", at: now)
            return stored
        }
        return AppealV1.AnswerAppealResponse(appeal: appeal)
    }

    func rateAppeal(request: AppealV1.RateAppealRequest, context: RPCContext) async throws -> AppealV1.RateAppealResponse {
        guard (1...5).contains(request.satisfaction) else { throw RPCError.invalidArgument("satisfaction must be 1..5") }
        let now = try effectiveTime(context)
        let appeal = try await mutate(id: request.id, expectedVersion: 0) { conn, current in
            guard Lifecycle.ratable.contains(current.status) else {
                throw RPCError.failedPrecondition("only answered or closed appeals can be rated (status is \(current.status.name))")
            }
            var next = current
            next.satisfaction = request.satisfaction
            let stored = try AppealStore.update(conn, next)
            _ = try AppealStore.appendEvent(conn, appeal: stored, type: .rated, from: current.status, actor: "citizen", comment: request.comment, at: now)
            return stored
        }
        return AppealV1.RateAppealResponse(appeal: appeal)
    }

    /// Locks the row, checks the optimistic version, applies `change` in one transaction, then wakes the relay.
    private func mutate(id: String, expectedVersion: Int64,
                        _ change: @escaping @Sendable (PGConnection, AppealV1.Appeal) throws -> AppealV1.Appeal) async throws -> AppealV1.Appeal {
        let id = id.trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty else { throw RPCError.invalidArgument("id is required") }
        let result = try await pool.transaction { conn in
            guard let current = try AppealStore.find(conn, idOrNumber: id, forUpdate: true) else { throw RPCError.notFound("appeal \(id) not found") }
            if expectedVersion != 0, current.version != expectedVersion {
                throw RPCError.failedPrecondition("appeal \(id) is at version \(current.version), not \(expectedVersion); reload and retry")
            }
            return try change(conn, current)
        }
        relay.kick()
        return result
    }
}
