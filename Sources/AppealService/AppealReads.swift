import Contracts
import Foundation
import VecheAuth
import VecheRuntime

/// Reads: each principal sees the appeals its grants cover, personal data only where it needs it; every
/// read that returns personal data is written to the audit log (one entry per appeal).
extension AppealHandlers {
    func getAppeal(request: AppealV1.GetAppealRequest, context: RPCContext) async throws -> AppealV1.GetAppealResponse {
        let principal = try context.requirePrincipal()
        let id = request.id.trimmingCharacters(in: .whitespaces)
        let views = self.views, audit = self.audit
        if principal.kind == .citizen {
            return try await pool.withConnection { conn in
                guard let a = try AppealStore.find(conn, citizenTokenHash: principal.name) else {
                    throw RPCError.unauthenticated("the citizen token does not open any appeal")
                }
                guard id.isEmpty || id == a.id || id == a.number else { throw RPCError.permissionDenied("the citizen token opens another appeal") }
                let (appeal, history, _) = views.view(a, history: try AppealStore.history(conn, appealID: a.id), for: principal, ownCitizenAppeal: true)
                try audit.recordReads(conn, principal, action: "appeal.read", appealIDs: [a.id])
                return AppealV1.GetAppealResponse(appeal: appeal, history: history)
            }
        }
        guard !id.isEmpty else { throw RPCError.invalidArgument("id is required") }
        return try await pool.withConnection { conn in
            guard let (a, events) = try AppealStore.findWithHistory(conn, idOrNumber: id) else { throw RPCError.notFound("appeal \(id) not found") }
            let (appeal, history, view) = views.view(a, history: events, for: principal, ownCitizenAppeal: false)
            guard view != .none else { throw AuthError.denied(principal, "read appeal \(a.number)") }
            if view == .full { try audit.recordReads(conn, principal, action: "appeal.read", appealIDs: [a.id]) }
            return AppealV1.GetAppealResponse(appeal: appeal, history: history)
        }
    }

    func listAppeals(request: AppealV1.ListAppealsRequest, context: RPCContext) async throws -> AppealV1.ListAppealsResponse {
        let principal = try context.requirePrincipal()
        guard let visible = AppealViews.condition(AppealAccess.scope(principal)) else {
            throw AuthError.denied(principal, "list appeals")
        }
        var built = try AppealQuery(request)
        built.conditions.append(visible)
        let query = built, views = self.views, audit = self.audit
        return try await pool.withConnection { conn in
            var page = try query.run(conn)
            var fullIDs: [String] = []
            page.appeals = page.appeals.map { a in
                switch AppealAccess.view(principal, AppealViews.facts(a)) {
                case .full:
                    fullIDs.append(a.id)
                    return a
                case .redacted, .none:
                    return views.redacted(a)
                }
            }
            try audit.recordReads(conn, principal, action: "appeal.list", appealIDs: fullIDs)
            return page
        }
    }
}
