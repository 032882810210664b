import Contracts
import Foundation
import VecheAuth
import VecheRuntime

/// Root-cause cases over RPC: detection on demand (the detector service runs it periodically), the list, one case
/// with its history, and the staff's edits (plan, target date, quantitative target, status, agencies), each
/// written to the history and the audit log. A sector block's staff edit the cases of their block only.
extension RatingHandlers {
    var days: CalendarDays { CalendarDays(timeZone: periods.timeZone) }

    func detectRootCauses(request: RatingV1.DetectRootCausesRequest, context: RPCContext) async throws -> RatingV1.DetectRootCausesResponse {
        let caller = try context.requirePrincipal()
        let s = settings.rootCauses
        guard request.windowDays == 0 || (7...730).contains(request.windowDays) else { throw RPCError.invalidArgument("window_days must be 7–730") }
        guard request.threshold == 0 || request.threshold >= 2 else { throw RPCError.invalidArgument("threshold must be at least 2") }
        let window = request.windowDays == 0 ? s.windowDays : Int(request.windowDays)
        let threshold = request.threshold == 0 ? s.threshold : Int(request.threshold)
        let groupThreshold = request.threshold == 0 ? s.groupThreshold : Int(request.threshold)
        let (opened, total) = try await runDetection(by: caller, windowDays: window, threshold: threshold, groupThreshold: groupThreshold)
        var response = RatingV1.DetectRootCausesResponse(appealsConsidered: Int64(total), windowDays: Int32(window), threshold: Int32(threshold))
        response.opened = try await cases(ids: opened)
        return response
    }

    /// One detection pass (the RPC and `RootCauseDetector`); returns the ids of the cases it opened.
    func runDetection(by caller: Principal, windowDays: Int? = nil, threshold: Int? = nil, groupThreshold: Int? = nil) async throws -> ([Int64], Int) {
        let s = settings.rootCauses, now = self.now(), detection = RootCauseDetection(days: days)
        let dir = await directory.directory()
        let audit = self.audit
        return try await pool.transaction { conn in
            let result = try detection.detect(conn, now: now, windowDays: windowDays ?? s.windowDays, threshold: threshold ?? s.threshold,
                                              groupThreshold: groupThreshold ?? s.groupThreshold, measureDays: s.measureDays,
                                              directory: dir, actor: caller.actor)
            if !result.0.isEmpty {
                try audit.record(conn, caller, .init(action: "rating.root_cause.detect",
                                                                                  detail: result.0.map(String.init).joined(separator: ",")))
            }
            return result
        }
    }

    func listRootCauses(request: RatingV1.ListRootCausesRequest, context: RPCContext) async throws -> RatingV1.ListRootCausesResponse {
        guard (0...500).contains(request.limit) else { throw RPCError.invalidArgument("limit must be 0–500") }
        let statuses = request.statuses.compactMap(RootCauseStore.statusText)
        guard statuses.count == request.statuses.count else { throw RPCError.invalidArgument("statuses: unspecified is not a status") }
        let limit = request.limit == 0 ? 100 : Int(request.limit)
        var sql: SQL = "SELECT * FROM root_causes WHERE true"
        if !statuses.isEmpty { sql = sql + " AND status = ANY(\(statuses)::text[])" }
        let topic = request.topicCode.trimmingCharacters(in: .whitespaces)
        if !topic.isEmpty { sql = sql + " AND topic_code = \(topic)" }
        sql = sql + " ORDER BY appeals_at_detection DESC, id LIMIT \(limit)"
        return RatingV1.ListRootCausesResponse(cases: try await mapped(sql))
    }

    func getRootCause(request: RatingV1.GetRootCauseRequest, context: RPCContext) async throws -> RatingV1.GetRootCauseResponse {
        let id = try Self.caseID(request.id)
        let store = RootCauseStore(days: days), now = self.now()
        let dir = await directory.directory()
        return try await pool.withConnection { conn in
            guard let row = try conn.query("SELECT * FROM root_causes WHERE id = \(id)").first else {
                throw RPCError.notFound("root-cause case \(id) does not exist")
            }
            return RatingV1.GetRootCauseResponse(rootCause: try store.wire(conn, row, directory: dir, now: now),
                                                 history: try RootCauseStore.history(conn, caseID: id))
        }
    }

