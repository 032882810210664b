import AgencyDirectory
import Contracts
import Foundation
import Logging
import Taxonomy
import VecheAuth
import VecheRuntime

/// AppealService handlers (`AppealV1.AppealService.Handler`). Every handler acts for the authenticated
/// caller (`context.principal`): the caller is the actor of the events it causes, the access rules
/// (`AppealAccess`) decide what it may do and see, and writes and personal-data reads are audited.
struct AppealHandlers: AppealV1.AppealService.Handler {
    let pool: PGPool
    let relay: EventRelay
    let enricher: any AppealEnricher
    /// AgencyService's SLA policies and calendar overrides (local copy) → the deadline engine.
    let directory: LocalDirectory
    /// The region's time zone (appeal numbers carry the local year).
    let timeZone: TimeZone
    let autoRegister: Bool
    /// Refuses agency ids and OKTMO codes the directory does not know.
    let checks: DirectoryChecks
    let views: AppealViews
    /// Concurrent submissions share one transaction.
    let commits: IntakeGroupCommit
    /// Duplicate grouping shared by every instance (nil with an enricher that groups by itself).
    var grouper: ProblemGrouper? = nil
    var now: @Sendable () -> Date = { Date() }
    let audit = AuditLog(service: AppealV1.AppealService.name)
    /// GetStats / GetActivity results shared by all callers for a few seconds.
    var aggregates = AppealAggregates()

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
        let principal = try context.requirePrincipal()
        guard let incoming = request.appeal else { throw RPCError.invalidArgument("appeal is required") }
        return try await submit(incoming, by: principal, at: try requestedTime(context, principal), issuesCitizenToken: true)
    }

    /// Intake from the RPC: the principal must be allowed on the channel; the idempotent replay of a known
    /// (channel, external id) returns the stored appeal — only to someone who may see it. `issuesCitizenToken`: whether
    /// the caller hands the reply's citizen token on (the RPC does; JetStream intake has no one to give it to).
    func submit(_ incoming: AppealV1.IncomingAppeal, by principal: Principal, at effective: Date? = nil,
                issuesCitizenToken: Bool = true) async throws -> AppealV1.SubmitAppealResponse {
        let admitted = try await admit(incoming, by: principal, now: effective ?? self.now())
        // Cheap idempotency check before enrichment (the insert is the real guard).
        if let existing = try await pool.withConnection({ try AppealStore.find($0, channel: admitted.appeal.channel, externalID: admitted.appeal.externalId) }) {
            return AppealV1.SubmitAppealResponse(appeal: replayView(existing, for: principal), alreadyExisted: true)
        }
        var prepared = await prepare([admitted])
        if issuesCitizenToken { prepared[0].citizenToken = CitizenToken.generate() }
        let stored = try await commits.store(prepared[0], writer: intakeWriter(engine: await directory.latest().deadlines))
        pool.afterCommit { [relay] in relay.kick() }
        switch stored {
        case .stored(let appeal, let token): return AppealV1.SubmitAppealResponse(appeal: appeal, alreadyExisted: false, citizenToken: token ?? "")
        case .existed(let appeal): return AppealV1.SubmitAppealResponse(appeal: replayView(appeal, for: principal), alreadyExisted: true)
        }
    }

    /// A new appeal that passed the checks, before enrichment.
    struct Admitted: Sendable {
        var appeal: AppealV1.Appeal
        var incoming: AppealV1.IncomingAppeal
        var principal: Principal
        var now: Date
    }

    /// Checks an incoming appeal (who may file on the channel is decided before anything about the content is
    /// said; then the content, then the municipality against the directory) and builds the appeal to store.
    func admit(_ incoming: AppealV1.IncomingAppeal, by principal: Principal, now: Date) async throws -> Admitted {
        guard incoming.channel != .unspecified else { throw RPCError.invalidArgument("channel is required") }
        try AppealAccess.checkSubmit(principal, channel: incoming.channel.name)
        try Self.validate(incoming, now: now)
        if !incoming.municipalityOktmo.isEmpty { try await checks.requireMunicipality(incoming.municipalityOktmo) }
        let received = incoming.receivedAtMs > 0 ? Date(timeIntervalSince1970: Double(incoming.receivedAtMs) / 1000) : now
        var appeal = AppealV1.Appeal()
        appeal.id = TimeOrderedUUID.string()
        appeal.channel = incoming.channel
        appeal.externalId = incoming.externalId.isEmpty ? "auto-" + UUID().uuidString.lowercased() : incoming.externalId
        appeal.status = .received
        if let author = incoming.author, author != CommonV1.Person() { appeal.author = author }
        appeal.title = incoming.title
        appeal.text = incoming.text
        appeal.address = incoming.address
        if let loc = incoming.location, loc != CommonV1.GeoPoint() { appeal.location = loc }
        appeal.municipalityOktmo = incoming.municipalityOktmo
        appeal.receivedAtMs = Int64(received.timeIntervalSince1970 * 1000)
        appeal.sourceUrl = incoming.sourceUrl
        appeal.attachmentUrls = incoming.attachmentUrls
        appeal.isPublic = incoming.isPublic
        appeal.topicHint = incoming.topicHint
        return Admitted(appeal: appeal, incoming: incoming, principal: principal, now: now)
    }

    /// Enriches admitted appeals as one batch and sets their intake deadlines (no citizen token: `submit` gives one
    /// where a reply carries it).
    func prepare(_ admitted: [Admitted]) async -> [PreparedAppeal] {
        let enrichments = await enricher.enrich(batch: admitted.map { EnrichmentRequest(appeal: $0.appeal, categoryHint: $0.incoming.topicHint) })
        let engine = await directory.latest().deadlines
        return zip(admitted, enrichments).map { item, e in
            var appeal = item.appeal
            appeal.topicCode = e.topicCode
            appeal.categoryCode = e.categoryCode
            appeal.classificationConfidence = e.confidence
            appeal.classifierVersion = e.classifierVersion
            appeal.needsTriage = e.needsTriage
            appeal.redactedText = e.redactedText
            appeal.monitoringFlags = e.monitoringFlags
            appeal.problemGroupId = e.problemGroupID
            if !e.municipalityOktmo.isEmpty { appeal.municipalityOktmo = e.municipalityOktmo }
            let received = Date(timeIntervalSince1970: Double(appeal.receivedAtMs) / 1000)
            let channel = appeal.channel.name
            appeal.deadlines = AppealV1.Deadlines(registerDueMs: Self.ms(engine.registerDue(channel: channel, received: received)),
                                                  firstReactionDueMs: Self.ms(engine.firstReactionDue(channel: channel, received: received)))
            return PreparedAppeal(appeal: appeal, principal: item.principal, routedAgency: e.agencyID, at: max(item.now, received),
                                  grouping: e.grouping, searchLexemes: e.searchLexemes)
        }
    }

    func intakeWriter(engine: DeadlineEngine) -> IntakeWriter {
        IntakeWriter(timeZone: timeZone.identifier, autoRegister: autoRegister, engine: engine, audit: audit, grouper: grouper)
    }

    /// What the submitter of a replayed intake sees of the stored appeal: its number and status only, unless
    /// the submitter may read the appeal anyway.
    func replayView(_ a: AppealV1.Appeal, for p: Principal) -> AppealV1.Appeal {
        switch AppealAccess.view(p, AppealViews.facts(a)) {
        case .full: return a
        case .redacted: return views.redacted(a)
        case .none: return AppealV1.Appeal(id: a.id, number: a.number, channel: a.channel, status: a.status)
        }
    }

    /// The appeal registered at `at`: status, registration time, forward and answer deadlines.
    static func registered(_ a: AppealV1.Appeal, engine: DeadlineEngine, at: Date) throws -> AppealV1.Appeal {
        var next = a
        next.status = .registered
        next.registeredAtMs = ms(at)
        var d = next.deadlines ?? AppealV1.Deadlines()
        d.forwardDueMs = ms(engine.forwardDue(channel: a.channel.name, registered: at))
        d.answerDueMs = ms(try answerDue(engine, a, registered: at, extensions: 0))
        next.deadlines = d
        return next
    }

    static func applyRegister(_ conn: PGConnection, _ a: AppealV1.Appeal, engine: DeadlineEngine, at: Date, actor: String) throws -> AppealV1.Appeal {
        let stored = try AppealStore.update(conn, try registered(a, engine: engine, at: at))
        _ = try AppealStore.appendEvent(conn, appeal: stored, type: .registered, from: a.status, actor: actor, comment: "", at: at)
        return stored
    }

    static func ms(_ d: Date?) -> Int64 { d.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? 0 }

    static func answerDue(_ engine: DeadlineEngine, _ a: AppealV1.Appeal, registered: Date, extensions: Int) throws -> Date? {
        do {
            return try engine.answerDue(channel: a.channel.name, registered: registered, extensionsUsed: extensions)
        } catch let e as DeadlineEngineError {
            throw RPCError.failedPrecondition("\(e) (59-FZ art. 12 p. 2 allows one extension)")
        }
    }

    /// The time an imported historical action took place (`Veche-Effective-Time-Ms`, import role only),
    /// validated; nil: now.
    func requestedTime(_ context: RPCContext, _ principal: Principal) throws -> Date? {
        guard let raw = context.metadata[RPCHeader.effectiveTime] else { return nil }
        try AppealAccess.checkEffectiveTime(principal)
        guard let ms = Int64(raw), ms > 0 else { throw RPCError.invalidArgument("\(RPCHeader.effectiveTime) must be epoch milliseconds") }
        let t = Date(timeIntervalSince1970: Double(ms) / 1000)
        guard t <= now().addingTimeInterval(60) else { throw RPCError.invalidArgument("\(RPCHeader.effectiveTime) is in the future") }
        return t
    }

    /// The time of a change, decided while the appeal row is locked: the requested (imported) time, which
    /// must not be earlier than the appeal's last change, or now — never before the last change, even when
    /// another instance's clock runs ahead.
    static func actionTime(requested: Date?, now: Date, lastChange: Date) throws -> Date {
        guard let requested else { return max(now, lastChange) }
        if requested < lastChange { throw RPCError.invalidArgument("\(RPCHeader.effectiveTime) is earlier than the appeal's last change") }
        return requested
    }

    // MARK: lifecycle

    func transition(request: AppealV1.TransitionRequest, context: RPCContext) async throws -> AppealV1.TransitionResponse {
        let principal = try context.requirePrincipal()
        let actor = principal.actor
        let requested = try requestedTime(context, principal)
        if request.action == .assign || request.action == .forward, !request.agencyId.isEmpty {
            try await checks.requireAgency(request.agencyId)
        }
        let engine = await directory.latest().deadlines
        let audit = self.audit
        let appeal = try await mutate(.idOrNumber(request.id), expectedVersion: request.expectedVersion, requested: requested, authorize: {
            try AppealAccess.checkTransition(principal, action: request.action.name, AppealViews.facts($0))
        }) { conn, current, now in
            let target = try Lifecycle.check(request.action, on: current, agencyID: request.agencyId)
            try audit.record(conn, principal, .init(action: "appeal.transition.\(request.action.name)", appealID: current.id,
                                                    target: request.agencyId, detail: request.comment))
            if request.action == .register {
                return try Self.applyRegister(conn, current, engine: engine, at: now, actor: actor)
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
                d.answerDueMs = Self.ms(try Self.answerDue(engine, current, registered: registered, extensions: Int(next.extensionCount)))
                next.deadlines = d
            case .close:
                next.closedAtMs = Self.ms(now)
            case .reopen:
                next.reopenCount += 1
                next.closedAtMs = 0
                var d = next.deadlines ?? AppealV1.Deadlines()
                d.answerDueMs = Self.ms(try Self.answerDue(engine, current, registered: now, extensions: 0))
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
        let principal = try context.requirePrincipal()
        let actor = principal.actor
        let requested = try requestedTime(context, principal)
        let audit = self.audit
        let appeal = try await mutate(.idOrNumber(request.id), expectedVersion: request.expectedVersion, requested: requested, authorize: {
            try AppealAccess.checkAnswer(principal, AppealViews.facts($0))
        }) { conn, current, now in
            try audit.record(conn, principal, .init(action: "appeal.answer", appealID: current.id, detail: request.complete ? "complete" : "partial"))
            guard Lifecycle.answerable.contains(current.status) else {
                throw RPCError.failedPrecondition("cannot answer an appeal in status \(current.status.name); assign or forward it first")
            }
            var next = current
            next.status = .answered
            next.answerText = text
            next.answerComplete = request.complete
            next.answeredAtMs = Self.ms(now)
            let stored = try AppealStore.update(conn, next)
            _ = try AppealStore.appendEvent(conn, appeal: stored, type: .answered, from: current.status, actor: actor, comment: "", at: now)
            return stored
        }
        return AppealV1.AnswerAppealResponse(appeal: appeal)
    }

    /// The citizen rates the current answer once (by the appeal token); the import role records historical ratings.
    func rateAppeal(request: AppealV1.RateAppealRequest, context: RPCContext) async throws -> AppealV1.RateAppealResponse {
        let principal = try context.requirePrincipal()
        try AppealAccess.checkRate(principal)
        guard (1...5).contains(request.satisfaction) else { throw RPCError.invalidArgument("satisfaction must be 1..5") }
        guard request.comment.count <= 2000 else { throw RPCError.invalidArgument("comment is longer than 2000 characters") }
        let requested = try requestedTime(context, principal)
        let target: AppealTarget = principal.kind == .citizen ? .citizenTokenHash(principal.name) : .idOrNumber(request.id)
        if principal.kind == .citizen, !request.id.isEmpty, try await ownAppealID(principal) != request.id {
            throw RPCError.permissionDenied("the citizen token opens another appeal")
        }
        let audit = self.audit
        let appeal = try await mutate(target, expectedVersion: 0, requested: requested, authorize: { _ in }) { conn, current, now in
            guard Lifecycle.ratable.contains(current.status) else {
                throw RPCError.failedPrecondition("only answered or closed appeals can be rated (status is \(current.status.name))")
            }
            guard try AppealStore.ratedAnswerAt(conn, appealID: current.id) != current.answeredAtMs else {
                throw RPCError.failedPrecondition("this answer has already been rated; a new answer can be rated again")
            }
            var next = current
            next.satisfaction = request.satisfaction
            let stored = try AppealStore.update(conn, next)
            try AppealStore.markRated(conn, appealID: current.id, answeredAtMs: current.answeredAtMs)
            try audit.record(conn, principal, .init(action: "appeal.rate", appealID: current.id, detail: "\(request.satisfaction)"))
            _ = try AppealStore.appendEvent(conn, appeal: stored, type: .rated, from: current.status, actor: principal.actor, comment: request.comment, at: now)
            return stored
        }
        return AppealV1.RateAppealResponse(appeal: appeal)
    }

    /// An operator's correction of the classification; also kept as a training example (`ClassificationCorrection`).
    func reclassifyAppeal(request: AppealV1.ReclassifyAppealRequest, context: RPCContext) async throws -> AppealV1.ReclassifyAppealResponse {
        let principal = try context.requirePrincipal()
        let topic = request.topicCode.trimmingCharacters(in: .whitespaces), category = request.categoryCode.trimmingCharacters(in: .whitespaces)
        guard Taxonomy.topic(code: topic) != nil else { throw RPCError.invalidArgument("unknown topic_code '\(topic)'") }
        if !category.isEmpty {
            guard let c = Taxonomy.category(code: category), c.topicCode == topic else {
                throw RPCError.invalidArgument("category_code '\(category)' is not a category of topic '\(topic)'")
            }
        }
        guard request.comment.count <= 2000 else { throw RPCError.invalidArgument("comment is longer than 2000 characters") }
        let audit = self.audit
        let appeal = try await mutate(.idOrNumber(request.id), expectedVersion: request.expectedVersion, requested: nil, authorize: {
            try AppealAccess.checkReclassify(principal, AppealViews.facts($0))
        }) { conn, current, now in
            let stored = try AppealStore.update(conn, ClassificationCorrection.corrected(current, topic: topic, category: category))
            let change = "\(current.topicCode)/\(current.categoryCode) → \(topic)/\(category)"
            try audit.record(conn, principal, .init(action: "appeal.reclassify", appealID: current.id, detail: change))
            try ClassificationCorrection.recordExample(conn, current: current, topic: topic, category: category,
                                                       actor: principal.actor, at: now)
            _ = try AppealStore.appendEvent(conn, appeal: stored, type: .classified, from: current.status, actor: principal.actor,
                                            comment: request.comment.isEmpty ? change : change + ": " + request.comment, at: now)
            return stored
        }
        return AppealV1.ReclassifyAppealResponse(appeal: appeal)
    }

    /// Which appeal a change is about: by id or number, or the citizen's own (by token hash).
    enum AppealTarget: Sendable {
        case idOrNumber(String)
        case citizenTokenHash(String)
    }

    func ownAppealID(_ citizen: Principal) async throws -> String {
        guard let a = try await pool.withConnection({ try AppealStore.find($0, citizenTokenHash: citizen.name) }) else {
            throw RPCError.unauthenticated("the citizen token does not open any appeal")
        }
        return a.id
    }

    /// Locks the row, checks that the caller may act on it (`authorize`, before anything else is revealed), checks
    /// the optimistic version, decides the action time (after the lock, so concurrent changes never see each
    /// other's time out of order), applies `change` in one transaction, then wakes the relay once committed.
    private func mutate(_ target: AppealTarget, expectedVersion: Int64, requested: Date?,
                        authorize: @escaping @Sendable (AppealV1.Appeal) throws -> Void,
                        _ change: @escaping @Sendable (PGConnection, AppealV1.Appeal, Date) throws -> AppealV1.Appeal) async throws -> AppealV1.Appeal {
        if case .idOrNumber(let raw) = target, raw.trimmingCharacters(in: .whitespaces).isEmpty {
            throw RPCError.invalidArgument("id is required")
        }
        let now = self.now
        let result = try await pool.transaction { conn in
            let found: AppealStore.Locked?
            let id: String
            switch target {
            case .idOrNumber(let raw):
                id = raw.trimmingCharacters(in: .whitespaces)
                found = try AppealStore.lock(conn, idOrNumber: id)
            case .citizenTokenHash(let hash):
                id = "(citizen token)"
                found = try AppealStore.lock(conn, citizenTokenHash: hash)
            }
            guard let locked = found else {
                if case .citizenTokenHash = target { throw RPCError.unauthenticated("the citizen token does not open any appeal") }
                throw RPCError.notFound("appeal \(id) not found")
            }
            let current = locked.appeal
            try authorize(current)
            if expectedVersion != 0, current.version != expectedVersion {
                throw RPCError.failedPrecondition("appeal \(id) is at version \(current.version), not \(expectedVersion); reload and retry")
            }
            return try change(conn, current, try Self.actionTime(requested: requested, now: now(), lastChange: locked.lastChange))
        }
        pool.afterCommit { [relay] in relay.kick() }
        return result
    }
}
