import AgencyDirectory
import Contracts
import Foundation
import Logging
import VecheAuth
import VecheRuntime

/// MediaService handlers (`MediaV1.MediaService.Handler`), hosted by AppealService on schema `appeal`. Who
/// may call each method is `MethodRules` (checked by the host); the handlers add the channel check of the
/// delivering system, validate input and audit promotions.
struct MediaHandlers: MediaV1.MediaService.Handler {
    let pool: PGPool
    let analyzer: PostAnalyzer
    let directory: LocalDirectory
    let appeals: MediaAppeals
    let timeZone: TimeZone
    var now: @Sendable () -> Date = { Date() }

    static let maxTextLength = 50_000
    /// 9999-12-31T23:59:59.999Z: later instants are refused (PostgreSQL's and the calendar's range).
    static let maxInstantMs: Int64 = 253_402_300_799_999

    static func checkPeriod(from: Int64, to: Int64) throws {
        guard (0...maxInstantMs).contains(from), (0...maxInstantMs).contains(to), to == 0 || from <= to else {
            throw RPCError.invalidArgument("from_ms and to_ms must be epoch milliseconds up to year 9999 with from_ms ≤ to_ms")
        }
    }

    // MARK: intake

    static func validate(_ p: MediaV1.IncomingPost, now: Date) throws {
        var problems: [String] = []
        if p.source.isEmpty { problems.append("source is required") }
        if p.source.count > 64 || Subjects.token(p.source) != p.source { problems.append("source must be up to 64 letters, digits, '-' or '_'") }
        if p.externalId.isEmpty { problems.append("external_id is required") }
        if p.externalId.count > 200 { problems.append("external_id is longer than 200 characters") }
        if p.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { problems.append("text is empty") }
        if p.text.count > maxTextLength { problems.append("text is longer than \(maxTextLength) characters") }
        if p.url.count > 2000 { problems.append("url is longer than 2000 characters") }
        if !p.url.isEmpty, !(p.url.hasPrefix("https://") || p.url.hasPrefix("http://")) { problems.append("url must be an http(s) link") }
        if p.authorHandle.count > 200 { problems.append("author_handle is longer than 200 characters") }
        if p.territoryHint.count > 200 { problems.append("territory_hint is longer than 200 characters") }
        if p.publishedAtMs < 0 || Double(p.publishedAtMs) / 1000 > now.timeIntervalSince1970 + 86_400 {
            problems.append("published_at_ms is in the future")
        }
        if !problems.isEmpty { throw RPCError.invalidArgument(problems.joined(separator: "; ")) }
    }

    /// The social-network and messenger monitoring systems deliver posts (each integrating system on its own
    /// channel), and the import.
    static func checkDeliver(_ p: Principal) throws {
        let ok = p.has(.importer) || p.grants.contains { $0.role == .integration && Subjects.Mentions.channels.contains($0.channel) }
        if !ok { throw AuthError.denied(p, "deliver public posts (only the social-network and messenger systems do)") }
    }

    /// Stores a post once per (source, external id) with its analysis. Shared by the RPC and the JetStream intake.
    func store(_ post: MediaV1.IncomingPost, by principal: Principal) async throws -> MediaV1.SubmitPostResponse {
        try Self.checkDeliver(principal)
        let now = self.now()
        try Self.validate(post, now: now)
        if let existing = try await pool.withConnection({ try MentionStore.find($0, source: post.source, externalID: post.externalId) }) {
            return MediaV1.SubmitPostResponse(mention: existing, alreadyExisted: true)
        }
        let snapshot = await directory.latest()
        let analysis = try analyzer.analyse(post, snapshot: snapshot)
        let published = post.publishedAtMs > 0 ? Date(timeIntervalSince1970: Double(post.publishedAtMs) / 1000) : now
        let (mention, existed) = try await pool.withConnection { conn in
            try MentionStore.insert(conn, post, analysis, published: published, now: now)
        }
        return MediaV1.SubmitPostResponse(mention: mention, alreadyExisted: existed)
    }

    func submitPost(request: MediaV1.SubmitPostRequest, context: RPCContext) async throws -> MediaV1.SubmitPostResponse {
        guard let post = request.post else { throw RPCError.invalidArgument("post is required") }
        return try await store(post, by: try context.requirePrincipal())
    }

    // MARK: reads

    func listMentions(request: MediaV1.ListMentionsRequest, context: RPCContext) async throws -> MediaV1.ListMentionsResponse {
        let principal = try context.requirePrincipal()
        let size = Int(request.page?.pageSize ?? 0)
        guard (0...200).contains(size) else { throw RPCError.invalidArgument("page_size must be between 1 and 200") }
        let limit = size == 0 ? 50 : size
        var after: (ms: Int64, id: String)?
        if let token = request.page?.pageToken, !token.isEmpty {
            let parts = token.split(separator: "_", maxSplits: 1).map(String.init)
            guard parts.count == 2, let ms = Int64(parts[0]), (0...Self.maxInstantMs).contains(ms), UUID(uuidString: parts[1]) != nil else {
                throw RPCError.invalidArgument("page_token is not valid")
            }
            after = (ms, parts[1])
        }
        try Self.checkPeriod(from: request.fromMs, to: request.toMs)
        let rows = try await pool.withConnection { [after] conn in try MentionStore.list(conn, request, after: after, limit: limit + 1) }
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { "\($0.publishedAtMs)_\($0.id)" } ?? "" : ""
        let shown = AppealAccess.mentionView(principal) == .full ? page : page.map(redacted)
        return MediaV1.ListMentionsResponse(mentions: shown, nextPageToken: next)
    }

