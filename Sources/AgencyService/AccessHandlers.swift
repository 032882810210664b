import Contracts
import Foundation
import VecheAuth
import VecheRuntime

/// Role assignments (head of the ЦУР), grant resolution (services; anyone for themselves) and the audit log
/// (curator). Every change is audited and announced on `veche.events.v1.grants.changed` so services drop
/// their cached grants at once.
extension AgencyHandlers {
    func listRoleAssignments(request: AgencyV1.ListRoleAssignmentsRequest, context: RPCContext) async throws -> AgencyV1.ListRoleAssignmentsResponse {
        let principal = request.principal, role = request.role
        return .init(assignments: try await pool.withConnection { try RoleStore.list($0, principal: principal, role: role) })
    }

    func assignRole(request: AgencyV1.AssignRoleRequest, context: RPCContext) async throws -> AgencyV1.AssignRoleResponse {
        let caller = try context.requirePrincipal()
        guard var given = request.assignment else { throw RPCError.invalidArgument("assignment is required") }
        given.grantedBy = caller.actor
        let input = given, audit = self.audit
        let (stored, created) = try await pool.transaction { conn in
            let valid = try RoleStore.validate(conn, input)
            let result = try RoleStore.insert(conn, valid)
            if result.created {
                try audit.record(conn, caller, .init(action: "directory.role.assign", target: result.0.id,
                                                     detail: "\(valid.principal) \(valid.role) \(Self.scopeText(valid))"))
            }
            return result
        }
        if created { grantsChanged(stored.principal) }
        return .init(assignment: stored)
    }

    func revokeRole(request: AgencyV1.RevokeRoleRequest, context: RPCContext) async throws -> AgencyV1.RevokeRoleResponse {
        let caller = try context.requirePrincipal()
        let id = request.id.trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty else { throw RPCError.invalidArgument("id is required") }
        let audit = self.audit
        let removed = try await pool.transaction { conn -> AgencyV1.RoleAssignment in
            guard let r = try RoleStore.delete(conn, id: id) else { throw RPCError.notFound("role assignment \(id) not found") }
            try audit.record(conn, caller, .init(action: "directory.role.revoke", target: id, detail: "\(r.principal) \(r.role) \(Self.scopeText(r))"))
            return r
        }
        grantsChanged(removed.principal)
        return .init(assignment: removed)
    }

    func resolveGrants(request: AgencyV1.ResolveGrantsRequest, context: RPCContext) async throws -> AgencyV1.ResolveGrantsResponse {
        let caller = try context.requirePrincipal()
        let key = request.principal.isEmpty ? caller.key : request.principal
        try DirectoryAccess.checkResolveGrants(caller, for: key)
        let grants = try await pool.withConnection { try RoleStore.grants($0, principal: key) }
        return .init(principal: key, grants: grants.map(\.wire))
    }

    func queryAudit(request: AgencyV1.QueryAuditRequest, context: RPCContext) async throws -> AgencyV1.QueryAuditResponse {
        let caller = try context.requirePrincipal()
        guard (0...1000).contains(request.limit) else { throw RPCError.invalidArgument("limit must be within 0...1000") }
        if !request.appealId.isEmpty, UUID(uuidString: request.appealId) == nil { throw RPCError.invalidArgument("appeal_id must be a UUID") }
        let limit = request.limit == 0 ? 100 : Int(request.limit)
        var filters: [SQL] = ["TRUE"]
        if !request.actor.isEmpty { filters.append("actor = \(request.actor)") }
        if !request.appealId.isEmpty { filters.append("appeal_id = \(request.appealId)::uuid") }
        if !request.action.isEmpty { filters.append("starts_with(action, \(request.action))") }
        if request.fromMs > 0 { filters.append("at >= \(Date(timeIntervalSince1970: Double(request.fromMs) / 1000))::timestamptz") }
        if request.toMs > 0 { filters.append("at < \(Date(timeIntervalSince1970: Double(request.toMs) / 1000))::timestamptz") }
        if request.beforeId > 0 { filters.append("id < \(request.beforeId)") }
        let filter = SQL.join(filters, separator: " AND ")
        let audit = self.audit
        let rows = try await pool.transaction { conn in
            let rows = try conn.query("SELECT * FROM audit.entries WHERE \(filter) ORDER BY id DESC LIMIT \(limit + 1)").rows
            // Reading the log is itself recorded (it names appeals and people).
            try audit.record(conn, caller, .init(action: "audit.query", detail: "actor=\(request.actor) appeal=\(request.appealId) action=\(request.action)"))
            return rows
        }
        let entries = rows.prefix(limit).map { r in
            AgencyV1.AuditEntry(id: r.int("id"), atMs: r.epochMs("at"), service: r.string("service"), actor: r.string("actor"),
                                clientId: r.string("client_id"), source: r.string("source"), action: r.string("action"),
                                appealId: r.string("appeal_id"), target: r.string("target"), detail: r.string("detail"))
        }
        return .init(entries: Array(entries), nextBeforeId: rows.count > limit ? (entries.last?.id ?? 0) : 0)
    }

    static func scopeText(_ a: AgencyV1.RoleAssignment) -> String {
        [("agency", a.agencyId), ("topic", a.topicCode), ("survey", a.surveyId), ("team", a.teamId), ("channel", a.channel)]
            .filter { !$0.1.isEmpty }.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }
}

/// AgencyService resolves grants from its own table (it is where they live), cached like everywhere else.
struct LocalGrantSource: GrantSource {
    let pool: PGPool

    func grants(for principalKey: String) async throws -> [Grant] {
        try await pool.withConnection { try RoleStore.grants($0, principal: principalKey) }
    }
}