    func updateRootCause(request: RatingV1.UpdateRootCauseRequest, context: RPCContext) async throws -> RatingV1.UpdateRootCauseResponse {
        let caller = try context.requirePrincipal()
        let id = try Self.caseID(request.id)
        let days = self.days
        let edit = try RootCauseEdit(request, days: days)
        let store = RootCauseStore(days: days), now = self.now(), audit = self.audit
        let dir = await directory.directory()
        let updated = try await pool.transaction { conn -> RatingV1.RootCauseCase in
            guard let row = try conn.query("SELECT * FROM root_causes WHERE id = \(id) FOR UPDATE").first else {
                throw RPCError.notFound("root-cause case \(id) does not exist")
            }
            try Self.checkOwner(caller, topic: row.string("topic_code"))
            if request.expectedVersion != 0 && request.expectedVersion != row.int("version") {
                throw RPCError.failedPrecondition("the case was changed by \(row.string("updated_by")) (version \(row.int("version")), "
                                                  + "yours \(request.expectedVersion)); reload it and apply your change again")
            }
            let plan = try edit.apply(to: row, days: days)
            let baselineCount = try conn.query("""
                SELECT count(*) AS n FROM appeal_facts WHERE registered_at >= \(days.start(plan.baselineFrom))::timestamptz
                  AND registered_at < \(days.end(plan.baselineTo))::timestamptz
                """ + " AND " + RootCauseStore.matching(kind: row.string("kind"), group: row.string("problem_group_id"),
                                              category: row.string("category_code"), oktmo: row.string("municipality_oktmo"))).first?.int("n") ?? 0
            guard let saved = try conn.query("""
                UPDATE root_causes SET plan = \(plan.plan), target_date = \(plan.targetDate)::date, baseline_from = \(plan.baselineFrom)::date,
                       baseline_to = \(plan.baselineTo)::date, baseline_count = \(baselineCount), reduction_percent = \(plan.reductionPercent),
                       measure_days = \(plan.measureDays), status = \(plan.status), agency_ids = \(plan.agencyIDs)::text[],
                       updated_at = now(), updated_by = \(caller.actor), version = version + 1
                WHERE id = \(id) RETURNING *
                """).first else { throw RPCError.internalError("the case was not saved") }
            for change in plan.changes(comment: edit.comment) {
                try conn.query("INSERT INTO root_cause_history (case_id, actor, action, detail) VALUES (\(id), \(caller.actor), \(change.0), \(change.1))")
            }
            try audit.record(conn, caller, .init(action: "rating.root_cause.update", target: String(id),
                                                 detail: plan.changes(comment: edit.comment).map(\.1).joined(separator: "; ")))
            return try store.wire(conn, saved, directory: dir, now: now)
        }
        return .init(rootCause: updated)
    }

    // MARK: helpers

    static func caseID(_ raw: String) throws -> Int64 {
        guard let id = Int64(raw.trimmingCharacters(in: .whitespaces)), id > 0 else {
            throw RPCError.invalidArgument("id must be a root-cause case number (got \"\(raw)\")")
        }
        return id
    }

    /// The head of the ЦУР and the curator edit any case; a sector block's staff the cases of their block.
    static func checkOwner(_ p: Principal, topic: String) throws {
        if p.hasAny([.centerHead, .curator]) { return }
        let blocks = p.grants.filter { $0.role == .sectorHead || $0.role == .sectorResponsible }.flatMap(\.topicCodes)
        guard blocks.contains(topic) else {
            throw RPCError.permissionDenied("\(p.actor) may edit the root-cause cases of their own sector block only (this case is \(topic)'s)")
        }
    }

    func cases(ids: [Int64]) async throws -> [RatingV1.RootCauseCase] {
        guard !ids.isEmpty else { return [] }
        return try await mapped("SELECT * FROM root_causes WHERE id = ANY(\(ids)::bigint[]) ORDER BY appeals_at_detection DESC, id")
    }

    func mapped(_ sql: SQL) async throws -> [RatingV1.RootCauseCase] {
        let store = RootCauseStore(days: days), now = self.now()
        let dir = await directory.directory()
        return try await pool.withConnection { conn in
            try conn.query(sql).rows.map { try store.wire(conn, $0, directory: dir, now: now) }
        }
    }
}
