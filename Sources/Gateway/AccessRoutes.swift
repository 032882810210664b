import Contracts
import Foundation
import Hummingbird

/// Roles and the audit log: `GET /api/v1/me` (own roles), `GET|POST /api/v1/roles`, `DELETE /api/v1/roles/:id`
/// (head of the ЦУР; the curator may list), `GET /api/v1/audit` (curator).
struct AccessRoutes: Sendable {
    let backends: Backends
    let settings: GatewaySettings

    var options: CallOptions { CallOptions(timeout: settings.callTimeout) }

    func register(on api: RouterGroup<GatewayContext>) {
        api.get("me") { _, context in
            JSONResponse(try await backends.caller(context).agencies.resolveGrants(.init(), options: options))
        }
        api.get("roles") { request, context in
            JSONResponse(try await backends.caller(context).agencies.listRoleAssignments(
                .init(principal: request.queryString("principal"), role: request.queryString("role")), options: options))
        }
        api.post("roles") { request, context in
            let assignment = try await request.decode(as: AgencyV1.RoleAssignment.self, context: context)
            guard assignment.grantedBy.isEmpty else {
                throw RPCError.invalidArgument("grantedBy cannot be set: it is the signed-in caller")
            }
            return JSONResponse(try await backends.caller(context).agencies.assignRole(.init(assignment: assignment), options: request.callOptions(settings)),
                                status: .created)
        }
        api.delete("roles/:id") { request, context in
            JSONResponse(try await backends.caller(context).agencies.revokeRole(.init(id: try context.parameters.require("id")), options: request.callOptions(settings)))
        }
        api.get("audit") { request, context in
            var q = AgencyV1.QueryAuditRequest()
            q.actor = request.queryString("actor")
            q.appealId = request.queryString("appeal")
            q.action = request.queryString("action")
            q.fromMs = try request.queryInstantMs("from")
            q.toMs = try request.queryInstantMs("to")
            q.limit = Int32(clamping: try request.queryInt("limit") ?? 0)
            q.beforeId = try request.queryInt("before") ?? 0
            return JSONResponse(try await backends.caller(context).agencies.queryAudit(q, options: options))
        }
    }
}