    /// A mention as an analyst sees it (`AppealAccess.mentionView`): no author, link or post id, the text with personal
    /// data replaced; the bodies it names stay, without their offsets (which point into the original text).
    func redacted(_ m: MediaV1.Mention) -> MediaV1.Mention {
        var r = m
        r.authorHandle = ""
        r.url = ""
        r.externalId = ""
        r.text = appeals.handlers.views.redactor.redact(m.text).text   // not memoised: posts are long and rarely repeat
        r.entities = m.entities.map { var e = $0; e.offset = 0; e.length = 0; return e }
        return r
    }

    func getToneSeries(request: MediaV1.GetToneSeriesRequest, context: RPCContext) async throws -> MediaV1.GetToneSeriesResponse {
        _ = try context.requirePrincipal()
        let bucket = request.bucket.isEmpty ? "day" : request.bucket
        guard bucket == "day" || bucket == "hour" else { throw RPCError.invalidArgument("bucket must be day or hour") }
        try Self.checkPeriod(from: request.fromMs, to: request.toMs)
        let to = request.toMs > 0 ? Date(timeIntervalSince1970: Double(request.toMs) / 1000) : now()
        let from = request.fromMs > 0 ? Date(timeIntervalSince1970: Double(request.fromMs) / 1000) : to.addingTimeInterval(-14 * 86_400)
        guard from < to else { throw RPCError.invalidArgument("from_ms must be before to_ms") }
        let starts = ToneBuckets.starts(from: from, to: to, hourly: bucket == "hour", timeZone: timeZone)
        guard starts.count <= 24 * 93 else { throw RPCError.invalidArgument("the period has too many buckets (at most 2232)") }
        let tz = timeZone.identifier
        let rows = try await pool.withConnection { conn in
            try MentionStore.toneSeries(conn, entity: request.entityId, topic: request.topicCode, from: starts.first ?? from, to: to,
                                        bucket: bucket, timeZone: tz)
        }
        var byStart: [Int64: MediaV1.ToneBucket] = [:]
        for s in starts { byStart[AppealHandlers.ms(s)] = MediaV1.ToneBucket(startMs: AppealHandlers.ms(s)) }
        for r in rows {
            let key = AppealHandlers.ms(r.start)
            var b = byStart[key] ?? MediaV1.ToneBucket(startMs: key)
            switch r.tone {
            case "negative": b.negative += Int32(r.count)
            case "positive": b.positive += Int32(r.count)
            default: b.neutral += Int32(r.count)
            }
            byStart[key] = b
        }
        return MediaV1.GetToneSeriesResponse(buckets: byStart.values.sorted { $0.startMs < $1.startMs }, bucket: bucket)
    }

    func listIncidents(request: MediaV1.ListIncidentsRequest, context: RPCContext) async throws -> MediaV1.ListIncidentsResponse {
        _ = try context.requirePrincipal()
        guard (0...200).contains(request.limit) else { throw RPCError.invalidArgument("limit must be between 1 and 200") }
        let limit = request.limit == 0 ? 50 : Int(request.limit)
        let incidents = try await pool.withConnection { conn in try IncidentStore.list(conn, openOnly: request.openOnly, limit: limit) }
        return MediaV1.ListIncidentsResponse(incidents: incidents)
    }

    // MARK: promotion

    /// Files the mention as an appeal on the social channel (once: a repeated promotion returns the same appeal).
    func promoteMention(request: MediaV1.PromoteMentionRequest, context: RPCContext) async throws -> MediaV1.PromoteMentionResponse {
        let principal = try context.requirePrincipal()
        guard request.comment.count <= 2000 else { throw RPCError.invalidArgument("comment is longer than 2000 characters") }
        let id = request.mentionId.trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty else { throw RPCError.invalidArgument("mention_id is required") }
        guard let mention = try await pool.withConnection({ try MentionStore.find($0, id: id) }) else {
            throw RPCError.notFound("mention \(id) not found")
        }
        if !mention.appealId.isEmpty {
            return MediaV1.PromoteMentionResponse(mention: mention, appealId: mention.appealId, appealNumber: mention.appealNumber, alreadyPromoted: true)
        }
        let (appeal, existed) = try await appeals.file(MediaAppeals.draft(for: mention, comment: request.comment, now: now()), by: principal)
        let audit = appeals.handlers.audit
        let linked = try await pool.transaction { conn -> MediaV1.Mention? in
            let updated = try conn.query("""
                UPDATE mentions SET appeal_id = \(appeal.id)::uuid WHERE id = \(mention.id)::uuid AND appeal_id IS NULL RETURNING id
                """).first != nil
            if updated {
                try audit.record(conn, principal, .init(action: "mention.promote", appealID: appeal.id, target: mention.id, detail: request.comment))
            }
            return try MentionStore.find(conn, id: mention.id)
        }
        return MediaV1.PromoteMentionResponse(mention: linked ?? mention, appealId: appeal.id, appealNumber: appeal.number, alreadyPromoted: existed)
    }
}

/// Bucket starts of a tone series in the region's time zone.
enum ToneBuckets {
    static func starts(from: Date, to: Date, hourly: Bool, timeZone: TimeZone) -> [Date] {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        let unit: Calendar.Component = hourly ? .hour : .day
        guard var t = cal.dateInterval(of: unit, for: from)?.start else { return [] }
        var out: [Date] = []
        while t < to, out.count <= 24 * 93 {
            out.append(t)
            guard let next = cal.date(byAdding: unit, value: 1, to: t) else { break }
            t = next
        }
        return out
    }
}
